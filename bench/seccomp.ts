// Docker's default seccomp profile compiled by bpfkit and by libseccomp (Debian's libseccomp,
// driven by a small C program built here): filter length and the mean number of instructions
// executed per system call over every system call of each architecture, both filters run by
// bpfkit's classic-BPF interpreter. libseccomp is measured with its default layout (a chain in
// priority order, what runc and Docker get) and with its binary-tree optimization (level 2);
// the ratio printed last is bpfkit ÷ the better of the two.
// Run: node --import tsx bench/seccomp.ts [PROFILE]   (needs gcc and libseccomp-dev)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCbpf, type CbpfInsn } from '../src/cbpf/insn.js';
import { archTable, compilePolicy, loadPolicy, simulateSeccomp, actionValue, type SeccompPolicy, type SyscallArch } from '../src/cbpf/seccomp/index.js';

const profile = process.argv[2] ?? new URL('../../shared/peer/moby/profiles/seccomp/default.json', import.meta.url).pathname;

// Reads a policy as lines on stdin, builds it with libseccomp, writes seccomp_export_bpf to stdout.
const DRIVER = String.raw`
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  char word[64];
  int keep_native = 0;
  scmp_filter_ctx ctx = NULL;
  while (scanf("%63s", word) == 1) {
    if (!strcmp(word, "default")) {
      unsigned int a; scanf("%u", &a);
      ctx = seccomp_init(a);
      if (!ctx) return 2;
    } else if (!strcmp(word, "badarch")) {
      unsigned int a; scanf("%u", &a);
      if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, a)) return 3;
    } else if (!strcmp(word, "optimize")) {
      int n; scanf("%d", &n);
      if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, n)) return 4;
    } else if (!strcmp(word, "arch")) {
      char name[32]; scanf("%31s", name);
      uint32_t a = seccomp_arch_resolve_name(name);
      if (a == seccomp_arch_native()) keep_native = 1;
      else if (seccomp_arch_add(ctx, a)) return 5;
    } else if (!strcmp(word, "rule")) {
      unsigned int a, n; char name[64]; scanf("%u %63s %u", &a, name, &n);
      struct scmp_arg_cmp c[6];
      for (unsigned int i = 0; i < n; i++) {
        unsigned int arg, op; unsigned long long x, y;
        scanf("%u %u %llu %llu", &arg, &op, &x, &y);
        c[i].arg = arg; c[i].op = op; c[i].datum_a = x; c[i].datum_b = y;
      }
      int nr = seccomp_syscall_resolve_name(name);
      if (nr == __NR_SCMP_ERROR) continue;
      seccomp_rule_add_array(ctx, a, nr, n, c); /* a rule equal to the default is refused: fine */
    }
  }
  if (!keep_native && seccomp_arch_remove(ctx, seccomp_arch_native())) return 7;
  return seccomp_export_bpf(ctx, 1) ? 6 : 0;
}
`;

const OPNUM = { ne: 1, lt: 2, le: 3, eq: 4, ge: 5, gt: 6, masked_eq: 7 } as const;

function driverInput(policy: SeccompPolicy, optimize: number): string {
  const lines = [`default ${actionValue(policy.defaultAction)}`, `badarch ${actionValue(policy.badArchAction)}`, `optimize ${optimize}`];
  for (const a of policy.architectures) lines.push(`arch ${a}`);
  for (const r of policy.rules) {
    const conds = r.conditions.map((c) => (c.op === 'masked_eq' ? `${c.arg} 7 ${c.mask} ${c.value}` : `${c.arg} ${OPNUM[c.op]} ${c.value} 0`));
    lines.push(`rule ${actionValue(r.action)} ${r.syscall} ${conds.length} ${conds.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

function meanSteps(prog: readonly CbpfInsn[], arch: SyscallArch): number {
  const nrs = Object.values(archTable(arch).syscalls) as number[];
  let total = 0;
  for (const nr of nrs) total += simulateSeccomp(prog, { arch, syscall: nr }).steps;
  return total / nrs.length;
}

const dir = mkdtempSync(join(tmpdir(), 'bpfkit-bench-seccomp-'));
try {
  writeFileSync(join(dir, 'driver.c'), DRIVER);
  execFileSync('gcc', ['-O2', '-o', join(dir, 'driver'), join(dir, 'driver.c'), '-lseccomp']);
  const policy = loadPolicy(profile);
  const ours = compilePolicy(policy).insns;
  const theirs = [1, 2].map((level) => decodeCbpf(execFileSync(join(dir, 'driver'), { input: driverInput(policy, level) })));
  // The same answers, or the comparison means nothing.
  for (const arch of policy.architectures) {
    for (const nr of Object.values(archTable(arch).syscalls) as number[]) {
      const a = simulateSeccomp(ours, { arch, syscall: nr }).value;
      for (const t of theirs) {
        const b = simulateSeccomp(t, { arch, syscall: nr }).value;
        if (a !== b) throw new Error(`filters disagree on ${arch} nr ${nr}: bpfkit 0x${a.toString(16)}, libseccomp 0x${b.toString(16)}`);
      }
    }
  }
  console.log(`profile: ${profile}`);
  console.log(`architectures: ${policy.architectures.join(', ')}; rules: ${policy.rules.length}`);
  console.log(`filter length (instructions): bpfkit ${ours.length}, libseccomp ${theirs[0].length} (default), ${theirs[1].length} (binary tree)`);
  let ratio = 0;
  for (const arch of policy.architectures) {
    const m = meanSteps(ours, arch);
    const t = theirs.map((p) => meanSteps(p, arch));
    console.log(`${arch}: mean instructions per syscall: bpfkit ${m.toFixed(2)}, libseccomp ${t[0].toFixed(2)} (default), ${t[1].toFixed(2)} (binary tree)`);
    if (arch === policy.architectures[0]) ratio = m / Math.min(...t);
  }
  const lenRatio = ours.length / Math.min(...theirs.map((p) => p.length));
  console.log(`length ratio bpfkit/libseccomp(best): ${lenRatio.toFixed(3)}`);
  console.log(`ratio (mean instructions per ${policy.architectures[0]} syscall, bpfkit/libseccomp best): ${ratio.toFixed(3)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

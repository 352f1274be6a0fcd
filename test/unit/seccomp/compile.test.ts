import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { checkCbpf } from '../../../src/cbpf/validate.js';
import { encodeCbpf, BPF_JMP, BPF_JA } from '../../../src/cbpf/insn.js';
import {
  actionValue, archTable, compilePolicy, filterBytes, filterC, filterPseudo, formatAction, loadPolicy, parsePolicy,
  simulateSeccomp, syscallNumber, X32_SYSCALL_BIT, type ArgCondition, type SeccompAction, type SeccompPolicy, type SyscallArch,
} from '../../../src/cbpf/seccomp/index.js';
import { referenceAction } from './reference.js';
import { need, peerDir } from '../../helpers/env.js';
import { mulberry32 } from '../../../scripts/prng.js';

// A deterministic generator, so failures reproduce.
const rng = mulberry32;

const ACTIONS: SeccompAction[] = [
  { kind: 'allow' }, { kind: 'errno', errno: 1 }, { kind: 'errno', errno: 13 }, { kind: 'kill_process' }, { kind: 'kill_thread' },
  { kind: 'trap' }, { kind: 'log' }, { kind: 'trace', data: 7 }, { kind: 'user_notif' },
];
// Values near the edges of the 32-bit halves, where split comparisons go wrong.
const EDGES = [0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x100000001n, 0x1ffffffffn,
  0x123456789abcn, 0x7fffffffffffffffn, 0x8000000000000000n, 0xfffffffffffffffen, 0xffffffffffffffffn, 0xffffffff00000000n];

function randomPolicy(r: () => number, arches: SyscallArch[], nrules: number): SeccompPolicy {
  const names = Object.keys(archTable(arches[0]).syscalls);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const ops = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'masked_eq'] as const;
  const rules = [];
  for (let i = 0; i < nrules; i++) {
    const nconds = r() < 0.4 ? 0 : 1 + Math.floor(r() * 3);
    const conditions: ArgCondition[] = [];
    for (let j = 0; j < nconds; j++) {
      const op = pick(ops);
      const c: ArgCondition = { arg: Math.floor(r() * 6), op, value: pick(EDGES) };
      if (op === 'masked_eq') c.mask = pick([0xffn, 0xff00n, 0xffffffffn, 0xffffffff00000000n, 0x8000000000000001n, 1n]);
      conditions.push(c);
    }
    rules.push({ syscall: pick(names.slice(0, 60)), action: pick(ACTIONS), conditions });
  }
  return { defaultAction: pick(ACTIONS), badArchAction: { kind: 'kill_process' }, architectures: arches, rules, flags: {}, warnings: [] };
}

function agree(policy: SeccompPolicy, r: () => number, arches: SyscallArch[], calls: number) {
  const prog = compilePolicy(policy).insns;
  assert.deepEqual(checkCbpf(prog, { mode: 'seccomp' }), []);
  const names = Object.keys(archTable(policy.architectures[0]).syscalls).slice(0, 64);
  for (let i = 0; i < calls; i++) {
    const arch = arches[Math.floor(r() * arches.length)];
    const name = names[Math.floor(r() * names.length)];
    const nr = syscallNumber(arch, name) ?? Math.floor(r() * 500);
    // Arguments equal to the rules' constants and their neighbours hit every branch.
    const args = Array.from({ length: 6 }, () => EDGES[Math.floor(r() * EDGES.length)]);
    const got = simulateSeccomp(prog, { arch, syscall: nr, args });
    const want = referenceAction(policy, arch, nr, archTable(arch).bits === 32 ? args.map((a) => a & 0xffffffffn) : args);
    assert.equal(formatAction(got.action), formatAction(want), `${arch} nr ${nr} args ${args.map((a) => a.toString(16))}`);
  }
}

test('compiled filters agree with the policy semantics on random policies (64-bit, 32-bit, big-endian)', () => {
  const r = rng(1);
  for (let round = 0; round < 30; round++) {
    const sets: SyscallArch[][] = [['x86_64'], ['x86_64', 'x86', 'x32'], ['aarch64', 'arm'], ['s390x'], ['x86', 'x86_64'], ['ppc64le', 'riscv64']];
    const arches = sets[round % sets.length];
    agree(randomPolicy(r, arches, 5 + Math.floor(r() * 25)), r, [...arches, 'aarch64', 's390x'], 300);
  }
});

test('64-bit comparisons: every operator at the edges of both halves', () => {
  const ops = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
  for (const op of ops) {
    for (const value of EDGES) {
      const policy: SeccompPolicy = {
        defaultAction: { kind: 'errno', errno: 1 }, badArchAction: { kind: 'kill_process' }, architectures: ['x86_64', 's390x'],
        rules: [{ syscall: 'read', action: { kind: 'allow' }, conditions: [{ arg: 2, op, value }] }], flags: {}, warnings: [],
      };
      const prog = compilePolicy(policy).insns;
      for (const arch of ['x86_64', 's390x'] as const) {
        for (const a of EDGES) {
          const want = { eq: a === value, ne: a !== value, lt: a < value, le: a <= value, gt: a > value, ge: a >= value }[op];
          const got = simulateSeccomp(prog, { arch, syscall: 'read', args: [0n, 0n, a] }).action.kind === 'allow';
          assert.equal(got, want, `${arch}: 0x${a.toString(16)} ${op} 0x${value.toString(16)}`);
        }
      }
    }
  }
});

test('a foreign architecture is never allowed, and x32 calls are told apart on x86_64', () => {
  const p = parsePolicy('default: ALLOW\narchitectures: [x86_64]\n');
  const prog = compilePolicy(p).insns;
  assert.equal(formatAction(simulateSeccomp(prog, { arch: 'x86_64', syscall: 'read' }).action), 'ALLOW');
  for (const arch of ['x86', 'aarch64', 'arm', 's390x'] as const) {
    assert.equal(formatAction(simulateSeccomp(prog, { arch, syscall: 'read' }).action), 'KILL_PROCESS', arch);
  }
  // An x32 call arrives with AUDIT_ARCH_X86_64 and the x32 bit in nr.
  assert.equal(formatAction(simulateSeccomp(prog, { arch: 'x86_64', syscall: X32_SYSCALL_BIT | 39 }).action), 'KILL_PROCESS');
  const q = compilePolicy(parsePolicy('default: ALLOW\nbadArch: ERRNO(38)\narchitectures: [x86_64, x32]\n')).insns;
  assert.equal(formatAction(simulateSeccomp(q, { arch: 'x32', syscall: 'read' }).action), 'ALLOW');
  assert.equal(formatAction(simulateSeccomp(q, { arch: 'x86', syscall: 'read' }).action), 'ERRNO(38)');
});

test('a big policy needs long jumps, stays valid and correct', () => {
  const r = rng(7);
  const names = Object.keys(archTable('x86_64').syscalls).slice(0, 150);
  const rules = names.map((n, i) => ({
    syscall: n,
    action: { kind: 'errno', errno: (i % 200) + 1 } as SeccompAction,
    conditions: [{ arg: i % 6, op: 'gt' as const, value: BigInt(i) << 30n }, { arg: (i + 1) % 6, op: 'ne' as const, value: BigInt(i) }],
  }));
  const policy: SeccompPolicy = { defaultAction: { kind: 'allow' }, badArchAction: { kind: 'kill_process' }, architectures: ['x86_64', 'x86'], rules, flags: {}, warnings: [] };
  const prog = compilePolicy(policy).insns;
  assert.ok(prog.length > 1000, `program has ${prog.length} instructions`);
  assert.ok(prog.length <= 4096);
  assert.deepEqual(checkCbpf(prog, { mode: 'seccomp' }), []);
  // Some conditional jump would have needed more than 255; stand-ins were placed.
  assert.ok(prog.every((i) => i.jt <= 255 && i.jf <= 255));
  for (let i = 0; i < 2000; i++) {
    const arch = r() < 0.5 ? 'x86_64' : 'x86';
    const name = names[Math.floor(r() * names.length)];
    const nr = syscallNumber(arch, name);
    if (nr === undefined) continue;
    const args = Array.from({ length: 6 }, () => (r() < 0.5 ? BigInt(Math.floor(r() * 400)) << 30n : BigInt(Math.floor(r() * 400))));
    const want = referenceAction(policy, arch, nr, arch === 'x86' ? args.map((a) => a & 0xffffffffn) : args);
    assert.equal(actionValue(simulateSeccomp(prog, { arch, syscall: nr, args }).action), actionValue(want));
  }
});

test('the decision over syscall numbers is a binary search, not a chain', () => {
  const names = Object.keys(archTable('x86_64').syscalls).filter((_, i) => i % 2 === 0); // scattered, no runs
  const p = compilePolicy(parsePolicy(`default: KILL_PROCESS\nallow: [${names.join(', ')}]\n`)).insns;
  let max = 0;
  for (const nr of Object.values(archTable('x86_64').syscalls)) max = Math.max(max, simulateSeccomp(p, { arch: 'x86_64', syscall: nr }).steps);
  // ~360 intervals: a chain would take hundreds of steps, a tree about log2(360) + a few.
  assert.ok(max <= 16, `worst case ${max} instructions`);
  assert.ok(p.length < 3 * names.length, `length ${p.length}`);
});

test('output forms: raw bytes, C array and pseudo-code describe the same program', () => {
  const c = compilePolicy(parsePolicy('default: KILL_PROCESS\nallow: [read, write]\nrules:\n  - {syscall: socket, action: ERRNO(97), args: ["arg0 == 10"]}\n'));
  assert.deepEqual(filterBytes(c.insns), encodeCbpf(c.insns));
  const rows = [...filterC(c.insns).matchAll(/\{ (0x[0-9a-f]+), (\d+), (\d+), (0x[0-9a-f]+) \}/g)];
  assert.deepEqual(rows.map((m) => ({ code: Number(m[1]), jt: Number(m[2]), jf: Number(m[3]), k: Number(m[4]) })), c.insns);
  const pseudo = filterPseudo(c.insns, c.comments).trimEnd().split('\n');
  assert.equal(pseudo.length, c.insns.length);
  assert.match(pseudo[0], /^0000: A = arch/);
  assert.ok(pseudo.some((l) => /return ERRNO\(97\)/.test(l)));
  assert.ok(!c.insns.some((i) => i.code === (BPF_JMP | BPF_JA)) || pseudo.some((l) => /goto \d+$/.test(l)));
});

test("Docker's default profile compiles, validates and decides as Docker means", (t) => {
  const file = join(peerDir, 'moby/profiles/seccomp/default.json');
  if (!need(t, existsSync(file), `needs ${file}`)) return;
  const policy = loadPolicy(file, { nativeArch: 'x86_64', kernelVersion: '6.18.0' });
  assert.deepEqual(policy.architectures, ['x86_64', 'x86', 'x32']);
  const c = compilePolicy(policy);
  assert.deepEqual(checkCbpf(c.insns, { mode: 'seccomp' }), []);
  const act = (arch: SyscallArch, syscall: string, args: bigint[] = []) => formatAction(simulateSeccomp(c.insns, { arch, syscall, args }).action);
  assert.equal(act('x86_64', 'read'), 'ALLOW');
  assert.equal(act('x86', 'read'), 'ALLOW');
  assert.equal(act('x32', 'read'), 'ALLOW');
  assert.equal(act('x86_64', 'mount'), 'ERRNO(1)');
  assert.equal(act('x86_64', 'clone3'), 'ERRNO(38)');
  assert.equal(act('x86_64', 'socket', [2n]), 'ALLOW');
  assert.equal(act('x86_64', 'socket', [40n]), 'ERRNO(1)'); // AF_VSOCK
  assert.equal(act('x86_64', 'personality', [0n]), 'ALLOW');
  assert.equal(act('x86_64', 'personality', [1n]), 'ERRNO(1)');
  assert.equal(act('x86_64', 'bpf'), 'ERRNO(1)'); // needs CAP_SYS_ADMIN or CAP_BPF
  assert.equal(act('aarch64', 'read'), 'KILL_PROCESS');
  const admin = compilePolicy(loadPolicy(file, { nativeArch: 'x86_64', caps: ['CAP_SYS_ADMIN'], kernelVersion: '6.18.0' })).insns;
  assert.equal(formatAction(simulateSeccomp(admin, { arch: 'x86_64', syscall: 'bpf' }).action), 'ALLOW');
  // clone with namespace flags is refused without CAP_SYS_ADMIN: CLONE_NEWNS = 0x20000.
  assert.equal(act('x86_64', 'clone', [0x11n]), 'ALLOW');
  assert.equal(act('x86_64', 'clone', [0x20000n]), 'ERRNO(1)');
});

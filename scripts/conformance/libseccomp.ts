// libseccomp's bpf-sim test vectors (../shared/peer/libseccomp/tests/*.tests) run against
// bpfkit: each upstream test program's filter is written as a bpfkit policy in
// test/fixtures/seccomp/NN-name.yaml; every row (arch, syscall, args → expected action) is
// evaluated by compiling that policy for the row's architecture and running it in the
// classic-BPF interpreter. Prints `N passed, N failed` and the skipped rows with reasons.
// Run: node --import tsx scripts/conformance/libseccomp.ts [-v]
import { peerDir, repoRoot } from '../paths.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { archTable, compilePolicy, formatAction, parsePolicy, simulateSeccomp, syscallNumber, ARCH_NAMES, type SyscallArch } from '../../src/cbpf/seccomp/index.js';

export const defaultTestsDir = join(peerDir, 'libseccomp/tests');
export const fixturesDir = join(repoRoot, 'test/fixtures/seccomp');

export interface ConformanceResult {
  passed: number;
  failed: number;
  skipped: Map<string, number>;
  failures: string[];
}

// libseccomp's architecture groups, restricted to the architectures bpfkit has tables for.
const LE = ARCH_NAMES.filter((a) => archTable(a).endian === 'little');
const GROUPS: Record<string, SyscallArch[]> = {
  all: [...ARCH_NAMES],
  all_le: LE,
  all_be: ARCH_NAMES.filter((a) => archTable(a).endian === 'big'),
  all_64: ARCH_NAMES.filter((a) => archTable(a).bits === 64 && a !== 'x32'),
  all_32: ARCH_NAMES.filter((a) => archTable(a).bits === 32 || a === 'x32'),
};

function expandArches(spec: string): { arches: SyscallArch[]; unsupported: string[] } {
  let out: SyscallArch[] = [];
  const unsupported: string[] = [];
  for (const tok of spec.split(',')) {
    const neg = tok.startsWith('-');
    const name = tok.replace(/^[+-]/, '');
    const set = GROUPS[name] ?? (ARCH_NAMES.includes(name as SyscallArch) ? [name as SyscallArch] : []);
    if (!set.length && !neg) unsupported.push(name);
    if (neg) out = out.filter((a) => !set.includes(a));
    else for (const a of set) if (!out.includes(a)) out.push(a);
  }
  return { arches: out, unsupported };
}

/** "N" → [0]; "5" → [5]; "0x10-0x12" → [16, 17, 18]; "-1" → [2^64-1]. */
function expandValue(text: string): bigint[] {
  if (text === 'N') return [0n];
  const m = /^(0x[0-9a-fA-F]+|\d+)-(0x[0-9a-fA-F]+|\d+)$/.exec(text);
  if (m) {
    const out: bigint[] = [];
    for (let v = BigInt(m[1]); v <= BigInt(m[2]); v++) out.push(v);
    return out;
  }
  return [BigInt.asUintN(64, text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text))];
}

function product(lists: bigint[][]): bigint[][] {
  return lists.reduce<bigint[][]>((acc, l) => acc.flatMap((p) => l.map((v) => [...p, v])), [[]]);
}

// libseccomp rewrites a rule for a socket or SysV IPC call, on an architecture that reaches those
// calls through socketcall(2)/ipc(2), into a check of that multiplexer's first argument too, and
// its simulator resolves such a name to the multiplexer there (rows then carry the
// multiplexer's arguments, e.g. `accept4 18 ...` is socketcall(SYS_ACCEPT4, ...)). bpfkit
// policies have no such rewriting, so rows that need it are skipped.
const SOCKET_CALLS = new Set(['socket', 'bind', 'connect', 'listen', 'accept', 'getsockname', 'getpeername', 'socketpair', 'send', 'recv', 'sendto', 'recvfrom', 'shutdown', 'setsockopt', 'getsockopt', 'sendmsg', 'recvmsg', 'accept4', 'recvmmsg', 'sendmmsg']);
const IPC_CALLS = new Set(['semop', 'semget', 'semctl', 'semtimedop', 'msgsnd', 'msgrcv', 'msgget', 'msgctl', 'shmat', 'shmdt', 'shmget', 'shmctl']);
const MULTIPLEXED_SKIP = 'filter relies on libseccomp rewriting socket/SysV IPC rules into socketcall(2)/ipc(2) argument checks (x86, ppc64le, s390x); bpfkit policies have no multiplexer rewriting';

/** True when evaluating `sys` on `arch` would depend on libseccomp's multiplexer rewriting. */
function needsMultiplexing(arch: SyscallArch, sys: string): boolean {
  const mux = [syscallNumber(arch, 'socketcall'), syscallNumber(arch, 'ipc')].filter((n): n is number => n !== undefined);
  if (!mux.length) return false;
  if (sys === 'socketcall' || sys === 'ipc') return true;
  if (/^\d+$/.test(sys)) return mux.includes(Number(sys));
  return SOCKET_CALLS.has(sys) || IPC_CALLS.has(sys);
}

const normalize = (r: string) => (r === 'KILL' ? 'KILL_THREAD' : r === 'NOTIFY' ? 'USER_NOTIF' : r);

export function runConformance(testsDir = defaultTestsDir, verbose = false): ConformanceResult {
  const res: ConformanceResult = { passed: 0, failed: 0, skipped: new Map(), failures: [] };
  const skip = (reason: string) => res.skipped.set(reason, (res.skipped.get(reason) ?? 0) + 1);
  for (const file of readdirSync(testsDir).filter((f) => f.endsWith('.tests')).sort()) {
    const text = readFileSync(join(testsDir, file), 'utf8');
    let section = '';
    const rows: string[][] = [];
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (!t || t.startsWith('#')) continue;
      const m = /^test type:\s*(\S+)/.exec(t);
      if (m) {
        section = m[1];
        continue;
      }
      if (section === 'bpf-sim') rows.push(t.split(/\s+/));
    }
    if (!rows.length) continue;
    const name = file.replace(/\.tests$/, '');
    const fixture = join(fixturesDir, `${name}.yaml`);
    if (!existsSync(fixture)) {
      for (let i = 0; i < rows.length; i++) skip(`${name}: filter not expressed as a bpfkit policy`);
      continue;
    }
    const source = readFileSync(fixture, 'utf8');
    const compiled = new Map<SyscallArch, ReturnType<typeof compilePolicy> | Error>();
    const filterFor = (arch: SyscallArch) => {
      if (!compiled.has(arch)) {
        try {
          compiled.set(arch, compilePolicy(parsePolicy(source, { file: fixture, nativeArch: arch })));
        } catch (e) {
          compiled.set(arch, e as Error);
        }
      }
      return compiled.get(arch)!;
    };
    for (const row of rows) {
      if (row.length < 10) {
        skip(`${name}: malformed row`);
        continue;
      }
      const [, archSpec, sys, ...rest] = row;
      const expected = normalize(rest[6]);
      const { arches } = expandArches(archSpec);
      if (!arches.length) {
        skip(`architecture ${archSpec} has no bpfkit table`);
        continue;
      }
      if (arches.some((a) => needsMultiplexing(a, sys))) {
        skip(`${name}: ${MULTIPLEXED_SKIP}`);
        continue;
      }
      let ok = true;
      let ran = false;
      for (const arch of arches) {
        const f = filterFor(arch);
        if (f instanceof Error) {
          ok = false;
          res.failures.push(`${name} ${arch}: policy does not compile: ${f.message.split('\n')[0]}`);
          break;
        }
        let nrs: number[];
        if (/^-?\d|^0x/.test(sys)) nrs = expandValue(sys).map((v) => Number(v & 0xffffffffn));
        else {
          const nr = syscallNumber(arch, sys);
          if (nr === undefined) continue; // this architecture has no such call
          nrs = [nr];
        }
        for (const nr of nrs) {
          for (const args of product(rest.slice(0, 6).map(expandValue))) {
            ran = true;
            const got = formatAction(simulateSeccomp(f.insns, { arch, syscall: nr, args }).action);
            if (got !== expected) {
              ok = false;
              if (res.failures.length < 200) res.failures.push(`${name} ${arch} ${sys}(${nr}) [${args.join(',')}]: expected ${expected}, got ${got}`);
              break;
            }
          }
          if (!ok) break;
        }
        if (!ok) break;
      }
      if (!ran && ok) skip(`${name}: system call ${sys} not on any tested architecture`);
      else if (ok) res.passed++;
      else res.failed++;
    }
    if (verbose) process.stderr.write(`${name}: done\n`);
  }
  return res;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const verbose = process.argv.includes('-v');
  const r = runConformance(defaultTestsDir, verbose);
  for (const f of r.failures.slice(0, verbose ? 200 : 20)) console.log(`FAIL ${f}`);
  const skipped = [...r.skipped.values()].reduce((a, b) => a + b, 0);
  console.log(`skipped ${skipped} rows:`);
  for (const [reason, n] of [...r.skipped].sort((a, b) => b[1] - a[1])) console.log(`  ${n}\t${reason}`);
  console.log(`${r.passed} passed, ${r.failed} failed`);
  process.exitCode = r.failed ? 1 : 0;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ParseError } from '../../../src/sys/errors.js';
import { formatAction, parseAction, parsePolicy, actionValue, actionFromValue, SYSCALL_TABLES, ARCH_NAMES, X32_SYSCALL_BIT, AUDIT_ARCH } from '../../../src/cbpf/seccomp/index.js';
import { main } from '../../../src/cli/seccomp.js';
import { need, peerDir } from '../../helpers/env.js';

test('bpfkit policy: actions, conditions, shorthands, architectures', () => {
  const p = parsePolicy(`
default: ERRNO(EPERM)
badArch: TRAP
architectures: [amd64, i386]
flags: [log]
rules:
  - syscall: socket
    action: ERRNO(EAFNOSUPPORT)
    args: ["arg0 == 10", {arg: 1, op: "&", mask: 0xf, value: 2}, "arg2 >= 0x100000000"]
  - { syscalls: [mmap, mprotect], action: KILL_PROCESS, args: ["arg2 & 0x4 == 4"], arches: [x86_64] }
allow: [read, write]
LOG: [getpid]
`);
  assert.equal(formatAction(p.defaultAction), 'ERRNO(1)');
  assert.equal(formatAction(p.badArchAction), 'TRAP');
  assert.deepEqual(p.architectures, ['x86_64', 'x86']);
  assert.equal(p.flags.log, true);
  assert.deepEqual(p.rules.map((r) => [r.syscall, formatAction(r.action)]), [
    ['socket', 'ERRNO(97)'], ['mmap', 'KILL_PROCESS'], ['mprotect', 'KILL_PROCESS'], ['read', 'ALLOW'], ['write', 'ALLOW'], ['getpid', 'LOG'],
  ]);
  assert.deepEqual(p.rules[0].conditions, [
    { arg: 0, op: 'eq', value: 10n },
    { arg: 1, op: 'masked_eq', mask: 0xfn, value: 2n },
    { arg: 2, op: 'ge', value: 0x100000000n },
  ]);
  assert.deepEqual(p.rules[1].arches, ['x86_64']);
  assert.equal(p.rules[0].source?.line, 7);
});

test('JSON policies load through the same schema', () => {
  const p = parsePolicy(JSON.stringify({ default: 'KILL_PROCESS', rules: [{ syscall: 'read', action: 'ALLOW', args: ['arg0 != -1'] }] }));
  assert.equal(p.rules[0].conditions[0].value, 0xffffffffffffffffn);
});

test('every action parses, prints and maps to its SECCOMP_RET_* word and back', () => {
  for (const text of ['ALLOW', 'ERRNO(1)', 'KILL_PROCESS', 'KILL_THREAD', 'TRAP', 'LOG', 'TRACE(5)', 'USER_NOTIF']) {
    const a = parseAction(text);
    assert.notEqual(typeof a, 'string', text);
    if (typeof a === 'string') continue;
    assert.equal(formatAction(a), text);
    assert.equal(formatAction(actionFromValue(actionValue(a))), text);
  }
  assert.equal(formatAction(parseAction('SCMP_ACT_ERRNO(EACCES)') as never), 'ERRNO(13)');
  assert.match(parseAction('ERRNO') as string, /needs/);
  assert.match(parseAction('DENY') as string, /unknown action/);
});

test('bad policies point at the key and line', () => {
  const bad = (text: string, re: RegExp, line?: number) => {
    try {
      parsePolicy(text, { file: 'p.yaml' });
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof ParseError, String(e));
      assert.match(e.message, re);
      if (line !== undefined) assert.equal(e.line, line, e.message);
      assert.match(e.message, /^p\.yaml:\d+:\d+: /);
    }
  };
  bad('default: ALLOW\nrules:\n  - syscall: wrte\n    action: ALLOW\n', /unknown system call 'wrte'/, 3);
  bad('default: ALLOW\nrules:\n  - syscall: write\n    action: PERMIT\n', /unknown action 'PERMIT'/, 4);
  bad('default: ALLOW\nrules:\n  - syscall: write\n    action: ALLOW\n    args: ["arg7 == 1"]\n', /bad argument condition/, 5);
  bad('rules: []\n', /no default action/, 1);
  bad('default: ALLOW\narchitectures: [vax]\n', /unknown architecture 'vax'/, 2);
  bad('default: ALLOW\nrulez: []\n', /unknown key 'rulez'/, 2);
  bad('default: ALLOW\nallow: [read\n', /./); // YAML syntax errors carry the parser's position
  bad('{"defaultAction": "SCMP_ACT_NOPE"}', /unknown defaultAction/, 1);
});

test('OCI profile: architectures, errnoRet, ops, repeated argument index', () => {
  const p = parsePolicy(JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
    flags: ['SECCOMP_FILTER_FLAG_LOG'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      { names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['no_such_call'], action: 'SCMP_ACT_ALLOW' },
    ],
  }));
  assert.equal(formatAction(p.defaultAction), 'ERRNO(38)');
  assert.deepEqual(p.architectures, ['x86_64', 'aarch64']);
  assert.equal(p.flags.log, true);
  // Same index twice: runc's reading is "either", one rule per condition.
  assert.deepEqual(p.rules.filter((r) => r.syscall === 'personality').map((r) => r.conditions.length), [1, 1]);
  assert.deepEqual(p.rules.find((r) => r.syscall === 'clone')!.conditions, [{ arg: 0, op: 'masked_eq', mask: 0x7e020000n, value: 0n }]);
  assert.match(p.warnings.join('\n'), /no_such_call/);
});

test('generated tables agree with libseccomp syscalls.csv for every call both know', (t) => {
  const csv = join(peerDir, 'libseccomp/src/syscalls.csv');
  if (!need(t, existsSync(csv), `needs ${csv}`)) return;
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  const header = lines[0].replace(/^#/, '').split(',');
  let compared = 0;
  for (const arch of ARCH_NAMES) {
    // ppc64 and ppc64le number their calls alike; the csv has the one column.
    const col = header.indexOf(arch === 'ppc64le' ? 'ppc64' : arch);
    assert.ok(col > 0, `csv has a column for ${arch}`);
    const table = SYSCALL_TABLES[arch].syscalls as Record<string, number>;
    for (const line of lines.slice(1)) {
      const f = line.split(',');
      const theirs = Number(f[col]);
      if (!Number.isInteger(theirs) || !(f[0] in table)) continue;
      // x32 numbers carry the x32 bit in the kernel's headers.
      const ours = arch === 'x32' ? table[f[0]] & ~X32_SYSCALL_BIT : table[f[0]];
      assert.equal(ours, theirs, `${arch} ${f[0]}`);
      compared++;
    }
  }
  assert.ok(compared > 2500, `compared ${compared}`);
  assert.equal(SYSCALL_TABLES.x32.syscalls.read, X32_SYSCALL_BIT);
  assert.equal(SYSCALL_TABLES.x86_64.audit, AUDIT_ARCH.X86_64);
  assert.equal(SYSCALL_TABLES.s390x.endian, 'big');
});

test('bpfkit seccomp simulate and compile (CLI)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-seccomp-cli-'));
  const out: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  try {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, 'default: ALLOW\narchitectures: [x86_64, aarch64]\nrules:\n  - {syscall: write, action: ERRNO(EPERM)}\n  - {syscall: socket, action: KILL_PROCESS, args: ["arg0 == 10"]}\n');
    process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
    assert.equal(await main(['simulate', file, '--arch', 'x86_64', '--syscall', 'write']), 0);
    assert.equal(await main(['simulate', file, '--arch', 'arm64', '--syscall', 'socket', '--args', '10,1,0']), 0);
    assert.equal(await main(['simulate', file, '--arch', 'arm64', '--syscall', 'socket', '--args', '2,1,0']), 0);
    assert.equal(await main(['simulate', file, '--arch', 'x86', '--syscall', 'read']), 0);
    const bin = join(dir, 'f.bin');
    assert.equal(await main(['compile', file, '--format', 'raw', '-o', bin]), 0);
    assert.equal(readFileSync(bin).length % 8, 0);
  } finally {
    process.stdout.write = orig;
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(out, ['ERRNO(1)\n', 'KILL_PROCESS\n', 'ALLOW\n', 'KILL_PROCESS\n']);
});

// Loading, running and inspecting programs in the running kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Program } from '../../../src/program.js';
import { BpfMap } from '../../../src/map.js';
import { VerifierError, BpfError } from '../../../src/sys/errors.js';
import { needRoot, needTool, repoRoot } from '../../helpers/env.js';

// Hand-encoded instructions: the assembler has its own tests; these keep the core independent of it.
const insn = (code: number, dst: number, src: number, off: number, imm: number) => {
  const b = Buffer.alloc(8);
  b[0] = code;
  b[1] = (src << 4) | dst;
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
};
const mov64 = (dst: number, imm: number) => insn(0xb7, dst, 0, 0, imm);
const exit = () => insn(0x95, 0, 0, 0, 0);
const call = (helper: number) => insn(0x85, 0, 0, 0, helper);
const ldMapFd = (dst: number, fd: number) => Buffer.concat([insn(0x18, dst, 1, 0, fd), insn(0, 0, 0, 0, 0)]);

test('r0 = 42; exit as a socket filter returns 42 from testRun', (t) => {
  if (!needRoot(t)) return;
  using p = Program.load({ type: 'socket_filter', instructions: Buffer.concat([mov64(0, 42), exit()]), name: 'answer' });
  const r = p.testRun({ data: Buffer.alloc(64) });
  assert.equal(r.retval, 42);
  const info = p.info();
  assert.equal(info.name, 'answer');
  assert.equal(info.type, 'socket_filter');
  assert.match(info.tag, /^[0-9a-f]{16}$/);
  assert.equal(info.xlated.length, 16);
  assert.ok(info.id > 0);
  // The same object comes back by id.
  using again = Program.fromId(info.id);
  assert.equal(again.info().tag, info.tag);
});

test('a program that exits without setting r0 is refused with the verifier log', (t) => {
  if (!needRoot(t)) return;
  assert.throws(
    () => Program.load({ type: 'socket_filter', instructions: exit() }),
    (e: unknown) => e instanceof VerifierError && /R0 !read_ok/.test(e.log) && e.summary.includes('R0 !read_ok') && e.code === 'EACCES',
  );
});

test('logLevel 2 keeps the verifier log of a program that loads', (t) => {
  if (!needRoot(t)) return;
  using p = Program.load({ type: 'socket_filter', instructions: Buffer.concat([mov64(0, 1), exit()]), logLevel: 2, logSize: 1024 });
  assert.match(p.verifierLog ?? '', /processed 2 insns/);
});

test('a tail call through a prog array runs the second program', (t) => {
  if (!needRoot(t)) return;
  using jumps = BpfMap.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 1 });
  using second = Program.load({ type: 'socket_filter', instructions: Buffer.concat([mov64(0, 7), exit()]) });
  // r2 = &jumps; r3 = 0; call bpf_tail_call; r0 = 1; exit  (r1 = ctx is already there)
  using first = Program.load({
    type: 'socket_filter',
    instructions: Buffer.concat([ldMapFd(2, jumps.fd.raw), mov64(3, 0), call(12), mov64(0, 1), exit()]),
  });
  assert.equal(first.testRun({ data: Buffer.alloc(64) }).retval, 1, 'empty slot: falls through');
  jumps.update(0, second);
  assert.equal(first.testRun({ data: Buffer.alloc(64) }).retval, 7, 'filled slot: jumps');
});

test('without privilege, loading says what privilege is missing', (t) => {
  if (!needRoot(t) || !needTool(t, 'setpriv')) return;
  const programUrl = new URL('../../../src/program.js', import.meta.url).href;
  const script = `
    const { Program } = await import(${JSON.stringify(programUrl)});
    try {
      Program.load({ type: 'socket_filter', instructions: Buffer.from('b7000000010000009500000000000000', 'hex') });
      console.log('LOADED');
    } catch (e) { console.log(e.name + ': ' + e.message); }`;
  // An unprivileged process: uid 0 with every capability dropped (bounding set emptied before exec),
  // so it can still read a checkout that only root may read, but holds no CAP_BPF/CAP_SYS_ADMIN.
  const r = spawnSync('setpriv', ['--bounding-set=-all', '--inh-caps=-all', '--', process.execPath, ...process.execArgv, '--input-type=module', '-e', script], {
    encoding: 'utf8', cwd: repoRoot, timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /BpfError: .*(EPERM|EACCES)/);
  assert.match(r.stdout, /root|CAP_BPF/);
  assert.doesNotMatch(r.stdout, /MEMLOCK/i);
});

test('bad instructions are refused before the kernel sees them', () => {
  assert.throws(() => Program.load({ type: 'socket_filter', instructions: Buffer.alloc(7) }), /multiple of 8/);
  assert.throws(() => Program.load({ type: 'no_such_type' as never, instructions: exit() }), /unknown program type 'no_such_type'/);
});

test('a closed program cannot be used', (t) => {
  if (!needRoot(t)) return;
  const p = Program.load({ type: 'socket_filter', instructions: Buffer.concat([mov64(0, 0), exit()]) });
  p.close();
  p.close();
  assert.throws(() => p.testRun(), (e: unknown) => e instanceof BpfError && e.code === 'EBADF');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stmt, jump, checkCbpf, isValidCbpf, assertValidCbpf, CbpfValidationError, SKF_AD_OFF } from '../../../src/cbpf/index.js';

const RET_K = 0x06, LD_IMM = 0x00, LD_MEM = 0x60, ST = 0x02, JEQ_K = 0x15, JA = 0x05, LD_B_ABS = 0x30;

test('accepts a minimal program and refuses empty or oversized ones', () => {
  assert.ok(isValidCbpf([stmt(RET_K, 0)]));
  assert.ok(!isValidCbpf([]));
  assert.ok(!isValidCbpf(Array.from({ length: 4097 }, () => stmt(RET_K, 0))));
  assert.ok(isValidCbpf(Array.from({ length: 4096 }, () => stmt(RET_K, 0))));
});

test('the last instruction must return', () => {
  assert.match(checkCbpf([stmt(LD_IMM, 1)])[0].message, /return/);
});

test('refuses unknown opcodes, constant division by zero and wide shifts', () => {
  assert.ok(!isValidCbpf([stmt(0x0e, 0), stmt(RET_K, 0)])); // ret x does not exist
  assert.ok(!isValidCbpf([stmt(0x34, 0), stmt(RET_K, 0)]));
  assert.ok(!isValidCbpf([stmt(0x94, 0), stmt(RET_K, 0)]));
  assert.ok(isValidCbpf([stmt(0x34, 3), stmt(RET_K, 0)]));
  assert.ok(!isValidCbpf([stmt(0x64, 32), stmt(RET_K, 0)]));
  assert.ok(isValidCbpf([stmt(0x74, 31), stmt(RET_K, 0)]));
});

test('jumps must land inside the program', () => {
  assert.ok(isValidCbpf([jump(JEQ_K, 1, 0, 1), stmt(RET_K, 1), stmt(RET_K, 0)]));
  assert.ok(!isValidCbpf([jump(JEQ_K, 1, 0, 2), stmt(RET_K, 1), stmt(RET_K, 0)]));
  assert.ok(!isValidCbpf([stmt(JA, 1), stmt(RET_K, 0)]));
  assert.ok(isValidCbpf([stmt(JA, 0), stmt(RET_K, 0)]));
});

test('scratch memory: index below 16, written on every path before it is read', () => {
  assert.ok(!isValidCbpf([stmt(ST, 16), stmt(RET_K, 0)]));
  assert.ok(isValidCbpf([stmt(ST, 15), stmt(LD_MEM, 15), stmt(RET_K, 0)]));
  assert.match(checkCbpf([stmt(LD_MEM, 2), stmt(RET_K, 0)])[0].message, /M\[2\]/);
  // Stored on only one branch, then read where the branches meet.
  const oneSided = [stmt(LD_B_ABS, 0), jump(JEQ_K, 1, 0, 1), stmt(ST, 0), stmt(LD_MEM, 0), stmt(RET_K, 0)];
  assert.ok(!isValidCbpf(oneSided));
  const bothSides = [stmt(ST, 0), stmt(LD_B_ABS, 0), jump(JEQ_K, 1, 0, 1), stmt(ST, 0), stmt(LD_MEM, 0), stmt(RET_K, 0)];
  assert.ok(isValidCbpf(bothSides));
});

test('only known ancillary loads are accepted', () => {
  assert.ok(isValidCbpf([stmt(0x20, (SKF_AD_OFF + 60) >>> 0), stmt(RET_K, 0)]));
  assert.ok(!isValidCbpf([stmt(0x20, (SKF_AD_OFF + 64) >>> 0), stmt(RET_K, 0)]));
});

test('seccomp mode allows aligned word loads inside seccomp_data only', () => {
  const opts = { mode: 'seccomp' as const };
  assert.ok(isValidCbpf([stmt(0x20, 4), stmt(RET_K, 0x7fff0000)], opts));
  assert.ok(!isValidCbpf([stmt(0x20, 2), stmt(RET_K, 0)], opts));
  assert.ok(!isValidCbpf([stmt(0x20, 64), stmt(RET_K, 0)], opts));
  assert.ok(!isValidCbpf([stmt(0x28, 0), stmt(RET_K, 0)], opts)); // halfword loads
  assert.ok(!isValidCbpf([stmt(0x94, 3), stmt(RET_K, 0)], opts)); // mod
  assert.ok(isValidCbpf([stmt(0x80, 0), stmt(RET_K, 0)], opts)); // len becomes 64
});

test('assertValidCbpf names the instruction', () => {
  assert.throws(() => assertValidCbpf([stmt(ST, 20), stmt(RET_K, 0)]), (e: unknown) =>
    e instanceof CbpfValidationError && /instruction 0/.test(e.message));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type CbpfInsn, stmt, jump, runCbpf, runSeccomp, seccompData, CbpfRuntimeError,
  SKF_AD_OFF, SKF_AD_PROTOCOL, SKF_AD_IFINDEX, SKF_AD_ALU_XOR_X, SKF_AD_VLAN_TAG_PRESENT, SKF_AD_NLATTR,
  SKF_AD_NLATTR_NEST, SKF_AD_RANDOM, SKF_NET_OFF, SKF_LL_OFF,
} from '../../../src/cbpf/index.js';

// Opcodes spelled out so the test does not lean on the code under test.
const LD_W_ABS = 0x20, LD_H_ABS = 0x28, LD_B_ABS = 0x30, LD_H_IND = 0x48, LD_B_IND = 0x50, LD_LEN = 0x80, LD_IMM = 0x00;
const LDX_IMM = 0x01, LDX_MSH = 0xb1, LD_MEM = 0x60, LDX_MEM = 0x61, ST = 0x02, STX = 0x03;
const RET_K = 0x06, RET_A = 0x16, TAX = 0x07, TXA = 0x87, JEQ_K = 0x15, JGT_K = 0x25, JSET_K = 0x45, JA = 0x05;

function pkt(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

test('loads are big endian, bounded by the captured bytes, and fail with 0', () => {
  const p = pkt(0x12, 0x34, 0x56, 0x78, 0x9a);
  assert.equal(runCbpf([stmt(LD_W_ABS, 0), stmt(RET_A, 0)], p), 0x12345678);
  assert.equal(runCbpf([stmt(LD_W_ABS, 1), stmt(RET_A, 0)], p), 0x3456789a);
  assert.equal(runCbpf([stmt(LD_H_ABS, 3), stmt(RET_A, 0)], p), 0x789a);
  assert.equal(runCbpf([stmt(LD_B_ABS, 4), stmt(RET_A, 0)], p), 0x9a);
  // One byte past the end: the program stops with 0 even though it would return 7.
  assert.equal(runCbpf([stmt(LD_W_ABS, 2), stmt(RET_K, 7)], p), 0);
  assert.equal(runCbpf([stmt(LD_B_ABS, 5), stmt(RET_K, 7)], p), 0);
  // A huge offset is negative as a signed int and below SKF_LL_OFF: fails.
  assert.equal(runCbpf([stmt(LD_B_ABS, 0x80000000), stmt(RET_K, 7)], p), 0);
});

test('indirect loads add X with 32-bit wrap; ldxb msh reads the IPv4 header length', () => {
  const p = pkt(0x45, 0, 0xab, 0xcd, 0xef);
  assert.equal(runCbpf([stmt(LDX_IMM, 2), stmt(LD_H_IND, 0), stmt(RET_A, 0)], p), 0xabcd);
  assert.equal(runCbpf([stmt(LDX_IMM, 0xffffffff), stmt(LD_B_IND, 5), stmt(RET_A, 0)], p), 0xef);
  assert.equal(runCbpf([stmt(LDX_MSH, 0), stmt(TXA, 0), stmt(RET_A, 0)], p), 20);
  assert.equal(runCbpf([stmt(LDX_MSH, 9), stmt(RET_K, 1)], p), 0);
});

test('len uses the wire length; ALU is 32-bit unsigned', () => {
  const p = pkt(1, 2, 3);
  assert.equal(runCbpf([stmt(LD_LEN, 0), stmt(RET_A, 0)], p), 3);
  assert.equal(runCbpf([stmt(LD_LEN, 0), stmt(RET_A, 0)], p, { wirelen: 1500 }), 1500);
  const alu = (code: number, a: number, k: number) => runCbpf([stmt(LD_IMM, a), stmt(code, k), stmt(RET_A, 0)], p);
  assert.equal(alu(0x04, 0xffffffff, 2), 1); // add wraps
  assert.equal(alu(0x14, 1, 2), 0xffffffff); // sub wraps
  assert.equal(alu(0x24, 0x10000, 0x10001), 0x10000); // mul keeps the low 32 bits
  assert.equal(alu(0x34, 0xffffffff, 2), 0x7fffffff); // unsigned div
  assert.equal(alu(0x94, 17, 5), 2);
  assert.equal(alu(0x54, 0xf0f0, 0xff00), 0xf000);
  assert.equal(alu(0x44, 0xf0, 0x0f), 0xff);
  assert.equal(alu(0xa4, 0xff, 0x0f), 0xf0);
  assert.equal(alu(0x64, 1, 31), 0x80000000);
  assert.equal(alu(0x74, 0x80000000, 31), 1);
  assert.equal(runCbpf([stmt(LD_IMM, 5), stmt(0x84, 0), stmt(RET_A, 0)], p), 0xfffffffb);
  // Shift by X uses the low 5 bits, as the kernel's eBPF interpreter and JITs do.
  assert.equal(runCbpf([stmt(LD_IMM, 1), stmt(LDX_IMM, 33), stmt(0x6c, 0), stmt(RET_A, 0)], p), 2);
});

test('division or modulo by a zero X returns 0', () => {
  const p = pkt();
  assert.equal(runCbpf([stmt(LD_IMM, 10), stmt(LDX_IMM, 0), stmt(0x3c, 0), stmt(RET_K, 9)], p), 0);
  assert.equal(runCbpf([stmt(LD_IMM, 10), stmt(LDX_IMM, 0), stmt(0x9c, 0), stmt(RET_K, 9)], p), 0);
  assert.equal(runCbpf([stmt(LD_IMM, 10), stmt(LDX_IMM, 3), stmt(0x3c, 0), stmt(RET_A, 0)], p), 3);
});

test('jumps are relative to the next instruction; scratch memory and register moves', () => {
  const prog: CbpfInsn[] = [
    stmt(LD_B_ABS, 0),
    jump(JEQ_K, 1, 0, 2),
    stmt(LD_IMM, 100),
    stmt(JA, 1),
    stmt(LD_IMM, 200),
    stmt(ST, 3),
    stmt(LDX_MEM, 3),
    stmt(TXA, 0),
    stmt(RET_A, 0),
  ];
  assert.equal(runCbpf(prog, pkt(1)), 100);
  assert.equal(runCbpf(prog, pkt(2)), 200);
  assert.equal(runCbpf([stmt(LD_IMM, 5), jump(JGT_K, 5, 0, 1), stmt(RET_K, 1), stmt(RET_K, 2)], pkt()), 2);
  assert.equal(runCbpf([stmt(LD_IMM, 6), jump(JGT_K, 5, 0, 1), stmt(RET_K, 1), stmt(RET_K, 2)], pkt()), 1);
  assert.equal(runCbpf([stmt(LD_IMM, 6), jump(JSET_K, 1, 0, 1), stmt(RET_K, 1), stmt(RET_K, 2)], pkt()), 2);
  assert.equal(runCbpf([stmt(LD_IMM, 9), stmt(TAX, 0), stmt(STX, 15), stmt(LD_MEM, 15), stmt(RET_A, 0)], pkt()), 9);
});

test('ancillary loads read socket-buffer metadata', () => {
  const anc = (off: number, opts = {}) => runCbpf([stmt(LD_W_ABS, (SKF_AD_OFF + off) >>> 0), stmt(RET_A, 0)], pkt(), opts);
  assert.equal(anc(SKF_AD_PROTOCOL, { ancillary: { protocol: 0x86dd } }), 0x86dd);
  assert.equal(anc(SKF_AD_IFINDEX, { ancillary: { ifindex: 7 } }), 7);
  assert.equal(anc(SKF_AD_VLAN_TAG_PRESENT, { ancillary: { vlanTagPresent: true } }), 1);
  assert.equal(anc(SKF_AD_RANDOM, { ancillary: { random: () => 0xdeadbeef } }), 0xdeadbeef);
  assert.equal(runCbpf([stmt(LD_IMM, 0xf0), stmt(LDX_IMM, 0x0f), stmt(LD_W_ABS, (SKF_AD_OFF + SKF_AD_ALU_XOR_X) >>> 0), stmt(RET_A, 0)], pkt()), 0xff);
  // An unknown extension is an out-of-bounds load.
  assert.equal(anc(64), 0);
});

test('netlink attribute lookups find the attribute offset', () => {
  // Two attributes: type 1 (len 5, padded to 8) at 0, type 2 (len 12) at 8 holding nested type 3 (len 8) at 12.
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  v.setUint16(0, 5, true); v.setUint16(2, 1, true);
  v.setUint16(8, 12, true); v.setUint16(10, 2 | 0x8000, true);
  v.setUint16(12, 8, true); v.setUint16(14, 3, true);
  const find = (which: number, a: number, x: number) =>
    runCbpf([stmt(LD_IMM, a), stmt(LDX_IMM, x), stmt(LD_W_ABS, (SKF_AD_OFF + which) >>> 0), stmt(RET_A, 0)], b);
  assert.equal(find(SKF_AD_NLATTR, 0, 2), 8);
  assert.equal(find(SKF_AD_NLATTR, 0, 9), 0);
  assert.equal(find(SKF_AD_NLATTR_NEST, 8, 3), 12);
});

test('SKF_NET_OFF and SKF_LL_OFF read relative to the header offsets', () => {
  const p = pkt(0xaa, 0xbb, 0xcc, 0xdd);
  assert.equal(runCbpf([stmt(LD_B_ABS, (SKF_NET_OFF + 1) >>> 0), stmt(RET_A, 0)], p, { netOffset: 2 }), 0xdd);
  assert.equal(runCbpf([stmt(LD_B_ABS, (SKF_LL_OFF + 1) >>> 0), stmt(RET_A, 0)], p), 0xbb);
  assert.equal(runCbpf([stmt(LD_H_ABS, (SKF_NET_OFF + 1) >>> 0), stmt(RET_K, 1)], p, { netOffset: 2 }), 0);
});

test('seccomp filters read host-endian words of struct seccomp_data', () => {
  const data = seccompData({ nr: 59, arch: 0xc000003e, args: [0x1_0000_0002n] });
  const prog = [
    stmt(LD_W_ABS, 4),
    jump(JEQ_K, 0xc000003e, 1, 0),
    stmt(RET_K, 0),
    stmt(LD_W_ABS, 0),
    jump(JEQ_K, 59, 0, 3),
    stmt(LD_W_ABS, 16), // low half of args[0] on little endian
    jump(JEQ_K, 2, 0, 1),
    stmt(RET_K, 0x00050001), // SECCOMP_RET_ERRNO | EPERM
    stmt(RET_K, 0x7fff0000), // SECCOMP_RET_ALLOW
  ];
  assert.equal(runSeccomp(prog, data), 0x00050001);
  assert.equal(runSeccomp(prog, seccompData({ nr: 1, arch: 0xc000003e })), 0x7fff0000);
  assert.equal(runSeccomp([stmt(LD_LEN, 0), stmt(RET_A, 0)], data), 64);
  assert.equal(runCbpf([stmt(LD_W_ABS, 20), stmt(RET_A, 0)], data, { byteOrder: 'host' }), 1);
});

test('programs the kernel would refuse throw instead of running off the end', () => {
  assert.throws(() => runCbpf([stmt(LD_IMM, 1)], pkt()), CbpfRuntimeError);
  assert.throws(() => runCbpf([stmt(0xff, 0), stmt(RET_K, 0)], pkt()), /unknown opcode/);
});

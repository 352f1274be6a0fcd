// A generated table of instructions covering every opcode the ISA defines (RFC 9669 plus the
// kernel's documented extensions), with varied registers, offsets and immediates.
import type { Instruction } from '../../../src/asm/index.js';
import * as o from '../../../src/asm/opcode.js';

export interface Row {
  insn: Instruction;
  /** Kernel extensions outside RFC 9669 (strict validation rejects or does not cover them). */
  extension?: boolean;
  /** bpftool's text cannot carry it; only the lossless spelling round-trips. */
  lossy?: boolean;
}

const mk = (code: number, dst = 0, src = 0, off = 0, imm = 0): Instruction => ({ code, dst, src, off, imm });
const imms = [0, 1, -1, 42, 0x7fffffff, -0x80000000, 0x1234];
const offs = [0, 1, -1, 3, -8, 0x7fff, -0x8000];

export function table(): Row[] {
  const rows: Row[] = [];
  let k = 0;
  const pick = <T>(a: readonly T[]): T => a[k++ % a.length];
  const reg = (): number => k++ % 11;
  for (const klass of [o.BPF_ALU, o.BPF_ALU64]) {
    for (const op of [o.BPF_ADD, o.BPF_SUB, o.BPF_MUL, o.BPF_DIV, o.BPF_OR, o.BPF_AND, o.BPF_LSH, o.BPF_RSH, o.BPF_MOD, o.BPF_XOR, o.BPF_MOV, o.BPF_ARSH]) {
      for (let i = 0; i < 3; i++) {
        rows.push({ insn: mk(klass | op | o.BPF_K, reg(), 0, 0, pick(imms)) });
        rows.push({ insn: mk(klass | op | o.BPF_X, reg(), reg()) });
      }
    }
    for (const op of [o.BPF_DIV, o.BPF_MOD]) {
      rows.push({ insn: mk(klass | op | o.BPF_K, reg(), 0, 1, pick(imms)) });
      rows.push({ insn: mk(klass | op | o.BPF_X, reg(), reg(), 1) });
    }
    for (const bits of klass === o.BPF_ALU64 ? [8, 16, 32] : [8, 16]) rows.push({ insn: mk(klass | o.BPF_MOV | o.BPF_X, reg(), reg(), bits) });
    rows.push({ insn: mk(klass | o.BPF_NEG, reg()) });
    for (const bits of [16, 32, 64]) {
      if (klass === o.BPF_ALU) {
        rows.push({ insn: mk(o.BPF_ALU | o.BPF_END | o.BPF_TO_LE, reg(), 0, 0, bits) });
        rows.push({ insn: mk(o.BPF_ALU | o.BPF_END | o.BPF_TO_BE, reg(), 0, 0, bits) });
      } else {
        rows.push({ insn: mk(o.BPF_ALU64 | o.BPF_END, reg(), 0, 0, bits) });
      }
    }
  }
  rows.push({ insn: mk(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 1, 2, o.BPF_ADDR_SPACE_CAST, (1 << 16) | 0), extension: true });
  rows.push({ insn: mk(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, 3, 4, -1), extension: true });

  for (const klass of [o.BPF_JMP, o.BPF_JMP32]) {
    for (const op of [o.BPF_JEQ, o.BPF_JGT, o.BPF_JGE, o.BPF_JSET, o.BPF_JNE, o.BPF_JSGT, o.BPF_JSGE, o.BPF_JLT, o.BPF_JLE, o.BPF_JSLT, o.BPF_JSLE]) {
      rows.push({ insn: mk(klass | op | o.BPF_K, reg(), 0, pick(offs), pick(imms)) });
      rows.push({ insn: mk(klass | op | o.BPF_X, reg(), reg(), pick(offs)) });
    }
  }
  for (const off of offs) rows.push({ insn: mk(o.BPF_JMP | o.BPF_JA, 0, 0, off) });
  for (const imm of [0, 5, -3, 100000, -100000]) rows.push({ insn: mk(o.BPF_JMP32 | o.BPF_JA, 0, 0, 0, imm) });
  for (const imm of [0, 1, 5, 12, 130, 211]) rows.push({ insn: mk(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_HELPER_CALL, 0, imm) });
  rows.push({ insn: mk(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_HELPER_CALL, 0, 100000) }); // no such helper: "unknown"
  for (const imm of [3, -7]) rows.push({ insn: mk(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_PSEUDO_CALL, 0, imm) });
  rows.push({ insn: mk(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_PSEUDO_KFUNC_CALL, 0, 61234) });
  rows.push({ insn: mk(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_PSEUDO_KFUNC_CALL, 2, 61234), lossy: true });
  rows.push({ insn: mk(o.BPF_JMP | o.BPF_CALL | o.BPF_X, 3), lossy: true, extension: true });
  rows.push({ insn: mk(o.BPF_JMP | o.BPF_EXIT) });
  rows.push({ insn: mk(o.BPF_JMP | o.BPF_JCOND, 0, o.BPF_MAY_GOTO, 9), extension: true });
  rows.push({ insn: mk(o.BPF_JMP | o.BPF_JA | o.BPF_X, 4), extension: true });

  const sizes = [o.BPF_B, o.BPF_H, o.BPF_W, o.BPF_DW];
  for (const size of sizes) {
    rows.push({ insn: mk(o.BPF_LDX | o.BPF_MEM | size, reg(), reg(), pick(offs)) });
    rows.push({ insn: mk(o.BPF_ST | o.BPF_MEM | size, reg(), 0, pick(offs), pick(imms)) });
    rows.push({ insn: mk(o.BPF_STX | o.BPF_MEM | size, reg(), reg(), pick(offs)) });
    if (size !== o.BPF_DW) {
      rows.push({ insn: mk(o.BPF_LDX | o.BPF_MEMSX | size, reg(), reg(), pick(offs)) });
      rows.push({ insn: mk(o.BPF_LD | o.BPF_ABS | size, 0, 0, 0, pick(imms)) });
      rows.push({ insn: mk(o.BPF_LD | o.BPF_IND | size, 0, reg(), 0, pick(imms)) });
    }
    rows.push({ insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, reg(), reg(), pick(offs), o.BPF_LOAD_ACQ), extension: true });
    rows.push({ insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, reg(), reg(), pick(offs), o.BPF_STORE_REL), extension: true });
  }
  for (const size of [o.BPF_W, o.BPF_DW]) {
    for (const a of [o.BPF_ADD, o.BPF_OR, o.BPF_AND, o.BPF_XOR]) {
      rows.push({ insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, reg(), reg(), pick(offs), a) });
      rows.push({ insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, reg(), reg(), pick(offs), a | o.BPF_FETCH) });
    }
    rows.push({ insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, reg(), reg(), pick(offs), o.BPF_XCHG) });
    rows.push({ insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, reg(), 7, pick(offs), o.BPF_CMPXCHG) });
  }
  const ld = (dst: number, src: number, imm: number, imm2: number): Instruction => ({ code: o.LD_IMM64, dst, src, off: 0, imm, imm2 });
  rows.push({ insn: ld(0, 0, 0x55667788, 0x11223344) });
  rows.push({ insn: ld(3, 0, -1, -1) });
  rows.push({ insn: ld(9, 0, 7, 0) });
  rows.push({ insn: ld(1, o.BPF_PSEUDO_MAP_FD, 5, 0) });
  rows.push({ insn: ld(2, o.BPF_PSEUDO_MAP_VALUE, 6, 16) });
  rows.push({ insn: ld(3, o.BPF_PSEUDO_BTF_ID, 1234, 0), lossy: true });
  rows.push({ insn: ld(4, o.BPF_PSEUDO_FUNC, 12, 0) });
  rows.push({ insn: ld(5, o.BPF_PSEUDO_FUNC, -4, 0) });
  rows.push({ insn: ld(5, o.BPF_PSEUDO_MAP_IDX, 2, 0), lossy: true });
  rows.push({ insn: ld(6, o.BPF_PSEUDO_MAP_IDX_VALUE, 1, 8) });
  return rows;
}

/** Every opcode byte the table exercises (for the coverage assertion). */
export function opcodesIn(rows: Row[]): Set<number> {
  return new Set(rows.map((r) => r.insn.code));
}

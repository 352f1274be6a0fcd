// The instruction model: one struct bpf_insn, except that ld_imm64 is one Instruction covering two
// 8-byte slots. Jump and call offsets on the wire count slots, so `slotIndex()` is what maps an
// Instruction's position in an array to the position the kernel sees.
import { BPF_PSEUDO_CALL, BPF_JMP, BPF_CALL, LD_IMM64 } from './opcode.js';

/** A register operand: builders take these so that `mov64(R1, R2)` and `mov64(R1, 2)` differ. */
export class Reg {
  constructor(readonly n: number) {
    Object.freeze(this);
  }
  toString(): string {
    return `r${this.n}`;
  }
}
export const R0 = new Reg(0);
export const R1 = new Reg(1);
export const R2 = new Reg(2);
export const R3 = new Reg(3);
export const R4 = new Reg(4);
export const R5 = new Reg(5);
export const R6 = new Reg(6);
export const R7 = new Reg(7);
export const R8 = new Reg(8);
export const R9 = new Reg(9);
export const R10 = new Reg(10);
/** The read-only frame pointer. */
export const FP = R10;
export const registers: readonly Reg[] = [R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10];

/**
 * A symbolic operand the builder or assembler could not know yet; `link()` fills it in.
 * - `label`: jump/gotol/pseudo-call/ld_imm64-func target, by label name
 * - `map`: ld_imm64 of a map (src=1) or of a map value (src=2, `off` bytes into value 0), by map name
 * - `helper`: helper call by name (`map_lookup_elem` or `bpf_map_lookup_elem`)
 * - `kfunc`: kfunc call by name (BTF id supplied at link time)
 */
export type Reference =
  | { kind: 'label'; name: string }
  | { kind: 'map'; name: string; value?: boolean; offset?: number }
  | { kind: 'helper'; name: string }
  | { kind: 'kfunc'; name: string };

/** One eBPF instruction (struct bpf_insn), with ld_imm64 as a single two-slot instruction. */
export interface Instruction {
  /** The opcode byte: class | size/mode or op | source. */
  code: number;
  /** dst_reg, 0..15 (only 0..10 are valid registers). */
  dst: number;
  /** src_reg, 0..15; for ld_imm64 and calls, the pseudo source. */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate; for ld_imm64 the low half of the constant. */
  imm: number;
  /** ld_imm64 only: imm of the second slot (the high half; the value offset for map values). */
  imm2?: number;
  /** Unresolved symbolic operand; see Reference. */
  ref?: Reference;
}

export function isLdImm64(insn: Pick<Instruction, 'code'>): boolean {
  return insn.code === LD_IMM64;
}

/** Number of 8-byte slots the instruction occupies: 2 for ld_imm64, else 1. */
export function slots(insn: Pick<Instruction, 'code'>): 1 | 2 {
  return insn.code === LD_IMM64 ? 2 : 1;
}

/** Slot index of each instruction (and the total as the last element). */
export function slotIndex(insns: readonly Pick<Instruction, 'code'>[]): number[] {
  const out = new Array<number>(insns.length + 1);
  let s = 0;
  for (let i = 0; i < insns.length; i++) {
    out[i] = s;
    s += slots(insns[i]);
  }
  out[insns.length] = s;
  return out;
}

/** The 64-bit constant of an ld_imm64 (imm2:imm), as an unsigned bigint. */
export function ldImm64Value(insn: Instruction): bigint {
  return (BigInt((insn.imm2 ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
}

/** Splits a 64-bit constant (signed or unsigned) into the two imm halves. */
export function splitImm64(value: bigint): { imm: number; imm2: number } {
  const v = BigInt.asUintN(64, value);
  return { imm: Number(BigInt.asIntN(32, v & 0xffffffffn)), imm2: Number(BigInt.asIntN(32, v >> 32n)) };
}

export function isPseudoCall(insn: Instruction): boolean {
  return insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_CALL;
}

/** A plain copy without the symbolic part, normalised to the field widths. */
export function normalize(insn: Instruction): Instruction {
  const out: Instruction = {
    code: insn.code & 0xff,
    dst: insn.dst & 0xf,
    src: insn.src & 0xf,
    off: (insn.off << 16) >> 16,
    imm: insn.imm | 0,
  };
  if (insn.code === LD_IMM64) out.imm2 = (insn.imm2 ?? 0) | 0;
  if (insn.ref) out.ref = insn.ref;
  return out;
}

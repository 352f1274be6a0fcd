// Just enough of the instruction encoding to link and relocate: opcode, registers, off and imm
// of 8-byte slots in either byte order. (The instruction model proper lives in src/asm/.)

export const INSN_SIZE = 8;
export const OP_LD_IMM64 = 0x18;
export const OP_CALL = 0x85;
export const OP_EXIT = 0x95;

/** src_reg values of call and ld_imm64 that the loader gives meaning to. */
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

export function insnCode(b: Uint8Array, i: number): number {
  return b[i * 8];
}

export function insnSrcReg(b: Uint8Array, i: number, le = true): number {
  const r = b[i * 8 + 1];
  return le ? r >>> 4 : r & 0xf;
}

export function insnDstReg(b: Uint8Array, i: number, le = true): number {
  const r = b[i * 8 + 1];
  return le ? r & 0xf : r >>> 4;
}

export function setInsnSrcReg(b: Uint8Array, i: number, v: number, le = true): void {
  const r = b[i * 8 + 1];
  b[i * 8 + 1] = le ? (r & 0x0f) | ((v & 0xf) << 4) : (r & 0xf0) | (v & 0xf);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function insnOff(b: Uint8Array, i: number, le = true): number {
  return view(b).getInt16(i * 8 + 2, le);
}

export function setInsnOff(b: Uint8Array, i: number, v: number, le = true): void {
  view(b).setInt16(i * 8 + 2, v, le);
}

export function insnImm(b: Uint8Array, i: number, le = true): number {
  return view(b).getInt32(i * 8 + 4, le);
}

export function setInsnImm(b: Uint8Array, i: number, v: number, le = true): void {
  view(b).setInt32(i * 8 + 4, v | 0, le);
}

/** The 64-bit constant of a ld_imm64 pair starting at slot i. */
export function ldImm64Value(b: Uint8Array, i: number, le = true): bigint {
  const lo = BigInt(insnImm(b, i, le) >>> 0);
  const hi = BigInt(insnImm(b, i + 1, le) >>> 0);
  return (hi << 32n) | lo;
}

export function setLdImm64Value(b: Uint8Array, i: number, v: bigint, le = true): void {
  const u = BigInt.asUintN(64, v);
  setInsnImm(b, i, Number(u & 0xffffffffn), le);
  setInsnImm(b, i + 1, Number(u >> 32n), le);
}

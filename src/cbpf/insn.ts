// Classic BPF instructions (struct sock_filter): the model shared by the packet-filter
// compiler, the interpreter and the seccomp compiler.

/** One classic BPF instruction: 16-bit opcode, two 8-bit jump offsets, 32-bit constant. */
export interface CbpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

// Instruction classes (code & 0x07).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

// Sizes (code & 0x18).
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;

// Modes (code & 0xe0).
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;

// ALU and jump operations (code & 0xf0).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

// Operand source (code & 0x08).
export const BPF_K = 0x00;
export const BPF_X = 0x08;

// Return value source for BPF_RET (code & 0x18).
export const BPF_A = 0x10;

// BPF_MISC operations.
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** Scratch memory slots (M[0..15]). */
export const BPF_MEMWORDS = 16;
/** The kernel's limit on classic program length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

export const bpfClass = (code: number) => code & 0x07;
export const bpfSize = (code: number) => code & 0x18;
export const bpfMode = (code: number) => code & 0xe0;
export const bpfOp = (code: number) => code & 0xf0;
export const bpfSrc = (code: number) => code & 0x08;

export function stmt(code: number, k: number): CbpfInsn {
  return { code, jt: 0, jf: 0, k: k >>> 0 };
}

export function jump(code: number, k: number, jt: number, jf: number): CbpfInsn {
  return { code, jt, jf, k: k >>> 0 };
}

/** Encodes to the kernel's 8-byte struct sock_filter array (host byte order: little endian here). */
export function encodeCbpf(prog: readonly CbpfInsn[]): Buffer {
  const out = Buffer.alloc(prog.length * 8);
  prog.forEach((ins, i) => {
    out.writeUInt16LE(ins.code, i * 8);
    out.writeUInt8(ins.jt, i * 8 + 2);
    out.writeUInt8(ins.jf, i * 8 + 3);
    out.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return out;
}

export function decodeCbpf(bytes: Uint8Array): CbpfInsn[] {
  if (bytes.length % 8 !== 0) throw new RangeError(`classic BPF program length ${bytes.length} is not a multiple of 8`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: CbpfInsn[] = [];
  for (let i = 0; i < bytes.length; i += 8) {
    out.push({ code: dv.getUint16(i, true), jt: dv.getUint8(i + 2), jf: dv.getUint8(i + 3), k: dv.getUint32(i + 4, true) });
  }
  return out;
}

// Negative load offsets with a special meaning (linux/filter.h).
/** Base of the ancillary loads: `ld [SKF_AD_OFF + SKF_AD_*]` reads socket-buffer metadata. */
export const SKF_AD_OFF = -0x1000;
/** `ld [SKF_NET_OFF + n]` reads byte n of the network header. */
export const SKF_NET_OFF = -0x100000;
/** `ld [SKF_LL_OFF + n]` reads byte n of the link-layer header. */
export const SKF_LL_OFF = -0x200000;

export const SKF_AD_PROTOCOL = 0;
export const SKF_AD_PKTTYPE = 4;
export const SKF_AD_IFINDEX = 8;
export const SKF_AD_NLATTR = 12;
export const SKF_AD_NLATTR_NEST = 16;
export const SKF_AD_MARK = 20;
export const SKF_AD_QUEUE = 24;
export const SKF_AD_HATYPE = 28;
export const SKF_AD_RXHASH = 32;
export const SKF_AD_CPU = 36;
export const SKF_AD_ALU_XOR_X = 40;
export const SKF_AD_VLAN_TAG = 44;
export const SKF_AD_VLAN_TAG_PRESENT = 48;
export const SKF_AD_PAY_OFFSET = 52;
export const SKF_AD_RANDOM = 56;
export const SKF_AD_VLAN_TPID = 60;
export const SKF_AD_MAX = 64;

// The 8-byte wire format of struct bpf_insn in either byte order. In big-endian objects the
// dst/src nibbles swap places (the C bitfields are allocated from the other end).
import { ParseError } from '../sys/errors.js';
import { type Instruction, slots } from './instruction.js';
import { LD_IMM64 } from './opcode.js';
import { validate } from './validate.js';

export type Endian = 'little' | 'big';

export interface EncodeOptions {
  endian?: Endian;
}

export interface DecodeOptions {
  endian?: Endian;
  /** Reject what RFC 9669 calls invalid (unknown opcodes, non-zero unused fields, bad registers). */
  strict?: boolean;
  /** Named in error messages. */
  file?: string;
}

/** Encodes linked instructions (no unresolved references) to bytes. */
export function encode(insns: readonly Instruction[], opts: EncodeOptions = {}): Buffer {
  const le = (opts.endian ?? 'little') === 'little';
  let n = 0;
  for (const insn of insns) n += slots(insn);
  const buf = Buffer.alloc(n * 8);
  let at = 0;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i];
    if (insn.ref) {
      throw new Error(`instruction ${i} still refers to ${insn.ref.kind} '${insn.ref.name}': link the program before encoding`);
    }
    writeSlot(buf, at, insn.code, insn.dst, insn.src, insn.off, insn.imm, le);
    at += 8;
    if (insn.code === LD_IMM64) {
      writeSlot(buf, at, 0, 0, 0, 0, insn.imm2 ?? 0, le);
      at += 8;
    }
  }
  return buf;
}

function writeSlot(buf: Buffer, at: number, code: number, dst: number, src: number, off: number, imm: number, le: boolean): void {
  buf[at] = code & 0xff;
  buf[at + 1] = le ? ((src & 0xf) << 4) | (dst & 0xf) : ((dst & 0xf) << 4) | (src & 0xf);
  if (le) {
    buf.writeInt16LE((off << 16) >> 16, at + 2);
    buf.writeInt32LE(imm | 0, at + 4);
  } else {
    buf.writeInt16BE((off << 16) >> 16, at + 2);
    buf.writeInt32BE(imm | 0, at + 4);
  }
}

/**
 * Decodes bytes into instructions (ld_imm64 becomes one Instruction of two slots). Without
 * `strict`, any opcode byte decodes (the disassembler prints what it cannot name, as bpftool
 * does); a length that is not a multiple of 8 or a broken ld_imm64 pair is always an error.
 */
export function decode(bytes: Uint8Array, opts: DecodeOptions = {}): Instruction[] {
  const le = (opts.endian ?? 'little') === 'little';
  const fail = (reason: string, slot: number): never => {
    throw new ParseError(reason, { file: opts.file, line: slot + 1, column: 1 });
  };
  if (bytes.length % 8 !== 0) fail(`${bytes.length} bytes is not a whole number of 8-byte instructions`, Math.floor(bytes.length / 8));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Instruction[] = [];
  const n = bytes.length / 8;
  for (let s = 0; s < n; s++) {
    const at = s * 8;
    const code = bytes[at];
    const regs = bytes[at + 1];
    const insn: Instruction = {
      code,
      dst: le ? regs & 0xf : regs >> 4,
      src: le ? regs >> 4 : regs & 0xf,
      off: dv.getInt16(at + 2, le),
      imm: dv.getInt32(at + 4, le),
    };
    if (code === LD_IMM64) {
      if (s + 1 >= n) fail(`ld_imm64 at slot ${s} has no second half`, s);
      const at2 = at + 8;
      if (bytes[at2] !== 0 || bytes[at2 + 1] !== 0 || dv.getInt16(at2 + 2, le) !== 0) {
        fail(`second half of ld_imm64 at slot ${s} must have code, registers and offset 0`, s + 1);
      }
      insn.imm2 = dv.getInt32(at2 + 4, le);
      s++;
    }
    out.push(insn);
  }
  if (opts.strict) {
    const problems = validate(out);
    if (problems.length > 0) {
      const p = problems[0];
      fail(`slot ${p.slot}: ${p.reason}`, p.slot);
    }
  }
  return out;
}

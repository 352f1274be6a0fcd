// Text forms of a classic program, byte for byte as tcpdump prints them: `-d` (libpcap's
// bpf_image listing), `-dd` (a C array of struct sock_filter) and `-ddd` (decimal, count first).
import { type CbpfInsn, SKF_AD_OFF } from './insn.js';

// Names libpcap prints for the ancillary offsets (index = SKF_AD_* value).
export const ANCILLARY_NAMES: Readonly<Record<number, string>> = {
  0: 'proto',
  4: 'type',
  8: 'ifidx',
  12: 'nla',
  16: 'nlan',
  20: 'mark',
  24: 'queue',
  28: 'hatype',
  32: 'rxhash',
  36: 'cpu',
  40: 'xor_x',
  44: 'vlan_tci',
  48: 'vlanp',
  52: 'poff',
  56: 'random',
  60: 'vlan_tpid',
};

const hex = (k: number) => `0x${(k >>> 0).toString(16)}`;
// libpcap prints k with %d: values above 2^31 come out negative.
const signed = (k: number) => String(k | 0);

const LOAD_SIZES: Record<number, string> = { 0x00: 'ld', 0x08: 'ldh', 0x10: 'ldb' };
const ALU_NAMES: Record<number, string> = {
  0x00: 'add', 0x10: 'sub', 0x20: 'mul', 0x30: 'div', 0x40: 'or', 0x50: 'and',
  0x60: 'lsh', 0x70: 'rsh', 0x90: 'mod', 0xa0: 'xor',
};
const JMP_NAMES: Record<number, string> = { 0x10: 'jeq', 0x20: 'jgt', 0x30: 'jge', 0x40: 'jset' };

function absOperand(k: number): string {
  const off = k | 0;
  if (off >= SKF_AD_OFF && off < 0) {
    const name = ANCILLARY_NAMES[off - SKF_AD_OFF];
    if (name !== undefined) return `[${name}]`;
  }
  return `[${signed(k)}]`;
}

/** The mnemonic and operand of one instruction, as bpf_image spells them. */
export function insnParts(ins: CbpfInsn, pc: number): { op: string; operand: string } {
  const k = ins.k >>> 0;
  const code = ins.code;
  switch (code) {
    case 0x06: return { op: 'ret', operand: `#${signed(k)}` };
    case 0x16: return { op: 'ret', operand: '' };
    case 0x20: case 0x28: case 0x30: return { op: LOAD_SIZES[code & 0x18], operand: absOperand(k) };
    case 0x80: return { op: 'ld', operand: '#pktlen' };
    case 0x40: case 0x48: case 0x50: return { op: LOAD_SIZES[code & 0x18], operand: `[x + ${signed(k)}]` };
    case 0x00: return { op: 'ld', operand: `#${hex(k)}` };
    case 0x01: return { op: 'ldx', operand: `#${hex(k)}` };
    case 0x81: return { op: 'ldx', operand: '#pktlen' };
    case 0xb1: return { op: 'ldxb', operand: `4*([${signed(k)}]&0xf)` };
    case 0x60: return { op: 'ld', operand: `M[${signed(k)}]` };
    case 0x61: return { op: 'ldx', operand: `M[${signed(k)}]` };
    case 0x02: return { op: 'st', operand: `M[${signed(k)}]` };
    case 0x03: return { op: 'stx', operand: `M[${signed(k)}]` };
    case 0x05: return { op: 'ja', operand: String((pc + 1 + k) | 0) };
    case 0x84: return { op: 'neg', operand: '' };
    case 0x07: return { op: 'tax', operand: '' };
    case 0x87: return { op: 'txa', operand: '' };
  }
  if ((code & 0x07) === 0x05 && JMP_NAMES[code & 0xf0] && code < 0x100) {
    return { op: JMP_NAMES[code & 0xf0], operand: code & 0x08 ? 'x' : `#${hex(k)}` };
  }
  if ((code & 0x07) === 0x04 && ALU_NAMES[code & 0xf0] && code < 0x100) {
    // Bitwise operations print their constant in hex, arithmetic ones in (signed) decimal.
    const bitwise = (code & 0xf0) === 0x40 || (code & 0xf0) === 0x50 || (code & 0xf0) === 0xa0;
    return { op: ALU_NAMES[code & 0xf0], operand: code & 0x08 ? 'x' : bitwise ? `#${hex(k)}` : `#${signed(k)}` };
  }
  return { op: 'unimp', operand: hex(code) };
}

// bpf_image uses the jt/jf layout for any jump-class code except ja, even unknown ones.
const isCondJump = (code: number) => (code & 0x07) === 0x05 && (code & 0xf0) !== 0x00;

/** One line of `tcpdump -d`: `(000) ldh      [12]`. */
export function formatInsn(ins: CbpfInsn, pc: number): string {
  const { op, operand } = insnParts(ins, pc);
  const n = String(pc).padStart(3, '0');
  if (isCondJump(ins.code)) {
    return `(${n}) ${op.padEnd(8)} ${operand.padEnd(16)} jt ${pc + 1 + ins.jt}\tjf ${pc + 1 + ins.jf}`;
  }
  return `(${n}) ${op.padEnd(8)} ${operand}`;
}

export type CbpfDumpFormat = 'd' | 'dd' | 'ddd';

/** The program as `tcpdump -d`, `-dd` or `-ddd` prints it (lines end with \n). */
export function dumpCbpf(prog: readonly CbpfInsn[], format: CbpfDumpFormat = 'd'): string {
  if (format === 'ddd') {
    return `${prog.length}\n` + prog.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k >>> 0}\n`).join('');
  }
  if (format === 'dd') {
    return prog.map((i) => `{ 0x${i.code.toString(16)}, ${i.jt}, ${i.jf}, 0x${(i.k >>> 0).toString(16).padStart(8, '0')} },\n`).join('');
  }
  return prog.map((i, pc) => formatInsn(i, pc) + '\n').join('');
}

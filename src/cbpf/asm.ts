// Reads a classic program back from text: tcpdump's `-d` listing (jump targets are absolute
// instruction numbers there), `-dd` C arrays and `-ddd` decimal dumps.
import { ParseError } from '../sys/errors.js';
import { type CbpfInsn, SKF_AD_OFF } from './insn.js';
import { ANCILLARY_NAMES } from './disasm.js';

const ANCILLARY_BY_NAME = new Map(Object.entries(ANCILLARY_NAMES).map(([off, name]) => [name, Number(off)]));

const ALU_OPS: Record<string, number> = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70, mod: 0x90, xor: 0xa0,
};
const JMP_OPS: Record<string, number> = { jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40 };
const LOAD_SIZES: Record<string, number> = { ld: 0x00, ldh: 0x08, ldb: 0x10 };

export interface CbpfAsmOptions {
  /** File name for error messages. */
  file?: string;
}

/**
 * Assembles text in any of tcpdump's three dump formats (detected from the first line).
 * Blank lines and `;` comments are ignored. Throws ParseError naming line and column.
 */
export function assembleCbpf(text: string, opts: CbpfAsmOptions = {}): CbpfInsn[] {
  const lines = text.split('\n');
  const first = lines.find((l) => stripComment(l).trim() !== '')?.trim() ?? '';
  if (/^\{/.test(first)) return parseDd(text, opts);
  if (/^\d+$/.test(first)) return parseDdd(text, opts);
  return parseListing(text, opts);
}

function stripComment(line: string): string {
  const i = line.indexOf(';');
  return i < 0 ? line : line.slice(0, i);
}

function fail(reason: string, text: string, line: number, column: number, opts: CbpfAsmOptions, length = 1): never {
  throw new ParseError(reason, { file: opts.file, line, column, length }, text);
}

function parseNumber(s: string): number | undefined {
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(s)) return undefined;
  const neg = s.startsWith('-');
  const v = Number(neg ? s.slice(1) : s);
  if (!Number.isFinite(v) || v > 0xffffffff) return undefined;
  return (neg ? -v : v) >>> 0;
}

function parseDdd(text: string, opts: CbpfAsmOptions): CbpfInsn[] {
  const out: CbpfInsn[] = [];
  let count: number | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = stripComment(raw).trim();
    if (!line) return;
    const f = line.split(/[\s,]+/);
    if (count === undefined) {
      count = Number(line);
      return;
    }
    const nums = f.map((x) => parseNumber(x));
    if (f.length !== 4 || nums.some((n) => n === undefined)) fail('expected "code jt jf k"', text, i + 1, 1, opts, raw.length);
    out.push({ code: nums[0]!, jt: nums[1]!, jf: nums[2]!, k: nums[3]! });
  });
  if (count !== out.length) fail(`the count line says ${count} instructions but ${out.length} follow`, text, 1, 1, opts);
  return out;
}

function parseDd(text: string, opts: CbpfAsmOptions): CbpfInsn[] {
  const out: CbpfInsn[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const m = /^\{\s*([^,]+),\s*([^,]+),\s*([^,]+),\s*([^,}]+)\s*\},?$/.exec(line);
    const nums = m?.slice(1).map((x) => parseNumber(x.trim()));
    if (!m || !nums || nums.some((n) => n === undefined)) fail('expected "{ code, jt, jf, k },"', text, i + 1, 1, opts, raw.length);
    out.push({ code: nums[0]!, jt: nums[1]!, jf: nums[2]!, k: nums[3]! });
  });
  return out;
}

interface Pending {
  line: number;
  column: number;
  insn: CbpfInsn;
  jt?: number;
  jf?: number;
  ja?: number;
}

function parseListing(text: string, opts: CbpfAsmOptions): CbpfInsn[] {
  const pending: Pending[] = [];
  const rawLines = text.split('\n');
  rawLines.forEach((raw, i) => {
    const lineNo = i + 1;
    let line = stripComment(raw);
    if (!line.trim()) return;
    let col = line.length - line.trimStart().length + 1;
    line = line.trim();
    const err = (reason: string, at = col, len = 1): never => fail(reason, text, lineNo, at, opts, len);
    const pcm = /^\((\d+)\)\s*/.exec(line);
    if (pcm) {
      if (Number(pcm[1]) !== pending.length) err(`instruction number ${pcm[1]} out of sequence (expected ${pending.length})`, col, pcm[0].trimEnd().length);
      col += pcm[0].length;
      line = line.slice(pcm[0].length);
    }
    const opm = /^([a-z]+)\s*/.exec(line);
    if (!opm) err('expected an instruction mnemonic');
    const op = opm![1];
    const opCol = col;
    let rest = line.slice(opm![0].length);
    col += opm![0].length;
    // Split off "jt N jf N" first; the operand is what precedes it.
    let jt: number | undefined;
    let jf: number | undefined;
    const jm = /\s*jt\s+(\d+)\s+jf\s+(\d+)\s*$/.exec(rest);
    if (jm) {
      jt = Number(jm[1]);
      jf = Number(jm[2]);
      rest = rest.slice(0, jm.index);
    }
    const operand = rest.trim();
    const num = (s: string, what: string): number => {
      const v = parseNumber(s);
      if (v === undefined) err(`bad ${what} "${s}"`, col, Math.max(1, s.length));
      return v!;
    };
    const memIndex = (s: string): number => {
      const m = /^M\[\s*(\S+?)\s*\]$/.exec(s);
      if (!m) err(`expected M[n], got "${s}"`, col, Math.max(1, s.length));
      return num(m![1], 'scratch memory index');
    };
    const imm = (s: string): number => {
      if (!s.startsWith('#')) err(`expected #constant, got "${s}"`, col, Math.max(1, s.length));
      return num(s.slice(1), 'constant');
    };
    const p: Pending = { line: lineNo, column: opCol, insn: { code: 0, jt: 0, jf: 0, k: 0 } };
    const set = (code: number, k = 0) => {
      p.insn = { code, jt: 0, jf: 0, k: k >>> 0 };
    };
    if (op in LOAD_SIZES) {
      const size = LOAD_SIZES[op];
      let m: RegExpExecArray | null;
      if (op === 'ld' && (operand === '#pktlen' || operand === '#len' || operand === 'len')) set(0x80);
      else if (op === 'ld' && operand.startsWith('#')) set(0x00, imm(operand));
      else if (op === 'ld' && operand.startsWith('M[')) set(0x60, memIndex(operand));
      else if ((m = /^\[\s*x\s*\+\s*(\S+?)\s*\]$/.exec(operand))) set(0x40 | size, num(m[1], 'offset'));
      else if ((m = /^\[\s*x\s*\]$/.exec(operand))) set(0x40 | size, 0);
      else if ((m = /^\[\s*(\S+?)\s*\]$/.exec(operand))) {
        const anc = ANCILLARY_BY_NAME.get(m[1]);
        set(0x20 | size, anc !== undefined ? SKF_AD_OFF + anc : num(m[1], 'offset'));
      } else err(`bad operand "${operand}" for ${op}`, col, Math.max(1, operand.length));
    } else if (op === 'ldx') {
      if (operand === '#pktlen' || operand === '#len' || operand === 'len') set(0x81);
      else if (operand.startsWith('#')) set(0x01, imm(operand));
      else if (operand.startsWith('M[')) set(0x61, memIndex(operand));
      else {
        const m = /^4\s*\*\s*\(\s*\[\s*(\S+?)\s*\]\s*&\s*0xf\s*\)$/.exec(operand);
        if (!m) err(`bad operand "${operand}" for ldx`, col, Math.max(1, operand.length));
        set(0xb1, num(m![1], 'offset'));
      }
    } else if (op === 'ldxb') {
      const m = /^4\s*\*\s*\(\s*\[\s*(\S+?)\s*\]\s*&\s*0xf\s*\)$/.exec(operand);
      if (!m) err(`expected 4*([k]&0xf), got "${operand}"`, col, Math.max(1, operand.length));
      set(0xb1, num(m![1], 'offset'));
    } else if (op === 'st' || op === 'stx') {
      set(op === 'st' ? 0x02 : 0x03, memIndex(operand));
    } else if (op in ALU_OPS) {
      if (operand === 'x') set(0x04 | 0x08 | ALU_OPS[op]);
      else set(0x04 | ALU_OPS[op], imm(operand));
    } else if (op === 'neg' || op === 'tax' || op === 'txa') {
      if (operand) err(`${op} takes no operand`, col, operand.length);
      set(op === 'neg' ? 0x84 : op === 'tax' ? 0x07 : 0x87);
    } else if (op === 'ret') {
      if (operand === '' || operand === 'a' || operand === 'A') set(0x16);
      else set(0x06, imm(operand));
    } else if (op === 'ja' || op === 'jmp') {
      set(0x05);
      p.ja = num(operand, 'jump target');
    } else if (op in JMP_OPS) {
      if (jt === undefined || jf === undefined) err(`${op} needs "jt N jf N"`, col, Math.max(1, rest.length));
      if (operand === 'x') set(0x05 | 0x08 | JMP_OPS[op]);
      else set(0x05 | JMP_OPS[op], imm(operand));
      p.jt = jt;
      p.jf = jf;
    } else if (op === 'unimp') {
      set(num(operand, 'opcode'));
    } else {
      err(`unknown mnemonic "${op}"`, opCol, op.length);
    }
    if (jm && p.jt === undefined) err(`${op} does not take jt/jf`, col, 1);
    pending.push(p);
  });
  // Targets in the listing are absolute; the encoding is relative to the next instruction.
  return pending.map((p, pc) => {
    const rel = (target: number, what: string, max: number): number => {
      const off = target - pc - 1;
      if (off < 0 || off > max) fail(`${what} target ${target} is not a forward jump that fits`, text, p.line, p.column, opts);
      return off;
    };
    // ja keeps 32-bit wraparound so that any listing bpf_image printed reads back to the same bytes.
    if (p.ja !== undefined) return { ...p.insn, k: (p.ja - pc - 1) >>> 0 };
    if (p.jt !== undefined && p.jf !== undefined) return { ...p.insn, jt: rel(p.jt, 'jt', 255), jf: rel(p.jf, 'jf', 255) };
    return p.insn;
  });
}

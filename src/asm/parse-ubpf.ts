// The assembler dialect of ubpf and bpf_conformance: `mov %r0, 1`, `add32 %r0, %r1`,
// `jeq %r1, 0x5, +3`, `ldxw %r0, [%r1+4]`, `lddw %r0, 0x1122334455667788`, `lock fetch add [%r10-8], %r1`,
// `call 1`, `call local label`, `call %r2`. Registers may be written with or without the `%`.
import type { Instruction } from './instruction.js';
import { splitImm64 } from './instruction.js';
import { Cursor, imm32, number, off16 } from './cursor.js';
import type { Parsed } from './parse-kernel.js';
import * as o from './opcode.js';

const aluNames: Record<string, [number, number]> = {
  add: [o.BPF_ADD, 0], sub: [o.BPF_SUB, 0], mul: [o.BPF_MUL, 0], div: [o.BPF_DIV, 0], sdiv: [o.BPF_DIV, 1],
  or: [o.BPF_OR, 0], and: [o.BPF_AND, 0], lsh: [o.BPF_LSH, 0], rsh: [o.BPF_RSH, 0], mod: [o.BPF_MOD, 0],
  smod: [o.BPF_MOD, 1], xor: [o.BPF_XOR, 0], mov: [o.BPF_MOV, 0], arsh: [o.BPF_ARSH, 0],
};
const jmpNames: Record<string, number> = {
  jeq: o.BPF_JEQ, jgt: o.BPF_JGT, jge: o.BPF_JGE, jset: o.BPF_JSET, jne: o.BPF_JNE, jsgt: o.BPF_JSGT,
  jsge: o.BPF_JSGE, jlt: o.BPF_JLT, jle: o.BPF_JLE, jslt: o.BPF_JSLT, jsle: o.BPF_JSLE,
};
const sizeNames: Record<string, number> = { b: o.BPF_B, h: o.BPF_H, w: o.BPF_W, dw: o.BPF_DW };
const atomicNames: Record<string, number> = { add: o.BPF_ADD, and: o.BPF_AND, or: o.BPF_OR, xor: o.BPF_XOR, xchg: o.BPF_XCHG, cmpxchg: o.BPF_CMPXCHG };

interface Operand {
  text: string;
  start: number;
}

const mk = (code: number, dst = 0, src = 0, off = 0, imm = 0): Instruction => ({ code, dst, src, off, imm });

/** Splits the rest of the line at commas into trimmed operands with their columns. */
function operands(c: Cursor): Operand[] {
  const out: Operand[] = [];
  c.ws();
  if (c.i >= c.end) return out;
  let start = c.i;
  for (let i = c.i; i <= c.end; i++) {
    if (i === c.end || c.text[i] === ',') {
      const raw = c.text.slice(start, i);
      const lead = raw.length - raw.trimStart().length;
      out.push({ text: raw.trim(), start: start + lead });
      start = i + 1;
    }
  }
  c.i = c.end;
  return out;
}

/** A sub-cursor over one operand, so errors point inside it. */
function sub(c: Cursor, op: Operand): Cursor {
  const s = new Cursor(c.text, c.ctx, op.start + op.text.length);
  s.i = op.start;
  return s;
}

function isReg(op: Operand): boolean {
  return /^%?r\d+$/.test(op.text);
}

function regOf(c: Cursor, op: Operand | undefined, what = 'register'): number {
  if (!op) return c.fail(`missing ${what}`);
  const m = /^%?r(\d+)$/.exec(op.text);
  if (!m) c.fail(`invalid register: ${op.text || '(empty)'}`, op.start, Math.max(1, op.text.length));
  const n = Number(m[1]);
  if (n > 10) c.fail(`invalid register: ${op.text} (registers are r0..r10)`, op.start, op.text.length);
  return n;
}

function immOf(c: Cursor, op: Operand): number {
  const s: Cursor = sub(c, op);
  const n = number(s, 'an immediate');
  s.expectEnd();
  return imm32(s, n);
}

/** `[%r1+4]`, `[%r10-8]`, `[%r1]` */
function memOf(c: Cursor, op: Operand | undefined): { reg: number; off: number } {
  if (!op) return c.fail('missing memory operand');
  const s: Cursor = sub(c, op);
  if (!s.eat('[')) s.fail(`expected a memory operand like [%r1+4]${s.found()}`);
  s.ws();
  const at = s.i;
  const m = s.match(/%?r\d+/);
  if (!m) s.fail(`invalid register${s.found()}`);
  const reg = regOf(s, { text: m[0], start: at });
  let off = 0;
  if (s.peekRe(/[+-]/)) off = off16(s, number(s, 'an offset'));
  s.expect(']');
  s.expectEnd();
  return { reg, off };
}

/** `+3`, `-1` or a label. */
function targetOf(c: Cursor, op: Operand, insn: Instruction, field: 'off' | 'imm'): Instruction {
  if (/^[+-]/.test(op.text)) {
    const s: Cursor = sub(c, op);
    const n = number(s, 'a jump offset');
    s.expectEnd();
    insn[field] = field === 'off' ? off16(s, n, 'jump offset') : imm32(s, n, 'jump offset');
    return insn;
  }
  if (!/^[A-Za-z_.$][\w.$]*$/.test(op.text)) c.fail(`invalid jump target: ${op.text}`, op.start, op.text.length);
  insn.ref = { kind: 'label', name: op.text };
  return insn;
}

function count(c: Cursor, mnemonic: string, ops: Operand[], n: number, at: number): void {
  if (ops.length !== n) c.fail(`invalid number of operands for ${mnemonic}: expected ${n}, found ${ops.length}`, at, mnemonic.length);
}

/** Parses one ubpf statement. */
export function parseUbpfStatement(c: Cursor): Parsed {
  c.ws();
  const at = c.i;
  const mnemonic = c.match(/[A-Za-z_][\w]*/)?.[0];
  if (!mnemonic) c.fail(`expected a mnemonic${c.found()}`);
  const lower = mnemonic.toLowerCase();

  if (lower === 'lock') {
    c.ws();
    const fetch = c.eatWord('fetch');
    const opAt = c.i;
    const name = c.match(/[a-z]+(32)?/)?.[0];
    const ops = operands(c);
    if (!name) c.fail('invalid number of operands for lock', at, 4);
    const wide = name.endsWith('32') ? o.BPF_W : o.BPF_DW;
    const base = name.replace(/32$/, '');
    const a = atomicNames[base];
    if (a === undefined) c.fail(`invalid atomic operation: ${name}`, opAt, name.length);
    if (fetch && (base === 'xchg' || base === 'cmpxchg')) c.fail(`${base} always fetches`, opAt, name.length);
    count(c, `lock ${name}`, ops, 2, at);
    const mem = memOf(c, ops[0]);
    const src = regOf(c, ops[1]);
    return { insn: mk(o.BPF_STX | o.BPF_ATOMIC | wide, mem.reg, src, mem.off, a | (fetch ? o.BPF_FETCH : 0)) };
  }
  if (lower === 'call') {
    c.ws();
    if (c.eatWord('local')) {
      const ops = operands(c);
      count(c, 'call local', ops, 1, at);
      return { insn: targetOf(c, ops[0], mk(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_PSEUDO_CALL), 'imm') };
    }
    const runtime = c.eatWord('runtime');
    if (!runtime) c.eatWord('helper');
    const ops = operands(c);
    count(c, 'call', ops, 1, at);
    if (isReg(ops[0])) {
      if (runtime) c.fail('runtime calls take a function id', ops[0].start);
      return { insn: mk(o.BPF_JMP | o.BPF_CALL | o.BPF_X, regOf(c, ops[0])) };
    }
    return { insn: mk(o.BPF_JMP | o.BPF_CALL, 0, runtime ? o.BPF_PSEUDO_KFUNC_CALL : o.BPF_HELPER_CALL, 0, immOf(c, ops[0])) };
  }
  const ops = operands(c);
  if (lower === 'exit') {
    count(c, mnemonic, ops, 0, at);
    return { insn: mk(o.BPF_JMP | o.BPF_EXIT) };
  }
  if (lower === 'ja' || lower === 'ja32') {
    count(c, mnemonic, ops, 1, at);
    return lower === 'ja'
      ? { insn: targetOf(c, ops[0], mk(o.BPF_JMP | o.BPF_JA), 'off') }
      : { insn: targetOf(c, ops[0], mk(o.BPF_JMP32 | o.BPF_JA), 'imm') };
  }
  if (lower === 'lddw') {
    count(c, mnemonic, ops, 2, at);
    const dst = regOf(c, ops[0]);
    const s: Cursor = sub(c, ops[1]);
    const n = number(s, 'a 64-bit immediate');
    s.expectEnd();
    if (n.value < -(1n << 63n) || n.value >= 1n << 64n) s.fail('immediate is out of 64-bit range', n.start, n.length);
    return { insn: { code: o.LD_IMM64, dst, src: 0, off: 0, ...splitImm64(n.value) } };
  }
  let m = /^(be|le|bswap|swap)(16|32|64)$/.exec(lower);
  if (m) {
    count(c, mnemonic, ops, 1, at);
    const code = m[1] === 'be' ? o.BPF_ALU | o.BPF_END | o.BPF_TO_BE : m[1] === 'le' ? o.BPF_ALU | o.BPF_END | o.BPF_TO_LE : o.BPF_ALU64 | o.BPF_END;
    return { insn: mk(code, regOf(c, ops[0]), 0, 0, Number(m[2])) };
  }
  m = /^movsx(8|16|32)(32|64)$/.exec(lower);
  if (m) {
    if (m[1] === '32' && m[2] === '32') c.fail(`invalid mnemonic: ${mnemonic}`, at, mnemonic.length);
    count(c, mnemonic, ops, 2, at);
    return { insn: mk((m[2] === '64' ? o.BPF_ALU64 : o.BPF_ALU) | o.BPF_MOV | o.BPF_X, regOf(c, ops[0]), regOf(c, ops[1]), Number(m[1])) };
  }
  m = /^(ldx|ldxs|st|stx)(b|h|w|dw)$/.exec(lower);
  if (m) {
    count(c, mnemonic, ops, 2, at);
    const size = sizeNames[m[2]];
    if (m[1] === 'ldx' || m[1] === 'ldxs') {
      if (m[1] === 'ldxs' && size === o.BPF_DW) c.fail(`invalid mnemonic: ${mnemonic}`, at, mnemonic.length);
      const dst = regOf(c, ops[0]);
      const mem = memOf(c, ops[1]);
      return { insn: mk(o.BPF_LDX | (m[1] === 'ldxs' ? o.BPF_MEMSX : o.BPF_MEM) | size, dst, mem.reg, mem.off) };
    }
    const mem = memOf(c, ops[0]);
    if (m[1] === 'st') return { insn: mk(o.BPF_ST | o.BPF_MEM | size, mem.reg, 0, mem.off, immOf(c, ops[1])) };
    return { insn: mk(o.BPF_STX | o.BPF_MEM | size, mem.reg, regOf(c, ops[1]), mem.off) };
  }
  m = /^(ldabs|ldind)(b|h|w|dw)$/.exec(lower);
  if (m) {
    const size = sizeNames[m[2]];
    if (m[1] === 'ldabs') {
      count(c, mnemonic, ops, 1, at);
      return { insn: mk(o.BPF_LD | o.BPF_ABS | size, 0, 0, 0, immOf(c, ops[0])) };
    }
    count(c, mnemonic, ops, 2, at);
    return { insn: mk(o.BPF_LD | o.BPF_IND | size, 0, regOf(c, ops[0]), 0, immOf(c, ops[1])) };
  }
  m = /^([a-z]+?)(32|64)?$/.exec(lower);
  if (m && m[1] === 'neg') {
    count(c, mnemonic, ops, 1, at);
    return { insn: mk((m[2] === '32' ? o.BPF_ALU : o.BPF_ALU64) | o.BPF_NEG, regOf(c, ops[0])) };
  }
  if (m && aluNames[m[1]]) {
    count(c, mnemonic, ops, 2, at);
    const [operation, off] = aluNames[m[1]];
    const klass = m[2] === '32' ? o.BPF_ALU : o.BPF_ALU64;
    const dst = regOf(c, ops[0]);
    if (isReg(ops[1]) || ops[1].text.startsWith('%')) return { insn: mk(klass | operation | o.BPF_X, dst, regOf(c, ops[1]), off) };
    return { insn: mk(klass | operation | o.BPF_K, dst, 0, off, immOf(c, ops[1])) };
  }
  if (m && jmpNames[m[1]] !== undefined && m[2] !== '64') {
    count(c, mnemonic, ops, 3, at);
    const klass = m[2] === '32' ? o.BPF_JMP32 : o.BPF_JMP;
    const dst = regOf(c, ops[0]);
    const insn = isReg(ops[1]) || ops[1].text.startsWith('%')
      ? mk(klass | jmpNames[m[1]] | o.BPF_X, dst, regOf(c, ops[1]))
      : mk(klass | jmpNames[m[1]] | o.BPF_K, dst, 0, 0, immOf(c, ops[1]));
    return { insn: targetOf(c, ops[2], insn, 'off') };
  }
  return c.fail(`invalid mnemonic: ${mnemonic}`, at, mnemonic.length);
}

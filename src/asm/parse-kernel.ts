// The pseudo-C syntax of the verifier log, bpftool and llvm: `r0 = 1`, `if w1 s< -1 goto +2`,
// `*(u32 *)(r10 -4) = r1`, `lock *(u64 *)(r1 +0) += r2`, `r1 = map[id:5]`, `call bpf_ktime_get_ns#5`.
// Both spacings of memory operands and both jump spellings (`pc+3`, `+3`) are read.
import { type Instruction, splitImm64 } from './instruction.js';
import { Cursor, type NumLit, imm32, number, off16 } from './cursor.js';
import * as o from './opcode.js';

export interface KernelParseOptions {
  /** llvm-mc's reading of `r1 = 0xffffffff` (a 32-bit mov) instead of bpftool's (an ld_imm64). */
  llvm?: boolean;
  /** Opcode byte printed before the instruction (`(b7) r0 = 1`): disambiguates and is checked. */
  prefix?: number;
}

/** What a statement produced: an instruction, with a flag for `call NAME` (a label or a helper). */
export interface Parsed {
  insn: Instruction;
  /** `call NAME` without `#id`: a subprogram if NAME is a label, else a helper. */
  callByName?: boolean;
}

interface Reg {
  n: number;
  w: boolean;
  start: number;
}

const sizes: Record<string, [number, boolean]> = {
  u8: [o.BPF_B, false], u16: [o.BPF_H, false], u32: [o.BPF_W, false], u64: [o.BPF_DW, false],
  s8: [o.BPF_B, true], s16: [o.BPF_H, true], s32: [o.BPF_W, true],
};
const aluAssign: Record<string, [number, number]> = {
  '+=': [o.BPF_ADD, 0], '-=': [o.BPF_SUB, 0], '*=': [o.BPF_MUL, 0], '/=': [o.BPF_DIV, 0], '|=': [o.BPF_OR, 0],
  '&=': [o.BPF_AND, 0], '<<=': [o.BPF_LSH, 0], '>>=': [o.BPF_RSH, 0], '%=': [o.BPF_MOD, 0], '^=': [o.BPF_XOR, 0],
  's>>=': [o.BPF_ARSH, 0], 's/=': [o.BPF_DIV, 1], 's%=': [o.BPF_MOD, 1],
};
const cmpOps: Record<string, number> = {
  '==': o.BPF_JEQ, '!=': o.BPF_JNE, '>': o.BPF_JGT, '>=': o.BPF_JGE, '<': o.BPF_JLT, '<=': o.BPF_JLE,
  's>': o.BPF_JSGT, 's>=': o.BPF_JSGE, 's<': o.BPF_JSLT, 's<=': o.BPF_JSLE, '&': o.BPF_JSET,
};
const lockOps: Record<string, number> = { '+=': o.BPF_ADD, '&=': o.BPF_AND, '|=': o.BPF_OR, '^=': o.BPF_XOR };
const fetchOps: Record<string, number> = { add: o.BPF_ADD, and: o.BPF_AND, or: o.BPF_OR, xor: o.BPF_XOR };

function reg(c: Cursor, what: string): Reg {
  c.ws();
  const start = c.i;
  const m = c.match(/([rw])(\d+)(?!\w)/);
  if (!m) c.fail(`expected ${what} register${c.found()}`);
  const n = Number(m[2]);
  if (n > 10) c.fail(`invalid register ${m[0]} (registers are r0..r10)`, start, m[0].length);
  return { n, w: m[1] === 'w', start };
}

function tryReg(c: Cursor): Reg | undefined {
  return c.peekRe(/[rw]\d+(?!\w)/) ? reg(c, '') : undefined;
}

function sameWidth(c: Cursor, a: Reg, b: Reg): void {
  if (a.w !== b.w) c.fail(`mixes ${a.w ? 'w' : 'r'} and ${b.w ? 'w' : 'r'} registers`, b.start, 2);
}

/** `(u32 *)` → [size, signed] */
function sizeCast(c: Cursor): [number, boolean, string] {
  c.expect('(');
  c.ws();
  const at = c.i;
  const name = c.ident();
  const s = name ? sizes[name] : undefined;
  if (!s) c.fail(`expected a size u8, u16, u32, u64, s8, s16 or s32${name ? `, found '${name}'` : c.found()}`, at);
  c.expect('*');
  c.expect(')');
  return [s[0], s[1], name!];
}

/** `(r10 -8)`, `(r10 - 8)`, `(r1)`, and llvm's cmpxchg spelling without parentheses `r1 + 0`. */
function memRef(c: Cursor, parens = true): { base: Reg; off: number } {
  if (parens) c.expect('(');
  const base = reg(c, 'base');
  if (base.w) c.fail('a memory base must be an r register', base.start, 2);
  let off = 0;
  if (c.peekRe(/[+-]/)) off = off16(c, number(c, 'an offset'));
  if (parens) c.expect(')');
  return { base, off };
}

/** pc-relative target: `pc+3`, `+3`, `-1`, or a label. Also skips llvm's `<LBB0_2>` annotation. */
function target(c: Cursor, wide: boolean): { value?: number; label?: string } {
  let out: { value?: number; label?: string };
  if (c.eatWord('pc') || c.peekRe(/[+-]?\s*\d/)) {
    const n = number(c, 'a jump offset');
    out = { value: wide ? imm32(c, n, 'jump offset') : offSigned(c, n) };
  } else {
    c.ws();
    const at = c.i;
    const name = c.ident();
    if (!name) c.fail(`expected a jump target (pc+N, +N or a label)${c.found()}`, at);
    out = { label: name };
  }
  if (c.peekRe(/<[^>]*>/)) c.match(/<[^>]*>/);
  return out;
}

function offSigned(c: Cursor, n: NumLit): number {
  if (n.value < -0x8000n || n.value > 0x7fffn) c.fail(`jump offset ${n.value} is out of 16-bit range (use gotol)`, n.start, n.length);
  return Number(n.value);
}

function withTarget(insn: Instruction, t: { value?: number; label?: string }, field: 'off' | 'imm'): Instruction {
  if (t.label !== undefined) insn.ref = { kind: 'label', name: t.label };
  else insn[field] = t.value!;
  return insn;
}

const mk = (code: number, dst = 0, src = 0, off = 0, imm = 0): Instruction => ({ code, dst, src, off, imm });

/** Parses one statement (the cursor is past any line number, opcode and label). */
export function parseKernelStatement(c: Cursor, opts: KernelParseOptions = {}): Parsed {
  const start = c.i;
  const parsed = statement(c, opts);
  c.expectEnd();
  if (opts.prefix !== undefined && parsed.insn.code !== opts.prefix) {
    c.fail(`opcode (${hex2(opts.prefix)}) does not match the instruction, which encodes as (${hex2(parsed.insn.code)})`, start, c.i - start);
  }
  return parsed;
}

const hex2 = (v: number): string => v.toString(16).padStart(2, '0');

function statement(c: Cursor, opts: KernelParseOptions): Parsed {
  c.ws();
  const start = c.i;
  if (c.eatWord('exit')) return { insn: mk(o.BPF_JMP | o.BPF_EXIT) };
  if (c.eatWord('goto')) return { insn: withTarget(mk(o.BPF_JMP | o.BPF_JA), target(c, false), 'off') };
  if (c.eatWord('gotol')) return { insn: withTarget(mk(o.BPF_JMP32 | o.BPF_JA), target(c, true), 'imm') };
  if (c.eatWord('may_goto')) return { insn: withTarget(mk(o.BPF_JMP | o.BPF_JCOND, 0, o.BPF_MAY_GOTO), target(c, false), 'off') };
  if (c.eatWord('gotox')) return { insn: mk(o.BPF_JMP | o.BPF_JA | o.BPF_X, reg(c, 'target').n) };
  if (c.eatWord('callx')) return { insn: mk(o.BPF_JMP | o.BPF_CALL | o.BPF_X, reg(c, 'target').n) };
  if (c.eatWord('call')) return call(c);
  if (c.eatWord('if')) return { insn: condJump(c) };
  if (c.eatWord('lock')) {
    c.expect('*');
    const [size, sx] = sizeCast(c);
    if (sx) c.fail('atomic operations take an unsigned size');
    const { base, off } = memRef(c);
    const m = c.match(/\+=|&=|\|=|\^=/);
    if (!m) c.fail(`expected +=, &=, |= or ^=${c.found()}`);
    const src = reg(c, 'source');
    return { insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, base.n, src.n, off, lockOps[m[0]]) };
  }
  if (c.eatWord('store_release')) {
    c.expect('(');
    const [size] = sizeCast(c);
    const { base, off } = memRef(c);
    c.expect(',');
    const src = reg(c, 'source');
    c.expect(')');
    return { insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, base.n, src.n, off, o.BPF_STORE_REL) };
  }
  if (c.eat('*')) {
    const [size, sx, name] = sizeCast(c);
    if (sx) c.fail(`stores take an unsigned size, not ${name}`);
    const { base, off } = memRef(c);
    c.expect('=');
    const src = tryReg(c);
    if (src) {
      if (src.w && size === o.BPF_DW) c.fail('a 64-bit store needs an r register', src.start, 2);
      return { insn: mk(o.BPF_STX | o.BPF_MEM | size, base.n, src.n, off) };
    }
    return { insn: mk(o.BPF_ST | o.BPF_MEM | size, base.n, 0, off, imm32(c, number(c, 'a register or a constant'))) };
  }
  const dst = tryReg(c);
  if (!dst) {
    c.i = start;
    c.fail(`unknown instruction${c.found()}`, start);
  }
  return assignment(c, dst, opts);
}

function call(c: Cursor): Parsed {
  if (c.eatWord('pc')) {
    const n = number(c, 'a call offset');
    if (c.eat('#')) c.match(/\S*/);
    return { insn: mk(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_PSEUDO_CALL, 0, imm32(c, n, 'call offset')) };
  }
  if (c.peekRe(/[+-]?\s*(0x[0-9a-fA-F]+|\d+)(?![\w#])/)) {
    return { insn: mk(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_HELPER_CALL, 0, imm32(c, number(c))) };
  }
  c.ws();
  const at = c.i;
  const m = c.match(/[^\s#]+/);
  if (!m) c.fail(`expected a helper, kfunc or subprogram${c.found()}`);
  const name = m[0];
  if (c.eat('#')) {
    const imm = imm32(c, number(c, 'a call id'));
    if (name === 'kernel-function') {
      let off = 0;
      if (c.eat('off=')) off = off16(c, number(c, 'an offset'));
      return { insn: mk(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_PSEUDO_KFUNC_CALL, off, imm) };
    }
    return { insn: mk(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_HELPER_CALL, 0, imm) };
  }
  if (!/^[A-Za-z_.$][\w.$]*$/.test(name)) c.fail(`'${name}' is not a helper or label name`, at, name.length);
  const insn = mk(o.BPF_JMP | o.BPF_CALL, 0, o.BPF_HELPER_CALL);
  insn.ref = { kind: 'helper', name };
  return { insn, callByName: true };
}

function condJump(c: Cursor): Instruction {
  const dst = reg(c, 'compared');
  const m = c.match(/s>=|s<=|s>|s<|==|!=|>=|<=|>|<|&/);
  if (!m) c.fail(`expected a comparison (==, !=, >, >=, <, <=, s>, s>=, s<, s<=, &)${c.found()}`);
  const klass = dst.w ? o.BPF_JMP32 : o.BPF_JMP;
  const src = tryReg(c);
  let insn: Instruction;
  if (src) {
    sameWidth(c, dst, src);
    insn = mk(klass | cmpOps[m[0]] | o.BPF_X, dst.n, src.n);
  } else {
    insn = mk(klass | cmpOps[m[0]] | o.BPF_K, dst.n, 0, 0, imm32(c, number(c, 'a register or a constant')));
  }
  if (!c.eatWord('goto')) c.fail(`expected 'goto'${c.found()}`);
  return withTarget(insn, target(c, false), 'off');
}

function ldImm64(dst: Reg, value: bigint, src = 0): Instruction {
  return { code: o.LD_IMM64, dst: dst.n, src, off: 0, ...splitImm64(value) };
}

function assignment(c: Cursor, dst: Reg, opts: KernelParseOptions): Parsed {
  const klass = dst.w ? o.BPF_ALU : o.BPF_ALU64;
  const compound = c.match(/s>>=|s\/=|s%=|<<=|>>=|\+=|-=|\*=|\/=|\|=|&=|%=|\^=/);
  if (compound) {
    const [operation, off] = aluAssign[compound[0]];
    const src = tryReg(c);
    if (src) {
      sameWidth(c, dst, src);
      return { insn: mk(klass | operation | o.BPF_X, dst.n, src.n, off) };
    }
    return { insn: mk(klass | operation | o.BPF_K, dst.n, 0, off, imm32(c, number(c, 'a register or a constant'))) };
  }
  if (!c.eat('=')) c.fail(`expected an assignment operator${c.found()}`);
  c.ws();
  const rhsAt = c.i;

  // r0 = -r0
  if (c.peekRe(/-\s*[rw]\d/)) {
    c.expect('-');
    const r = reg(c, 'negated');
    sameWidth(c, dst, r);
    if (r.n !== dst.n) c.fail('neg works in place: write rN = -rN', r.start, 2);
    return { insn: mk(klass | o.BPF_NEG, dst.n) };
  }
  // r0 = (s8)r1
  const cast = c.match(/\(\s*s(8|16|32)\s*\)/);
  if (cast) {
    const r = reg(c, 'source');
    sameWidth(c, dst, r);
    const bits = Number(cast[1]);
    if (dst.w && bits === 32) c.fail('(s32) needs a 64-bit destination', rhsAt);
    return { insn: mk(klass | o.BPF_MOV | o.BPF_X, dst.n, r.n, bits) };
  }
  // loads
  if (c.eat('*')) {
    const [size, sx, name] = sizeCast(c);
    if (c.eatWord('skb')) {
      if (dst.n !== 0 || dst.w) c.fail('packet loads always load into r0', dst.start, 2);
      if (sx) c.fail(`packet loads take an unsigned size, not ${name}`);
      c.expect('[');
      const r = tryReg(c);
      let imm = 0;
      if (r) {
        // The kernel prints `skb[r1 + -4]`: a '+' and then a signed number.
        if (c.eat('+') || c.peekRe(/-/)) imm = imm32(c, number(c));
        c.expect(']');
        return { insn: mk(o.BPF_LD | o.BPF_IND | size, 0, r.n, 0, imm) };
      }
      imm = imm32(c, number(c, 'a packet offset'));
      c.expect(']');
      return { insn: mk(o.BPF_LD | o.BPF_ABS | size, 0, 0, 0, imm) };
    }
    const { base, off } = memRef(c);
    if (sx && size === o.BPF_DW) c.fail('no sign-extending 64-bit load');
    if (dst.w && (sx || size === o.BPF_DW)) c.fail(`a w register cannot receive a ${name} load`, dst.start, 2);
    return { insn: mk(o.BPF_LDX | (sx ? o.BPF_MEMSX : o.BPF_MEM) | size, dst.n, base.n, off) };
  }
  if (c.eat('&')) {
    c.expect('(');
    c.expect('void');
    c.expect('__percpu');
    c.expect('*');
    c.expect(')');
    c.expect('(');
    const r = reg(c, 'source');
    c.expect(')');
    return { insn: mk(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, dst.n, r.n, -1) };
  }
  const word = c.match(/(be|le|bswap)(16|32|64)(?!\w)/);
  if (word) {
    const r = reg(c, 'swapped');
    if (r.n !== dst.n) c.fail(`byte swaps work in place: write r${dst.n} = ${word[0]} r${dst.n}`, r.start, 2);
    const code = word[1] === 'bswap' ? o.BPF_ALU64 | o.BPF_END : o.BPF_ALU | o.BPF_END | (word[1] === 'be' ? o.BPF_TO_BE : o.BPF_TO_LE);
    return { insn: mk(code, dst.n, 0, 0, Number(word[2])) };
  }
  const fetch = c.match(/atomic(64)?_fetch_(add|and|or|xor)\s*\(/);
  if (fetch) {
    const [size] = sizeCast(c);
    if (fetch[1] && size !== o.BPF_DW) c.fail('atomic64_ operations are 64-bit: use (u64 *)', rhsAt);
    const { base, off } = memRef(c);
    c.expect(',');
    const src = reg(c, 'source');
    c.expect(')');
    if (src.n !== dst.n) c.fail(`the fetched value goes back into the source register: write r${src.n} = ...`, dst.start, 2);
    return { insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, base.n, src.n, off, fetchOps[fetch[2]] | o.BPF_FETCH) };
  }
  const xchg = c.match(/atomic(64)?_(xchg|cmpxchg)\s*\(/);
  if (xchg) {
    const [size] = sizeCast(c);
    if (xchg[1] && size !== o.BPF_DW) c.fail('atomic64_ operations are 64-bit: use (u64 *)', rhsAt);
    const { base, off } = memRef(c);
    c.expect(',');
    if (xchg[2] === 'cmpxchg') {
      const r0 = reg(c, 'compared');
      if (r0.n !== 0 || dst.n !== 0) c.fail('cmpxchg compares with and returns into r0', r0.n !== 0 ? r0.start : dst.start, 2);
      c.expect(',');
    }
    const src = reg(c, 'source');
    c.expect(')');
    if (xchg[2] === 'xchg' && src.n !== dst.n) c.fail('xchg returns into its source register', dst.start, 2);
    return { insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, base.n, src.n, off, xchg[2] === 'xchg' ? o.BPF_XCHG : o.BPF_CMPXCHG) };
  }
  const lxchg = c.match(/(xchg|cmpxchg)(_64|32_32)\s*\(/);
  if (lxchg) {
    const size = lxchg[2] === '_64' ? o.BPF_DW : o.BPF_W;
    const { base, off } = memRef(c, false);
    c.expect(',');
    if (lxchg[1] === 'cmpxchg') {
      const r0 = reg(c, 'compared');
      if (r0.n !== 0 || dst.n !== 0) c.fail('cmpxchg compares with and returns into r0', r0.start, 2);
      c.expect(',');
    }
    const src = reg(c, 'source');
    c.expect(')');
    if (lxchg[1] === 'xchg' && src.n !== dst.n) c.fail('xchg returns into its source register', dst.start, 2);
    return { insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, base.n, src.n, off, lxchg[1] === 'xchg' ? o.BPF_XCHG : o.BPF_CMPXCHG) };
  }
  if (c.match(/load_acquire\s*\(/)) {
    const [size] = sizeCast(c);
    const { base, off } = memRef(c);
    c.expect(')');
    return { insn: mk(o.BPF_STX | o.BPF_ATOMIC | size, dst.n, base.n, off, o.BPF_LOAD_ACQ) };
  }
  if (c.match(/addr_space_cast\s*\(/)) {
    const r = reg(c, 'source');
    c.expect(',');
    const to = number(c);
    c.expect(',');
    const from = number(c);
    c.expect(')');
    if (to.value < 0n || to.value > 0xffffn || from.value < 0n || from.value > 0xffffn) c.fail('address spaces are 0..65535', to.start);
    return { insn: mk(o.BPF_ALU64 | o.BPF_MOV | o.BPF_X, dst.n, r.n, o.BPF_ADDR_SPACE_CAST, Number((to.value << 16n) | from.value) | 0) };
  }
  // ld_imm64 with a pseudo source
  if (!dst.w && c.eatWord('map')) {
    c.expect('[');
    if (c.eat('id:')) {
      const id = imm32(c, number(c, 'a map id'));
      c.expect(']');
      if (c.eat('[')) {
        c.expect('0');
        c.expect(']');
        c.expect('+');
        const off = imm32(c, number(c, 'a value offset'));
        return { insn: { ...mk(o.LD_IMM64, dst.n, o.BPF_PSEUDO_MAP_VALUE, 0, id), imm2: off } };
      }
      return { insn: { ...mk(o.LD_IMM64, dst.n, o.BPF_PSEUDO_MAP_FD, 0, id), imm2: 0 } };
    }
    if (c.eat('idx:')) {
      const idx = imm32(c, number(c, 'a map index'));
      c.expect(']');
      if (c.eat('+')) {
        const off = imm32(c, number(c, 'a value offset'));
        return { insn: { ...mk(o.LD_IMM64, dst.n, o.BPF_PSEUDO_MAP_IDX_VALUE, 0, idx), imm2: off } };
      }
      return { insn: { ...mk(o.LD_IMM64, dst.n, o.BPF_PSEUDO_MAP_IDX, 0, idx), imm2: 0 } };
    }
    const name = c.ident();
    if (!name) c.fail(`expected id:N, idx:N or a map name${c.found()}`);
    c.expect(']');
    if (c.eat('[')) {
      c.expect('0');
      c.expect(']');
      c.expect('+');
      const off = imm32(c, number(c, 'a value offset'));
      return { insn: { ...mk(o.LD_IMM64, dst.n, o.BPF_PSEUDO_MAP_VALUE), imm2: off, ref: { kind: 'map', name, value: true, offset: off } } };
    }
    return { insn: { ...mk(o.LD_IMM64, dst.n, o.BPF_PSEUDO_MAP_FD), imm2: 0, ref: { kind: 'map', name } } };
  }
  if (!dst.w && c.eatWord('subprog')) {
    c.expect('[');
    const t = target(c, true);
    c.expect(']');
    return { insn: withTarget({ ...mk(o.LD_IMM64, dst.n, o.BPF_PSEUDO_FUNC), imm2: 0 }, t, 'imm') };
  }
  if (!dst.w && c.eatWord('btf_id')) {
    c.expect('[');
    const id = imm32(c, number(c, 'a BTF id'));
    c.expect(']');
    return { insn: { ...mk(o.LD_IMM64, dst.n, o.BPF_PSEUDO_BTF_ID, 0, id), imm2: 0 } };
  }
  // register move
  const src = tryReg(c);
  if (src) {
    sameWidth(c, dst, src);
    return { insn: mk(klass | o.BPF_MOV | o.BPF_X, dst.n, src.n) };
  }
  // constants
  if (c.peekRe(/[+-]?\s*(0[xX][0-9a-fA-F]+|\d+)/)) {
    const n = number(c, 'a constant');
    const ll = c.eatWord('ll');
    let pseudo = 0;
    if (ll && c.eat('src=')) {
      const s = number(c, 'a pseudo source');
      if (s.value < 0n || s.value > 15n) c.fail('src is 0..15', s.start, s.length);
      pseudo = Number(s.value);
    }
    if (dst.w) {
      if (ll) c.fail('ld_imm64 needs an r register', dst.start, 2);
      return { insn: mk(o.BPF_ALU | o.BPF_MOV | o.BPF_K, dst.n, 0, 0, imm32(c, n)) };
    }
    if (n.value < -(1n << 63n) || n.value >= 1n << 64n) c.fail('constant is out of 64-bit range', n.start, n.length);
    const fitsMov = n.value >= -0x80000000n && n.value <= 0x7fffffffn;
    const wide = ll || opts.prefix === o.LD_IMM64 ||
      (opts.prefix === undefined && (opts.llvm ? !fitsMov && !(n.hex && n.value <= 0xffffffffn) : n.hex || !fitsMov));
    if (wide) return { insn: ldImm64(dst, n.value, pseudo) };
    if (opts.llvm && n.hex) return { insn: mk(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, dst.n, 0, 0, imm32(c, n)) };
    if (!fitsMov) c.fail(`${n.value} does not fit a sign-extended 32-bit mov: write it as an ld_imm64 (append ll)`, n.start, n.length);
    return { insn: mk(o.BPF_ALU64 | o.BPF_MOV | o.BPF_K, dst.n, 0, 0, Number(n.value)) };
  }
  // llvm: r1 = map_name ll
  if (!dst.w) {
    const at = c.i;
    const name = c.ident();
    if (name && c.eatWord('ll')) return { insn: { ...mk(o.LD_IMM64, dst.n, o.BPF_PSEUDO_MAP_FD), imm2: 0, ref: { kind: 'map', name } } };
    c.i = at;
  }
  return c.fail(`expected a register, a constant or an expression${c.found()}`, rhsAt);
}

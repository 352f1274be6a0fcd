// A cursor over one source line for the hand-written parsers: each step knows its column, so
// every error carries a caret at the exact spot.
import { ParseError } from '../sys/errors.js';

export interface LineContext {
  file?: string;
  /** Whole source, for the caret line. */
  source: string;
  /** 1-based line number. */
  line: number;
}

export class Cursor {
  i = 0;
  constructor(readonly text: string, readonly ctx: LineContext, readonly end = text.length) {}

  fail(reason: string, at = this.i, length = 1): never {
    throw new ParseError(reason, { file: this.ctx.file, line: this.ctx.line, column: at + 1, length: Math.max(1, length) }, this.ctx.source);
  }

  ws(): this {
    while (this.i < this.end && (this.text[this.i] === ' ' || this.text[this.i] === '\t')) this.i++;
    return this;
  }

  atEnd(): boolean {
    this.ws();
    return this.i >= this.end;
  }

  /** Consumes `lit` (after blanks) if it is next. */
  eat(lit: string): boolean {
    this.ws();
    if (this.text.startsWith(lit, this.i) && this.i + lit.length <= this.end) {
      this.i += lit.length;
      return true;
    }
    return false;
  }

  /** Consumes `word` only when it is a whole identifier (not a prefix of a longer one). */
  eatWord(word: string): boolean {
    this.ws();
    const save = this.i;
    if (!this.eat(word)) return false;
    if (this.i < this.end && /[\w.]/.test(this.text[this.i])) {
      this.i = save;
      return false;
    }
    return true;
  }

  expect(lit: string, what = `'${lit}'`): void {
    if (!this.eat(lit)) this.fail(`expected ${what}${this.found()}`);
  }

  /** ", found 'x'" for error messages. */
  found(): string {
    this.ws();
    if (this.i >= this.end) return ', found end of line';
    const m = /^(\S+?)(?=[\s,()[\]]|$)/.exec(this.text.slice(this.i, this.end)) ?? /^\S/.exec(this.text.slice(this.i, this.end));
    return `, found '${m ? m[0] : this.text[this.i]}'`;
  }

  /** Matches a sticky regex at the cursor (after blanks); returns the match and advances. */
  match(re: RegExp): RegExpExecArray | undefined {
    this.ws();
    const sticky = new RegExp(re.source, re.flags.includes('y') ? re.flags : re.flags + 'y');
    sticky.lastIndex = this.i;
    const m = sticky.exec(this.text);
    if (!m || this.i + m[0].length > this.end) return undefined;
    this.i += m[0].length;
    return m;
  }

  peekRe(re: RegExp): boolean {
    const save = this.i;
    const m = this.match(re);
    this.i = save;
    return m !== undefined;
  }

  ident(): string | undefined {
    return this.match(/[A-Za-z_.$][\w.$]*/)?.[0];
  }

  expectEnd(): void {
    if (!this.atEnd()) this.fail(`unexpected '${this.text.slice(this.i, this.end).trim()}' at end of instruction`, this.i, this.end - this.i);
  }
}

/** A number literal: decimal (signed value) or 0x hex (bit pattern), with optional sign. */
export interface NumLit {
  value: bigint;
  hex: boolean;
  start: number;
  length: number;
}

export function number(c: Cursor, what = 'a number'): NumLit {
  c.ws();
  const start = c.i;
  const m = c.match(/([+-]?)\s*(0[xX][0-9a-fA-F]+|\d+)(?![\w.])/);
  if (!m) c.fail(`expected ${what}${c.found()}`);
  const mag = BigInt(m[2]);
  return { value: m[1] === '-' ? -mag : mag, hex: /^0x/i.test(m[2]), start, length: c.i - start };
}

/**
 * A 32-bit immediate: decimal must be a signed 32-bit value; hex may also be the unsigned
 * bit pattern up to 0xffffffff (as the kernel prints jump constants).
 */
export function imm32(c: Cursor, n: NumLit, what = 'immediate'): number {
  const hi = n.hex ? 0xffffffffn : 0x7fffffffn;
  if (n.value < -0x80000000n || n.value > hi) c.fail(`${what} ${n.hex ? '0x' + n.value.toString(16) : n.value} is out of 32-bit range`, n.start, n.length);
  return Number(BigInt.asIntN(32, n.value));
}

/** A 16-bit offset: signed decimal, or hex up to 0xffff. */
export function off16(c: Cursor, n: NumLit, what = 'offset'): number {
  const hi = n.hex ? 0xffffn : 0x7fffn;
  if (n.value < -0x8000n || n.value > hi) c.fail(`${what} ${n.value} is out of 16-bit range`, n.start, n.length);
  return Number(BigInt.asIntN(16, n.value));
}

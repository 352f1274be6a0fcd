// Rust v0 symbol demangling (`_R...`, RFC 2603), printed as GNU c++filt prints it: crate roots
// with their disambiguator in hex (`std[1a2b]::io`), generic args of values with `::<>`,
// constants with their type (`8: usize`). Parses and prints in one pass, as backrefs
// (`B<offset>`) make the grammar a DAG over the input.

class RustFail extends Error {}

const BASIC: Record<string, string> = {
  a: 'i8', b: 'bool', c: 'char', d: 'f64', e: 'str', f: 'f32', h: 'u8', i: 'isize', j: 'usize', l: 'i32', m: 'u32',
  n: 'i128', o: 'u128', s: 'i16', t: 'u16', u: '()', v: '...', x: 'i64', y: 'u64', z: '!', p: '_',
};

const INT_CONST = new Set(['a', 'h', 'i', 'j', 'l', 'm', 'n', 'o', 's', 't', 'x', 'y']);
const MAX_DEPTH = 300;

class V0 {
  private p = 0;
  private out = '';
  private skip = 0;
  private depth = 0;
  private boundLifetimes = 0;
  private readonly s: string;

  constructor(sym: string) {
    this.s = sym;
  }

  private fail(): never {
    throw new RustFail();
  }

  private peek(): string {
    return this.s[this.p] ?? '';
  }

  private next(): string {
    const c = this.s[this.p++];
    if (c === undefined) this.fail();
    return c;
  }

  private eat(c: string): boolean {
    if (this.s[this.p] === c) {
      this.p++;
      return true;
    }
    return false;
  }

  private print(x: string): void {
    if (this.skip === 0) this.out += x;
  }

  private guard<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH) this.fail();
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  /** <base-62-number>: '_' is 0, else digits [0-9a-zA-Z] then '_' give value + 1. */
  private int62(): bigint {
    if (this.eat('_')) return 0n;
    let x = 0n;
    let n = 0;
    for (;;) {
      const c = this.next();
      if (c === '_') break;
      let d: number;
      if (c >= '0' && c <= '9') d = c.charCodeAt(0) - 48;
      else if (c >= 'a' && c <= 'z') d = c.charCodeAt(0) - 87;
      else if (c >= 'A' && c <= 'Z') d = c.charCodeAt(0) - 29;
      else return this.fail();
      x = x * 62n + BigInt(d);
      if (++n > 20) this.fail();
    }
    return x + 1n;
  }

  private optInt62(tag: string): bigint {
    if (!this.eat(tag)) return 0n;
    return this.int62() + 1n;
  }

  private disambiguator(): bigint {
    return this.optInt62('s');
  }

  private decimal(): number {
    const c = this.peek();
    if (c === '0') {
      this.p++;
      return 0;
    }
    const m = /^[1-9]\d{0,8}/.exec(this.s.slice(this.p, this.p + 10));
    if (!m) this.fail();
    this.p += m[0].length;
    return Number(m[0]);
  }

  private ident(): { name: string; punycode: boolean } {
    const punycode = this.eat('u');
    const len = this.decimal();
    this.eat('_');
    if (this.p + len > this.s.length) this.fail();
    const name = this.s.slice(this.p, this.p + len);
    this.p += len;
    return { name, punycode };
  }

  private identText(id: { name: string; punycode: boolean }): string {
    return id.punycode ? `punycode{${id.name}}` : id.name;
  }

  private backref<T>(f: () => T): T {
    const at = this.p - 1;
    const target = this.int62();
    if (target >= BigInt(at)) this.fail();
    const saved = this.p;
    this.p = Number(target);
    try {
      return f();
    } finally {
      this.p = saved;
    }
  }

  symbol(): string {
    if (/\d/.test(this.peek())) this.decimal(); // encoding version
    this.path(true);
    // An instantiating crate may follow; it is not printed.
    if (this.p < this.s.length && /[A-Z]/.test(this.peek())) {
      this.skip++;
      try {
        this.path(false);
      } finally {
        this.skip--;
      }
    }
    if (this.p < this.s.length && this.peek() !== '.') this.fail();
    return this.out;
  }

  private path(inValue: boolean): void {
    this.guard(() => this.pathInner(inValue));
  }

  private pathInner(inValue: boolean): void {
    const tag = this.next();
    switch (tag) {
      case 'C': {
        const dis = this.disambiguator();
        const name = this.ident();
        this.print(this.identText(name));
        this.print(`[${dis.toString(16)}]`);
        return;
      }
      case 'N': {
        const ns = this.next();
        if (!/[a-zA-Z]/.test(ns)) this.fail();
        this.path(inValue);
        const dis = this.disambiguator();
        const name = this.ident();
        if (ns >= 'A' && ns <= 'Z') {
          this.print('::{');
          this.print(ns === 'C' ? 'closure' : ns === 'S' ? 'shim' : ns);
          if (name.name) this.print(`:${this.identText(name)}`);
          this.print(`#${dis}}`);
        } else if (name.name) {
          this.print(`::${this.identText(name)}`);
        }
        return;
      }
      case 'M':
      case 'X':
      case 'Y': {
        if (tag !== 'Y') {
          this.disambiguator();
          this.skip++;
          try {
            this.path(false);
          } finally {
            this.skip--;
          }
        }
        this.print('<');
        this.type();
        if (tag !== 'M') {
          this.print(' as ');
          this.path(false);
        }
        this.print('>');
        return;
      }
      case 'I': {
        this.path(inValue);
        if (inValue) this.print('::');
        this.print('<');
        let first = true;
        while (!this.eat('E')) {
          if (!first) this.print(', ');
          first = false;
          this.genericArg();
        }
        this.print('>');
        return;
      }
      case 'B':
        this.backref(() => this.path(inValue));
        return;
      default:
        this.fail();
    }
  }

  private genericArg(): void {
    if (this.eat('L')) {
      this.lifetime(this.int62());
      return;
    }
    if (this.eat('K')) {
      this.constant();
      return;
    }
    this.type();
  }

  private lifetime(lt: bigint): void {
    if (lt === 0n) {
      this.print("'_");
      return;
    }
    const depth = BigInt(this.boundLifetimes) - lt;
    if (depth < 0n) {
      this.print(`'_${BigInt.asUintN(64, depth)}`);
      return;
    }
    this.print(depth < 26n ? `'${String.fromCharCode(97 + Number(depth))}` : `'_${depth}`);
  }

  private binder(f: () => void): void {
    const n = this.eat('G') ? Number(this.int62() + 1n) : 0;
    if (n > 0) {
      this.print('for<');
      for (let i = 0; i < n; i++) {
        if (i) this.print(', ');
        this.boundLifetimes++;
        this.lifetime(1n);
      }
      this.print('> ');
    }
    try {
      f();
    } finally {
      this.boundLifetimes -= n;
    }
  }

  private type(): void {
    this.guard(() => this.typeInner());
  }

  private typeInner(): void {
    const c = this.next();
    if (BASIC[c]) {
      this.print(BASIC[c]);
      return;
    }
    switch (c) {
      case 'R':
      case 'Q': {
        this.print('&');
        if (this.eat('L')) {
          const lt = this.int62();
          if (lt !== 0n) {
            this.lifetime(lt);
            this.print(' ');
          }
        }
        if (c === 'Q') this.print('mut ');
        this.type();
        return;
      }
      case 'P':
      case 'O':
        this.print(c === 'P' ? '*const ' : '*mut ');
        this.type();
        return;
      case 'A':
      case 'S':
        this.print('[');
        this.type();
        if (c === 'A') {
          this.print('; ');
          this.constant();
        }
        this.print(']');
        return;
      case 'T': {
        this.print('(');
        let n = 0;
        while (!this.eat('E')) {
          if (n) this.print(', ');
          this.type();
          n++;
        }
        if (n === 1) this.print(',');
        this.print(')');
        return;
      }
      case 'F':
        this.binder(() => {
          if (this.eat('U')) this.print('unsafe ');
          if (this.eat('K')) {
            if (this.eat('C')) this.print('extern "C" ');
            else {
              const abi = this.ident();
              if (abi.punycode) this.fail();
              this.print(`extern "${abi.name.replace(/_/g, '-')}" `);
            }
          }
          this.print('fn(');
          let n = 0;
          while (!this.eat('E')) {
            if (n++) this.print(', ');
            this.type();
          }
          this.print(')');
          if (this.eat('u')) return;
          this.print(' -> ');
          this.type();
        });
        return;
      case 'D': {
        this.print('dyn ');
        this.binder(() => {
          let n = 0;
          while (!this.eat('E')) {
            if (n++) this.print(' + ');
            this.dynTrait();
          }
        });
        if (!this.eat('L')) this.fail();
        const lt = this.int62();
        if (lt !== 0n) {
          this.print(' + ');
          this.lifetime(lt);
        }
        return;
      }
      case 'B':
        this.backref(() => this.type());
        return;
      default:
        this.p--;
        this.path(false);
    }
  }

  private dynTrait(): void {
    const open = this.pathMaybeOpenGenerics();
    let opened = open;
    while (this.eat('p')) {
      this.print(opened ? ', ' : '<');
      opened = true;
      const name = this.ident();
      this.print(`${this.identText(name)} = `);
      this.type();
    }
    if (opened) this.print('>');
  }

  /** Prints a path; when it ends in generic args, leaves their '>' unprinted and returns true. */
  private pathMaybeOpenGenerics(): boolean {
    if (this.eat('B')) {
      return this.backref(() => this.pathMaybeOpenGenerics());
    }
    if (this.eat('I')) {
      this.path(false);
      this.print('<');
      let n = 0;
      while (!this.eat('E')) {
        if (n++) this.print(', ');
        this.genericArg();
      }
      return true;
    }
    this.path(false);
    return false;
  }

  private constant(): void {
    this.guard(() => {
      if (this.eat('B')) {
        this.backref(() => this.constant());
        return;
      }
      const ty = this.next();
      if (ty === 'p') {
        this.print('_');
        return;
      }
      const neg = INT_CONST.has(ty) && this.eat('n');
      const start = this.p;
      while (/[0-9a-f]/.test(this.peek())) this.p++;
      const hex = this.s.slice(start, this.p);
      if (!this.eat('_')) this.fail();
      const v = hex === '' ? 0n : BigInt('0x' + hex);
      if (INT_CONST.has(ty)) {
        this.print(`${neg ? '-' : ''}${v}: ${BASIC[ty]}`);
      } else if (ty === 'b') {
        if (v > 1n) this.fail();
        this.print(`${v === 1n}: bool`);
      } else if (ty === 'c') {
        if (v > 0x10ffffn) this.fail();
        const ch = String.fromCodePoint(Number(v));
        const q = ch === "'" ? "\\'" : ch === '\\' ? '\\\\' : v < 0x20n || v === 0x7fn ? `\\u{${v.toString(16)}}` : ch;
        this.print(`'${q}': char`);
      } else this.fail();
    });
  }
}

/** Demangles a Rust v0 symbol (`_R...`); undefined when it is not one. */
export function demangleRustV0(name: string): string | undefined {
  if (!name.startsWith('_R')) return undefined;
  let sym = name.slice(2);
  const dot = sym.indexOf('.');
  if (dot >= 0) sym = sym.slice(0, dot);
  if (sym === '' || !/^[0-9A-Z]/.test(sym)) return undefined;
  try {
    return new V0(sym).symbol();
  } catch (e) {
    if (e instanceof RustFail) return undefined;
    throw e;
  }
}

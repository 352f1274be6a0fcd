// Symbol demangling: C++ (Itanium ABI) and Rust (legacy `_ZN...17h<hash>E` and v0 `_R`).
// Output follows GNU c++filt (libiberty) so that stacks read the same as in other tools:
// `char const*`, `> >`, `(anonymous namespace)`, `{lambda(int)#1}`, ` [clone .cold]`.
// Anything not understood is returned unchanged, as c++filt does.
import { demangleRustV0 } from './demangle-rust.js';

export interface DemangleOptions {
  /** Print function parameter lists (default true). */
  params?: boolean;
  /** Keep the `::h<hash>` of legacy Rust names (default true, as c++filt prints). */
  rustHash?: boolean;
  /**
   * Print `std::string`, `std::ostream`, ... for the standard abbreviations (as __cxa_demangle does)
   * instead of their full expansion (as c++filt does; default false).
   */
  stdAbbreviations?: boolean;
}

/** Demangles a C++ or Rust symbol name; returns the input when it is not a mangled name. */
export function demangle(name: string, opts: DemangleOptions = {}): string {
  if (name.startsWith('_R')) return demangleRustV0(name) ?? name;
  if (!name.startsWith('_Z')) return name;
  const rust = demangleRustLegacy(name, opts.rustHash ?? true);
  if (rust !== undefined) return rust;
  try {
    return new ItaniumParser(name, opts).demangleTop() ?? name;
  } catch (e) {
    if (e instanceof DemangleFail) return name;
    throw e;
  }
}

/** True when `name` looks mangled (C++ `_Z`, Rust `_R` or legacy). */
export function isMangled(name: string): boolean {
  return name.startsWith('_Z') || name.startsWith('_R');
}

// ---------------------------------------------------------------------------------------------
// Rust legacy: a C++ nested name of source names whose last is `h` + 16 hex digits, with $..$
// escapes for punctuation.

const RUST_ESCAPES: Record<string, string> = { SP: '@', BP: '*', RF: '&', LT: '<', GT: '>', LP: '(', RP: ')', C: ',' };

export function demangleRustLegacy(name: string, keepHash = true): string | undefined {
  let s = name;
  const dot = s.indexOf('.');
  let suffix = '';
  if (dot > 0) {
    suffix = s.slice(dot);
    s = s.slice(0, dot);
  }
  if (!s.startsWith('_ZN') || !s.endsWith('E')) return undefined;
  const parts: string[] = [];
  let p = 3;
  while (p < s.length - 1) {
    const m = /^\d+/.exec(s.slice(p, p + 10));
    if (!m) return undefined;
    const n = Number(m[0]);
    p += m[0].length;
    if (n === 0 || p + n > s.length - 1) return undefined;
    parts.push(s.slice(p, p + n));
    p += n;
  }
  if (p !== s.length - 1 || parts.length < 2) return undefined;
  const hash = parts[parts.length - 1];
  if (!/^h[0-9a-f]{16}$/.test(hash)) return undefined;
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i === parts.length - 1 && !keepHash) break;
    const d = unescapeRustLegacy(parts[i]);
    if (d === undefined) return undefined;
    out.push(d);
  }
  return out.join('::') + suffix;
}

function unescapeRustLegacy(part: string): string | undefined {
  let s = part;
  if (s.startsWith('_$')) s = s.slice(1);
  let out = '';
  for (let i = 0; i < s.length; ) {
    const c = s[i];
    if (c === '$') {
      const end = s.indexOf('$', i + 1);
      if (end < 0) return undefined;
      const code = s.slice(i + 1, end);
      if (RUST_ESCAPES[code]) out += RUST_ESCAPES[code];
      else if (/^u[0-9a-f]+$/.test(code)) out += String.fromCodePoint(parseInt(code.slice(1), 16));
      else return undefined;
      i = end + 1;
    } else if (c === '.' && s[i + 1] === '.') {
      out += '::';
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Itanium C++ ABI

class DemangleFail extends Error {}

type Node =
  | { k: 'name'; s: string }
  | { k: 'qual'; left: Node; right: Node }
  | { k: 'template'; name: Node; args: Node[] }
  | { k: 'ctor'; name: string }
  | { k: 'dtor'; name: string }
  | { k: 'op'; s: string; arity: number }
  | { k: 'conv'; type: Node }
  | { k: 'abi'; name: Node; tags: string[] }
  | { k: 'builtin'; s: string }
  | { k: 'cv'; q: string; type: Node }
  | { k: 'ptr' | 'ref' | 'rref'; type: Node }
  | { k: 'func'; ret: Node | undefined; params: Node[]; q: string }
  | { k: 'array'; dim: Node | string; type: Node }
  | { k: 'ptrmem'; cls: Node; member: Node }
  | { k: 'tparam'; index: number; level: number }
  | { k: 'pack'; args: Node[] }
  | { k: 'expand'; pattern: Node }
  | { k: 'encoding'; name: Node; type: Extract<Node, { k: 'func' }> | undefined }
  | { k: 'local'; fn: Node; entity: Node }
  | { k: 'special'; prefix: string; inner: Node; inner2?: Node }
  | { k: 'literal'; type: Node; value: string }
  | { k: 'lambda'; params: Node[]; num: number }
  | { k: 'unnamed'; num: number }
  | { k: 'vector'; dim: string | Node; type: Node }
  | { k: 'vendor'; q: string; type: Node }
  | { k: 'decltype'; expr: Node }
  | { k: 'fparam'; n: number }
  | { k: 'unary'; op: string; arg: Node }
  | { k: 'binary'; op: string; l: Node; r: Node }
  | { k: 'trinary'; a: Node; b: Node; c: Node }
  | { k: 'call'; fn: Node; args: Node[] }
  | { k: 'cast'; type: Node; args: Node[]; style: string }
  | { k: 'sizeof'; what: string; arg: Node; type: boolean }
  | { k: 'member'; obj: Node; op: string; name: Node }
  | { k: 'text'; s: string }
  | { k: 'nested-cv'; name: Node; q: string }
  | { k: 'std'; simple: string; full: string; last: string };

type FuncNode = Extract<Node, { k: 'func' }>;

const BUILTINS: Record<string, string> = {
  v: 'void', w: 'wchar_t', b: 'bool', c: 'char', a: 'signed char', h: 'unsigned char', s: 'short', t: 'unsigned short',
  i: 'int', j: 'unsigned int', l: 'long', m: 'unsigned long', x: 'long long', y: 'unsigned long long', n: '__int128',
  o: 'unsigned __int128', f: 'float', d: 'double', e: 'long double', g: '__float128', z: '...',
};

const D_BUILTINS: Record<string, string> = {
  d: 'decimal64', e: 'decimal128', f: 'decimal32', h: 'half', i: 'char32_t', s: 'char16_t', u: 'char8_t', a: 'auto',
  c: 'decltype(auto)', n: 'decltype(nullptr)',
};

/** Operator codes → [printed name, arity]. */
const OPERATORS: Record<string, [string, number]> = {
  nw: ['new', 3], na: ['new[]', 3], dl: ['delete', 1], da: ['delete[]', 1], ps: ['+', 1], ng: ['-', 1], ad: ['&', 1],
  de: ['*', 1], co: ['~', 1], pl: ['+', 2], mi: ['-', 2], ml: ['*', 2], dv: ['/', 2], rm: ['%', 2], an: ['&', 2],
  or: ['|', 2], eo: ['^', 2], aS: ['=', 2], pL: ['+=', 2], mI: ['-=', 2], mL: ['*=', 2], dV: ['/=', 2], rM: ['%=', 2],
  aN: ['&=', 2], oR: ['|=', 2], eO: ['^=', 2], ls: ['<<', 2], rs: ['>>', 2], lS: ['<<=', 2], rS: ['>>=', 2],
  eq: ['==', 2], ne: ['!=', 2], lt: ['<', 2], gt: ['>', 2], le: ['<=', 2], ge: ['>=', 2], ss: ['<=>', 2], nt: ['!', 1],
  aa: ['&&', 2], oo: ['||', 2], pp: ['++', 1], mm: ['--', 1], cm: [',', 2], pm: ['->*', 2], pt: ['->', 2],
  cl: ['()', 2], ix: ['[]', 2], qu: ['?', 3], st: ['sizeof ', 1], sz: ['sizeof ', 1], at: ['alignof ', 1],
  az: ['alignof ', 1], nx: ['noexcept', 1], dt: ['.', 2], ds: ['.*', 2],
};

const STD_SUBS: Record<string, { simple: string; full: string; last: string }> = {
  t: { simple: 'std', full: 'std', last: 'std' },
  a: { simple: 'std::allocator', full: 'std::allocator', last: 'allocator' },
  b: { simple: 'std::basic_string', full: 'std::basic_string', last: 'basic_string' },
  s: { simple: 'std::string', full: 'std::basic_string<char, std::char_traits<char>, std::allocator<char> >', last: 'basic_string' },
  i: { simple: 'std::istream', full: 'std::basic_istream<char, std::char_traits<char> >', last: 'basic_istream' },
  o: { simple: 'std::ostream', full: 'std::basic_ostream<char, std::char_traits<char> >', last: 'basic_ostream' },
  d: { simple: 'std::iostream', full: 'std::basic_iostream<char, std::char_traits<char> >', last: 'basic_iostream' },
};

const MAX_DEPTH = 256;
const MAX_PRINT_STEPS = 200_000;

class ItaniumParser {
  private p = 0;
  private subs: Node[] = [];
  private lastName = '';
  private depth = 0;
  /** Template args of the most recent template-args list at the outermost level (for T_ in conversions). */
  private readonly s: string;
  private readonly opts: DemangleOptions;

  constructor(s: string, opts: DemangleOptions) {
    this.s = s;
    this.opts = opts;
  }

  private fail(): never {
    throw new DemangleFail();
  }

  private peek(o = 0): string {
    return this.s[this.p + o] ?? '';
  }

  private next(): string {
    const c = this.s[this.p++];
    if (c === undefined) this.fail();
    return c;
  }

  private eat(str: string): boolean {
    if (this.s.startsWith(str, this.p)) {
      this.p += str.length;
      return true;
    }
    return false;
  }

  private expect(c: string): void {
    if (!this.eat(c)) this.fail();
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail();
  }

  demangleTop(): string | undefined {
    this.expect('_Z');
    const enc = this.encoding(true);
    let clones = '';
    while (this.peek() === '.' && /[a-z_0-9]/.test(this.peek(1))) {
      const start = this.p;
      this.p += 2;
      while (/[a-z_0-9]/.test(this.peek())) this.p++;
      while (this.peek() === '.' && /[0-9]/.test(this.peek(1))) {
        this.p += 2;
        while (/[0-9]/.test(this.peek())) this.p++;
      }
      clones += ` [clone ${this.s.slice(start, this.p)}]`;
    }
    if (this.p !== this.s.length) return undefined;
    return new Printer(this.opts).top(enc) + clones;
  }

  // <encoding> ::= <name> <bare-function-type> | <name> | <special-name>
  private encoding(top: boolean): Node {
    this.enter();
    try {
      const c = this.peek();
      if (c === 'T' || (c === 'G' && /[VRTA]/.test(this.peek(1)))) return this.specialName();
      const name = this.name();
      const at = this.peek();
      if (at === '' || at === 'E' || (top && at === '.')) return { k: 'encoding', name, type: undefined };
      const needRet = hasReturnType(name);
      let ret: Node | undefined;
      if (needRet) ret = this.type();
      const params = this.bareFunctionParams();
      const { name: inner, q } = splitQualifiers(name);
      return { k: 'encoding', name: inner, type: { k: 'func', ret, params, q } };
    } finally {
      this.depth--;
    }
  }

  private bareFunctionParams(): Node[] {
    const params: Node[] = [];
    while (this.p < this.s.length && this.peek() !== 'E' && this.peek() !== '.') params.push(this.type());
    if (params.length === 0) this.fail();
    return params;
  }

  private specialName(): Node {
    const c2 = this.s.slice(this.p, this.p + 2);
    this.p += 2;
    switch (c2) {
      case 'TV': return { k: 'special', prefix: 'vtable for ', inner: this.type() };
      case 'TT': return { k: 'special', prefix: 'VTT for ', inner: this.type() };
      case 'TI': return { k: 'special', prefix: 'typeinfo for ', inner: this.type() };
      case 'TS': return { k: 'special', prefix: 'typeinfo name for ', inner: this.type() };
      case 'TF': return { k: 'special', prefix: 'typeinfo fn for ', inner: this.type() };
      case 'TH': return { k: 'special', prefix: 'TLS init function for ', inner: this.name() };
      case 'TW': return { k: 'special', prefix: 'TLS wrapper function for ', inner: this.name() };
      case 'Th': {
        this.callOffset('h');
        return { k: 'special', prefix: 'non-virtual thunk to ', inner: this.encoding(false) };
      }
      case 'Tv': {
        this.callOffset('v');
        return { k: 'special', prefix: 'virtual thunk to ', inner: this.encoding(false) };
      }
      case 'Tc': {
        this.callOffset();
        this.callOffset();
        return { k: 'special', prefix: 'covariant return thunk to ', inner: this.encoding(false) };
      }
      case 'TC': {
        const derived = this.type();
        this.number();
        this.expect('_');
        const base = this.type();
        return { k: 'special', prefix: 'construction vtable for ', inner: base, inner2: derived };
      }
      case 'GV': return { k: 'special', prefix: 'guard variable for ', inner: this.name() };
      case 'GR': {
        const n = this.name();
        let num = 0;
        if (this.peek() === '_') this.p++;
        else if (this.peek() !== '') {
          num = this.seqId() + 1;
          this.expect('_');
        }
        return { k: 'special', prefix: `reference temporary #${num} for `, inner: n };
      }
      case 'GA': return { k: 'special', prefix: 'hidden alias for ', inner: this.encoding(false) };
      case 'GT': {
        const t = this.next();
        return { k: 'special', prefix: t === 'n' ? 'non-transaction clone for ' : 'transaction clone for ', inner: this.encoding(false) };
      }
      default:
        return this.fail();
    }
  }

  // <call-offset> ::= h <nv-offset> _ | v <v-offset> _
  private callOffset(kind?: string): void {
    const c = kind ?? this.next();
    if (c === 'h') {
      this.number();
      this.expect('_');
    } else if (c === 'v') {
      this.number();
      this.expect('_');
      this.number();
      this.expect('_');
    } else this.fail();
  }

  private number(): number {
    const neg = this.eat('n');
    const m = /^\d+/.exec(this.s.slice(this.p, this.p + 20));
    if (!m) this.fail();
    this.p += m[0].length;
    return neg ? -Number(m[0]) : Number(m[0]);
  }

  /** <seq-id>: base 36 with digits and upper-case letters. */
  private seqId(): number {
    let v = 0;
    let n = 0;
    while (/[0-9A-Z]/.test(this.peek())) {
      const c = this.next();
      v = v * 36 + (c <= '9' ? c.charCodeAt(0) - 48 : c.charCodeAt(0) - 55);
      n++;
    }
    if (n === 0) this.fail();
    return v;
  }

  private addSub(n: Node): void {
    this.subs.push(n);
  }

  // <name> ::= <nested-name> | <unscoped-name> | <unscoped-template-name> <template-args> | <local-name>
  private name(): Node {
    this.enter();
    try {
      const c = this.peek();
      if (c === 'N') return this.nestedName();
      if (c === 'Z') return this.localName();
      if (c === 'S' && this.peek(1) !== 't') {
        const sub = this.substitution(false);
        if (this.peek() === 'I') return { k: 'template', name: sub, args: this.templateArgs() };
        return sub;
      }
      let n: Node;
      if (c === 'S') {
        this.p += 2;
        n = { k: 'qual', left: { k: 'name', s: 'std' }, right: this.unqualifiedName() };
      } else n = this.unqualifiedName();
      if (this.peek() === 'I') {
        this.addSub(n);
        n = { k: 'template', name: n, args: this.templateArgs() };
      }
      return n;
    } finally {
      this.depth--;
    }
  }

  // <local-name> ::= Z <encoding> E <entity name> [<discriminator>] | Z <encoding> E s [<discriminator>]
  private localName(): Node {
    this.expect('Z');
    const fn = this.encoding(false);
    this.expect('E');
    let entity: Node;
    if (this.eat('s')) entity = { k: 'text', s: 'string literal' };
    else {
      let scope: Node | undefined;
      if (this.eat('d')) {
        // default argument scope: Z <encoding> E d [<number>] _ <name>
        const num = this.peek() === '_' ? 0 : this.number() + 1;
        this.expect('_');
        scope = { k: 'text', s: `{default arg#${num + 1}}` };
      }
      entity = this.name();
      if (scope) entity = { k: 'qual', left: scope, right: entity };
    }
    this.discriminator();
    return { k: 'local', fn, entity };
  }

  private discriminator(): void {
    if (this.peek() !== '_') return;
    if (this.peek(1) === '_') {
      this.p += 2;
      this.number();
      this.expect('_');
    } else if (/\d/.test(this.peek(1))) {
      this.p++;
      this.number();
    }
  }

  // <nested-name> ::= N [<CV-qualifiers>] [<ref-qualifier>] <prefix> <unqualified-name> E
  private nestedName(): Node {
    this.expect('N');
    const q = this.cvQualifiers();
    let ref = '';
    if (this.eat('R')) ref = ' &';
    else if (this.eat('O')) ref = ' &&';
    let ret: Node | undefined;
    for (;;) {
      const c = this.peek();
      if (c === '') this.fail();
      if (c === 'E') {
        this.p++;
        break;
      }
      let dc: Node;
      let isTemplate = false;
      if (c === 'D' && (this.peek(1) === 'T' || this.peek(1) === 't')) dc = this.type();
      else if (c === 'S') dc = this.substitution(true);
      else if (c === 'I') {
        if (!ret) this.fail();
        isTemplate = true;
        dc = { k: 'pack', args: this.templateArgs() };
      } else if (c === 'T') dc = this.templateParam();
      else if (c === 'M') {
        if (!ret) this.fail();
        this.p++;
        continue;
      } else dc = this.unqualifiedName();
      if (!ret) ret = dc;
      else if (isTemplate) ret = { k: 'template', name: ret, args: (dc as { args: Node[] }).args };
      else ret = { k: 'qual', left: ret, right: dc };
      if (c !== 'S' && this.peek() !== 'E') this.addSub(ret);
    }
    if (!ret) this.fail();
    return q || ref ? { k: 'nested-cv', name: ret, q: q + ref } : ret;
  }

  private cvQualifiers(): string {
    // Mangled r V K; printed const volatile restrict.
    const r = this.eat('r');
    const v = this.eat('V');
    const k = this.eat('K');
    return (k ? ' const' : '') + (v ? ' volatile' : '') + (r ? ' restrict' : '');
  }

  // <unqualified-name> ::= <operator-name> | <ctor-dtor-name> | <source-name> | <unnamed-type-name> | L <source-name>
  private unqualifiedName(): Node {
    const c = this.peek();
    let n: Node;
    if (/\d/.test(c)) n = this.sourceName();
    else if (c === 'L') {
      this.p++;
      n = this.sourceName();
      this.discriminator();
    } else if (c === 'C') {
      this.p++;
      if (this.eat('I')) this.type(); // inheriting constructor: the base class
      else this.next();
      n = { k: 'ctor', name: this.lastName };
    } else if (c === 'D' && /[012345]/.test(this.peek(1))) {
      this.p += 2;
      n = { k: 'dtor', name: this.lastName };
    } else if (c === 'U') n = this.unnamedType();
    else if (/[a-z]/.test(c)) n = this.operatorName();
    else return this.fail();
    while (this.peek() === 'B') {
      const tags: string[] = [];
      while (this.eat('B')) tags.push(this.rawSourceName());
      n = { k: 'abi', name: n, tags };
    }
    return n;
  }

  private rawSourceName(): string {
    const m = /^\d+/.exec(this.s.slice(this.p, this.p + 10));
    if (!m) this.fail();
    this.p += m[0].length;
    const len = Number(m[0]);
    if (len <= 0 || this.p + len > this.s.length) this.fail();
    const id = this.s.slice(this.p, this.p + len);
    this.p += len;
    return id;
  }

  private sourceName(): Node {
    const id = this.rawSourceName();
    // _GLOBAL_[._$]N... is the anonymous namespace.
    const s = /^_GLOBAL_[._$]N/.test(id) ? '(anonymous namespace)' : id;
    this.lastName = s;
    return { k: 'name', s };
  }

  private unnamedType(): Node {
    this.expect('U');
    if (this.eat('t')) {
      const num = this.peek() === '_' ? 0 : this.number() + 1;
      this.expect('_');
      return { k: 'unnamed', num: num + 1 };
    }
    if (this.eat('l')) {
      const params: Node[] = [];
      while (this.peek() === 'T' && /[ytnp]/.test(this.peek(1))) this.p += 2; // template parameter declarations
      while (this.peek() !== 'E') params.push(this.type());
      this.expect('E');
      const num = this.peek() === '_' ? 0 : this.number() + 1;
      this.expect('_');
      return { k: 'lambda', params, num: num + 1 };
    }
    return this.fail();
  }

  private operatorName(): Node {
    const code = this.s.slice(this.p, this.p + 2);
    if (code === 'cv') {
      this.p += 2;
      return { k: 'conv', type: this.type() };
    }
    if (code === 'li') {
      this.p += 2;
      return { k: 'name', s: `operator"" ${this.rawSourceName()}` };
    }
    if (code[0] === 'v' && /\d/.test(code[1] ?? '')) {
      this.p += 2;
      return { k: 'name', s: `operator ${this.rawSourceName()}` };
    }
    const op = OPERATORS[code];
    if (!op) this.fail();
    this.p += 2;
    return { k: 'op', s: op[0].trimEnd(), arity: op[1] };
  }

  // <substitution> ::= S_ | S <seq-id> _ | St | Sa | Sb | Ss | Si | So | Sd
  private substitution(prefix: boolean): Node {
    this.expect('S');
    const c = this.peek();
    if (c === '_' || /[0-9A-Z]/.test(c)) {
      const i = c === '_' ? 0 : this.seqId() + 1;
      this.expect('_');
      const n = this.subs[i];
      if (!n) this.fail();
      return n;
    }
    const std = STD_SUBS[c];
    if (!std) this.fail();
    this.p++;
    let full = this.opts.stdAbbreviations !== true;
    if (prefix) {
      const nx = this.peek();
      if (nx === 'C' || nx === 'D') full = true;
    }
    this.lastName = std.last;
    if (c === 't') return { k: 'name', s: 'std' };
    return { k: 'std', simple: full ? std.full : std.simple, full: std.full, last: std.last };
  }

  // <template-param> ::= T_ | T <number> _ | TL <level> __ ...
  private templateParam(): Node {
    this.expect('T');
    let level = 0;
    if (this.eat('L')) {
      level = this.number() + 1;
      this.expect('_');
    }
    const index = this.peek() === '_' ? 0 : this.number() + 1;
    this.expect('_');
    return { k: 'tparam', index, level };
  }

  // <template-args> ::= I <template-arg>+ E
  private templateArgs(): Node[] {
    const saved = this.lastName;
    this.expect('I');
    const args: Node[] = [];
    while (!this.eat('E')) {
      if (this.p >= this.s.length) this.fail();
      args.push(this.templateArg());
    }
    this.lastName = saved;
    return args;
  }

  private templateArg(): Node {
    const c = this.peek();
    if (c === 'L') return this.exprPrimary();
    if (c === 'X') {
      this.p++;
      const e = this.expression();
      this.expect('E');
      return e;
    }
    if (c === 'J') {
      this.p++;
      const args: Node[] = [];
      while (!this.eat('E')) {
        if (this.p >= this.s.length) this.fail();
        args.push(this.templateArg());
      }
      return { k: 'pack', args };
    }
    return this.type();
  }

  // <type>
  private type(): Node {
    this.enter();
    try {
      return this.typeInner();
    } finally {
      this.depth--;
    }
  }

  private typeInner(): Node {
    const c = this.peek();
    if (c === 'r' || c === 'V' || c === 'K') {
      const q = this.cvQualifiers();
      // Qualifiers before a function type apply to `this`; the bare function type is no candidate.
      const t = this.peek() === 'F' ? this.functionType() : this.type();
      let n: Node;
      if (t.k === 'func') n = { ...t, q: q + t.q };
      else n = { k: 'cv', q, type: t };
      this.addSub(n);
      return n;
    }
    if (BUILTINS[c]) {
      this.p++;
      return { k: 'builtin', s: BUILTINS[c] };
    }
    let ret: Node;
    let canSub = true;
    switch (c) {
      case 'u': {
        this.p++;
        ret = { k: 'name', s: this.rawSourceName() };
        break;
      }
      case 'F':
        ret = this.functionType();
        break;
      case 'N':
      case 'Z':
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        ret = this.name();
        break;
      case 'A':
        ret = this.arrayType();
        break;
      case 'M': {
        this.p++;
        const cls = this.type();
        const member = this.type();
        ret = { k: 'ptrmem', cls, member };
        break;
      }
      case 'T': {
        ret = this.templateParam();
        if (this.peek() === 'I') {
          this.addSub(ret);
          ret = { k: 'template', name: ret, args: this.templateArgs() };
        }
        break;
      }
      case 'S': {
        const n1 = this.peek(1);
        if (/[0-9_A-Z]/.test(n1)) {
          ret = this.substitution(false);
          if (this.peek() === 'I') ret = { k: 'template', name: ret, args: this.templateArgs() };
          else canSub = false;
        } else {
          ret = this.name();
          if (ret.k === 'std') canSub = false;
        }
        break;
      }
      case 'P':
        this.p++;
        ret = { k: 'ptr', type: this.type() };
        break;
      case 'R':
        this.p++;
        ret = { k: 'ref', type: this.type() };
        break;
      case 'O':
        this.p++;
        ret = { k: 'rref', type: this.type() };
        break;
      case 'C':
        this.p++;
        ret = { k: 'vendor', q: ' _Complex', type: this.type() };
        break;
      case 'G':
        this.p++;
        ret = { k: 'vendor', q: ' _Imaginary', type: this.type() };
        break;
      case 'U': {
        this.p++;
        const q = this.rawSourceName();
        if (this.peek() === 'I') this.templateArgs();
        ret = { k: 'vendor', q: ` ${q}`, type: this.type() };
        break;
      }
      case 'D': {
        const d = this.peek(1);
        this.p += 2;
        if (D_BUILTINS[d]) return { k: 'builtin', s: D_BUILTINS[d] };
        if (d === 'F') {
          const n = this.number();
          const x = this.eat('x') ? 'x' : '';
          this.expect('_');
          return { k: 'builtin', s: `_Float${n}${x}` };
        }
        if (d === 'B' || d === 'U') {
          const n = /\d/.test(this.peek()) ? String(this.number()) : '';
          this.expect('_');
          return { k: 'builtin', s: `${d === 'U' ? 'unsigned ' : ''}_BitInt(${n})` };
        }
        if (d === 'T' || d === 't') {
          const e = this.expression();
          this.expect('E');
          ret = { k: 'decltype', expr: e };
          break;
        }
        if (d === 'p') {
          ret = { k: 'expand', pattern: this.type() };
          break;
        }
        if (d === 'v') {
          let dim: string | Node;
          if (this.eat('_')) {
            dim = this.expression();
          } else dim = String(this.number());
          this.expect('_');
          ret = { k: 'vector', dim, type: this.type() };
          break;
        }
        if (d === 'x' || d === 'o' || d === 'O' || d === 'w') {
          // transaction_safe / noexcept / throw() function type qualifiers
          this.p -= 2;
          ret = this.functionType();
          break;
        }
        return this.fail();
      }
      default:
        return this.fail();
    }
    if (canSub) this.addSub(ret);
    return ret;
  }

  // <function-type> ::= [<CV-qualifiers>] [Dx] [<exception-spec>] F [Y] <bare-function-type> [<ref-qualifier>] E
  private functionType(): Node {
    let extra = '';
    for (;;) {
      if (this.eat('Dx')) extra += ' transaction_safe';
      else if (this.eat('Do')) extra += ' noexcept';
      else if (this.eat('DO')) {
        this.expression();
        this.expect('E');
        extra += ' noexcept';
      } else if (this.eat('Dw')) {
        while (!this.eat('E')) this.type();
        extra += ' throw';
      } else break;
    }
    this.expect('F');
    this.eat('Y');
    const ret = this.type();
    const params: Node[] = [];
    let q = '';
    for (;;) {
      if (this.eat('E')) break;
      if (this.peek() === 'R' && this.peek(1) === 'E') {
        this.p += 2;
        q = ' &';
        break;
      }
      if (this.peek() === 'O' && this.peek(1) === 'E') {
        this.p += 2;
        q = ' &&';
        break;
      }
      if (this.p >= this.s.length) this.fail();
      params.push(this.type());
    }
    return { k: 'func', ret, params, q: q + extra };
  }

  private arrayType(): Node {
    this.expect('A');
    let dim: string | Node = '';
    if (/\d/.test(this.peek())) dim = String(this.number());
    else if (this.peek() !== '_') dim = this.expression();
    this.expect('_');
    return { k: 'array', dim, type: this.type() };
  }

  // <expr-primary> ::= L <type> <value> E | L <mangled-name> E | L _Z <encoding> E
  private exprPrimary(): Node {
    this.expect('L');
    if (this.eat('_Z') || this.eat('Z')) {
      const e = this.encoding(false);
      this.expect('E');
      return e;
    }
    const type = this.type();
    const start = this.p;
    while (this.peek() !== 'E') {
      if (this.p >= this.s.length) this.fail();
      this.p++;
    }
    let value = this.s.slice(start, this.p);
    this.p++;
    if (value.startsWith('n')) value = '-' + value.slice(1);
    return { k: 'literal', type, value };
  }

  private expression(): Node {
    this.enter();
    try {
      return this.expressionInner();
    } finally {
      this.depth--;
    }
  }

  private expressionInner(): Node {
    const c = this.peek();
    if (c === 'L') return this.exprPrimary();
    if (c === 'T') return this.templateParam();
    const two = this.s.slice(this.p, this.p + 2);
    if (two === 'sr') {
      // As libiberty reads it: a type, then an unqualified name with optional template args.
      this.p += 2;
      const t = this.type();
      let name = this.unqualifiedName();
      if (this.peek() === 'I') name = { k: 'template', name, args: this.templateArgs() };
      return { k: 'qual', left: t, right: name };
    }
    if (two === 'gs') {
      this.p += 2;
      return this.expression();
    }
    if (two === 'fp' || two === 'fL') {
      this.p += 2;
      if (two === 'fL') {
        this.number();
        this.expect('p');
      }
      this.cvQualifiers();
      const n = this.peek() === '_' ? 0 : this.number() + 1;
      this.expect('_');
      return { k: 'fparam', n: n + 1 };
    }
    if (two === 'sp') {
      this.p += 2;
      return { k: 'expand', pattern: this.expression() };
    }
    if (two === 'st' || two === 'at') {
      this.p += 2;
      return { k: 'sizeof', what: two === 'st' ? 'sizeof' : 'alignof', arg: this.type(), type: true };
    }
    if (two === 'sz' || two === 'az') {
      this.p += 2;
      return { k: 'sizeof', what: two === 'sz' ? 'sizeof' : 'alignof', arg: this.expression(), type: false };
    }
    if (two === 'sZ') {
      this.p += 2;
      const t = this.peek() === 'T' ? this.templateParam() : this.expression();
      return { k: 'sizeof', what: 'sizeof...', arg: t, type: true };
    }
    if (two === 'tw') {
      this.p += 2;
      return { k: 'unary', op: 'throw ', arg: this.expression() };
    }
    if (two === 'tr') {
      this.p += 2;
      return { k: 'text', s: 'throw' };
    }
    if (two === 'cv') {
      this.p += 2;
      const type = this.type();
      const args: Node[] = [];
      if (this.eat('_')) {
        while (!this.eat('E')) args.push(this.expression());
      } else args.push(this.expression());
      return { k: 'cast', type, args, style: '' };
    }
    if (two === 'sc' || two === 'dc' || two === 'cc' || two === 'rc') {
      this.p += 2;
      const style = { sc: 'static_cast', dc: 'dynamic_cast', cc: 'const_cast', rc: 'reinterpret_cast' }[two];
      const type = this.type();
      return { k: 'cast', type, args: [this.expression()], style };
    }
    if (two === 'cl') {
      this.p += 2;
      const fn = this.expression();
      const args: Node[] = [];
      while (!this.eat('E')) {
        if (this.p >= this.s.length) this.fail();
        args.push(this.expression());
      }
      return { k: 'call', fn, args };
    }
    if (two === 'dt' || two === 'pt') {
      this.p += 2;
      const obj = this.expression();
      const name = this.unresolvedName();
      return { k: 'member', obj, op: two === 'dt' ? '.' : '->', name };
    }
    if (two === 'on') {
      this.p += 2;
      const op = this.operatorName();
      if (this.peek() === 'I') return { k: 'template', name: op, args: this.templateArgs() };
      return op;
    }
    if (two === 'dn') {
      this.p += 2;
      return { k: 'text', s: '~' + printNode(this.unresolvedType()) };
    }
    if (/\d/.test(c)) {
      const n = this.sourceName();
      if (this.peek() === 'I') return { k: 'template', name: n, args: this.templateArgs() };
      return n;
    }
    const op = OPERATORS[two];
    if (!op) this.fail();
    this.p += 2;
    if (op[1] === 1) return { k: 'unary', op: op[0], arg: this.expression() };
    if (op[1] === 2) {
      const l = this.expression();
      const r = this.expression();
      return { k: 'binary', op: op[0], l, r };
    }
    const a = this.expression();
    const b = this.expression();
    const d = this.expression();
    return { k: 'trinary', a, b, c: d };
  }

  private unresolvedType(): Node {
    if (this.peek() === 'T') {
      const t = this.templateParam();
      this.addSub(t);
      return t;
    }
    if (this.peek() === 'D') return this.type();
    if (this.peek() === 'S') return this.substitution(true);
    return this.sourceName();
  }

  // sr <unresolved-type> <base-unresolved-name> | srN <unresolved-type> <unresolved-qualifier-level>* E <base-unresolved-name>
  private unresolvedName(): Node {
    if (this.eat('N')) {
      let q: Node = this.unresolvedType();
      if (this.peek() === 'I') q = { k: 'template', name: q, args: this.templateArgs() };
      while (!this.eat('E')) {
        let n: Node = this.sourceName();
        if (this.peek() === 'I') n = { k: 'template', name: n, args: this.templateArgs() };
        q = { k: 'qual', left: q, right: n };
      }
      return { k: 'qual', left: q, right: this.baseUnresolvedName() };
    }
    if (/\d/.test(this.peek())) {
      let q: Node = this.sourceName();
      if (this.peek() === 'I') q = { k: 'template', name: q, args: this.templateArgs() };
      while (/\d/.test(this.peek())) {
        let n: Node = this.sourceName();
        if (this.peek() === 'I') n = { k: 'template', name: n, args: this.templateArgs() };
        q = { k: 'qual', left: q, right: n };
      }
      if (this.eat('E')) return { k: 'qual', left: q, right: this.baseUnresolvedName() };
      return q;
    }
    let t: Node = this.unresolvedType();
    if (this.peek() === 'I') t = { k: 'template', name: t, args: this.templateArgs() };
    return { k: 'qual', left: t, right: this.baseUnresolvedName() };
  }

  private baseUnresolvedName(): Node {
    if (this.eat('on')) {
      const op = this.operatorName();
      if (this.peek() === 'I') return { k: 'template', name: op, args: this.templateArgs() };
      return op;
    }
    if (this.eat('dn')) return { k: 'text', s: '~' + printNode(this.unresolvedType()) };
    let n: Node = this.sourceName();
    if (this.peek() === 'I') n = { k: 'template', name: n, args: this.templateArgs() };
    return n;
  }
}

/** Moves a member function's cv/ref qualifiers (N K ... E) off its name, also inside a local name. */
function splitQualifiers(n: Node): { name: Node; q: string } {
  if (n.k === 'nested-cv') return { name: n.name, q: n.q };
  if (n.k === 'local' && n.entity.k === 'nested-cv') return { name: { ...n, entity: n.entity.name }, q: n.entity.q };
  return { name: n, q: '' };
}

/** Does an encoding with this name mangle a return type? (Templates, except ctors, dtors, conversions.) */
function hasReturnType(n: Node): boolean {
  switch (n.k) {
    case 'local':
      return hasReturnType(n.entity);
    case 'nested-cv':
      return hasReturnType(n.name);
    case 'template':
      return !isCdtorConv(n.name);
    default:
      return false;
  }
}

function isCdtorConv(n: Node): boolean {
  switch (n.k) {
    case 'qual':
      return isCdtorConv(n.right);
    case 'abi':
      return isCdtorConv(n.name);
    case 'ctor':
    case 'dtor':
    case 'conv':
      return true;
    default:
      return false;
  }
}

function printNode(n: Node): string {
  return new Printer({}).type(n, '');
}

// ---------------------------------------------------------------------------------------------
// Printing, libiberty style

class Printer {
  /** Template argument lists in scope, innermost last (for T_). */
  private templates: Node[][] = [];
  private depth = 0;
  private steps = 0;
  private lambdaDepth = 0;
  private readonly opts: DemangleOptions;

  constructor(opts: DemangleOptions) {
    this.opts = opts;
  }

  top(n: Node): string {
    return this.node(n);
  }

  private guard<T>(f: () => T): T {
    // Substitutions can make output exponential in the input; give up like c++filt would fail.
    if (++this.depth > MAX_DEPTH || ++this.steps > MAX_PRINT_STEPS) throw new DemangleFail();
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  /** The template arguments an encoding's own T_ refer to. */
  private templateArgsOf(name: Node): Node[] | undefined {
    switch (name.k) {
      case 'template':
        return name.args;
      case 'local':
        return this.templateArgsOf(name.entity);
      case 'nested-cv':
        return this.templateArgsOf(name.name);
      default:
        return undefined;
    }
  }

  private encoding(n: Extract<Node, { k: 'encoding' }>, withReturn = true): string {
    const args = this.templateArgsOf(n.name);
    if (args) this.templates.push(args);
    try {
      const name = this.node(n.name);
      const f = n.type;
      if (!f) return name;
      if (this.opts.params === false) return name;
      const tail = `(${this.params(f.params)})${f.q}`;
      if (!f.ret || !withReturn) return name + tail;
      if (isSimpleDeclarator(this.resolve(f.ret))) return `${this.type(f.ret, '')} ${name}${tail}`;
      return this.type(f.ret, name + tail);
    } finally {
      if (args) this.templates.pop();
    }
  }

  private params(ps: Node[]): string {
    if (ps.length === 1 && ps[0].k === 'builtin' && ps[0].s === 'void') return '';
    return ps.map((p) => this.type(p, '')).filter((s) => s !== '').join(', ');
  }

  /** Follows template parameters to what they stand for. */
  private resolve(n: Node): Node {
    let cur = n;
    for (let i = 0; i < 16 && cur.k === 'tparam'; i++) {
      const a = this.lookup(cur);
      if (!a) return cur;
      cur = a;
    }
    return cur;
  }

  private lookup(t: Extract<Node, { k: 'tparam' }>): Node | undefined {
    const list = this.templates[this.templates.length - 1];
    if (!list) return undefined;
    return list[t.index];
  }

  private withOuter<T>(f: () => T): T {
    const saved = this.templates.pop();
    try {
      return f();
    } finally {
      if (saved) this.templates.push(saved);
    }
  }

  private templateArgs(args: Node[]): string {
    const parts: string[] = [];
    let lastEmpty = false;
    for (const a of args) {
      const s = this.node(a);
      lastEmpty = s === '';
      if (s !== '') parts.push(s);
    }
    const inner = parts.join(', ');
    // libiberty decides on '> >' by the last character it wrote; a trailing empty pack wrote ", "
    // and took it back, so no space follows then.
    return `<${inner}${inner.endsWith('>') && !(lastEmpty && parts.length > 0) ? ' ' : ''}>`;
  }

  /** A name, type or expression printed on its own. */
  node(n: Node): string {
    return this.guard(() => this.nodeInner(n));
  }

  private nodeInner(n: Node): string {
    switch (n.k) {
      case 'name':
        return n.s;
      case 'text':
        return n.s;
      case 'std':
        return n.simple;
      case 'qual':
        return `${this.node(n.left)}::${this.node(n.right)}`;
      case 'template': {
        const name = this.node(n.name);
        const args = this.templateArgs(n.args);
        return name + (name.endsWith('<') ? ' ' : '') + args;
      }
      case 'ctor':
        return n.name;
      case 'dtor':
        return `~${n.name}`;
      case 'op':
        return `operator${/^[a-z]/.test(n.s) ? ' ' : ''}${n.s}`;
      case 'conv':
        return `operator ${this.type(n.type, '')}`;
      case 'abi':
        return `${this.node(n.name)}${n.tags.map((t) => `[abi:${t}]`).join('')}`;
      case 'encoding':
        return this.encoding(n);
      case 'local': {
        // The enclosing function prints without its return type.
        const fn = n.fn.k === 'encoding' ? this.guard(() => this.encoding(n.fn as Extract<Node, { k: 'encoding' }>, false)) : this.node(n.fn);
        return `${fn}::${this.node(n.entity)}`;
      }
      case 'nested-cv':
        return this.node(n.name);
      case 'special':
        if (n.inner2) return `${n.prefix}${this.node(n.inner)}-in-${this.node(n.inner2)}`;
        return n.prefix + this.node(n.inner);
      case 'lambda': {
        // Template parameters in a lambda's signature are its invented `auto` parameters.
        this.lambdaDepth++;
        try {
          return `{lambda(${this.params(n.params)})#${n.num}}`;
        } finally {
          this.lambdaDepth--;
        }
      }
      case 'unnamed':
        return `{unnamed type#${n.num}}`;
      case 'pack':
        return n.args.map((a) => this.node(a)).filter((s) => s !== '').join(', ');
      case 'literal':
        return this.literal(n);
      case 'fparam':
        return `{parm#${n.n}}`;
      case 'unary': {
        if (n.op === 'throw ') return `throw ${this.node(n.arg)}`;
        // &function as a template argument: just the function's name.
        if (n.op === '&' && n.arg.k === 'encoding' && n.arg.type && !n.arg.type.ret && !n.arg.type.q) return `&${this.node(n.arg.name)}`;
        return `${n.op}${this.subexpr(n.arg)}`;
      }
      case 'binary': {
        const s = n.op === '[]' ? `${this.subexpr(n.l)}[${this.node(n.r)}]` : `${this.subexpr(n.l)}${n.op}${this.subexpr(n.r)}`;
        return n.op === '>' ? `(${s})` : s;
      }
      case 'trinary':
        return `${this.subexpr(n.a)}?${this.subexpr(n.b)} : ${this.subexpr(n.c)}`;
      case 'call':
        return `${this.subexpr(n.fn)}(${n.args.map((a) => this.node(a)).join(', ')})`;
      case 'cast':
        if (n.style) return `${n.style}<${this.type(n.type, '')}>(${this.node(n.args[0])})`;
        return `(${this.type(n.type, '')})(${n.args.map((a) => this.node(a)).join(', ')})`;
      case 'sizeof':
        if (n.what === 'sizeof...') {
          const pack = this.resolve(n.arg);
          if (pack.k === 'pack') return String(pack.args.length);
          return `sizeof...(${this.node(n.arg)})`;
        }
        return `${n.what} (${n.type ? this.type(n.arg, '') : this.node(n.arg)})`;
      case 'member':
        return `${this.subexpr(n.obj)}${n.op}${this.node(n.name)}`;
      case 'decltype':
        return `decltype (${this.node(n.expr)})`;
      case 'expand':
        return this.expand(n, '');
      default:
        return this.type(n, '');
    }
  }

  private subexpr(n: Node): string {
    const simple = n.k === 'name' || n.k === 'qual' || n.k === 'fparam' || (n.k === 'encoding' && !n.type);
    const s = this.node(n);
    return simple ? s : `(${s})`;
  }

  private literal(n: Extract<Node, { k: 'literal' }>): string {
    const t = this.resolve(n.type);
    if (t.k === 'builtin') {
      switch (t.s) {
        case 'int':
          return n.value;
        case 'unsigned int':
          return `${n.value}u`;
        case 'long':
          return `${n.value}l`;
        case 'unsigned long':
          return `${n.value}ul`;
        case 'long long':
          return `${n.value}ll`;
        case 'unsigned long long':
          return `${n.value}ull`;
        case 'bool':
          if (n.value === '0') return 'false';
          if (n.value === '1') return 'true';
          break;
        case 'decltype(nullptr)':
          return `(decltype(nullptr))${n.value}`;
        default:
          break;
      }
    }
    return `(${this.type(n.type, '')})${n.value}`;
  }

  /** Dp: one copy of the pattern per element of the pack it names, joined by ', '. */
  private expand(n: Extract<Node, { k: 'expand' }>, inner: string): string {
    const pack = this.findPack(n.pattern);
    if (!pack) return `${this.type(n.pattern, inner)}...`;
    const { param, args } = pack;
    const out: string[] = [];
    for (const a of args) {
      const sub = substitute(n.pattern, param, a);
      out.push(this.type(sub, inner));
    }
    return out.filter((s) => s !== '').join(', ');
  }

  private findPack(n: Node): { param: Extract<Node, { k: 'tparam' }>; args: Node[] } | undefined {
    let found: { param: Extract<Node, { k: 'tparam' }>; args: Node[] } | undefined;
    const visit = (x: Node, depth: number): void => {
      if (found || depth > 64) return;
      if (x.k === 'tparam') {
        const a = this.lookup(x);
        if (a && a.k === 'pack') found = { param: x, args: a.args };
        return;
      }
      for (const c of children(x)) visit(c, depth + 1);
    };
    visit(n, 0);
    return found;
  }

  /**
   * A type as C declarator syntax: `inner` is what goes where the declared name would be
   * ('*', '&', ' const', ' [3]', '(*)', a function name and its parameters).
   */
  type(n: Node, inner: string): string {
    return this.guard(() => this.typeInner(n, inner));
  }

  private typeInner(n: Node, inner: string): string {
    switch (n.k) {
      case 'ptr':
        return this.pointerLike(n.type, '*', inner);
      case 'ref':
      case 'rref': {
        // Reference collapsing through template parameters: T& with T = int&& is int&.
        const target = this.resolve(n.type);
        if (target.k === 'ref' || target.k === 'rref') {
          const k = n.k === 'ref' || target.k === 'ref' ? 'ref' : 'rref';
          return this.withOuterIfParam(n.type, () => this.type({ k, type: target.type }, inner));
        }
        return this.pointerLike(n.type, n.k === 'ref' ? '&' : '&&', inner);
      }
      case 'cv': {
        const t = this.resolve(n.type);
        if (t.k === 'func') return this.withOuterIfParam(n.type, () => this.type({ ...t, q: n.q + t.q }, inner));
        // const on an array (through a parameter) qualifies its elements: char const (&) [10].
        if (t.k === 'array') return this.withOuterIfParam(n.type, () => this.type({ ...t, type: { k: 'cv', q: n.q, type: t.type } }, inner));
        // const applied to a parameter that is already const stays one const.
        if (t.k === 'cv' && n.type.k === 'tparam') {
          const merged = [' const', ' volatile', ' restrict'].filter((q) => t.q.includes(q) || n.q.includes(q)).join('');
          return this.withOuter(() => this.type(t.type, merged + inner));
        }
        return this.type(n.type, n.q + inner);
      }
      case 'func': {
        const tail = `(${this.params(n.params)})${n.q}`;
        const ret = n.ret ?? { k: 'builtin', s: '' };
        if (inner === '') return this.type(ret, ` ${tail}`);
        return this.type(ret, ` (${inner.replace(/^ /, '')})${tail}`);
      }
      case 'array': {
        // Dimensions of nested arrays print together: int (*) [2][3].
        let dims = '';
        let elem: Node = n;
        while (elem.k === 'array') {
          dims += `[${typeof elem.dim === 'string' ? elem.dim : this.node(elem.dim)}]`;
          elem = elem.type;
        }
        if (inner === '') return this.type(elem, ` ${dims}`);
        if (inner.startsWith(' [')) return this.type(elem, inner + dims);
        return this.type(elem, ` (${inner.replace(/^ /, '')}) ${dims}`);
      }
      case 'ptrmem':
        return this.type(n.member, `${this.type(n.cls, '')}::*${inner}`);
      case 'tparam': {
        if (this.lambdaDepth > 0) return join(`auto:${n.index + 1}`, inner);
        const a = this.lookup(n);
        if (!a) return join(`T${n.index === 0 ? '' : n.index - 1}_`, inner);
        return this.withOuter(() => this.type(a, inner));
      }
      case 'pack':
        return join(this.node(n), inner);
      case 'expand':
        return this.expand(n, inner);
      case 'vector':
        return join(`${this.type(n.type, '')} __vector(${typeof n.dim === 'string' ? n.dim : this.node(n.dim)})`, inner);
      case 'vendor':
        return this.type(n.type, n.q + inner);
      case 'builtin':
        return join(n.s, inner);
      default:
        return join(this.node(n), inner);
    }
  }

  private withOuterIfParam<T>(n: Node, f: () => T): T {
    return n.k === 'tparam' ? this.withOuter(f) : f();
  }

  private pointerLike(target: Node, sym: string, inner: string): string {
    // Inside a function or array declarator the pointer joins the parenthesized part: void (*(*)(int))(int);
    // on a plain type it stays with the type: int* (*)().
    const t = this.resolve(target);
    const wraps = t.k === 'func' || t.k === 'array' || (t.k === 'cv' && this.resolve(t.type).k === 'func');
    const rest = wraps && inner.startsWith(' (') ? inner.slice(1) : inner;
    return this.type(target, sym + rest);
  }
}

function join(base: string, inner: string): string {
  if (inner === '') return base;
  return /^[A-Za-z_~({]/.test(inner) ? `${base} ${inner}` : base + inner;
}

/** Return types that print as `T name(...)` rather than wrapping the name (functions, arrays, member pointers). */
function isSimpleDeclarator(n: Node): boolean {
  let cur = n;
  for (let i = 0; i < 32; i++) {
    if (cur.k === 'ptr' || cur.k === 'ref' || cur.k === 'rref' || cur.k === 'cv') cur = cur.type;
    else break;
  }
  return cur.k !== 'func' && cur.k !== 'array' && cur.k !== 'ptrmem';
}

function children(n: Node): Node[] {
  switch (n.k) {
    case 'ptr': case 'ref': case 'rref': case 'cv': case 'vendor': case 'vector':
      return [n.type];
    case 'func':
      return [...(n.ret ? [n.ret] : []), ...n.params];
    case 'array':
      return typeof n.dim === 'string' ? [n.type] : [n.dim, n.type];
    case 'ptrmem':
      return [n.cls, n.member];
    case 'template':
      return [n.name, ...n.args];
    case 'qual':
      return [n.left, n.right];
    case 'pack':
      return n.args;
    case 'decltype':
      return [n.expr];
    case 'unary':
      return [n.arg];
    case 'binary':
      return [n.l, n.r];
    case 'trinary':
      return [n.a, n.b, n.c];
    case 'call':
      return [n.fn, ...n.args];
    case 'cast':
      return [n.type, ...n.args];
    case 'sizeof':
      return [n.arg];
    case 'member':
      return [n.obj, n.name];
    default:
      return [];
  }
}

/** The pattern with one template parameter replaced by one element of its pack. */
function substitute(n: Node, param: Extract<Node, { k: 'tparam' }>, value: Node): Node {
  if (n.k === 'tparam' && n.index === param.index && n.level === param.level) return value;
  switch (n.k) {
    case 'ptr': case 'ref': case 'rref':
      return { ...n, type: substitute(n.type, param, value) };
    case 'cv': case 'vendor': case 'vector':
      return { ...n, type: substitute(n.type, param, value) } as Node;
    case 'func':
      return { ...n, ret: n.ret && substitute(n.ret, param, value), params: n.params.map((p) => substitute(p, param, value)) };
    case 'array':
      return { ...n, type: substitute(n.type, param, value) };
    case 'ptrmem':
      return { ...n, cls: substitute(n.cls, param, value), member: substitute(n.member, param, value) };
    case 'template':
      return { ...n, name: substitute(n.name, param, value), args: n.args.map((a) => substitute(a, param, value)) };
    case 'qual':
      return { ...n, left: substitute(n.left, param, value), right: substitute(n.right, param, value) };
    case 'decltype':
      return { ...n, expr: substitute(n.expr, param, value) };
    case 'unary':
      return { ...n, arg: substitute(n.arg, param, value) };
    case 'binary':
      return { ...n, l: substitute(n.l, param, value), r: substitute(n.r, param, value) };
    case 'call':
      return { ...n, fn: substitute(n.fn, param, value), args: n.args.map((a) => substitute(a, param, value)) };
    case 'cast':
      return { ...n, type: substitute(n.type, param, value), args: n.args.map((a) => substitute(a, param, value)) };
    case 'sizeof':
      return { ...n, arg: substitute(n.arg, param, value) };
    case 'member':
      return { ...n, obj: substitute(n.obj, param, value) };
    default:
      return n;
  }
}

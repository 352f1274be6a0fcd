// The lexer of the bpftrace 0.17 language, written to behave like bpftrace's flex scanner
// (src/lexer.l): longest match with ties going to the earlier rule, the same token kinds, the same
// error messages, and the same source locations. bpftrace's locations only move their start over
// whitespace, so a token glued to the previous one starts where that one started; we do the same,
// because error columns depend on it.
import type { Loc } from './ast.js';

export type TokenKind =
  | 'END'
  | 'COLON'
  | 'SEMI'
  | 'LBRACE'
  | 'RBRACE'
  | 'LBRACKET'
  | 'RBRACKET'
  | 'LPAREN'
  | 'RPAREN'
  | 'QUES'
  | 'ENDPRED'
  | 'COMMA'
  | 'PARAMCOUNT'
  | 'ASSIGN'
  | 'EQ'
  | 'NE'
  | 'LE'
  | 'GE'
  | 'LEFT'
  | 'RIGHT'
  | 'LT'
  | 'GT'
  | 'LAND'
  | 'LOR'
  | 'PLUS'
  | 'INCREMENT'
  | 'LEFTASSIGN'
  | 'RIGHTASSIGN'
  | 'PLUSASSIGN'
  | 'MINUSASSIGN'
  | 'MULASSIGN'
  | 'DIVASSIGN'
  | 'MODASSIGN'
  | 'BANDASSIGN'
  | 'BORASSIGN'
  | 'BXORASSIGN'
  | 'MINUS'
  | 'DECREMENT'
  | 'MUL'
  | 'DIV'
  | 'MOD'
  | 'BAND'
  | 'BOR'
  | 'BXOR'
  | 'LNOT'
  | 'BNOT'
  | 'DOT'
  | 'PTR'
  | 'IF'
  | 'ELSE'
  | 'UNROLL'
  | 'STRUCT'
  | 'UNION'
  | 'WHILE'
  | 'FOR'
  | 'RETURN'
  | 'CONTINUE'
  | 'BREAK'
  | 'BUILTIN'
  | 'CALL'
  | 'CALL_BUILTIN'
  | 'IDENT'
  | 'PATH'
  | 'CPREPROC'
  | 'STRUCT_DEFN'
  | 'ENUM'
  | 'STRING'
  | 'MAP'
  | 'VAR'
  | 'PARAM'
  | 'INT'
  | 'STACK_MODE';

export interface Token {
  kind: TokenKind;
  /** Text of identifiers, strings (unescaped), paths, maps, variables, parameters. */
  text: string;
  /** INT tokens: the value as bpftrace's int parser gives it (unsigned 64-bit). */
  value?: bigint;
  loc: Loc;
}

export interface LexDiagnostic {
  message: string;
  loc: Loc;
}

const BUILTINS = new Set([
  'arg0', 'arg1', 'arg2', 'arg3', 'arg4', 'arg5', 'arg6', 'arg7', 'arg8', 'arg9', 'args', 'cgroup', 'comm', 'cpid', 'numaid', 'cpu', 'ctx', 'curtask', 'elapsed', 'func', 'gid', 'nsecs', 'pid', 'probe', 'rand', 'retval',
  'sarg0', 'sarg1', 'sarg2', 'sarg3', 'sarg4', 'sarg5', 'sarg6', 'sarg7', 'sarg8', 'sarg9', 'tid', 'uid', 'username',
]);
export const CALLS = new Set([
  'avg', 'buf', 'cat', 'cgroupid', 'clear', 'count', 'delete', 'exit', 'hist', 'join', 'kaddr', 'kptr', 'ksym', 'lhist', 'macaddr', 'max', 'min', 'ntop', 'override', 'print', 'printf', 'cgroup_path', 'reg', 'signal', 'sizeof',
  'stats', 'str', 'strerror', 'strftime', 'strncmp', 'strcontains', 'sum', 'system', 'time', 'uaddr', 'uptr', 'usym', 'zero', 'path', 'unwatch', 'bswap', 'skboutput', 'pton', 'debugf',
]);
const CALL_BUILTINS = new Set(['kstack', 'ustack']);
const KEYWORDS: Record<string, TokenKind> = {
  if: 'IF', else: 'ELSE', unroll: 'UNROLL', while: 'WHILE', for: 'FOR', return: 'RETURN', continue: 'CONTINUE', break: 'BREAK',
};

// Operators, longest first; the order among equal lengths does not matter (no two are equal).
const OPERATORS: [string, TokenKind][] = [
  ['<<=', 'LEFTASSIGN'], ['>>=', 'RIGHTASSIGN'],
  ['+=', 'PLUSASSIGN'], ['-=', 'MINUSASSIGN'], ['*=', 'MULASSIGN'], ['/=', 'DIVASSIGN'], ['%=', 'MODASSIGN'], ['&=', 'BANDASSIGN'], ['|=', 'BORASSIGN'], ['^=', 'BXORASSIGN'],
  ['==', 'EQ'], ['!=', 'NE'], ['<=', 'LE'], ['>=', 'GE'], ['<<', 'LEFT'], ['>>', 'RIGHT'], ['&&', 'LAND'], ['||', 'LOR'], ['++', 'INCREMENT'], ['--', 'DECREMENT'], ['->', 'PTR'],
  [':', 'COLON'], [';', 'SEMI'], ['{', 'LBRACE'], ['}', 'RBRACE'], ['[', 'LBRACKET'], [']', 'RBRACKET'], ['(', 'LPAREN'], [')', 'RPAREN'], [',', 'COMMA'], ['=', 'ASSIGN'],
  ['<', 'LT'], ['>', 'GT'], ['+', 'PLUS'], ['-', 'MINUS'], ['*', 'MUL'], ['/', 'DIV'], ['%', 'MOD'], ['&', 'BAND'], ['|', 'BOR'], ['^', 'BXOR'], ['!', 'LNOT'], ['~', 'BNOT'], ['.', 'DOT'], ['?', 'QUES'],
];

const INT_SIZE = '(?:[uU]?[lL]?[lL]|[uU])';
const INT = `[0-9](?:[0-9_]*[0-9])?${INT_SIZE}?`;
const RE = {
  hspace: /[ \t]+/y,
  vspace: /[\n\r]+/y,
  shebang: /#![^\n]*(?=\n)/y,
  lineComment: /\/\/[^\n]*(?=\n)/y,
  ident: /[_a-zA-Z][_a-zA-Z0-9]*/y,
  number: new RegExp(`(?:${INT}[eE]${INT}|0[xX][0-9a-fA-F]+|${INT})`, 'y'),
  path: /:(?:\\.|[_\-./a-zA-Z0-9#*])+/y,
  map: /@(?:[_a-zA-Z][_a-zA-Z0-9]*)?/y,
  variable: /\$[_a-zA-Z][_a-zA-Z0-9]*/y,
  param: /\$[0-9]+/y,
  cpreproc: /#[^!][^\n]*/y,
  endpred: /\/(?=[ \t\n\r]*[/{])/y,
};

function matchAt(re: RegExp, s: string, pos: number): string | undefined {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m ? m[0] : undefined;
}

/** bpftrace's ast::int_parser::to_uint(text, 0). Throws with bpftrace's message. */
export function parseIntLiteral(text: string): bigint {
  const n = text.replace(/_/g, '');
  if (/^0[xX]/.test(n)) return parseC(n);
  const e = n.search(/[eE]/);
  if (e >= 0) {
    const coeffText = n.slice(0, e);
    const expText = n.slice(e + 1);
    let coeff: bigint;
    let exp: bigint;
    try {
      coeff = parseC(coeffText, 10);
    } catch (err) {
      throw new Error(`Coefficient part of scientific literal is not a valid number: ${coeffText}: ${(err as Error).message}`);
    }
    try {
      exp = parseC(expText, 10);
    } catch (err) {
      throw new Error(`Exponent part of scientific literal is not a valid number: ${expText}: ${(err as Error).message}`);
    }
    if (coeff > 9n) throw new Error(`Coefficient part of scientific literal must be in range (0,9), got: ${coeffText}`);
    if (exp > 16n) throw new Error(`Exponent will overflow integer range: ${expText}`);
    return coeff * 10n ** exp;
  }
  return parseC(n);
}

// std::stoull(text, &idx, base) followed by bpftrace's check that only a size suffix trails.
function parseC(text: string, base = 0): bigint {
  let i = 0;
  let b = base;
  let digits: RegExp;
  if (b === 0) {
    if (/^0[xX][0-9a-fA-F]/.test(text)) {
      b = 16;
      i = 2;
    } else if (text.startsWith('0')) b = 8;
    else b = 10;
  }
  if (b === 16) digits = /[0-9a-fA-F]/;
  else if (b === 8) digits = /[0-7]/;
  else digits = /[0-9]/;
  const start = i;
  while (i < text.length && digits.test(text[i])) i++;
  if (i === start) throw new Error('stoull');
  const value = BigInt((b === 16 ? '0x' : b === 8 ? '0o' : '') + text.slice(start, i));
  if (value > 0xffffffffffffffffn) throw new Error('stoull');
  if (i !== text.length && !/^(u|u?l?l)$/i.test(text.slice(i))) throw new Error('Found trailing non-numeric characters');
  return value;
}

interface Position {
  line: number;
  column: number;
}

/**
 * Pull-based scanner. `next()` returns tokens until END (then END forever, like flex's yyterminate).
 * Lexical errors are reported through `onError` and scanning goes on, as in bpftrace.
 */
export class Lexer {
  private src: string;
  private pos = 0;
  private begin: Position = { line: 1, column: 1 };
  private end: Position = { line: 1, column: 1 };
  private macroDepth = 0;

  constructor(
    source: string,
    private readonly onError: (d: LexDiagnostic) => void,
    private readonly macros: ReadonlyMap<string, string> = new Map(),
  ) {
    this.src = source;
  }

  private loc(): Loc {
    return { line: this.begin.line, column: this.begin.column, endLine: this.end.line, endColumn: this.end.column };
  }
  private columns(n: number): void {
    this.end.column = Math.max(1, this.end.column + n);
  }
  private lines(n: number): void {
    this.end.line += n;
    this.end.column = 1;
  }
  private step(): void {
    this.begin = { ...this.end };
  }
  private error(message: string): void {
    this.onError({ message, loc: this.loc() });
  }
  private tok(kind: TokenKind, text = ''): Token {
    return { kind, text, loc: this.loc() };
  }
  /** Consumes n characters and accounts their columns, as flex's YY_USER_ACTION does. */
  private take(n: number): string {
    const s = this.src.slice(this.pos, this.pos + n);
    this.pos += n;
    this.columns(n);
    return s;
  }

  next(): Token {
    for (;;) {
      const s = this.src;
      const p = this.pos;
      if (p >= s.length) return this.tok('END');
      const c = s[p];
      const atLineStart = p === 0 || s[p - 1] === '\n';

      // Candidates: [length, rule order, action]. Flex takes the longest, then the earliest rule.
      let best: { len: number; order: number; run: () => Token | undefined } | undefined;
      const offer = (len: number | undefined, order: number, run: () => Token | undefined): void => {
        if (len === undefined || len === 0) return;
        if (!best || len > best.len || (len === best.len && order < best.order)) best = { len, order, run };
      };
      let m: string | undefined;

      if ((m = matchAt(RE.hspace, s, p))) offer(m.length, 1, () => (this.take(m!.length), this.step(), undefined));
      const ws = matchAt(RE.vspace, s, p);
      if (ws) offer(ws.length, 2, () => (this.take(ws.length), this.lines(ws.length), this.step(), undefined));
      if (atLineStart) {
        const sb = matchAt(RE.shebang, s, p);
        if (sb) offer(sb.length + 1, 3, () => (this.take(sb.length), undefined));
      }
      const lc = matchAt(RE.lineComment, s, p);
      if (lc) offer(lc.length + 1, 4, () => (this.take(lc.length), undefined));
      if (s.startsWith('/*', p)) offer(2, 5, () => (this.take(2), this.comment(), undefined));
      const id = matchAt(RE.ident, s, p);
      if (id) {
        if (id === 'bpftrace' || id === 'perf') offer(id.length, 6, () => this.tok('STACK_MODE', this.take(id.length)));
        // builtin/call rules match a prefix of a longer identifier too (e.g. `arg1` in `arg10`).
        for (let len = id.length; len > 0; len--) {
          const w = id.slice(0, len);
          if (BUILTINS.has(w)) offer(len, 7, () => this.tok('BUILTIN', this.take(len)));
          if (CALLS.has(w)) offer(len, 8, () => this.tok('CALL', this.take(len)));
          if (CALL_BUILTINS.has(w)) offer(len, 9, () => this.tok('CALL_BUILTIN', this.take(len)));
        }
        if (KEYWORDS[id]) offer(id.length, 40, () => this.tok(KEYWORDS[id], this.take(id.length)));
        if (id === 'struct' || id === 'union' || id === 'enum') offer(id.length, 50, () => this.structDefinition(this.take(id.length)));
        offer(id.length, 60, () => this.identifier(id));
      }
      const num = matchAt(RE.number, s, p);
      if (num) {
        offer(num.length, 10, () => {
          const text = this.take(num.length);
          try {
            return { ...this.tok('INT', text), value: parseIntLiteral(text) };
          } catch (e) {
            this.error((e as Error).message);
            return undefined;
          }
        });
      }
      const path = matchAt(RE.path, s, p);
      if (path) offer(path.length, 11, () => this.tok('PATH', this.take(path.length)));
      const mp = matchAt(RE.map, s, p);
      if (mp) offer(mp.length, 12, () => this.tok('MAP', this.take(mp.length)));
      const vr = matchAt(RE.variable, s, p);
      if (vr) offer(vr.length, 13, () => this.tok('VAR', this.take(vr.length)));
      for (const [op, kind] of OPERATORS) {
        if (s.startsWith(op, p)) {
          offer(op.length, 14, () => (this.take(op.length), this.tok(kind)));
          break;
        }
      }
      if (c === '/') {
        // ENDPRED is "/" with trailing context; flex counts the context in the match length.
        const ctx = /^\/[ \t\n\r]*[/{]/.exec(s.slice(p, p + 4096));
        if (ctx) offer(ctx[0].length, 15, () => (this.take(1), this.tok('ENDPRED')));
      }
      const pm = matchAt(RE.param, s, p);
      if (pm) offer(pm.length, 16, () => this.tok('PARAM', this.take(pm.length)));
      if (s.startsWith('$#', p)) offer(2, 17, () => (this.take(2), this.tok('PARAMCOUNT')));
      const cp = matchAt(RE.cpreproc, s, p);
      if (cp) offer(cp.length, 18, () => this.tok('CPREPROC', this.take(cp.length)));
      if (c === '"') offer(1, 45, () => (this.take(1), this.string()));
      offer(1, 100, () => {
        const ch = this.take(1);
        if (ch === '\n') {
          this.lines(1);
          this.step();
          return undefined;
        }
        this.error(`invalid character '${ch}'`);
        return undefined;
      });

      const t = best!.run();
      if (t) return t;
    }
  }

  private identifier(id: string): Token | undefined {
    const expansion = this.macros.get(id);
    if (expansion === undefined) {
      this.macroDepth = 0;
      return this.tok('IDENT', this.take(id.length));
    }
    if (expansion === id) {
      this.macroDepth = 0;
      return this.tok('IDENT', this.take(id.length));
    }
    this.take(id.length);
    this.macroDepth += expansion.length;
    if (this.macroDepth >= 1000) {
      this.error(`Macro recursion limit reached: ${id}, ${expansion}`);
      this.pos = this.src.length;
      return undefined;
    }
    // flex unput(): the expansion is scanned next, in place of the name.
    this.src = this.src.slice(0, this.pos) + expansion + this.src.slice(this.pos);
    return undefined;
  }

  private comment(): void {
    const s = this.src;
    for (;;) {
      if (this.pos >= s.length) {
        this.error('end of file during comment');
        return;
      }
      if (s.startsWith('*/', this.pos)) {
        this.take(2);
        return;
      }
      if (s[this.pos] === '\n') {
        this.take(1);
        this.lines(1);
        this.step();
        continue;
      }
      if (s[this.pos] === '*') {
        this.take(1);
        continue;
      }
      let n = 0;
      while (this.pos + n < s.length && s[this.pos + n] !== '*' && s[this.pos + n] !== '\n') n++;
      this.take(n);
    }
  }

  private string(): Token | undefined {
    const s = this.src;
    let buf = '';
    for (;;) {
      if (this.pos >= s.length) {
        this.error('unterminated string');
        return undefined;
      }
      const c = s[this.pos];
      if (c === '"') {
        this.take(1);
        return this.tok('STRING', buf);
      }
      if (c === '\n') {
        this.take(1);
        this.error('unterminated string');
        this.lines(1);
        this.step();
        return undefined;
      }
      if (c === '\\') {
        const n = s[this.pos + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
        if (n !== undefined && simple[n] !== undefined) {
          this.take(2);
          buf += simple[n];
          continue;
        }
        const oct = /^[0-7]{1,3}/.exec(s.slice(this.pos + 1, this.pos + 4));
        if (oct) {
          this.take(1 + oct[0].length);
          const v = Number.parseInt(oct[0], 8);
          if (v > 255) this.error(`octal escape sequence out of range '\\${oct[0]}'`);
          buf += String.fromCharCode(v & 0xff);
          continue;
        }
        const hex = /^[xX][0-9a-fA-F]{1,2}/.exec(s.slice(this.pos + 1, this.pos + 4));
        if (hex) {
          this.take(1 + hex[0].length);
          buf += String.fromCharCode(Number.parseInt(hex[0].slice(1), 16));
          continue;
        }
        if (n !== undefined && n !== '\n') {
          this.take(2);
          this.error(`invalid escape character '\\${n}'`);
          continue;
        }
        // A backslash before a newline or the end: the "." rule (invalid character) ends the string.
        this.take(1);
        this.error('invalid character');
        return undefined;
      }
      let n = 0;
      while (this.pos + n < s.length && !'\\\n"'.includes(s[this.pos + n])) n++;
      buf += this.take(n);
    }
  }

  // struct/union/enum: a cast type name `(struct x *)` or a definition `struct x { ... };`.
  private structDefinition(keyword: string): Token | undefined {
    const s = this.src;
    let buf = '';
    let depth = 0;
    for (;;) {
      if (this.pos >= s.length) return this.tok('END');
      const c = s[this.pos];
      if (depth === 0 && (c === '*' || c === ')')) {
        // flex counts the character, then unput()s it to be scanned again as its own token, so the
        // location runs one column ahead from here on; bpftrace's columns do too.
        this.columns(1);
        return this.tok('IDENT', `${keyword} ${buf.trim()}`);
      }
      if (c === '}' && depth === 0) {
        // A stray '}' leaves the struct state without producing a token.
        this.take(s[this.pos + 1] === ';' ? 2 : 1);
        return undefined;
      }
      if (c === '{') {
        this.take(1);
        depth++;
        buf += '{';
        continue;
      }
      if (c === '}' && depth > 0) {
        const len = s[this.pos + 1] === ';' ? 2 : 1;
        buf += this.take(len);
        depth--;
        if (depth === 0) return this.tok('STRUCT_DEFN', keyword + buf);
        continue;
      }
      if (c === '\n') {
        this.take(1);
        buf += '\n';
        this.lines(1);
        this.step();
        continue;
      }
      buf += this.take(1);
    }
  }
}

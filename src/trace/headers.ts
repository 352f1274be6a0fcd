// The macros of the C headers a script includes (`#include <errno.h>`, `--include errno.h`), so that
// `strerror(EPERM)` or `CLONE_VM` mean what they mean in C. bpftrace hands its definitions to clang
// and keeps every object-like macro clang saw; bpfkit has no clang at run time, so this is a small
// preprocessor that follows #include and the conditionals, and collects #define lines. Types in
// headers are not read: kernel types come from BTF.
import { existsSync, readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { TraceError } from './diagnostics.js';

/** Where bpftrace 0.17 (ClangParser::system_include_paths) looks for `<...>` headers. */
export function systemIncludeDirs(): string[] {
  const machine = arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch();
  return ['/usr/local/include', `/usr/include/${machine}-linux-gnu`, '/usr/include'];
}

/** Macros clang predefines that system headers test; the rest are undefined (0 in #if). */
function predefined(): Map<string, string> {
  const m = new Map<string, string>([
    ['__linux__', '1'], ['__linux', '1'], ['__unix__', '1'], ['__STDC__', '1'], ['__STDC_VERSION__', '201710L'],
    ['__GNUC__', '4'], ['__GNUC_MINOR__', '2'], ['__GNUC_PATCHLEVEL__', '1'], ['__clang__', '1'],
    ['__CHAR_BIT__', '8'], ['__SIZEOF_LONG__', '8'], ['__SIZEOF_POINTER__', '8'], ['__LP64__', '1'], ['_LP64', '1'],
    ['__ORDER_LITTLE_ENDIAN__', '1234'], ['__ORDER_BIG_ENDIAN__', '4321'], ['__BYTE_ORDER__', '__ORDER_LITTLE_ENDIAN__'],
  ]);
  if (arch() === 'x64') m.set('__x86_64__', '1').set('__x86_64', '1');
  if (arch() === 'arm64') m.set('__aarch64__', '1');
  return m;
}

export interface HeaderOptions {
  /** `#include` lines and the rest of the script's C definitions, as parsed. */
  cDefinitions: string;
  /** `--include FILE`: headers included before the definitions. */
  includes?: string[];
  /** `-I DIR`: searched before the system directories. */
  includeDirs?: string[];
}

interface Define {
  params?: string[];
  body: string;
}

class Preprocessor {
  readonly defines = new Map<string, Define>();
  private readonly onceFiles = new Set<string>();
  private depth = 0;

  constructor(private readonly dirs: string[]) {
    for (const [k, v] of predefined()) this.defines.set(k, { body: v });
  }

  find(name: string, quoted: boolean, from?: string): string | undefined {
    const dirs = quoted && from ? [dirname(from), ...this.dirs] : this.dirs;
    for (const d of dirs) {
      const p = join(d, name);
      if (existsSync(p)) return p;
    }
    return undefined;
  }

  /** Runs the directives of one file; a header that cannot be found inside a system header is skipped. */
  file(path: string): void {
    if (this.onceFiles.has(path) || this.depth > 64) return;
    this.depth++;
    try {
      this.text(readFileSync(path, 'latin1'), path);
    } finally {
      this.depth--;
    }
  }

  text(source: string, path: string | undefined, onMissing?: (name: string, line: number, column: number) => void): void {
    const lines = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\\\n/g, ' ').split('\n');
    // Each entry: is this branch live, has any branch of the group been taken, was the parent live.
    const stack: { live: boolean; taken: boolean; parent: boolean }[] = [];
    const live = () => (stack.length ? stack[stack.length - 1].live : true);
    lines.forEach((raw, index) => {
      const m = /^\s*#\s*(\w+)\s*(.*?)\s*(\/\/.*)?$/.exec(raw);
      if (!m) return;
      const [, directive, rest] = m;
      switch (directive) {
        case 'if':
        case 'ifdef':
        case 'ifndef': {
          const parent = live();
          const cond = !parent ? false : directive === 'if' ? this.evaluate(rest) !== 0n : this.defines.has(rest.split(/\s/)[0]) === (directive === 'ifdef');
          stack.push({ live: parent && cond, taken: cond, parent });
          return;
        }
        case 'elif': {
          const top = stack[stack.length - 1];
          if (!top) return;
          const cond = top.parent && !top.taken && this.evaluate(rest) !== 0n;
          top.live = cond;
          top.taken ||= cond;
          return;
        }
        case 'else': {
          const top = stack[stack.length - 1];
          if (!top) return;
          top.live = top.parent && !top.taken;
          top.taken = true;
          return;
        }
        case 'endif':
          stack.pop();
          return;
      }
      if (!live()) return;
      switch (directive) {
        case 'define': {
          const d = /^([A-Za-z_]\w*)(\(([^)]*)\))?\s*(.*)$/.exec(rest);
          if (d) this.defines.set(d[1], { params: d[2] !== undefined ? d[3].split(',').map((p) => p.trim()).filter(Boolean) : undefined, body: d[4].trim() });
          return;
        }
        case 'undef':
          this.defines.delete(rest.trim());
          return;
        case 'pragma':
          if (rest.trim() === 'once' && path) this.onceFiles.add(path);
          return;
        case 'include':
        case 'include_next': {
          const inc = /^([<"])([^>"]+)[>"]/.exec(rest);
          if (!inc) return;
          const found = this.find(inc[2], inc[1] === '"', path);
          if (found) this.file(found);
          else onMissing?.(inc[2], index + 1, raw.indexOf(inc[1]) + 1);
          return;
        }
      }
    });
  }

  /** Value of a #if expression: defined(), integers, macros (undefined names are 0), C operators. */
  evaluate(expr: string): bigint {
    try {
      return new CondParser(this.expand(expr.replace(/\bdefined\s*\(\s*(\w+)\s*\)|\bdefined\s+(\w+)/g, (_, a, b) => (this.defines.has(a ?? b) ? ' 1 ' : ' 0 ')), 0)).parse();
    } catch {
      return 0n;
    }
  }

  private expand(text: string, depth: number): string {
    if (depth > 32) return '0';
    return text.replace(/\b([A-Za-z_]\w*)\b(\s*\(([^()]*)\))?/g, (all, name: string, call: string | undefined, args: string | undefined) => {
      const d = this.defines.get(name);
      // An unknown name is 0 in #if, and so is an unknown function-like macro with its arguments.
      if (!d) return '0';
      if (d.params) {
        if (call === undefined) return '0';
        const values = (args ?? '').split(',').map((a) => a.trim());
        const body = d.body.replace(/\b[A-Za-z_]\w*\b/g, (id) => {
          const k = d.params!.indexOf(id);
          return k >= 0 ? values[k] ?? '' : id;
        });
        return ` (${this.expand(body, depth + 1)}) `;
      }
      return ` (${this.expand(d.body || '1', depth + 1)}) ${call ? this.expand(call, depth + 1) : ''}`;
    });
  }
}

/** Recursive descent over the C conditional-expression grammar, on integers. */
class CondParser {
  private readonly tokens: string[];
  private pos = 0;

  constructor(text: string) {
    this.tokens = text.match(/0[xX][0-9a-fA-F]+|\d+|&&|\|\||==|!=|<=|>=|<<|>>|[-+*/%<>!~&|^()?:]/g) ?? [];
  }

  parse(): bigint {
    return this.ternary();
  }

  private peek(): string | undefined {
    return this.tokens[this.pos];
  }

  private ternary(): bigint {
    const c = this.binary(0);
    if (this.peek() !== '?') return c;
    this.pos++;
    const a = this.ternary();
    this.pos++;
    const b = this.ternary();
    return c !== 0n ? a : b;
  }

  private static readonly LEVELS = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

  private binary(level: number): bigint {
    if (level === CondParser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    while (CondParser.LEVELS[level].includes(this.peek() ?? '')) {
      const op = this.tokens[this.pos++];
      const right = this.binary(level + 1);
      left = apply(op, left, right);
    }
    return left;
  }

  private unary(): bigint {
    const t = this.tokens[this.pos++];
    if (t === '(') {
      const v = this.ternary();
      this.pos++;
      return v;
    }
    if (t === '!') return this.unary() === 0n ? 1n : 0n;
    if (t === '-') return -this.unary();
    if (t === '+') return this.unary();
    if (t === '~') return ~this.unary();
    if (t === undefined) throw new Error('end of expression');
    return BigInt(t);
  }
}

function apply(op: string, a: bigint, b: bigint): bigint {
  const bool = (x: boolean) => (x ? 1n : 0n);
  switch (op) {
    case '||': return bool(a !== 0n || b !== 0n);
    case '&&': return bool(a !== 0n && b !== 0n);
    case '|': return a | b;
    case '^': return a ^ b;
    case '&': return a & b;
    case '==': return bool(a === b);
    case '!=': return bool(a !== b);
    case '<': return bool(a < b);
    case '>': return bool(a > b);
    case '<=': return bool(a <= b);
    case '>=': return bool(a >= b);
    case '<<': return a << b;
    case '>>': return a >> b;
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return b === 0n ? 0n : a / b;
    default: return b === 0n ? 0n : a % b;
  }
}

/**
 * The object-like macros visible after the script's C definitions (and `--include` headers), as
 * bpftrace collects them from clang. A header that cannot be found is an error with clang's words:
 * `definitions.h:LINE:COL: fatal error: 'x.h' file not found` (bpftrace puts one line of its own
 * before the script's definitions).
 */
export function collectMacros(opts: HeaderOptions): Map<string, string> {
  const pp = new Preprocessor([...(opts.includeDirs ?? []), ...systemIncludeDirs()]);
  const builtin = new Set(pp.defines.keys());
  for (const inc of opts.includes ?? []) {
    const found = pp.find(inc, true, join(process.cwd(), 'x')) ?? pp.find(inc, false);
    if (!found) throw headerError(`fatal error: '${inc}' file not found`);
    pp.file(found);
  }
  pp.text(opts.cDefinitions, undefined, (name, line, column) => {
    throw headerError(`definitions.h:${line + 1}:${column}: fatal error: '${name}' file not found`);
  });
  const macros = new Map<string, string>();
  for (const [name, d] of pp.defines) {
    if (!d.params && !builtin.has(name)) macros.set(name, d.body);
  }
  return macros;
}

function headerError(message: string): TraceError {
  return new TraceError([{ severity: 'ERROR', message, raw: true }], '', 'definitions.h');
}

// Prints a syntax tree back as script text that parses to the same tree (used by tests, `-d`-style
// debugging and tools that rewrite scripts). Expressions are fully parenthesised where precedence
// could matter, so the output is unambiguous rather than pretty.
import type * as A from './ast.js';

function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 32 || c === 127) out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export function printExpr(e: A.Expression): string {
  switch (e.kind) {
    case 'Integer':
      // A negative literal is `- INT` in the grammar; print it so it parses back to one Integer.
      return e.value < 0n ? `-${(-e.value).toString()}` : e.value.toString();
    case 'String':
      return quote(e.value);
    case 'StackMode':
      return e.mode;
    case 'Identifier':
    case 'Builtin':
      return e.name;
    case 'Call':
      return `${e.func}(${(e.args ?? []).map(printExpr).join(', ')})`;
    case 'Map':
      return e.keys ? `${e.name}[${e.keys.map(printExpr).join(', ')}]` : e.name;
    case 'Variable':
      return e.name;
    case 'PositionalParameter':
      return e.ptype === 'count' ? '$#' : `$${e.n}`;
    case 'Binop':
      return `(${printExpr(e.left)} ${e.op} ${printExpr(e.right)})`;
    case 'Unop':
      if (e.op === '++' || e.op === '--') return e.postfix ? `${printExpr(e.expr)}${e.op}` : `${e.op}${printExpr(e.expr)}`;
      return `${e.op}(${printExpr(e.expr)})`;
    case 'Ternary':
      return `(${printExpr(e.cond)} ? ${printExpr(e.left)} : ${printExpr(e.right)})`;
    case 'FieldAccess':
      if (e.arrow && e.expr.kind === 'Unop' && e.expr.op === '*') return `(${printExpr(e.expr.expr)})->${e.field}`;
      return e.field !== undefined ? `(${printExpr(e.expr)}).${e.field}` : `(${printExpr(e.expr)}).${e.index}`;
    case 'ArrayAccess':
      return `(${printExpr(e.expr)})[${printExpr(e.index)}]`;
    case 'Cast':
      return `((${e.typeName}${e.isDoublePointer ? ' **' : e.isPointer ? ' *' : ''})(${printExpr(e.expr)}))`;
    case 'Tuple':
      return `(${e.elems.map(printExpr).join(', ')})`;
  }
}

function printStmts(list: A.Statement[], indent: string): string {
  return list.map((s) => printStmt(s, indent)).join('');
}

function printStmt(s: A.Statement, indent: string): string {
  const inner = `${indent}  `;
  switch (s.kind) {
    case 'ExprStatement':
      return `${indent}${printExpr(s.expr)};\n`;
    case 'AssignMap':
    case 'AssignVar': {
      const target = s.kind === 'AssignMap' ? printExpr(s.map) : s.variable.name;
      if (s.compound && s.expr.kind === 'Binop') return `${indent}${target} ${s.expr.op}= ${printExpr(s.expr.right)};\n`;
      return `${indent}${target} = ${printExpr(s.expr)};\n`;
    }
    case 'If': {
      let out = `${indent}if (${printExpr(s.cond)}) {\n${printStmts(s.then, inner)}${indent}}`;
      if (s.else) out += ` else {\n${printStmts(s.else, inner)}${indent}}`;
      return `${out}\n`;
    }
    case 'Unroll':
      return `${indent}unroll (${printExpr(s.count)}) {\n${printStmts(s.body, inner)}${indent}}\n`;
    case 'While':
      return `${indent}while (${printExpr(s.cond)}) {\n${printStmts(s.body, inner)}${indent}}\n`;
    case 'Jump':
      return `${indent}${s.jump};\n`;
  }
}

/** bpftrace-syntax text for an attach point after parsing (canonical provider names). */
export function printAttachPoint(ap: A.AttachPointNode): string {
  const q = (x: string): string => (/^[\w./*\-+[\]]*$/.test(x) && x !== '' ? x : quote(x));
  switch (ap.provider) {
    case 'BEGIN':
    case 'END':
      return ap.provider;
    case 'kprobe':
    case 'kretprobe':
      return `${ap.provider}:${q(ap.func)}${ap.funcOffset ? `+${ap.funcOffset}` : ''}`;
    case 'uprobe':
    case 'uretprobe':
      return `${ap.provider}:${q(ap.target)}:${ap.func ? q(ap.func) + (ap.funcOffset ? `+${ap.funcOffset}` : '') : ap.address.toString()}`;
    case 'usdt':
      return `${ap.provider}:${q(ap.target)}:${ap.ns ? `${q(ap.ns)}:` : ''}${q(ap.func)}`;
    case 'profile':
    case 'interval':
      return `${ap.provider}:${ap.target}:${ap.freq}`;
    case 'software':
    case 'hardware':
      return `${ap.provider}:${ap.target}${ap.freq ? `:${ap.freq}` : ''}`;
    case 'watchpoint':
    case 'asyncwatchpoint':
      return `${ap.provider}:${ap.func ? `${ap.func}+arg${ap.address}` : `0x${ap.address.toString(16)}`}:${ap.len}:${ap.mode}`;
    case 'kfunc':
    case 'kretfunc':
      return `${ap.provider}:${ap.target && ap.target !== '*' ? `${ap.target}:` : ''}${q(ap.func)}`;
    case 'iter':
      return `${ap.provider}:${ap.func}${ap.target ? `:${ap.target}` : ''}`;
    default:
      return `${ap.provider}:${q(ap.target)}:${q(ap.func)}`;
  }
}

/** The whole program as script text. */
export function printProgram(p: A.ProgramNode): string {
  let out = '';
  for (const line of p.cDefinitions.split('\n')) if (line.startsWith('#')) out += `${line}\n`;
  for (const def of p.structDefinitions) out += `${def.text}\n`;
  for (const probe of p.probes) {
    out += probe.attachPoints.map(printAttachPoint).join(',\n');
    if (probe.pred) out += `\n/ ${printExpr(probe.pred.expr)} /`;
    out += `\n{\n${printStmts(probe.stmts, '  ')}}\n\n`;
  }
  return out;
}

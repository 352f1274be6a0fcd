// parse(): source text → syntax tree, with bpftrace 0.17's messages for every error it would report
// at this stage (lexical errors, Bison syntax errors, attach point errors).
import type * as A from './ast.js';
import { Lexer, type Token } from './lexer.js';
import { RULES, TERMINALS, SyntaxAbort, type ActionContext, type TokenValue } from './grammar.js';
import { deserializeTables, type ParseTables } from './tables.js';
import { RULES as TABLE_RULES, FINAL_STATE, STATES } from './generated/parse-tables.js';
import { TraceError, toBinary, fromBinary } from './diagnostics.js';
export { toBinary, fromBinary } from './diagnostics.js';
import { parseAttachPoints, type AttachPointOptions } from './attachpoint.js';
import { collectMacros } from './headers.js';

export interface ParseOptions extends AttachPointOptions {
  /** File name used in messages; bpftrace says 'stdin' for -e programs. */
  file?: string;
  /** Parse a `-l` listing query (attach points without a block). */
  listing?: boolean;
  /** `--include FILE` headers, whose macros the script may use. */
  includes?: string[];
  /** `-I DIR` directories searched for headers. */
  includeDirs?: string[];
}

let tables: ParseTables | undefined;
function getTables(): ParseTables {
  return (tables ??= deserializeTables(TABLE_RULES, FINAL_STATE, STATES));
}

const TERMINAL_INDEX = new Map(TERMINALS.map(([n], i) => [n, i]));

/**
 * Parses a script. Throws TraceError (a ParseError) with bpftrace's exact messages when bpftrace
 * would reject the script at parse time. The source may be any JS string; bpftrace counts columns
 * in bytes, so we work on the UTF-8 bytes.
 */
export function parse(source: string, opts: ParseOptions = {}): A.ProgramNode {
  const file = opts.file ?? 'stdin';
  const bytes = toBinary(source);
  const first = parseBytes(bytes, new Map(), opts);
  if (first.diagnostics.length) throw traceError(first.diagnostics, bytes, file);
  let program = first.program!;
  // bpftrace parses twice: the second time with the #define macros that clang found in the first.
  const macros = collectMacros({ cDefinitions: program.cDefinitions, includes: opts.includes, includeDirs: opts.includeDirs });
  if (macros.size) {
    const second = parseBytes(bytes, macros, opts);
    if (second.diagnostics.length) throw traceError(second.diagnostics, bytes, file);
    program = second.program!;
  }
  program.macros = macros;
  return program;
}

function traceError(diags: A.Diagnostic[], bytes: string, file: string): TraceError {
  return new TraceError(diags.map((d) => ({ ...d, message: fromBinary(d.message) })), fromBinary(bytes), file);
}


interface StackEntry {
  state: number;
  value: unknown;
  loc: A.Loc;
}

function parseBytes(source: string, macros: Map<string, string>, opts: ParseOptions): { program?: A.ProgramNode; diagnostics: A.Diagnostic[] } {
  const diagnostics: A.Diagnostic[] = [];
  const error = (loc: A.Loc, message: string): void => {
    diagnostics.push({ severity: 'ERROR', message, loc });
  };
  const lexer = new Lexer(source, (d) => error(d.loc, d.message), macros);
  const ctx: ActionContext = { listing: !!opts.listing, error };
  const t = getTables();
  const stack: StackEntry[] = [{ state: 0, value: undefined, loc: { line: 1, column: 1, endLine: 1, endColumn: 1 } }];
  let la: Token | undefined;
  let program: A.ProgramNode | undefined;

  for (;;) {
    const top = stack[stack.length - 1];
    if (top.state === t.finalState) {
      program = stack[1].value as A.ProgramNode;
      break;
    }
    const row = t.action[top.state];
    let rule: number;
    if (row.size === 0) {
      rule = t.defaultReduce[top.state];
    } else {
      la ??= lexer.next();
      const act = row.get(TERMINAL_INDEX.get(la.kind)!);
      if (act === undefined) rule = t.defaultReduce[top.state];
      else if (act > 0) {
        stack.push({ state: act - 1, value: { text: la.text, value: la.value } satisfies TokenValue, loc: la.loc });
        la = undefined;
        continue;
      } else rule = act === 0 ? -1 : -act - 1;
    }
    if (rule < 0) {
      error(la!.loc, syntaxErrorMessage(row, la!));
      return { diagnostics };
    }
    const [lhs, n] = t.rules[rule];
    const rhs = stack.splice(stack.length - n, n);
    const under = stack[stack.length - 1];
    const loc: A.Loc = n
      ? { line: rhs[0].loc.line, column: rhs[0].loc.column, endLine: rhs[n - 1].loc.endLine, endColumn: rhs[n - 1].loc.endColumn }
      : { line: under.loc.endLine, column: under.loc.endColumn, endLine: under.loc.endLine, endColumn: under.loc.endColumn };
    let value: unknown;
    try {
      value = RULES[rule - 1][2](rhs.map((e) => e.value), loc, rhs.map((e) => e.loc), ctx);
    } catch (e) {
      if (e instanceof SyntaxAbort) return { diagnostics };
      throw e;
    }
    const next = t.goto[under.state].get(lhs);
    if (next === undefined) throw new Error(`parse tables: no goto from state ${under.state} on nonterminal ${lhs}`);
    stack.push({ state: next, value, loc });
  }

  // Lexical errors fail the parse even when the grammar accepted the tokens.
  if (diagnostics.length) return { diagnostics };
  const apDiags = parseAttachPoints(program, opts);
  if (apDiags.length) return { diagnostics: apDiags };
  return { program, diagnostics };
}

// Bison's verbose message: the unexpected token and, when there are at most four, the tokens the
// state has an explicit action for, in token-number order.
function syntaxErrorMessage(row: Map<number, number>, la: Token): string {
  const name = (i: number): string => TERMINALS[i][1];
  const unexpected = name(TERMINAL_INDEX.get(la.kind)!);
  const expected = [...row.entries()].filter(([tok, act]) => act !== 0 && tok !== 1).map(([tok]) => tok).sort((a, b) => a - b);
  if (expected.length === 0 || expected.length > 4) return `syntax error, unexpected ${unexpected}`;
  return `syntax error, unexpected ${unexpected}, expecting ${expected.map(name).join(' or ')}`;
}

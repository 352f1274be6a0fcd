// The bpftrace 0.17 grammar (the rules of its src/parser.yy, in the same order, with the same token
// numbering and precedences) and the actions that build our syntax tree. The tables are built from
// this by lalr.ts, offline (scripts/gen-trace-tables.ts), into generated/parse-tables.ts.
import type * as A from './ast.js';
import type { GrammarSpec } from './lalr.js';

/** Terminals in Bison's numbering (END is 0; 1 and 2 are Bison's error and undefined tokens). */
export const TERMINALS: [string, string][] = [
  ['END', 'end of file'], ['error', 'error'], ['UNDEF', '$undefined'],
  ['COLON', ':'], ['SEMI', ';'], ['LBRACE', '{'], ['RBRACE', '}'], ['LBRACKET', '['], ['RBRACKET', ']'], ['LPAREN', '('], ['RPAREN', ')'], ['QUES', '?'],
  ['ENDPRED', 'end predicate'], ['COMMA', '","'], ['PARAMCOUNT', '$#'], ['ASSIGN', '='], ['EQ', '=='], ['NE', '!='], ['LE', '<='], ['GE', '>='], ['LEFT', '<<'], ['RIGHT', '>>'],
  ['LT', '<'], ['GT', '>'], ['LAND', '&&'], ['LOR', '||'], ['PLUS', '+'], ['INCREMENT', '++'],
  ['LEFTASSIGN', '<<='], ['RIGHTASSIGN', '>>='], ['PLUSASSIGN', '+='], ['MINUSASSIGN', '-='], ['MULASSIGN', '*='], ['DIVASSIGN', '/='], ['MODASSIGN', '%='], ['BANDASSIGN', '&='], ['BORASSIGN', '|='], ['BXORASSIGN', '^='],
  ['MINUS', '-'], ['DECREMENT', '--'], ['MUL', '*'], ['DIV', '/'], ['MOD', '%'], ['BAND', '&'], ['BOR', '|'], ['BXOR', '^'], ['LNOT', '!'], ['BNOT', '~'], ['DOT', '.'], ['PTR', '->'],
  ['IF', 'if'], ['ELSE', 'else'], ['UNROLL', 'unroll'], ['STRUCT', 'struct'], ['UNION', 'union'], ['WHILE', 'while'], ['FOR', 'for'], ['RETURN', 'return'], ['CONTINUE', 'continue'], ['BREAK', 'break'],
  ['BUILTIN', 'builtin'], ['CALL', 'call'], ['CALL_BUILTIN', 'call_builtin'], ['IDENT', 'identifier'], ['PATH', 'path'], ['CPREPROC', 'preprocessor directive'], ['STRUCT_DEFN', 'struct definition'], ['ENUM', 'enum'],
  ['STRING', 'string'], ['MAP', 'map'], ['VAR', 'variable'], ['PARAM', 'positional parameter'], ['INT', 'integer'], ['STACK_MODE', 'stack_mode'],
];

export const NONTERMINALS = [
  'program', 'c_definitions', 'probes', 'probe', 'attach_points', 'attach_point', 'attach_point_def', 'pred', 'param', 'block', 'stmt_list', 'block_stmt', 'expr_stmt', 'jump_stmt', 'loop_stmt', 'if_stmt',
  'block_or_if', 'assign_stmt', 'primary_expr', 'postfix_expr', 'tuple_access_expr', 'unary_expr', 'unary_op', 'expr', 'conditional_expr', 'logical_or_expr', 'logical_and_expr', 'or_expr', 'xor_expr', 'and_expr',
  'equality_expr', 'relational_expr', 'shift_expr', 'muli_expr', 'addi_expr', 'cast_expr', 'int', 'ident', 'call', 'map', 'var', 'map_or_var', 'vargs', 'compound_op',
];

export const PRECEDENCE: GrammarSpec['precedence'] = [
  ['left', ['COMMA']],
  ['right', ['ASSIGN', 'LEFTASSIGN', 'RIGHTASSIGN', 'PLUSASSIGN', 'MINUSASSIGN', 'MULASSIGN', 'DIVASSIGN', 'MODASSIGN', 'BANDASSIGN', 'BORASSIGN', 'BXORASSIGN']],
  ['left', ['QUES', 'COLON']],
  ['left', ['LOR']],
  ['left', ['LAND']],
  ['left', ['BOR']],
  ['left', ['BXOR']],
  ['left', ['BAND']],
  ['left', ['EQ', 'NE']],
  ['left', ['LE', 'GE', 'LT', 'GT']],
  ['left', ['LEFT', 'RIGHT']],
  ['left', ['PLUS', 'MINUS']],
  ['left', ['MUL', 'DIV', 'MOD']],
  ['right', ['LNOT', 'BNOT']],
  ['left', ['LPAREN', 'RPAREN', 'LBRACKET', 'RBRACKET', 'DOT', 'PTR']],
];

/** Thrown by an action to abandon the parse (Bison's YYERROR with no error rules). */
export class SyntaxAbort extends Error {}

export interface ActionContext {
  listing: boolean;
  error(loc: A.Loc, message: string): void;
}

/** Semantic value of a token: its text, or for INT its unsigned value. */
export interface TokenValue {
  text: string;
  value?: bigint;
}

type V = any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Action = (v: V[], loc: A.Loc, locs: A.Loc[], ctx: ActionContext) => V;

const span = (a: A.Loc, b: A.Loc): A.Loc => ({ line: a.line, column: a.column, endLine: b.endLine, endColumn: b.endColumn });
const toLong = (u: bigint): bigint => BigInt.asIntN(64, u);

function binop(op: A.BinaryOperator): Action {
  return (v, _loc, locs) => ({ kind: 'Binop', op, left: v[0], right: v[2], loc: locs[1] }) satisfies A.BinopNode;
}

function mapNode(name: string, keys: A.Expression[] | undefined, loc: A.Loc): A.MapNode {
  const m: A.MapNode = { kind: 'Map', name, keys, loc };
  if (keys) for (const k of keys) k.keyForMap = m;
  return m;
}

function attachPoint(raw: string, loc: A.Loc, ignoreInvalid = false): A.AttachPointNode {
  return { kind: 'AttachPoint', raw, provider: '', target: '', ns: '', func: '', freq: 0, address: 0n, funcOffset: 0n, len: 0, mode: '', needExpansion: false, ignoreInvalid, loc };
}
export { attachPoint as newAttachPoint };

function unknownFunction(v: V[], _loc: A.Loc, locs: A.Loc[], ctx: ActionContext): never {
  ctx.error(locs[0], `Unknown function: ${(v[0] as TokenValue).text}`);
  throw new SyntaxAbort();
}

function call(v: V[], loc: A.Loc): A.CallNode {
  return { kind: 'Call', func: (v[0] as TokenValue).text, args: v.length === 4 ? v[2] : undefined, loc };
}

const id: Action = (v) => v[0];
const text: Action = (v) => (v[0] as TokenValue).text;

export const RULES: [string, string, Action][] = [
  ['program', 'c_definitions probes END', (v, loc) => ({ kind: 'Program', cDefinitions: v[0].text, structDefinitions: v[0].structs, macros: new Map(), probes: v[1], loc }) satisfies A.ProgramNode],

  ['c_definitions', 'CPREPROC c_definitions', (v) => ({ text: `${v[0].text}\n${v[1].text}`, structs: v[1].structs })],
  ['c_definitions', 'STRUCT_DEFN c_definitions', (v, _l, locs) => ({ text: `${v[0].text};\n${v[1].text}`, structs: [{ text: v[0].text, loc: locs[0] }, ...v[1].structs] })],
  ['c_definitions', 'ENUM c_definitions', (v) => ({ text: `${v[0].text};\n${v[1].text}`, structs: v[1].structs })],
  ['c_definitions', '', () => ({ text: '', structs: [] })],

  ['probes', 'probes probe', (v) => [...v[0], v[1]]],
  ['probes', 'probe', (v) => [v[0]]],

  ['probe', 'attach_points pred block', (v, loc, _locs, ctx) => {
    if (ctx.listing) {
      ctx.error(loc, 'unexpected listing query format');
      throw new SyntaxAbort();
    }
    // bpftrace gives probes no location of their own: messages about a probe point at 1:1.
    return { kind: 'Probe', attachPoints: v[0], pred: v[1] ?? undefined, stmts: v[2], loc: { line: 1, column: 1, endLine: 1, endColumn: 1 } } satisfies A.ProbeNode;
  }],
  ['probe', 'attach_points END', (v, loc, _locs, ctx) => {
    if (!ctx.listing) {
      ctx.error(loc, 'unexpected end of file, expected {');
      throw new SyntaxAbort();
    }
    return { kind: 'Probe', attachPoints: v[0], stmts: [], loc: { line: 1, column: 1, endLine: 1, endColumn: 1 } } satisfies A.ProbeNode;
  }],

  ['attach_points', 'attach_points COMMA attach_point', (v) => [...v[0], v[2]]],
  ['attach_points', 'attach_point', (v) => [v[0]]],

  ['attach_point', 'attach_point_def', (v, loc) => attachPoint(v[0], loc)],

  ['attach_point_def', 'attach_point_def ident', (v) => v[0] + v[1]],
  // Quoted parts are re-quoted for the attach point parser, with inner quotes escaped.
  ['attach_point_def', 'attach_point_def STRING', (v) => `${v[0]}"${(v[1] as TokenValue).text.replace(/"/g, '\\"')}"`],
  ['attach_point_def', 'attach_point_def PATH', (v) => v[0] + (v[1] as TokenValue).text],
  ['attach_point_def', 'attach_point_def INT', (v) => v[0] + toLong((v[1] as TokenValue).value!).toString()],
  ['attach_point_def', 'attach_point_def COLON', (v) => `${v[0]}:`],
  ['attach_point_def', 'attach_point_def DOT', (v) => `${v[0]}.`],
  ['attach_point_def', 'attach_point_def PLUS', (v) => `${v[0]}+`],
  ['attach_point_def', 'attach_point_def MUL', (v) => `${v[0]}*`],
  ['attach_point_def', 'attach_point_def LBRACKET', (v) => `${v[0]}[`],
  ['attach_point_def', 'attach_point_def RBRACKET', (v) => `${v[0]}]`],
  ['attach_point_def', 'attach_point_def param', (v, loc, _locs, ctx) => {
    const p = v[1] as A.PositionalParameterNode;
    if (p.ptype !== 'positional') {
      ctx.error(loc, 'Not a positional parameter');
      throw new SyntaxAbort();
    }
    return `${v[0]}$${p.n}`;
  }],
  ['attach_point_def', '', () => ''],

  ['pred', 'DIV expr ENDPRED', (v, loc) => ({ kind: 'Predicate', expr: v[1], loc }) satisfies A.PredicateNode],
  ['pred', '', () => null],

  ['param', 'PARAM', (v, loc, locs, ctx) => {
    const t = (v[0] as TokenValue).text;
    const digits = t.slice(1);
    // std::stol: fails past LONG_MAX; bpftrace also rejects $0.
    const n = BigInt(digits);
    if (n === 0n || n > 0x7fffffffffffffffn) {
      ctx.error(locs[0], `param ${t} is out of integer range [1, 9223372036854775807]`);
      throw new SyntaxAbort();
    }
    return { kind: 'PositionalParameter', ptype: 'positional', n: Number(n), loc } satisfies A.PositionalParameterNode;
  }],
  ['param', 'PARAMCOUNT', (_v, loc) => ({ kind: 'PositionalParameter', ptype: 'count', n: 0, loc }) satisfies A.PositionalParameterNode],

  ['block', 'LBRACE stmt_list RBRACE', (v) => v[1]],

  ['stmt_list', 'expr_stmt SEMI stmt_list', (v) => [v[0], ...v[2]]],
  ['stmt_list', 'expr_stmt', (v) => [v[0]]],
  ['stmt_list', 'block_stmt stmt_list', (v) => [v[0], ...v[1]]],
  ['stmt_list', '', () => []],

  ['block_stmt', 'loop_stmt', id],
  ['block_stmt', 'if_stmt', id],

  ['expr_stmt', 'expr', (v, _loc, locs) => ({ kind: 'ExprStatement', expr: v[0], loc: locs[0] }) satisfies A.ExprStatementNode],
  ['expr_stmt', 'jump_stmt', id],
  ['expr_stmt', 'assign_stmt', id],

  ['jump_stmt', 'BREAK', (_v, loc) => ({ kind: 'Jump', jump: 'break', loc }) satisfies A.JumpNode],
  ['jump_stmt', 'CONTINUE', (_v, loc) => ({ kind: 'Jump', jump: 'continue', loc }) satisfies A.JumpNode],
  ['jump_stmt', 'RETURN', (_v, loc) => ({ kind: 'Jump', jump: 'return', loc }) satisfies A.JumpNode],

  ['loop_stmt', 'UNROLL LPAREN int RPAREN block', (v, _loc, locs) => ({ kind: 'Unroll', count: v[2], body: v[4], loc: span(locs[0], locs[3]) }) satisfies A.UnrollNode],
  ['loop_stmt', 'UNROLL LPAREN param RPAREN block', (v, _loc, locs) => ({ kind: 'Unroll', count: v[2], body: v[4], loc: span(locs[0], locs[3]) }) satisfies A.UnrollNode],
  ['loop_stmt', 'WHILE LPAREN expr RPAREN block', (v, _loc, locs) => ({ kind: 'While', cond: v[2], body: v[4], loc: locs[0] }) satisfies A.WhileNode],

  // bpftrace's If nodes get no location (the default 1:1).
  ['if_stmt', 'IF LPAREN expr RPAREN block', (v) => ({ kind: 'If', cond: v[2], then: v[4], loc: { line: 1, column: 1, endLine: 1, endColumn: 1 } }) satisfies A.IfNode],
  ['if_stmt', 'IF LPAREN expr RPAREN block ELSE block_or_if', (v) => ({ kind: 'If', cond: v[2], then: v[4], else: v[6], loc: { line: 1, column: 1, endLine: 1, endColumn: 1 } }) satisfies A.IfNode],

  ['block_or_if', 'block', id],
  ['block_or_if', 'if_stmt', (v) => [v[0]]],

  ['assign_stmt', 'tuple_access_expr ASSIGN expr', (_v, _loc, locs, ctx) => {
    ctx.error(span(locs[0], locs[2]), 'Tuples are immutable once created. Consider creating a new tuple and assigning it instead.');
    throw new SyntaxAbort();
  }],
  ['assign_stmt', 'map ASSIGN expr', (v, _loc, locs) => {
    (v[2] as A.Expression).assignedToMap = v[0];
    return { kind: 'AssignMap', map: v[0], expr: v[2], compound: false, loc: locs[1] } satisfies A.AssignMapNode;
  }],
  ['assign_stmt', 'var ASSIGN expr', (v, _loc, locs) => {
    (v[2] as A.Expression).assignedToVar = v[0];
    return { kind: 'AssignVar', variable: v[0], expr: v[2], compound: false, loc: locs[1] } satisfies A.AssignVarNode;
  }],
  ['assign_stmt', 'map compound_op expr', (v, loc, locs) => {
    const b: A.BinopNode = { kind: 'Binop', op: v[1], left: v[0], right: v[2], loc: locs[1], assignedToMap: v[0] };
    return { kind: 'AssignMap', map: v[0], expr: b, compound: true, loc } satisfies A.AssignMapNode;
  }],
  ['assign_stmt', 'var compound_op expr', (v, loc, locs) => {
    const b: A.BinopNode = { kind: 'Binop', op: v[1], left: v[0], right: v[2], loc: locs[1], assignedToVar: v[0] };
    return { kind: 'AssignVar', variable: v[0], expr: b, compound: true, loc } satisfies A.AssignVarNode;
  }],

  ['primary_expr', 'IDENT', (v, loc) => ({ kind: 'Identifier', name: (v[0] as TokenValue).text, loc }) satisfies A.IdentifierNode],
  ['primary_expr', 'int', id],
  ['primary_expr', 'STRING', (v, loc) => ({ kind: 'String', value: (v[0] as TokenValue).text, loc }) satisfies A.StringNode],
  ['primary_expr', 'STACK_MODE', (v, loc) => ({ kind: 'StackMode', mode: (v[0] as TokenValue).text, loc }) satisfies A.StackModeNode],
  ['primary_expr', 'BUILTIN', (v, loc) => ({ kind: 'Builtin', name: (v[0] as TokenValue).text, loc }) satisfies A.BuiltinNode],
  ['primary_expr', 'CALL_BUILTIN', (v, loc) => ({ kind: 'Builtin', name: (v[0] as TokenValue).text, loc }) satisfies A.BuiltinNode],
  ['primary_expr', 'LPAREN expr RPAREN', (v) => v[1]],
  ['primary_expr', 'param', id],
  ['primary_expr', 'map_or_var', id],
  ['primary_expr', 'LPAREN expr COMMA vargs RPAREN', (v, loc) => ({ kind: 'Tuple', elems: [v[1], ...v[3]], loc }) satisfies A.TupleNode],

  ['postfix_expr', 'primary_expr', id],
  ['postfix_expr', 'postfix_expr DOT ident', (v, _loc, locs) => ({ kind: 'FieldAccess', expr: v[0], field: v[2], index: -1, loc: locs[1] }) satisfies A.FieldAccessNode],
  ['postfix_expr', 'postfix_expr PTR ident', (v, loc, locs) => {
    const deref: A.UnopNode = { kind: 'Unop', op: '*', expr: v[0], postfix: false, loc: locs[1] };
    return { kind: 'FieldAccess', expr: deref, field: v[2], index: -1, arrow: true, loc } satisfies A.FieldAccessNode;
  }],
  ['postfix_expr', 'tuple_access_expr', id],
  ['postfix_expr', 'postfix_expr LBRACKET expr RBRACKET', (v, _loc, locs) => ({ kind: 'ArrayAccess', expr: v[0], index: v[2], loc: span(locs[1], locs[3]) }) satisfies A.ArrayAccessNode],
  ['postfix_expr', 'call', id],
  ['postfix_expr', 'map_or_var INCREMENT', (v, _loc, locs) => ({ kind: 'Unop', op: '++', expr: v[0], postfix: true, loc: locs[1] }) satisfies A.UnopNode],
  ['postfix_expr', 'map_or_var DECREMENT', (v, _loc, locs) => ({ kind: 'Unop', op: '--', expr: v[0], postfix: true, loc: locs[1] }) satisfies A.UnopNode],
  ['postfix_expr', 'INCREMENT ident', (_v, _loc, locs, ctx) => {
    ctx.error(locs[0], 'The ++ operator must be applied to a map or variable');
    throw new SyntaxAbort();
  }],
  ['postfix_expr', 'DECREMENT ident', (_v, _loc, locs, ctx) => {
    ctx.error(locs[0], 'The -- operator must be applied to a map or variable');
    throw new SyntaxAbort();
  }],

  ['tuple_access_expr', 'postfix_expr DOT INT', (v, _loc, locs) => ({ kind: 'FieldAccess', expr: v[0], index: Number(toLong((v[2] as TokenValue).value!)), loc: locs[2] }) satisfies A.FieldAccessNode],

  ['unary_expr', 'unary_op cast_expr', (v, _loc, locs) => ({ kind: 'Unop', op: v[0], expr: v[1], postfix: false, loc: locs[0] }) satisfies A.UnopNode],
  ['unary_expr', 'postfix_expr', id],
  ['unary_expr', 'INCREMENT map_or_var', (v, _loc, locs) => ({ kind: 'Unop', op: '++', expr: v[1], postfix: false, loc: locs[0] }) satisfies A.UnopNode],
  ['unary_expr', 'DECREMENT map_or_var', (v, _loc, locs) => ({ kind: 'Unop', op: '--', expr: v[1], postfix: false, loc: locs[0] }) satisfies A.UnopNode],
  ['unary_expr', 'ident DECREMENT', (_v, _loc, locs, ctx) => {
    ctx.error(locs[0], 'The -- operator must be applied to a map or variable');
    throw new SyntaxAbort();
  }],
  ['unary_expr', 'ident INCREMENT', (_v, _loc, locs, ctx) => {
    ctx.error(locs[0], 'The ++ operator must be applied to a map or variable');
    throw new SyntaxAbort();
  }],

  ['unary_op', 'MUL', () => '*'],
  ['unary_op', 'BNOT', () => '~'],
  ['unary_op', 'LNOT', () => '!'],
  ['unary_op', 'MINUS', () => '-'],

  ['expr', 'conditional_expr', id],

  ['conditional_expr', 'logical_or_expr', id],
  ['conditional_expr', 'logical_or_expr QUES expr COLON conditional_expr', (v, loc) => ({ kind: 'Ternary', cond: v[0], left: v[2], right: v[4], loc }) satisfies A.TernaryNode],

  ['logical_or_expr', 'logical_and_expr', id],
  ['logical_or_expr', 'logical_or_expr LOR logical_and_expr', binop('||')],
  ['logical_and_expr', 'or_expr', id],
  ['logical_and_expr', 'logical_and_expr LAND or_expr', binop('&&')],
  ['or_expr', 'xor_expr', id],
  ['or_expr', 'or_expr BOR xor_expr', binop('|')],
  ['xor_expr', 'and_expr', id],
  ['xor_expr', 'xor_expr BXOR and_expr', binop('^')],
  ['and_expr', 'equality_expr', id],
  ['and_expr', 'and_expr BAND equality_expr', binop('&')],
  ['equality_expr', 'relational_expr', id],
  ['equality_expr', 'equality_expr EQ relational_expr', binop('==')],
  ['equality_expr', 'equality_expr NE relational_expr', binop('!=')],
  ['relational_expr', 'shift_expr', id],
  ['relational_expr', 'relational_expr LE shift_expr', binop('<=')],
  ['relational_expr', 'relational_expr GE shift_expr', binop('>=')],
  ['relational_expr', 'relational_expr LT shift_expr', binop('<')],
  ['relational_expr', 'relational_expr GT shift_expr', binop('>')],
  ['shift_expr', 'addi_expr', id],
  ['shift_expr', 'shift_expr LEFT addi_expr', binop('<<')],
  ['shift_expr', 'shift_expr RIGHT addi_expr', binop('>>')],
  ['muli_expr', 'cast_expr', id],
  ['muli_expr', 'muli_expr MUL cast_expr', binop('*')],
  ['muli_expr', 'muli_expr DIV cast_expr', binop('/')],
  ['muli_expr', 'muli_expr MOD cast_expr', binop('%')],
  ['addi_expr', 'muli_expr', id],
  ['addi_expr', 'addi_expr PLUS muli_expr', binop('+')],
  ['addi_expr', 'addi_expr MINUS muli_expr', binop('-')],

  ['cast_expr', 'unary_expr', id],
  ['cast_expr', 'LPAREN IDENT RPAREN cast_expr', (v, _loc, locs) => ({ kind: 'Cast', typeName: (v[1] as TokenValue).text, isPointer: false, isDoublePointer: false, expr: v[3], loc: span(locs[0], locs[2]) }) satisfies A.CastNode],
  ['cast_expr', 'LPAREN IDENT MUL RPAREN cast_expr', (v, _loc, locs) => ({ kind: 'Cast', typeName: (v[1] as TokenValue).text, isPointer: true, isDoublePointer: false, expr: v[4], loc: span(locs[0], locs[2]) }) satisfies A.CastNode],
  ['cast_expr', 'LPAREN IDENT MUL MUL RPAREN cast_expr', (v, _loc, locs) => ({ kind: 'Cast', typeName: (v[1] as TokenValue).text, isPointer: true, isDoublePointer: true, expr: v[5], loc: span(locs[0], locs[2]) }) satisfies A.CastNode],

  ['int', 'MINUS INT', (v, loc) => ({ kind: 'Integer', value: toLong(-(v[1] as TokenValue).value!), loc }) satisfies A.IntegerNode],
  ['int', 'INT', (v, loc) => ({ kind: 'Integer', value: toLong((v[0] as TokenValue).value!), loc }) satisfies A.IntegerNode],

  ['ident', 'IDENT', text],
  ['ident', 'BUILTIN', text],
  ['ident', 'CALL', text],
  ['ident', 'CALL_BUILTIN', text],
  ['ident', 'STACK_MODE', text],

  ['call', 'CALL LPAREN RPAREN', call],
  ['call', 'CALL LPAREN vargs RPAREN', call],
  ['call', 'CALL_BUILTIN LPAREN RPAREN', call],
  ['call', 'CALL_BUILTIN LPAREN vargs RPAREN', call],
  ['call', 'IDENT LPAREN RPAREN', unknownFunction],
  ['call', 'IDENT LPAREN vargs RPAREN', unknownFunction],
  ['call', 'BUILTIN LPAREN RPAREN', unknownFunction],
  ['call', 'BUILTIN LPAREN vargs RPAREN', unknownFunction],
  ['call', 'STACK_MODE LPAREN RPAREN', unknownFunction],
  ['call', 'STACK_MODE LPAREN vargs RPAREN', unknownFunction],

  ['map', 'MAP', (v, loc) => mapNode((v[0] as TokenValue).text, undefined, loc)],
  ['map', 'MAP LBRACKET vargs RBRACKET', (v, loc) => mapNode((v[0] as TokenValue).text, v[2], loc)],

  ['var', 'VAR', (v, loc) => ({ kind: 'Variable', name: (v[0] as TokenValue).text, loc }) satisfies A.VariableNode],

  ['map_or_var', 'var', id],
  ['map_or_var', 'map', id],

  ['vargs', 'vargs COMMA expr', (v) => [...v[0], v[2]]],
  ['vargs', 'expr', (v) => [v[0]]],

  ['compound_op', 'LEFTASSIGN', () => '<<'],
  ['compound_op', 'BANDASSIGN', () => '&'],
  ['compound_op', 'BORASSIGN', () => '|'],
  ['compound_op', 'BXORASSIGN', () => '^'],
  ['compound_op', 'DIVASSIGN', () => '/'],
  ['compound_op', 'MINUSASSIGN', () => '-'],
  ['compound_op', 'MODASSIGN', () => '%'],
  ['compound_op', 'MULASSIGN', () => '*'],
  ['compound_op', 'PLUSASSIGN', () => '+'],
  ['compound_op', 'RIGHTASSIGN', () => '>>'],
];

export function grammarSpec(): GrammarSpec {
  return {
    terminals: TERMINALS.map(([n]) => n),
    nonterminals: NONTERMINALS,
    rules: RULES.map(([lhs, rhs]) => [lhs, rhs.split(' ').filter(Boolean)]),
    precedence: PRECEDENCE,
  };
}

// The syntax tree of a tracing script (bpftrace 0.17 dialect), and the checked program the code
// generator consumes.
//
// Shape for the code generator (what `check()` returns, see CheckedProgram below):
// - `program.probes[i]` is one probe: its `attachPoints` (provider names are canonical: 'kprobe',
//   'tracepoint', …, never the short aliases), an optional `pred`, and `stmts`.
// - Every Expression node has `type: SizedType` set by the checker (types.ts). Integer literals are
//   int64; map values are stored as 64-bit; comparisons are uint64 0/1.
// - `->` is parsed as FieldAccess(Unop('*', expr)), exactly like bpftrace; `arrow: true` marks it.
// - Compound assignment `@x += e` becomes AssignMap(@x, Binop(@x, '+', e), compound = true).
// - Map keys that are integers narrower than 64 bits get wrapped in a Cast to (u)int64 by the checker
//   (bpftrace does the same), so every integer key is 8 bytes.
// - `CheckedProgram.maps` gives each map its key types (in order) and value type; hist/lhist/avg/stats
//   maps carry an extra 8-byte bucket index after the key, like bpftrace (see output/).
// - Text in the tree (string literals, names, attach points) is a "binary string": one char per UTF-8
//   byte of the script, as bpftrace sees it (string[N] sizes and error columns count bytes).
// - `CheckedProgram.resources` numbers the calls that send records to user space (printf, system,
//   cat, time, strftime, join, print of values, helper errors are not modelled). Each such Call node
//   has `resourceId` set to its index in the corresponding list, assigned in source order per kind.

import type { SizedType } from './types.js';

/**
 * A source range with Bison's conventions as bpftrace uses them: lines and columns are 1-based and
 * `endColumn` is one past the last character. Because bpftrace's lexer only moves the start of a
 * location over whitespace, a token glued to the previous one starts where that one started; we
 * keep that so that error columns match bpftrace's.
 */
export interface Loc {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface NodeBase {
  loc: Loc;
}

export type BinaryOperator = '==' | '!=' | '<=' | '>=' | '<' | '>' | '<<' | '>>' | '&&' | '||' | '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^';
export type UnaryOperator = '*' | '~' | '!' | '-' | '++' | '--';

interface ExprBase extends NodeBase {
  /** Set by the checker. */
  type?: SizedType;
  /** Set by the parser when the expression is the key of a map (`@m[expr]`). */
  keyForMap?: MapNode;
  /** Set by the parser when the expression is the right side of `@m = expr`. */
  assignedToMap?: MapNode;
  /** Set by the parser when the expression is the right side of `$v = expr`. */
  assignedToVar?: VariableNode;
}

export interface IntegerNode extends ExprBase {
  kind: 'Integer';
  /** Two's complement 64-bit value, as bpftrace stores it (a C `long`). */
  value: bigint;
}
export interface StringNode extends ExprBase {
  kind: 'String';
  value: string;
}
export interface StackModeNode extends ExprBase {
  kind: 'StackMode';
  mode: string;
}
export interface IdentifierNode extends ExprBase {
  kind: 'Identifier';
  name: string;
}
export interface BuiltinNode extends ExprBase {
  kind: 'Builtin';
  name: string;
}
export interface CallNode extends ExprBase {
  kind: 'Call';
  func: string;
  /** undefined for `f()` (bpftrace distinguishes no list from an empty one). */
  args?: Expression[];
  /** Index into the CheckedProgram.resources list of this call's kind. */
  resourceId?: number;
}
export interface MapNode extends ExprBase {
  kind: 'Map';
  /** With the `@`: '@x', or '@' for the anonymous map. */
  name: string;
  keys?: Expression[];
  /** Set by the checker: the key types of this map. */
  keyTypes?: SizedType[];
  /** print/clear/zero/delete of a whole map. */
  skipKeyValidation?: boolean;
}
export interface VariableNode extends ExprBase {
  kind: 'Variable';
  /** With the `$`. */
  name: string;
}
export interface PositionalParameterNode extends ExprBase {
  kind: 'PositionalParameter';
  ptype: 'positional' | 'count';
  /** 1-based index for `$N`; 0 for `$#`. */
  n: number;
  /** Inside str(): the parameter is a string. */
  inStr?: boolean;
}
export interface BinopNode extends ExprBase {
  kind: 'Binop';
  op: BinaryOperator;
  left: Expression;
  right: Expression;
}
export interface UnopNode extends ExprBase {
  kind: 'Unop';
  op: UnaryOperator;
  expr: Expression;
  /** `x++` rather than `++x`. */
  postfix: boolean;
}
export interface TernaryNode extends ExprBase {
  kind: 'Ternary';
  cond: Expression;
  left: Expression;
  right: Expression;
}
export interface FieldAccessNode extends ExprBase {
  kind: 'FieldAccess';
  expr: Expression;
  /** Named field, or undefined for a tuple index. */
  field?: string;
  /** Tuple index (`t.0`), or -1 for a named field. */
  index: number;
  /** Written with `->` (expr is then the implied `*` Unop). */
  arrow?: boolean;
}
export interface ArrayAccessNode extends ExprBase {
  kind: 'ArrayAccess';
  expr: Expression;
  index: Expression;
}
export interface CastNode extends ExprBase {
  kind: 'Cast';
  /** 'uint32', 'struct task_struct', … */
  typeName: string;
  isPointer: boolean;
  isDoublePointer: boolean;
  expr: Expression;
}
export interface TupleNode extends ExprBase {
  kind: 'Tuple';
  elems: Expression[];
}

export type Expression =
  | IntegerNode
  | StringNode
  | StackModeNode
  | IdentifierNode
  | BuiltinNode
  | CallNode
  | MapNode
  | VariableNode
  | PositionalParameterNode
  | BinopNode
  | UnopNode
  | TernaryNode
  | FieldAccessNode
  | ArrayAccessNode
  | CastNode
  | TupleNode;

export interface ExprStatementNode extends NodeBase {
  kind: 'ExprStatement';
  expr: Expression;
}
export interface AssignMapNode extends NodeBase {
  kind: 'AssignMap';
  map: MapNode;
  expr: Expression;
  compound: boolean;
}
export interface AssignVarNode extends NodeBase {
  kind: 'AssignVar';
  variable: VariableNode;
  expr: Expression;
  compound: boolean;
}
export interface IfNode extends NodeBase {
  kind: 'If';
  cond: Expression;
  then: Statement[];
  else?: Statement[];
}
export interface UnrollNode extends NodeBase {
  kind: 'Unroll';
  count: IntegerNode | PositionalParameterNode;
  body: Statement[];
  /** Set by the checker: the number of copies. */
  times?: number;
}
export interface WhileNode extends NodeBase {
  kind: 'While';
  cond: Expression;
  body: Statement[];
}
export interface JumpNode extends NodeBase {
  kind: 'Jump';
  jump: 'break' | 'continue' | 'return';
}

export type Statement = ExprStatementNode | AssignMapNode | AssignVarNode | IfNode | UnrollNode | WhileNode | JumpNode;

export interface PredicateNode extends NodeBase {
  kind: 'Predicate';
  expr: Expression;
}

export interface AttachPointNode extends NodeBase {
  kind: 'AttachPoint';
  /** The text as written (after the parser joined its tokens), e.g. 'tracepoint:syscalls:sys_enter_*'. */
  raw: string;
  /** Canonical provider: 'BEGIN', 'END', 'kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'tracepoint', 'profile', 'interval', 'software', 'hardware', 'watchpoint', 'asyncwatchpoint', 'kfunc', 'kretfunc', 'iter'. */
  provider: string;
  /** Binary path (uprobe/usdt), tracepoint category, time unit (profile/interval), event (software/hardware), module (kfunc). */
  target: string;
  /** USDT provider namespace when given as a separate part. */
  ns: string;
  /** Function, tracepoint name, USDT probe name. */
  func: string;
  /** profile/interval rate, software/hardware period. */
  freq: number;
  /** uprobe absolute address, watchpoint address or argument number. */
  address: bigint;
  funcOffset: bigint;
  /** watchpoint length and mode. */
  len: number;
  mode: string;
  needExpansion: boolean;
  /** Created by probe type wildcard expansion: invalid part counts are skipped, not errors. */
  ignoreInvalid: boolean;
}

export interface ProbeNode extends NodeBase {
  kind: 'Probe';
  attachPoints: AttachPointNode[];
  pred?: PredicateNode;
  stmts: Statement[];
}

export interface ProgramNode extends NodeBase {
  kind: 'Program';
  /** `#include`/`#define` lines and struct/union/enum definitions, joined as bpftrace joins them for clang. */
  cDefinitions: string;
  /** The struct/union definitions written in the script, in order. */
  structDefinitions: { text: string; loc: Loc }[];
  /** `#define NAME VALUE` macros (object-like only). */
  macros: Map<string, string>;
  probes: ProbeNode[];
}

export type Node = ProgramNode | ProbeNode | AttachPointNode | PredicateNode | Statement | Expression;

/** A map as the code generator must create it. */
export interface MapInfo {
  name: string;
  keyTypes: SizedType[];
  valueType: SizedType;
  /** lhist(value, min, max, step) parameters. */
  lhist?: { min: number; max: number; step: number };
}

/** Records that printf()-like calls send to the runtime, by kind; ids index these lists. */
export interface Resources {
  printf: { call: CallNode; format: string; args: SizedType[] }[];
  system: { call: CallNode; format: string; args: SizedType[] }[];
  cat: { call: CallNode; format: string; args: SizedType[] }[];
  time: { call: CallNode; format: string }[];
  strftime: { call: CallNode; format: string }[];
  join: { call: CallNode; delimiter: string }[];
  /** Non-map print() values. */
  print: { call: CallNode; type: SizedType }[];
  /** Names of the probes in program order, for the `probe` builtin. */
  probeNames: string[];
}

export interface Diagnostic {
  severity: 'ERROR' | 'WARNING';
  message: string;
  loc?: Loc;
  /** Printed as it is, without severity or place: clang's own diagnostics, which bpftrace passes on. */
  raw?: boolean;
}

export interface CheckedProgram {
  program: ProgramNode;
  maps: Map<string, MapInfo>;
  /** Scratch variables of each probe (index as in program.probes) and their types. */
  variables: Map<string, SizedType>[];
  resources: Resources;
  warnings: Diagnostic[];
  /** Positional parameters the script was checked with. */
  params: string[];
}

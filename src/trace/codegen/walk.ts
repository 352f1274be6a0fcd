// Visits every expression of a probe (predicate and statements).
import type { Expression, ProbeNode, Statement } from '../ast.js';

export function forEachExpr(probe: ProbeNode, fn: (e: Expression) => void): void {
  if (probe.pred) walkExpr(probe.pred.expr, fn);
  walkStmts(probe.stmts, fn);
}

function walkStmts(list: Statement[], fn: (e: Expression) => void): void {
  for (const s of list) {
    switch (s.kind) {
      case 'ExprStatement':
        walkExpr(s.expr, fn);
        break;
      case 'AssignMap':
        walkExpr(s.map, fn);
        walkExpr(s.expr, fn);
        break;
      case 'AssignVar':
        walkExpr(s.variable, fn);
        walkExpr(s.expr, fn);
        break;
      case 'If':
        walkExpr(s.cond, fn);
        walkStmts(s.then, fn);
        if (s.else) walkStmts(s.else, fn);
        break;
      case 'Unroll':
        walkStmts(s.body, fn);
        break;
      case 'While':
        walkExpr(s.cond, fn);
        walkStmts(s.body, fn);
        break;
      case 'Jump':
        break;
    }
  }
}

export function walkExpr(e: Expression, fn: (e: Expression) => void): void {
  fn(e);
  switch (e.kind) {
    case 'Call':
      e.args?.forEach((a) => walkExpr(a, fn));
      break;
    case 'Map':
      e.keys?.forEach((k) => walkExpr(k, fn));
      break;
    case 'Binop':
      walkExpr(e.left, fn);
      walkExpr(e.right, fn);
      break;
    case 'Unop':
      walkExpr(e.expr, fn);
      break;
    case 'Ternary':
      walkExpr(e.cond, fn);
      walkExpr(e.left, fn);
      walkExpr(e.right, fn);
      break;
    case 'FieldAccess':
    case 'Cast':
      walkExpr(e.expr, fn);
      break;
    case 'ArrayAccess':
      walkExpr(e.expr, fn);
      walkExpr(e.index, fn);
      break;
    case 'Tuple':
      e.elems.forEach((x) => walkExpr(x, fn));
      break;
    default:
      break;
  }
}

/** Whether the probe uses a builtin by one of these names. */
export function usesBuiltin(probe: ProbeNode, names: readonly string[]): boolean {
  let found = false;
  forEachExpr(probe, (e) => {
    if (e.kind === 'Builtin' && (names.includes(e.name) || (names.includes('argN') && /^s?arg\d+$/.test(e.name)))) found = true;
  });
  return found;
}

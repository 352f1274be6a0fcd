// Register allocation for expression evaluation: intermediate integers live in the callee-saved
// r6..r9, which survive helper calls; r0..r5 are only used inside one emitted idiom (helper
// arguments, address computations). Callers that hold a register while evaluating another
// subexpression check `need()` and spill to a stack slot when the pool would run dry.
import { R6, R7, R8, R9, type Reg } from '../../asm/instruction.js';
import type { Expression } from '../ast.js';

export class RegisterPool {
  private free: Reg[] = [R9, R8, R7, R6];

  get available(): number {
    return this.free.length;
  }

  alloc(): Reg {
    const r = this.free.pop();
    if (!r) throw new Error('internal error: the tracing code generator ran out of registers');
    return r;
  }

  release(r: Reg): void {
    if (r.n < 6 || r.n > 9) return;
    if (this.free.some((f) => f.n === r.n)) throw new Error(`internal error: r${r.n} released twice`);
    this.free.push(r);
  }

  /** Registers in use, for saving around code that must not see them change (none do: r6-r9 are callee-saved). */
  inUse(): number {
    return 4 - this.free.length;
  }
}

/** An upper bound of the registers evaluating `e` holds at once (Sethi–Ullman, conservative). */
export function need(e: Expression | undefined): number {
  if (!e) return 0;
  switch (e.kind) {
    case 'Binop':
      return Math.max(need(e.left), need(e.right) + 1, 2);
    case 'Unop':
      return Math.max(need(e.expr), 2);
    case 'Ternary':
      return Math.max(need(e.cond), need(e.left), need(e.right), 2);
    case 'FieldAccess':
      return Math.max(need(e.expr), 2);
    case 'ArrayAccess':
      return Math.max(need(e.expr), need(e.index) + 1, 2);
    case 'Cast':
      return Math.max(need(e.expr), 1);
    case 'Call':
      return Math.max(2, ...(e.args ?? []).map(need));
    case 'Map':
      return Math.max(2, ...(e.keys ?? []).map(need));
    case 'Tuple':
      return Math.max(1, ...e.elems.map(need));
    default:
      return 2;
  }
}

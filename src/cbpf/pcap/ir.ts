// The compiler's intermediate form, the one libpcap's code generator and optimizer share: a DAG
// of blocks, each a list of statements ending in a branch (or a return). Unresolved branches are
// threaded through the jt/jf fields while the expression is being built (backpatching), and
// `sense` says which of the two is still open.

/** A statement the optimizer removed. */
export const NOP = -1;
/** Atoms: scratch memory M[0..15], then A and X. */
export const N_ATOMS = 18;
export const A_ATOM = 16;
export const X_ATOM = 17;
export const AX_ATOM = 18;

export interface Stmt {
  code: number;
  k: number;
  /** Only for jumps inside a statement list (protochain, geneve, VLAN extensions). */
  jt: Slist | null;
  jf: Slist | null;
}

export interface Slist {
  s: Stmt;
  next: Slist | null;
}

export interface Edge {
  id: number;
  /** Branch opcode for the true edge, its negation for the false edge. */
  code: number;
  succ: Block | null;
  pred: Block;
  next: Edge | null;
}

export interface Block {
  id: number;
  stmts: Slist | null;
  s: Stmt;
  mark: number;
  longjt: number;
  longjf: number;
  level: number;
  offset: number;
  sense: boolean;
  et: Edge;
  ef: Edge;
  head: Block;
  link: Block | null;
  inEdges: Edge | null;
  def: number;
  kill: number;
  inUse: number;
  outUse: number;
  oval: number;
  val: Uint32Array;
}

export function newStmt(code: number, k = 0): Slist {
  return { s: { code, k: k >>> 0, jt: null, jf: null }, next: null };
}

export function newBlock(code: number, k = 0): Block {
  const b = {
    id: 0, stmts: null, s: { code, k: k >>> 0, jt: null, jf: null }, mark: 0, longjt: 0, longjf: 0, level: 0,
    offset: 0, sense: false, link: null, inEdges: null, def: 0, kill: 0,
    inUse: 0, outUse: 0, oval: 0, val: new Uint32Array(N_ATOMS),
  } as unknown as Block;
  b.head = b;
  b.et = { id: 0, code: 0, succ: null, pred: b, next: null };
  b.ef = { id: 0, code: 0, succ: null, pred: b, next: null };
  return b;
}

export const JT = (b: Block) => b.et.succ;
export const JF = (b: Block) => b.ef.succ;

/** Appends list s1 to the end of list s0. */
export function sappend(s0: Slist, s1: Slist | null): void {
  let p = s0;
  while (p.next) p = p.next;
  p.next = s1;
}

// Resolves every open branch on the chain starting at `list` to `target`.
function backpatch(list: Block | null, target: Block): void {
  while (list) {
    let next: Block | null;
    if (!list.sense) {
      next = list.et.succ;
      list.et.succ = target;
    } else {
      next = list.ef.succ;
      list.ef.succ = target;
    }
    list = next;
  }
}

// Joins the open-branch chains of b0 and b1.
function merge(b0: Block, b1: Block | null): void {
  let p = b0;
  for (;;) {
    const nxt = !p.sense ? p.et.succ : p.ef.succ;
    if (!nxt) break;
    p = nxt;
  }
  if (!p.sense) p.et.succ = b1;
  else p.ef.succ = b1;
}

export function genAnd(b0: Block, b1: Block): void {
  backpatch(b0, b1.head);
  b0.sense = !b0.sense;
  b1.sense = !b1.sense;
  merge(b1, b0);
  b1.sense = !b1.sense;
  b1.head = b0.head;
}

export function genOr(b0: Block, b1: Block): void {
  b0.sense = !b0.sense;
  backpatch(b0, b1.head);
  b0.sense = !b0.sense;
  merge(b1, b0);
  b1.head = b0.head;
}

export function genNot(b: Block): void {
  b.sense = !b.sense;
}

/** Ends the expression: open true branches return `accept`, open false ones return 0. */
export function finish(p: Block, accept: number): Block {
  backpatch(p, newBlock(0x06, accept));
  p.sense = !p.sense;
  backpatch(p, newBlock(0x06, 0));
  return p.head;
}

// The block graph as flat arrays for the or/and pullups, with remembered stretches of tests.
//
// or_pullup walks a block's false-branch chain while the blocks keep the same true target and
// the same A value, and and_pullup the true-branch chain the same way. libpcap walks block by
// block: on a chain of k tests of one field (`host a or host b or ...`) every block walks to
// the chain's end, k^2/2 steps per pass. Inside a stretch of blocks with one key (other
// target, A value) every step gives the same answer except the dominance test, so a walk can
// take a whole stretch at once when all its blocks lie in the right dominator subtree, which
// the smallest and largest DFS number over the stretch tell.
//
// Each block remembers a stretch from itself of at most SPAN blocks (built from its
// successor's). A pullup that rewrites a successor of block y makes the blocks whose stretch
// holds y forget theirs: those lie within SPAN same-key steps upstream of y. Walks cost about
// length/SPAN, rewrites about SPAN, where libpcap's walks cost the length.
import type { Block } from './ir.js';

/** Variant 0 walks false branches (or_pullup), variant 1 true branches (and_pullup). */
export type Variant = 0 | 1;

const NO_MIN = 0x7fffffff;
const SPAN = 64;

export class Chains {
  readonly succT: Int32Array;
  readonly succF: Int32Array;
  readonly aval: Uint32Array;
  // Reverse successor lists, one per variant: the blocks whose walked successor is y.
  private readonly head: [Int32Array, Int32Array];
  private readonly next: [Int32Array, Int32Array];
  private readonly prev: [Int32Array, Int32Array];
  // Remembered stretches: valid when stamp === cur; the first block after (skip), the last
  // block, the length, and the smallest/largest DFS entry number over the blocks reached
  // this pass.
  private readonly stamp: [Int32Array, Int32Array];
  readonly skip: [Int32Array, Int32Array];
  readonly last: [Int32Array, Int32Array];
  private readonly len: [Int32Array, Int32Array];
  readonly min: [Int32Array, Int32Array];
  readonly max: [Int32Array, Int32Array];
  private readonly path: Int32Array;
  private readonly dist: Int32Array;
  private cur = 0;
  private pre: Int32Array = new Int32Array(0);
  private reached: Int32Array = new Int32Array(0);
  private pass = 0;

  constructor(n: number) {
    const pair = () => [new Int32Array(n), new Int32Array(n)] as [Int32Array, Int32Array];
    this.succT = new Int32Array(n);
    this.succF = new Int32Array(n);
    this.aval = new Uint32Array(n);
    this.head = pair();
    this.next = pair();
    this.prev = pair();
    this.stamp = pair();
    this.skip = pair();
    this.last = pair();
    this.len = pair();
    this.min = pair();
    this.max = pair();
    this.path = new Int32Array(n + 1);
    this.dist = new Int32Array(n + 1);
  }
  /**
   * Copies the graph (successors, A values) and takes this pass's dominator numbering:
   * `pre` by block id, valid where `reached[id] === pass`.
   */
  begin(blocks: Block[], pre: Int32Array, reached: Int32Array, pass: number): void {
    this.cur++;
    this.pre = pre;
    this.reached = reached;
    this.pass = pass;
    const n = blocks.length;
    this.head[0].fill(-1);
    this.head[1].fill(-1);
    for (let i = 0; i < n; i++) {
      const b = blocks[i];
      const jt = b.et.succ;
      const jf = b.ef.succ;
      this.succT[i] = jt ? jt.id : -1;
      this.succF[i] = jf ? jf.id : -1;
      this.aval[i] = b.val[16];
      this.link(0, i, this.succF[i]);
      this.link(1, i, this.succT[i]);
    }
  }

  private link(v: Variant, x: number, y: number): void {
    const next = this.next[v];
    const prev = this.prev[v];
    prev[x] = -1;
    if (y < 0) {
      next[x] = -1;
      return;
    }
    const head = this.head[v];
    const h = head[y];
    next[x] = h;
    if (h >= 0) prev[h] = x;
    head[y] = x;
  }

  private unlink(v: Variant, x: number, y: number): void {
    if (y < 0) return;
    const next = this.next[v];
    const prev = this.prev[v];
    const p = prev[x];
    const nx = next[x];
    if (p >= 0) next[p] = nx;
    else this.head[v][y] = nx;
    if (nx >= 0) prev[nx] = p;
  }

  /** Sets a successor of block x (true side if t); the caller updates the Block too. */
  setSucc(x: number, t: boolean, y: number): void {
    // x's key changes for one variant and its walked successor for the other.
    this.forget(0, x);
    this.forget(1, x);
    const v: Variant = t ? 1 : 0;
    const arr = t ? this.succT : this.succF;
    this.unlink(v, x, arr[x]);
    arr[x] = y;
    this.link(v, x, y);
  }

  // Forgets the stretches that hold x: x's own, and those of the blocks upstream (same key,
  // walked successor by walked successor) whose stretch reaches down to x.
  private forget(v: Variant, x: number): void {
    const stamp = this.stamp[v];
    const len = this.len[v];
    const head = this.head[v];
    const next = this.next[v];
    const key = v ? this.succF : this.succT;
    const aval = this.aval;
    const stack = this.path;
    const dist = this.dist;
    const cur = this.cur;
    let sp = 0;
    stamp[x] = 0;
    stack[sp] = x;
    dist[sp++] = 0;
    while (sp > 0) {
      const z = stack[--sp];
      const d = dist[sp] + 1;
      if (d >= SPAN) continue;
      for (let p = head[z]; p >= 0; p = next[p]) {
        // Beyond x itself, only same-key blocks can have a stretch through z.
        if (z !== x && (key[p] !== key[z] || aval[p] !== aval[z])) continue;
        if (stamp[p] === cur && len[p] > d) stamp[p] = 0;
        stack[sp] = p;
        dist[sp++] = d;
      }
    }
  }

  /** Makes sure block d remembers its stretch (read skip/last/min/max at d). */
  run(v: Variant, d: number): void {
    const stamp = this.stamp[v];
    const cur = this.cur;
    if (stamp[d] === cur) return;
    const walk = v ? this.succT : this.succF;
    const key = v ? this.succF : this.succT;
    const aval = this.aval;
    const skip = this.skip[v];
    const last = this.last[v];
    const len = this.len[v];
    const min = this.min[v];
    const max = this.max[v];
    const path = this.path;
    const pre = this.pre;
    const reached = this.reached;
    const pass = this.pass;
    let top = 0;
    // Down to the first block that remembers, or the end of the same-key stretch.
    for (let x = d; ; ) {
      path[top++] = x;
      const nx = walk[x];
      if (nx < 0 || stamp[nx] === cur || key[nx] !== key[x] || aval[nx] !== aval[x]) break;
      x = nx;
    }
    while (top > 0) {
      const y = path[--top];
      const w = walk[y];
      let mn = NO_MIN;
      let mx = -1;
      if (w >= 0 && stamp[w] === cur && len[w] < SPAN && key[w] === key[y] && aval[w] === aval[y]) {
        skip[y] = skip[w];
        last[y] = last[w];
        len[y] = len[w] + 1;
        mn = min[w];
        mx = max[w];
      } else {
        skip[y] = w;
        last[y] = y;
        len[y] = 1;
      }
      if (reached[y] === pass) {
        const p = pre[y];
        if (p < mn) mn = p;
        if (p > mx) mx = p;
      }
      min[y] = mn;
      max[y] = mx;
      stamp[y] = cur;
    }
  }
}

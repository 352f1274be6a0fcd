// Which edges dominating an edge can fold the branch it leads to (libpcap's opt_j/fold_edge).
//
// fold_edge(child, e) can only succeed when e leaves a block with the child's branch opcode and
// A value, and then answers from e's sense and whether the two operands are equal. So blocks
// fall into kinds (opcode, A value, operand) and edges into (kind, sense); the "x == k1 is true,
// so x == k2 is false" rule also needs, per A value, the true edges of JEQ blocks. libpcap scans
// an edge's dominators in id order and takes the first that folds; the same edge is the
// smallest id among the dominators of the right kinds, which this index answers with a binary
// search and a short climb per question instead of a scan of a bitset per edge.
//
// Dominators of an edge are its ancestors in the edge dominator tree. Each list of same-kind
// edges is kept in the tree's depth-first order with, per member, its nearest same-kind
// ancestor and the smallest id on that chain: the dominators of edge x of that kind are the
// chain of the deepest member whose subtree holds x.
import type { Block, Edge } from './ir.js';
import { TripleTable } from './triple-table.js';

const JEQ_K = 0x15;
const NONE = 0x7fffffff;

export class FoldIndex {
  private readonly n: number;
  // Edge dominator tree (node 2n is the virtual root): children lists and DFS numbers.
  private readonly first: Int32Array;
  private readonly next: Int32Array;
  private readonly pre: Int32Array;
  private readonly post: Int32Array;
  private readonly order: Int32Array;
  private readonly stack: Int32Array;
  // Block kinds: number of the kind's edge lists (-1: the kind has a single block).
  private readonly bkind: Int32Array;
  private readonly bjeq: Int32Array;
  // (opcode, A value, operand) -> kind + 1; (A value) -> JEQ kind + 1; kind -> list or -1.
  private kinds = new TripleTable();
  private jeqs = new TripleTable();
  private keyOfKind: number[] = [];
  private keyOfJeq: number[] = [];
  private nkinds = 0;
  private njeqs = 0;
  // Same-kind lists: members (edge ids) in DFS order, nearest same-kind ancestor (position),
  // smallest id on the chain. For the JEQ lists, the two smallest with different operands.
  private start = new Int32Array(1);
  private readonly mem: Int32Array;
  private readonly par: Int32Array;
  private readonly min: Int32Array;
  private jstart = new Int32Array(1);
  private readonly jmem: Int32Array;
  private readonly jpar: Int32Array;
  private readonly jid1: Int32Array;
  private readonly joval1: Float64Array;
  private readonly jid2: Int32Array;

  constructor(blocks: number) {
    const n = (this.n = blocks);
    const e = 2 * n + 1;
    this.first = new Int32Array(e);
    this.next = new Int32Array(e);
    this.pre = new Int32Array(e);
    this.post = new Int32Array(e);
    this.order = new Int32Array(e);
    this.stack = new Int32Array(e);
    this.bkind = new Int32Array(n);
    this.bjeq = new Int32Array(n);
    this.mem = new Int32Array(e);
    this.par = new Int32Array(e);
    this.min = new Int32Array(e);
    this.jmem = new Int32Array(e);
    this.jpar = new Int32Array(e);
    this.jid1 = new Int32Array(e);
    this.joval1 = new Float64Array(e);
    this.jid2 = new Int32Array(e);
  }

  /**
   * Indexes the blocks on levels 1..maxlevel (the branches reached this pass), whose values
   * (val, oval) are final for the pass. `eparent` is the edge dominator tree, root 2n.
   */
  build(levels: (Block | null)[], maxlevel: number, eparent: Int32Array, blocks: Block[]): void {
    const n = this.n;
    const root = 2 * n;
    this.numberKinds(levels, maxlevel);

    // The tree, as found before this pass's changes (optBlk may already have moved some
    // branches; the dominators are those of the graph the pass started with).
    const first = this.first;
    const next = this.next;
    first.fill(-1);
    const link = (e: Edge) => {
      const p = eparent[e.id];
      next[e.id] = first[p];
      first[p] = e.id;
    };
    for (let i = maxlevel; i >= 1; --i) {
      for (let b = levels[i]; b; b = b.link) {
        link(b.ef);
        link(b.et);
      }
    }
    const pre = this.pre;
    const post = this.post;
    const order = this.order;
    const stack = this.stack;
    let count = 0;
    let sp = 0;
    stack[sp++] = root;
    pre[root] = -1;
    while (sp > 0) {
      const top = stack[sp - 1];
      const c = first[top];
      if (c >= 0) {
        first[top] = next[c];
        pre[c] = count;
        order[count++] = c;
        stack[sp++] = c;
      } else {
        post[top] = count;
        sp--;
      }
    }

    // Same-kind lists by counting sort over the DFS order.
    const nkeys = 2 * this.nkinds;
    const start = (this.start = new Int32Array(nkeys + 1));
    const njeq = this.njeqs;
    const jstart = (this.jstart = new Int32Array(njeq + 1));
    const bkind = this.bkind;
    const bjeq = this.bjeq;
    for (let i = 0; i < count; i++) {
      const id = order[i];
      const t = id < n;
      const bid = t ? id : id - n;
      const k = bkind[bid];
      if (k >= 0) start[2 * k + (t ? 1 : 0) + 1]++;
      if (t && bjeq[bid] >= 0) jstart[bjeq[bid] + 1]++;
    }
    for (let k = 0; k < nkeys; k++) start[k + 1] += start[k];
    for (let k = 0; k < njeq; k++) jstart[k + 1] += jstart[k];
    const fill = start.slice(0, nkeys);
    const jfill = jstart.slice(0, njeq);
    const mem = this.mem;
    const par = this.par;
    const min = this.min;
    const jmem = this.jmem;
    const jpar = this.jpar;
    const jid1 = this.jid1;
    const joval1 = this.joval1;
    const jid2 = this.jid2;
    for (let i = 0; i < count; i++) {
      const id = order[i];
      const t = id < n;
      const bid = t ? id : id - n;
      const k = bkind[bid];
      if (k >= 0) {
        const key = 2 * k + (t ? 1 : 0);
        const pos = fill[key]++;
        mem[pos] = id;
        // The nearest same-kind ancestor: climb from the previous member past the subtrees
        // that ended before this edge (each is passed over once).
        let p = pos > start[key] ? pos - 1 : -1;
        while (p >= 0 && post[mem[p]] <= i) p = par[p];
        par[pos] = p;
        min[pos] = p >= 0 && min[p] < id ? min[p] : id;
      }
      if (t && bjeq[bid] >= 0) {
        const key = bjeq[bid];
        const pos = jfill[key]++;
        jmem[pos] = id;
        let p = pos > jstart[key] ? pos - 1 : -1;
        while (p >= 0 && post[jmem[p]] <= i) p = jpar[p];
        jpar[pos] = p;
        const oval = blocks[bid].oval;
        if (p < 0) {
          jid1[pos] = id;
          joval1[pos] = oval;
          jid2[pos] = NONE;
        } else if (id < jid1[p]) {
          jid1[pos] = id;
          joval1[pos] = oval;
          jid2[pos] = oval !== joval1[p] ? jid1[p] : jid2[p];
        } else {
          jid1[pos] = jid1[p];
          joval1[pos] = joval1[p];
          jid2[pos] = oval !== joval1[p] && id < jid2[p] ? id : jid2[p];
        }
      }
    }
  }

  // Kinds with two blocks or more get lists; a kind with one block never folds (an edge out
  // of the child itself cannot dominate an edge into it).
  private numberKinds(levels: (Block | null)[], maxlevel: number): void {
    const kinds = this.kinds;
    const jeqs = this.jeqs;
    kinds.clear();
    jeqs.clear();
    const counts: number[] = [];
    const jcounts: number[] = [];
    const bkind = this.bkind;
    const bjeq = this.bjeq;
    for (let i = maxlevel; i >= 1; --i) {
      for (let b = levels[i]; b; b = b.link) {
        const aval = b.val[16];
        let kind = kinds.get(b.s.code, aval, b.oval) - 1;
        if (kind < 0) {
          kind = counts.length;
          kinds.set(b.s.code, aval, b.oval, kind + 1);
          counts.push(0);
        }
        counts[kind]++;
        bkind[b.id] = kind;
        bjeq[b.id] = -1;
        if (b.s.code === JEQ_K) {
          let j = jeqs.get(aval, 0, 0) - 1;
          if (j < 0) {
            j = jcounts.length;
            jeqs.set(aval, 0, 0, j + 1);
            jcounts.push(0);
          }
          jcounts[j]++;
          bjeq[b.id] = j;
        }
      }
    }
    let nkinds = 0;
    this.keyOfKind = counts.map((c) => (c >= 2 ? nkinds++ : -1));
    this.nkinds = nkinds;
    let njeqs = 0;
    this.keyOfJeq = jcounts.map((c) => (c >= 2 ? njeqs++ : -1));
    this.njeqs = njeqs;
    for (let i = maxlevel; i >= 1; --i) {
      for (let b = levels[i]; b; b = b.link) {
        bkind[b.id] = this.keyOfKind[bkind[b.id]];
        if (bjeq[b.id] >= 0) bjeq[b.id] = this.keyOfJeq[bjeq[b.id]];
      }
    }
  }

  // The deepest list member at or above edge x in the tree, as a position, or -1.
  private deepest(mem: Int32Array, par: Int32Array, s: number, e: number, x: number): number {
    const pre = this.pre;
    const post = this.post;
    const px = pre[x];
    // Last member entered at or before x.
    let lo = s;
    let hi = e;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pre[mem[mid]] <= px) lo = mid + 1;
      else hi = mid;
    }
    let p = lo - 1;
    if (p < s) return -1;
    while (p >= 0 && post[mem[p]] <= px) p = par[p];
    return p;
  }

  /**
   * The smallest id of an edge dominating `ep` (itself included) that leaves a block of this
   * kind (branch opcode, A value, operand value) on the given side; Infinity if none.
   */
  smallest(ep: Edge, code: number, taken: boolean, aval: number, oval: number): number {
    const kind = this.kinds.get(code, aval, oval) - 1;
    if (kind < 0 || this.keyOfKind[kind] < 0) return Infinity;
    const key = 2 * this.keyOfKind[kind] + (taken ? 1 : 0);
    const p = this.deepest(this.mem, this.par, this.start[key], this.start[key + 1], ep.id);
    return p < 0 ? Infinity : this.min[p];
  }

  /**
   * The smallest id of a true edge of a JEQ on this A value, with an operand other than
   * `oval`, dominating `ep`; Infinity if none.
   */
  smallestOtherJeq(ep: Edge, aval: number, oval: number): number {
    const jk = this.jeqs.get(aval, 0, 0) - 1;
    if (jk < 0 || this.keyOfJeq[jk] < 0) return Infinity;
    const j = this.keyOfJeq[jk];
    const p = this.deepest(this.jmem, this.jpar, this.jstart[j], this.jstart[j + 1], ep.id);
    if (p < 0) return Infinity;
    const id = this.joval1[p] !== oval ? this.jid1[p] : this.jid2[p];
    return id === NONE ? Infinity : id;
  }
}

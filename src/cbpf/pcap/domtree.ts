// A tree built top-down (each node's parent is known before the node), with nearest common
// ancestors. Dominator trees of a DAG grow this way when nodes are visited in topological
// order: the parent of a node is the nearest common ancestor of its predecessors.
//
// Each node also keeps one jump pointer (the skew-binary scheme: the target's depth depends
// only on the node's depth), set in O(1) when the node is attached, so that a common ancestor
// of two nodes far apart (a block every test of a long chain jumps to) costs O(log depth)
// rather than O(depth).

const CLIMB = 4;

export class DomTree {
  readonly parent: Int32Array;
  readonly depth: Int32Array;
  private readonly jump: Int32Array;

  constructor(size: number) {
    this.parent = new Int32Array(size);
    this.depth = new Int32Array(size);
    this.jump = new Int32Array(size);
  }

  /** Makes `v` a root (its own parent). */
  setRoot(v: number): void {
    this.parent[v] = v;
    this.depth[v] = 0;
    this.jump[v] = v;
  }

  /** Attaches `v` under `p`, which must already be in the tree. */
  setParent(v: number, p: number): void {
    const depth = this.depth;
    const jump = this.jump;
    this.parent[v] = p;
    depth[v] = depth[p] + 1;
    const j = jump[p];
    jump[v] = depth[p] - depth[j] === depth[j] - depth[jump[j]] ? jump[j] : p;
  }

  /** The nearest common ancestor of a and b (either may be the answer). */
  lca(a: number, b: number): number {
    const parent = this.parent;
    const depth = this.depth;
    const jump = this.jump;
    for (let i = 0; i < CLIMB && a !== b; i++) {
      const da = depth[a];
      const db = depth[b];
      if (da >= db) a = parent[a];
      if (db >= da) b = parent[b];
    }
    if (depth[a] < depth[b]) {
      const t = a;
      a = b;
      b = t;
    }
    const d = depth[b];
    while (depth[a] > d) a = depth[jump[a]] >= d ? jump[a] : parent[a];
    // Same depth, so the jump pointers of a and b land on the same depth too.
    while (a !== b) {
      if (jump[a] !== jump[b]) {
        a = jump[a];
        b = jump[b];
      } else {
        a = parent[a];
        b = parent[b];
      }
    }
    return a;
  }
}

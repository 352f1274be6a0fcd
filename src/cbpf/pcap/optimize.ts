// The optimizer of libpcap (optimize.c), as the same passes in the same order: per-block value
// numbering with constant folding, peephole rules and dead-store removal; then, across blocks,
// jump threading over edge dominators and the or/and "pullup" of repeated tests; then merging of
// identical blocks. Following libpcap step by step is what makes `bpfkit filter -d` print the
// program `tcpdump -d` prints.
//
// The passes are libpcap's, the data structures are not: libpcap's bitsets and scans make each
// pass quadratic in the filter's size (seconds to minutes for hundreds of hosts). Here
// dominators are trees (domtree.ts), jump threading asks an index of dominating edges
// (fold-index.ts), the pullups walk remembered stretches (chains.ts) and value numbering uses a
// flat hash table (triple-table.ts); each answers what libpcap's scan finds.
import { type Block, type Edge, type Slist, sappend } from './ir.js';
import { FoldIndex } from './fold-index.js';
import { DomTree } from './domtree.js';
import { TripleTable } from './triple-table.js';
import { Chains, type Variant } from './chains.js';

// Local copies of the IR's constants and accessors: this is the compiler's hot loop.
const NOP = -1;
const N_ATOMS = 18;
const A_ATOM = 16;
const X_ATOM = 17;
const AX_ATOM = 18;
const JT = (b: Block) => b.et.succ;
const JF = (b: Block) => b.ef.succ;

export class OptimizeError extends Error {}

const BPF_CLASS = (c: number) => c & 0x07;
const BPF_MODE = (c: number) => c & 0xe0;
const BPF_OP = (c: number) => c & 0xf0;
const BPF_SRC = (c: number) => c & 0x08;
const BPF_RVAL = (c: number) => c & 0x18;
const BPF_MISCOP = (c: number) => c & 0xf8;
const BPF_SIZE = (c: number) => c & 0x18;

const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_RET = 0x06, BPF_MISC = 0x07;
const BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_IND = 0x40, BPF_MEM = 0x60, BPF_LEN = 0x80, BPF_MSH = 0xa0;
const BPF_W = 0x00, BPF_H = 0x08, BPF_B = 0x10;
const BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_MUL = 0x20, BPF_DIV = 0x30, BPF_OR = 0x40, BPF_AND = 0x50,
  BPF_LSH = 0x60, BPF_RSH = 0x70, BPF_NEG = 0x80, BPF_MOD = 0x90, BPF_XOR = 0xa0;
const BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40;
const BPF_K = 0x00, BPF_X = 0x08, BPF_A = 0x10;
const BPF_TAX = 0x00, BPF_TXA = 0x80;

const ATOMMASK = (n: number) => (1 << n) >>> 0;
const ATOMELEM = (d: number, n: number) => (d & ATOMMASK(n)) !== 0;

/** Marks shared by the optimizer and the code emitter (libpcap's icode.cur_mark). */
export interface Icode {
  root: Block;
  curMark: number;
}

const isMarked = (ic: Icode, b: Block) => b.mark === ic.curMark;
const mark = (ic: Icode, b: Block) => {
  b.mark = ic.curMark;
};
const unMarkAll = (ic: Icode) => {
  ic.curMark += 1;
};

const JEQ_K = 0x15;

function atomuse(code: number, k: number): number {
  if (code === NOP) return -1;
  switch (BPF_CLASS(code)) {
    case BPF_RET:
      return BPF_RVAL(code) === BPF_A ? A_ATOM : BPF_RVAL(code) === BPF_X ? X_ATOM : -1;
    case BPF_LD:
    case BPF_LDX:
      return BPF_MODE(code) === BPF_IND ? X_ATOM : BPF_MODE(code) === BPF_MEM ? k : -1;
    case BPF_ST:
      return A_ATOM;
    case BPF_STX:
      return X_ATOM;
    case BPF_JMP:
    case BPF_ALU:
      return BPF_SRC(code) === BPF_X ? AX_ATOM : A_ATOM;
    case BPF_MISC:
      return BPF_MISCOP(code) === BPF_TXA ? X_ATOM : A_ATOM;
  }
  return -1;
}

function atomdef(code: number, k: number): number {
  if (code === NOP) return -1;
  switch (BPF_CLASS(code)) {
    case BPF_LD:
    case BPF_ALU:
      return A_ATOM;
    case BPF_LDX:
      return X_ATOM;
    case BPF_ST:
    case BPF_STX:
      return k;
    case BPF_MISC:
      return BPF_MISCOP(code) === BPF_TAX ? X_ATOM : A_ATOM;
  }
  return -1;
}

class Optimizer {
  private blocks: Block[] = [];
  private levels: (Block | null)[] = [];
  private stack: Block[] = [];
  private stackState = new Uint8Array(0);
  // libpcap keeps a bitset of dominators per block and per edge and intersects them over the
  // whole graph on every pass: quadratic in the filter's size. The same sets are the paths to
  // the root of two trees (immediate dominators of blocks, of edges), which are linear to build.
  // Blocks: idom, depth, and DFS entry/exit numbers of the tree for O(1) "a dominates b".
  private btree = new DomTree(0);
  private bpre = new Int32Array(0);
  private bpost = new Int32Array(0);
  private bpass = new Int32Array(0);
  private pass = 0;
  // Edges: the tree of immediate dominating edges, and the index opt_j asks (fold-index.ts).
  // Edge ids are 0..2n-1; 2n is a virtual root above the root's two edges.
  private etree = new DomTree(0);
  private eroot = 0;
  private eacc = new Int32Array(0);
  private fold = new FoldIndex(0);
  private done = false;
  private nonBranchMovement = false;
  // Value numbering.
  private table = new TripleTable();
  private curval = 0;
  private isConst = new Uint8Array(1024);
  private constVal = new Uint32Array(1024);

  constructor(private readonly ic: Icode) {}

  run(): void {
    this.init();
    this.loop(false);
    this.loop(true);
    this.internBlocks();
    this.ic.root = optRoot(this.ic.root);
  }

  private init(): void {
    const ic = this.ic;
    unMarkAll(ic);
    // Depth-first, true branch first, numbering on the way down (an explicit stack: graphs of
    // big filters are deeper than the call stack).
    const stack: (Block | null)[] = [ic.root];
    while (stack.length) {
      const p = stack.pop()!;
      if (!p || isMarked(ic, p)) continue;
      mark(ic, p);
      p.id = this.blocks.length;
      this.blocks.push(p);
      stack.push(JF(p), JT(p));
    }
    const n = this.blocks.length;
    this.levels = new Array(n).fill(null);
    this.stack = new Array(n).fill(null);
    this.stackState = new Uint8Array(n);
    this.btree = new DomTree(n);
    this.bpre = new Int32Array(n);
    this.bpost = new Int32Array(n);
    this.bpass = new Int32Array(n);
    this.etree = new DomTree(2 * n + 1);
    this.eroot = 2 * n;
    this.etree.setRoot(this.eroot);
    this.eacc = new Int32Array(n);
    this.fold = new FoldIndex(n);
    this.chains = new Chains(n);
    for (let i = 0; i < n; i++) {
      const b = this.blocks[i];
      b.et.id = i;
      b.ef.id = n + i;
      b.et.pred = b;
      b.ef.pred = b;
    }
  }

  private loop(doStmts: boolean): void {
    let loopCount = 0;
    for (;;) {
      this.done = true;
      this.nonBranchMovement = false;
      this.findLevels();
      // Only the branch passes (jump threading, pullups) look at dominators.
      if (!doStmts) this.findDom();
      this.findUd();
      this.optBlks(doStmts);
      if (this.done) break;
      if (this.nonBranchMovement) loopCount = 0;
      else if (++loopCount >= 100) {
        // Only branches moved for 100 passes: libpcap's guard against cycling forever.
        this.done = true;
        break;
      }
    }
  }

  private findLevels(): void {
    this.levels.fill(null);
    const ic = this.ic;
    unMarkAll(ic);
    // Post-order (true subtree, false subtree, then the block), with an explicit stack; a
    // block's state says which of its successors comes next.
    const stack = this.stack;
    const state = this.stackState;
    let sp = 0;
    const root = ic.root;
    mark(ic, root);
    root.link = null;
    stack[sp] = root;
    state[sp++] = 0;
    while (sp > 0) {
      const b = stack[sp - 1];
      const jt = JT(b);
      if (jt && state[sp - 1] < 2) {
        const c = state[sp - 1]++ === 0 ? jt : JF(b)!;
        if (!isMarked(ic, c)) {
          mark(ic, c);
          c.link = null;
          stack[sp] = c;
          state[sp++] = 0;
        }
        continue;
      }
      sp--;
      const level = jt ? Math.max(jt.level, JF(b)!.level) + 1 : 0;
      b.level = level;
      b.link = this.levels[level];
      this.levels[level] = b;
    }
  }

  // Dominators of blocks and of edges, as trees, from one walk over the levels (every
  // predecessor of a block sits on a higher level, so it is done before the block).
  // Dom(b) = {b} + the intersection of Dom(p) over b's predecessors p: the parent of b in the
  // tree is the nearest common ancestor of its predecessors. Likewise the edges into b give
  // the dominating edge of both edges out of b.
  private findDom(): void {
    const root = this.ic.root;
    const btree = this.btree;
    const etree = this.etree;
    const idom = btree.parent;
    const eacc = this.eacc;
    const pass = ++this.pass;
    const bpass = this.bpass;
    for (let level = root.level; level >= 0; --level) {
      for (let b = this.levels[level]; b; b = b.link) {
        const id = b.id;
        bpass[id] = pass;
        let e: number;
        if (b === root) {
          btree.setRoot(id);
          e = this.eroot;
        } else {
          btree.setParent(id, idom[id]);
          e = eacc[id];
        }
        etree.setParent(b.et.id, e);
        etree.setParent(b.ef.id, e);
        const jt = JT(b);
        if (!jt) continue;
        const jf = JF(b)!;
        // The first predecessor to reach a block starts its accumulators; bpass tells.
        if (bpass[jt.id] !== pass) {
          bpass[jt.id] = pass;
          idom[jt.id] = id;
          eacc[jt.id] = b.et.id;
        } else {
          idom[jt.id] = btree.lca(idom[jt.id], id);
          eacc[jt.id] = etree.lca(eacc[jt.id], b.et.id);
        }
        if (bpass[jf.id] !== pass) {
          bpass[jf.id] = pass;
          idom[jf.id] = id;
          eacc[jf.id] = b.ef.id;
        } else {
          idom[jf.id] = btree.lca(idom[jf.id], id);
          eacc[jf.id] = etree.lca(eacc[jf.id], b.ef.id);
        }
      }
    }
    this.numberDomTree();
  }

  // Entry and exit numbers of a depth-first walk of the block dominator tree.
  private numberDomTree(): void {
    const root = this.ic.root;
    const n = this.blocks.length;
    const first = new Int32Array(n).fill(-1);
    const next = new Int32Array(n);
    const idom = this.btree.parent;
    for (let level = root.level; level >= 0; --level) {
      for (let b = this.levels[level]; b; b = b.link) {
        if (b === root) continue;
        const p = idom[b.id];
        next[b.id] = first[p];
        first[p] = b.id;
      }
    }
    const pre = this.bpre;
    const post = this.bpost;
    const stack = new Int32Array(n);
    let sp = 0;
    let counter = 0;
    stack[sp++] = root.id;
    pre[root.id] = counter++;
    while (sp > 0) {
      const top = stack[sp - 1];
      const c = first[top];
      if (c >= 0) {
        first[top] = next[c];
        pre[c] = counter++;
        stack[sp++] = c;
      } else {
        post[top] = counter;
        sp--;
      }
    }
  }

  private findUd(): void {
    const maxlevel = this.ic.root.level;
    for (let i = maxlevel; i >= 0; --i) {
      for (let p = this.levels[i]; p; p = p.link) {
        computeLocalUd(p);
        p.outUse = 0;
      }
    }
    for (let i = 1; i <= maxlevel; ++i) {
      for (let p = this.levels[i]; p; p = p.link) {
        p.outUse = (p.outUse | JT(p)!.inUse | JF(p)!.inUse) >>> 0;
        p.inUse = (p.inUse | (p.outUse & ~p.kill)) >>> 0;
      }
    }
  }

  // ---- value numbering
  private initVal(): void {
    this.curval = 0;
    this.table.clear();
  }

  private F(code: number, v0: number, v1: number): number {
    const found = this.table.get(code, v0, v1);
    if (found !== 0) return found;
    const val = ++this.curval;
    this.table.set(code, v0, v1, val);
    if (val >= this.isConst.length) {
      const isConst = new Uint8Array(2 * val);
      isConst.set(this.isConst);
      this.isConst = isConst;
      const constVal = new Uint32Array(2 * val);
      constVal.set(this.constVal);
      this.constVal = constVal;
    }
    if (BPF_MODE(code) === BPF_IMM && (BPF_CLASS(code) === BPF_LD || BPF_CLASS(code) === BPF_LDX)) {
      this.constVal[val] = v0 >>> 0;
      this.isConst[val] = 1;
    } else this.isConst[val] = 0;
    return val;
  }

  private K(i: number): number {
    return this.F(BPF_LD | BPF_IMM | BPF_W, i >>> 0, 0);
  }

  private isK(v: number): boolean {
    // Value 0 is "unknown"; numbers above curval belong to an earlier pass.
    return v !== 0 && v <= this.curval && this.isConst[v] === 1;
  }

  private changed(): void {
    this.nonBranchMovement = true;
    this.done = false;
  }

  private vstore(s: Slist, vals: Uint32Array, idx: number, newval: number, alter: boolean): void {
    if (alter && newval !== 0 && vals[idx] === newval) s.s.code = NOP;
    else vals[idx] = newval;
  }

  private foldOp(s: Slist, v0: number, v1: number): void {
    let a = this.constVal[v0];
    const b = this.constVal[v1];
    switch (BPF_OP(s.s.code)) {
      case BPF_ADD: a = (a + b) >>> 0; break;
      case BPF_SUB: a = (a - b) >>> 0; break;
      case BPF_MUL: a = Math.imul(a, b) >>> 0; break;
      case BPF_DIV:
        if (b === 0) throw new OptimizeError('division by zero');
        a = Math.floor(a / b) >>> 0;
        break;
      case BPF_MOD:
        if (b === 0) throw new OptimizeError('modulus by zero');
        a = a % b;
        break;
      case BPF_AND: a = (a & b) >>> 0; break;
      case BPF_OR: a = (a | b) >>> 0; break;
      case BPF_XOR: a = (a ^ b) >>> 0; break;
      case BPF_LSH: a = b < 32 ? (a << b) >>> 0 : 0; break;
      case BPF_RSH: a = b < 32 ? a >>> b : 0; break;
      default: throw new OptimizeError(`cannot fold opcode 0x${s.s.code.toString(16)}`);
    }
    s.s.k = a;
    s.s.code = BPF_LD | BPF_IMM;
    this.changed();
  }

  private optStmt(s: Slist, val: Uint32Array, alter: boolean): void {
    const st = s.s;
    let v: number;
    switch (st.code) {
      case BPF_LD | BPF_ABS | BPF_W:
      case BPF_LD | BPF_ABS | BPF_H:
      case BPF_LD | BPF_ABS | BPF_B:
        v = this.F(st.code, st.k, 0);
        this.vstore(s, val, A_ATOM, v, alter);
        break;
      case BPF_LD | BPF_IND | BPF_W:
      case BPF_LD | BPF_IND | BPF_H:
      case BPF_LD | BPF_IND | BPF_B:
        v = val[X_ATOM];
        if (alter && this.isK(v)) {
          st.code = BPF_LD | BPF_ABS | BPF_SIZE(st.code);
          st.k = (st.k + this.constVal[v]) >>> 0;
          v = this.F(st.code, st.k, 0);
          this.changed();
        } else v = this.F(st.code, st.k, v);
        this.vstore(s, val, A_ATOM, v, alter);
        break;
      case BPF_LD | BPF_LEN:
        v = this.F(st.code, 0, 0);
        this.vstore(s, val, A_ATOM, v, alter);
        break;
      case BPF_LD | BPF_IMM:
        v = this.K(st.k);
        this.vstore(s, val, A_ATOM, v, alter);
        break;
      case BPF_LDX | BPF_IMM:
        v = this.K(st.k);
        this.vstore(s, val, X_ATOM, v, alter);
        break;
      case BPF_LDX | BPF_MSH | BPF_B:
        v = this.F(st.code, st.k, 0);
        this.vstore(s, val, X_ATOM, v, alter);
        break;
      case BPF_ALU | BPF_NEG:
        if (alter && this.isK(val[A_ATOM])) {
          st.code = BPF_LD | BPF_IMM;
          st.k = (0 - this.constVal[val[A_ATOM]]) >>> 0;
          val[A_ATOM] = this.K(st.k);
        } else val[A_ATOM] = this.F(st.code, val[A_ATOM], 0);
        break;
      case BPF_ALU | BPF_ADD | BPF_K:
      case BPF_ALU | BPF_SUB | BPF_K:
      case BPF_ALU | BPF_MUL | BPF_K:
      case BPF_ALU | BPF_DIV | BPF_K:
      case BPF_ALU | BPF_MOD | BPF_K:
      case BPF_ALU | BPF_AND | BPF_K:
      case BPF_ALU | BPF_OR | BPF_K:
      case BPF_ALU | BPF_XOR | BPF_K:
      case BPF_ALU | BPF_LSH | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_K: {
        const op = BPF_OP(st.code);
        if (alter) {
          if (st.k === 0) {
            // "sub #0" stays: later fixups of generated math may need it.
            if (op === BPF_ADD || op === BPF_LSH || op === BPF_RSH || op === BPF_OR || op === BPF_XOR) {
              st.code = NOP;
              break;
            }
            if (op === BPF_MUL || op === BPF_AND) {
              st.code = BPF_LD | BPF_IMM;
              val[A_ATOM] = this.K(st.k);
              break;
            }
            if (op === BPF_DIV) throw new OptimizeError('division by zero');
            if (op === BPF_MOD) throw new OptimizeError('modulus by zero');
          }
          if (this.isK(val[A_ATOM])) {
            this.foldOp(s, val[A_ATOM], this.K(st.k));
            val[A_ATOM] = this.K(st.k);
            break;
          }
        }
        val[A_ATOM] = this.F(st.code, val[A_ATOM], this.K(st.k));
        break;
      }
      case BPF_ALU | BPF_ADD | BPF_X:
      case BPF_ALU | BPF_SUB | BPF_X:
      case BPF_ALU | BPF_MUL | BPF_X:
      case BPF_ALU | BPF_DIV | BPF_X:
      case BPF_ALU | BPF_MOD | BPF_X:
      case BPF_ALU | BPF_AND | BPF_X:
      case BPF_ALU | BPF_OR | BPF_X:
      case BPF_ALU | BPF_XOR | BPF_X:
      case BPF_ALU | BPF_LSH | BPF_X:
      case BPF_ALU | BPF_RSH | BPF_X: {
        const op = BPF_OP(st.code);
        if (alter && this.isK(val[X_ATOM])) {
          if (this.isK(val[A_ATOM])) {
            this.foldOp(s, val[A_ATOM], val[X_ATOM]);
            val[A_ATOM] = this.K(st.k);
          } else {
            st.code = BPF_ALU | BPF_K | op;
            st.k = this.constVal[val[X_ATOM]];
            if ((op === BPF_LSH || op === BPF_RSH) && st.k > 31) throw new OptimizeError('shift by more than 31 bits');
            this.changed();
            val[A_ATOM] = this.F(st.code, val[A_ATOM], this.K(st.k));
          }
          break;
        }
        if (alter && this.isK(val[A_ATOM]) && this.constVal[val[A_ATOM]] === 0) {
          if (op === BPF_ADD || op === BPF_OR || op === BPF_XOR) {
            st.code = BPF_MISC | BPF_TXA;
            this.vstore(s, val, A_ATOM, val[X_ATOM], alter);
            break;
          } else if (op === BPF_MUL || op === BPF_DIV || op === BPF_MOD || op === BPF_AND || op === BPF_LSH || op === BPF_RSH) {
            st.code = BPF_LD | BPF_IMM;
            st.k = 0;
            this.vstore(s, val, A_ATOM, this.K(st.k), alter);
            break;
          } else if (op === BPF_NEG) {
            st.code = NOP;
            break;
          }
        }
        val[A_ATOM] = this.F(st.code, val[A_ATOM], val[X_ATOM]);
        break;
      }
      case BPF_MISC | BPF_TXA:
        this.vstore(s, val, A_ATOM, val[X_ATOM], alter);
        break;
      case BPF_LD | BPF_MEM:
        v = val[st.k];
        if (alter && this.isK(v)) {
          st.code = BPF_LD | BPF_IMM;
          st.k = this.constVal[v];
          this.changed();
        }
        this.vstore(s, val, A_ATOM, v, alter);
        break;
      case BPF_MISC | BPF_TAX:
        this.vstore(s, val, X_ATOM, val[A_ATOM], alter);
        break;
      case BPF_LDX | BPF_MEM:
        v = val[st.k];
        if (alter && this.isK(v)) {
          st.code = BPF_LDX | BPF_IMM;
          st.k = this.constVal[v];
          this.changed();
        }
        this.vstore(s, val, X_ATOM, v, alter);
        break;
      case BPF_ST:
        this.vstore(s, val, st.k, val[A_ATOM], alter);
        break;
      case BPF_STX:
        this.vstore(s, val, st.k, val[X_ATOM], alter);
        break;
    }
  }

  private optPeep(b: Block): void {
    let s: Slist | null = b.stmts;
    if (!s) return;
    let last: Slist = s;
    let next: Slist | null;
    for (; ; s = next) {
      s = thisOp(s);
      if (!s) break;
      next = thisOp(s.next);
      if (!next) break;
      last = next;
      // st M[k]; ldx M[k]  ->  st M[k]; tax
      if (s.s.code === BPF_ST && next.s.code === (BPF_LDX | BPF_MEM) && s.s.k === next.s.k) {
        this.changed();
        next.s.code = BPF_MISC | BPF_TAX;
      }
      // ld #k; tax  ->  ldx #k; txa
      if (s.s.code === (BPF_LD | BPF_IMM) && next.s.code === (BPF_MISC | BPF_TAX)) {
        s.s.code = BPF_LDX | BPF_IMM;
        next.s.code = BPF_MISC | BPF_TXA;
        this.changed();
      }
      // ld #k; [ldxb msh]; add x; tax; ld [x+n]  ->  [ldxb msh]; ld [x+n+k]   (tcp[k], udp[k])
      if (s.s.code === (BPF_LD | BPF_IMM)) {
        if (ATOMELEM(b.outUse, X_ATOM)) continue;
        const add = next.s.code !== (BPF_LDX | BPF_MSH | BPF_B) ? next : thisOp(next.next);
        if (!add || add.s.code !== (BPF_ALU | BPF_ADD | BPF_X)) continue;
        const tax = thisOp(add.next);
        if (!tax || tax.s.code !== (BPF_MISC | BPF_TAX)) continue;
        const ild = thisOp(tax.next);
        if (!ild || BPF_CLASS(ild.s.code) !== BPF_LD || BPF_MODE(ild.s.code) !== BPF_IND) continue;
        ild.s.k = (ild.s.k + s.s.k) >>> 0;
        s.s.code = NOP;
        add.s.code = NOP;
        tax.s.code = NOP;
        this.changed();
      }
    }
    if (b.s.code === (BPF_JMP | BPF_JEQ | BPF_K) && !ATOMELEM(b.outUse, A_ATOM)) {
      if (last.s.code === (BPF_ALU | BPF_SUB | BPF_X)) {
        const val = b.val[X_ATOM];
        if (this.isK(val)) {
          // sub x; jeq #y  ->  jeq #(x+y)
          b.s.k = (b.s.k + this.constVal[val]) >>> 0;
          last.s.code = NOP;
          this.changed();
        } else if (b.s.k === 0) {
          // sub x; jeq #0  ->  jeq x
          last.s.code = NOP;
          b.s.code = BPF_JMP | BPF_JEQ | BPF_X;
          this.changed();
        }
      } else if (last.s.code === (BPF_ALU | BPF_SUB | BPF_K)) {
        last.s.code = NOP;
        b.s.k = (b.s.k + last.s.k) >>> 0;
        this.changed();
      } else if (last.s.code === (BPF_ALU | BPF_AND | BPF_K) && b.s.k === 0) {
        // and #k; jeq #0  ->  jset #k with the branches swapped
        b.s.k = last.s.k;
        b.s.code = BPF_JMP | BPF_K | BPF_JSET;
        last.s.code = NOP;
        this.changed();
        const tmp = b.et.succ;
        b.et.succ = b.ef.succ;
        b.ef.succ = tmp;
      }
    }
    if (b.s.code === (BPF_JMP | BPF_K | BPF_JSET)) {
      if (b.s.k === 0) b.et.succ = b.ef.succ;
      else if (b.s.k === 0xffffffff) {
        // libpcap 1.10 made this "always", which is wrong when A is 0; newer releases test
        // A != 0 as "jeq #0" with the branches swapped, and so do we.
        b.s.code = BPF_JMP | BPF_JEQ | BPF_K;
        b.s.k = 0;
        const tmp = b.et.succ;
        b.et.succ = b.ef.succ;
        b.ef.succ = tmp;
      }
    }
    let val = b.val[X_ATOM];
    if (this.isK(val) && BPF_SRC(b.s.code) === BPF_X) {
      b.s.code &= ~BPF_X;
      b.s.k = this.constVal[val];
    }
    val = b.val[A_ATOM];
    if (this.isK(val) && BPF_SRC(b.s.code) === BPF_K) {
      let v = this.constVal[val];
      switch (BPF_OP(b.s.code)) {
        case BPF_JEQ: v = v === b.s.k ? 1 : 0; break;
        case BPF_JGT: v = v > b.s.k ? 1 : 0; break;
        case BPF_JGE: v = v >= b.s.k ? 1 : 0; break;
        case BPF_JSET: v = (v & b.s.k) >>> 0; break;
        default: throw new OptimizeError(`unexpected branch opcode 0x${b.s.code.toString(16)}`);
      }
      if (b.ef.succ !== b.et.succ) this.changed();
      if (v) b.ef.succ = b.et.succ;
      else b.et.succ = b.ef.succ;
    }
  }

  private lastDef: (Slist | null)[] = new Array(N_ATOMS).fill(null);

  private optDeadstores(b: Block): void {
    const last = this.lastDef;
    last.fill(null);
    for (let s = b.stmts; s; s = s.next) {
      const use = atomuse(s.s.code, s.s.k);
      if (use >= 0) {
        if (use === AX_ATOM) {
          last[X_ATOM] = null;
          last[A_ATOM] = null;
        } else last[use] = null;
      }
      const def = atomdef(s.s.code, s.s.k);
      if (def >= 0) {
        const prev = last[def];
        if (prev) {
          this.changed();
          prev.s.code = NOP;
        }
        last[def] = s;
      }
    }
    // The branch statement uses atoms and defines none.
    const use = atomuse(b.s.code, b.s.k);
    if (use >= 0) {
      if (use === AX_ATOM) {
        last[X_ATOM] = null;
        last[A_ATOM] = null;
      } else last[use] = null;
    }
    for (let atom = 0; atom < N_ATOMS; ++atom) {
      const l = last[atom];
      if (l && !ATOMELEM(b.outUse, atom)) {
        l.s.code = NOP;
        this.changed();
      }
    }
  }

  private optBlk(b: Block, doStmts: boolean): void {
    let p = b.inEdges;
    if (!p) b.val.fill(0);
    else {
      b.val.set(p.pred.val);
      while ((p = p.next) !== null) {
        for (let i = 0; i < N_ATOMS; ++i) if (b.val[i] !== p.pred.val[i]) b.val[i] = 0;
      }
    }
    const aval = b.val[A_ATOM];
    const xval = b.val[X_ATOM];
    for (let s = b.stmts; s; s = s.next) this.optStmt(s, b.val, doStmts);
    if (doStmts && ((b.outUse === 0 && aval !== 0 && b.val[A_ATOM] === aval && xval !== 0 && b.val[X_ATOM] === xval) ||
        BPF_CLASS(b.s.code) === BPF_RET)) {
      if (b.stmts) {
        b.stmts = null;
        this.changed();
      }
    } else {
      this.optPeep(b);
      this.optDeadstores(b);
    }
    b.oval = BPF_SRC(b.s.code) === BPF_K ? this.K(b.s.k) : b.val[X_ATOM];
    b.et.code = b.s.code;
    b.ef.code = -b.s.code;
  }

  private findInedges(): void {
    for (const b of this.blocks) b.inEdges = null;
    const root = this.ic.root;
    for (let level = root.level; level > 0; --level) {
      for (let b = this.levels[level]; b; b = b.link) {
        linkInedge(b.et, JT(b)!);
        linkInedge(b.ef, JF(b)!);
      }
    }
  }

  // opt_j: libpcap scans the edges dominating ep in id order and takes the first whose
  // fold_edge() gives a target without a use conflict; the smallest id over the kinds that give
  // an acceptable target is that same edge.
  private optJ(ep: Edge): void {
    const succ = ep.succ!;
    if (!JT(succ)) return;
    if (JT(succ) === JF(succ)) {
      if (!useConflict(ep.pred, JT(succ)!)) {
        this.changed();
        ep.succ = JT(succ);
      }
    }
    for (;;) {
      const child = ep.succ!;
      const jt = JT(child);
      if (!jt) return;
      const jf = JF(child)!;
      const code = child.s.code;
      const aval = child.val[A_ATOM];
      const oval = child.oval;
      let best = Infinity;
      let target: Block | null = null;
      if (!useConflict(ep.pred, jt)) {
        best = this.fold.smallest(ep, code, true, aval, oval);
        if (best !== Infinity) target = jt;
      }
      if (!useConflict(ep.pred, jf)) {
        let id = this.fold.smallest(ep, code, false, aval, oval);
        if (code === JEQ_K) id = Math.min(id, this.fold.smallestOtherJeq(ep, aval, oval));
        if (id < best) {
          best = id;
          target = jf;
        }
      }
      if (!target) return;
      this.done = false;
      ep.succ = target;
      if (!JT(target)) return;
    }
  }

  private orPullup(b: Block): void {
    this.pullup(b, false);
  }

  private andPullup(b: Block): void {
    this.pullup(b, true);
  }

  // The graph as arrays, with remembered runs of same-key tests (chains.ts), for the pullups.
  private chains = new Chains(0);

  private setSucc(b: Block, t: boolean, v: Block | null): void {
    if (t) b.et.succ = v;
    else b.ef.succ = v;
    this.chains.setSucc(b.id, t, v ? v.id : -1);
  }

  // or_pullup (and = false) walks false branches and compares true targets; and_pullup the reverse.
  // A "slot" (C's struct block **) is a block and which of its two successors.
  private pullup(b: Block, and: boolean): void {
    let ep = b.inEdges;
    if (!ep) return;
    const val = ep.pred.val[A_ATOM];
    for (ep = ep.next; ep; ep = ep.next) if (val !== ep.pred.val[A_ATOM]) return;
    const chains = this.chains;
    const succT = chains.succT;
    const succF = chains.succF;
    const aval = chains.aval;
    const v: Variant = and ? 1 : 0;
    const runLast = chains.last[v];
    const runMin = chains.min[v];
    const runMax = chains.max[v];
    const bpass = this.bpass;
    const bpre = this.bpre;
    const pass = this.pass;
    // "b dominates d" is lo <= pre(d) < hi; blocks not reached this pass count as dominated
    // (libpcap's sets start full).
    const lo = bpre[b.id];
    const hi = this.bpost[b.id];
    const walk = and ? succT : succF;
    const cmp = and ? succF : succT;
    const common = cmp[b.id];
    const first = b.inEdges!.pred;
    let diffB = first.id;
    let diffT = JT(first) === b;
    let atTop = true;
    let d: number;
    for (;;) {
      d = diffT ? succT[diffB] : succF[diffB];
      if (d < 0) return;
      if (cmp[d] !== common) return;
      if (bpass[d] === pass && (bpre[d] < lo || bpre[d] >= hi)) return;
      if (aval[d] !== val) break;
      // The rest of d's run passes the same tests but the dominance one: take it whole.
      chains.run(v, d);
      if (runMin[d] < lo || runMax[d] >= hi) return;
      diffB = runLast[d];
      diffT = and;
      atTop = false;
    }
    let sameB = d;
    let pull: number;
    for (;;) {
      pull = walk[sameB];
      if (pull < 0) return;
      if (cmp[pull] !== common) return;
      if (bpass[pull] === pass && (bpre[pull] < lo || bpre[pull] >= hi)) return;
      if (aval[pull] === val) break;
      chains.run(v, pull);
      if (runMin[pull] < lo || runMax[pull] >= hi) return;
      sameB = runLast[pull];
    }
    const blocks = this.blocks;
    const pb = blocks[pull];
    this.setSucc(blocks[sameB], and, and ? JT(pb) : JF(pb));
    const db = blocks[diffB];
    this.setSucc(pb, and, diffT ? JT(db) : JF(db));
    if (atTop) {
      for (let e = b.inEdges; e; e = e.next) this.setSucc(e.pred, JT(e.pred) === b, pb);
    } else this.setSucc(db, diffT, pb);
    this.done = false;
  }

  private optBlks(doStmts: boolean): void {
    this.initVal();
    const maxlevel = this.ic.root.level;
    this.findInedges();
    for (let i = maxlevel; i >= 0; --i) for (let p = this.levels[i]; p; p = p.link) this.optBlk(p, doStmts);
    if (doStmts) return;
    this.fold.build(this.levels, maxlevel, this.etree.parent, this.blocks);
    for (let i = 1; i <= maxlevel; ++i) {
      for (let p = this.levels[i]; p; p = p.link) {
        this.optJ(p.et);
        this.optJ(p.ef);
      }
    }
    this.findInedges();
    this.chains.begin(this.blocks, this.bpre, this.bpass, this.pass);
    for (let i = 1; i <= maxlevel; ++i) {
      for (let p = this.levels[i]; p; p = p.link) {
        this.orPullup(p);
        this.andPullup(p);
      }
    }
  }

  // intern_blocks: merge blocks that are equal (same statements, branch and successors).
  // libpcap compares all pairs and repeats until nothing changes; merging bottom-up with a
  // table reaches the same smallest graph in one pass, and the emitted program depends only on
  // that graph's shape.
  private internBlocks(): void {
    const ic = this.ic;
    ic.curMark += 1;
    const canon = new Map<string, Block>();
    const stack: { b: Block; state: number }[] = [];
    const enter = (b: Block) => {
      if (isMarked(ic, b)) return;
      mark(ic, b);
      b.link = null;
      stack.push({ b, state: 0 });
    };
    enter(ic.root);
    while (stack.length) {
      const f = stack[stack.length - 1];
      const b = f.b;
      if (BPF_CLASS(b.s.code) !== BPF_RET && f.state === 0) {
        f.state = 1;
        enter(JT(b)!);
        continue;
      }
      if (BPF_CLASS(b.s.code) !== BPF_RET && f.state === 1) {
        f.state = 2;
        enter(JF(b)!);
        continue;
      }
      stack.pop();
      if (BPF_CLASS(b.s.code) !== BPF_RET) {
        const jt = JT(b)!;
        const jf = JF(b)!;
        if (jt.link) b.et.succ = jt.link;
        if (jf.link) b.ef.succ = jf.link;
      }
      const key = blockKey(b);
      const c = canon.get(key);
      if (c) b.link = c;
      else canon.set(key, b);
    }
    if (ic.root.link) ic.root = ic.root.link;
  }
}

function thisOp(s: Slist | null): Slist | null {
  while (s && s.s.code === NOP) s = s.next;
  return s;
}

// Adds to `use` the atoms a statement reads that the block has not defined before it.
function noteUse(use: number, def: number, atom: number): number {
  if (atom < 0) return use;
  if (atom === AX_ATOM) {
    if (!ATOMELEM(def, X_ATOM)) use |= ATOMMASK(X_ATOM);
    if (!ATOMELEM(def, A_ATOM)) use |= ATOMMASK(A_ATOM);
  } else if (atom < N_ATOMS) {
    if (!ATOMELEM(def, atom)) use |= ATOMMASK(atom);
  } else throw new OptimizeError(`bad atom ${atom}`);
  return use;
}

function computeLocalUd(b: Block): void {
  let def = 0;
  let use = 0;
  let killed = 0;
  for (let s = b.stmts; s; s = s.next) {
    if (s.s.code === NOP) continue;
    use = noteUse(use, def, atomuse(s.s.code, s.s.k));
    const atom = atomdef(s.s.code, s.s.k);
    if (atom >= 0) {
      if (!ATOMELEM(use, atom)) killed |= ATOMMASK(atom);
      def |= ATOMMASK(atom);
    }
  }
  if (BPF_CLASS(b.s.code) === BPF_JMP) use = noteUse(use, def, atomuse(b.s.code, b.s.k));
  b.def = def >>> 0;
  b.kill = killed >>> 0;
  b.inUse = use >>> 0;
}

function linkInedge(parent: Edge, child: Block): void {
  parent.next = child.inEdges;
  child.inEdges = parent;
}

function useConflict(b: Block, succ: Block): boolean {
  const use = succ.outUse;
  if (use === 0) return false;
  for (let atom = 0; atom < N_ATOMS; ++atom) {
    if (ATOMELEM(use, atom) && b.val[atom] !== succ.val[atom]) return true;
  }
  return false;
}

function foldEdge(child: Block, ep: Edge): Block | null {
  let code = ep.code;
  let sense: boolean;
  if (code < 0) {
    code = -code;
    sense = false;
  } else sense = true;
  if (child.s.code !== code) return null;
  const aval0 = child.val[A_ATOM];
  const oval0 = child.oval;
  const aval1 = ep.pred.val[A_ATOM];
  const oval1 = ep.pred.oval;
  if (aval0 !== aval1) return null;
  if (oval0 === oval1) return sense ? JT(child) : JF(child);
  if (sense && code === (BPF_JMP | BPF_JEQ | BPF_K)) return JF(child);
  return null;
}

function markReachable(ic: Icode, root: Block): void {
  const stack: Block[] = [root];
  while (stack.length) {
    const p = stack.pop()!;
    if (isMarked(ic, p)) continue;
    mark(ic, p);
    if (BPF_CLASS(p.s.code) !== BPF_RET) stack.push(JF(p)!, JT(p)!);
  }
}

// Blocks with equal keys are exactly those eq_blk() finds equal.
function blockKey(b: Block): string {
  let key = `${b.s.code},${b.s.k},${b.et.succ ? b.et.succ.id : -1},${b.ef.succ ? b.ef.succ.id : -1}`;
  for (let s = b.stmts; s; s = s.next) if (s.s.code !== NOP) key += `;${s.s.code},${s.s.k}`;
  return key;
}

function optRoot(b: Block): Block {
  let s = b.stmts;
  b.stmts = null;
  while (BPF_CLASS(b.s.code) === BPF_JMP && JT(b) === JF(b)) b = JT(b)!;
  const tmp = b.stmts;
  if (tmp) {
    if (s) sappend(s, tmp);
    else s = tmp;
  }
  b.stmts = s;
  // A root that returns needs no statements: the filter has no side effects.
  if (BPF_CLASS(b.s.code) === BPF_RET) b.stmts = null;
  return b;
}

/** Runs libpcap's optimizer over the block graph; returns the new root. */
export function optimizeIcode(ic: Icode): Block {
  new Optimizer(ic).run();
  return ic.root;
}

// Silence unused-constant checks for opcodes listed for readability.
void BPF_LDX; void BPF_STX; void BPF_LEN; void BPF_H; void BPF_B; void BPF_NEG; void BPF_JA; void BPF_JGT;
void BPF_JGE; void BPF_ALU;

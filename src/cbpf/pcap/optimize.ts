// The optimizer of libpcap (optimize.c), as the same passes in the same order: per-block value
// numbering with constant folding, peephole rules and dead-store removal; then, across blocks,
// jump threading over edge dominators and the or/and "pullup" of repeated tests; then merging of
// identical blocks. Following libpcap step by step is what makes `bpfkit filter -d` print the
// program `tcpdump -d` prints.
import { type Block, type Edge, type Slist, sappend } from './ir.js';

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

const setMember = (p: Uint32Array, a: number) => (p[a >>> 5] & ((1 << (a & 31)) >>> 0)) !== 0;
const setInsert = (p: Uint32Array, a: number) => {
  p[a >>> 5] |= 1 << (a & 31);
};
const setIntersect = (a: Uint32Array, b: Uint32Array) => {
  for (let i = 0; i < a.length; i++) a[i] &= b[i];
};

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

// A slot holding a successor: the jt or jf field of a block (C's `struct block **`).
type Slot = { b: Block; t: boolean };
const slotGet = (s: Slot) => (s.t ? s.b.et.succ : s.b.ef.succ);
const slotSet = (s: Slot, v: Block | null) => {
  if (s.t) s.b.et.succ = v;
  else s.b.ef.succ = v;
};

class Optimizer {
  private blocks: Block[] = [];
  private edges: Edge[] = [];
  private levels: (Block | null)[] = [];
  private nodewords = 0;
  private allDom = new Uint32Array(0);
  private allEdom = new Uint32Array(0);
  private edgewords = 0;
  private done = false;
  private nonBranchMovement = false;
  // Value numbering.
  private table = new Map<number, Map<number, number>>();
  private curval = 0;
  private isConst: boolean[] = [];
  private constVal: number[] = [];

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
    this.edges = new Array(2 * n);
    this.levels = new Array(n).fill(null);
    this.edgewords = Math.floor((2 * n) / 32) + 1;
    this.nodewords = Math.floor(n / 32) + 1;
    this.allDom = new Uint32Array(n * this.nodewords);
    this.allEdom = new Uint32Array(2 * n * this.edgewords);
    for (let i = 0; i < n; i++) {
      const b = this.blocks[i];
      // Views into two shared buffers, so that resetting every set is one fill.
      b.dom = this.allDom.subarray(i * this.nodewords, (i + 1) * this.nodewords);
      b.et.edom = this.allEdom.subarray(2 * i * this.edgewords, (2 * i + 1) * this.edgewords);
      b.ef.edom = this.allEdom.subarray((2 * i + 1) * this.edgewords, (2 * i + 2) * this.edgewords);
      b.et.id = i;
      this.edges[i] = b.et;
      b.ef.id = n + i;
      this.edges[n + i] = b.ef;
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
      this.findDom();
      this.findUd();
      this.findEdom();
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
    unMarkAll(this.ic);
    // Post-order (true subtree, false subtree, then the block), with an explicit stack.
    const stack: { b: Block; state: number }[] = [];
    const enter = (b: Block) => {
      if (isMarked(this.ic, b)) return;
      mark(this.ic, b);
      b.link = null;
      stack.push({ b, state: 0 });
    };
    enter(this.ic.root);
    while (stack.length) {
      const f = stack[stack.length - 1];
      const jt = JT(f.b);
      if (jt && f.state === 0) {
        f.state = 1;
        enter(jt);
        continue;
      }
      if (jt && f.state === 1) {
        f.state = 2;
        enter(JF(f.b)!);
        continue;
      }
      stack.pop();
      const b = f.b;
      const level = jt ? Math.max(jt.level, JF(b)!.level) + 1 : 0;
      b.level = level;
      b.link = this.levels[level];
      this.levels[level] = b;
    }
  }

  private findDom(): void {
    this.allDom.fill(0xffffffff);
    const root = this.ic.root;
    root.dom.fill(0);
    for (let level = root.level; level >= 0; --level) {
      for (let b = this.levels[level]; b; b = b.link) {
        setInsert(b.dom, b.id);
        const jt = JT(b);
        if (!jt) continue;
        setIntersect(jt.dom, b.dom);
        setIntersect(JF(b)!.dom, b.dom);
      }
    }
  }

  private findEdom(): void {
    this.allEdom.fill(0xffffffff);
    const root = this.ic.root;
    root.et.edom.fill(0);
    root.ef.edom.fill(0);
    const propedom = (ep: Edge) => {
      setInsert(ep.edom, ep.id);
      if (ep.succ) {
        setIntersect(ep.succ.et.edom, ep.edom);
        setIntersect(ep.succ.ef.edom, ep.edom);
      }
    };
    for (let level = root.level; level >= 0; --level) {
      for (let b = this.levels[level]; b; b = b.link) {
        propedom(b.et);
        propedom(b.ef);
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
    this.isConst = [];
    this.constVal = [];
  }

  private F(code: number, v0: number, v1: number): number {
    // code < 2^8 and v0 < 2^32, so code * 2^32 + v0 is exact in a double.
    const k1 = code * 4294967296 + v0;
    let inner = this.table.get(k1);
    if (!inner) this.table.set(k1, (inner = new Map()));
    const found = inner.get(v1);
    if (found !== undefined) return found;
    const val = ++this.curval;
    inner.set(v1, val);
    if (BPF_MODE(code) === BPF_IMM && (BPF_CLASS(code) === BPF_LD || BPF_CLASS(code) === BPF_LDX)) {
      this.constVal[val] = v0 >>> 0;
      this.isConst[val] = true;
    }
    return val;
  }

  private K(i: number): number {
    return this.F(BPF_LD | BPF_IMM | BPF_W, i >>> 0, 0);
  }

  private isK(v: number): boolean {
    return this.isConst[v] === true;
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

  private optDeadstores(b: Block): void {
    const last: (Slist | null)[] = new Array(N_ATOMS).fill(null);
    const dead = (s: Slist) => {
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
    };
    for (let s = b.stmts; s; s = s.next) dead(s);
    // The branch statement itself: wrap it so that it can be recorded like the others.
    dead({ s: b.s, next: null });
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

  // Edges that fold_edge() can match, by branch opcode and A value: libpcap tries every
  // dominating edge in id order; only these can give a target, so trying just them, in the
  // same order, finds the same one.
  private edgeIndex = new Map<string, Uint32Array>();

  private buildEdgeIndex(): void {
    this.edgeIndex.clear();
    for (let k = 0; k < this.edges.length; k++) {
      const e = this.edges[k];
      const key = `${Math.abs(e.code)},${e.pred.val[A_ATOM]}`;
      let set = this.edgeIndex.get(key);
      if (!set) this.edgeIndex.set(key, (set = new Uint32Array(this.edgewords)));
      setInsert(set, k);
    }
  }

  private optJ(ep: Edge): void {
    const succ = ep.succ!;
    if (!JT(succ)) return;
    if (JT(succ) === JF(succ)) {
      if (!useConflict(ep.pred, JT(succ)!)) {
        this.changed();
        ep.succ = JT(succ);
      }
    }
    top: for (;;) {
      const child = ep.succ!;
      const cand = this.edgeIndex.get(`${child.s.code},${child.val[A_ATOM]}`);
      if (!cand) return;
      const edom = ep.edom;
      for (let i = 0; i < this.edgewords; ++i) {
        let x = (edom[i] & cand[i]) >>> 0;
        while (x !== 0) {
          const bit = 31 - Math.clz32(x & -x);
          x = (x & ~(1 << bit)) >>> 0;
          const target = foldEdge(child, this.edges[bit + i * 32]);
          if (target && !useConflict(ep.pred, target)) {
            this.done = false;
            ep.succ = target;
            if (JT(target)) continue top;
            return;
          }
        }
      }
      return;
    }
  }

  private orPullup(b: Block): void {
    this.pullup(b, false);
  }

  private andPullup(b: Block): void {
    this.pullup(b, true);
  }

  // or_pullup (and = false) walks false branches and compares true targets; and_pullup the reverse.
  private pullup(b: Block, and: boolean): void {
    let ep = b.inEdges;
    if (!ep) return;
    const val = ep.pred.val[A_ATOM];
    for (ep = ep.next; ep; ep = ep.next) if (val !== ep.pred.val[A_ATOM]) return;
    const same = (x: Block) => (and ? JF(x) === JF(b) : JT(x) === JT(b));
    const first = b.inEdges!.pred;
    let diffp: Slot = JT(first) === b ? { b: first, t: true } : { b: first, t: false };
    let atTop = true;
    for (;;) {
      const d = slotGet(diffp);
      if (!d) return;
      if (!same(d)) return;
      if (!setMember(d.dom, b.id)) return;
      if (d.val[A_ATOM] !== val) break;
      diffp = { b: d, t: and };
      atTop = false;
    }
    let samep: Slot = { b: slotGet(diffp)!, t: and };
    for (;;) {
      const sm = slotGet(samep);
      if (!sm) return;
      if (!same(sm)) return;
      if (!setMember(sm.dom, b.id)) return;
      if (sm.val[A_ATOM] === val) break;
      samep = { b: sm, t: and };
    }
    const pull = slotGet(samep)!;
    slotSet(samep, and ? JT(pull) : JF(pull));
    if (and) pull.et.succ = slotGet(diffp);
    else pull.ef.succ = slotGet(diffp);
    if (atTop) {
      for (let e = b.inEdges; e; e = e.next) {
        if (JT(e.pred) === b) e.pred.et.succ = pull;
        else e.pred.ef.succ = pull;
      }
    } else {
      slotSet(diffp, pull);
    }
    this.done = false;
  }

  private optBlks(doStmts: boolean): void {
    this.initVal();
    const maxlevel = this.ic.root.level;
    this.findInedges();
    for (let i = maxlevel; i >= 0; --i) for (let p = this.levels[i]; p; p = p.link) this.optBlk(p, doStmts);
    if (doStmts) return;
    this.buildEdgeIndex();
    for (let i = 1; i <= maxlevel; ++i) {
      for (let p = this.levels[i]; p; p = p.link) {
        this.optJ(p.et);
        this.optJ(p.ef);
      }
    }
    this.findInedges();
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

function computeLocalUd(b: Block): void {
  let def = 0;
  let use = 0;
  let killed = 0;
  const noteUse = (atom: number) => {
    if (atom < 0) return;
    if (atom === AX_ATOM) {
      if (!ATOMELEM(def, X_ATOM)) use |= ATOMMASK(X_ATOM);
      if (!ATOMELEM(def, A_ATOM)) use |= ATOMMASK(A_ATOM);
    } else if (atom < N_ATOMS) {
      if (!ATOMELEM(def, atom)) use |= ATOMMASK(atom);
    } else throw new OptimizeError(`bad atom ${atom}`);
  };
  for (let s = b.stmts; s; s = s.next) {
    if (s.s.code === NOP) continue;
    noteUse(atomuse(s.s.code, s.s.k));
    const atom = atomdef(s.s.code, s.s.k);
    if (atom >= 0) {
      if (!ATOMELEM(use, atom)) killed |= ATOMMASK(atom);
      def |= ATOMMASK(atom);
    }
  }
  if (BPF_CLASS(b.s.code) === BPF_JMP) noteUse(atomuse(b.s.code, b.s.k));
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

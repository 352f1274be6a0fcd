// One probe's statements → eBPF, through the asm ProgramBuilder. Values are either integers in a
// register (64-bit, sign- or zero-extended according to their type, like bpftrace's promotions),
// aggregates (strings, tuples, buffers, …) in frame memory, or references to memory not yet read
// (a struct behind a pointer, the tracepoint record) that field accesses read piecewise.
import { statSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { ProgramBuilder } from '../../asm/builder.js';
import { R0, R1, R2, R3, R4, R5, R10, Reg } from '../../asm/instruction.js';
import type {
  Loc, CallNode, CheckedProgram, Expression, FieldAccessNode, MapNode, ProbeNode, Statement, UnopNode, BinopNode,
} from '../ast.js';
import { isByteArray, STRING_SIZE, type SizedType } from '../types.js';
import { CTX_SLOT, Frame, SCRATCH_KEY_SLOT, SCRATCH_SLOT, at, type Mem } from './frame.js';
import { RECORD_HEADER, RecordKind, recordLayout, storedSize, JOIN_ARGS, JOIN_ARG_SIZE, type MapLayout } from './layout.js';
import { RegisterPool, need } from './regs.js';
import { ARG_REGS, ptRegs, type ProbeTarget } from './target.js';

/** Program-wide facts every probe's compiler shares. */
export interface ProgramContext {
  checked: CheckedProgram;
  layouts: Map<string, MapLayout>;
  /** Map name → index (records naming maps carry the index). */
  mapIndex: Map<string, number>;
  /** Stack-trace maps needed, by name → value size (set by the compiler). */
  stackMaps: Map<string, { depth: number; user: boolean }>;
  /** Name of the ring buffer map. */
  ringbuf: string;
  /** CLOCK_MONOTONIC (== ktime_get_ns) when the session started, for `elapsed`. */
  startNs: bigint;
  /** -c command's pid, for `cpid`. */
  cpid?: number;
  /** Kernel symbol address lookup for kaddr(). */
  kaddr?: (name: string) => bigint | undefined;
  /** User symbol address lookup for uaddr(), relative to the probe's binary. */
  uaddr?: (name: string) => bigint | undefined;
  /** -k (1) / -kk (2): report failing helpers as bpftrace's CreateHelperErrorCond does. */
  helperCheck?: number;
  /** The helper calls that report failures; a helperError record carries the index. */
  helperErrors: HelperErrorSite[];
}

/** A checked helper call: what the warning names and where in the script it is. */
export interface HelperErrorSite {
  helper: string;
  loc: Loc;
}

// bpftrace stores zero when these fail, so a script can test for it; -k leaves them alone, -kk not.
const ZERO_ON_ERROR = new Set(['probe_read', 'probe_read_str', 'probe_read_kernel', 'probe_read_kernel_str', 'probe_read_user', 'probe_read_user_str', 'map_lookup_elem']);

type Val =
  | { k: 'int'; r: Reg }
  | { k: 'mem'; m: Mem }
  /** `size` bytes at the address in `r` (kernel or user memory, read with bpf_probe_read_*). */
  | { k: 'ref'; r: Reg; user: boolean }
  /** Bytes of the context at a constant offset (tracepoint fields). */
  | { k: 'ctx'; off: number };

export class CodegenError extends Error {
  constructor(message: string, readonly node?: { loc?: { line: number; column: number } }) {
    super(message);
    this.name = 'CodegenError';
  }
}

let labelSeq = 0;

export class ProbeCompiler {
  readonly b = new ProgramBuilder();
  readonly frame = new Frame();
  private regs = new RegisterPool();
  private vars = new Map<string, { mem: Mem; type: SizedType }>();
  private loops: { brk: string; cont: string }[] = [];
  private readonly exitLabel = this.label('exit');
  private regsCache?: ReadonlyMap<string, number>;
  /** The expression being compiled, for -k's messages. */
  private node?: Expression | CallNode;
  /** The address space of the pointer being dereferenced; 'unset' when the script's types do not say. */
  private readAs?: 'user' | 'kernel' | 'unset';

  constructor(
    private readonly pc: ProgramContext,
    private readonly probe: ProbeNode,
    private readonly probeIdx: number,
    private readonly target: ProbeTarget,
    readonly scratchMap: string,
  ) {}

  private label(what: string): string {
    return `${what}_${++labelSeq}`;
  }

  compile(): ProgramBuilder {
    const b = this.b;
    b.stx(8, R10, CTX_SLOT, R1);
    // The scratch memory of this program: element 0 of its per-CPU array.
    b.st(4, R10, SCRATCH_KEY_SLOT, 0);
    b.ldMap(R1, this.scratchMap).mov64(R2, R10).add64(R2, SCRATCH_KEY_SLOT).call('map_lookup_elem');
    b.jeq(R0, 0, this.exitLabel);
    b.stx(8, R10, SCRATCH_SLOT, R0);
    const vars = this.pc.checked.variables[this.probeIdx] ?? new Map<string, SizedType>();
    for (const [name, type] of vars) {
      const mem = type.type === 'integer' || type.type === 'pointer' || storedSize(type) <= 8 && !isByteArray(type) ? this.frame.slot() : this.frame.bytes(storedSize(type));
      this.vars.set(name, { mem, type });
      this.zero(mem, Math.max(8, storedSize(type)));
    }
    if (this.probe.pred) {
      const mark = this.frame.mark();
      this.branchIfFalse(this.probe.pred.expr, this.exitLabel);
      this.frame.reset(mark);
    }
    this.stmts(this.probe.stmts);
    b.label(this.exitLabel);
    b.mov64(R0, 0).exit();
    return b;
  }

  // --- statements ----------------------------------------------------------------------------

  private stmts(list: Statement[]): void {
    for (const s of list) {
      const mark = this.frame.mark();
      this.stmt(s);
      this.frame.reset(mark);
      if (this.regs.inUse() !== 0) throw new Error(`internal error: ${this.regs.inUse()} registers leaked by a ${s.kind} statement`);
    }
  }

  private stmt(s: Statement): void {
    const b = this.b;
    switch (s.kind) {
      case 'ExprStatement': {
        const e = s.expr;
        if (e.kind === 'Call') return this.callStatement(e);
        if (e.kind === 'Unop' && (e.op === '++' || e.op === '--')) {
          this.incDec(e, false);
          return;
        }
        this.discard(this.eval(e));
        return;
      }
      case 'AssignVar': {
        const v = this.var(s.variable.name);
        this.writeInto(s.expr, v.mem, v.type);
        return;
      }
      case 'AssignMap':
        return this.assignMap(s.map, s.expr);
      case 'If': {
        const elseL = this.label('else');
        const endL = this.label('endif');
        this.branchIfFalse(s.cond, elseL);
        this.stmts(s.then);
        if (s.else) b.ja(endL);
        b.label(elseL);
        if (s.else) {
          this.stmts(s.else);
          b.label(endL);
        }
        // A label must precede an instruction; the next statement or the epilogue provides it.
        return;
      }
      case 'Unroll': {
        const n = s.times ?? (s.count.kind === 'Integer' ? Number(s.count.value) : 0);
        for (let i = 0; i < n; i++) this.stmts(s.body);
        return;
      }
      case 'While': {
        const top = this.label('while');
        const end = this.label('wend');
        b.label(top);
        const mark = this.frame.mark();
        this.branchIfFalse(s.cond, end);
        this.frame.reset(mark);
        this.loops.push({ brk: end, cont: top });
        this.stmts(s.body);
        this.loops.pop();
        b.ja(top);
        b.label(end);
        return;
      }
      case 'Jump': {
        if (s.jump === 'return') {
          b.ja(this.exitLabel);
          return;
        }
        const loop = this.loops[this.loops.length - 1];
        if (!loop) throw new CodegenError(`${s.jump} outside a loop`, s);
        b.ja(s.jump === 'break' ? loop.brk : loop.cont);
        return;
      }
    }
  }

  /**
   * Jumps to `target` when `cond` is `when`. Integer comparisons become one conditional jump (no
   * 0/1 value in between), && and || short-circuit: fewer instructions and fewer verifier states.
   */
  private branch(cond: Expression, target: string, when: boolean): void {
    const b = this.b;
    if (cond.kind === 'Unop' && cond.op === '!' && cond.expr.type?.type === 'integer') return this.branch(cond.expr, target, !when);
    if (cond.kind === 'Binop' && (cond.op === '&&' || cond.op === '||')) {
      // `a && b` is false when either side is, `a || b` true when either side is: both sides jump.
      if ((cond.op === '&&') !== when) {
        this.branch(cond.left, target, when);
        this.branch(cond.right, target, when);
        return;
      }
      // Otherwise the left side decides alone only the other way: skip the right side then.
      const skip = this.label(cond.op === '&&' ? 'andfalse' : 'ortrue');
      this.branch(cond.left, skip, !when);
      this.branch(cond.right, target, when);
      b.label(skip);
      return;
    }
    const jump = this.comparison(cond, !when);
    if (jump) {
      const [op, l, r] = jump;
      b.jmp(op, l, r, target);
      this.regs.release(l);
      this.regs.release(r);
      return;
    }
    const r = this.evalInt(cond);
    if (when) b.jne(r, 0, target);
    else b.jeq(r, 0, target);
    this.regs.release(r);
  }

  private branchIfFalse(cond: Expression, target: string): void {
    this.branch(cond, target, false);
  }

  private branchIfTrue(cond: Expression, target: string): void {
    this.branch(cond, target, true);
  }

  /** An integer comparison as [jump op, left, right], negated when `negate`; undefined for anything else. */
  private comparison(e: Expression, negate: boolean): [Parameters<ProgramBuilder['jmp']>[0], Reg, Reg] | undefined {
    if (e.kind !== 'Binop') return undefined;
    const ops: Record<string, [string, string, string, string]> = {
      // op: [signed, unsigned, negated signed, negated unsigned]
      '==': ['jeq', 'jeq', 'jne', 'jne'], '!=': ['jne', 'jne', 'jeq', 'jeq'],
      '<': ['jslt', 'jlt', 'jsge', 'jge'], '<=': ['jsle', 'jle', 'jsgt', 'jgt'],
      '>': ['jsgt', 'jgt', 'jsle', 'jle'], '>=': ['jsge', 'jge', 'jslt', 'jlt'],
    };
    const entry = ops[e.op];
    const lt = e.left.type;
    const rt = e.right.type;
    const intLike = (t: SizedType | undefined) => t?.type === 'integer' || t?.type === 'pointer';
    if (!entry || !intLike(lt) || !intLike(rt)) return undefined;
    const signed = !!(lt!.signed && rt!.signed) && lt!.type !== 'pointer' && rt!.type !== 'pointer';
    const [l, r] = this.operands(e.left, e.right);
    const op = entry[(negate ? 2 : 0) + (signed ? 0 : 1)] as Parameters<ProgramBuilder['jmp']>[0];
    return [op, l, r];
  }

  private discard(v: Val): void {
    if (v.k === 'int' || v.k === 'ref') this.regs.release(v.r);
  }

  private var(name: string): { mem: Mem; type: SizedType } {
    let v = this.vars.get(name);
    if (!v) {
      // A variable the checker did not list (should not happen): give it an integer slot.
      v = { mem: this.frame.slot(), type: { type: 'integer', size: 8, bits: 64, signed: true, as: 'none' } };
      this.vars.set(name, v);
    }
    return v;
  }

  // --- memory idioms -------------------------------------------------------------------------

  /** reg = address of m. */
  private addr(r: Reg, m: Mem): void {
    if (m.space === 'stack') this.b.mov64(r, R10).add64(r, m.off);
    else {
      this.b.ldx(8, r, R10, SCRATCH_SLOT);
      if (m.off) this.b.add64(r, m.off);
    }
  }

  /** A base register and offset addressing m; uses `tmp` for scratch memory. */
  private base(m: Mem, tmp: Reg): [Reg, number] {
    if (m.space === 'stack') return [R10, m.off];
    this.b.ldx(8, tmp, R10, SCRATCH_SLOT);
    return [tmp, m.off];
  }

  private storeReg(m: Mem, size: 1 | 2 | 4 | 8, src: Reg): void {
    const [base, off] = this.base(m, src.n === 1 ? R2 : R1);
    this.b.stx(size, base, off, src);
  }

  private loadReg(dst: Reg, m: Mem, size: 1 | 2 | 4 | 8): void {
    const [base, off] = this.base(m, dst);
    this.b.ldx(size, dst, base, off);
  }

  private storeImm(m: Mem, size: 1 | 2 | 4 | 8, imm: number): void {
    const [base, off] = this.base(m, R1);
    this.b.st(size, base, off, imm);
  }

  private zero(m: Mem, size: number): void {
    const [base, off] = this.base(m, R1);
    let i = 0;
    for (; i + 8 <= size; i += 8) this.b.st(8, base, off + i, 0);
    for (; i + 4 <= size; i += 4) this.b.st(4, base, off + i, 0);
    for (; i < size; i++) this.b.st(1, base, off + i, 0);
  }

  /** Copies `size` bytes from memory at (srcBase + srcOff) to dst; srcBase must not be r1/r3. */
  private copyFrom(dst: Mem, srcBase: Reg, srcOff: number, size: number): void {
    const [dbase, doff] = this.base(dst, R1);
    let i = 0;
    const step = (n: 1 | 2 | 4 | 8) => {
      this.b.ldx(n, R3, srcBase, srcOff + i).stx(n, dbase, doff + i, R3);
      i += n;
    };
    while (i + 8 <= size) step(8);
    while (i + 4 <= size) step(4);
    while (i + 2 <= size) step(2);
    while (i < size) step(1);
  }

  private copy(dst: Mem, src: Mem, size: number): void {
    if (size <= 0) return;
    if (src.space === 'stack') return this.copyFrom(dst, R10, src.off, size);
    this.b.ldx(8, R2, R10, SCRATCH_SLOT);
    this.copyFrom(dst, R2, src.off, size);
  }

  /** Writes a constant byte string. */
  private writeBytes(m: Mem, bytes: Uint8Array, size: number): void {
    const [base, off] = this.base(m, R1);
    const buf = Buffer.alloc(Math.max(size, 0));
    Buffer.from(bytes).copy(buf, 0, 0, Math.min(bytes.length, size));
    let i = 0;
    for (; i + 4 <= size; i += 4) this.b.st(4, base, off + i, buf.readInt32LE(i));
    for (; i < size; i++) this.b.st(1, base, off + i, buf[i]);
  }

  /** Narrows/extends a 64-bit register to the integer type (bpftrace's CreateIntCast to int64 of a typed value). */
  private normalize(r: Reg, t: SizedType): void {
    const bits = t.type === 'integer' ? (t.size === 0 ? 64 : t.size * 8) : 64;
    if (bits >= 64) return;
    if (t.signed) {
      this.b.lsh64(r, 64 - bits).arsh64(r, 64 - bits);
    } else if (bits === 32) {
      this.b.mov32(r, r);
    } else {
      this.b.and64(r, bits === 16 ? 0xffff : 0xff);
    }
  }

  private loadInt(dst: Reg, base: Reg, off: number, t: SizedType): void {
    const size = (t.type === 'integer' || t.type === 'pointer' ? Math.min(Math.max(t.size, 1), 8) : 8) as 1 | 2 | 4 | 8;
    this.b.ldx(size === 1 || size === 2 || size === 4 || size === 8 ? size : 8, dst, base, off);
    if (t.type === 'integer' && t.signed && size < 8) this.b.lsh64(dst, 64 - size * 8).arsh64(dst, 64 - size * 8);
  }

  private const64(r: Reg, v: bigint): void {
    const s = BigInt.asIntN(64, v);
    if (s >= -0x80000000n && s <= 0x7fffffffn) this.b.mov64(r, Number(s));
    else this.b.ldImm64(r, BigInt.asUintN(64, s));
  }

  // --- evaluation entry points ---------------------------------------------------------------

  /** Evaluates an integer (or pointer) expression into an allocated register. */
  evalInt(e: Expression): Reg {
    const v = this.eval(e);
    if (v.k === 'int') return v.r;
    if (v.k === 'ref') return v.r;
    if (v.k === 'ctx') {
      const r = this.regs.alloc();
      this.b.ldx(8, r, R10, CTX_SLOT).add64(r, v.off);
      return r;
    }
    // An aggregate used as an integer (e.g. a one-field value): load its first 8 bytes.
    const r = this.regs.alloc();
    this.loadReg(r, v.m, 8);
    return r;
  }

  /** Evaluates an aggregate into frame memory (reading references). */
  evalMem(e: Expression): Mem {
    const v = this.eval(e);
    return this.materialize(v, e.type!);
  }

  private materialize(v: Val, t: SizedType): Mem {
    const size = storedSize(t);
    if (v.k === 'mem') return v.m;
    const m = this.frame.bytes(Math.max(size, 8));
    if (v.k === 'int') {
      this.storeReg(m, 8, v.r);
      this.regs.release(v.r);
      return m;
    }
    if (v.k === 'ctx') {
      this.b.ldx(8, R3, R10, CTX_SLOT).add64(R3, v.off);
      this.addr(R1, m);
      this.b.mov64(R2, size);
      this.helper('probe_read_kernel');
      return m;
    }
    this.zero(m, size);
    this.b.mov64(R3, v.r);
    this.regs.release(v.r);
    this.addr(R1, m);
    this.b.mov64(R2, size);
    this.helper(v.user ? 'probe_read_user' : 'probe_read_kernel');
    return m;
  }

  /** Evaluates `e` and stores it into `dst` as a value of type `dt` (widening integers, padding strings). */
  writeInto(e: Expression, dst: Mem, dt: SizedType): void {
    const size = storedSize(dt);
    if (dt.type === 'integer' || dt.type === 'pointer' || ((dt.type === 'kstack' || dt.type === 'ustack' || dt.type === 'probe' || dt.type === 'ksym' || dt.type === 'username') && size <= 8)) {
      const r = this.evalInt(e);
      this.storeReg(dst, (size >= 8 ? 8 : size) as 1 | 2 | 4 | 8, r);
      this.regs.release(r);
      return;
    }
    if (e.kind === 'String') {
      this.writeBytes(dst, Buffer.from(`${e.value}\0`), size);
      return;
    }
    if (e.kind === 'Tuple' && dt.type === 'tuple') {
      this.zero(dst, size);
      e.elems.forEach((el, i) => {
        const f = dt.struct!.fields[i];
        this.writeField(el, at(dst, f.offset), f.type);
      });
      return;
    }
    const src = this.evalMem(e);
    const srcSize = storedSize(e.type!);
    if (srcSize < size) this.zero(dst, size);
    if (e.type!.type === 'tuple' && dt.type === 'tuple' && !sameLayout(e.type!, dt)) {
      // Tuples whose string fields grew: copy field by field.
      e.type!.struct!.fields.forEach((f, i) => {
        const df = dt.struct!.fields[i];
        this.copy(at(dst, df.offset), at(src, f.offset), Math.min(storedField(f.type), storedField(df.type)));
      });
      return;
    }
    this.copy(dst, src, Math.min(srcSize, size));
  }

  /** Tuple fields keep their integer width. */
  private writeField(e: Expression, dst: Mem, ft: SizedType): void {
    if (ft.type === 'integer') {
      const r = this.evalInt(e);
      const sz = Math.max(1, Math.min(ft.size, 8));
      this.storeReg(dst, (sz === 3 ? 4 : sz) as 1 | 2 | 4 | 8, r);
      this.regs.release(r);
      return;
    }
    this.writeInto(e, dst, ft);
  }

  // --- expressions ---------------------------------------------------------------------------

  eval(e: Expression): Val {
    // The innermost expression being compiled is where a failing helper is reported (-k).
    const outer = this.node;
    const outerAs = this.readAs;
    this.node = e;
    // `p->f` is `(*p).f`: the field is read through the pointer under the dereference.
    const base = e.kind === 'FieldAccess' && e.expr.kind === 'Unop' && e.expr.op === '*' ? e.expr.expr : e.kind === 'FieldAccess' || (e.kind === 'Unop' && e.op === '*') ? e.expr : undefined;
    const through = base?.type;
    this.readAs = through && through.type === 'pointer' ? (through.as === 'user' || through.as === 'kernel' ? through.as : 'unset') : undefined;
    try {
      return this.evalNode(e);
    } finally {
      this.node = outer;
      this.readAs = outerAs;
    }
  }

  private evalNode(e: Expression): Val {
    const b = this.b;
    switch (e.kind) {
      case 'Integer': {
        const r = this.regs.alloc();
        this.const64(r, e.value);
        return { k: 'int', r };
      }
      case 'String': {
        const size = Math.max(e.type?.size ?? 0, Buffer.byteLength(e.value) + 1);
        const m = this.frame.bytes(size);
        this.writeBytes(m, Buffer.from(`${e.value}\0`), size);
        return { k: 'mem', m };
      }
      case 'PositionalParameter':
        return this.positional(e);
      case 'Variable': {
        const v = this.var(e.name);
        if (v.type.type === 'integer' || v.type.type === 'pointer' || (storedSize(v.type) <= 8 && !isByteArray(v.type) && v.type.type !== 'tuple' && v.type.type !== 'record')) {
          const r = this.regs.alloc();
          this.loadReg(r, v.mem, 8);
          return { k: 'int', r };
        }
        return { k: 'mem', m: v.mem };
      }
      case 'Builtin':
        return this.builtin(e.name, e);
      case 'Map':
        return this.readMap(e);
      case 'Binop':
        return this.binop(e);
      case 'Unop':
        return this.unop(e);
      case 'Ternary':
        return this.ternary(e);
      case 'Cast':
        return this.cast(e);
      case 'Tuple': {
        const t = e.type!;
        const m = this.frame.bytes(t.size);
        this.writeInto(e, m, t);
        return { k: 'mem', m };
      }
      case 'FieldAccess':
        return this.fieldAccess(e);
      case 'ArrayAccess':
        return this.arrayAccess(e);
      case 'Call':
        return this.callExpr(e);
      case 'Identifier':
      case 'StackMode': {
        const r = this.regs.alloc();
        b.mov64(r, 0);
        return { k: 'int', r };
      }
    }
  }

  private positional(e: Expression & { kind: 'PositionalParameter' }): Val {
    const params = this.pc.checked.params;
    if (e.ptype === 'count') {
      const r = this.regs.alloc();
      this.b.mov64(r, params.length);
      return { k: 'int', r };
    }
    const text = params[e.n - 1] ?? '';
    if (e.type?.type === 'string' || e.inStr) {
      const size = Math.max(e.type?.size ?? 0, Buffer.byteLength(text) + 1);
      const m = this.frame.bytes(size);
      this.writeBytes(m, Buffer.from(`${text}\0`), size);
      return { k: 'mem', m };
    }
    const r = this.regs.alloc();
    this.const64(r, parseCInteger(text));
    return { k: 'int', r };
  }

  // --- builtins ------------------------------------------------------------------------------

  private ctxReg(r: Reg): void {
    this.b.ldx(8, r, R10, CTX_SLOT);
  }

  private ptRegsOffset(field: string): number {
    this.regsCache ??= ptRegs();
    const off = this.regsCache.get(field);
    if (off === undefined) throw new CodegenError(`no pt_regs field '${field}'`);
    return off;
  }

  /** Reads a pt_regs field from the context (kprobe/uprobe: ctx is pt_regs; perf_event: pt_regs is first). */
  private regField(r: Reg, field: string): void {
    const tt = this.target.progType;
    if (tt !== 'kprobe' && tt !== 'perf_event') throw new CodegenError(`registers are not available in ${this.target.provider} probes`);
    this.ctxReg(r);
    this.b.ldx(8, r, r, this.ptRegsOffset(field));
  }

  private builtin(name: string, e: Expression): Val {
    const b = this.b;
    const r = this.regs.alloc();
    const ret = (): Val => ({ k: 'int', r });
    switch (name) {
      case 'pid':
        b.call('get_current_pid_tgid').mov64(r, R0).rsh64(r, 32);
        return ret();
      case 'tid':
        b.call('get_current_pid_tgid').mov32(r, R0);
        return ret();
      case 'uid':
      case 'username':
        b.call('get_current_uid_gid').mov32(r, R0);
        return ret();
      case 'gid':
        b.call('get_current_uid_gid').mov64(r, R0).rsh64(r, 32);
        return ret();
      case 'nsecs':
        b.call('ktime_get_ns').mov64(r, R0);
        return ret();
      case 'elapsed':
        b.call('ktime_get_ns').mov64(r, R0);
        b.ldImm64(R1, this.pc.startNs).sub64(r, R1);
        return ret();
      case 'cpu':
        b.call('get_smp_processor_id').mov64(r, R0);
        return ret();
      case 'curtask':
        b.call('get_current_task').mov64(r, R0);
        return ret();
      case 'rand':
        b.call('get_prandom_u32').mov64(r, R0);
        return ret();
      case 'cgroup':
        b.call('get_current_cgroup_id').mov64(r, R0);
        return ret();
      case 'numaid':
        b.call('get_numa_node_id').mov64(r, R0);
        return ret();
      case 'cpid':
        b.mov64(r, this.pc.cpid ?? 0);
        return ret();
      case 'comm': {
        this.regs.release(r);
        const m = this.frame.bytes(16);
        this.zero(m, 16);
        this.addr(R1, m);
        b.mov64(R2, 16);
        this.helper('get_current_comm');
        return { k: 'mem', m };
      }
      case 'kstack':
      case 'ustack':
        this.regs.release(r);
        return this.stack(name === 'ustack', e.type!);
      case 'retval':
        this.regField(r, 'ax');
        this.normalize(r, e.type!);
        return ret();
      case 'func':
        if (this.target.progType === 'kprobe' || this.target.progType === 'perf_event') {
          this.regField(r, 'ip');
          if (e.type?.type === 'usym') return this.usymValue(r);
          return ret();
        }
        b.mov64(r, 0);
        return ret();
      case 'probe':
        b.mov64(r, this.target.probeIndex);
        return ret();
      case 'args':
      case 'ctx':
        if (this.target.progType === 'tracepoint') {
          this.regs.release(r);
          return { k: 'ctx', off: 0 };
        }
        this.ctxReg(r);
        return ret();
    }
    const argm = /^arg(\d+)$/.exec(name);
    if (argm) {
      const n = Number(argm[1]);
      this.argN(r, n);
      return ret();
    }
    const sargm = /^sarg(\d+)$/.exec(name);
    if (sargm) {
      // Stack arguments: above the return address at sp.
      const n = Number(sargm[1]);
      this.regField(R3, 'sp');
      b.add64(R3, 8 * (n + 1));
      const slot = this.frame.slot();
      this.addr(R1, slot);
      b.mov64(R2, 8);
      this.helper(this.defaultUser() ? 'probe_read_user' : 'probe_read_kernel');
      this.loadReg(r, slot, 8);
      return ret();
    }
    throw new CodegenError(`the builtin '${name}' is not supported by bpfkit's code generator`, e);
  }

  private argN(r: Reg, n: number): void {
    const b = this.b;
    if (this.target.progType === 'raw_tracepoint' && this.target.provider === 'rawtracepoint') {
      this.ctxReg(r);
      b.ldx(8, r, r, 8 * n);
      return;
    }
    if (this.target.provider === 'usdt') return this.usdtArg(r, n);
    if (n >= ARG_REGS.length) {
      // Arguments past the sixth are on the stack.
      this.regField(R3, 'sp');
      b.add64(R3, 8 * (n - ARG_REGS.length + 1));
      const slot = this.frame.slot();
      this.addr(R1, slot);
      b.mov64(R2, 8);
      this.helper(this.defaultUser() ? 'probe_read_user' : 'probe_read_kernel');
      this.loadReg(r, slot, 8);
      return;
    }
    this.regField(r, ARG_REGS[n]);
  }

  /** USDT arguments from the note's spec: a constant, a register, or memory at register + offset. */
  private usdtArg(r: Reg, n: number): void {
    const spec = this.target.usdtArgs?.[n];
    const b = this.b;
    if (!spec) {
      b.mov64(r, 0);
      return;
    }
    if (spec.type === 'const') {
      this.const64(r, spec.valOffset);
    } else {
      this.ctxReg(r);
      b.ldx(8, r, r, spec.regOffset);
      if (spec.type === 'reg_deref') {
        b.mov64(R3, r);
        if (spec.valOffset) b.add64(R3, Number(spec.valOffset));
        const slot = this.frame.slot();
        this.storeImm(slot, 8, 0);
        this.addr(R1, slot);
        b.mov64(R2, spec.size);
        this.helper('probe_read_user');
        this.loadReg(r, slot, 8);
      }
    }
    if (spec.bitshift) {
      b.lsh64(r, spec.bitshift);
      if (spec.signed) b.arsh64(r, spec.bitshift);
      else b.rsh64(r, spec.bitshift);
    }
  }

  private defaultUser(): boolean {
    const p = this.target.provider;
    return p === 'uprobe' || p === 'uretprobe' || p === 'usdt' || this.target.category === 'syscalls';
  }

  private isUser(t: SizedType | undefined): boolean {
    if (t?.as === 'user') return true;
    if (t?.as === 'kernel') return false;
    return this.defaultUser();
  }

  /** usym values are {address, pid}. */
  private usymValue(addrReg: Reg): Val {
    const m = this.frame.bytes(16);
    this.storeReg(m, 8, addrReg);
    this.regs.release(addrReg);
    this.b.call('get_current_pid_tgid').rsh64(R0, 32);
    this.storeReg(at(m, 8), 8, R0);
    return { k: 'mem', m };
  }

  private stack(user: boolean, t: SizedType): Val {
    const depth = t.stack?.limit ?? 127;
    const mode = t.stack?.mode ?? 'bpftrace';
    const name = `stack_${user ? 'u' : 'k'}_${depth}_${mode}`;
    this.pc.stackMaps.set(name, { depth, user });
    const r = this.regs.alloc();
    const b = this.b;
    this.ctxReg(R1);
    b.ldMap(R2, name).mov64(R3, user ? 256 /* BPF_F_USER_STACK */ : 0);
    this.helper('get_stackid');
    b.mov64(r, R0);
    // A failed lookup (negative) becomes id 0xffffffff, printed as an empty stack.
    const ok = this.label('stackok');
    b.jsge(r, 0, ok);
    b.mov64(r, -1);
    b.label(ok);
    b.mov32(r, r);
    if (user) {
      // bpftrace keeps the pid beside a user stack to symbolize it later.
      b.call('get_current_pid_tgid').rsh64(R0, 32).lsh64(R0, 32).or64(r, R0);
    }
    return { k: 'int', r };
  }

  // --- maps ----------------------------------------------------------------------------------

  layout(name: string): MapLayout {
    const l = this.pc.layouts.get(name);
    if (!l) throw new CodegenError(`unknown map ${name}`);
    return l;
  }

  /** Builds a map key in frame memory (optionally with a bucket index register). */
  private mapKey(map: MapNode, bucket?: Reg | number): Mem {
    const l = this.layout(map.name);
    const key = this.frame.bytes(l.keySize);
    const keys = map.keys ?? [];
    if (l.singleArray || keys.length === 0) this.zero(key, l.keySize);
    else if (l.info.keyTypes.some((t) => t.type !== 'integer')) this.zero(key, l.keySize);
    keys.forEach((k, i) => {
      const kt = l.info.keyTypes[i] ?? k.type!;
      this.writeInto(k, at(key, l.keyOffsets[i]), kt);
    });
    if (bucket !== undefined) {
      if (typeof bucket === 'number') this.storeImm(at(key, l.keyBytes), 8, bucket);
      else this.storeReg(at(key, l.keyBytes), 8, bucket);
    }
    return key;
  }

  /** r0 = lookup(map, key). */
  private lookup(mapName: string, key: Mem): void {
    this.b.ldMap(R1, this.layout(mapName).kernelName);
    this.addr(R2, key);
    this.b.call('map_lookup_elem');
  }

  private update(mapName: string, key: Mem, value: Mem): void {
    this.b.ldMap(R1, this.layout(mapName).kernelName);
    this.addr(R2, key);
    this.addr(R3, value);
    this.b.mov64(R4, 0);
    this.helper('map_update_elem');
  }

  private readMap(map: MapNode): Val {
    const l = this.layout(map.name);
    const t = l.info.valueType;
    const kind = t.type;
    const key = kind === 'avg' || kind === 'stats' ? this.mapKey(map, 1) : this.mapKey(map, l.bucketed ? 0 : undefined);
    this.lookup(map.name, key);
    const b = this.b;
    const none = this.label('mapnone');
    const isInt = t.type === 'integer' || t.type === 'pointer' || ['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist', 'kstack', 'ustack', 'ksym', 'probe', 'username'].includes(kind);
    if (isInt) {
      const r = this.regs.alloc();
      b.mov64(r, 0);
      this.jumpIfMissing(none);
      b.ldx(8, r, R0, 0);
      if (kind === 'avg') {
        // avg read in a probe: total / count on this CPU.
        const total = this.frame.slot();
        this.storeReg(total, 8, r);
        b.mov64(r, 0);
        const key0 = this.mapKey(map, 0);
        this.lookup(map.name, key0);
        b.jeq(R0, 0, none);
        b.ldx(8, R1, R0, 0);
        b.jeq(R1, 0, none);
        this.loadReg(r, total, 8);
        b.div64(r, R1);
      }
      b.label(none);
        return { k: 'int', r };
    }
    const size = storedSize(t);
    const m = this.frame.bytes(size);
    this.zero(m, size);
    this.jumpIfMissing(none);
    b.mov64(R4, R0);
    this.copyFrom(m, R4, 0, size);
    b.label(none);
    return { k: 'mem', m };
  }

  /** After a lookup: to `none` when r0 is null, reported under -kk as bpftrace does (retcode 0). */
  private jumpIfMissing(none: string): void {
    if ((this.pc.helperCheck ?? 0) < 2) {
      this.b.jeq(R0, 0, none);
      return;
    }
    const found = this.label('found');
    this.b.jne(R0, 0, found);
    this.helperError('map_lookup_elem');
    this.b.ja(none);
    this.b.label(found);
  }

  private assignMap(map: MapNode, e: Expression): void {
    if (e.kind === 'Call' && ['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist'].includes(e.func)) {
      return this.aggregate(map, e);
    }
    const l = this.layout(map.name);
    const vt = l.info.valueType;
    const value = storedSize(vt) <= 8 && (vt.type === 'integer' || vt.type === 'pointer') ? this.frame.slot() : this.frame.bytes(l.valueSize);
    // Evaluate the value before the key: bpftrace evaluates the right side first.
    this.writeInto(e, value, vt);
    const key = this.mapKey(map);
    this.update(map.name, key, value);
  }

  private aggregate(map: MapNode, call: CallNode): void {
    const b = this.b;
    const args = call.args ?? [];
    const l = this.layout(map.name);
    const found = this.label('aggfound');
    const done = this.label('aggdone');
    /** lookup(key); if found: *v += inc; else update(key, inc). `inc` lives in a stack slot. */
    const addTo = (key: Mem, inc: Mem) => {
      this.lookup(map.name, key);
      const f = this.label('found');
      const d = this.label('added');
      b.jne(R0, 0, f);
      this.update(map.name, key, inc);
      b.ja(d);
      b.label(f);
      this.loadReg(R1, inc, 8);
      b.ldx(8, R2, R0, 0).add64(R2, R1).stx(8, R0, 0, R2);
      b.label(d);
      };
    const valueSlot = (e?: Expression): Mem => {
      const slot = this.frame.slot();
      if (!e) this.storeImm(slot, 8, 1);
      else {
        const r = this.evalInt(e);
        this.storeReg(slot, 8, r);
        this.regs.release(r);
      }
      return slot;
    };
    switch (call.func) {
      case 'count':
      case 'sum': {
        const inc = valueSlot(call.func === 'sum' ? args[0] : undefined);
        const key = this.mapKey(map);
        addTo(key, inc);
        return;
      }
      case 'min':
      case 'max': {
        const v = valueSlot(args[0]);
        const key = this.mapKey(map);
        const pair = this.frame.bytes(16);
        this.loadReg(R1, v, 8);
        this.storeReg(pair, 8, R1);
        this.storeImm(at(pair, 8), 8, 1);
        this.lookup(map.name, key);
        b.jne(R0, 0, found);
        this.update(map.name, key, pair);
        b.ja(done);
        b.label(found);
        this.loadReg(R1, v, 8);
        b.ldx(8, R2, R0, 8);
        const store = this.label('aggstore');
        b.jeq(R2, 0, store);
        b.ldx(8, R2, R0, 0);
        const signed = call.func === 'min' ? (l.info.valueType.signed || args[0]?.type?.signed) : (l.info.valueType.signed || args[0]?.type?.signed);
        // Keep the old value unless the new one is smaller (min) or larger (max).
        if (call.func === 'min') b.jmp(signed ? 'jsge' : 'jge', R1, R2, done);
        else b.jmp(signed ? 'jsle' : 'jle', R1, R2, done);
        b.label(store);
        b.stx(8, R0, 0, R1).st(8, R0, 8, 1);
        b.label(done);
        return;
      }
      case 'avg':
      case 'stats': {
        const v = valueSlot(args[0]);
        const one = valueSlot();
        const k0 = this.mapKey(map, 0);
        addTo(k0, one);
        const k1 = this.mapKey(map, 1);
        addTo(k1, v);
        return;
      }
      case 'hist': {
        const r = this.evalInt(args[0]);
        this.log2(r);
        const key = this.mapKey(map, r);
        this.regs.release(r);
        addTo(key, valueSlot());
        return;
      }
      case 'lhist': {
        const lh = l.info.lhist ?? { min: constArg(args[1]), max: constArg(args[2]), step: constArg(args[3]) };
        const r = this.evalInt(args[0]);
        this.linear(r, lh.min, lh.max, lh.step);
        const key = this.mapKey(map, r);
        this.regs.release(r);
        addTo(key, valueSlot());
        return;
      }
    }
  }

  /** bpftrace 0.17's log2(): 0 for negatives, 1 for 0, else 2 + floor(log2(n)) over five shift steps. */
  private log2(r: Reg): void {
    const b = this.b;
    const done = this.label('log2done');
    b.mov64(R1, r);
    b.mov64(r, 0);
    b.jslt(R1, 0, done);
    b.mov64(r, 1);
    b.jeq(R1, 0, done);
    b.mov64(r, 2);
    for (let i = 4; i >= 0; i--) {
      const limit = 2 ** (2 ** i);
      const skip = this.label('log2skip');
      // shift = (n >= limit) << i; n >>= shift; result += shift
      b.jlt(R1, limit, skip);
      b.rsh64(R1, 2 ** i).add64(r, 2 ** i);
      b.label(skip);
    }
    b.label(done);
  }

  /** lhist's bucket: 0 below min, 1 + (max-min)/step above max, else 1 + (v-min)/step (signed compares like bpftrace). */
  private linear(r: Reg, min: number, max: number, step: number): void {
    const b = this.b;
    const done = this.label('lindone');
    const inRange = this.label('linin');
    b.mov64(R1, r);
    b.ldImm64(R2, BigInt(min));
    b.mov64(r, 0);
    b.jslt(R1, R2, done);
    b.ldImm64(R2, BigInt(max));
    b.jsle(R1, R2, inRange);
    this.const64(r, BigInt(1 + Math.floor((max - min) / step)));
    b.ja(done);
    b.label(inRange);
    b.mov64(r, R1);
    b.ldImm64(R2, BigInt(min));
    b.sub64(r, R2);
    b.ldImm64(R2, BigInt(step));
    b.div64(r, R2).add64(r, 1);
    b.label(done);
  }

  private incDec(e: UnopNode, wantValue: boolean): Val {
    // x++ / ++x on a variable or map (integers only).
    const b = this.b;
    const target = e.expr;
    const r = this.regs.alloc();
    const pt = target.type;
    // Pointers step by the size of what they point to.
    const step = pt?.type === 'pointer' ? Math.max(1, pt.elem?.size ?? 1) : 1;
    const delta = (e.op === '++' ? 1 : -1) * step;
    if (target.kind === 'Variable') {
      const v = this.var(target.name);
      this.loadReg(r, v.mem, 8);
      if (e.postfix) {
        b.mov64(R4, r).add64(R4, delta);
        this.storeReg(v.mem, 8, R4);
      } else {
        b.add64(r, delta);
        this.storeReg(v.mem, 8, r);
      }
    } else if (target.kind === 'Map') {
      const old = this.readMap(target);
      if (old.k !== 'int') throw new CodegenError('++/-- needs an integer map value', e);
      b.mov64(r, old.r);
      this.regs.release(old.r);
      const slot = this.frame.slot();
      b.mov64(R4, r).add64(R4, delta);
      this.storeReg(slot, 8, R4);
      if (!e.postfix) b.add64(r, delta);
      const key = this.mapKey(target);
      this.update(target.name, key, slot);
    } else {
      throw new CodegenError('++/-- needs a variable or a map', e);
    }
    if (!wantValue) {
      this.regs.release(r);
      return { k: 'int', r: R0 };
    }
    return { k: 'int', r };
  }

  // --- operators -----------------------------------------------------------------------------

  /** Evaluates two integer operands, spilling the left one when the right one needs the registers. */
  private operands(left: Expression, right: Expression): [Reg, Reg] {
    let l = this.evalInt(left);
    if (need(right) > this.regs.available) {
      const slot = this.frame.slot();
      this.storeReg(slot, 8, l);
      this.regs.release(l);
      const r = this.evalInt(right);
      l = this.regs.alloc();
      this.loadReg(l, slot, 8);
      return [l, r];
    }
    return [l, this.evalInt(right)];
  }

  private binop(e: BinopNode): Val {
    const b = this.b;
    if (e.op === '&&' || e.op === '||') {
      // Short circuit; no register is held across the operands.
      const decided = this.label('logic');
      const end = this.label('logicend');
      const lv = this.evalInt(e.left);
      b.jmp(e.op === '&&' ? 'jeq' : 'jne', lv, 0, decided);
      this.regs.release(lv);
      const rv = this.evalInt(e.right);
      b.jmp(e.op === '&&' ? 'jeq' : 'jne', rv, 0, decided);
      this.regs.release(rv);
      const r = this.regs.alloc();
      b.mov64(r, e.op === '&&' ? 1 : 0);
      b.ja(end);
      b.label(decided);
      b.mov64(r, e.op === '&&' ? 0 : 1);
      b.label(end);
      return { k: 'int', r };
    }
    const lt = e.left.type!;
    const rt = e.right.type!;
    if (isByteArray(lt) || isByteArray(rt) || lt.type === 'array' || lt.type === 'tuple') return this.compareBytes(e);
    if (lt.type === 'pointer' || rt.type === 'pointer') {
      if (e.op === '+' || e.op === '-') {
        const leftPtr = lt.type === 'pointer';
        const [l, r] = this.operands(e.left, e.right);
        const elem = (leftPtr ? lt : rt).elem;
        const scale = Math.max(1, elem?.size ?? 1);
        const [p, n] = leftPtr ? [l, r] : [r, l];
        if (scale !== 1) b.mul64(n, scale);
        b.alu(64, e.op === '+' ? 'add' : 'sub', p, n);
        this.regs.release(n);
        return { k: 'int', r: p };
      }
    }
    const [l, r] = this.operands(e.left, e.right);
    const signed = !!(lt.signed && rt.signed);
    const cmp: Record<string, [string, string]> = {
      '==': ['jeq', 'jeq'], '!=': ['jne', 'jne'], '<': ['jslt', 'jlt'], '<=': ['jsle', 'jle'], '>': ['jsgt', 'jgt'], '>=': ['jsge', 'jge'],
    };
    if (cmp[e.op]) {
      const op = cmp[e.op][signed && lt.type !== 'pointer' && rt.type !== 'pointer' ? 0 : 1] as Parameters<ProgramBuilder['jmp']>[0];
      const t = this.label('cmp');
      b.mov64(R0, 1);
      b.jmp(op, l, r, t);
      b.mov64(R0, 0);
      b.label(t);
      b.mov64(l, R0);
      this.regs.release(r);
      return { k: 'int', r: l };
    }
    const ops: Record<string, Parameters<ProgramBuilder['alu']>[1]> = {
      '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod', '&': 'and', '|': 'or', '^': 'xor', '<<': 'lsh', '>>': 'rsh',
    };
    const op = ops[e.op];
    if (!op) throw new CodegenError(`operator ${e.op} is not supported`, e);
    b.alu(64, op, l, r);
    this.regs.release(r);
    return { k: 'int', r: l };
  }

  /** ==/!= over strings, buffers and arrays: bpftrace's strncmp over the shorter size (stops at a common NUL for strings). */
  private compareBytes(e: BinopNode): Val {
    const b = this.b;
    const lt = e.left.type!;
    const rt = e.right.type!;
    const strings = lt.type === 'string' || rt.type === 'string';
    const n = Math.min(storedSize(lt), storedSize(rt));
    const res = this.regs.alloc();
    const neq = this.label('sne');
    const eq = this.label('seq');
    const end = this.label('send');
    const lit = e.right.kind === 'String' ? Buffer.from(`${e.right.value}\0`) : e.left.kind === 'String' ? Buffer.from(`${e.left.value}\0`) : undefined;
    const other = e.right.kind === 'String' ? e.left : e.left.kind === 'String' ? e.right : undefined;
    if (lit && other) {
      const m = this.evalMem(other);
      const len = Math.min(n, lit.length, storedSize(other.type!));
      const [base, off] = this.base(m, R4);
      for (let i = 0; i < len; i++) {
        b.ldx(1, R1, base, off + i);
        b.jne(R1, lit[i], neq);
        if (strings && lit[i] === 0) {
          b.ja(eq);
          break;
        }
      }
    } else {
      const lm = this.evalMem(e.left);
      const rm = this.evalMem(e.right);
      this.addr(R4, lm);
      this.addr(R5, rm);
      for (let i = 0; i < n; i++) {
        b.ldx(1, R1, R4, i).ldx(1, R2, R5, i);
        b.jne(R1, R2, neq);
        if (strings) b.jeq(R1, 0, eq);
      }
    }
    b.ja(eq);
    b.label(neq);
    b.mov64(res, e.op === '==' ? 0 : 1);
    b.ja(end);
    b.label(eq);
    b.mov64(res, e.op === '==' ? 1 : 0);
    b.label(end);
    return { k: 'int', r: res };
  }

  private unop(e: UnopNode): Val {
    const b = this.b;
    if (e.op === '++' || e.op === '--') return this.incDec(e, true);
    if (e.op === '*') return this.deref(e);
    const r = this.evalInt(e.expr);
    switch (e.op) {
      case '!': {
        const t = this.label('not');
        b.mov64(R0, 1);
        b.jeq(r, 0, t);
        b.mov64(R0, 0);
        b.label(t);
        b.mov64(r, R0);
        break;
      }
      case '~':
        b.xor64(r, -1);
        this.normalize(r, e.type ?? e.expr.type!);
        break;
      case '-':
        b.neg(64, r);
        break;
    }
    return { k: 'int', r };
  }

  /** `*p`: a record stays a reference (fields are read one by one); integers are read now. */
  private deref(e: UnopNode): Val {
    const pt = e.expr.type!;
    const target = e.type ?? pt.elem;
    const inner = this.eval(e.expr);
    if (inner.k === 'ctx') return inner;
    const user = this.isUser(pt);
    let ptr: Reg;
    if (inner.k === 'int' || inner.k === 'ref') ptr = inner.r;
    else {
      ptr = this.regs.alloc();
      this.loadReg(ptr, inner.m, 8);
    }
    if (pt.isTparg && this.target.progType === 'tracepoint') {
      this.regs.release(ptr);
      return { k: 'ctx', off: 0 };
    }
    if (!target || target.type === 'record' || target.type === 'array' || target.type === 'tuple' || isByteArray(target)) {
      return { k: 'ref', r: ptr, user };
    }
    return this.readScalar(ptr, 0, target, user);
  }

  /** Reads an integer of type t at ptr+off (probe_read into a slot); reuses ptr's register for the result. */
  private readScalar(ptr: Reg, off: number, t: SizedType, user: boolean): Val {
    const b = this.b;
    const size = Math.max(1, Math.min(t.size || 8, 8));
    const slot = this.frame.slot();
    this.storeImm(slot, 8, 0);
    b.mov64(R3, ptr);
    if (off) b.add64(R3, off);
    this.addr(R1, slot);
    b.mov64(R2, size);
    this.helper(user ? 'probe_read_user' : 'probe_read_kernel');
    const [base, boff] = this.base(slot, ptr);
    this.loadInt(ptr, base, boff, t);
    return { k: 'int', r: ptr };
  }

  private ternary(e: Expression & { kind: 'Ternary' }): Val {
    const b = this.b;
    const t = e.type!;
    const elseL = this.label('telse');
    const end = this.label('tend');
    const isInt = t.type === 'integer' || t.type === 'pointer' || t.type === 'none';
    const slot = isInt ? this.frame.slot() : this.frame.bytes(storedSize(t));
    this.branchIfFalse(e.cond, elseL);
    if (t.type === 'none') {
      this.discard(this.eval(e.left));
      b.ja(end);
      b.label(elseL);
      this.discard(this.eval(e.right));
      b.label(end);
        const r = this.regs.alloc();
      b.mov64(r, 0);
      return { k: 'int', r };
    }
    this.writeInto(e.left, slot, t);
    b.ja(end);
    b.label(elseL);
    this.writeInto(e.right, slot, t);
    b.label(end);
    if (isInt) {
      const r = this.regs.alloc();
      this.loadReg(r, slot, 8);
      return { k: 'int', r };
    }
    return { k: 'mem', m: slot };
  }

  private cast(e: Expression & { kind: 'Cast' }): Val {
    const t = e.type!;
    const from = e.expr.type!;
    if (t.type === 'integer' && (from.type === 'array' || isByteArray(from))) {
      // Reinterpreting bytes as an integer (bpftrace allows casting arrays to ints of the same size).
      const m = this.evalMem(e.expr);
      const r = this.regs.alloc();
      const [base, off] = this.base(m, r);
      this.loadInt(r, base, off, t);
      return { k: 'int', r };
    }
    if (t.type === 'array' && from.type === 'integer') {
      const r = this.evalInt(e.expr);
      const m = this.frame.bytes(Math.max(8, t.size));
      this.storeReg(m, 8, r);
      this.regs.release(r);
      return { k: 'mem', m };
    }
    const v = this.eval(e.expr);
    if (v.k !== 'int') return v;
    if (t.type === 'integer') this.normalize(v.r, t);
    return v;
  }

  // --- field and array access ----------------------------------------------------------------

  private fieldAccess(e: FieldAccessNode): Val {
    const baseType = e.expr.type!;
    const ft = e.type!;
    // Tuples and records in our memory.
    if (baseType.type === 'tuple') {
      const m = this.evalMem(e.expr);
      const f = baseType.struct!.fields[e.index];
      return this.fieldFromMem(at(m, f.offset), f.type);
    }
    // uprobe `args->NAME` (typed from DWARF): the parameter's argument register, as bpftrace reads it.
    if (baseType.isFuncarg && ft.funcargIdx !== undefined && (this.target.provider === 'uprobe' || this.target.provider === 'uretprobe')) {
      const r = this.regs.alloc();
      this.argN(r, ft.funcargIdx);
      return { k: 'int', r };
    }
    const field = baseType.struct?.fields.find((f) => f.name === e.field);
    // Tracepoint arguments: `args->x` (the checker types `args` as a record with the format's fields).
    const inner = this.eval(e.expr);
    if (inner.k === 'ctx') {
      const off = inner.off + this.tracepointFieldOffset(e, field?.offset);
      return this.ctxField(off, ft, e);
    }
    if (!field) throw new CodegenError(`unknown field ${e.field} of ${baseType.name ?? baseType.type}`, e);
    if (inner.k === 'mem') return this.fieldFromMem(at(inner.m, field.offset), field.type, field.bitfield);
    if (inner.k === 'ref') return this.fieldFromRef(inner.r, field.offset, field.type, inner.user, field.bitfield);
    // A pointer-valued integer (e.g. `curtask` used as a record): read through it.
    return this.fieldFromRef(inner.r, field.offset, field.type, this.isUser(baseType));
  }

  private tracepointFieldOffset(e: FieldAccessNode, checked: number | undefined): number {
    const f = this.target.tracepoint?.fields.find((x) => x.name === e.field);
    if (f) return f.offset;
    if (checked !== undefined) return checked;
    throw new CodegenError(`tracepoint has no field ${e.field}`, e);
  }

  private ctxField(off: number, t: SizedType, node: Expression): Val {
    const b = this.b;
    const tf = this.target.tracepoint?.fields.find((x) => x.offset === off);
    if (tf?.dataLoc) {
      // __data_loc: a u32 (length << 16 | offset) locating the bytes inside the record.
      const size = storedSize(t) || STRING_SIZE;
      const m = this.frame.bytes(size);
      this.zero(m, size);
      this.ctxReg(R3);
      b.ldx(4, R2, R3, off).and64(R2, 0xffff).add64(R3, R2);
      this.addr(R1, m);
      b.mov64(R2, size);
      this.helper('probe_read_kernel_str');
      return { k: 'mem', m };
    }
    if (t.type === 'integer' || t.type === 'pointer') {
      const r = this.regs.alloc();
      this.ctxReg(r);
      const size = Math.max(1, Math.min(t.size || 8, 8));
      if (off % size === 0 && (size === 1 || size === 2 || size === 4 || size === 8)) {
        this.loadInt(r, r, off, t);
        return { k: 'int', r };
      }
      this.regs.release(r);
      const slot = this.frame.slot();
      this.storeImm(slot, 8, 0);
      this.ctxReg(R3);
      b.add64(R3, off);
      this.addr(R1, slot);
      b.mov64(R2, size);
      this.helper('probe_read_kernel');
      const r2 = this.regs.alloc();
      const [base, boff] = this.base(slot, r2);
      this.loadInt(r2, base, boff, t);
      return { k: 'int', r: r2 };
    }
    if (t.type === 'record') return { k: 'ctx', off };
    void node;
    const size = storedSize(t);
    const m = this.frame.bytes(size);
    this.zero(m, size);
    this.ctxReg(R3);
    b.add64(R3, off);
    this.addr(R1, m);
    b.mov64(R2, t.type === 'string' ? size : size);
    this.helper(t.type === 'string' ? 'probe_read_kernel_str' : 'probe_read_kernel');
    return { k: 'mem', m };
  }

  private fieldFromMem(m: Mem, t: SizedType, bitfield?: { bitOffset: number; bitSize: number }): Val {
    if (t.type === 'integer' || t.type === 'pointer') {
      const r = this.regs.alloc();
      const [base, off] = this.base(m, r);
      this.loadInt(r, base, off, t);
      if (bitfield) this.extractBits(r, bitfield);
      return { k: 'int', r };
    }
    return { k: 'mem', m };
  }

  private fieldFromRef(ptr: Reg, off: number, t: SizedType, user: boolean, bitfield?: { bitOffset: number; bitSize: number }): Val {
    if (t.type === 'record') {
      if (off) this.b.add64(ptr, off);
      return { k: 'ref', r: ptr, user };
    }
    if (t.type === 'integer' || t.type === 'pointer') {
      const v = this.readScalar(ptr, off, t, user);
      if (bitfield && v.k === 'int') this.extractBits(v.r, bitfield);
      return v;
    }
    // Arrays and strings inside a struct: copy them out.
    const size = storedSize(t);
    const m = this.frame.bytes(size);
    this.zero(m, size);
    this.b.mov64(R3, ptr);
    if (off) this.b.add64(R3, off);
    this.regs.release(ptr);
    this.addr(R1, m);
    this.b.mov64(R2, size);
    this.helper(user ? 'probe_read_user' : 'probe_read_kernel');
    return { k: 'mem', m };
  }

  private extractBits(r: Reg, bf: { bitOffset: number; bitSize: number }): void {
    if (bf.bitOffset) this.b.rsh64(r, bf.bitOffset);
    if (bf.bitSize < 64) {
      if (bf.bitSize < 32) this.b.and64(r, 2 ** bf.bitSize - 1);
      else {
        this.b.lsh64(r, 64 - bf.bitSize).rsh64(r, 64 - bf.bitSize);
      }
    }
  }

  private arrayAccess(e: Expression & { kind: 'ArrayAccess' }): Val {
    const b = this.b;
    const at0 = e.expr.type!;
    const elem = at0.elem ?? e.type!;
    const esize = Math.max(1, elem.size);
    if (at0.type === 'pointer') {
      const [p, i] = this.operands(e.expr, e.index);
      if (esize !== 1) b.mul64(i, esize);
      b.add64(p, i);
      this.regs.release(i);
      const user = this.isUser(at0);
      if (elem.type === 'integer' || elem.type === 'pointer') return this.readScalar(p, 0, elem, user);
      return this.fieldFromRef(p, 0, elem, user);
    }
    // An array value: in our memory, behind a reference, or in the context.
    const base = this.eval(e.expr);
    const count = at0.count ?? Math.floor(at0.size / esize);
    if (e.index.kind === 'Integer') {
      const idx = Number(e.index.value);
      if (idx < 0 || idx >= count) throw new CodegenError(`the index ${idx} is out of bounds for array of size ${count}`, e);
      if (base.k === 'mem') return this.fieldFromMem(at(base.m, idx * esize), elem);
      if (base.k === 'ctx') return this.ctxField(base.off + idx * esize, elem, e);
      return this.fieldFromRef(base.r, idx * esize, elem, base.k === 'ref' ? base.user : this.isUser(at0));
    }
    // A variable index: bounds-check it, then address the element.
    const mem = base.k === 'mem' ? base.m : this.materialize(base, at0);
    const i = this.evalInt(e.index);
    const r = this.regs.alloc();
    const end = this.label('aend');
    b.mov64(r, 0);
    b.jge(i, count, end);
    b.mov64(R5, i);
    if (esize !== 1) b.mul64(R5, esize);
    this.addr(R4, mem);
    b.add64(R4, R5);
    this.loadInt(r, R4, 0, elem);
    b.label(end);
    this.regs.release(i);
    return { k: 'int', r };
  }

  // --- calls ---------------------------------------------------------------------------------

  /** Calls a helper whose failure bpftrace reports under -k/-kk (bpftrace's CreateHelperErrorCond). */
  private helper(name: string): void {
    // Memory behind a pointer of no known address space is read as bpftrace reads it: with the
    // legacy helper, which picks user or kernel memory by the address.
    if (this.readAs === 'unset') name = name.replace(/^probe_read_(kernel|user)/, 'probe_read');
    this.b.call(name);
    const level = this.pc.helperCheck ?? 0;
    if (level === 0 || (level === 1 && ZERO_ON_ERROR.has(name))) return;
    const ok = this.label('helper_ok');
    this.b.jmp('jsge', R0, 0, ok, 32);
    this.helperError(name);
    this.b.label(ok);
  }

  /** Sends a helperError record with r0's low 32 bits as the return code; r0 is kept. */
  private helperError(name: string): void {
    const id = this.pc.helperErrors.length;
    this.pc.helperErrors.push({ helper: name, loc: (this.node ?? this.probe).loc });
    const saved = this.frame.slot();
    this.storeReg(saved, 8, R0);
    const m = this.frame.bytes(RECORD_HEADER + 8);
    this.storeImm(m, 4, RecordKind.helperError);
    this.storeImm(at(m, 4), 4, id);
    this.storeReg(at(m, 8), 4, R0);
    this.output(m, RECORD_HEADER + 8);
    this.loadReg(R0, saved, 8);
  }

  private callStatement(c: CallNode): void {
    const outer = this.node;
    this.node = c;
    try {
      this.discard(this.callExpr(c));
    } finally {
      this.node = outer;
    }
  }

  private noValue(): Val {
    const r = this.regs.alloc();
    this.b.mov64(r, 0);
    return { k: 'int', r };
  }

  /** Builds a record (header + arguments laid out by recordLayout) and sends it through the ring buffer. */
  private sendRecord(kind: number, id: number, args: Expression[], types: SizedType[]): void {
    const layout = recordLayout(types);
    const size = layout.size;
    const m = this.frame.bytes(size);
    if (layout.size > RECORD_HEADER) this.zero(at(m, RECORD_HEADER), size - RECORD_HEADER);
    args.forEach((a, i) => this.writeInto(a, at(m, layout.fields[i].offset), layout.fields[i].type));
    this.storeImm(m, 4, kind);
    this.storeImm(at(m, 4), 4, id);
    this.output(m, size);
  }

  private output(m: Mem, size: number): void {
    this.b.ldMap(R1, this.pc.ringbuf);
    this.addr(R2, m);
    this.b.mov64(R3, size).mov64(R4, 0).call('ringbuf_output');
  }

  private mapIdx(arg: Expression | undefined, c: CallNode): number {
    if (!arg || arg.kind !== 'Map') throw new CodegenError(`${c.func}() expects a map`, c);
    const i = this.pc.mapIndex.get(arg.name);
    if (i === undefined) throw new CodegenError(`unknown map ${arg.name}`, c);
    return i;
  }

  private callExpr(c: CallNode): Val {
    const b = this.b;
    const args = c.args ?? [];
    const res = this.pc.checked.resources;
    switch (c.func) {
      case 'printf':
      case 'system':
      case 'cat': {
        const list = res[c.func];
        const id = c.resourceId ?? 0;
        const types = list[id]?.args ?? args.slice(1).map((a) => a.type!);
        const kind = c.func === 'printf' ? RecordKind.printf : c.func === 'system' ? RecordKind.system : RecordKind.cat;
        this.sendRecord(kind, id, args.slice(1), types);
        return this.noValue();
      }
      case 'time':
        this.sendRecord(RecordKind.time, c.resourceId ?? 0, [], []);
        return this.noValue();
      case 'exit':
        this.sendRecord(RecordKind.exit, 0, [], []);
        b.ja(this.exitLabel);
        return this.noValue();
      case 'print': {
        const a = args[0];
        if (a?.kind === 'Map' && !(a.keys && a.keys.length)) {
          const idx = this.mapIdx(a, c);
          const top = args[1];
          const div = args[2];
          this.sendRecord(RecordKind.printMap, idx, [top ?? intLit(0n), div ?? intLit(0n)], [T64, T64]);
          return this.noValue();
        }
        const t = res.print[c.resourceId ?? 0]?.type ?? a.type!;
        this.sendRecord(RecordKind.printValue, c.resourceId ?? 0, [a], [t]);
        return this.noValue();
      }
      case 'clear':
      case 'zero':
        this.sendRecord(c.func === 'clear' ? RecordKind.clearMap : RecordKind.zeroMap, this.mapIdx(args[0], c), [], []);
        return this.noValue();
      case 'delete': {
        const m = args[0];
        if (!m || m.kind !== 'Map') throw new CodegenError('delete() expects a map element', c);
        const l = this.layout(m.name);
        if (l.type === 'percpu_array') {
          // Arrays cannot lose elements: store zero like bpftrace.
          const key = this.mapKey(m);
          const z = this.frame.bytes(l.valueSize);
          this.zero(z, l.valueSize);
          this.update(m.name, key, z);
          return this.noValue();
        }
        const key = this.mapKey(m, l.bucketed ? 0 : undefined);
        b.ldMap(R1, l.kernelName);
        this.addr(R2, key);
        this.helper('map_delete_elem');
        return this.noValue();
      }
      case 'join': {
        const delim = res.join[c.resourceId ?? 0];
        void delim;
        const r = this.evalInt(args[0]);
        const size = RECORD_HEADER + JOIN_ARGS * JOIN_ARG_SIZE;
        const m = this.frame.bytes(size);
        const ptrSlot = this.frame.slot();
        const argvSlot = this.frame.slot();
        this.storeReg(argvSlot, 8, r);
        this.regs.release(r);
        const user = this.isUser(args[0].type);
        const done = this.label('joindone');
        for (let i = 0; i < JOIN_ARGS; i++) {
          this.zero(at(m, RECORD_HEADER + i * JOIN_ARG_SIZE), 8);
        }
        for (let i = 0; i < JOIN_ARGS; i++) {
          this.storeImm(ptrSlot, 8, 0);
          this.loadReg(R3, argvSlot, 8);
          b.add64(R3, i * 8);
          this.addr(R1, ptrSlot);
          b.mov64(R2, 8);
          this.helper(user ? 'probe_read_user' : 'probe_read_kernel');
          this.loadReg(R3, ptrSlot, 8);
          b.jeq(R3, 0, done);
          this.addr(R1, at(m, RECORD_HEADER + i * JOIN_ARG_SIZE));
          b.mov64(R2, JOIN_ARG_SIZE);
          this.helper(user ? 'probe_read_user_str' : 'probe_read_kernel_str');
        }
        b.label(done);
        this.storeImm(m, 4, RecordKind.join);
        this.storeImm(at(m, 4), 4, c.resourceId ?? 0);
        this.output(m, size);
        return this.noValue();
      }
      case 'str':
        return this.str(c);
      case 'buf':
        return this.buf(c);
      case 'ksym':
      case 'kaddr_value':
        return this.eval(args[0]);
      case 'usym': {
        const r = this.evalInt(args[0]);
        return this.usymValue(r);
      }
      case 'kaddr': {
        const name = this.literalString(args[0]) ?? '';
        const v = this.pc.kaddr?.(name);
        if (v === undefined) throw new CodegenError(`Failed to resolve kernel symbol: ${name}`, c);
        const r = this.regs.alloc();
        this.const64(r, v);
        return { k: 'int', r };
      }
      case 'uaddr': {
        const name = this.literalString(args[0]) ?? '';
        const v = this.pc.uaddr?.(name);
        if (v === undefined) throw new CodegenError(`uaddr: no symbol '${name}'`, c);
        const r = this.regs.alloc();
        this.const64(r, v);
        return { k: 'int', r };
      }
      case 'cgroupid': {
        const v = args[0]?.kind === 'String' ? cgroupIdOf(args[0].value) : 0n;
        const r = this.regs.alloc();
        this.const64(r, v);
        return { k: 'int', r };
      }
      case 'ntop':
        return this.ntop(c);
      case 'pton':
        return this.pton(c);
      case 'macaddr': {
        const t = c.type!;
        const m = this.frame.bytes(8);
        this.zero(m, 8);
        const p = this.eval(args[0]);
        if (p.k === 'mem') this.copy(m, p.m, 6);
        else if (p.k === 'ctx') {
          this.ctxReg(R3);
          b.add64(R3, p.off);
          this.addr(R1, m);
          b.mov64(R2, 6);
          this.helper('probe_read_kernel');
        } else {
          b.mov64(R3, p.r);
          this.regs.release(p.r);
          this.addr(R1, m);
          b.mov64(R2, 6);
          this.helper(this.isUser(args[0].type) ? 'probe_read_user' : 'probe_read_kernel');
        }
        void t;
        return { k: 'mem', m };
      }
      case 'reg': {
        const name = args[0]?.kind === 'String' ? args[0].value : '';
        const r = this.regs.alloc();
        this.regField(r, name);
        return { k: 'int', r };
      }
      case 'strncmp':
        return this.strncmp(c);
      case 'sizeof': {
        const r = this.regs.alloc();
        b.mov64(r, args[0]?.type ? Math.max(args[0].type.size, args[0].type.type === 'integer' && args[0].type.size === 0 ? 1 : 0) : 0);
        return { k: 'int', r };
      }
      case 'bswap': {
        const r = this.evalInt(args[0]);
        const bits = Math.max(1, args[0].type?.size ?? 8) * 8;
        if (bits >= 16) b.endian('bswap', r, bits as 16 | 32 | 64);
        return { k: 'int', r };
      }
      case 'signal': {
        const a = args[0];
        let sig = 0;
        if (a?.kind === 'String') sig = signalNumber(a.value);
        const r = a?.kind === 'String' ? undefined : this.evalInt(a);
        if (r) {
          b.mov64(R1, r);
          this.regs.release(r);
        } else b.mov64(R1, sig);
        this.helper('send_signal');
        return this.noValue();
      }
      case 'strftime': {
        const m = this.frame.bytes(16);
        const r = this.evalInt(args[1]);
        this.storeImm(m, 8, c.resourceId ?? 0);
        this.storeReg(at(m, 8), 8, r);
        this.regs.release(r);
        return { k: 'mem', m };
      }
      case 'kptr':
      case 'uptr':
        return this.eval(args[0]);
      case 'kstack':
      case 'ustack':
        return this.stack(c.func === 'ustack', c.type!);
      case 'debugf':
        return this.debugf(c);
      case 'strcontains':
        return this.strcontains(c);
      case 'strerror':
        return this.eval(args[0]);
      case 'cgroup_path': {
        // {u64 resource id, u64 cgroup id}: the runtime finds the path(s) of the id.
        const m = this.frame.bytes(16);
        const r = this.evalInt(args[0]);
        this.storeImm(m, 8, c.resourceId ?? 0);
        this.storeReg(at(m, 8), 8, r);
        this.regs.release(r);
        return { k: 'mem', m };
      }
      case 'unwatch': {
        // The runtime removes every watchpoint on the address.
        const r = this.evalInt(args[0]);
        const m = this.frame.bytes(RECORD_HEADER + 8);
        this.storeReg(at(m, RECORD_HEADER), 8, r);
        this.regs.release(r);
        this.storeImm(m, 4, RecordKind.watchpointDetach);
        this.storeImm(at(m, 4), 4, 0);
        this.output(m, RECORD_HEADER + 8);
        return this.noValue();
      }
      case 'override':
      case 'path':
      case 'skboutput':
        throw new CodegenError(`${c.func}() is not supported on this kernel by bpfkit`, c);
    }
    throw new CodegenError(`the function '${c.func}' is not supported by bpfkit's code generator`, c);
  }

  /** debugf(fmt, ...): bpf_trace_printk with up to three integer or string arguments. */
  /** The text of a string known when compiling: a literal, a positional parameter, str() of one. */
  private literalString(e: Expression | undefined): string | undefined {
    if (!e) return undefined;
    if (e.kind === 'String') return e.value;
    if (e.kind === 'PositionalParameter' && e.ptype === 'positional') return this.pc.checked.params[e.n - 1] ?? '';
    if (e.kind === 'Call' && e.func === 'str' && e.args?.length === 1) return this.literalString(e.args[0]);
    // str($1 + N): the checker allows only a constant offset within the parameter's text.
    if (e.kind === 'Binop' && e.op === '+') {
      const [pos, off] = e.left.kind === 'PositionalParameter' ? [e.left, e.right] : [e.right, e.left];
      if (pos.kind === 'PositionalParameter' && off.kind === 'Integer') {
        const text = this.literalString(pos);
        return text === undefined ? undefined : Buffer.from(text).subarray(Number(off.value)).toString();
      }
    }
    return undefined;
  }

  private debugf(c: CallNode): Val {
    const b = this.b;
    const args = c.args ?? [];
    const fmt = args[0]?.kind === 'String' ? args[0].value : '';
    const bytes = Buffer.from(`${fmt}\0`);
    const fm = this.frame.bytes(bytes.length);
    this.writeBytes(fm, bytes, bytes.length);
    const slots = args.slice(1, 4).map((a) => {
      const slot = this.frame.slot();
      if (a.type && (a.type.type === 'string' || isByteArray(a.type))) {
        const m = this.evalMem(a);
        this.addr(R1, m);
        this.storeReg(slot, 8, R1);
      } else {
        const r = this.evalInt(a);
        this.storeReg(slot, 8, r);
        this.regs.release(r);
      }
      return slot;
    });
    [R3, R4, R5].forEach((reg, i) => {
      if (slots[i]) this.loadReg(reg, slots[i], 8);
    });
    this.addr(R1, fm);
    b.mov64(R2, bytes.length).call('trace_printk');
    return this.noValue();
  }

  /** strcontains(haystack, needle): 1 when needle occurs in haystack (both NUL-terminated). */
  private strcontains(c: CallNode): Val {
    const b = this.b;
    const args = c.args ?? [];
    const hs = storedSize(args[0].type!);
    const ns = storedSize(args[1].type!);
    const h = this.evalMem(args[0]);
    const n = this.evalMem(args[1]);
    const r = this.regs.alloc();
    const yes = this.label('scyes');
    const no = this.label('scno');
    const end = this.label('scend');
    this.addr(R4, h);
    this.addr(R5, n);
    // An empty needle is found at once.
    b.ldx(1, R1, R5, 0).jeq(R1, 0, yes);
    for (let i = 0; i < hs; i++) {
      const next = this.label('scnext');
      b.ldx(1, R1, R4, i).jeq(R1, 0, no);
      for (let j = 0; j < ns && i + j < hs; j++) {
        b.ldx(1, R2, R5, j).jeq(R2, 0, yes);
        b.ldx(1, R1, R4, i + j).jne(R1, R2, next);
      }
      if (i + ns <= hs) b.ja(yes);
      b.label(next);
    }
    b.label(no);
    b.mov64(r, 0).ja(end);
    b.label(yes);
    b.mov64(r, 1);
    b.label(end);
    return { k: 'int', r };
  }

  private str(c: CallNode): Val {
    const b = this.b;
    const args = c.args ?? [];
    const t = c.type!;
    const size = Math.max(1, t.size || STRING_SIZE);
    const a = args[0];
    const lit = this.literalString(a);
    if (lit !== undefined) {
      const m = this.frame.bytes(size);
      let bytes = Buffer.from(lit);
      const n = args[1]?.kind === 'Integer' ? Number(args[1].value) : undefined;
      if (n !== undefined) bytes = bytes.subarray(0, Math.max(0, n));
      this.zero(m, size);
      this.writeBytes(m, bytes.subarray(0, size - 1), Math.min(bytes.length, size - 1));
      return { k: 'mem', m };
    }
    if (a.kind === 'String' || (a.type && a.type.type === 'string')) {
      // str() of a string: a copy (truncated by a length argument).
      const m = this.frame.bytes(size);
      this.zero(m, size);
      this.writeInto(a, m, { ...a.type!, size: Math.min(storedSize(a.type!), size) });
      return { k: 'mem', m };
    }
    const m = this.frame.bytes(size);
    this.zero(m, size);
    const p = this.evalInt(a);
    const pslot = this.frame.slot();
    this.storeReg(pslot, 8, p);
    this.regs.release(p);
    if (args[1]) {
      const n = this.evalInt(args[1]);
      // bpftrace reads n bytes plus the terminating NUL, at most the string size.
      b.add64(n, 1);
      const ok = this.label('strlen');
      b.jle(n, size, ok);
      b.mov64(n, size);
      b.label(ok);
      b.mov64(R2, n);
      this.regs.release(n);
    } else {
      b.mov64(R2, size);
    }
    this.loadReg(R3, pslot, 8);
    this.addr(R1, m);
    this.helper(this.isUser(a.type) ? 'probe_read_user_str' : 'probe_read_kernel_str');
    return { k: 'mem', m };
  }

  /** buf(ptr, len): bpftrace's {u8 length; u8 data[N]} (N from the type). */
  private buf(c: CallNode): Val {
    const b = this.b;
    const args = c.args ?? [];
    const t = c.type!;
    const total = Math.max(2, t.size);
    const cap = total - 1;
    const m = this.frame.bytes(total);
    this.zero(m, total);
    const src = this.eval(args[0]);
    if (src.k === 'mem') {
      // A string or array value: its bytes, zero-padded up to the length asked for.
      const have = storedSize(args[0].type!);
      const want = args[1]?.kind === 'Integer' ? Math.min(cap, Number(args[1].value)) : Math.min(cap, have);
      this.copy(at(m, 1), src.m, Math.min(want, have));
      this.storeImm(m, 1, want);
      return { k: 'mem', m };
    }
    const pslot = this.frame.slot();
    if (src.k === 'ctx') {
      this.ctxReg(R1);
      b.add64(R1, src.off);
      this.storeReg(pslot, 8, R1);
    } else {
      this.storeReg(pslot, 8, src.r);
      this.regs.release(src.r);
    }
    const lenSlot = this.frame.slot();
    if (args[1]) {
      const n = this.evalInt(args[1]);
      const ok = this.label('buflen');
      b.jle(n, cap, ok);
      b.mov64(n, cap);
      b.label(ok);
      this.storeReg(lenSlot, 8, n);
      this.regs.release(n);
    } else {
      this.storeImm(lenSlot, 8, cap);
    }
    this.loadReg(R2, lenSlot, 8);
    // The verifier wants a bounded size register.
    const ok2 = this.label('buflen2');
    b.jle(R2, cap, ok2);
    b.mov64(R2, cap);
    b.label(ok2);
    this.loadReg(R3, pslot, 8);
    this.addr(R1, at(m, 1));
    this.helper(src.k === 'ctx' ? 'probe_read_kernel' : this.isUser(args[0].type) ? 'probe_read_user' : 'probe_read_kernel');
    this.loadReg(R2, lenSlot, 8);
    this.storeReg(m, 1, R2);
    return { k: 'mem', m };
  }

  /** strncmp(a, b, n): 0 when equal over n bytes (stopping at a common NUL), else 1. */
  private strncmp(c: CallNode): Val {
    const b = this.b;
    const args = c.args ?? [];
    const n = args[2]?.kind === 'Integer' ? Number(args[2].value) : 0;
    const la = this.evalMem(args[0]);
    const lb = this.evalMem(args[1]);
    const len = Math.min(n, storedSize(args[0].type!), storedSize(args[1].type!));
    const r = this.regs.alloc();
    const ne = this.label('sncne');
    const end = this.label('sncend');
    this.addr(R4, la);
    this.addr(R5, lb);
    const eq = this.label('snceq');
    for (let i = 0; i < len; i++) {
      b.ldx(1, R1, R4, i).ldx(1, R2, R5, i);
      b.jne(R1, R2, ne);
      b.jeq(R1, 0, eq);
    }
    b.label(eq);
    b.mov64(r, 0);
    b.ja(end);
    b.label(ne);
    b.mov64(r, 1);
    b.label(end);
    return { k: 'int', r };
  }

  /** ntop([af,] addr): bpftrace's inet value {i64 af; u8 addr[16]}. */
  private ntop(c: CallNode): Val {
    const b = this.b;
    const args = c.args ?? [];
    const m = this.frame.bytes(24);
    this.zero(m, 24);
    const addrArg = args.length === 2 ? args[1] : args[0];
    const at4 = addrArg.type!;
    const isV6 = at4.size === 16;
    if (args.length === 2) {
      const af = this.evalInt(args[0]);
      this.storeReg(m, 8, af);
      this.regs.release(af);
    } else {
      this.storeImm(m, 8, isV6 ? 10 : 2);
    }
    if (at4.type === 'integer') {
      const r = this.evalInt(addrArg);
      this.storeReg(at(m, 8), 4, r);
      this.regs.release(r);
    } else {
      const v = this.eval(addrArg);
      const n = Math.min(16, storedSize(at4));
      if (v.k === 'mem') this.copy(at(m, 8), v.m, n);
      else if (v.k === 'ctx') {
        this.ctxReg(R3);
        b.add64(R3, v.off);
        this.addr(R1, at(m, 8));
        b.mov64(R2, n);
        this.helper('probe_read_kernel');
      } else {
        b.mov64(R3, v.r);
        this.regs.release(v.r);
        this.addr(R1, at(m, 8));
        b.mov64(R2, n);
        this.helper(this.isUser(at4) ? 'probe_read_user' : 'probe_read_kernel');
      }
    }
    return { k: 'mem', m };
  }

  private pton(c: CallNode): Val {
    const s = c.args?.[0]?.kind === 'String' ? c.args[0].value : '';
    const bytes = ptonBytes(s);
    const m = this.frame.bytes(Math.max(8, bytes.length));
    this.zero(m, Math.max(8, bytes.length));
    this.writeBytes(m, bytes, bytes.length);
    return { k: 'mem', m };
  }
}

// --- small helpers ---------------------------------------------------------------------------

const T64: SizedType = { type: 'integer', size: 8, bits: 64, signed: true, as: 'none' };

function intLit(v: bigint): Expression {
  return { kind: 'Integer', value: v, type: T64, loc: { line: 0, column: 0, endLine: 0, endColumn: 0 } };
}

function constArg(e: Expression | undefined): number {
  if (e?.kind === 'Integer') return Number(e.value);
  if (e?.kind === 'Unop' && e.op === '-' && e.expr.kind === 'Integer') return -Number(e.expr.value);
  return 0;
}

function storedField(t: SizedType): number {
  return t.type === 'integer' ? t.size : storedSize(t);
}

function sameLayout(a: SizedType, b: SizedType): boolean {
  const fa = a.struct?.fields ?? [];
  const fb = b.struct?.fields ?? [];
  return a.size === b.size && fa.length === fb.length && fa.every((f, i) => f.offset === fb[i].offset && f.type.size === fb[i].type.size);
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20,
};

export function signalNumber(name: string): number {
  const n = Number(name);
  if (Number.isInteger(n)) return n;
  return SIGNALS[name.startsWith('SIG') ? name : `SIG${name}`] ?? 0;
}

function cgroupIdOf(path: string): bigint {
  // The cgroup id is the inode number of its directory in cgroup2.
  const roots = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'];
  for (const root of roots) {
    try {
      const full = path.startsWith('/sys/fs/cgroup') ? path : `${root}${path.startsWith('/') ? '' : '/'}${path}`;
      return statIno(full);
    } catch {
      /* try the next root */
    }
  }
  return 0n;
}

function statIno(p: string): bigint {
  return statSync(p, { bigint: true }).ino;
}

/** A positional parameter as a number, like C's strtoll with base 0 (0x hex, leading-0 octal). */
export function parseCInteger(text: string): bigint {
  const m = /^\s*([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text);
  if (!m) return 0n;
  const d = m[2];
  const v = /^0[xX]/.test(d) ? BigInt(d) : d.length > 1 && d.startsWith('0') ? BigInt(`0o${d.slice(1)}`) : BigInt(d);
  return m[1] === '-' ? -v : v;
}

export function ptonBytes(s: string): Uint8Array {
  if (isIPv4(s)) return Uint8Array.from(s.split('.').map(Number));
  if (isIPv6(s)) {
    const out = new Uint8Array(16);
    const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
    const hs = head ? head.split(':').filter(Boolean) : [];
    const ts = tail ? tail.split(':').filter(Boolean) : [];
    const words = [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
    words.forEach((w, i) => {
      const v = parseInt(w, 16);
      out[2 * i] = v >> 8;
      out[2 * i + 1] = v & 0xff;
    });
    return out;
  }
  return new Uint8Array(4);
}

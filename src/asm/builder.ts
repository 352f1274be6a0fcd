// ProgramBuilder: what code generators (the tracing language, cBPF→eBPF) emit into. Jumps, calls,
// map loads and helper calls may name things that are only known later; link() resolves them.
import { ParseError, type SourcePosition } from '../sys/errors.js';
import { type Instruction, type Reference, Reg, slotIndex, splitImm64 } from './instruction.js';
import { type HelperTable, defaultHelpers, helperId } from './helpers.js';
import * as o from './opcode.js';

/** Load/store width in bytes. */
export type Size = 1 | 2 | 4 | 8;
export type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'mod' | 'smod' | 'xor' | 'mov' | 'arsh';
export type JmpOp = 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';
export type AtomicOp = 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';
/** A jump target: a label name, or a slot offset relative to the next instruction. */
export type Target = string | number;
type RegArg = Reg | number;

const aluOps: Record<AluOp, [number, number]> = {
  add: [o.BPF_ADD, 0], sub: [o.BPF_SUB, 0], mul: [o.BPF_MUL, 0], div: [o.BPF_DIV, 0], sdiv: [o.BPF_DIV, 1],
  or: [o.BPF_OR, 0], and: [o.BPF_AND, 0], lsh: [o.BPF_LSH, 0], rsh: [o.BPF_RSH, 0], mod: [o.BPF_MOD, 0],
  smod: [o.BPF_MOD, 1], xor: [o.BPF_XOR, 0], mov: [o.BPF_MOV, 0], arsh: [o.BPF_ARSH, 0],
};
const jmpOps: Record<JmpOp, number> = {
  jeq: o.BPF_JEQ, jgt: o.BPF_JGT, jge: o.BPF_JGE, jset: o.BPF_JSET, jne: o.BPF_JNE, jsgt: o.BPF_JSGT,
  jsge: o.BPF_JSGE, jlt: o.BPF_JLT, jle: o.BPF_JLE, jslt: o.BPF_JSLT, jsle: o.BPF_JSLE,
};
const atomicOps: Record<AtomicOp, number> = {
  add: o.BPF_ADD, or: o.BPF_OR, and: o.BPF_AND, xor: o.BPF_XOR, xchg: o.BPF_XCHG, cmpxchg: o.BPF_CMPXCHG,
};

export interface LinkOptions {
  /** Map name → file descriptor (or, for listings, map id) for ld_imm64 map references. */
  maps?: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
  /** Helper name → id; default: this kernel's table (src/sys/generated). */
  helpers?: HelperTable;
  /** kfunc name → BTF id. */
  kfuncs?: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
  /** Leave map and kfunc references that `maps`/`kfuncs` do not name in place (for a loader to fill). */
  partial?: boolean;
}

function get(table: Readonly<Record<string, number>> | ReadonlyMap<string, number> | undefined, key: string): number | undefined {
  if (!table) return undefined;
  if (table instanceof Map) return table.get(key);
  return Object.prototype.hasOwnProperty.call(table, key) ? (table as Record<string, number>)[key] : undefined;
}

function regNum(r: RegArg, what: string): number {
  const n = r instanceof Reg ? r.n : r;
  if (!Number.isInteger(n) || n < 0 || n > 10) throw new RangeError(`${what} must be a register r0..r10, got ${String(r)}`);
  return n;
}

function imm32(v: number, what = 'immediate'): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new RangeError(`${what} ${v} does not fit in 32 bits`);
  return v | 0;
}

function off16(v: number, what = 'offset'): number {
  if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff) throw new RangeError(`${what} ${v} does not fit in a signed 16-bit offset`);
  return v;
}

/** Builds a program instruction by instruction; see link(). */
export class ProgramBuilder {
  readonly insns: Instruction[] = [];
  /** Source positions of instructions, for errors found at link time (set by the text assembler). */
  readonly positions: (SourcePosition | undefined)[] = [];
  /** Label name → index of the instruction it precedes. */
  readonly labels = new Map<string, number>();
  /** Source text for carets in link errors. */
  source?: string;
  private pos?: SourcePosition;

  /** Number of 8-byte slots emitted so far. */
  get slots(): number {
    return slotIndex(this.insns)[this.insns.length];
  }

  /** Source position attached to the instructions emitted next (used by the assembler). */
  at(pos: SourcePosition | undefined): this {
    this.pos = pos;
    return this;
  }

  /** Names the next instruction. */
  label(name: string): this {
    if (this.labels.has(name)) this.fail(`label '${name}' is defined twice`);
    this.labels.set(name, this.insns.length);
    return this;
  }

  emit(insn: Instruction): this {
    this.insns.push(insn);
    this.positions.push(this.pos);
    return this;
  }

  private fail(reason: string, pos = this.pos): never {
    if (pos) throw new ParseError(reason, pos, this.source);
    throw new Error(reason);
  }

  // --- ALU ---------------------------------------------------------------------------------
  /** dst op= src (register) or imm, 64-bit (alu64) or 32-bit (alu). */
  alu(width: 32 | 64, operation: AluOp, dst: RegArg, src: Reg | number): this {
    const [opcode, off] = aluOps[operation];
    const klass = width === 64 ? o.BPF_ALU64 : o.BPF_ALU;
    const d = regNum(dst, 'destination');
    if (src instanceof Reg) return this.emit({ code: klass | opcode | o.BPF_X, dst: d, src: regNum(src, 'source'), off, imm: 0 });
    return this.emit({ code: klass | opcode | o.BPF_K, dst: d, src: 0, off, imm: imm32(src) });
  }
  mov64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'mov', dst, src); }
  mov32(dst: RegArg, src: Reg | number): this { return this.alu(32, 'mov', dst, src); }
  add64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'add', dst, src); }
  add32(dst: RegArg, src: Reg | number): this { return this.alu(32, 'add', dst, src); }
  sub64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'sub', dst, src); }
  mul64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'mul', dst, src); }
  div64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'div', dst, src); }
  mod64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'mod', dst, src); }
  and64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'and', dst, src); }
  or64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'or', dst, src); }
  xor64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'xor', dst, src); }
  lsh64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'lsh', dst, src); }
  rsh64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'rsh', dst, src); }
  arsh64(dst: RegArg, src: Reg | number): this { return this.alu(64, 'arsh', dst, src); }
  neg(width: 32 | 64, dst: RegArg): this {
    return this.emit({ code: (width === 64 ? o.BPF_ALU64 : o.BPF_ALU) | o.BPF_NEG, dst: regNum(dst, 'destination'), src: 0, off: 0, imm: 0 });
  }
  /** Sign-extending move of the low `bits` of src (cpu v4). */
  movsx(width: 32 | 64, dst: RegArg, src: RegArg, bits: 8 | 16 | 32): this {
    if (width === 32 && bits === 32) throw new RangeError('movsx of 32 bits needs a 64-bit destination');
    return this.emit({ code: (width === 64 ? o.BPF_ALU64 : o.BPF_ALU) | o.BPF_MOV | o.BPF_X, dst: regNum(dst, 'destination'), src: regNum(src, 'source'), off: bits, imm: 0 });
  }
  /** Converts dst to big-endian (`be`) or little-endian (`le`) byte order, or swaps unconditionally (`bswap`). */
  endian(kind: 'be' | 'le' | 'bswap', dst: RegArg, bits: 16 | 32 | 64): this {
    const code = kind === 'bswap' ? o.BPF_ALU64 | o.BPF_END : o.BPF_ALU | o.BPF_END | (kind === 'be' ? o.BPF_TO_BE : o.BPF_TO_LE);
    return this.emit({ code, dst: regNum(dst, 'destination'), src: 0, off: 0, imm: bits });
  }

  // --- jumps and calls -----------------------------------------------------------------------
  private target(insn: Instruction, t: Target, field: 'off' | 'imm'): this {
    if (typeof t === 'string') {
      insn.ref = { kind: 'label', name: t };
      return this.emit(insn);
    }
    insn[field] = field === 'off' ? off16(t, 'jump offset') : imm32(t, 'jump offset');
    return this.emit(insn);
  }
  ja(t: Target): this { return this.target({ code: o.BPF_JMP | o.BPF_JA, dst: 0, src: 0, off: 0, imm: 0 }, t, 'off'); }
  /** The 32-bit-offset unconditional jump (cpu v4). */
  gotol(t: Target): this { return this.target({ code: o.BPF_JMP32 | o.BPF_JA, dst: 0, src: 0, off: 0, imm: 0 }, t, 'imm'); }
  /** if dst <op> src goto t; `width` 32 compares the low halves (jmp32). */
  jmp(operation: JmpOp, dst: RegArg, src: Reg | number, t: Target, width: 32 | 64 = 64): this {
    const klass = width === 64 ? o.BPF_JMP : o.BPF_JMP32;
    const d = regNum(dst, 'destination');
    const insn: Instruction = src instanceof Reg
      ? { code: klass | jmpOps[operation] | o.BPF_X, dst: d, src: regNum(src, 'source'), off: 0, imm: 0 }
      : { code: klass | jmpOps[operation] | o.BPF_K, dst: d, src: 0, off: 0, imm: imm32(src) };
    return this.target(insn, t, 'off');
  }
  jeq(dst: RegArg, src: Reg | number, t: Target): this { return this.jmp('jeq', dst, src, t); }
  jne(dst: RegArg, src: Reg | number, t: Target): this { return this.jmp('jne', dst, src, t); }
  jgt(dst: RegArg, src: Reg | number, t: Target): this { return this.jmp('jgt', dst, src, t); }
  jge(dst: RegArg, src: Reg | number, t: Target): this { return this.jmp('jge', dst, src, t); }
  jlt(dst: RegArg, src: Reg | number, t: Target): this { return this.jmp('jlt', dst, src, t); }
  jle(dst: RegArg, src: Reg | number, t: Target): this { return this.jmp('jle', dst, src, t); }
  jsgt(dst: RegArg, src: Reg | number, t: Target): this { return this.jmp('jsgt', dst, src, t); }
  jsge(dst: RegArg, src: Reg | number, t: Target): this { return this.jmp('jsge', dst, src, t); }
  jslt(dst: RegArg, src: Reg | number, t: Target): this { return this.jmp('jslt', dst, src, t); }
  jsle(dst: RegArg, src: Reg | number, t: Target): this { return this.jmp('jsle', dst, src, t); }
  jset(dst: RegArg, src: Reg | number, t: Target): this { return this.jmp('jset', dst, src, t); }
  /** Calls a helper by name (resolved at link) or id. */
  call(helper: string | number): this {
    const insn: Instruction = { code: o.BPF_JMP | o.BPF_CALL, dst: 0, src: o.BPF_HELPER_CALL, off: 0, imm: 0 };
    if (typeof helper === 'string') insn.ref = { kind: 'helper', name: helper };
    else insn.imm = imm32(helper, 'helper id');
    return this.emit(insn);
  }
  /** bpf-to-bpf call of the subprogram at a label (or a relative slot offset). */
  callLocal(t: Target): this { return this.target({ code: o.BPF_JMP | o.BPF_CALL, dst: 0, src: o.BPF_PSEUDO_CALL, off: 0, imm: 0 }, t, 'imm'); }
  /** kfunc call by name (BTF id given to link()) or BTF id; `btfFdIndex` selects a module's BTF. */
  kfunc(fn: string | number, btfFdIndex = 0): this {
    const insn: Instruction = { code: o.BPF_JMP | o.BPF_CALL, dst: 0, src: o.BPF_PSEUDO_KFUNC_CALL, off: off16(btfFdIndex), imm: 0 };
    if (typeof fn === 'string') insn.ref = { kind: 'kfunc', name: fn };
    else insn.imm = imm32(fn, 'BTF id');
    return this.emit(insn);
  }
  /** Indirect call through a register (LLVM's callx). */
  callx(reg: RegArg): this { return this.emit({ code: o.BPF_JMP | o.BPF_CALL | o.BPF_X, dst: regNum(reg, 'register'), src: 0, off: 0, imm: 0 }); }
  exit(): this { return this.emit({ code: o.BPF_JMP | o.BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 }); }

  // --- memory ----------------------------------------------------------------------------------
  /** dst = *(uN *)(src + off); `signed` sign-extends (cpu v4 MEMSX). */
  ldx(size: Size, dst: RegArg, src: RegArg, off = 0, signed = false): this {
    const m = signed ? o.BPF_MEMSX : o.BPF_MEM;
    if (signed && size === 8) throw new RangeError('sign-extending loads are 1, 2 or 4 bytes');
    return this.emit({ code: o.BPF_LDX | m | o.sizeFromBytes(size), dst: regNum(dst, 'destination'), src: regNum(src, 'source'), off: off16(off), imm: 0 });
  }
  /** *(uN *)(dst + off) = imm */
  st(size: Size, dst: RegArg, off: number, imm: number): this {
    return this.emit({ code: o.BPF_ST | o.BPF_MEM | o.sizeFromBytes(size), dst: regNum(dst, 'destination'), src: 0, off: off16(off), imm: imm32(imm) });
  }
  /** *(uN *)(dst + off) = src */
  stx(size: Size, dst: RegArg, off: number, src: RegArg): this {
    return this.emit({ code: o.BPF_STX | o.BPF_MEM | o.sizeFromBytes(size), dst: regNum(dst, 'destination'), src: regNum(src, 'source'), off: off16(off), imm: 0 });
  }
  /** Atomic read-modify-write of *(uN *)(dst + off) with src; `fetch` returns the old value in src. */
  atomic(operation: AtomicOp, size: 4 | 8, dst: RegArg, off: number, src: RegArg, fetch = false): this {
    const imm = atomicOps[operation] | (fetch ? o.BPF_FETCH : 0);
    return this.emit({ code: o.BPF_STX | o.BPF_ATOMIC | o.sizeFromBytes(size), dst: regNum(dst, 'destination'), src: regNum(src, 'source'), off: off16(off), imm });
  }
  loadAcquire(size: Size, dst: RegArg, src: RegArg, off = 0): this {
    return this.emit({ code: o.BPF_STX | o.BPF_ATOMIC | o.sizeFromBytes(size), dst: regNum(dst, 'destination'), src: regNum(src, 'source'), off: off16(off), imm: o.BPF_LOAD_ACQ });
  }
  storeRelease(size: Size, dst: RegArg, off: number, src: RegArg): this {
    return this.emit({ code: o.BPF_STX | o.BPF_ATOMIC | o.sizeFromBytes(size), dst: regNum(dst, 'destination'), src: regNum(src, 'source'), off: off16(off), imm: o.BPF_STORE_REL });
  }
  /** dst = 64-bit constant (two slots); `pseudo` sets src_reg (see BPF_PSEUDO_*). */
  ldImm64(dst: RegArg, value: bigint | number, pseudo = 0): this {
    const v = typeof value === 'bigint' ? value : BigInt(value);
    if (v < -(1n << 63n) || v >= 1n << 64n) throw new RangeError(`constant ${v} does not fit in 64 bits`);
    return this.emit({ code: o.LD_IMM64, dst: regNum(dst, 'destination'), src: pseudo, off: 0, ...splitImm64(v) });
  }
  /** dst = address of the map `name` (resolved to an fd at link time) or of the map with this fd. */
  ldMap(dst: RegArg, map: string | number): this {
    const insn: Instruction = { code: o.LD_IMM64, dst: regNum(dst, 'destination'), src: o.BPF_PSEUDO_MAP_FD, off: 0, imm: 0, imm2: 0 };
    if (typeof map === 'string') insn.ref = { kind: 'map', name: map };
    else insn.imm = imm32(map, 'map fd');
    return this.emit(insn);
  }
  /** dst = address `offset` bytes into the value of a single-element map (global data). */
  ldMapValue(dst: RegArg, map: string | number, offset = 0): this {
    const insn: Instruction = { code: o.LD_IMM64, dst: regNum(dst, 'destination'), src: o.BPF_PSEUDO_MAP_VALUE, off: 0, imm: 0, imm2: imm32(offset, 'value offset') };
    if (typeof map === 'string') insn.ref = { kind: 'map', name: map, value: true, offset };
    else insn.imm = imm32(map, 'map fd');
    return this.emit(insn);
  }
  /** dst = address of the subprogram at a label (callback arguments of bpf_loop and friends). */
  ldFunc(dst: RegArg, t: Target): this {
    return this.target({ code: o.LD_IMM64, dst: regNum(dst, 'destination'), src: o.BPF_PSEUDO_FUNC, off: 0, imm: 0, imm2: 0 }, t, 'imm');
  }
  /** Legacy packet loads (socket filters): r0 = *(uN *)skb[imm] and skb[src + imm]. */
  ldAbs(size: 1 | 2 | 4, imm: number): this {
    return this.emit({ code: o.BPF_LD | o.BPF_ABS | o.sizeFromBytes(size), dst: 0, src: 0, off: 0, imm: imm32(imm) });
  }
  ldInd(size: 1 | 2 | 4, src: RegArg, imm: number): this {
    return this.emit({ code: o.BPF_LD | o.BPF_IND | o.sizeFromBytes(size), dst: 0, src: regNum(src, 'source'), off: 0, imm: imm32(imm) });
  }

  // --- idioms ----------------------------------------------------------------------------------
  /** r0 = value; exit */
  ret(value: number): this { return this.mov64(0, value).exit(); }
  /** dst = r10 + off: a pointer into the stack frame. */
  stackPointer(dst: RegArg, off: number): this { return this.mov64(dst, new Reg(10)).add64(dst, off); }
  /** Zeroes `len` bytes of stack at r10+off (off and len multiples of 8). */
  zeroStack(off: number, len: number): this {
    if (off % 8 || len % 8) throw new RangeError('zeroStack needs 8-byte aligned offset and length');
    for (let at = off; at < off + len; at += 8) this.st(8, 10, at, 0);
    return this;
  }

  /** Appends another builder's instructions and labels (labels must not clash). */
  append(other: ProgramBuilder): this {
    const base = this.insns.length;
    for (const [name, idx] of other.labels) {
      if (this.labels.has(name)) this.fail(`label '${name}' is defined twice`, other.positions[idx]);
      this.labels.set(name, base + idx);
    }
    other.insns.forEach((insn, i) => {
      this.insns.push({ ...insn });
      this.positions.push(other.positions[i]);
    });
    return this;
  }

  /**
   * Resolves every reference: labels to pc-relative offsets (in slots), maps to fds, helpers and
   * kfuncs to ids. Returns new instructions; the builder is unchanged.
   */
  link(opts: LinkOptions = {}): Instruction[] {
    const at = slotIndex(this.insns);
    return this.insns.map((insn, i) => {
      const ref: Reference | undefined = insn.ref;
      if (!ref) return { ...insn };
      const out: Instruction = { ...insn };
      delete out.ref;
      const pos = this.positions[i];
      switch (ref.kind) {
        case 'label': {
          const idx = this.labels.get(ref.name);
          if (idx === undefined) this.fail(`undefined label '${ref.name}'`, pos);
          if (idx >= this.insns.length) this.fail(`label '${ref.name}' is after the last instruction`, pos);
          const delta = at[idx] - (at[i] + 1);
          const wide = insn.code === (o.BPF_JMP32 | o.BPF_JA) || insn.code === o.LD_IMM64 || insn.code === (o.BPF_JMP | o.BPF_CALL);
          if (wide) out.imm = delta;
          else if (delta < -0x8000 || delta > 0x7fff) this.fail(`jump to '${ref.name}' is ${delta} slots away, beyond a 16-bit offset (use gotol)`, pos);
          else out.off = delta;
          break;
        }
        case 'map': {
          const fd = get(opts.maps, ref.name);
          if (fd === undefined) {
            if (opts.partial) return { ...insn };
            this.fail(`no map named '${ref.name}'`, pos);
          }
          out.imm = fd;
          break;
        }
        case 'helper': {
          const id = helperId(ref.name, opts.helpers ?? defaultHelpers);
          if (id === undefined) this.fail(`unknown helper '${ref.name}'`, pos);
          out.imm = id;
          break;
        }
        case 'kfunc': {
          const id = get(opts.kfuncs, ref.name);
          if (id === undefined) {
            if (opts.partial) return { ...insn };
            this.fail(`no BTF id for kfunc '${ref.name}'`, pos);
          }
          out.imm = id;
          break;
        }
      }
      return out;
    });
  }
}

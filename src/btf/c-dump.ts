// BTF → C header (vmlinux.h), as `bpftool btf dump file PATH format c` writes it. The ordering
// follows libbpf's btf_dump.c: a topological sort in which a type embedded by value must be
// defined first (strong link) while one reached through a named pointer only needs a forward
// declaration (weak link); anonymous types are defined inline; duplicate names get ___N suffixes.
import { ParseError } from '../sys/errors.js';
import type { Btf } from './btf.js';
import {
  K_ARRAY, K_CONST, K_DATASEC, K_DECL_TAG, K_ENUM, K_ENUM64, K_FLOAT, K_FUNC, K_FUNC_PROTO, K_FWD, K_INT, K_PTR,
  K_RESTRICT, K_STRUCT, K_TYPEDEF, K_TYPE_TAG, K_UNION, K_VAR, K_VOID, K_VOLATILE, type BtfTable,
} from './table.js';

const NOT_ORDERED = 0;
const ORDERING = 1;
const ORDERED = 2;
const NOT_EMITTED = 0;
const EMITTING = 1;
const EMITTED = 2;
const PTR_SIZE = 8;
const TABS = '\t'.repeat(64);

/** A new line and its indentation (by nesting level), written before every member and enumerator. */
const NL_PFX: string[] = Array.from({ length: TABS.length + 1 }, (_, i) => '\n' + TABS.slice(0, i));
/** Explicit padding types, widest first (libbpf's btf_dump_emit_bit_padding). */
const PADS: readonly (readonly [string, number])[] = [['long', PTR_SIZE * 8], ['int', 32], ['short', 16], ['char', 8]];

function nlPfx(lvl: number): string {
  return NL_PFX[Math.min(lvl, TABS.length)];
}

export interface CDumpOptions {
  /** Emit the vmlinux.h guard and preserve_access_index pragmas as bpftool does (default true). */
  header?: boolean;
}

/** Writes the whole BTF as a C header. */
export function btfToC(btf: Btf, opts: CDumpOptions = {}): string {
  try {
    return dump(btf, opts);
  } catch (e) {
    // Only malformed BTF recurses without end (a reference cycle C cannot express) or grows
    // output beyond what a string holds; both are the input's fault.
    if (e instanceof RangeError) throw new ParseError(`BTF: cannot be written as C (${e.message})`, { file: btf.file, line: 1, column: 1 });
    throw e;
  }
}

function dump(btf: Btf, opts: CDumpOptions): string {
  const d = new CDumper(btf, btf.table());
  const header = opts.header !== false;
  if (header) {
    d.w_(
      '#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n' +
        '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n' +
        '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n' +
        '#endif\n\n',
    );
  }
  const first = btf.base ? btf.firstId : 1;
  const n = btf.typeCount;
  for (let id = first; id < n; id++) d.dumpType(id);
  if (header) {
    d.w_('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n');
  }
  return d.result();
}

/** A declaration's type chain, outermost first; `cnt` entries remain to be written. */
interface DeclChain {
  ids: number[];
  cnt: number;
}

const isModifier = (k: number) => k === K_VOLATILE || k === K_CONST || k === K_RESTRICT || k === K_TYPE_TAG;

/**
 * Works on the raw table (kinds and fields read from 32-bit words, names on demand): walking
 * ~130k kernel types through one object each cost more in allocation and megamorphic property
 * reads than the dump itself.
 */
class CDumper {
  private readonly chunks: string[] = [];
  private readonly parts: string[] = [];
  private readonly btf: Btf;
  private readonly tb: BtfTable;
  private readonly w: Uint32Array;
  private readonly start: Int32Array;
  private readonly n: number;
  private readonly orderState: Uint8Array;
  private readonly emitState: Uint8Array;
  private readonly fwdEmitted: Uint8Array;
  private readonly referenced: Uint8Array;
  private readonly nameResolved: Uint8Array;
  private readonly cachedNames: (string | undefined)[];
  private readonly typeNames = new Map<string, number>();
  private readonly identNames = new Map<string, number>();
  /** Types to emit after ordering one type: the first `queued` entries (reused, not reallocated). */
  private readonly emitQueue: number[] = [];
  private queued = 0;
  private readonly declChains: DeclChain[] = [];
  private declDepth = 0;
  private readonly alignCache: Int32Array;
  private readonly sizeCache: Float64Array;

  constructor(btf: Btf, tb: BtfTable) {
    this.btf = btf;
    this.tb = tb;
    this.w = tb.w;
    this.start = tb.start;
    const n = tb.count;
    this.n = n;
    this.orderState = new Uint8Array(n);
    this.emitState = new Uint8Array(n);
    this.fwdEmitted = new Uint8Array(n);
    this.referenced = new Uint8Array(n);
    this.nameResolved = new Uint8Array(n);
    this.cachedNames = new Array(n);
    this.alignCache = new Int32Array(n);
    this.sizeCache = new Float64Array(n).fill(-1);
    this.markReferenced();
  }

  /** Word index of a type's record; fails on ids that do not exist. */
  private s(id: number): number {
    if (!(id >= 0 && id < this.n)) throw new ParseError(`BTF: type id ${id} does not exist`, { file: this.btf.file, line: 1, column: 1 });
    return this.start[id];
  }
  private kind(id: number): number {
    const s = this.s(id);
    return s < 0 ? K_VOID : (this.w[s + 1] >>> 24) & 0x1f;
  }
  private vlen(id: number): number {
    return this.w[this.start[id] + 1] & 0xffff;
  }
  /** `type` / `size` of the record. */
  private st(id: number): number {
    return this.w[this.start[id] + 2];
  }
  private kflag(id: number): boolean {
    return this.w[this.start[id] + 1] >>> 31 === 1;
  }
  private name(id: number): string {
    return this.tb.name(id);
  }
  private hasName(id: number): boolean {
    return this.tb.name(id) !== '';
  }
  /** The referenced type of ptr/typedef/modifiers/array element/func_proto return. */
  private next(id: number, k: number): number {
    return k === K_ARRAY ? this.w[this.start[id] + 3] : this.w[this.start[id] + 2];
  }

  private markReferenced(): void {
    // Ids beyond the end are simply not marked: a typed array ignores out-of-range stores.
    const r = this.referenced;
    const w = this.w;
    const start = this.start;
    for (let id = 1; id < this.n; id++) {
      const s = start[id];
      if (s < 0) continue;
      const info = w[s + 1];
      const k = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      switch (k) {
        case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_PTR: case K_TYPEDEF: case K_FUNC: case K_VAR:
        case K_DECL_TAG: case K_TYPE_TAG:
          r[w[s + 2]] = 1;
          break;
        case K_ARRAY:
          r[w[s + 4]] = 1;
          r[w[s + 3]] = 1;
          break;
        case K_STRUCT: case K_UNION:
          for (let i = 0, q = s + 4; i < vlen; i++, q += 3) r[w[q]] = 1;
          break;
        case K_FUNC_PROTO:
          for (let i = 0, q = s + 4; i < vlen; i++, q += 2) r[w[q]] = 1;
          break;
        case K_DATASEC:
          for (let i = 0, q = s + 3; i < vlen; i++, q += 3) r[w[q]] = 1;
          break;
        default:
          break;
      }
    }
  }

  /**
   * Appends text. Every few thousand pieces are joined into one flat chunk (see dumpType), so the
   * pieces die young; a rope built with += kept every piece and link alive, which made the
   * garbage collector copy the whole output piece by piece.
   */
  w_(s: string): void {
    this.parts.push(s);
  }

  private flush(): void {
    this.chunks.push(this.parts.join(''));
    this.parts.length = 0;
  }

  result(): string {
    this.flush();
    return this.chunks.join('');
  }

  dumpType(id: number): void {
    this.queued = 0;
    this.orderType(id, false);
    for (let i = 0; i < this.queued; i++) this.emitType(this.emitQueue[i], 0);
    if (this.parts.length > 4096) this.flush();
  }

  // --- ordering ---------------------------------------------------------------------------

  private orderType(id: number, throughPtr: boolean): number {
    if (this.orderState[id] === ORDERED) return 1;
    const k = this.kind(id);
    if (this.orderState[id] === ORDERING) {
      if ((k === K_STRUCT || k === K_UNION) && throughPtr && this.hasName(id)) return 0;
      throw new ParseError(`BTF: unsatisfiable type cycle at type [${id}]`, { file: this.btf.file, line: 1, column: 1 });
    }
    switch (k) {
      case K_VOID:
        return 0;
      case K_INT: case K_FLOAT:
        this.orderState[id] = ORDERED;
        return 0;
      case K_PTR: {
        const r = this.orderType(this.st(id), true);
        this.orderState[id] = ORDERED;
        return r;
      }
      case K_ARRAY:
        return this.orderType(this.next(id, k), false);
      case K_STRUCT: case K_UNION: {
        const named = this.hasName(id);
        if (throughPtr && named) return 0;
        this.orderState[id] = ORDERING;
        const vlen = this.vlen(id);
        for (let i = 0; i < vlen; i++) this.orderType(this.w[this.start[id] + 4 + 3 * i], false);
        if (named) this.emitQueue[this.queued++] = id;
        this.orderState[id] = ORDERED;
        return 1;
      }
      case K_ENUM: case K_ENUM64: case K_FWD:
        if (this.hasName(id) || !this.referenced[id]) this.emitQueue[this.queued++] = id;
        this.orderState[id] = ORDERED;
        return 1;
      case K_TYPEDEF: {
        const strong = this.orderType(this.st(id), throughPtr);
        if (throughPtr && !strong) return 0;
        this.emitQueue[this.queued++] = id;
        this.orderState[id] = ORDERED;
        return 1;
      }
      case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_TYPE_TAG:
        return this.orderType(this.st(id), throughPtr);
      case K_FUNC_PROTO: {
        let strong = this.orderType(this.st(id), throughPtr) > 0;
        const vlen = this.vlen(id);
        for (let i = 0; i < vlen; i++) if (this.orderType(this.w[this.start[id] + 4 + 2 * i], throughPtr) > 0) strong = true;
        return strong ? 1 : 0;
      }
      default: // func, var, datasec, decl_tag
        this.orderState[id] = ORDERED;
        return 0;
    }
  }

  // --- emitting ---------------------------------------------------------------------------

  private isBlacklisted(id: number): boolean {
    return this.name(id) === '__builtin_va_list';
  }

  private emitType(id: number, contId: number): void {
    const es = this.emitState[id];
    if (es === EMITTED) return;
    const k = this.kind(id);
    const topLevel = contId === 0;
    if (es === EMITTING) {
      if (this.fwdEmitted[id]) return;
      if (k === K_STRUCT || k === K_UNION) {
        if (id === contId) return;
        if (!this.hasName(id)) return; // anonymous struct/union loop: nothing sensible to emit
        this.emitStructFwd(id, k);
        this.w_(';\n\n');
        this.fwdEmitted[id] = 1;
      } else if (k === K_TYPEDEF) {
        if (!this.isBlacklisted(id)) {
          this.emitTypedefDef(id, 0);
          this.w_(';\n\n');
        }
        this.fwdEmitted[id] = 1;
      }
      return;
    }
    switch (k) {
      case K_INT:
        this.emitMissingAliases(id);
        this.emitState[id] = EMITTED;
        break;
      case K_ENUM: case K_ENUM64:
        if (topLevel) {
          this.emitEnumDef(id, k, 0);
          this.w_(';\n\n');
        }
        this.emitState[id] = EMITTED;
        break;
      case K_PTR: case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_TYPE_TAG: case K_ARRAY:
        this.emitType(this.next(id, k), contId);
        break;
      case K_FWD:
        this.emitFwdDef(id);
        this.w_(';\n\n');
        this.emitState[id] = EMITTED;
        break;
      case K_TYPEDEF:
        this.emitState[id] = EMITTING;
        this.emitType(this.st(id), id);
        if (!this.fwdEmitted[id] && !this.isBlacklisted(id)) {
          this.emitTypedefDef(id, 0);
          this.w_(';\n\n');
        }
        this.emitState[id] = EMITTED;
        break;
      case K_STRUCT: case K_UNION: {
        this.emitState[id] = EMITTING;
        const named = this.hasName(id);
        if (topLevel || !named) {
          const newCont = named ? id : contId;
          const vlen = this.vlen(id);
          for (let i = 0; i < vlen; i++) this.emitType(this.w[this.start[id] + 4 + 3 * i], newCont);
        } else if (!this.fwdEmitted[id] && id !== contId) {
          this.emitStructFwd(id, k);
          this.w_(';\n\n');
          this.fwdEmitted[id] = 1;
        }
        if (topLevel) {
          this.emitStructDef(id, k, 0);
          this.w_(';\n\n');
          this.emitState[id] = EMITTED;
        } else {
          this.emitState[id] = NOT_EMITTED;
        }
        break;
      }
      case K_FUNC_PROTO: {
        this.emitType(this.st(id), contId);
        const vlen = this.vlen(id);
        for (let i = 0; i < vlen; i++) this.emitType(this.w[this.start[id] + 4 + 2 * i], contId);
        break;
      }
      default:
        break;
    }
  }

  private emitMissingAliases(id: number): void {
    const name = this.typeName(id);
    const alias = MISSING_BASE_TYPES.get(name);
    if (alias) this.w_(`typedef ${alias} ${name};\n\n`);
  }

  // --- sizes and alignment (libbpf's btf__resolve_size / btf__align_of, memoised) ---------

  private sizeOf(id: number): number {
    const c = this.sizeCache[id];
    if (c >= 0) return c;
    const r = this.resolveSize(id);
    this.sizeCache[id] = r;
    return r;
  }

  /** libbpf's btf__resolve_size over the table; 0 where that fails. */
  private resolveSize(id: number): number {
    let nelems = 1;
    for (let depth = 0; depth < 32; depth++) {
      if (!(id >= 0 && id < this.n)) return 0;
      const k = this.kind(id);
      switch (k) {
        case K_INT: case K_ENUM: case K_ENUM64: case K_STRUCT: case K_UNION: case K_DATASEC: case K_FLOAT: {
          const total = nelems * this.st(id);
          return total > 0xffffffff ? 0 : total;
        }
        case K_PTR:
          return nelems * PTR_SIZE > 0xffffffff ? 0 : nelems * PTR_SIZE;
        case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_VAR: case K_DECL_TAG: case K_TYPE_TAG:
          id = this.st(id);
          continue;
        case K_ARRAY:
          nelems *= this.w[this.start[id] + 5];
          if (nelems > 0xffffffff) return 0;
          id = this.next(id, k);
          continue;
        default:
          return 0;
      }
    }
    return 0;
  }

  /** Alignment of any type, memoised: struct layouts ask for each member's, twice. */
  private alignOf(id: number): number {
    const c = this.alignCache[id];
    if (c > 0) return c;
    const r = this.computeAlign(id);
    if (r > 0) this.alignCache[id] = r;
    return r;
  }

  private computeAlign(id: number): number {
    for (let depth = 0; depth < 32; depth++) {
      const k = this.kind(id);
      switch (k) {
        case K_INT: case K_ENUM: case K_ENUM64: case K_FLOAT:
          return Math.min(PTR_SIZE, this.st(id));
        case K_PTR:
          return PTR_SIZE;
        case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_TYPE_TAG: case K_ARRAY:
          id = this.next(id, k);
          continue;
        case K_STRUCT: case K_UNION: {
          let max = 1;
          let packed = false;
          const kf = this.kflag(id);
          const vlen = this.vlen(id);
          for (let i = 0, q = this.start[id] + 3; i < vlen; i++, q += 3) {
            const a = this.alignOf(this.w[q + 1]);
            if (a <= 0) return a;
            if (a > max) max = a;
            const off = this.w[q + 2];
            const bitOffset = kf ? off & 0xffffff : off;
            const bitfieldSize = kf ? off >>> 24 : 0;
            if (bitfieldSize === 0 && bitOffset % (8 * a) !== 0) packed = true;
          }
          return packed || this.st(id) % max !== 0 ? 1 : max;
        }
        default:
          return 0;
      }
    }
    return 0;
  }

  private isStructPacked(id: number): boolean {
    let max = 1;
    const kf = this.kflag(id);
    const vlen = this.vlen(id);
    for (let i = 0, q = this.start[id] + 3; i < vlen; i++, q += 3) {
      const a = this.alignOf(this.w[q + 1]);
      const off = this.w[q + 2];
      const bitOffset = kf ? off & 0xffffff : off;
      const bitfieldSize = kf ? off >>> 24 : 0;
      if (a && bitfieldSize === 0 && bitOffset % (8 * a) !== 0) return true;
      if (a > max) max = a;
    }
    return this.st(id) % max !== 0;
  }

  // --- definitions ------------------------------------------------------------------------

  private emitBitPadding(curOff: number, nextOff: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
    if (curOff >= nextOff) return;
    const pads = PADS;
    let newOff = 0;
    let padBits = 0;
    let padType = '';
    for (let i = 0; i < pads.length; i++) {
      padType = pads[i][0];
      padBits = pads[i][1];
      newOff = roundup(curOff, padBits);
      if (newOff <= nextOff) break;
    }
    if (newOff > curOff && newOff <= nextOff) {
      if (inBitfield || (newOff === nextOff && roundup(curOff, nextAlign * 8) !== newOff) || (newOff !== nextOff && nextOff - newOff <= newOff - curOff)) {
        this.w_(`${nlPfx(lvl)}${padType}: ${inBitfield ? newOff - curOff : 0};`);
      }
      curOff = newOff;
    }
    while (curOff !== nextOff) {
      const bits = Math.min(nextOff - curOff, padBits);
      if (bits === padBits) {
        this.w_(`${nlPfx(lvl)}${padType}: ${padBits};`);
        curOff += bits;
        continue;
      }
      for (let i = pads.length - 1; i >= 0; i--) {
        padType = pads[i][0];
        padBits = pads[i][1];
        if (padBits < bits) continue;
        this.w_(`${nlPfx(lvl)}${padType}: ${bits};`);
        curOff += bits;
        break;
      }
    }
  }

  private emitStructFwd(id: number, k: number): void {
    this.w_(`${k === K_STRUCT ? 'struct' : 'union'}${this.hasName(id) ? ' ' : ''}${this.typeName(id)}`);
  }

  private emitStructDef(id: number, k: number, lvl: number): void {
    const isStruct = k === K_STRUCT;
    const align = this.alignOf(id);
    const packed = isStruct ? this.isStructPacked(id) : false;
    this.w_(`${isStruct ? 'struct' : 'union'}${this.hasName(id) ? ' ' : ''}${this.typeName(id)} {`);
    let off = 0;
    let prevBitfield = false;
    const kf = this.kflag(id);
    const vlen = this.vlen(id);
    const size = this.st(id);
    for (let i = 0; i < vlen; i++) {
      const q = this.start[id] + 3 + 3 * i;
      const mType = this.w[q + 1];
      const raw = this.w[q + 2];
      const mOff = kf ? raw & 0xffffff : raw;
      let mSz = kf ? raw >>> 24 : 0;
      const mAlign = packed ? 1 : this.alignOf(mType);
      const inBitfield = prevBitfield && mSz !== 0;
      this.emitBitPadding(off, mOff, mAlign, inBitfield, lvl + 1);
      this.w_(nlPfx(lvl + 1));
      this.emitTypeDecl(mType, this.tb.str(this.w[q]), lvl + 1);
      if (mSz) {
        this.w_(`: ${mSz}`);
        off = mOff + mSz;
        prevBitfield = true;
      } else {
        mSz = Math.max(0, this.sizeOf(mType));
        off = mOff + mSz * 8;
        prevBitfield = false;
      }
      this.w_(';');
    }
    if (isStruct) this.emitBitPadding(off, size * 8, align, false, lvl + 1);
    if (vlen || size) this.w_(nlPfx(lvl) + '}');
    else this.w_('}');
    if (packed) this.w_(' __attribute__((packed))');
  }

  private emitEnumDef(id: number, k: number, lvl: number): void {
    this.w_(`enum${this.hasName(id) ? ' ' : ''}${this.typeName(id)}`);
    const vlen = this.vlen(id);
    if (vlen === 0) return;
    this.w_(' {');
    const is64 = k === K_ENUM64;
    const signed = this.kflag(id);
    const w = this.w;
    const step = is64 ? 3 : 2;
    let needsWord = true;
    for (let i = 0, q = this.start[id] + 3; i < vlen; i++, q += step) {
      const vname = this.tb.str(w[q]);
      const dup = this.nameDups(this.identNames, vname);
      let val: string;
      if (is64) {
        const lo = w[q + 1];
        const hi = w[q + 2];
        if (hi !== 0) needsWord = false;
        if (signed) {
          // values that fit a double exactly are printed without BigInt
          val = (hi === 0 && lo < 0x80000000) || (hi === 0xffffffff && lo >= 0x80000000) ? `${(hi | 0) * 0x100000000 + lo}LL` : `${BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo))}LL`;
        } else {
          val = hi < 0x200000 ? `${hi * 0x100000000 + lo}ULL` : `${(BigInt(hi) << 32n) | BigInt(lo)}ULL`;
        }
      } else {
        val = signed ? `${w[q + 1] | 0}` : `${w[q + 1]}`;
      }
      this.w_(dup > 1 ? `${nlPfx(lvl + 1)}${vname}___${dup} = ${val},` : `${nlPfx(lvl + 1)}${vname} = ${val},`);
    }
    this.w_(nlPfx(lvl) + '}');
    const size = this.st(id);
    if (size === 1) this.w_(' __attribute__((mode(byte)))');
    else if (size === 8) {
      if (!is64) needsWord = true;
      if (needsWord) this.w_(' __attribute__((mode(word)))');
    }
  }

  private emitFwdDef(id: number): void {
    this.w_(`${this.kflag(id) ? 'union' : 'struct'} ${this.typeName(id)}`);
  }

  private emitTypedefDef(id: number, lvl: number): void {
    const name = this.identName(id);
    const type = this.st(id);
    if (type === 0 && name === '__gnuc_va_list') {
      this.w_('typedef __builtin_va_list __gnuc_va_list');
      return;
    }
    this.w_('typedef ');
    this.emitTypeDecl(type, name, lvl);
  }

  // --- declarations -----------------------------------------------------------------------

  private emitTypeDecl(id: number, fname: string, lvl: number): void {
    // Declarations nest (a function pointer's parameters are declarations), so chains are kept
    // per nesting depth and reused rather than allocated for each member and parameter.
    const decls = (this.declChains[this.declDepth] ??= { ids: [], cnt: 0 });
    let cnt = 0;
    for (let guard = 0; guard < 1024; guard++) {
      decls.ids[cnt++] = id;
      if (id === 0) break;
      const k = this.kind(id);
      if (k === K_PTR || isModifier(k) || k === K_FUNC_PROTO || k === K_ARRAY) id = this.next(id, k);
      else break;
    }
    decls.cnt = cnt;
    this.declDepth++;
    this.emitTypeChain(decls, fname, lvl);
    this.declDepth--;
  }

  private emitMods(decls: DeclChain): void {
    while (decls.cnt) {
      const k = this.kind(decls.ids[decls.cnt - 1]);
      if (k === K_VOLATILE) this.w_('volatile ');
      else if (k === K_CONST) this.w_('const ');
      else if (k === K_RESTRICT) this.w_('restrict ');
      else return;
      decls.cnt--;
    }
  }

  private dropMods(decls: DeclChain): void {
    while (decls.cnt) {
      if (!isModifier(this.kind(decls.ids[decls.cnt - 1]))) return;
      decls.cnt--;
    }
  }

  private emitName(name: string, lastWasPtr: boolean): void {
    this.w_(name && !lastWasPtr ? ' ' + name : name);
  }

  private emitTypeChain(decls: DeclChain, fname: string, lvl: number): void {
    let lastWasPtr = true;
    while (decls.cnt) {
      const id = decls.ids[--decls.cnt];
      if (id === 0) {
        this.emitMods(decls);
        this.w_('void');
        lastWasPtr = false;
        continue;
      }
      const k = this.kind(id);
      switch (k) {
        case K_INT: case K_FLOAT:
          this.emitMods(decls);
          this.w_(this.name(id));
          break;
        case K_STRUCT: case K_UNION:
          this.emitMods(decls);
          if (!this.hasName(id)) this.emitStructDef(id, k, lvl);
          else this.emitStructFwd(id, k);
          break;
        case K_ENUM: case K_ENUM64:
          this.emitMods(decls);
          if (!this.hasName(id)) this.emitEnumDef(id, k, lvl);
          else this.w_(`enum ${this.typeName(id)}`);
          break;
        case K_FWD:
          this.emitMods(decls);
          this.emitFwdDef(id);
          break;
        case K_TYPEDEF:
          this.emitMods(decls);
          this.w_(this.identName(id));
          break;
        case K_PTR:
          this.w_(lastWasPtr ? '*' : ' *');
          break;
        case K_VOLATILE:
          this.w_(' volatile');
          break;
        case K_CONST:
          this.w_(' const');
          break;
        case K_RESTRICT:
          this.w_(' restrict');
          break;
        case K_TYPE_TAG:
          this.emitMods(decls);
          this.w_(this.kflag(id) ? ` __attribute__((${this.name(id)}))` : ` __attribute__((btf_type_tag("${this.name(id)}")))`);
          break;
        case K_ARRAY: {
          const nelems = this.w[this.start[id] + 5];
          this.dropMods(decls);
          if (decls.cnt === 0) {
            this.emitName(fname, lastWasPtr);
            this.w_(`[${nelems}]`);
            return;
          }
          const multidim = this.kind(decls.ids[decls.cnt - 1]) === K_ARRAY;
          if (fname && !lastWasPtr) this.w_(' ');
          if (!multidim) this.w_('(');
          this.emitTypeChain(decls, fname, lvl);
          if (!multidim) this.w_(')');
          this.w_(`[${nelems}]`);
          return;
        }
        case K_FUNC_PROTO: {
          this.dropMods(decls);
          if (decls.cnt) {
            this.w_(' (');
            this.emitTypeChain(decls, fname, lvl);
            this.w_(')');
          } else {
            this.emitName(fname, lastWasPtr);
          }
          this.w_('(');
          const vlen = this.vlen(id);
          const p0 = this.start[id] + 3;
          if (vlen === 0 || (vlen === 1 && this.w[p0 + 1] === 0)) {
            this.w_('void)');
            return;
          }
          for (let i = 0; i < vlen; i++) {
            if (i > 0) this.w_(', ');
            const pType = this.w[p0 + 2 * i + 1];
            if (i === vlen - 1 && pType === 0) {
              this.w_('...');
              break;
            }
            this.emitTypeDecl(pType, this.tb.str(this.w[p0 + 2 * i]), lvl);
          }
          this.w_(')');
          return;
        }
        default:
          return;
      }
      lastWasPtr = k === K_PTR;
    }
    this.emitName(fname, lastWasPtr);
  }

  // --- names ------------------------------------------------------------------------------

  private nameDups(map: Map<string, number>, name: string): number {
    const n = (map.get(name) ?? 0) + 1;
    map.set(name, n);
    return n;
  }

  private resolveName(id: number, map: Map<string, number>): string {
    const name = this.name(id);
    if (name === '') return '';
    if (this.nameResolved[id]) return this.cachedNames[id] ?? name;
    this.nameResolved[id] = 1;
    const k = this.kind(id);
    if (k === K_FWD || (k === K_ENUM && this.vlen(id) === 0)) return name;
    const dup = this.nameDups(map, name);
    if (dup > 1) this.cachedNames[id] = `${name}___${dup}`;
    return this.cachedNames[id] ?? name;
  }

  private typeName(id: number): string {
    return this.resolveName(id, this.typeNames);
  }

  private identName(id: number): string {
    return this.resolveName(id, this.identNames);
  }
}

function roundup(x: number, y: number): number {
  return Math.ceil(x / y) * y;
}

/** GCC's internal ARM SIMD polynomial types, aliased to standard integer types. */
const MISSING_BASE_TYPES = new Map([
  ['__Poly8_t', 'unsigned char'],
  ['__Poly16_t', 'unsigned short'],
  ['__Poly64_t', 'unsigned long long'],
  ['__Poly128_t', 'unsigned __int128'],
]);

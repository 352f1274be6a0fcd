// BTF → C header (vmlinux.h), as `bpftool btf dump file PATH format c` writes it. The ordering
// follows libbpf's btf_dump.c: a topological sort in which a type embedded by value must be
// defined first (strong link) while one reached through a named pointer only needs a forward
// declaration (weak link); anonymous types are defined inline; duplicate names get ___N suffixes.
import { constants, isAscii } from 'node:buffer';
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
/** Deepest indentation written; deeper nesting is written at this depth. */
const MAX_INDENT = 64;
/** Explicit padding types, widest first (libbpf's btf_dump_emit_bit_padding). */
const PADS: readonly (readonly [string, number])[] = [['long', PTR_SIZE * 8], ['int', 32], ['short', 16], ['char', 8]];
/** Name-uniqueness namespaces (libbpf's type_names and ident_names). */
const TYPE_NS = 0;
const IDENT_NS = 1;

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

/**
 * Counts names by their text, in two namespaces, keyed by string-table offset: an open-addressing
 * hash over the table's bytes, so no string is made to count one (equal text at different offsets
 * is one name).
 */
class NameCounts {
  private readonly sb: Uint8Array;
  /** Offset of each slot's name; 0: the slot is free (offset 0 is the empty name, counted apart). */
  private keys: Int32Array;
  private hashes: Int32Array;
  private counts: [Int32Array, Int32Array];
  private used = 0;
  private readonly emptyCounts = [0, 0];

  constructor(sb: Uint8Array, expected: number) {
    this.sb = sb;
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.keys = new Int32Array(cap);
    this.hashes = new Int32Array(cap);
    this.counts = [new Int32Array(cap), new Int32Array(cap)];
  }

  /** Counts one more use of the name at `off` in namespace `ns`; returns the uses so far. */
  add(ns: number, off: number): number {
    const sb = this.sb;
    const end = sb.length;
    if (off === 0 || off >= end || sb[off] === 0) return ++this.emptyCounts[ns];
    let h = 0x811c9dc5;
    for (let i = off; i < end; i++) {
      const b = sb[i];
      if (b === 0) break;
      h = Math.imul(h ^ b, 0x01000193);
    }
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const k = keys[slot];
      if (k === 0) {
        keys[slot] = off;
        this.hashes[slot] = h;
        this.counts[ns][slot] = 1;
        if (++this.used * 2 > keys.length) this.grow();
        return 1;
      }
      if (this.hashes[slot] === h && (k === off || sameText(sb, k, off))) return ++this.counts[ns][slot];
    }
  }

  private grow(): void {
    const { keys, hashes, counts } = this;
    const cap = keys.length * 2;
    const mask = cap - 1;
    this.keys = new Int32Array(cap);
    this.hashes = new Int32Array(cap);
    this.counts = [new Int32Array(cap), new Int32Array(cap)];
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === 0) continue;
      let slot = hashes[i] & mask;
      while (this.keys[slot] !== 0) slot = (slot + 1) & mask;
      this.keys[slot] = keys[i];
      this.hashes[slot] = hashes[i];
      this.counts[0][slot] = counts[0][i];
      this.counts[1][slot] = counts[1][i];
    }
  }
}

/** Whether the NUL-terminated strings at `a` and `b` have the same bytes. */
function sameText(sb: Uint8Array, a: number, b: number): boolean {
  const end = sb.length;
  for (;;) {
    const x = a < end ? sb[a] : 0;
    const y = b < end ? sb[b] : 0;
    if (x !== y) return false;
    if (x === 0) return true;
    a++;
    b++;
  }
}

/** A declaration's type chain, outermost first; `cnt` entries remain to be written. */
interface DeclChain {
  ids: number[];
  cnt: number;
}

const isModifier = (k: number) => k === K_VOLATILE || k === K_CONST || k === K_RESTRICT || k === K_TYPE_TAG;

/**
 * Works on the raw table (kinds and fields read from 32-bit words): walking ~130k kernel types
 * through one object each cost more in allocation and megamorphic property reads than the dump
 * itself. Output goes into one growing byte buffer, names copied straight from the string table:
 * joining millions of small strings, and the garbage they left, cost more than the walk.
 */
class CDumper {
  /**
   * The string table (bytes 0 to `base`), then the output so far (`base` to `p`): names are copied
   * within the one buffer, natively and without a view object per name.
   */
  private o: Uint8Array;
  private p: number;
  private readonly base: number;
  /** Whether the string table, and so the output, is ASCII (else names are UTF-8). */
  private readonly ascii: boolean;
  /** The string table, addressed by name offset. */
  private readonly sb: Uint8Array;
  private readonly btf: Btf;
  private readonly tb: BtfTable;
  private readonly w: Uint32Array;
  private readonly start: Int32Array;
  private readonly n: number;
  private readonly orderState: Uint8Array;
  private readonly emitState: Uint8Array;
  private readonly fwdEmitted: Uint8Array;
  private readonly referenced: Uint8Array;
  /** Per id: 0 until its name is resolved, then its duplicate number (>1 adds a ___N suffix). */
  private readonly dupOf: Int32Array;
  private readonly names: NameCounts;
  /** Types to emit after ordering one type: the first `queued` entries (reused, not reallocated). */
  private readonly emitQueue: number[] = [];
  private queued = 0;
  private readonly declChains: DeclChain[] = [];
  /** Per type id, a declaration's text before the name, once written: where it is in `o`, and its length times 2 plus 1 if it ends in `*` (0: not yet written). */
  private readonly declPos: Int32Array;
  private readonly declSpan: Int32Array;
  /** Whether the last declaration written ended in a pointer (no space before its name). */
  private lastWasPtr = false;
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
    this.dupOf = new Int32Array(n);
    this.declPos = new Int32Array(n);
    this.declSpan = new Int32Array(n);
    this.sb = tb.stringBytes();
    this.ascii = isAscii(this.sb);
    this.names = new NameCounts(this.sb, Math.min(n, 1 << 20));
    this.base = this.sb.length;
    this.p = this.base;
    this.o = new Uint8Array(this.base + Math.max(1 << 16, tb.w.length * 4));
    this.o.set(this.sb);
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
    return this.hasStr(this.start[id] < 0 ? 0 : this.w[this.start[id]]);
  }
  /** Whether the string at a name offset is non-empty. */
  private hasStr(off: number): boolean {
    return off !== 0 && off < this.sb.length && this.sb[off] !== 0;
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

  // --- output -----------------------------------------------------------------------------

  /** Makes room for `n` more bytes. */
  private room(n: number): void {
    if (this.p + n > this.o.length) this.grow(n);
  }

  private grow(n: number): void {
    let cap = this.o.length * 2;
    while (cap < this.p + n) cap *= 2;
    // Past what one string holds, the header could not be returned anyway.
    if (this.p + n - this.base > constants.MAX_STRING_LENGTH) throw new RangeError('output longer than a string can be');
    const o = new Uint8Array(cap);
    o.set(this.o.subarray(0, this.p));
    this.o = o;
  }

  /** Appends ASCII text. */
  w_(s: string): void {
    const n = s.length;
    this.room(n);
    const o = this.o;
    let p = this.p;
    for (let i = 0; i < n; i++) o[p++] = s.charCodeAt(i);
    this.p = p;
  }

  /** Appends one ASCII character, by code. */
  private ch(c: number): void {
    this.room(1);
    this.o[this.p++] = c;
  }

  /** Appends a non-negative integer below 2^53, or a negative one above -2^53. */
  private num(v: number): void {
    this.room(17);
    const o = this.o;
    if (v < 0) {
      o[this.p++] = 0x2d;
      v = -v;
    }
    if (v < 10) {
      o[this.p++] = 0x30 + v;
      return;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.p + digits;
    this.p = p;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      o[--p] = 0x30 + (v - q * 10);
      v = q;
    }
    o[--p] = 0x30 + v;
  }

  /** Appends the string at a name offset, bytes as they are. */
  private str(off: number): void {
    if (off === 0) return;
    const base = this.base;
    let end = this.o.indexOf(0, off);
    if (end < 0 || end > base) end = base;
    const len = end - off;
    if (len <= 0) return;
    this.room(len);
    this.o.copyWithin(this.p, off, end);
    this.p += len;
  }

  /** Appends a name and its ___N suffix when `dup` > 1. */
  private strDup(off: number, dup: number): void {
    this.str(off);
    if (dup > 1) {
      this.w_('___');
      this.num(dup);
    }
  }

  /** A new line and the indentation of nesting level `lvl`, written before every member and enumerator. */
  private nl(lvl: number): void {
    if (lvl > MAX_INDENT) lvl = MAX_INDENT;
    this.room(lvl + 1);
    const o = this.o;
    let p = this.p;
    o[p++] = 0x0a;
    for (let i = 0; i < lvl; i++) o[p++] = 0x09;
    this.p = p;
  }

  result(): string {
    const out = Buffer.from(this.o.buffer, this.o.byteOffset + this.base, this.p - this.base);
    return out.toString(this.ascii ? 'latin1' : 'utf8');
  }

  dumpType(id: number): void {
    this.queued = 0;
    this.orderType(id, false);
    for (let i = 0; i < this.queued; i++) this.emitType(this.emitQueue[i], 0);
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
    if (this.typeDup(id) > 1 || !this.hasName(id)) return;
    const name = this.name(id);
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
        this.padLine(lvl, padType, inBitfield ? newOff - curOff : 0);
      }
      curOff = newOff;
    }
    while (curOff !== nextOff) {
      const bits = Math.min(nextOff - curOff, padBits);
      if (bits === padBits) {
        this.padLine(lvl, padType, padBits);
        curOff += bits;
        continue;
      }
      for (let i = pads.length - 1; i >= 0; i--) {
        padType = pads[i][0];
        padBits = pads[i][1];
        if (padBits < bits) continue;
        this.padLine(lvl, padType, bits);
        curOff += bits;
        break;
      }
    }
  }

  private padLine(lvl: number, padType: string, bits: number): void {
    this.nl(lvl);
    this.w_(padType);
    this.w_(': ');
    this.num(bits);
    this.ch(0x3b);
  }

  /** `struct NAME`, `union NAME`, or the keyword alone for an anonymous one. */
  private emitStructFwd(id: number, k: number): void {
    this.w_(k === K_STRUCT ? 'struct' : 'union');
    if (this.hasName(id)) {
      this.ch(0x20);
      this.typeName(id);
    }
  }

  private emitStructDef(id: number, k: number, lvl: number): void {
    const isStruct = k === K_STRUCT;
    const align = this.alignOf(id);
    const packed = isStruct ? this.isStructPacked(id) : false;
    this.emitStructFwd(id, k);
    this.w_(' {');
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
      this.nl(lvl + 1);
      this.emitTypeDecl(mType, this.w[q], 0, lvl + 1);
      if (mSz) {
        this.w_(': ');
        this.num(mSz);
        off = mOff + mSz;
        prevBitfield = true;
      } else {
        mSz = Math.max(0, this.sizeOf(mType));
        off = mOff + mSz * 8;
        prevBitfield = false;
      }
      this.ch(0x3b);
    }
    if (isStruct) this.emitBitPadding(off, size * 8, align, false, lvl + 1);
    if (vlen || size) this.nl(lvl);
    this.ch(0x7d);
    if (packed) this.w_(' __attribute__((packed))');
  }

  private emitEnumDef(id: number, k: number, lvl: number): void {
    this.w_('enum');
    if (this.hasName(id)) {
      this.ch(0x20);
      this.typeName(id);
    }
    const vlen = this.vlen(id);
    if (vlen === 0) return;
    this.w_(' {');
    const is64 = k === K_ENUM64;
    const signed = this.kflag(id);
    const w = this.w;
    const step = is64 ? 3 : 2;
    let needsWord = true;
    for (let i = 0, q = this.start[id] + 3; i < vlen; i++, q += step) {
      const vname = w[q];
      this.nl(lvl + 1);
      this.strDup(vname, this.names.add(IDENT_NS, vname));
      this.w_(' = ');
      if (is64) {
        const lo = w[q + 1];
        const hi = w[q + 2];
        if (hi !== 0) needsWord = false;
        if (signed) {
          // values that fit a double exactly are printed without BigInt
          if ((hi === 0 && lo < 0x80000000) || (hi === 0xffffffff && lo >= 0x80000000)) this.num((hi | 0) * 0x100000000 + lo);
          else this.w_(`${BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo))}`);
          this.w_('LL,');
        } else {
          if (hi < 0x200000) this.num(hi * 0x100000000 + lo);
          else this.w_(`${(BigInt(hi) << 32n) | BigInt(lo)}`);
          this.w_('ULL,');
        }
      } else {
        this.num(signed ? w[q + 1] | 0 : w[q + 1]);
        this.ch(0x2c);
      }
    }
    this.nl(lvl);
    this.ch(0x7d);
    const size = this.st(id);
    if (size === 1) this.w_(' __attribute__((mode(byte)))');
    else if (size === 8) {
      if (!is64) needsWord = true;
      if (needsWord) this.w_(' __attribute__((mode(word)))');
    }
  }

  private emitFwdDef(id: number): void {
    this.w_(this.kflag(id) ? 'union ' : 'struct ');
    this.typeName(id);
  }

  private emitTypedefDef(id: number, lvl: number): void {
    const dup = this.identDup(id);
    const type = this.st(id);
    if (type === 0 && dup <= 1 && this.name(id) === '__gnuc_va_list') {
      this.w_('typedef __builtin_va_list __gnuc_va_list');
      return;
    }
    this.w_('typedef ');
    this.emitTypeDecl(type, this.nameOffOf(id), dup, lvl);
  }

  // --- declarations -----------------------------------------------------------------------

  /** Writes a declaration of `id` named by the string at `fname` (with its ___`fdup` suffix). */
  private emitTypeDecl(id: number, fname: number, fdup: number, lvl: number): void {
    // Declarations nest (a function pointer's parameters are declarations), so chains are kept
    // per nesting depth and reused rather than allocated for each member and parameter.
    const span = id >= 0 && id < this.n ? this.declSpan[id] : 0;
    if (span !== 0) {
      const from = this.declPos[id];
      const len = span >>> 1;
      if (this.p + len > this.o.length) this.grow(len);
      this.o.copyWithin(this.p, from, from + len);
      this.p += len;
      this.emitName(fname, fdup, (span & 1) === 1);
      return;
    }
    const decls = (this.declChains[this.declDepth] ??= { ids: [], cnt: 0 });
    const first = id;
    let cnt = 0;
    // Whether the text before the name depends on the type alone (no array or function
    // declarator around the name, no anonymous type defined in place): then it is written once
    // and copied for every later declaration of the type.
    let reusable = true;
    let ended = false;
    for (let guard = 0; guard < 1024; guard++) {
      decls.ids[cnt++] = id;
      if (id === 0) {
        ended = true;
        break;
      }
      const k = this.kind(id);
      if (k === K_PTR || isModifier(k)) id = this.next(id, k);
      else if (k === K_FUNC_PROTO || k === K_ARRAY) {
        reusable = false;
        id = this.next(id, k);
      } else {
        ended = true;
        if (!(k === K_INT || k === K_FLOAT || k === K_FWD || k === K_TYPEDEF ||
          ((k === K_STRUCT || k === K_UNION || k === K_ENUM || k === K_ENUM64) && this.hasName(id)))) reusable = false;
        break;
      }
    }
    if (!ended) reusable = false;
    decls.cnt = cnt;
    this.declDepth++;
    if (reusable) {
      const from = this.p;
      this.emitTypeChain(decls, 0, 0, lvl);
      const lastWasPtr = this.lastWasPtr;
      this.declPos[first] = from;
      this.declSpan[first] = ((this.p - from) << 1) | (lastWasPtr ? 1 : 0);
      this.emitName(fname, fdup, lastWasPtr);
    } else {
      this.emitTypeChain(decls, fname, fdup, lvl);
    }
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

  private emitName(fname: number, fdup: number, lastWasPtr: boolean): void {
    if (!this.hasStr(fname)) return;
    if (!lastWasPtr) this.ch(0x20);
    this.strDup(fname, fdup);
  }

  private emitTypeChain(decls: DeclChain, fname: number, fdup: number, lvl: number): void {
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
          this.str(this.nameOffOf(id));
          break;
        case K_STRUCT: case K_UNION:
          this.emitMods(decls);
          if (!this.hasName(id)) this.emitStructDef(id, k, lvl);
          else this.emitStructFwd(id, k);
          break;
        case K_ENUM: case K_ENUM64:
          this.emitMods(decls);
          if (!this.hasName(id)) this.emitEnumDef(id, k, lvl);
          else {
            this.w_('enum ');
            this.typeName(id);
          }
          break;
        case K_FWD:
          this.emitMods(decls);
          this.emitFwdDef(id);
          break;
        case K_TYPEDEF:
          this.emitMods(decls);
          this.identName(id);
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
          if (this.kflag(id)) {
            this.w_(' __attribute__((');
            this.str(this.nameOffOf(id));
            this.w_('))');
          } else {
            this.w_(' __attribute__((btf_type_tag("');
            this.str(this.nameOffOf(id));
            this.w_('")))');
          }
          break;
        case K_ARRAY: {
          const nelems = this.w[this.start[id] + 5];
          this.dropMods(decls);
          if (decls.cnt === 0) {
            this.emitName(fname, fdup, lastWasPtr);
            this.dim(nelems);
            return;
          }
          const multidim = this.kind(decls.ids[decls.cnt - 1]) === K_ARRAY;
          if (this.hasStr(fname) && !lastWasPtr) this.ch(0x20);
          if (!multidim) this.ch(0x28);
          this.emitTypeChain(decls, fname, fdup, lvl);
          if (!multidim) this.ch(0x29);
          this.dim(nelems);
          return;
        }
        case K_FUNC_PROTO: {
          this.dropMods(decls);
          if (decls.cnt) {
            this.w_(' (');
            this.emitTypeChain(decls, fname, fdup, lvl);
            this.ch(0x29);
          } else {
            this.emitName(fname, fdup, lastWasPtr);
          }
          this.ch(0x28);
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
            this.emitTypeDecl(pType, this.w[p0 + 2 * i], 0, lvl);
          }
          this.ch(0x29);
          return;
        }
        default:
          return;
      }
      lastWasPtr = k === K_PTR;
    }
    this.lastWasPtr = lastWasPtr;
    this.emitName(fname, fdup, lastWasPtr);
  }

  /** `[N]` of an array declarator. */
  private dim(nelems: number): void {
    this.ch(0x5b);
    this.num(nelems);
    this.ch(0x5d);
  }

  // --- names ------------------------------------------------------------------------------

  private nameOffOf(id: number): number {
    return this.start[id] < 0 ? 0 : this.w[this.start[id]];
  }

  /**
   * The duplicate number of a type's name in a namespace, counted on first use: the Nth distinct
   * type to use a name is written NAME___N. Forward declarations and empty enums share the name of
   * what they declare and are not counted; anonymous types have no name to count (0).
   */
  private resolveDup(id: number, ns: number): number {
    const d = this.dupOf[id];
    if (d !== 0) return d;
    if (!this.hasName(id)) return 0;
    const k = this.kind(id);
    const dup = k === K_FWD || (k === K_ENUM && this.vlen(id) === 0) ? 1 : this.names.add(ns, this.nameOffOf(id));
    this.dupOf[id] = dup;
    return dup;
  }

  private typeDup(id: number): number {
    return this.resolveDup(id, TYPE_NS);
  }

  private identDup(id: number): number {
    return this.resolveDup(id, IDENT_NS);
  }

  /** Writes a type's unique name in the type namespace (struct, union, enum tags). */
  private typeName(id: number): void {
    this.strDup(this.nameOffOf(id), this.typeDup(id));
  }

  /** Writes a type's unique name in the identifier namespace (typedefs). */
  private identName(id: number): void {
    this.strDup(this.nameOffOf(id), this.identDup(id));
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

// The Btf object: decoded types with lookups by id, name and kind, and the layout questions
// (size, alignment, member offsets) that map definitions and CO-RE need answered.
import { ParseError } from '../sys/errors.js';
import { StringTable, type BtfHeader } from './decode.js';
import { encodeTypes } from './encode.js';
import { BtfTable } from './table.js';
import type { BtfKind, BtfMember, BtfType, BtfTypeOf } from './types.js';

/** How deep typedef/modifier chains may go before the BTF is considered looping (libbpf uses 32). */
export const MAX_RESOLVE_DEPTH = 32;
const PTR_SIZE = 8;

export interface BtfOptions {
  file?: string;
  /** The base BTF when `buf` is split BTF (a kernel module's BTF over vmlinux). */
  base?: Btf;
}

/** Where a member lives inside a type, as found by `Btf.memberByPath`. */
export interface MemberLocation {
  /** Offset from the start of the outer type, in bits. */
  bitOffset: number;
  /** Bitfield width, 0 for an ordinary member. */
  bitfieldSize: number;
  /** Type id of the member (unresolved: may be a typedef or modifier). */
  type: number;
}

function btfError(file: string | undefined, reason: string): ParseError {
  return new ParseError(`BTF: ${reason}`, { file, line: 1, column: 1 });
}

/**
 * A BTF type graph. One decoded from bytes keeps them as a compact table and makes a type object
 * only when that type is asked for; `types` makes them all. Type objects are shared and must not
 * be modified: derive a new Btf instead (as sanitizing and DATASEC fix-ups do).
 */
export class Btf {
  readonly base: Btf | undefined;
  /** Id of the first own type (1 for base BTF: void is 0; base.typeCount for split BTF). */
  readonly firstId: number;
  /** This object's own string table (for split BTF, offsets continue after the base's table). */
  readonly strings: Uint8Array;
  readonly littleEndian: boolean;
  readonly header: BtfHeader | undefined;
  readonly file: string | undefined;
  private byName: Map<string, number[]> | undefined;
  private alignCache: Int32Array | undefined;
  /** All own types, once made (index 0 is void for a base BTF). */
  private all: BtfType[] | undefined;
  /** Types made one at a time from `raw`, by own index. */
  private made: (BtfType | undefined)[] | undefined;
  private raw: BtfTable | undefined;
  /** Number of own types (with void for a base BTF). */
  private readonly ownCount: number;

  constructor(types: readonly BtfType[], opts: { base?: Btf; strings?: Uint8Array; littleEndian?: boolean; header?: BtfHeader; file?: string; table?: BtfTable } = {}) {
    this.base = opts.base;
    this.firstId = opts.base ? opts.base.typeCount : 1;
    this.strings = opts.strings ?? new Uint8Array([0]);
    this.littleEndian = opts.littleEndian ?? true;
    this.header = opts.header;
    this.file = opts.file;
    if (opts.table) {
      this.raw = opts.table;
      this.ownCount = opts.table.count - (opts.base ? this.firstId : 0);
      this.made = new Array(this.ownCount);
      return;
    }
    this.all = types as BtfType[];
    this.ownCount = types.length;
    if (!opts.base && (types.length === 0 || types[0].kind !== 'void')) {
      throw new TypeError('a base Btf starts with the void type at index 0');
    }
  }

  /** Decodes raw BTF bytes (a .BTF section or /sys/kernel/btf/*): checked now, types made on use. */
  static fromBuffer(buf: Uint8Array, opts: BtfOptions = {}): Btf {
    const base = opts.base;
    const table = new BtfTable(buf, {
      file: opts.file,
      baseTypeCount: base ? base.typeCount : undefined,
      baseStrings: base ? base.allStrings() : undefined,
    });
    return new Btf([], { base, strings: table.strings.bytes, littleEndian: table.header.littleEndian, header: table.header, file: opts.file, table });
  }

  /** This object's own types; `types[i]` has id `firstId + i` (plus void at index 0 for a base BTF). */
  get types(): readonly BtfType[] {
    if (!this.all) {
      const shift = this.base ? this.firstId : 0;
      const out: BtfType[] = new Array(this.ownCount);
      for (let i = 0; i < this.ownCount; i++) out[i] = this.made![i] ?? this.raw!.decode(i + shift);
      this.all = out;
      this.made = undefined;
    }
    return this.all;
  }

  /**
   * All types (the base's too) as a raw table, for code that walks every type and wants no
   * objects (the C dump). Built by encoding when this Btf was not decoded from bytes.
   */
  table(): BtfTable {
    if (!this.raw || this.base) {
      if (!this.tableCache) {
        const all: BtfType[] = [];
        for (let id = 1; id < this.typeCount; id++) all.push(this.type(id));
        this.tableCache = new BtfTable(encodeTypes(all, { strings: this.allStrings(), littleEndian: true }), { file: this.file });
      }
      return this.tableCache;
    }
    return this.raw;
  }
  private tableCache: BtfTable | undefined;

  /** The concatenated string table of the base chain and this object (offsets as split BTF uses them). */
  allStrings(): Uint8Array {
    if (!this.base) return this.strings;
    if (!this.allStringsCache) {
      const b = this.base.allStrings();
      const out = new Uint8Array(b.length + this.strings.length);
      out.set(b);
      out.set(this.strings, b.length);
      this.allStringsCache = out;
    }
    return this.allStringsCache;
  }
  private allStringsCache: Uint8Array | undefined;

  /** Number of type ids (including void and the base's types): valid ids are 0 … typeCount-1. */
  get typeCount(): number {
    return this.base ? this.firstId + this.ownCount : this.ownCount;
  }

  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.typeCount;
  }

  /** The type with this id; throws a ParseError naming the id when it does not exist. */
  type(id: number): BtfType {
    const t = this.typeOrUndefined(id);
    if (t === undefined) throw btfError(this.file, `type id ${id} does not exist (${this.typeCount} types)`);
    return t;
  }

  typeOrUndefined(id: number): BtfType | undefined {
    let i = id;
    if (this.base) {
      if (id < this.firstId) return this.base.typeOrUndefined(id);
      i = id - this.firstId;
    }
    if (!(i >= 0 && i < this.ownCount)) return undefined;
    if (this.all) return this.all[i];
    let t = this.made![i];
    if (t === undefined) {
      t = this.raw!.decode(id);
      this.made![i] = t;
    }
    return t;
  }

  /** A type's name without making its object. */
  private nameOf(id: number): string {
    if (this.base && id < this.firstId) return this.base.nameOf(id);
    if (this.raw && !this.all) return this.raw.name(id);
    return this.type(id).name;
  }

  /** Types of one kind, checked: throws a ParseError when the id names a type of another kind. */
  typeOf<K extends BtfKind>(id: number, kind: K): BtfTypeOf<K> {
    const t = this.type(id);
    if (t.kind !== kind) throw btfError(this.file, `type ${id} is ${t.kind}, expected ${kind}`);
    return t as BtfTypeOf<K>;
  }

  *[Symbol.iterator](): IterableIterator<BtfType> {
    if (this.base) yield* this.base;
    yield* this.types;
  }

  private nameIndex(): Map<string, number[]> {
    if (!this.byName) {
      const m = new Map<string, number[]>();
      for (let id = 1; id < this.typeCount; id++) {
        const name = this.nameOf(id);
        if (!name) continue;
        const l = m.get(name);
        if (l) l.push(id);
        else m.set(name, [id]);
      }
      this.byName = m;
    }
    return this.byName;
  }

  /** All types with this name (and kind, if given), in id order. */
  findAll(name: string, kind?: BtfKind): BtfType[] {
    const ids = this.nameIndex().get(name) ?? [];
    const out: BtfType[] = [];
    for (const id of ids) {
      const t = this.type(id);
      if (kind === undefined || t.kind === kind) out.push(t);
    }
    return out;
  }

  /** The first type with this name (and kind, if given). */
  find(name: string, kind?: BtfKind): BtfType | undefined {
    return this.findAll(name, kind)[0];
  }

  /** Names in the index (for candidate searches). */
  names(): IterableIterator<string> {
    return this.nameIndex().keys();
  }

  /** Follows const/volatile/restrict/type_tag to the first other type. */
  skipModifiers(id: number): number {
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      const t = this.type(id);
      if (t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict' && t.kind !== 'type_tag') return id;
      id = t.type;
    }
    throw btfError(this.file, `modifier chain from type ${id} is too deep or loops`);
  }

  /** Follows modifiers and typedefs to the underlying type. */
  resolve(id: number): number {
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      const t = this.type(id);
      if (t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict' && t.kind !== 'type_tag' && t.kind !== 'typedef') return id;
      id = t.type;
    }
    throw btfError(this.file, `typedef chain from type ${id} is too deep or loops`);
  }

  resolveType(id: number): BtfType {
    return this.type(this.resolve(id));
  }

  /** Size in bytes of a value of this type (libbpf's btf__resolve_size). */
  sizeof(id: number): number {
    let nelems = 1;
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      const t = this.type(id);
      let size: number | undefined;
      switch (t.kind) {
        case 'int': case 'enum': case 'enum64': case 'struct': case 'union': case 'datasec': case 'float':
          size = t.size;
          break;
        case 'ptr':
          size = PTR_SIZE;
          break;
        case 'typedef': case 'volatile': case 'const': case 'restrict': case 'var': case 'decl_tag': case 'type_tag':
          id = t.type;
          continue;
        case 'array':
          nelems *= t.nelems;
          if (nelems > 0xffffffff) throw btfError(this.file, `array type ${t.id} is too large`);
          id = t.type;
          continue;
        default:
          throw btfError(this.file, `type ${t.id} (${t.kind}) has no size`);
      }
      const total = nelems * size;
      if (total > 0xffffffff) throw btfError(this.file, `type ${id} is too large`);
      return total;
    }
    throw btfError(this.file, `type chain from ${id} is too deep or loops`);
  }

  /** Alignment in bytes (libbpf's btf__align_of); 1 for packed structs. */
  alignof(id: number): number {
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      const t = this.type(id);
      switch (t.kind) {
        case 'int': case 'enum': case 'enum64': case 'float':
          return Math.min(PTR_SIZE, t.size) || 1;
        case 'ptr':
          return PTR_SIZE;
        case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
          id = t.type;
          continue;
        case 'array':
          id = t.type;
          continue;
        case 'struct': case 'union':
          return this.compositeAlign(t, depth);
        default:
          throw btfError(this.file, `type ${t.id} (${t.kind}) has no alignment`);
      }
    }
    throw btfError(this.file, `type chain from ${id} is too deep or loops`);
  }

  private compositeAlign(t: BtfTypeOf<'struct' | 'union'>, depth: number): number {
    if (!this.alignCache) this.alignCache = new Int32Array(this.typeCount);
    const cached = this.alignCache[t.id];
    if (cached > 0) return cached;
    if (cached < 0 || depth >= MAX_RESOLVE_DEPTH) throw btfError(this.file, `struct ${t.id} contains itself`);
    this.alignCache[t.id] = -1;
    let max = 1;
    let packed = false;
    for (const m of t.members) {
      const a = this.alignof(m.type);
      if (a > max) max = a;
      if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) packed = true;
    }
    if (t.size % max !== 0) packed = true;
    const r = packed ? 1 : max;
    this.alignCache[t.id] = r;
    return r;
  }

  /**
   * Finds a member by a C-like path: `a.b[3].c`, where anonymous struct/union members are
   * searched through as C does.
   */
  memberByPath(id: number, path: string): MemberLocation {
    const parts = path.match(/[A-Za-z_][A-Za-z0-9_]*|\[\d+\]/g);
    if (!parts || parts.join('').replace(/\./g, '') !== path.replace(/\./g, '')) {
      throw btfError(this.file, `bad member path '${path}'`);
    }
    let cur = id;
    let bitOffset = 0;
    let bitfieldSize = 0;
    for (const p of parts) {
      const t = this.resolveType(cur);
      if (p.startsWith('[')) {
        const idx = Number(p.slice(1, -1));
        if (t.kind === 'array') {
          bitOffset += idx * this.sizeof(t.type) * 8;
          cur = t.type;
        } else if (t.kind === 'ptr') {
          throw btfError(this.file, `'${path}': indexing through a pointer is not a member access`);
        } else {
          throw btfError(this.file, `'${path}': ${t.kind} ${t.name || '(anon)'} is not an array`);
        }
        bitfieldSize = 0;
        continue;
      }
      if (t.kind !== 'struct' && t.kind !== 'union') {
        throw btfError(this.file, `'${path}': ${t.kind} ${t.name || '(anon)'} has no member '${p}'`);
      }
      const found = this.findMember(t, p, 0);
      if (!found) throw btfError(this.file, `'${path}': ${t.kind} ${t.name || '(anon)'} has no member '${p}'`);
      bitOffset += found.bitOffset;
      bitfieldSize = found.member.bitfieldSize;
      cur = found.member.type;
    }
    return { bitOffset, bitfieldSize, type: cur };
  }

  /** A named member of a struct/union, looking inside anonymous members; offset relative to `t`. */
  findMember(t: BtfTypeOf<'struct' | 'union'>, name: string, depth = 0): { member: BtfMember; bitOffset: number } | undefined {
    if (depth > MAX_RESOLVE_DEPTH) return undefined;
    for (const m of t.members) {
      if (m.name === name) return { member: m, bitOffset: m.bitOffset };
    }
    for (const m of t.members) {
      if (m.name) continue;
      const inner = this.resolveType(m.type);
      if (inner.kind !== 'struct' && inner.kind !== 'union') continue;
      const r = this.findMember(inner, name, depth + 1);
      if (r) return { member: r.member, bitOffset: m.bitOffset + r.bitOffset };
    }
    return undefined;
  }

  /** A string from the string table by offset (base table first for split BTF). */
  stringAt(off: number): string | undefined {
    if (this.base) {
      const baseLen = this.base.allStrings().length;
      if (off < baseLen) return this.base.stringAt(off);
      return (this.stringTable ??= new StringTable(this.strings)).get(off - baseLen);
    }
    return (this.stringTable ??= new StringTable(this.strings)).get(off);
  }
  private stringTable: StringTable | undefined;
}

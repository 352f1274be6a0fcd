// Types of a uprobe's binary from its DWARF, the way bpftrace 0.17 (built with libdw) reads them in
// src/dwarf_parser.cpp: parameter lists for `-lv`, `args->NAME` types, and struct layouts for casts.
// Where bpftrace crashes or drops information (an anonymous type's null name, bitfields, unions,
// structs named through a typedef) we give the layout the DWARF describes instead.
import { Dwarf, DW_AT, DW_ATE, DW_TAG, type DwarfDie } from '../symbols/dwarf.js';
import { T, type Field, type SizedType, type Struct, alignmentOf } from './types.js';

/** Where a record type's layout comes from: the registry, which may prefer a script definition. */
export type StructLookup = (name: string) => Struct | undefined;

const MAX_DEPTH = 32;

export class DwarfTypes {
  private readonly building = new Map<string, Struct>();

  constructor(readonly dwarf: Dwarf) {}

  /** bpftrace's Dwarf::get_function_params: `TYPE NAME` per parameter, for `-lv`. */
  paramList(func: string): string[] {
    const fn = this.dwarf.findFunction(func);
    if (!fn) return [];
    return this.dwarf.params(fn).map((p) => `${p.type ? this.typeName(p.type, 0) : '<unknown type>'} ${p.name}`);
  }

  /** The parameters as `args` fields, each remembering its argument register. */
  args(func: string, lookup: StructLookup): Map<string, SizedType> {
    const out = new Map<string, SizedType>();
    const fn = this.dwarf.findFunction(func);
    if (!fn) return out;
    this.dwarf.params(fn).forEach((p, i) => {
      const t = p.type ? this.stype(p.type, lookup, 0) : T.none();
      if (!out.has(p.name)) out.set(p.name, { ...t, isFuncarg: true, funcargIdx: i });
    });
    return out;
  }

  /** bpftrace's Dwarf::get_type_name. */
  typeName(die: DwarfDie, depth: number): string {
    const d = this.dwarf;
    if (depth > MAX_DEPTH) return '<unknown type>';
    switch (die.tag) {
      case DW_TAG.base_type:
      case DW_TAG.typedef:
        return d.name(die) ?? '';
      case DW_TAG.pointer_type: {
        const inner = d.ref(die);
        return inner ? `${this.typeName(inner, depth + 1)}*` : 'void*';
      }
      case DW_TAG.structure_type:
      case DW_TAG.union_type:
      case DW_TAG.enumeration_type: {
        const prefix = die.tag === DW_TAG.structure_type ? 'struct' : die.tag === DW_TAG.union_type ? 'union' : 'enum';
        return `${prefix} ${d.name(die) ?? '<anonymous>'}`;
      }
      case DW_TAG.const_type: {
        const inner = d.ref(die);
        if (!inner) return 'const <unknown type>';
        return inner.tag === DW_TAG.pointer_type ? `${this.typeName(inner, depth + 1)} const` : `const ${this.typeName(inner, depth + 1)}`;
      }
      default:
        return '<unknown type>';
    }
  }

  /** bpftrace's Dwarf::get_stype: a DWARF type as the tracing language's type. */
  stype(die: DwarfDie, lookup: StructLookup, depth: number): SizedType {
    const d = this.dwarf;
    if (depth > MAX_DEPTH) return T.none();
    const type = d.peel(die);
    const bitSize = d.num(type, DW_AT.bit_size) ?? (d.num(type, DW_AT.byte_size) ?? 0) * 8;
    switch (type.tag) {
      case DW_TAG.base_type: {
        const enc = d.num(type, DW_AT.encoding);
        if (enc === DW_ATE.boolean || enc === DW_ATE.unsigned || enc === DW_ATE.unsigned_char) return T.uint(bitSize);
        if (enc === DW_ATE.signed || enc === DW_ATE.signed_char) return T.int(bitSize);
        return T.none();
      }
      case DW_TAG.enumeration_type:
        return T.uint(bitSize);
      case DW_TAG.pointer_type: {
        const inner = d.ref(type);
        return T.pointer(inner ? this.stype(inner, lookup, depth + 1) : T.none());
      }
      case DW_TAG.structure_type:
      case DW_TAG.union_type: {
        const kind = type.tag === DW_TAG.structure_type ? 'struct' : 'union';
        const tag = d.name(type);
        if (!tag) {
          // An anonymous struct/union (a member's type): its layout, under no name.
          return T.record(`${kind} (anonymous)`, this.layout('', type, lookup, depth + 1));
        }
        const name = `${kind} ${tag}`;
        return T.record(name, lookup(name) ?? this.building.get(name));
      }
      case DW_TAG.array_type: {
        // As bpftrace: the element type is the array's own DW_AT_type, and each subrange (in order)
        // wraps the result, so `int a[2][3]` reads as three arrays of two.
        const elemDie = d.ref(type);
        if (!elemDie) return T.none();
        const elemEnc = d.num(elemDie, DW_AT.encoding);
        const isChar = elemDie.tag === DW_TAG.base_type && (elemEnc === DW_ATE.signed_char || elemEnc === DW_ATE.unsigned_char);
        let result = this.stype(elemDie, lookup, depth + 1);
        let any = false;
        for (const sub of d.children(type)) {
          if (sub.tag !== DW_TAG.subrange_type) continue;
          const n = d.subrangeCount(sub) ?? 0;
          result = isChar ? T.string(n) : T.array(n, result);
          any = true;
        }
        return any ? result : T.none();
      }
      default:
        return T.none();
    }
  }

  /** A named struct (`struct Foo`) or union defined at some unit's top level, laid out from DWARF. */
  struct(name: string, lookup: StructLookup): Struct | undefined {
    const m = /^(struct|union) (.+)$/.exec(name);
    if (!m) return undefined;
    const busy = this.building.get(name);
    if (busy) return busy;
    const die = this.dwarf.findType(m[1] === 'struct' ? DW_TAG.structure_type : DW_TAG.union_type, m[2]);
    if (!die || this.dwarf.flag(die, DW_AT.declaration)) return undefined;
    return this.layout(name, die, lookup, 0);
  }

  private layout(name: string, die: DwarfDie, lookup: StructLookup, depth: number): Struct {
    const d = this.dwarf;
    const s: Struct = { name, size: d.num(die, DW_AT.byte_size) ?? 0, align: 1, fields: [] };
    // Registered before the members are typed, so a struct that points to itself finds itself.
    if (name) this.building.set(name, s);
    try {
      this.fillFields(s, die, 0, lookup, depth);
    } finally {
      if (name) this.building.delete(name);
    }
    s.align = Math.max(1, ...s.fields.map((f) => alignmentOf(f.type)));
    return s;
  }

  private fillFields(s: Struct, die: DwarfDie, base: number, lookup: StructLookup, depth: number): void {
    const d = this.dwarf;
    const isUnion = die.tag === DW_TAG.union_type;
    for (const m of d.children(die)) {
      if (m.tag !== DW_TAG.member) continue;
      const typeDie = d.ref(m);
      const offset = base + (isUnion ? 0 : d.memberOffset(m) ?? 0);
      const mname = d.name(m);
      if (!mname) {
        // An anonymous struct/union member: its fields belong to the parent.
        const inner = typeDie && d.peel(typeDie);
        if (inner && (inner.tag === DW_TAG.structure_type || inner.tag === DW_TAG.union_type) && depth < MAX_DEPTH) this.fillFields(s, inner, offset, lookup, depth + 1);
        continue;
      }
      const type = typeDie ? this.stype(typeDie, lookup, depth + 1) : T.none();
      const bitSize = d.num(m, DW_AT.bit_size, false);
      if (bitSize !== undefined && type.type === 'integer') {
        const unit = Math.max(1, type.size);
        let bitPos: number;
        const dataBit = d.num(m, DW_AT.data_bit_offset, false);
        if (dataBit !== undefined) bitPos = base * 8 + dataBit;
        else {
          // DWARF 2-4: DW_AT_bit_offset counts from the storage unit's most significant bit.
          const unitBytes = d.num(m, DW_AT.byte_size, false) ?? unit;
          const bo = d.num(m, DW_AT.bit_offset, false) ?? 0;
          bitPos = offset * 8 + (d.le ? unitBytes * 8 - bo - bitSize : bo);
        }
        const start = Math.floor(Math.floor(bitPos / 8) / unit) * unit;
        s.fields.push({ name: mname, type, offset: start, bitfield: { bitOffset: bitPos - start * 8, bitSize } });
        continue;
      }
      const f: Field = { name: mname, type, offset };
      s.fields.push(f);
    }
  }
}

const cache = new WeakMap<Dwarf, DwarfTypes>();

/** One DwarfTypes per Dwarf, so struct layouts are computed once per binary. */
export function dwarfTypes(dwarf: Dwarf): DwarfTypes {
  let t = cache.get(dwarf);
  if (!t) {
    t = new DwarfTypes(dwarf);
    cache.set(dwarf, t);
  }
  return t;
}

// A reader for the DWARF debugging information of executables and shared libraries (versions 2 to
// 5): compile units, DIEs with their attributes, and the lookups a tracer needs — a function's
// parameters by name, a named struct/union/enum at a unit's top level, member offsets and array
// bounds. It reads .debug_info, .debug_abbrev, .debug_str, .debug_line_str, .debug_str_offsets and
// .debug_addr (compressed with zlib or not), and follows nothing else.
//
// Reading is lazy: unit headers are walked on first use, a unit's DIEs only when a lookup reaches
// that unit, in file order (as libdw's dwfl_nextcu does), so a lookup that the first unit answers
// never touches the others. Every offset is checked before use; malformed input ends in a
// ParseError naming the offset, never another exception, a hang or a huge allocation.
// Relocatable objects (.o) are not supported: their .debug_info needs relocations applied.
import { existsSync, statSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { ParseError } from '../sys/errors.js';
import { readElfImage, isSymbolizationSection } from '../elf/image.js';
import type { ElfFile, ElfSection } from '../elf/reader.js';
import { findDebugFile } from './elf-symbols.js';

/** The tags this reader names (DWARF 5, section 7.5.3). */
export const DW_TAG = {
  array_type: 0x01, class_type: 0x02, enumeration_type: 0x04, formal_parameter: 0x05, lexical_block: 0x0b,
  member: 0x0d, pointer_type: 0x0f, reference_type: 0x10, compile_unit: 0x11, structure_type: 0x13,
  subroutine_type: 0x15, typedef: 0x16, union_type: 0x17, unspecified_parameters: 0x18, variable: 0x34,
  inlined_subroutine: 0x1d, subrange_type: 0x21, base_type: 0x24, const_type: 0x26, enumerator: 0x28,
  subprogram: 0x2e, volatile_type: 0x35, restrict_type: 0x37, namespace: 0x39, unspecified_type: 0x3b,
  partial_unit: 0x3c, atomic_type: 0x47, type_unit: 0x41, skeleton_unit: 0x4a,
} as const;

/** The attributes this reader interprets. */
export const DW_AT = {
  sibling: 0x01, location: 0x02, name: 0x03, byte_size: 0x0b, bit_offset: 0x0c, bit_size: 0x0d,
  low_pc: 0x11, high_pc: 0x12, language: 0x13, producer: 0x25, upper_bound: 0x2f, abstract_origin: 0x31,
  count: 0x37, data_member_location: 0x38, declaration: 0x3c, encoding: 0x3e, external: 0x3f,
  specification: 0x47, type: 0x49, data_bit_offset: 0x6b, str_offsets_base: 0x72, addr_base: 0x73,
  const_value: 0x1c, lower_bound: 0x22, linkage_name: 0x6e, MIPS_linkage_name: 0x2007,
} as const;

/** Base type encodings. */
export const DW_ATE = {
  address: 0x1, boolean: 0x2, complex_float: 0x3, float: 0x4, signed: 0x5, signed_char: 0x6, unsigned: 0x7,
  unsigned_char: 0x8, UTF: 0x10,
} as const;

/** Attribute forms (DWARF 5, section 7.5.6, plus the GNU extensions compilers still emit). */
export const DW_FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25,
  strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
  GNU_addr_index: 0x1f01, GNU_str_index: 0x1f02, GNU_ref_alt: 0x1f20, GNU_strp_alt: 0x1f21,
} as const;

const DW_OP_plus_uconst = 0x23;
const DW_OP_constu = 0x10;

/** How an attribute's value was encoded, after decoding the form. */
export type AttrValue =
  | { kind: 'udata'; value: number }
  | { kind: 'sdata'; value: number }
  | { kind: 'addr'; value: number }
  | { kind: 'addrx'; index: number }
  | { kind: 'string'; value: string }
  | { kind: 'strp'; section: '.debug_str' | '.debug_line_str'; offset: number }
  | { kind: 'strx'; index: number }
  /** An offset into .debug_info (already made absolute for unit-relative forms). */
  | { kind: 'ref'; offset: number }
  /** References this reader does not follow (type signatures, supplementary files). */
  | { kind: 'ref_other'; form: number }
  | { kind: 'block'; bytes: Uint8Array }
  | { kind: 'flag'; value: boolean }
  | { kind: 'sec_offset'; value: number };

export interface DwarfAttr {
  at: number;
  form: number;
  value: AttrValue;
}

interface Abbrev {
  tag: number;
  hasChildren: boolean;
  specs: { at: number; form: number; implicit?: number }[];
}

export interface CompileUnit {
  /** Offset of the unit header in .debug_info. */
  readonly offset: number;
  readonly version: number;
  readonly unitType: number;
  readonly addressSize: number;
  readonly offsetSize: 4 | 8;
  /** Offset of the first DIE (the unit DIE). */
  readonly dieOffset: number;
  /** Offset just past the unit. */
  readonly end: number;
  readonly abbrevOffset: number;
}

export interface DwarfDie {
  readonly offset: number;
  readonly tag: number;
  readonly hasChildren: boolean;
  readonly attrs: readonly DwarfAttr[];
  readonly cu: CompileUnit;
  /** Offset just past this DIE's attributes (where its first child starts). */
  readonly end: number;
}

/** A parameter of a function as its DIE declares it. */
export interface DwarfParam {
  name: string;
  type: DwarfDie | undefined;
  die: DwarfDie;
}

// Hard limits that keep hostile input from making the reader loop or allocate without bound.
const MAX_LEB_BYTES = 16;
const MAX_DEPTH = 1024;
const MAX_INTEGRATE = 8;

class Cursor {
  constructor(
    private readonly d: Dwarf,
    private readonly sec: string,
    readonly buf: Uint8Array,
    public pos: number,
    private readonly limit: number,
  ) {}

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.limit) this.d.fail(this.sec, this.pos, `${n}-byte read runs past the end (${this.limit})`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.d.le ? this.buf[this.pos] | (this.buf[this.pos + 1] << 8) : (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const b = this.buf;
    const p = this.pos;
    this.pos += 3;
    return this.d.le ? b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) : (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
  }
  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    const v = this.d.le ? b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24) : (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
    return v >>> 0;
  }
  u64(): number {
    const a = this.u32();
    const b = this.u32();
    const [lo, hi] = this.d.le ? [a, b] : [b, a];
    // Values past 2^53 lose precision; offsets and sizes never get there in a file we can read.
    return hi * 0x100000000 + lo;
  }
  uN(n: number): number {
    switch (n) {
      case 1: return this.u8();
      case 2: return this.u16();
      case 4: return this.u32();
      case 8: return this.u64();
      default: return this.d.fail(this.sec, this.pos, `unsupported field size ${n}`);
    }
  }
  uleb(): number {
    return this.leb(false);
  }
  sleb(): number {
    return this.leb(true);
  }
  private leb(signed: boolean): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < MAX_LEB_BYTES; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) return signed && b & 0x40 ? result - mul : result;
    }
    return this.d.fail(this.sec, this.pos, 'LEB128 number is too long');
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  cstring(): string {
    const start = this.pos;
    let end = start;
    while (end < this.limit && this.buf[end] !== 0) end++;
    if (end >= this.limit) this.d.fail(this.sec, start, 'string is not NUL-terminated');
    this.pos = end + 1;
    return decoder.decode(this.buf.subarray(start, end));
  }
}

const decoder = new TextDecoder();

function sectionBytes(elf: ElfFile, s: ElfSection): Uint8Array {
  const SHF_COMPRESSED = 0x800;
  if (!(s.flags & SHF_COMPRESSED)) return s.data;
  const d = s.data;
  if (d.length < 24) throw new ParseError(`DWARF: compressed section ${s.name} is too short`, { file: elf.file, line: 1, column: s.offset + 1 });
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const type = dv.getUint32(0, elf.littleEndian);
  const size = Number(dv.getBigUint64(8, elf.littleEndian));
  if (type !== 1) throw new ParseError(`DWARF: section ${s.name} uses compression type ${type} (only zlib is supported)`, { file: elf.file, line: 1, column: s.offset + 1 });
  try {
    const out = inflateSync(d.subarray(24), { maxOutputLength: Math.max(1, size) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new ParseError(`DWARF: cannot decompress ${s.name}: ${(e as Error).message}`, { file: elf.file, line: 1, column: s.offset + 1 });
  }
}

/** The DWARF of one ELF file. */
export class Dwarf {
  readonly file: string | undefined;
  readonly le: boolean;
  private readonly sections = new Map<string, Uint8Array>();
  private unitList: CompileUnit[] | undefined;
  private readonly abbrevCache = new Map<number, Map<number, Abbrev>>();
  private readonly dieCache = new Map<number, DwarfDie>();
  private readonly unitDies = new Map<number, DwarfDie>();
  /** Per unit: its top-level named DIEs by name, built when a lookup first reaches the unit. */
  private readonly topIndex = new Map<number, Map<string, number[]>>();

  private constructor(elf: ElfFile) {
    this.file = elf.file;
    this.le = elf.littleEndian;
    for (const name of ['.debug_info', '.debug_abbrev', '.debug_str', '.debug_line_str', '.debug_str_offsets', '.debug_addr']) {
      const s = elf.sectionByName(name);
      if (s && s.type !== 8) this.sections.set(name, sectionBytes(elf, s));
    }
  }

  /** The DWARF of an ELF file, or undefined when it has no .debug_info. */
  static fromElf(elf: ElfFile): Dwarf | undefined {
    const info = elf.sectionByName('.debug_info');
    if (!info || info.type === 8 || info.size === 0) return undefined;
    return new Dwarf(elf);
  }

  /**
   * The DWARF of a binary: its own sections, else those of its separate debug file (build-id or
   * .gnu_debuglink). Undefined when neither has debugging information.
   */
  static fromFile(path: string): Dwarf | undefined {
    const want = (s: ElfSection): boolean => s.name.startsWith('.debug_') || isSymbolizationSection(s);
    const elf = readElfImage(path, want);
    const own = Dwarf.fromElf(elf);
    if (own) return own;
    const debugPath = findDebugFile(elf, path);
    if (!debugPath) return undefined;
    return Dwarf.fromElf(readElfImage(debugPath, want));
  }

  /** @internal */
  fail(section: string, offset: number, reason: string): never {
    throw new ParseError(`DWARF: ${section}+0x${offset.toString(16)}: ${reason}`, { file: this.file, line: 1, column: offset + 1 });
  }

  private section(name: string): Uint8Array {
    const s = this.sections.get(name);
    if (!s) return this.fail(name, 0, 'section is missing');
    return s;
  }

  /** Every unit header in .debug_info, in file order. */
  units(): CompileUnit[] {
    if (this.unitList) return this.unitList;
    const info = this.section('.debug_info');
    const units: CompileUnit[] = [];
    let off = 0;
    while (off < info.length) {
      const c = new Cursor(this, '.debug_info', info, off, info.length);
      let length = c.u32();
      let offsetSize: 4 | 8 = 4;
      if (length === 0xffffffff) {
        length = c.u64();
        offsetSize = 8;
      } else if (length >= 0xfffffff0) this.fail('.debug_info', off, `reserved unit length 0x${length.toString(16)}`);
      const end = c.pos + length;
      if (end > info.length) this.fail('.debug_info', off, `unit length ${length} runs past the section (${info.length})`);
      const lim = new Cursor(this, '.debug_info', info, c.pos, end);
      const version = lim.u16();
      if (version < 2 || version > 5) this.fail('.debug_info', off, `unsupported DWARF version ${version}`);
      let unitType = 0x01;
      let addressSize: number;
      let abbrevOffset: number;
      if (version >= 5) {
        unitType = lim.u8();
        addressSize = lim.u8();
        abbrevOffset = lim.uN(offsetSize);
        if (unitType === 0x04 || unitType === 0x05) lim.bytes(8); // skeleton/split: dwo_id
        else if (unitType === 0x02 || unitType === 0x06) {
          lim.bytes(8); // type signature
          lim.uN(offsetSize); // type offset
        }
      } else {
        abbrevOffset = lim.uN(offsetSize);
        addressSize = lim.u8();
      }
      if (![2, 4, 8].includes(addressSize)) this.fail('.debug_info', off, `unsupported address size ${addressSize}`);
      units.push({ offset: off, version, unitType, addressSize, offsetSize, dieOffset: lim.pos, end, abbrevOffset });
      if (end <= off) this.fail('.debug_info', off, 'unit does not advance');
      off = end;
    }
    this.unitList = units;
    return units;
  }

  /** The unit that contains a .debug_info offset. */
  unitAt(offset: number): CompileUnit {
    const units = this.units();
    let lo = 0;
    let hi = units.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = units[mid];
      if (offset < u.offset) hi = mid - 1;
      else if (offset >= u.end) lo = mid + 1;
      else return u;
    }
    return this.fail('.debug_info', offset, 'offset lies in no unit');
  }

  private abbrevs(cu: CompileUnit): Map<number, Abbrev> {
    const known = this.abbrevCache.get(cu.abbrevOffset);
    if (known) return known;
    const sec = this.section('.debug_abbrev');
    if (cu.abbrevOffset >= sec.length) this.fail('.debug_abbrev', cu.abbrevOffset, 'abbreviation table offset is past the section');
    const c = new Cursor(this, '.debug_abbrev', sec, cu.abbrevOffset, sec.length);
    const table = new Map<number, Abbrev>();
    for (;;) {
      const code = c.uleb();
      if (code === 0) break;
      const tag = c.uleb();
      const hasChildren = c.u8() !== 0;
      const specs: Abbrev['specs'] = [];
      for (;;) {
        const at = c.uleb();
        const form = c.uleb();
        if (at === 0 && form === 0) break;
        specs.push(form === DW_FORM.implicit_const ? { at, form, implicit: c.sleb() } : { at, form });
      }
      table.set(code, { tag, hasChildren, specs });
    }
    this.abbrevCache.set(cu.abbrevOffset, table);
    return table;
  }

  /** The DIE at a .debug_info offset, or undefined for a null entry (end of a sibling list). */
  dieAt(offset: number, unit?: CompileUnit): DwarfDie | undefined {
    const cached = this.dieCache.get(offset);
    if (cached) return cached;
    const cu = unit && offset >= unit.dieOffset && offset < unit.end ? unit : this.unitAt(offset);
    if (offset < cu.dieOffset) this.fail('.debug_info', offset, 'offset points into a unit header');
    const info = this.section('.debug_info');
    const c = new Cursor(this, '.debug_info', info, offset, cu.end);
    const code = c.uleb();
    if (code === 0) return undefined;
    const abbrev = this.abbrevs(cu).get(code);
    if (!abbrev) this.fail('.debug_info', offset, `unknown abbreviation code ${code}`);
    const attrs: DwarfAttr[] = [];
    for (const spec of abbrev.specs) attrs.push({ at: spec.at, form: spec.form, value: this.readForm(c, cu, spec.form, spec.implicit, 0) });
    const die: DwarfDie = { offset, tag: abbrev.tag, hasChildren: abbrev.hasChildren, attrs, cu, end: c.pos };
    this.dieCache.set(offset, die);
    return die;
  }

  private readForm(c: Cursor, cu: CompileUnit, form: number, implicit: number | undefined, depth: number): AttrValue {
    const F = DW_FORM;
    const ref = (rel: number): AttrValue => {
      const offset = cu.offset + rel;
      if (offset >= cu.end) this.fail('.debug_info', c.pos, `reference 0x${rel.toString(16)} lies outside its unit`);
      return { kind: 'ref', offset };
    };
    switch (form) {
      case F.addr: return { kind: 'addr', value: c.uN(cu.addressSize) };
      case F.data1: return { kind: 'udata', value: c.u8() };
      case F.data2: return { kind: 'udata', value: c.u16() };
      case F.data4: return { kind: 'udata', value: c.u32() };
      case F.data8: return { kind: 'udata', value: c.u64() };
      case F.data16: return { kind: 'block', bytes: c.bytes(16) };
      case F.sdata: return { kind: 'sdata', value: c.sleb() };
      case F.udata: return { kind: 'udata', value: c.uleb() };
      case F.implicit_const: return { kind: 'sdata', value: implicit ?? 0 };
      case F.string: return { kind: 'string', value: c.cstring() };
      case F.strp: return { kind: 'strp', section: '.debug_str', offset: c.uN(cu.offsetSize) };
      case F.line_strp: return { kind: 'strp', section: '.debug_line_str', offset: c.uN(cu.offsetSize) };
      case F.strx:
      case F.GNU_str_index: return { kind: 'strx', index: c.uleb() };
      case F.strx1: return { kind: 'strx', index: c.u8() };
      case F.strx2: return { kind: 'strx', index: c.u16() };
      case F.strx3: return { kind: 'strx', index: c.u24() };
      case F.strx4: return { kind: 'strx', index: c.u32() };
      case F.addrx:
      case F.GNU_addr_index: return { kind: 'addrx', index: c.uleb() };
      case F.addrx1: return { kind: 'addrx', index: c.u8() };
      case F.addrx2: return { kind: 'addrx', index: c.u16() };
      case F.addrx3: return { kind: 'addrx', index: c.u24() };
      case F.addrx4: return { kind: 'addrx', index: c.u32() };
      case F.ref1: return ref(c.u8());
      case F.ref2: return ref(c.u16());
      case F.ref4: return ref(c.u32());
      case F.ref8: return ref(c.u64());
      case F.ref_udata: return ref(c.uleb());
      case F.ref_addr: return { kind: 'ref', offset: c.uN(cu.version <= 2 ? cu.addressSize : cu.offsetSize) };
      case F.ref_sig8: c.bytes(8); return { kind: 'ref_other', form };
      case F.ref_sup4: c.u32(); return { kind: 'ref_other', form };
      case F.ref_sup8: c.u64(); return { kind: 'ref_other', form };
      case F.GNU_ref_alt: c.uN(cu.offsetSize); return { kind: 'ref_other', form };
      case F.strp_sup:
      case F.GNU_strp_alt: c.uN(cu.offsetSize); return { kind: 'ref_other', form };
      case F.sec_offset: return { kind: 'sec_offset', value: c.uN(cu.offsetSize) };
      case F.loclistx:
      case F.rnglistx: return { kind: 'sec_offset', value: c.uleb() };
      case F.exprloc:
      case F.block: return { kind: 'block', bytes: c.bytes(c.uleb()) };
      case F.block1: return { kind: 'block', bytes: c.bytes(c.u8()) };
      case F.block2: return { kind: 'block', bytes: c.bytes(c.u16()) };
      case F.block4: return { kind: 'block', bytes: c.bytes(c.u32()) };
      case F.flag: return { kind: 'flag', value: c.u8() !== 0 };
      case F.flag_present: return { kind: 'flag', value: true };
      case F.indirect: {
        if (depth > 4) this.fail('.debug_info', c.pos, 'DW_FORM_indirect nests too deeply');
        const inner = c.uleb();
        return this.readForm(c, cu, inner, inner === F.implicit_const ? c.sleb() : implicit, depth + 1);
      }
      default:
        return this.fail('.debug_info', c.pos, `unknown attribute form 0x${form.toString(16)}`);
    }
  }

  /** The unit DIE (DW_TAG_compile_unit and friends) of a unit. */
  unitDie(cu: CompileUnit): DwarfDie {
    let die = this.unitDies.get(cu.offset);
    if (!die) {
      die = this.dieAt(cu.dieOffset, cu);
      if (!die) return this.fail('.debug_info', cu.dieOffset, 'unit has no DIE');
      this.unitDies.set(cu.offset, die);
    }
    return die;
  }

  /** Where the next sibling of a DIE starts: DW_AT_sibling when present, else past its subtree. */
  private nextSibling(die: DwarfDie): number {
    if (!die.hasChildren) return die.end;
    const sib = die.attrs.find((a) => a.at === DW_AT.sibling);
    if (sib && sib.value.kind === 'ref' && sib.value.offset > die.offset && sib.value.offset <= die.cu.end) return sib.value.offset;
    let pos = die.end;
    let depth = 1;
    while (depth > 0) {
      if (pos >= die.cu.end) this.fail('.debug_info', die.offset, 'children run past the end of the unit');
      const child = this.dieAt(pos, die.cu);
      if (!child) {
        depth--;
        pos = this.nullEnd(pos, die.cu);
        continue;
      }
      if (child.hasChildren) {
        const s = child.attrs.find((a) => a.at === DW_AT.sibling);
        if (s && s.value.kind === 'ref' && s.value.offset > child.offset && s.value.offset <= die.cu.end) {
          pos = s.value.offset;
          continue;
        }
        if (++depth > MAX_DEPTH) this.fail('.debug_info', child.offset, 'DIE tree is nested too deeply');
      }
      pos = child.end;
    }
    return pos;
  }

  private nullEnd(pos: number, cu: CompileUnit): number {
    const c = new Cursor(this, '.debug_info', this.section('.debug_info'), pos, cu.end);
    c.uleb();
    return c.pos;
  }

  /** The direct children of a DIE, in order. */
  children(die: DwarfDie): DwarfDie[] {
    const out: DwarfDie[] = [];
    if (!die.hasChildren) return out;
    let pos = die.end;
    for (;;) {
      if (pos >= die.cu.end) break; // a unit may end without the final null entry
      const child = this.dieAt(pos, die.cu);
      if (!child) break;
      out.push(child);
      const next = this.nextSibling(child);
      if (next <= pos) this.fail('.debug_info', pos, 'sibling does not advance');
      pos = next;
    }
    return out;
  }

  /** An attribute of the DIE itself. */
  attr(die: DwarfDie, at: number): DwarfAttr | undefined {
    return die.attrs.find((a) => a.at === at);
  }

  /** An attribute of the DIE or, failing that, of the DIE its DW_AT_abstract_origin/specification names (libdw's dwarf_attr_integrate). */
  attrIntegrate(die: DwarfDie, at: number): DwarfAttr | undefined {
    let cur: DwarfDie | undefined = die;
    for (let i = 0; cur && i < MAX_INTEGRATE; i++) {
      const a = this.attr(cur, at);
      if (a) return a;
      const origin: DwarfAttr | undefined = this.attr(cur, DW_AT.abstract_origin) ?? this.attr(cur, DW_AT.specification);
      cur = origin?.value.kind === 'ref' ? this.dieAt(origin.value.offset) : undefined;
    }
    return undefined;
  }

  has(die: DwarfDie, at: number): boolean {
    return this.attr(die, at) !== undefined;
  }

  /** A string attribute's text, whatever its form. */
  str(die: DwarfDie, at: number, integrate = true): string | undefined {
    const a = integrate ? this.attrIntegrate(die, at) : this.attr(die, at);
    if (!a) return undefined;
    const v = a.value;
    if (v.kind === 'string') return v.value;
    if (v.kind === 'strp') return this.stringAt(v.section, v.offset);
    if (v.kind === 'strx') {
      const cu = die.cu;
      const baseAttr = this.attr(this.unitDie(cu), DW_AT.str_offsets_base);
      // Without DW_AT_str_offsets_base, the first (only) contribution's header is 8 or 16 bytes.
      const base = baseAttr?.value.kind === 'sec_offset' ? baseAttr.value.value : cu.offsetSize === 8 ? 16 : 8;
      const sec = this.section('.debug_str_offsets');
      const c = new Cursor(this, '.debug_str_offsets', sec, base + v.index * cu.offsetSize, sec.length);
      return this.stringAt('.debug_str', c.uN(cu.offsetSize));
    }
    return undefined;
  }

  private stringAt(section: string, offset: number): string {
    const sec = this.section(section);
    if (offset >= sec.length) this.fail(section, offset, 'string offset is past the section');
    return new Cursor(this, section, sec, offset, sec.length).cstring();
  }

  /** A constant attribute as a number (data, sdata, udata, implicit_const); undefined for other forms. */
  num(die: DwarfDie, at: number, integrate = true): number | undefined {
    const a = integrate ? this.attrIntegrate(die, at) : this.attr(die, at);
    if (!a) return undefined;
    const v = a.value;
    if (v.kind === 'udata' || v.kind === 'sdata') return v.value;
    return undefined;
  }

  /** An address attribute (DW_FORM_addr or an index into .debug_addr). */
  address(die: DwarfDie, at: number): number | undefined {
    const a = this.attr(die, at);
    if (!a) return undefined;
    if (a.value.kind === 'addr') return a.value.value;
    if (a.value.kind === 'addrx') {
      const cu = die.cu;
      const baseAttr = this.attr(this.unitDie(cu), DW_AT.addr_base);
      const base = baseAttr?.value.kind === 'sec_offset' ? baseAttr.value.value : 8;
      const sec = this.section('.debug_addr');
      return new Cursor(this, '.debug_addr', sec, base + a.value.index * cu.addressSize, sec.length).uN(cu.addressSize);
    }
    return undefined;
  }

  /** The DIE a reference attribute points to (DW_AT_type by default), integrating through origins. */
  ref(die: DwarfDie, at: number = DW_AT.type): DwarfDie | undefined {
    const a = this.attrIntegrate(die, at);
    if (!a || a.value.kind !== 'ref') return undefined;
    return this.dieAt(a.value.offset);
  }

  name(die: DwarfDie): string | undefined {
    return this.str(die, DW_AT.name);
  }

  private index(cu: CompileUnit): Map<string, number[]> {
    let idx = this.topIndex.get(cu.offset);
    if (idx) return idx;
    idx = new Map();
    const visit = (parent: DwarfDie, depth: number): void => {
      for (const d of this.children(parent)) {
        // Namespaces and classes hold C++ functions; C keeps everything at the top level.
        if (d.tag === DW_TAG.namespace && depth < 8) visit(d, depth + 1);
        const n = this.name(d);
        if (n === undefined) continue;
        const list = idx!.get(n);
        if (list) list.push(d.offset);
        else idx!.set(n, [d.offset]);
      }
    };
    visit(this.unitDie(cu), 0);
    this.topIndex.set(cu.offset, idx);
    return idx;
  }

  /** Top-level DIEs of a unit with this name (and tag, when given), in order. */
  private named(cu: CompileUnit, name: string, tags: readonly number[]): DwarfDie[] {
    const offs = this.index(cu).get(name) ?? [];
    const out: DwarfDie[] = [];
    for (const o of offs) {
      const d = this.dieAt(o, cu);
      if (d && tags.includes(d.tag)) out.push(d);
    }
    return out;
  }


  /**
   * A function by name: the first unit (in file order) that has a DW_TAG_subprogram of that name,
   * preferring its definition over a declaration.
   */
  findFunction(name: string): DwarfDie | undefined {
    for (const cu of this.units()) {
      const subs = this.named(cu, name, [DW_TAG.subprogram]);
      if (!subs.length) continue;
      return subs.find((d) => !this.flag(d, DW_AT.declaration)) ?? subs[0];
    }
    return undefined;
  }

  /** A type of the given tag (structure_type, union_type, enumeration_type, typedef…) declared at some unit's top level; definitions win over declarations. */
  findType(tag: number, name: string): DwarfDie | undefined {
    let decl: DwarfDie | undefined;
    for (const cu of this.units()) {
      for (const d of this.named(cu, name, [tag])) {
        if (!this.flag(d, DW_AT.declaration)) return d;
        decl ??= d;
      }
    }
    return decl;
  }

  flag(die: DwarfDie, at: number): boolean {
    const a = this.attr(die, at);
    return a?.value.kind === 'flag' ? a.value.value : false;
  }

  /** The formal parameters of a function, in order. */
  params(func: DwarfDie): DwarfParam[] {
    return this.children(func)
      .filter((d) => d.tag === DW_TAG.formal_parameter)
      .map((d) => ({ name: this.name(d) ?? '', type: this.ref(d), die: d }));
  }

  /** A member's byte offset: DW_AT_data_member_location as a constant or a DW_OP_plus_uconst expression, else DW_AT_data_bit_offset / 8. */
  memberOffset(member: DwarfDie): number | undefined {
    const a = this.attr(member, DW_AT.data_member_location);
    if (a) {
      const v = a.value;
      if (v.kind === 'udata' || v.kind === 'sdata') return v.value;
      if (v.kind === 'block' && v.bytes.length > 0 && (v.bytes[0] === DW_OP_plus_uconst || v.bytes[0] === DW_OP_constu)) {
        const c = new Cursor(this, 'expression', v.bytes, 1, v.bytes.length);
        return c.uleb();
      }
      return undefined;
    }
    const bits = this.num(member, DW_AT.data_bit_offset, false);
    return bits === undefined ? undefined : Math.floor(bits / 8);
  }

  /** Element count of one DW_TAG_subrange_type (upper_bound - lower_bound + 1, or count); undefined when unbounded. */
  subrangeCount(sub: DwarfDie): number | undefined {
    const upper = this.num(sub, DW_AT.upper_bound, false);
    if (upper !== undefined) return upper - (this.num(sub, DW_AT.lower_bound, false) ?? 0) + 1;
    return this.num(sub, DW_AT.count, false);
  }

  /** Strips typedefs and cv-qualifiers (libdw's dwarf_peel_type). */
  peel(die: DwarfDie): DwarfDie {
    let cur = die;
    for (let i = 0; i < 64; i++) {
      if (![DW_TAG.typedef, DW_TAG.const_type, DW_TAG.volatile_type, DW_TAG.restrict_type, DW_TAG.atomic_type].includes(cur.tag as never)) return cur;
      const next = this.ref(cur);
      if (!next) return cur;
      cur = next;
    }
    return cur;
  }

  /** DW_AT_byte_size, following typedefs and qualifiers; pointers take the unit's address size. */
  byteSize(die: DwarfDie): number | undefined {
    const t = this.peel(die);
    const n = this.num(t, DW_AT.byte_size);
    if (n !== undefined) return n;
    if (t.tag === DW_TAG.pointer_type || t.tag === DW_TAG.reference_type) return t.cu.addressSize;
    return undefined;
  }
}

interface CacheEntry {
  key: string;
  dwarf: Dwarf | undefined;
}
const cache = new Map<string, CacheEntry>();

/** Dwarf.fromFile() cached per path while the file is unchanged; undefined for a missing file or one without DWARF. */
export function cachedDwarf(path: string): Dwarf | undefined {
  if (!existsSync(path)) return undefined;
  const st = statSync(path);
  const key = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
  const hit = cache.get(path);
  if (hit && hit.key === key) return hit.dwarf;
  const dwarf = Dwarf.fromFile(path);
  cache.set(path, { key, dwarf });
  return dwarf;
}

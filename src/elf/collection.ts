// ELF object → CollectionSpec: programs (with their subprograms linked in), maps, global
// variables, externs, license/version and the object's BTF — pure, no privilege needed.
// Follows libbpf's loader: bpf_object__elf_collect, bpf_object__collect_relos,
// bpf_object__reloc_code (subprogram appending) and the SEC() table.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ParseError } from '../sys/errors.js';
import { Btf } from '../btf/btf.js';
import { decodeBtfExt, type BtfExt, type CoreRelo, type FuncInfo, type LineInfo } from '../btf/ext.js';
import {
  ElfFile, EM_BPF, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS, SHT_PROGBITS,
  STB_LOCAL, STT_FUNC, STT_OBJECT, STT_SECTION, STT_NOTYPE, type ElfSection, type ElfSymbol,
} from './reader.js';
import { classifySection, type SectionDef } from './section-table.js';
import {
  BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, INSN_SIZE, OP_CALL, OP_LD_IMM64, insnCode, insnImm, insnSrcReg, setInsnImm,
} from './insn.js';
import { emptyMapSpec, isMapInMap, MAP_TYPE_PROG_ARRAY, parseBtfMapDef, parseLegacyMapDef, type MapSpec } from './maps.js';
import { fixupDatasecs, fixupExternDatasecs } from './btf-fixup.js';

export type { MapSpec } from './maps.js';

const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_MMAPABLE = 1 << 10;
const BPF_OBJ_NAME_LEN = 16;
const MAX_DATA_SECTION = 256 * 1024 * 1024;

/** What an instruction of a program refers to, to be filled in by the loader. */
export type InsnReference =
  /** ld_imm64 of a map: becomes BPF_PSEUDO_MAP_FD with the map's fd. */
  | { kind: 'map'; insn: number; map: string }
  /** ld_imm64 of an address inside a global data map: BPF_PSEUDO_MAP_VALUE, fd + offset. */
  | { kind: 'map_value'; insn: number; map: string; offset: number }
  /** An extern (.kconfig value or .ksyms symbol / kfunc call). */
  | { kind: 'extern'; insn: number; name: string; call: boolean };

export interface FunctionPlacement {
  name: string;
  section: string;
  /** Where the function starts in the program's instructions (in instructions). */
  insnOff: number;
  insnCount: number;
}

export interface ProgramSpec {
  name: string;
  /** The ELF section name, as written in SEC() (with a leading '?' if any). */
  sectionName: string;
  /** Program type, the kernel's name ('socket_filter', 'xdp', …); 'unspec' when the section is unknown. */
  type: string;
  expectedAttachType: string | undefined;
  /** The target after the section prefix: probe function, tracepoint 'category/name', BTF name, … */
  attachTo: string | undefined;
  sleepable: boolean;
  xdpFrags: boolean;
  autoload: boolean;
  sectionDef: SectionDef | undefined;
  license: string;
  kernelVersion: number;
  /** The entry function's instructions followed by the subprograms it calls (8-byte slots). */
  instructions: Buffer;
  littleEndian: boolean;
  references: InsnReference[];
  functions: FunctionPlacement[];
  /** func_info, line_info and CO-RE records with instruction offsets into `instructions`. */
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
  coreRelos: CoreRelo[];
}

export interface VariableSpec {
  name: string;
  /** Key of the backing map in CollectionSpec.maps (the section name, e.g. '.rodata'). */
  map: string;
  offset: number;
  size: number;
  typeId: number | undefined;
  readonly: boolean;
  global: boolean;
}

export interface ExternSpec {
  name: string;
  kind: 'kconfig' | 'ksym';
  weak: boolean;
  /** VAR or FUNC type id in the object's BTF. */
  typeId: number | undefined;
  func: boolean;
  /** The declared type: the VAR's type or the FUNC's prototype (before the BTF is made loadable). */
  localType?: number;
  /** .kconfig externs: where the value lives in the '.kconfig' map, and its size. */
  offset?: number;
  size?: number;
}

export interface CollectionSpecOptions {
  /** Object name used for internal map names (libbpf: the file name up to the first '.'). */
  name?: string;
  file?: string;
}

function fail(file: string | undefined, reason: string, offset = 0): never {
  throw new ParseError(reason, { file, line: 1, column: offset + 1 });
}

interface Func {
  name: string;
  sec: ElfSection;
  /** Start and count in instructions, relative to the section. */
  start: number;
  count: number;
  global: boolean;
}

function dataKind(s: ElfSection): 'data' | 'rodata' | 'bss' | undefined {
  const n = s.name;
  const is = (p: string) => n === p || n.startsWith(p + '.');
  if (s.type === SHT_PROGBITS && is('.data')) return 'data';
  if (s.type === SHT_PROGBITS && is('.rodata')) return 'rodata';
  if (s.type === SHT_NOBITS && is('.bss')) return 'bss';
  return undefined;
}

/** libbpf's internal_map_name: object name prefix + section name, 15 characters at most. */
export function internalMapName(objName: string, secName: string): string {
  let sfx = Math.max(7, secName.length);
  if (sfx >= BPF_OBJ_NAME_LEN) sfx = BPF_OBJ_NAME_LEN - 1;
  const pfx = secName.indexOf('.', 1) >= 0 ? 0 : Math.min(BPF_OBJ_NAME_LEN - sfx - 1, objName.length);
  const name = (objName.slice(0, pfx) + secName.slice(0, sfx)).slice(0, BPF_OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

/** libbpf's object name: the file's base name (15 characters at most) cut at the first '.'. */
export function objectName(path: string): string {
  const b = basename(path).slice(0, BPF_OBJ_NAME_LEN - 1);
  const dot = b.indexOf('.');
  return dot >= 0 ? b.slice(0, dot) : b;
}

export class CollectionSpec {
  programs: Record<string, ProgramSpec> = {};
  maps: Record<string, MapSpec> = {};
  variables: Record<string, VariableSpec> = {};
  externs: ExternSpec[] = [];
  license = '';
  kernelVersion = 0;
  littleEndian = true;
  /** The object's BTF with DATASEC sizes and offsets filled in from the ELF (as libbpf does). */
  btf: Btf | undefined;
  btfExt: BtfExt | undefined;
  name = '';

  static fromFile(path: string, opts: CollectionSpecOptions = {}): CollectionSpec {
    const buf = readFileSync(path);
    return CollectionSpec.fromBuffer(buf, { name: opts.name ?? objectName(path), file: opts.file ?? path });
  }

  static fromBuffer(buf: Uint8Array, opts: CollectionSpecOptions = {}): CollectionSpec {
    return new Parser(buf, opts).parse();
  }
}

class Parser {
  private readonly file: string | undefined;
  private readonly elf: ElfFile;
  private readonly spec = new CollectionSpec();
  private syms: ElfSymbol[] = [];
  private readonly funcs = new Map<number, Func[]>(); // by section index, sorted by start
  private readonly relocs = new Map<number, Map<number, ElfSymbol>>(); // section → insn index → symbol
  private textIndex = -1;
  private mapsIndex = -1; // .maps
  private legacyMapsIndex = -1; // maps
  /** Maps by (section index, symbol value). */
  private readonly mapAt = new Map<string, string>();
  private readonly dataMapBySection = new Map<number, string>();
  private readonly externBySym = new Map<number, ExternSpec>();

  constructor(buf: Uint8Array, opts: CollectionSpecOptions) {
    this.file = opts.file;
    this.elf = ElfFile.parse(buf, opts.file);
    this.spec.name = opts.name ?? 'object';
    this.spec.littleEndian = this.elf.littleEndian;
  }

  parse(): CollectionSpec {
    const { elf, spec, file } = this;
    if (elf.machine !== EM_BPF && elf.machine !== 0) fail(file, `ELF machine ${elf.machine} is not BPF (247)`, 18);
    this.syms = elf.symbols();
    if (this.syms.length === 0) fail(file, 'object has no symbol table');
    for (const s of this.syms) {
      if (s.shndx !== SHN_UNDEF && s.shndx < SHN_LORESERVE && s.shndx >= elf.sections.length) {
        fail(file, `symbol '${s.name}' refers to section ${s.shndx}, but there are ${elf.sections.length}`);
      }
    }
    for (const s of elf.sections) {
      if (s.name === '.text') this.textIndex = s.index;
      else if (s.name === '.maps') this.mapsIndex = s.index;
      else if (s.name === 'maps') this.legacyMapsIndex = s.index;
      else if (s.name === 'license') spec.license = this.cString(s);
      else if (s.name === 'version') {
        if (s.data.length !== 4) fail(file, `section 'version' has ${s.data.length} bytes, expected 4`, s.offset);
        spec.kernelVersion = new DataView(s.data.buffer, s.data.byteOffset, 4).getUint32(0, elf.littleEndian);
      }
    }
    this.loadBtf();
    this.collectFunctions();
    this.collectRelocations();
    this.collectDataMaps();
    this.collectLegacyMaps();
    this.collectBtfMaps();
    this.collectExterns();
    this.layoutKconfig();
    this.collectPrograms();
    return spec;
  }

  private cString(s: ElfSection): string {
    const d = s.data;
    const end = d.indexOf(0);
    return Buffer.from(d.buffer, d.byteOffset, end < 0 ? d.length : end).toString('utf8');
  }

  private loadBtf(): void {
    const sec = this.elf.sectionByName('.BTF');
    if (!sec || sec.type === SHT_NOBITS) return;
    const raw = Btf.fromBuffer(sec.data, { file: this.file });
    this.spec.btf = fixupDatasecs(raw, this.elf);
    const ext = this.elf.sectionByName('.BTF.ext');
    if (ext && ext.type !== SHT_NOBITS) this.spec.btfExt = decodeBtfExt(ext.data, this.spec.btf, this.file);
  }

  private collectFunctions(): void {
    const { elf, file } = this;
    for (const sec of elf.sections) {
      if (sec.type !== SHT_PROGBITS || (sec.flags & SHF_EXECINSTR) === 0 || sec.size === 0) continue;
      if (sec.size % INSN_SIZE !== 0) fail(file, `program section '${sec.name}' size ${sec.size} is not a multiple of 8`, sec.offset);
      const list: Func[] = [];
      for (const s of this.syms) {
        if (s.shndx !== sec.index || s.type !== STT_FUNC) continue;
        if (s.value % INSN_SIZE !== 0 || s.value >= sec.size) fail(file, `function '${s.name}' at ${s.value} is misplaced in '${sec.name}'`);
        if (s.size % INSN_SIZE !== 0 || s.size > sec.size - s.value) fail(file, `function '${s.name}' size ${s.size} runs past section '${sec.name}'`);
        list.push({ name: s.name, sec, start: s.value / INSN_SIZE, count: s.size / INSN_SIZE, global: s.bind !== STB_LOCAL });
      }
      list.sort((a, b) => a.start - b.start);
      for (let i = 0; i < list.length; i++) {
        const f = list[i];
        const next = i + 1 < list.length ? list[i + 1].start : sec.size / INSN_SIZE;
        if (f.count === 0) f.count = next - f.start; // hand-written assembly may omit sizes
        if (f.start + f.count > next) fail(file, `functions '${f.name}' and '${list[i + 1].name}' overlap in '${sec.name}'`);
        if (f.count === 0) fail(file, `function '${f.name}' in '${sec.name}' is empty`);
      }
      this.funcs.set(sec.index, list);
    }
  }

  private collectRelocations(): void {
    const { elf, file } = this;
    for (const [idx] of this.funcs) {
      const m = new Map<number, ElfSymbol>();
      const sec = elf.sections[idx];
      for (const rs of elf.relocationSectionsFor(idx)) {
        if (rs.link !== elf.symbolTableIndex()) fail(file, `relocation section '${rs.name}' does not use the symbol table`, rs.offset);
        for (const r of elf.relocations(rs)) {
          if (r.offset % INSN_SIZE !== 0 || r.offset >= sec.size) fail(file, `relocation at ${r.offset} in '${sec.name}' is not on an instruction`, rs.offset);
          m.set(r.offset / INSN_SIZE, this.syms[r.symbol]);
        }
      }
      this.relocs.set(idx, m);
    }
  }

  private collectDataMaps(): void {
    const { elf, spec } = this;
    for (const sec of elf.sections) {
      const kind = dataKind(sec);
      if (!kind) continue;
      if ((sec.flags & SHF_ALLOC) === 0) continue;
      const m = emptyMapSpec(sec.name, sec.name);
      m.kernelName = internalMapName(spec.name, sec.name);
      m.type = 'array';
      m.typeNumber = 2;
      m.keySize = 4;
      m.valueSize = sec.size;
      m.maxEntries = 1;
      m.internal = kind;
      m.flags = BPF_F_MMAPABLE | (kind === 'rodata' ? BPF_F_RDONLY_PROG : 0);
      // NOBITS sizes are not backed by the file; cap them so a corrupt header cannot make us allocate gigabytes.
      if (sec.size > MAX_DATA_SECTION) fail(this.file, `data section '${sec.name}' is too large (${sec.size} bytes)`);
      m.data = kind === 'bss' ? Buffer.alloc(sec.size) : Buffer.from(sec.data);
      const ds = spec.btf?.find(sec.name, 'datasec');
      if (ds) m.valueTypeId = ds.id;
      spec.maps[sec.name] = m;
      this.dataMapBySection.set(sec.index, sec.name);
      const readonly = kind === 'rodata' || (sec.flags & SHF_WRITE) === 0;
      for (const s of this.syms) {
        if (s.shndx !== sec.index || s.type !== STT_OBJECT || !s.name) continue;
        if (s.value > sec.size || s.size > sec.size - s.value) fail(this.file, `variable '${s.name}' lies outside section '${sec.name}'`);
        let typeId: number | undefined;
        if (ds && ds.kind === 'datasec') {
          for (const v of ds.vars) {
            const vt = spec.btf!.typeOrUndefined(v.type);
            if (vt && vt.kind === 'var' && vt.name === s.name) typeId = vt.type;
          }
        }
        spec.variables[s.name] = { name: s.name, map: sec.name, offset: s.value, size: s.size, typeId, readonly, global: s.bind !== STB_LOCAL };
      }
    }
  }

  private mapSymbols(secIndex: number): ElfSymbol[] {
    return this.syms
      .filter((s) => s.shndx === secIndex && (s.type === STT_OBJECT || s.type === STT_NOTYPE) && s.name !== '' && s.bind !== STB_LOCAL)
      .sort((a, b) => a.value - b.value);
  }

  private collectLegacyMaps(): void {
    if (this.legacyMapsIndex < 0) return;
    const sec = this.elf.sections[this.legacyMapsIndex];
    const syms = this.mapSymbols(sec.index);
    if (syms.length === 0) return;
    if (sec.size % syms.length !== 0) fail(this.file, `legacy 'maps' section size ${sec.size} is not a multiple of ${syms.length} map definitions`, sec.offset);
    const defSize = sec.size / syms.length;
    for (const s of syms) {
      if (s.value % defSize !== 0 || s.value + defSize > sec.size) fail(this.file, `legacy map '${s.name}' at ${s.value} is misplaced`);
      const m = parseLegacyMapDef(s.name, sec.data.subarray(s.value, s.value + defSize), this.elf.littleEndian, this.file);
      this.addMap(m, sec.index, s.value);
    }
  }

  private addMap(m: MapSpec, secIndex: number, value: number): void {
    if (this.spec.maps[m.name]) fail(this.file, `map '${m.name}' is defined twice`);
    this.spec.maps[m.name] = m;
    this.mapAt.set(`${secIndex}:${value}`, m.name);
  }

  private collectBtfMaps(): void {
    if (this.mapsIndex < 0) return;
    const { spec, file } = this;
    const sec = this.elf.sections[this.mapsIndex];
    const btf = spec.btf;
    if (!btf) fail(file, "'.maps' section needs BTF, but the object has no .BTF section");
    const ds = btf.find('.maps', 'datasec');
    if (!ds || ds.kind !== 'datasec') fail(file, "BTF has no DATASEC '.maps'");
    const symByName = new Map(this.mapSymbols(sec.index).map((s) => [s.name, s]));
    const placed: { name: string; start: number; end: number; valuesOff: number }[] = [];
    for (const v of ds.vars) {
      const vt = btf.type(v.type);
      if (vt.kind !== 'var') fail(file, `'.maps' entry ${v.type} is ${vt.kind}, not VAR`);
      const s = symByName.get(vt.name);
      if (!s) fail(file, `map '${vt.name}' has no symbol in '.maps'`);
      const m = parseBtfMapDef(btf, vt.name, vt.type, false, file);
      m.kernelName = vt.name.slice(0, BPF_OBJ_NAME_LEN - 1);
      this.addMap(m, sec.index, s.value);
      const def = btf.resolveType(vt.type);
      let valuesOff = -1;
      if (def.kind === 'struct') {
        const vm = def.members.find((x) => x.name === 'values');
        if (vm) valuesOff = vm.bitOffset / 8;
      }
      placed.push({ name: vt.name, start: s.value, end: s.value + s.size, valuesOff });
    }
    // Initial values of prog arrays and map-in-maps: relocations inside '.maps' (libbpf's
    // bpf_object__collect_map_relos), one pointer-sized slot per entry of `values`.
    for (const rs of this.elf.relocationSectionsFor(sec.index)) {
      for (const r of this.elf.relocations(rs)) {
        const target = this.syms[r.symbol];
        const owner = placed.find((p) => r.offset >= p.start && r.offset < p.end);
        if (!owner) fail(file, `.maps relocation at ${r.offset} is outside every map`);
        const m = spec.maps[owner.name];
        if (owner.valuesOff < 0 || r.offset < owner.start + owner.valuesOff) fail(file, `map '${owner.name}': relocation at ${r.offset} is not in 'values'`);
        const rel = r.offset - owner.start - owner.valuesOff;
        if (rel % 8 !== 0) fail(file, `map '${owner.name}': misaligned 'values' slot at ${r.offset}`);
        const key = rel / 8;
        if (key >= m.maxEntries) fail(file, `map '${owner.name}': slot ${key} is beyond max_entries ${m.maxEntries}`);
        if (m.typeNumber === MAP_TYPE_PROG_ARRAY) {
          if (target.type !== STT_FUNC) fail(file, `prog array '${owner.name}': slot ${key} does not refer to a function`);
        } else if (isMapInMap(m.typeNumber)) {
          if (target.shndx !== sec.index) fail(file, `map '${owner.name}': slot ${key} does not refer to a map`);
        } else fail(file, `map '${owner.name}' cannot have initial values`);
        (m.contents ??= []).push({ key, value: target.name });
      }
    }
    for (const m of Object.values(spec.maps)) m.contents?.sort((a, b) => a.key - b.key);
  }

  private collectExterns(): void {
    const { spec } = this;
    const btf = spec.btf;
    const secOf = new Map<string, { kind: 'kconfig' | 'ksym'; typeId: number; func: boolean; localType: number }>();
    if (btf) {
      for (const [secName, kind] of [['.kconfig', 'kconfig'], ['.ksyms', 'ksym']] as const) {
        const ds = btf.find(secName, 'datasec');
        if (!ds || ds.kind !== 'datasec') continue;
        for (const v of ds.vars) {
          const t = btf.type(v.type);
          if (t.kind === 'var' || t.kind === 'func') secOf.set(t.name, { kind, typeId: t.id, func: t.kind === 'func', localType: t.type });
        }
      }
    }
    for (const s of this.syms) {
      if (s.index === 0 || s.shndx !== SHN_UNDEF || !s.name || s.type === STT_SECTION) continue;
      if (s.bind === STB_LOCAL) continue;
      const info = secOf.get(s.name);
      let e: ExternSpec;
      if (info) e = { name: s.name, kind: info.kind, weak: s.bind === 2, typeId: info.typeId, func: info.func, localType: info.localType };
      else e = { name: s.name, kind: s.type === STT_FUNC ? 'ksym' : 'kconfig', weak: s.bind === 2, typeId: undefined, func: s.type === STT_FUNC };
      spec.externs.push(e);
      this.externBySym.set(s.index, e);
    }
  }

  /**
   * Lays .kconfig externs out in a read-only '.kconfig' map as libbpf does: by alignment (largest
   * first), then size, then name; each becomes a variable of that map. The BTF's .kconfig and
   * .ksyms DATASECs are rewritten to what the kernel accepts (allocated variables, real sizes).
   */
  private layoutKconfig(): void {
    const { spec, file } = this;
    const btf = spec.btf;
    const kcfg = spec.externs.filter((e) => e.kind === 'kconfig' && e.typeId !== undefined);
    if (!btf) return;
    if (kcfg.length) {
      const laid = kcfg.map((e) => {
        const vt = btf.type(e.typeId!);
        if (vt.kind !== 'var') fail(file, `.kconfig extern '${e.name}' is not a variable`);
        let size: number;
        let align: number;
        try {
          size = btf.sizeof(vt.type);
          align = btf.alignof(vt.type);
        } catch {
          fail(file, `.kconfig extern '${e.name}' has a type without a size`);
        }
        if (size === 0) fail(file, `.kconfig extern '${e.name}' has size 0`);
        return { e, size, align, type: vt.type };
      });
      laid.sort((a, b) => b.align - a.align || a.size - b.size || (a.e.name < b.e.name ? -1 : a.e.name > b.e.name ? 1 : 0));
      let off = 0;
      for (const l of laid) {
        off = Math.ceil(off / l.align) * l.align;
        l.e.offset = off;
        l.e.size = l.size;
        off += l.size;
      }
      const m = emptyMapSpec('.kconfig', '.kconfig');
      m.kernelName = internalMapName(spec.name, '.kconfig');
      m.type = 'array';
      m.typeNumber = 2;
      m.keySize = 4;
      m.valueSize = off;
      m.maxEntries = 1;
      m.internal = 'kconfig';
      m.flags = BPF_F_MMAPABLE | BPF_F_RDONLY_PROG;
      const ds = btf.find('.kconfig', 'datasec');
      if (ds) m.valueTypeId = ds.id;
      spec.maps['.kconfig'] = m;
      for (const l of laid) {
        spec.variables[l.e.name] = { name: l.e.name, map: '.kconfig', offset: l.e.offset!, size: l.size, typeId: l.type, readonly: true, global: true };
      }
    }
    spec.btf = fixupExternDatasecs(btf, new Map(kcfg.map((e) => [e.name, e.offset!])), spec.maps['.kconfig']?.valueSize ?? 0);
  }

  private funcContaining(secIndex: number, insn: number): Func | undefined {
    const list = this.funcs.get(secIndex);
    if (!list) return undefined;
    return list.find((f) => insn >= f.start && insn < f.start + f.count);
  }

  private collectPrograms(): void {
    const { spec, file } = this;
    for (const [secIndex, list] of this.funcs) {
      if (secIndex === this.textIndex) continue;
      const sec = this.elf.sections[secIndex];
      for (const f of list) {
        if (!f.global) continue; // static functions in a program section are subprograms
        if (spec.programs[f.name]) fail(file, `program '${f.name}' is defined twice`);
        spec.programs[f.name] = this.link(f, sec);
      }
    }
  }

  /** Builds a program: its entry function plus every subprogram reachable from it, appended. */
  private link(entry: Func, sec: ElfSection): ProgramSpec {
    const { file } = this;
    const le = this.elf.littleEndian;
    const placedAt = new Map<Func, number>();
    const order: Func[] = [];
    const patches: [number, number][] = [];
    const references: InsnReference[] = [];
    let total = 0;
    const place = (f: Func) => {
      placedAt.set(f, total);
      order.push(f);
      total += f.count;
    };
    const visit = (f: Func, depth: number) => {
      if (depth > 10000) fail(file, 'subprogram calls nest too deeply');
      const base = placedAt.get(f)!;
      const data = f.sec.data;
      const rel = this.relocs.get(f.sec.index)!;
      for (let i = 0; i < f.count; i++) {
        const si = f.start + i;
        const code = insnCode(data, si);
        const sym = rel.get(si);
        const out = base + i;
        const isCall = code === OP_CALL;
        const isLd = code === OP_LD_IMM64;
        if (isLd && si + 1 >= f.start + f.count) fail(file, `ld_imm64 at ${si} in '${f.sec.name}' is cut off`);
        if (sym && !isCall && !isLd) fail(file, `relocation against '${sym.name}' at instruction ${si} of '${f.sec.name}' that is neither call nor ld_imm64 (code 0x${code.toString(16)})`);
        let calleeSec = -1;
        let calleeInsn = -1;
        const ext = sym ? this.externBySym.get(sym.index) : undefined;
        if (ext && ext.kind === 'kconfig' && ext.offset !== undefined) {
          if (!isLd) fail(file, `.kconfig extern '${ext.name}' is called at instruction ${si} of '${f.sec.name}'`);
          // libbpf places the value's offset, ignoring the instruction's addend
          references.push({ kind: 'map_value', insn: out, map: '.kconfig', offset: ext.offset });
        } else if (ext) {
          references.push({ kind: 'extern', insn: out, name: ext.name, call: isCall });
        } else if (isCall && insnSrcReg(data, si, le) === BPF_PSEUDO_CALL) {
          const imm = insnImm(data, si, le);
          if (sym) {
            if (sym.shndx !== this.textIndex || this.textIndex < 0) fail(file, `call at ${si} of '${f.sec.name}' targets '${sym.name}' outside .text`);
            if (sym.value % INSN_SIZE !== 0) fail(file, `call at ${si} of '${f.sec.name}' targets a misaligned offset`);
            calleeSec = sym.shndx;
            calleeInsn = sym.value / INSN_SIZE + imm + 1;
          } else {
            calleeSec = f.sec.index;
            calleeInsn = si + imm + 1;
          }
        } else if (isLd && sym) {
          const s2 = sym;
          if (s2.shndx === SHN_UNDEF || s2.shndx >= SHN_LORESERVE) fail(file, `ld_imm64 at ${si} of '${f.sec.name}' refers to '${s2.name}' in a special section`);
          const imm = insnImm(data, si, le);
          if (this.funcs.has(s2.shndx) && (s2.type === STT_FUNC || s2.type === STT_SECTION) && s2.shndx === this.textIndex) {
            if (s2.value % INSN_SIZE !== 0 || imm % INSN_SIZE !== 0) fail(file, `bad subprogram address at ${si} of '${f.sec.name}'`);
            calleeSec = s2.shndx;
            calleeInsn = s2.value / INSN_SIZE + imm / INSN_SIZE;
            if (insnSrcReg(data, si, le) !== BPF_PSEUDO_FUNC) fail(file, `subprogram address at ${si} of '${f.sec.name}' without BPF_PSEUDO_FUNC`);
          } else if (s2.shndx === this.mapsIndex || s2.shndx === this.legacyMapsIndex) {
            const name = this.mapAt.get(`${s2.shndx}:${s2.value}`);
            if (!name) fail(file, `ld_imm64 at ${si} of '${f.sec.name}' refers to no map (section offset ${s2.value})`);
            references.push({ kind: 'map', insn: out, map: name });
          } else if (this.dataMapBySection.has(s2.shndx)) {
            references.push({ kind: 'map_value', insn: out, map: this.dataMapBySection.get(s2.shndx)!, offset: imm + (s2.type === STT_SECTION ? 0 : s2.value) });
          } else {
            fail(file, `ld_imm64 at ${si} of '${f.sec.name}' has a relocation against section ${s2.shndx}, which is neither map nor data`);
          }
        }
        if (calleeSec >= 0) {
          const callee = this.funcContaining(calleeSec, calleeInsn);
          if (!callee || callee.start !== calleeInsn) fail(file, `call at ${si} of '${f.sec.name}' does not land on the start of a function`);
          if (!placedAt.has(callee)) {
            place(callee);
            visit(callee, depth + 1);
          }
          patches.push([out, placedAt.get(callee)! - out - 1]);
        }
        if (isLd) i++;
      }
    };
    place(entry);
    visit(entry, 0);

    const instructions = Buffer.alloc(total * INSN_SIZE);
    const functions: FunctionPlacement[] = [];
    const funcInfo: FuncInfo[] = [];
    const lineInfo: LineInfo[] = [];
    const coreRelos: CoreRelo[] = [];
    const ext = this.spec.btfExt;
    for (const f of order) {
      const at = placedAt.get(f)!;
      instructions.set(f.sec.data.subarray(f.start * INSN_SIZE, (f.start + f.count) * INSN_SIZE), at * INSN_SIZE);
      functions.push({ name: f.name, section: f.sec.name, insnOff: at, insnCount: f.count });
      if (ext) {
        const inRange = <T extends { insnOff: number }>(l: T[] | undefined): T[] =>
          (l ?? []).filter((r) => r.insnOff >= f.start && r.insnOff < f.start + f.count).map((r) => ({ ...r, insnOff: r.insnOff - f.start + at }));
        funcInfo.push(...inRange(ext.funcInfo.get(f.sec.name)));
        lineInfo.push(...inRange(ext.lineInfo.get(f.sec.name)));
        coreRelos.push(...inRange(ext.coreRelos.get(f.sec.name)));
      }
    }
    for (const [at, imm] of patches) setInsnImm(instructions, at, imm, le);
    const cls = classifySection(sec.name);
    return {
      name: entry.name,
      sectionName: sec.name,
      type: cls.programType,
      expectedAttachType: cls.attachType,
      attachTo: cls.target,
      sleepable: cls.sleepable,
      xdpFrags: cls.xdpFrags,
      autoload: cls.autoload,
      sectionDef: cls.def,
      license: this.spec.license,
      kernelVersion: this.spec.kernelVersion,
      instructions,
      littleEndian: le,
      references,
      functions,
      funcInfo,
      lineInfo,
      coreRelos,
    };
  }
}

// A bounded ELF64 reader (either byte order): sections, symbols and relocations.
// Every offset and count is checked against the buffer before use, so malformed input ends in
// a ParseError naming the problem, never an exception of another kind or a huge allocation.
import { ParseError } from '../sys/errors.js';

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export const EM_BPF = 247;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The section's bytes (empty for SHT_NOBITS). */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  type: number;
  bind: number;
  visibility: number;
  shndx: number;
}

export interface ElfRelocation {
  offset: number;
  symbol: number;
  type: number;
  addend: bigint;
}

function fail(file: string | undefined, reason: string, offset: number): never {
  throw new ParseError(`ELF: ${reason}`, { file, line: 1, column: offset + 1 });
}

export class ElfFile {
  readonly file: string | undefined;
  readonly buf: Uint8Array;
  readonly littleEndian: boolean;
  readonly machine: number;
  readonly elfType: number;
  readonly sections: ElfSection[];
  private readonly dv: DataView;
  private symbolsCache: ElfSymbol[] | undefined;
  private symtabIndex = -1;

  private constructor(buf: Uint8Array, file: string | undefined) {
    this.file = file;
    this.buf = buf;
    if (buf.length < 64) fail(file, `file too short for an ELF64 header (${buf.length} bytes)`, 0);
    if (buf[0] !== 0x7f || buf[1] !== 0x45 || buf[2] !== 0x4c || buf[3] !== 0x46) fail(file, 'not an ELF file (bad magic)', 0);
    if (buf[4] !== 2) fail(file, `not a 64-bit ELF file (class ${buf[4]})`, 4);
    if (buf[5] !== 1 && buf[5] !== 2) fail(file, `bad data encoding ${buf[5]}`, 5);
    if (buf[6] !== 1) fail(file, `bad ELF version ${buf[6]}`, 6);
    this.littleEndian = buf[5] === 1;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const le = this.littleEndian;
    this.elfType = this.dv.getUint16(16, le);
    this.machine = this.dv.getUint16(18, le);
    const shoff = this.u64(40, 'section header offset');
    const shentsize = this.dv.getUint16(58, le);
    let shnum = this.dv.getUint16(60, le);
    let shstrndx = this.dv.getUint16(62, le);
    if (shoff === 0) {
      this.sections = [];
      return;
    }
    if (shentsize < 64) fail(file, `section header entry size ${shentsize} is smaller than 64`, 58);
    if (shoff > buf.length || shoff + shentsize > buf.length) fail(file, `section headers at ${shoff} lie outside the file`, 40);
    // Extended numbering: the real count and string table index live in section header 0.
    if (shnum === 0) {
      const n = this.u64(shoff + 32, 'section count');
      if (n > 0xffffffff) fail(file, `section count ${n} is absurd`, shoff + 32);
      shnum = n;
    }
    if (shstrndx === SHN_XINDEX) shstrndx = this.dv.getUint32(shoff + 40, le);
    if (shnum * shentsize > buf.length - shoff) fail(file, `${shnum} section headers of ${shentsize} bytes do not fit in the file`, 60);
    if (shstrndx >= shnum) fail(file, `section name table index ${shstrndx} is out of range (${shnum} sections)`, 62);
    const sections: ElfSection[] = new Array(shnum);
    for (let i = 0; i < shnum; i++) {
      const h = shoff + i * shentsize;
      const type = this.dv.getUint32(h + 4, le);
      const offset = this.u64(h + 24, `section ${i} offset`);
      const size = this.u64(h + 32, `section ${i} size`);
      if (type !== SHT_NOBITS && type !== SHT_NULL && (offset > buf.length || size > buf.length - offset)) {
        fail(file, `section ${i} (offset ${offset}, size ${size}) lies outside the file`, h + 24);
      }
      sections[i] = {
        index: i,
        name: '',
        type,
        flags: this.u64(h + 8, `section ${i} flags`),
        offset,
        size,
        link: this.dv.getUint32(h + 40, le),
        info: this.dv.getUint32(h + 44, le),
        addralign: this.u64(h + 48, `section ${i} alignment`),
        entsize: this.u64(h + 56, `section ${i} entry size`),
        data: type === SHT_NOBITS || type === SHT_NULL ? new Uint8Array(0) : buf.subarray(offset, offset + size),
      };
    }
    this.sections = sections;
    const shstr = sections[shstrndx];
    for (let i = 0; i < shnum; i++) {
      const nameOff = this.dv.getUint32(shoff + i * shentsize, le);
      sections[i].name = i === 0 && nameOff === 0 ? '' : this.str(shstr, nameOff, `name of section ${i}`);
    }
  }

  static parse(buf: Uint8Array, file?: string): ElfFile {
    return new ElfFile(buf, file);
  }

  /** A 64-bit field that must fit a JS number (offsets and sizes in this file). */
  private u64(at: number, what: string): number {
    const hi = this.dv.getUint32(at + (this.littleEndian ? 4 : 0), this.littleEndian);
    const lo = this.dv.getUint32(at + (this.littleEndian ? 0 : 4), this.littleEndian);
    if (hi >= 0x200000) fail(this.file, `${what} is too large`, at);
    return hi * 0x100000000 + lo;
  }

  /** A NUL-terminated string from a string table section. */
  str(section: ElfSection | undefined, off: number, what: string): string {
    if (!section || section.type === SHT_NOBITS) fail(this.file, `${what}: no string table`, 0);
    const d = section.data;
    if (off >= d.length) fail(this.file, `${what}: offset ${off} is outside string table '${section.name}' (${d.length} bytes)`, section.offset);
    let end = d.indexOf(0, off);
    if (end < 0) fail(this.file, `${what}: string at ${off} is not terminated`, section.offset + off);
    return Buffer.from(d.buffer, d.byteOffset + off, end - off).toString('utf8');
  }

  sectionByName(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  section(index: number, what = 'section'): ElfSection {
    const s = this.sections[index];
    if (!s) fail(this.file, `${what} index ${index} is out of range (${this.sections.length} sections)`, 0);
    return s;
  }

  /** The symbol table (index 0 is the null symbol). Empty when the file has none. */
  symbols(): ElfSymbol[] {
    if (this.symbolsCache) return this.symbolsCache;
    const symtabs = this.sections.filter((s) => s.type === SHT_SYMTAB);
    if (symtabs.length > 1) fail(this.file, 'more than one symbol table', 0);
    const st = symtabs[0];
    if (!st) return (this.symbolsCache = []);
    this.symtabIndex = st.index;
    return (this.symbolsCache = this.symbolTable(st));
  }

  /** Decodes any symbol table section (SHT_SYMTAB, or SHT_DYNSYM of an executable or library). */
  symbolTable(st: ElfSection): ElfSymbol[] {
    const entsize = st.entsize || 24;
    if (entsize < 24) fail(this.file, `symbol entry size ${entsize} is smaller than 24`, st.offset);
    const n = Math.floor(st.size / entsize);
    const strtab = this.section(st.link, 'symbol string table');
    if (strtab.type !== SHT_STRTAB) fail(this.file, `symbol string table (section ${st.link}) is not a string table`, st.offset);
    const le = this.littleEndian;
    const dv = new DataView(st.data.buffer, st.data.byteOffset, st.data.byteLength);
    const syms: ElfSymbol[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const p = i * entsize;
      const nameOff = dv.getUint32(p, le);
      const info = dv.getUint8(p + 4);
      const hi = dv.getUint32(p + 8 + (le ? 4 : 0), le);
      const lo = dv.getUint32(p + 8 + (le ? 0 : 4), le);
      const shi = dv.getUint32(p + 16 + (le ? 4 : 0), le);
      const slo = dv.getUint32(p + 16 + (le ? 0 : 4), le);
      if (hi >= 0x200000 || shi >= 0x200000) fail(this.file, `symbol ${i} has an absurd value or size`, st.offset + p);
      syms[i] = {
        index: i,
        name: nameOff === 0 ? '' : this.str(strtab, nameOff, `name of symbol ${i}`),
        value: hi * 0x100000000 + lo,
        size: shi * 0x100000000 + slo,
        type: info & 0xf,
        bind: info >>> 4,
        visibility: dv.getUint8(p + 5) & 0x3,
        shndx: dv.getUint16(p + 6, le),
      };
    }
    return syms;
  }

  symbolTableIndex(): number {
    this.symbols();
    return this.symtabIndex;
  }

  /** Relocation sections that apply to section `target`. */
  relocationSectionsFor(target: number): ElfSection[] {
    return this.sections.filter((s) => (s.type === SHT_REL || s.type === SHT_RELA) && s.info === target);
  }

  /** Decodes a SHT_REL or SHT_RELA section; symbol indexes are checked against the symbol table. */
  relocations(sec: ElfSection): ElfRelocation[] {
    const rela = sec.type === SHT_RELA;
    if (!rela && sec.type !== SHT_REL) fail(this.file, `section '${sec.name}' is not a relocation section`, sec.offset);
    const min = rela ? 24 : 16;
    const entsize = sec.entsize || min;
    if (entsize < min) fail(this.file, `relocation entry size ${entsize} in '${sec.name}' is too small`, sec.offset);
    const n = Math.floor(sec.size / entsize);
    const nsyms = this.symbols().length;
    const le = this.littleEndian;
    const dv = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
    const out: ElfRelocation[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const p = i * entsize;
      const offHi = dv.getUint32(p + (le ? 4 : 0), le);
      const offLo = dv.getUint32(p + (le ? 0 : 4), le);
      if (offHi !== 0) fail(this.file, `relocation ${i} in '${sec.name}' has an absurd offset`, sec.offset + p);
      const infoHi = dv.getUint32(p + 8 + (le ? 4 : 0), le);
      const infoLo = dv.getUint32(p + 8 + (le ? 0 : 4), le);
      if (infoHi >= nsyms) fail(this.file, `relocation ${i} in '${sec.name}' names symbol ${infoHi}, but there are ${nsyms}`, sec.offset + p + 8);
      out[i] = { offset: offLo, symbol: infoHi, type: infoLo, addend: rela ? dv.getBigInt64(p + 16, le) : 0n };
    }
    return out;
  }
}

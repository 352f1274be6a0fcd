// Executables and shared libraries (as opposed to BPF objects): program headers, .dynsym, notes,
// build-id and .gnu_debuglink, read from an ElfFile.
//
// readElfImage() reads only the parts of a file that symbolization needs (headers, symbol and
// string tables, notes) into a buffer the size of the file: the untouched pages of a zero-filled
// allocation are never committed, so a 100 MB binary costs a few megabytes.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ParseError } from '../sys/errors.js';
import { ElfFile, SHT_STRTAB, SHT_SYMTAB, type ElfSection, type ElfSymbol } from './reader.js';

export const SHT_NOTE = 7;
export const SHT_DYNSYM = 11;

export const ET_EXEC = 2;
export const ET_DYN = 3;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_NOTE = 4;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const STT_GNU_IFUNC = 10;
export const STT_TLS = 6;

export const NT_GNU_BUILD_ID = 3;
export const NT_STAPSDT = 3;

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfNote {
  /** Owner, e.g. 'GNU' or 'stapsdt'. */
  name: string;
  type: number;
  desc: Uint8Array;
  /** The section the note came from. */
  section: string;
}

function fail(file: string | undefined, reason: string, offset: number): never {
  throw new ParseError(`ELF: ${reason}`, { file, line: 1, column: offset + 1 });
}

function u64(dv: DataView, at: number, le: boolean, file: string | undefined, what: string): number {
  const v = dv.getBigUint64(at, le);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(file, `${what} is too large`, at);
  return Number(v);
}

/** The program headers (empty for relocatable objects). */
export function programHeaders(elf: ElfFile): ProgramHeader[] {
  const b = elf.buf;
  const le = elf.littleEndian;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const phoff = u64(dv, 32, le, elf.file, 'program header offset');
  const phentsize = dv.getUint16(54, le);
  const phnum = dv.getUint16(56, le);
  if (phoff === 0 || phnum === 0) return [];
  if (phentsize < 56) fail(elf.file, `program header entry size ${phentsize} is smaller than 56`, 54);
  // phnum 0xffff means the real count is in section 0's sh_info (PN_XNUM).
  const n = phnum === 0xffff ? (elf.sections[0]?.info ?? 0) : phnum;
  if (phoff > b.length || n * phentsize > b.length - phoff) fail(elf.file, `${n} program headers at ${phoff} lie outside the file`, 32);
  const out: ProgramHeader[] = [];
  for (let i = 0; i < n; i++) {
    const h = phoff + i * phentsize;
    out.push({
      type: dv.getUint32(h, le),
      flags: dv.getUint32(h + 4, le),
      offset: u64(dv, h + 8, le, elf.file, `segment ${i} offset`),
      vaddr: u64(dv, h + 16, le, elf.file, `segment ${i} address`),
      paddr: u64(dv, h + 24, le, elf.file, `segment ${i} physical address`),
      filesz: u64(dv, h + 32, le, elf.file, `segment ${i} file size`),
      memsz: u64(dv, h + 40, le, elf.file, `segment ${i} memory size`),
      align: u64(dv, h + 48, le, elf.file, `segment ${i} alignment`),
    });
  }
  return out;
}

/** PT_LOAD segments, sorted by address. */
export function loadSegments(elf: ElfFile): ProgramHeader[] {
  return programHeaders(elf).filter((p) => p.type === PT_LOAD).sort((a, b) => a.vaddr - b.vaddr);
}

/** The loaded segment whose memory image contains `vaddr`. */
export function segmentForAddress(segments: readonly ProgramHeader[], vaddr: number): ProgramHeader | undefined {
  return segments.find((s) => s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.memsz);
}

/** Virtual address → file offset through the containing PT_LOAD (what a uprobe wants). */
export function vaddrToFileOffset(segments: readonly ProgramHeader[], vaddr: number): number | undefined {
  const s = segmentForAddress(segments, vaddr);
  return s ? vaddr - s.vaddr + s.offset : undefined;
}

/** File offset → virtual address (how a mapped address in /proc/PID/maps finds its symbol). */
export function fileOffsetToVaddr(segments: readonly ProgramHeader[], offset: number): number | undefined {
  for (const s of segments) {
    if (s.type === PT_LOAD && offset >= s.offset && offset < s.offset + Math.max(s.filesz, 1)) return offset - s.offset + s.vaddr;
  }
  return undefined;
}

/** .dynsym, the symbols a stripped executable or library keeps for the dynamic linker. */
export function dynamicSymbols(elf: ElfFile): ElfSymbol[] {
  const s = elf.sections.find((x) => x.type === SHT_DYNSYM);
  return s ? elf.symbolTable(s) : [];
}

/** .symtab (empty when stripped). */
export function staticSymbols(elf: ElfFile): ElfSymbol[] {
  const s = elf.sections.find((x) => x.type === SHT_SYMTAB);
  return s ? elf.symbolTable(s) : [];
}

/** The notes of every SHT_NOTE section (or of the named one). */
export function notes(elf: ElfFile, sectionName?: string): ElfNote[] {
  const out: ElfNote[] = [];
  const le = elf.littleEndian;
  for (const sec of elf.sections) {
    if (sec.type !== SHT_NOTE || (sectionName !== undefined && sec.name !== sectionName)) continue;
    // Note entries are 4-byte aligned, except in sections aligned to 8 (.note.gnu.property).
    const align = sec.addralign === 8 ? 8 : 4;
    const d = sec.data;
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    let p = 0;
    while (p + 12 <= d.length) {
      const namesz = dv.getUint32(p, le);
      const descsz = dv.getUint32(p + 4, le);
      const type = dv.getUint32(p + 8, le);
      const nameAt = p + 12;
      const descAt = roundUp(nameAt + namesz, align);
      const next = roundUp(descAt + descsz, align);
      if (descAt + descsz > d.length) fail(elf.file, `note at ${p} in '${sec.name}' runs past the section end`, sec.offset + p);
      let nameEnd = nameAt + namesz;
      while (nameEnd > nameAt && d[nameEnd - 1] === 0) nameEnd--;
      out.push({ name: Buffer.from(d.buffer, d.byteOffset + nameAt, nameEnd - nameAt).toString('latin1'), type, desc: d.subarray(descAt, descAt + descsz), section: sec.name });
      p = next;
    }
  }
  return out;
}

function roundUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** NT_GNU_BUILD_ID as lower-case hex, or undefined. */
export function buildId(elf: ElfFile): string | undefined {
  const n = notes(elf).find((x) => x.name === 'GNU' && x.type === NT_GNU_BUILD_ID);
  return n ? Buffer.from(n.desc).toString('hex') : undefined;
}

/** .gnu_debuglink: the debug file's name and the CRC-32 of its contents. */
export function debugLink(elf: ElfFile): { file: string; crc: number } | undefined {
  const s = elf.sectionByName('.gnu_debuglink');
  if (!s || s.data.length < 5) return undefined;
  const end = s.data.indexOf(0);
  if (end <= 0) return undefined;
  const crcAt = roundUp(end + 1, 4);
  if (crcAt + 4 > s.data.length) return undefined;
  const dv = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
  return { file: Buffer.from(s.data.subarray(0, end)).toString('utf8'), crc: dv.getUint32(crcAt, elf.littleEndian) };
}

/** Sections readElfImage() reads by default: what symbolization and USDT need. */
export function isSymbolizationSection(s: ElfSection): boolean {
  return s.type === SHT_SYMTAB || s.type === SHT_DYNSYM || s.type === SHT_STRTAB || s.type === SHT_NOTE ||
    s.name === '.gnu_debuglink' || s.name === '.stapsdt.base' || s.name === '.probes';
}

/**
 * Opens an ELF file reading only the headers and the sections `want` selects; the other sections'
 * `data` read as zeros. Errors on files that are not 64-bit ELF.
 */
export function readElfImage(path: string, want: (s: ElfSection) => boolean = isSymbolizationSection): ElfFile {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 64) fail(path, `file too short for an ELF64 header (${size} bytes)`, 0);
    const buf = Buffer.alloc(size);
    const fill = (off: number, len: number): void => {
      const end = Math.min(size, off + len);
      let p = off;
      while (p < end) {
        const n = readSync(fd, buf, p, end - p, p);
        if (n <= 0) break;
        p += n;
      }
    };
    fill(0, 64);
    if (buf[0] !== 0x7f || buf[1] !== 0x45 || buf[2] !== 0x4c || buf[3] !== 0x46) fail(path, 'not an ELF file (bad magic)', 0);
    const le = buf[5] !== 2;
    if (buf[4] === 2) {
      const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const phoff = Number(dv.getBigUint64(32, le));
      const shoff = Number(dv.getBigUint64(40, le));
      const phentsize = dv.getUint16(54, le);
      const phnum = dv.getUint16(56, le);
      const shentsize = dv.getUint16(58, le);
      let shnum = dv.getUint16(60, le);
      let shstrndx = dv.getUint16(62, le);
      if (shoff > 0 && shoff < size) {
        fill(shoff, shentsize);
        if (shnum === 0) shnum = Number(dv.getBigUint64(shoff + 32, le));
        if (shstrndx === 0xffff) shstrndx = dv.getUint32(shoff + 40, le);
        fill(shoff, Math.min(shnum * shentsize, size - shoff));
        if (shstrndx < shnum && shoff + (shstrndx + 1) * shentsize <= size) {
          const h = shoff + shstrndx * shentsize;
          fill(Number(dv.getBigUint64(h + 24, le)), Number(dv.getBigUint64(h + 32, le)));
        }
      }
      if (phoff > 0 && phoff < size) fill(phoff, Math.min((phnum === 0xffff ? 0 : phnum) * phentsize, size - phoff));
    }
    const elf = ElfFile.parse(buf, path);
    if (elf.sections.length > 0 && programHeaders(elf).length === 0) {
      // PN_XNUM: the count was only known after section 0 was read.
      const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      fill(Number(dv.getBigUint64(32, le)), (elf.sections[0].info || 0) * dv.getUint16(54, le));
    }
    for (const s of elf.sections) {
      if (s.type !== 8 && s.size > 0 && want(s)) fill(s.offset, s.size);
    }
    return elf;
  } finally {
    closeSync(fd);
  }
}

/** A section's sh_addr (its address in the loaded image; 0 for sections that are not loaded). */
export function sectionAddress(elf: ElfFile, section: ElfSection): number {
  const b = elf.buf;
  const le = elf.littleEndian;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shoff = u64(dv, 40, le, elf.file, 'section header offset');
  const shentsize = dv.getUint16(58, le);
  return u64(dv, shoff + section.index * shentsize + 16, le, elf.file, `section ${section.index} address`);
}

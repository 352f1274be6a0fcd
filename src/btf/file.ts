// Reading BTF from a file that is either raw BTF (/sys/kernel/btf/*, .btf) or an ELF object's .BTF.
import { readFileSync } from 'node:fs';
import { ParseError } from '../sys/errors.js';
import { Btf } from './btf.js';
import { BTF_MAGIC } from './decode.js';

/** ELF section lookup just for .BTF, kept here so that btf/ does not depend on elf/. */
function elfBtfSection(buf: Uint8Array, file: string): Uint8Array | undefined {
  if (buf.length < 64 || buf[0] !== 0x7f || buf[1] !== 0x45 || buf[2] !== 0x4c || buf[3] !== 0x46) return undefined;
  if (buf[4] !== 2) throw new ParseError('ELF: only 64-bit objects are supported', { file, line: 1, column: 5 });
  const le = buf[5] === 1;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u64 = (at: number) => Number(dv.getBigUint64(at, le));
  const shoff = u64(40);
  const shentsize = dv.getUint16(58, le);
  const shnum = dv.getUint16(60, le);
  const shstrndx = dv.getUint16(62, le);
  const bad = () => new ParseError('ELF: section headers are malformed', { file, line: 1, column: 41 });
  if (shentsize < 64 || shoff + shnum * shentsize > buf.length || shstrndx >= shnum) throw bad();
  const hdr = (i: number) => shoff + i * shentsize;
  const strOff = u64(hdr(shstrndx) + 24);
  const strSize = u64(hdr(shstrndx) + 32);
  if (strOff + strSize > buf.length) throw bad();
  for (let i = 0; i < shnum; i++) {
    const nameOff = dv.getUint32(hdr(i), le);
    if (nameOff >= strSize) continue;
    const start = strOff + nameOff;
    const end = buf.indexOf(0, start);
    if (end < 0 || end > strOff + strSize) continue;
    if (Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString() !== '.BTF') continue;
    const off = u64(hdr(i) + 24);
    const size = u64(hdr(i) + 32);
    if (off + size > buf.length) throw bad();
    return buf.subarray(off, off + size);
  }
  throw new ParseError('ELF object has no .BTF section (compile with -g)', { file, line: 1, column: 1 });
}

/** Loads BTF from raw BTF or from an ELF object's .BTF section; `base` for split BTF. */
export function btfFromFile(path: string, opts: { base?: Btf } = {}): Btf {
  const buf = readFileSync(path);
  const sec = elfBtfSection(buf, path);
  if (sec) return Btf.fromBuffer(sec, { file: path, base: opts.base });
  if (buf.length >= 2 && buf.readUInt16LE(0) !== BTF_MAGIC && buf.readUInt16BE(0) !== BTF_MAGIC) {
    throw new ParseError('neither raw BTF nor an ELF object', { file: path, line: 1, column: 1 });
  }
  return Btf.fromBuffer(buf, { file: path, base: opts.base });
}

// Decoding of raw BTF (the .BTF section, /sys/kernel/btf/*) into the type model.
import { isAscii } from 'node:buffer';
import { ParseError } from '../sys/errors.js';
import type { BtfType } from './types.js';
import { BtfTable } from './table.js';

export const BTF_MAGIC = 0xeb9f;
const HEADER_MIN = 24;

export interface BtfHeader {
  littleEndian: boolean;
  version: number;
  flags: number;
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
}

function fail(file: string | undefined, reason: string, offset: number): never {
  throw new ParseError(`BTF: ${reason} (at byte ${offset})`, { file, line: 1, column: offset + 1 });
}

export function decodeBtfHeader(buf: Uint8Array, file?: string): BtfHeader {
  if (buf.length < HEADER_MIN) fail(file, 'too short for a BTF header', 0);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let le = true;
  if (dv.getUint16(0, true) !== BTF_MAGIC) {
    if (dv.getUint16(0, false) !== BTF_MAGIC) fail(file, 'bad magic, not BTF', 0);
    le = false;
  }
  const h: BtfHeader = {
    littleEndian: le,
    version: dv.getUint8(2),
    flags: dv.getUint8(3),
    hdrLen: dv.getUint32(4, le),
    typeOff: dv.getUint32(8, le),
    typeLen: dv.getUint32(12, le),
    strOff: dv.getUint32(16, le),
    strLen: dv.getUint32(20, le),
  };
  if (h.version !== 1) fail(file, `unsupported BTF version ${h.version}`, 2);
  if (h.hdrLen < HEADER_MIN || h.hdrLen > buf.length) fail(file, `bad header length ${h.hdrLen}`, 4);
  const body = buf.length - h.hdrLen;
  if (h.typeOff + h.typeLen > body || h.typeOff + h.typeLen < h.typeOff) fail(file, 'type section out of bounds', 8);
  if (h.strOff + h.strLen > body || h.strOff + h.strLen < h.strOff) fail(file, 'string section out of bounds', 16);
  if (h.typeOff % 4 !== 0) fail(file, 'type section misaligned', 8);
  return h;
}

export interface DecodedBtf {
  header: BtfHeader;
  /** types[0] is void; ids continue from the base BTF's last id for split BTF. */
  types: BtfType[];
  strings: Uint8Array;
  /** Id of the first type in `types` after void (1, or base count for split BTF). */
  firstId: number;
}

/** Reads a NUL-terminated string from a string table. */
export function readString(strings: Uint8Array, off: number, decoder = new TextDecoder()): string {
  if (off === 0) return '';
  if (off >= strings.length) throw new RangeError(`string offset ${off} beyond string table of ${strings.length} bytes`);
  let end = off;
  while (end < strings.length && strings[end] !== 0) end++;
  return decoder.decode(strings.subarray(off, end));
}

/**
 * Fast string lookup in a BTF string table: an all-ASCII table (the usual case) is decoded once
 * and sliced; otherwise each string is decoded as UTF-8 on first use.
 */
export class StringTable {
  readonly bytes: Uint8Array;
  private readonly text: string | undefined;
  private readonly cache = new Map<number, string>();
  private readonly decoder = new TextDecoder();
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.text = isAscii(bytes) ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1') : undefined;
  }
  /** The string at `off`, or undefined when `off` is outside the table. */
  get(off: number): string | undefined {
    if (off === 0) return '';
    if (off < 0 || off >= this.bytes.length) return undefined;
    if (this.text !== undefined) {
      let end = this.text.indexOf('\0', off);
      if (end < 0) end = this.text.length;
      return this.text.slice(off, end);
    }
    let s = this.cache.get(off);
    if (s === undefined) {
      s = readString(this.bytes, off, this.decoder);
      this.cache.set(off, s);
    }
    return s;
  }
}

/**
 * Decodes all types. `baseTypeCount` is the number of types (including void)
 * of the base BTF when decoding split BTF (kernel modules); base strings are
 * addressed below `baseStrings.length`.
 */
export function decodeBtf(buf: Uint8Array, opts: { file?: string; baseTypeCount?: number; baseStrings?: Uint8Array } = {}): DecodedBtf {
  const table = new BtfTable(buf, opts);
  const types: BtfType[] = new Array(table.count - table.firstId + (table.firstId === 1 ? 1 : 0));
  let i = 0;
  if (table.firstId === 1) types[i++] = { id: 0, kind: 'void', name: '' };
  for (let id = table.firstId; id < table.count; id++) types[i++] = table.decode(id);
  return { header: table.header, types, strings: table.strings.bytes, firstId: table.firstId };
}

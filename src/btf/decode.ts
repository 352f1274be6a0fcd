// Decoding of raw BTF (the .BTF section, /sys/kernel/btf/*) into the type model.
import { ParseError } from '../sys/errors.js';
import { BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, BTF_KINDS, type BtfType } from './types.js';

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
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    this.text = ascii ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1') : undefined;
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
  const { file } = opts;
  const h = decodeBtfHeader(buf, file);
  const le = h.littleEndian;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const strStart = h.hdrLen + h.strOff;
  const ownStrings = buf.subarray(strStart, strStart + h.strLen);
  const baseStrings = opts.baseStrings;
  const ownTable = new StringTable(ownStrings);
  const baseTable = baseStrings ? new StringTable(baseStrings) : undefined;
  const baseLen = baseStrings ? baseStrings.length : 0;
  const str = (off: number, at: number): string => {
    const s = baseTable && off < baseLen ? baseTable.get(off) : ownTable.get(off - baseLen);
    if (s === undefined) fail(file, `name offset ${off} outside the string table`, at);
    return s;
  };
  const firstId = opts.baseTypeCount ?? 1;
  const types: BtfType[] = [];
  if (firstId === 1) types.push({ id: 0, kind: 'void', name: '' });
  let p = h.hdrLen + h.typeOff;
  const end = p + h.typeLen;
  let id = firstId;
  const need = (n: number) => {
    if (p + n > end) fail(file, `type ${id} runs past the end of the type section`, p);
  };
  while (p < end) {
    need(12);
    const at = p;
    const nameOff = dv.getUint32(p, le);
    const info = dv.getUint32(p + 4, le);
    const sizeOrType = dv.getUint32(p + 8, le);
    p += 12;
    const vlen = info & 0xffff;
    const kindNum = (info >>> 24) & 0x1f;
    const kflag = (info >>> 31) === 1;
    const kind = BTF_KINDS[kindNum];
    if (kind === undefined || kind === 'void') fail(file, `type ${id} has unknown kind ${kindNum}`, at);
    const name = str(nameOff, at);
    let t: BtfType;
    switch (kind) {
      case 'int': {
        need(4);
        const v = dv.getUint32(p, le);
        p += 4;
        const enc = (v >>> 24) & 0xf;
        t = {
          id, kind, name, size: sizeOrType, bits: v & 0xff, offset: (v >>> 16) & 0xff,
          signed: (enc & BTF_INT_SIGNED) !== 0, char: (enc & BTF_INT_CHAR) !== 0, bool: (enc & BTF_INT_BOOL) !== 0,
        };
        break;
      }
      case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict':
        t = { id, kind, name, type: sizeOrType };
        break;
      case 'type_tag':
        t = kflag ? { id, kind, name, type: sizeOrType, attribute: true } : { id, kind, name, type: sizeOrType };
        break;
      case 'array':
        need(12);
        t = { id, kind, name, type: dv.getUint32(p, le), indexType: dv.getUint32(p + 4, le), nelems: dv.getUint32(p + 8, le) };
        p += 12;
        break;
      case 'struct': case 'union': {
        need(12 * vlen);
        const members = new Array(vlen);
        for (let i = 0; i < vlen; i++, p += 12) {
          const off = dv.getUint32(p + 8, le);
          members[i] = {
            name: str(dv.getUint32(p, le), p),
            type: dv.getUint32(p + 4, le),
            bitOffset: kflag ? off & 0xffffff : off,
            bitfieldSize: kflag ? off >>> 24 : 0,
          };
        }
        t = { id, kind, name, size: sizeOrType, members };
        break;
      }
      case 'enum': {
        need(8 * vlen);
        const values = new Array(vlen);
        for (let i = 0; i < vlen; i++, p += 8) {
          const raw = kflag ? dv.getInt32(p + 4, le) : dv.getUint32(p + 4, le);
          values[i] = { name: str(dv.getUint32(p, le), p), value: BigInt(raw) };
        }
        t = { id, kind, name, size: sizeOrType, signed: kflag, values };
        break;
      }
      case 'enum64': {
        need(12 * vlen);
        const values = new Array(vlen);
        for (let i = 0; i < vlen; i++, p += 12) {
          const lo = BigInt(dv.getUint32(p + 4, le));
          const hi = BigInt(dv.getUint32(p + 8, le));
          let v = (hi << 32n) | lo;
          if (kflag) v = BigInt.asIntN(64, v);
          values[i] = { name: str(dv.getUint32(p, le), p), value: v };
        }
        t = { id, kind, name, size: sizeOrType, signed: kflag, values };
        break;
      }
      case 'fwd':
        t = { id, kind, name, union: kflag };
        break;
      case 'func':
        t = { id, kind, name, type: sizeOrType, linkage: vlen };
        break;
      case 'func_proto': {
        need(8 * vlen);
        const params = new Array(vlen);
        for (let i = 0; i < vlen; i++, p += 8) params[i] = { name: str(dv.getUint32(p, le), p), type: dv.getUint32(p + 4, le) };
        t = { id, kind, name, returnType: sizeOrType, params };
        break;
      }
      case 'var':
        need(4);
        t = { id, kind, name, type: sizeOrType, linkage: dv.getUint32(p, le) };
        p += 4;
        break;
      case 'datasec': {
        need(12 * vlen);
        const vars = new Array(vlen);
        for (let i = 0; i < vlen; i++, p += 12) vars[i] = { type: dv.getUint32(p, le), offset: dv.getUint32(p + 4, le), size: dv.getUint32(p + 8, le) };
        t = { id, kind, name, size: sizeOrType, vars };
        break;
      }
      case 'float':
        t = { id, kind, name, size: sizeOrType };
        break;
      case 'decl_tag':
        need(4);
        t = { id, kind, name, type: sizeOrType, componentIdx: dv.getInt32(p, le) };
        if (kflag) t.attribute = true;
        p += 4;
        break;
    }
    types.push(t);
    id++;
  }
  return { header: h, types, strings: ownStrings, firstId };
}

// Decoding of raw BTF (the .BTF section, /sys/kernel/btf/*) into the type model.
import { isAscii } from 'node:buffer';
import { ParseError } from '../sys/errors.js';
import {
  BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, BTF_KINDS,
  type BtfEnumValue, type BtfKind, type BtfMember, type BtfParam, type BtfType, type BtfVarSecinfo,
} from './types.js';

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
  const r = new TypeReader(dv, le, h.hdrLen + h.typeOff, h.typeLen, file, str);
  r.id = firstId;
  while (r.p < r.end) {
    r.need(12);
    const at = r.p;
    const nameOff = r.u32(at);
    const info = r.u32(at + 4);
    const sizeOrType = r.u32(at + 8);
    r.p += 12;
    const kindNum = (info >>> 24) & 0x1f;
    const decodeKind = KIND_DECODERS[kindNum];
    if (decodeKind === undefined) fail(file, `type ${r.id} has unknown kind ${kindNum}`, at);
    types.push(decodeKind(r, BTF_KINDS[kindNum], str(nameOff, at), info & 0xffff, info >>> 31 === 1, sizeOrType));
    r.id++;
  }
  return { header: h, types, strings: ownStrings, firstId };
}

/** Cursor over the type section of one decodeBtf call. */
class TypeReader {
  /** Offset of the next byte to read. */
  p: number;
  /** Id of the type being decoded (for error messages). */
  id = 0;
  readonly end: number;
  constructor(
    private readonly dv: DataView,
    private readonly le: boolean,
    start: number,
    length: number,
    private readonly file: string | undefined,
    /** Looks up a name, failing with the byte offset `at` when it is outside the string table. */
    readonly str: (off: number, at: number) => string,
  ) {
    this.p = start;
    this.end = start + length;
  }
  need(n: number): void {
    if (this.p + n > this.end) fail(this.file, `type ${this.id} runs past the end of the type section`, this.p);
  }
  u32(at: number): number {
    return this.dv.getUint32(at, this.le);
  }
  i32(at: number): number {
    return this.dv.getInt32(at, this.le);
  }
}

/**
 * Decodes the kind-specific part of one type, after its 12-byte common header; `r.p` points at
 * the data that follows the header and is left after it.
 */
type KindDecoder = (r: TypeReader, kind: BtfKind, name: string, vlen: number, kflag: boolean, sizeOrType: number) => BtfType;

// One small function per kind, called through a table: each is optimised on its own, and a kind
// that first shows up late in a large BTF does not throw away the optimised code of the loop.
const decodeInt: KindDecoder = (r, _kind, name, _vlen, _kflag, size) => {
  r.need(4);
  const v = r.u32(r.p);
  r.p += 4;
  const enc = (v >>> 24) & 0xf;
  return {
    id: r.id, kind: 'int', name, size, bits: v & 0xff, offset: (v >>> 16) & 0xff,
    signed: (enc & BTF_INT_SIGNED) !== 0, char: (enc & BTF_INT_CHAR) !== 0, bool: (enc & BTF_INT_BOOL) !== 0,
  };
};

const decodeRef: KindDecoder = (r, kind, name, _vlen, _kflag, type) =>
  ({ id: r.id, kind: kind as 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict', name, type });

const decodeTypeTag: KindDecoder = (r, _kind, name, _vlen, kflag, type) =>
  kflag ? { id: r.id, kind: 'type_tag', name, type, attribute: true } : { id: r.id, kind: 'type_tag', name, type };

const decodeArray: KindDecoder = (r, _kind, name) => {
  r.need(12);
  const p = r.p;
  r.p += 12;
  return { id: r.id, kind: 'array', name, type: r.u32(p), indexType: r.u32(p + 4), nelems: r.u32(p + 8) };
};

const decodeComposite: KindDecoder = (r, kind, name, vlen, kflag, size) => {
  r.need(12 * vlen);
  const members: BtfMember[] = new Array(vlen);
  let p = r.p;
  for (let i = 0; i < vlen; i++, p += 12) {
    const off = r.u32(p + 8);
    members[i] = {
      name: r.str(r.u32(p), p),
      type: r.u32(p + 4),
      bitOffset: kflag ? off & 0xffffff : off,
      bitfieldSize: kflag ? off >>> 24 : 0,
    };
  }
  r.p = p;
  return { id: r.id, kind: kind as 'struct' | 'union', name, size, members };
};

const decodeEnum: KindDecoder = (r, _kind, name, vlen, kflag, size) => {
  r.need(8 * vlen);
  const values: BtfEnumValue[] = new Array(vlen);
  let p = r.p;
  for (let i = 0; i < vlen; i++, p += 8) {
    const raw = kflag ? r.i32(p + 4) : r.u32(p + 4);
    values[i] = { name: r.str(r.u32(p), p), value: BigInt(raw) };
  }
  r.p = p;
  return { id: r.id, kind: 'enum', name, size, signed: kflag, values };
};

const decodeEnum64: KindDecoder = (r, _kind, name, vlen, kflag, size) => {
  r.need(12 * vlen);
  const values: BtfEnumValue[] = new Array(vlen);
  let p = r.p;
  for (let i = 0; i < vlen; i++, p += 12) {
    const lo = BigInt(r.u32(p + 4));
    const hi = BigInt(r.u32(p + 8));
    let v = (hi << 32n) | lo;
    if (kflag) v = BigInt.asIntN(64, v);
    values[i] = { name: r.str(r.u32(p), p), value: v };
  }
  r.p = p;
  return { id: r.id, kind: 'enum64', name, size, signed: kflag, values };
};

const decodeFwd: KindDecoder = (r, _kind, name, _vlen, kflag) => ({ id: r.id, kind: 'fwd', name, union: kflag });

const decodeFunc: KindDecoder = (r, _kind, name, vlen, _kflag, type) => ({ id: r.id, kind: 'func', name, type, linkage: vlen });

const decodeFuncProto: KindDecoder = (r, _kind, name, vlen, _kflag, returnType) => {
  r.need(8 * vlen);
  const params: BtfParam[] = new Array(vlen);
  let p = r.p;
  for (let i = 0; i < vlen; i++, p += 8) params[i] = { name: r.str(r.u32(p), p), type: r.u32(p + 4) };
  r.p = p;
  return { id: r.id, kind: 'func_proto', name, returnType, params };
};

const decodeVar: KindDecoder = (r, _kind, name, _vlen, _kflag, type) => {
  r.need(4);
  const linkage = r.u32(r.p);
  r.p += 4;
  return { id: r.id, kind: 'var', name, type, linkage };
};

const decodeDatasec: KindDecoder = (r, _kind, name, vlen, _kflag, size) => {
  r.need(12 * vlen);
  const vars: BtfVarSecinfo[] = new Array(vlen);
  let p = r.p;
  for (let i = 0; i < vlen; i++, p += 12) vars[i] = { type: r.u32(p), offset: r.u32(p + 4), size: r.u32(p + 8) };
  r.p = p;
  return { id: r.id, kind: 'datasec', name, size, vars };
};

const decodeFloat: KindDecoder = (r, _kind, name, _vlen, _kflag, size) => ({ id: r.id, kind: 'float', name, size });

const decodeDeclTag: KindDecoder = (r, _kind, name, _vlen, kflag, type) => {
  r.need(4);
  const componentIdx = r.i32(r.p);
  r.p += 4;
  return kflag
    ? { id: r.id, kind: 'decl_tag', name, type, componentIdx, attribute: true }
    : { id: r.id, kind: 'decl_tag', name, type, componentIdx };
};

/** Decoders by kind number (BTF_KINDS order); void (0) never appears in the type section. */
const KIND_DECODERS: readonly (KindDecoder | undefined)[] = [
  undefined, decodeInt, decodeRef, decodeArray, decodeComposite, decodeComposite, decodeEnum, decodeFwd,
  decodeRef, decodeRef, decodeRef, decodeRef, decodeFunc, decodeFuncProto, decodeVar, decodeDatasec,
  decodeFloat, decodeDeclTag, decodeTypeTag, decodeEnum64,
];

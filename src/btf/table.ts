// Raw BTF as a compact table: the type section as 32-bit words in host order, the word index of
// each type by id, and names read from the string table on demand. Building it checks the whole
// section (bounds, kinds, name offsets) but allocates no object per type, so a large BTF (the
// kernel's ~130k types) is ready in a few milliseconds; objects are made only for types asked for.
import { ParseError } from '../sys/errors.js';
import { StringTable, decodeBtfHeader, type BtfHeader } from './decode.js';
import {
  BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, BTF_KINDS,
  type BtfEnumValue, type BtfMember, type BtfParam, type BtfType, type BtfVarSecinfo,
} from './types.js';

// Kind numbers (BTF_KIND_*), as the table stores them.
export const K_VOID = 0, K_INT = 1, K_PTR = 2, K_ARRAY = 3, K_STRUCT = 4, K_UNION = 5, K_ENUM = 6, K_FWD = 7,
  K_TYPEDEF = 8, K_VOLATILE = 9, K_CONST = 10, K_RESTRICT = 11, K_FUNC = 12, K_FUNC_PROTO = 13, K_VAR = 14,
  K_DATASEC = 15, K_FLOAT = 16, K_DECL_TAG = 17, K_TYPE_TAG = 18, K_ENUM64 = 19;

/** Words after the 3-word header: fixed part, then per-vlen entry. */
const FIXED_WORDS = [0, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0];
const ENTRY_WORDS = [0, 0, 0, 0, 3, 3, 2, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 3];
/** Which entry word holds a name offset (-1: entries have no names). */
const ENTRY_NAME = [-1, -1, -1, -1, 0, 0, 0, -1, -1, -1, -1, -1, -1, 0, -1, -1, -1, -1, -1, 0];

function fail(file: string | undefined, reason: string, offset: number): never {
  throw new ParseError(`BTF: ${reason} (at byte ${offset})`, { file, line: 1, column: offset + 1 });
}

export class BtfTable {
  readonly header: BtfHeader;
  /** The type section, one 32-bit word per element, in host byte order. */
  readonly w: Uint32Array;
  /** Word index of each type's record, by id; -1 for void (and for ids of the base, in split BTF). */
  readonly start: Int32Array;
  /** Number of ids, void and the base's types included. */
  readonly count: number;
  readonly firstId: number;
  readonly strings: StringTable;
  private readonly baseStrings: StringTable | undefined;
  private readonly baseLen: number;
  private readonly names: (string | undefined)[];

  constructor(buf: Uint8Array, opts: { file?: string; baseTypeCount?: number; baseStrings?: Uint8Array } = {}) {
    const { file } = opts;
    const h = decodeBtfHeader(buf, file);
    this.header = h;
    const typeStart = h.hdrLen + h.typeOff;
    const nWords = h.typeLen >>> 2;
    // Copy into aligned host-order words: the input may be unaligned, or big endian.
    const w = new Uint32Array(nWords);
    const dv = new DataView(buf.buffer, buf.byteOffset + typeStart, nWords * 4);
    if (h.littleEndian && (buf.byteOffset + typeStart) % 4 === 0) {
      w.set(new Uint32Array(buf.buffer, buf.byteOffset + typeStart, nWords));
    } else {
      for (let i = 0; i < nWords; i++) w[i] = dv.getUint32(i * 4, h.littleEndian);
    }
    this.w = w;
    const strStart = h.hdrLen + h.strOff;
    this.strings = new StringTable(buf.subarray(strStart, strStart + h.strLen));
    this.baseStrings = opts.baseStrings ? new StringTable(opts.baseStrings) : undefined;
    this.baseLen = opts.baseStrings ? opts.baseStrings.length : 0;
    const firstId = opts.baseTypeCount ?? 1;
    this.firstId = firstId;
    const ownStrLen = h.strLen;
    const limit = this.baseLen + ownStrLen;
    const checkName = (off: number, word: number) => {
      if (off !== 0 && (off >= limit || (off >= this.baseLen && off - this.baseLen >= ownStrLen))) {
        fail(file, `name offset ${off} outside the string table`, typeStart + word * 4);
      }
    };
    // First pass: count types and check every record's bounds, kind and names.
    let starts = new Int32Array(Math.max(16, (nWords / 3) | 0));
    let n = 0;
    let p = 0;
    while (p < nWords) {
      const id = firstId + n;
      if (p + 3 > nWords) fail(file, `type ${id} runs past the end of the type section`, typeStart + p * 4);
      const info = w[p + 1];
      const kind = (info >>> 24) & 0x1f;
      if (kind === 0 || kind >= BTF_KINDS.length) fail(file, `type ${id} has unknown kind ${kind}`, typeStart + p * 4);
      const vlen = info & 0xffff;
      const entryWords = ENTRY_WORDS[kind];
      const words = 3 + FIXED_WORDS[kind] + entryWords * vlen;
      if (p + words > nWords) fail(file, `type ${id} runs past the end of the type section`, typeStart + (p + 3) * 4);
      checkName(w[p], p);
      const nameWord = ENTRY_NAME[kind];
      if (nameWord >= 0) {
        for (let q = p + 3, end = p + words; q < end; q += entryWords) checkName(w[q], q);
      }
      if (n === starts.length) {
        const grown = new Int32Array(starts.length * 2);
        grown.set(starts);
        starts = grown;
      }
      starts[n++] = p;
      p += words;
    }
    if (h.typeLen % 4 !== 0) fail(file, `type ${firstId + n} runs past the end of the type section`, typeStart + nWords * 4);
    const count = firstId + n;
    const start = new Int32Array(count).fill(-1);
    start.set(starts.subarray(0, n), firstId);
    this.start = start;
    this.count = count;
    this.names = new Array(count);
  }

  /** The string table as bytes addressed by name offset (for split BTF, the base's table followed by this one's). */
  stringBytes(): Uint8Array {
    if (!this.baseStrings) return this.strings.bytes;
    if (!this.joinedStrings) {
      const j = new Uint8Array(this.baseLen + this.strings.bytes.length);
      j.set(this.baseStrings.bytes.subarray(0, this.baseLen));
      j.set(this.strings.bytes, this.baseLen);
      this.joinedStrings = j;
    }
    return this.joinedStrings;
  }
  private joinedStrings: Uint8Array | undefined;

  /** The string at a name offset (base table first, for split BTF). */
  str(off: number): string {
    if (off < this.baseLen) return this.baseStrings!.get(off)!;
    return this.strings.get(off - this.baseLen)!;
  }

  kind(id: number): number {
    const s = this.start[id];
    return s < 0 ? K_VOID : (this.w[s + 1] >>> 24) & 0x1f;
  }
  vlen(id: number): number {
    return this.w[this.start[id] + 1] & 0xffff;
  }
  kflag(id: number): boolean {
    return this.w[this.start[id] + 1] >>> 31 === 1;
  }
  /** `size` or `type`, by kind. */
  sizeOrType(id: number): number {
    return this.w[this.start[id] + 2];
  }
  nameOff(id: number): number {
    const s = this.start[id];
    return s < 0 ? 0 : this.w[s];
  }
  name(id: number): string {
    let n = this.names[id];
    if (n === undefined) {
      n = this.start[id] < 0 ? '' : this.str(this.w[this.start[id]]);
      this.names[id] = n;
    }
    return n;
  }

  /** The type model object of one id (a new object each call). */
  decode(id: number): BtfType {
    const s = this.start[id];
    if (s < 0) return { id, kind: 'void', name: '' };
    const w = this.w;
    const info = w[s + 1];
    const kindNum = (info >>> 24) & 0x1f;
    const kind = BTF_KINDS[kindNum];
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const st = w[s + 2];
    const name = this.name(id);
    const e = s + 3;
    switch (kindNum) {
      case K_INT: {
        const v = w[e];
        const enc = (v >>> 24) & 0xf;
        return {
          id, kind: 'int', name, size: st, bits: v & 0xff, offset: (v >>> 16) & 0xff,
          signed: (enc & BTF_INT_SIGNED) !== 0, char: (enc & BTF_INT_CHAR) !== 0, bool: (enc & BTF_INT_BOOL) !== 0,
        };
      }
      case K_PTR: case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT:
        return { id, kind: kind as 'ptr', name, type: st };
      case K_TYPE_TAG:
        return kflag ? { id, kind: 'type_tag', name, type: st, attribute: true } : { id, kind: 'type_tag', name, type: st };
      case K_ARRAY:
        return { id, kind: 'array', name, type: w[e], indexType: w[e + 1], nelems: w[e + 2] };
      case K_STRUCT: case K_UNION: {
        const members: BtfMember[] = new Array(vlen);
        for (let i = 0, q = e; i < vlen; i++, q += 3) {
          const off = w[q + 2];
          members[i] = { name: this.str(w[q]), type: w[q + 1], bitOffset: kflag ? off & 0xffffff : off, bitfieldSize: kflag ? off >>> 24 : 0 };
        }
        return { id, kind: kind as 'struct', name, size: st, members };
      }
      case K_ENUM: {
        const values: BtfEnumValue[] = new Array(vlen);
        for (let i = 0, q = e; i < vlen; i++, q += 2) values[i] = { name: this.str(w[q]), value: BigInt(kflag ? w[q + 1] | 0 : w[q + 1]) };
        return { id, kind: 'enum', name, size: st, signed: kflag, values };
      }
      case K_ENUM64: {
        const values: BtfEnumValue[] = new Array(vlen);
        for (let i = 0, q = e; i < vlen; i++, q += 3) {
          const v = (BigInt(w[q + 2]) << 32n) | BigInt(w[q + 1]);
          values[i] = { name: this.str(w[q]), value: kflag ? BigInt.asIntN(64, v) : v };
        }
        return { id, kind: 'enum64', name, size: st, signed: kflag, values };
      }
      case K_FWD:
        return { id, kind: 'fwd', name, union: kflag };
      case K_FUNC:
        return { id, kind: 'func', name, type: st, linkage: vlen };
      case K_FUNC_PROTO: {
        const params: BtfParam[] = new Array(vlen);
        for (let i = 0, q = e; i < vlen; i++, q += 2) params[i] = { name: this.str(w[q]), type: w[q + 1] };
        return { id, kind: 'func_proto', name, returnType: st, params };
      }
      case K_VAR:
        return { id, kind: 'var', name, type: st, linkage: w[e] };
      case K_DATASEC: {
        const vars: BtfVarSecinfo[] = new Array(vlen);
        for (let i = 0, q = e; i < vlen; i++, q += 3) vars[i] = { type: w[q], offset: w[q + 1], size: w[q + 2] };
        return { id, kind: 'datasec', name, size: st, vars };
      }
      case K_FLOAT:
        return { id, kind: 'float', name, size: st };
      case K_DECL_TAG:
        return kflag
          ? { id, kind: 'decl_tag', name, type: st, componentIdx: w[e] | 0, attribute: true }
          : { id, kind: 'decl_tag', name, type: st, componentIdx: w[e] | 0 };
      default:
        throw new ParseError(`BTF: type ${id} has unknown kind ${kindNum}`, { line: 1, column: 1 });
    }
  }
}

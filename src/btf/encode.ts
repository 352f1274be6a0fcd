// Encoding of the type model back to raw BTF bytes (what BPF_BTF_LOAD takes).
// Given the string table the types were decoded from, the output is byte-for-byte the input:
// each name is looked up at the offset where that string first occurs in the table.
import { BTF_MAGIC } from './decode.js';
import type { Btf } from './btf.js';
import { BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, BTF_KINDS, type BtfKind, type BtfType } from './types.js';

const KIND_NUM = new Map<BtfKind, number>(BTF_KINDS.map((k, i) => [k, i]));
const HDR_LEN = 24;

/** Builds a string table; seeded with an existing table so that existing offsets are reused. */
export class StringTableBuilder {
  private readonly offsets = new Map<string, number>();
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  private readonly encoder = new TextEncoder();
  /** Offsets below `baseLength` point into a base table that is not part of the output. */
  readonly baseLength: number;

  constructor(seed?: Uint8Array, base?: Uint8Array) {
    this.baseLength = base ? base.length : 0;
    if (base) this.index(base, 0);
    if (seed && seed.length > 0) {
      this.index(seed, this.baseLength);
      this.chunks.push(seed);
      this.length = seed.length;
    } else {
      this.chunks.push(new Uint8Array(1));
      this.length = 1;
      if (!base) this.offsets.set('', 0);
    }
    if (!this.offsets.has('')) this.offsets.set('', 0);
  }

  private index(table: Uint8Array, shift: number): void {
    const text = Buffer.from(table.buffer, table.byteOffset, table.byteLength).toString('utf8');
    // utf8 decoding changes offsets when the table has non-ASCII bytes; then index by bytes.
    if (Buffer.byteLength(text) === table.length) {
      let start = 0;
      while (start < text.length) {
        let end = text.indexOf('\0', start);
        if (end < 0) end = text.length;
        const s = text.slice(start, end);
        if (!this.offsets.has(s)) this.offsets.set(s, start + shift);
        start = end + 1;
      }
      return;
    }
    const dec = new TextDecoder();
    let start = 0;
    while (start < table.length) {
      let end = table.indexOf(0, start);
      if (end < 0) end = table.length;
      const s = dec.decode(table.subarray(start, end));
      if (!this.offsets.has(s)) this.offsets.set(s, start + shift);
      start = end + 1;
    }
  }

  /** The offset of `s`, appending it when new. */
  add(s: string): number {
    if (s === '') return 0;
    let off = this.offsets.get(s);
    if (off === undefined) {
      const bytes = this.encoder.encode(s + '\0');
      off = this.baseLength + this.length;
      this.chunks.push(bytes);
      this.length += bytes.length;
      this.offsets.set(s, off);
    }
    return off;
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

/** Size in bytes of the encoded form of one type. */
function encodedSize(t: BtfType): number {
  switch (t.kind) {
    case 'int': case 'var': case 'decl_tag': return 16;
    case 'array': return 24;
    case 'struct': case 'union': return 12 + 12 * t.members.length;
    case 'enum': return 12 + 8 * t.values.length;
    case 'enum64': return 12 + 12 * t.values.length;
    case 'func_proto': return 12 + 8 * t.params.length;
    case 'datasec': return 12 + 12 * t.vars.length;
    default: return 12;
  }
}

export interface EncodeOptions {
  /** The string table to reuse (defaults to the Btf's own table). Pass null to build a fresh one. */
  strings?: Uint8Array | null;
  littleEndian?: boolean;
}

/** Encodes a Btf's own types (not the base's, for split BTF) as raw BTF. */
export function encodeBtf(btf: Btf, opts: EncodeOptions = {}): Uint8Array {
  const own = btf.base ? btf.types : btf.types.slice(1);
  return encodeTypes(own, {
    strings: opts.strings === null ? undefined : (opts.strings ?? btf.strings),
    baseStrings: btf.base ? btf.base.allStrings() : undefined,
    littleEndian: opts.littleEndian ?? btf.littleEndian,
  });
}

/** Encodes a list of types (without void) as raw BTF. */
export function encodeTypes(types: readonly BtfType[], opts: { strings?: Uint8Array; baseStrings?: Uint8Array; littleEndian?: boolean } = {}): Uint8Array {
  const le = opts.littleEndian ?? true;
  const st = new StringTableBuilder(opts.strings, opts.baseStrings);
  let typeLen = 0;
  for (const t of types) typeLen += encodedSize(t);
  const typeBuf = new Uint8Array(typeLen);
  const dv = new DataView(typeBuf.buffer);
  let p = 0;
  const u32 = (v: number) => {
    dv.setUint32(p, v >>> 0, le);
    p += 4;
  };
  const head = (t: BtfType, vlen: number, kflag: boolean, sizeOrType: number) => {
    u32(st.add(t.name));
    u32(((kflag ? 1 : 0) << 31) | ((KIND_NUM.get(t.kind)! & 0x1f) << 24) | (vlen & 0xffff));
    u32(sizeOrType);
  };
  for (const t of types) {
    switch (t.kind) {
      case 'void':
        throw new TypeError('void is implicit in BTF and cannot be encoded');
      case 'int': {
        head(t, 0, false, t.size);
        const enc = (t.signed ? BTF_INT_SIGNED : 0) | (t.char ? BTF_INT_CHAR : 0) | (t.bool ? BTF_INT_BOOL : 0);
        u32((enc << 24) | ((t.offset & 0xff) << 16) | (t.bits & 0xff));
        break;
      }
      case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict':
        head(t, 0, false, t.type);
        break;
      case 'type_tag':
        head(t, 0, t.attribute === true, t.type);
        break;
      case 'array':
        head(t, 0, false, 0);
        u32(t.type);
        u32(t.indexType);
        u32(t.nelems);
        break;
      case 'struct': case 'union': {
        const kflag = t.members.some((m) => m.bitfieldSize > 0);
        head(t, t.members.length, kflag, t.size);
        for (const m of t.members) {
          u32(st.add(m.name));
          u32(m.type);
          u32(kflag ? ((m.bitfieldSize & 0xff) << 24) | (m.bitOffset & 0xffffff) : m.bitOffset);
        }
        break;
      }
      case 'enum':
        head(t, t.values.length, t.signed, t.size);
        for (const v of t.values) {
          u32(st.add(v.name));
          u32(Number(BigInt.asUintN(32, v.value)));
        }
        break;
      case 'enum64':
        head(t, t.values.length, t.signed, t.size);
        for (const v of t.values) {
          const u = BigInt.asUintN(64, v.value);
          u32(st.add(v.name));
          u32(Number(u & 0xffffffffn));
          u32(Number(u >> 32n));
        }
        break;
      case 'fwd':
        head(t, 0, t.union, 0);
        break;
      case 'func':
        head(t, t.linkage, false, t.type);
        break;
      case 'func_proto':
        head(t, t.params.length, false, t.returnType);
        for (const prm of t.params) {
          u32(st.add(prm.name));
          u32(prm.type);
        }
        break;
      case 'var':
        head(t, 0, false, t.type);
        u32(t.linkage);
        break;
      case 'datasec':
        head(t, t.vars.length, false, t.size);
        for (const v of t.vars) {
          u32(v.type);
          u32(v.offset);
          u32(v.size);
        }
        break;
      case 'float':
        head(t, 0, false, t.size);
        break;
      case 'decl_tag':
        head(t, 0, t.attribute === true, t.type);
        u32(t.componentIdx);
        break;
    }
  }
  const strings = st.bytes();
  const out = new Uint8Array(HDR_LEN + typeLen + strings.length);
  const hv = new DataView(out.buffer);
  hv.setUint16(0, BTF_MAGIC, le);
  hv.setUint8(2, 1);
  hv.setUint8(3, 0);
  hv.setUint32(4, HDR_LEN, le);
  hv.setUint32(8, 0, le);
  hv.setUint32(12, typeLen, le);
  hv.setUint32(16, typeLen, le);
  hv.setUint32(20, strings.length, le);
  out.set(typeBuf, HDR_LEN);
  out.set(strings, HDR_LEN + typeLen);
  return out;
}

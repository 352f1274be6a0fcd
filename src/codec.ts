// Keys and values: bytes, numbers, or a declared struct, always little-endian like the kernel on this machine.

/** Turns a JavaScript value into exactly `size` bytes and back. */
export interface Codec<T> {
  readonly size: number;
  encode(value: T): Buffer;
  decode(bytes: Buffer): T;
}

export type FieldType = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' | `char[${number}]` | `u8[${number}]`;

const scalarSize: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4, s64: 8 };

function fieldSize(t: FieldType): number {
  const m = /^(char|u8)\[(\d+)\]$/.exec(t);
  return m ? Number(m[2]) : scalarSize[t];
}

export type StructValue = Record<string, number | bigint | string | Buffer>;

/**
 * A struct codec from declared fields, laid out with C's natural alignment:
 * `struct({ pid: 'u32', comm: 'char[16]', ts: 'u64' })`.
 */
export function struct(fields: Record<string, FieldType>): Codec<StructValue> {
  const layout: { name: string; type: FieldType; off: number; size: number }[] = [];
  let off = 0;
  let align = 1;
  for (const [name, type] of Object.entries(fields)) {
    const size = fieldSize(type);
    if (size === undefined) throw new TypeError(`unknown field type ${type} for ${name}`);
    const a = type.includes('[') ? 1 : size;
    align = Math.max(align, a);
    off = Math.ceil(off / a) * a;
    layout.push({ name, type, off, size });
    off += size;
  }
  const size = Math.ceil(off / align) * align;
  return {
    size,
    encode(v) {
      const b = Buffer.alloc(size);
      for (const f of layout) {
        const x = v[f.name];
        if (x === undefined) continue;
        if (f.type.includes('[')) {
          const src = typeof x === 'string' ? Buffer.from(x) : Buffer.isBuffer(x) ? x : Buffer.from(String(x));
          src.copy(b, f.off, 0, Math.min(src.length, f.size));
        } else writeScalar(b, f.off, f.type, x as number | bigint);
      }
      return b;
    },
    decode(b) {
      const out: StructValue = {};
      for (const f of layout) {
        if (f.type.startsWith('char[')) {
          const s = b.subarray(f.off, f.off + f.size);
          const nul = s.indexOf(0);
          out[f.name] = s.subarray(0, nul < 0 ? s.length : nul).toString();
        } else if (f.type.startsWith('u8[')) out[f.name] = Buffer.from(b.subarray(f.off, f.off + f.size));
        else out[f.name] = readScalar(b, f.off, f.type);
      }
      return out;
    },
  };
}

function writeScalar(b: Buffer, off: number, type: string, x: number | bigint): void {
  switch (type) {
    case 'u8': b.writeUInt8(Number(x), off); break;
    case 's8': b.writeInt8(Number(x), off); break;
    case 'u16': b.writeUInt16LE(Number(x), off); break;
    case 's16': b.writeInt16LE(Number(x), off); break;
    case 'u32': b.writeUInt32LE(Number(x) >>> 0, off); break;
    case 's32': b.writeInt32LE(Number(x), off); break;
    case 'u64': b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(x)), off); break;
    case 's64': b.writeBigInt64LE(BigInt.asIntN(64, BigInt(x)), off); break;
  }
}

function readScalar(b: Buffer, off: number, type: string): number | bigint {
  switch (type) {
    case 'u8': return b.readUInt8(off);
    case 's8': return b.readInt8(off);
    case 'u16': return b.readUInt16LE(off);
    case 's16': return b.readInt16LE(off);
    case 'u32': return b.readUInt32LE(off);
    case 's32': return b.readInt32LE(off);
    case 'u64': return b.readBigUInt64LE(off);
    default: return b.readBigInt64LE(off);
  }
}

/** What the map methods accept as a key or value. */
export type Input = Uint8Array | number | bigint;

/**
 * Bytes of a key or value of `size` bytes. Numbers and bigints are accepted
 * for sizes 1, 2, 4 and 8; byte arrays must have exactly the size.
 */
export function toBytes(v: Input, size: number, what: string): Buffer {
  if (v instanceof Uint8Array) {
    if (v.length !== size) throw new TypeError(`${what} expected ${size} bytes got ${v.length}`);
    return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  const b = Buffer.alloc(size);
  switch (size) {
    case 1: b.writeUInt8(Number(BigInt.asUintN(8, BigInt(v)))); break;
    case 2: b.writeUInt16LE(Number(BigInt.asUintN(16, BigInt(v)))); break;
    case 4: b.writeUInt32LE(Number(BigInt.asUintN(32, BigInt(v)))); break;
    case 8: b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v))); break;
    default: throw new TypeError(`${what} of ${size} bytes must be given as bytes, not a number`);
  }
  return b;
}

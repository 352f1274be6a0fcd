// Building the attribute structs that system calls take, from generated layouts.
import { native } from './native.js';
import type { Layout } from './generated/kernel.js';

export type Bytes = Uint8Array;

/**
 * A zeroed struct laid out by a generated layout. Pointer fields are set from
 * buffers with `ptr()`; the Attr keeps every such buffer referenced so that its
 * memory stays alive for the whole system call (see the rule in native/bpfkit.c).
 */
export class Attr {
  readonly buf: Buffer;
  readonly #layout: Layout;
  readonly #keep: Uint8Array[] = [];

  constructor(layout: Layout, size = layout.size) {
    this.#layout = layout;
    this.buf = Buffer.alloc(size);
  }

  #field(name: string) {
    const f = this.#layout.fields[name];
    if (!f) throw new Error(`bpfkit internal: no field ${name} in attribute layout`);
    return f;
  }

  has(name: string): boolean {
    return name in this.#layout.fields;
  }

  set(name: string, value: number | bigint): this {
    const f = this.#field(name);
    if (f.bits !== undefined) return this.#setBits(f.off, f.size, f.bitOff!, f.bits, BigInt(value));
    switch (f.size) {
      case 1: this.buf.writeUInt8(Number(value) & 0xff, f.off); break;
      case 2: this.buf.writeUInt16LE(Number(value) & 0xffff, f.off); break;
      case 4: this.buf.writeUInt32LE(Number(BigInt.asUintN(32, BigInt(value))), f.off); break;
      case 8: this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)), f.off); break;
      default: throw new Error(`bpfkit internal: field ${name} has size ${f.size}`);
    }
    return this;
  }

  #setBits(off: number, size: number, bitOff: number, bits: number, value: bigint): this {
    const read = () => size === 8 ? this.buf.readBigUInt64LE(off) : BigInt(size === 4 ? this.buf.readUInt32LE(off) : size === 2 ? this.buf.readUInt16LE(off) : this.buf.readUInt8(off));
    const mask = ((1n << BigInt(bits)) - 1n) << BigInt(bitOff);
    const next = (read() & ~mask) | ((value << BigInt(bitOff)) & mask);
    if (size === 8) this.buf.writeBigUInt64LE(next, off);
    else if (size === 4) this.buf.writeUInt32LE(Number(next), off);
    else if (size === 2) this.buf.writeUInt16LE(Number(next), off);
    else this.buf.writeUInt8(Number(next), off);
    return this;
  }

  get(name: string): number {
    const f = this.#field(name);
    let v: number;
    switch (f.size) {
      case 1: v = this.buf.readUInt8(f.off); break;
      case 2: v = this.buf.readUInt16LE(f.off); break;
      case 4: v = this.buf.readUInt32LE(f.off); break;
      case 8:
        if (f.bits !== undefined) return Number((this.buf.readBigUInt64LE(f.off) >> BigInt(f.bitOff!)) & ((1n << BigInt(f.bits)) - 1n));
        v = Number(this.buf.readBigUInt64LE(f.off));
        break;
      default: throw new Error(`bpfkit internal: field ${name} has size ${f.size}`);
    }
    if (f.bits !== undefined) v = (v >>> f.bitOff!) & ((1 << f.bits) - 1);
    return v;
  }

  getBig(name: string): bigint {
    const f = this.#field(name);
    return f.size === 8 ? this.buf.readBigUInt64LE(f.off) : BigInt(this.get(name));
  }

  /** Writes the address of `bytes` into a pointer field and keeps `bytes` alive. */
  ptr(name: string, bytes: Uint8Array | undefined): this {
    if (!bytes) return this.set(name, 0n);
    this.#keep.push(bytes);
    return this.set(name, bytes.length ? native().addressOf(bytes) : 0n);
  }

  /** The address of `bytes` for an array of pointers the attr points to; `bytes` stays alive with the Attr. */
  keep(bytes: Uint8Array): bigint {
    this.#keep.push(bytes);
    return native().addressOf(bytes);
  }

  /** A NUL-terminated string behind a pointer field. */
  str(name: string, s: string): this {
    return this.ptr(name, Buffer.from(`${s}\0`));
  }

  /** Copies a string into a fixed char array field, truncated to leave room for the NUL. */
  chars(name: string, s: string): this {
    const f = this.#field(name);
    const b = Buffer.from(s);
    b.copy(this.buf, f.off, 0, Math.min(b.length, f.size - 1));
    return this;
  }

  /** Bytes of an array field. */
  bytes(name: string): Buffer {
    const f = this.#field(name);
    return this.buf.subarray(f.off, f.off + f.size);
  }
}

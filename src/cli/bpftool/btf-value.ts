// Map keys and values read through their BTF types, as bpftool's btf_dumper prints them: JSON
// objects for structs, strings for char arrays, enum names, and in plain-text mode pointers as
// %p and non-printable chars as hex (the text form is still written by a JSON writer).
import type { Btf } from '../../btf/btf.js';
import type { BtfType, BtfTypeOf } from '../../btf/types.js';
import type { JsonWriter } from './json.js';

export interface BtfDumper {
  btf: Btf;
  jw: JsonWriter;
  plainText: boolean;
}

export class BtfDumpError extends Error {}

/** Writes the value of type `typeId` found at the start of `data`. */
export function dumpBtfValue(d: BtfDumper, typeId: number, data: Buffer): void {
  doType(d, typeId, 0, data);
}

function resolve(btf: Btf, id: number): number {
  for (let depth = 0; depth < 32; depth++) {
    const t = btf.type(id);
    if (t.kind === 'typedef' || t.kind === 'volatile' || t.kind === 'const' || t.kind === 'restrict' || t.kind === 'type_tag') id = t.type;
    else return id;
  }
  throw new BtfDumpError('type chain too deep');
}

function sizeOf(btf: Btf, id: number): number {
  const t = btf.type(resolve(btf, id));
  switch (t.kind) {
    case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'float': case 'datasec': return t.size;
    case 'ptr': return 8;
    case 'array': return t.nelems * sizeOf(btf, t.type);
    default: return 0;
  }
}

function doType(d: BtfDumper, id: number, bitOffset: number, data: Buffer): void {
  const t: BtfType = d.btf.type(id);
  switch (t.kind) {
    case 'int': return dumpInt(d, t, bitOffset, data);
    case 'struct': case 'union': return dumpStruct(d, t, data);
    case 'array': return dumpArray(d, t, data);
    case 'enum': return dumpEnum(d, t, data);
    case 'enum64': return dumpEnum64(d, t, data);
    case 'ptr': return dumpPtr(d, data);
    case 'void': d.jw.raw('(unknown)'); return;
    case 'fwd': d.jw.raw('(fwd-kind-invalid)'); throw new BtfDumpError('forward declaration');
    case 'typedef': case 'volatile': case 'const': case 'restrict':
      return doType(d, resolve(d.btf, id), bitOffset, data);
    case 'var':
      d.jw.startObject().name(t.name);
      doType(d, t.type, bitOffset, data);
      d.jw.endObject();
      return;
    case 'datasec':
      d.jw.startObject().name(t.name).startArray();
      for (const v of t.vars) doType(d, v.type, 0, data.subarray(v.offset));
      d.jw.endArray().endObject();
      return;
    default:
      d.jw.raw('(unsupported-kind');
      throw new BtfDumpError(`unsupported kind ${t.kind}`);
  }
}

function dumpPtr(d: BtfDumper, data: Buffer): void {
  const v = data.readBigUInt64LE(0);
  if (d.plainText) d.jw.raw(v === 0n ? '(nil)' : `0x${v.toString(16)}`);
  else d.jw.raw(v.toString());
}

function dumpEnum(d: BtfDumper, t: BtfTypeOf<'enum' | 'enum64'>, data: Buffer): void {
  let v: bigint;
  switch (t.size) {
    case 8: v = data.readBigInt64LE(0); break;
    case 4: v = BigInt(data.readInt32LE(0)); break;
    case 2: v = BigInt(data.readInt16LE(0)); break;
    case 1: v = BigInt(data.readInt8(0)); break;
    default: throw new BtfDumpError(`enum of ${t.size} bytes`);
  }
  // Enumerator values compare as the kernel stores them: 32-bit, sign-extended by the C comparison.
  const hit = t.values.find((e) => BigInt.asIntN(32, e.value) === v || e.value === v);
  if (hit) d.jw.string(hit.name);
  else d.jw.int(v);
}

function dumpEnum64(d: BtfDumper, t: BtfTypeOf<'enum' | 'enum64'>, data: Buffer): void {
  const v = data.readBigUInt64LE(0);
  const hit = t.values.find((e) => BigInt.asUintN(64, e.value) === v);
  if (hit) d.jw.string(hit.name);
  else d.jw.int(BigInt.asIntN(64, v));
}

function isStrArray(btf: Btf, t: BtfTypeOf<'array'>, data: Buffer): boolean {
  if (!t.nelems) return false;
  let e = btf.type(t.type);
  // Modifiers are skipped, typedefs are not: a typedef of char is not a string.
  while (e.kind === 'volatile' || e.kind === 'const' || e.kind === 'restrict' || e.kind === 'type_tag') e = btf.type(e.type);
  if (e.kind !== 'int' || e.size !== 1) return false;
  if (!e.char && e.name !== 'char') return false;
  for (let i = 0; i < t.nelems && i < data.length; i++) {
    const c = data[i];
    if (c === 0) return true;
    // char is signed on x86: bytes ≥ 0x80 are negative, so also "<= 0x1f".
    if (c <= 0x1f || c >= 0x7f) return false;
  }
  return false;
}

function dumpArray(d: BtfDumper, t: BtfTypeOf<'array'>, data: Buffer): void {
  if (isStrArray(d.btf, t, data)) {
    const nul = data.indexOf(0);
    d.jw.string(data.subarray(0, nul).toString('latin1'));
    return;
  }
  const size = sizeOf(d.btf, t.type);
  d.jw.startArray();
  for (let i = 0; i < t.nelems; i++) doType(d, t.type, 0, data.subarray(i * size));
  d.jw.endArray();
}

function dumpStruct(d: BtfDumper, t: BtfTypeOf<'struct' | 'union'>, data: Buffer): void {
  d.jw.startObject();
  for (const m of t.members) {
    d.jw.name(m.name);
    const at = data.subarray(m.bitOffset >> 3);
    if (m.bitfieldSize) dumpBitfield(d, m.bitfieldSize, m.bitOffset & 7, at);
    else doType(d, m.type, m.bitOffset & 7, at);
  }
  d.jw.endObject();
}

/** Reads `bits` bits starting `bitOffset` bits into `data` (little endian) as an unsigned number. */
function readBits(data: Buffer, bitOffset: number, bits: number): bigint {
  const bytes = Math.ceil((bitOffset + bits) / 8);
  let v = 0n;
  for (let i = Math.min(bytes, data.length) - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[i]);
  return (v >> BigInt(bitOffset)) & ((1n << BigInt(bits)) - 1n);
}

function printHex128(d: BtfDumper, v: bigint): void {
  const text = `0x${v.toString(16)}`;
  d.jw.raw(d.plainText ? text : `"${text}"`);
}

function dumpBitfield(d: BtfDumper, bits: number, bitOffset: number, data: Buffer): void {
  printHex128(d, readBits(data, bitOffset, bits));
}

function dumpInt(d: BtfDumper, t: BtfTypeOf<'int'>, bitOffset: number, data: Buffer): void {
  const bits = t.bits;
  if (bitOffset || t.offset || bits % 8) {
    const total = bitOffset + t.offset;
    return dumpBitfield(d, bits, total & 7, data.subarray(total >> 3));
  }
  if (bits === 128) return printHex128(d, (data.readBigUInt64LE(8) << 64n) | data.readBigUInt64LE(0));
  if (t.bool) {
    d.jw.bool(data[0] !== 0);
    return;
  }
  if (t.char) {
    const c = data[0];
    if (c >= 0x20 && c < 0x7f) d.jw.raw(JSON.stringify(String.fromCharCode(c)));
    else d.jw.raw(d.plainText ? `0x${c.toString(16)}` : `"\\u00${c.toString(16).padStart(2, '0')}"`);
    return;
  }
  const signed = t.signed;
  switch (bits) {
    case 64: d.jw.raw(String(signed ? data.readBigInt64LE(0) : data.readBigUInt64LE(0))); return;
    case 32: d.jw.raw(String(signed ? data.readInt32LE(0) : data.readUInt32LE(0))); return;
    case 16: d.jw.raw(String(signed ? data.readInt16LE(0) : data.readUInt16LE(0))); return;
    case 8: d.jw.raw(String(signed ? data.readInt8(0) : data.readUInt8(0))); return;
    default: dumpBitfield(d, bits, 0, data);
  }
}

/** bpftool's btf_dumper_type_only: a C-like one-line spelling of a type (function signatures). */
export function typeOnly(btf: Btf, id: number): string {
  try {
    return typeString(btf, id);
  } catch {
    return '';
  }
}

function typeString(btf: Btf, id: number): string {
  if (!id) return 'void ';
  const t = btf.type(id);
  switch (t.kind) {
    case 'int': case 'typedef': case 'float': return `${t.name} `;
    case 'struct': return `struct ${t.name} `;
    case 'union': return `union ${t.name} `;
    case 'enum': case 'enum64': return `enum ${t.name} `;
    case 'array': return `${typeString(btf, t.type)}[${t.nelems}]`;
    case 'ptr': return `${typeString(btf, t.type)}* `;
    case 'fwd': return `${t.union ? 'union' : 'struct'} ${t.name} `;
    case 'volatile': return `volatile ${typeString(btf, t.type)}`;
    case 'const': return `const ${typeString(btf, t.type)}`;
    case 'restrict': return `restrict ${typeString(btf, t.type)}`;
    case 'func_proto': return funcString(btf, t, undefined);
    case 'func': {
      const proto = btf.type(t.type);
      if (proto.kind !== 'func_proto') throw new BtfDumpError('func without prototype');
      return funcString(btf, proto, t.name);
    }
    case 'var': return `${t.linkage === 0 ? 'static ' : ''}${typeString(btf, t.type)} ${t.name}`;
    case 'datasec': return `section ("${t.name}") `;
    default: throw new BtfDumpError(`cannot print kind ${t.kind}`);
  }
}

function funcString(btf: Btf, proto: BtfTypeOf<'func_proto'>, name: string | undefined): string {
  let s = typeString(btf, proto.returnType) + (name !== undefined ? `${name}(` : '(');
  proto.params.forEach((p, i) => {
    if (i) s += ', ';
    if (!p.type) {
      s += '...';
      return;
    }
    s += typeString(btf, p.type);
    if (p.name) s += p.name;
    else if (s.endsWith(' ')) s = s.slice(0, -1);
  });
  return s + ')';
}

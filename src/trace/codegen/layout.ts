// How a script's maps and records look in kernel memory. The code generator writes these layouts and
// the runtime reads them back, so both sides take them from here.
//
// Maps follow bpftrace 0.17 (src/imap.cpp, src/map.cpp): aggregations are per-CPU hashes, a count()
// without keys is a one-element per-CPU array, hist/lhist/avg/stats keys end with an 8-byte bucket
// index (avg/stats: 0 = count, 1 = total), a map without keys has an 8-byte zero key. min()/max()
// differ: their value is {value, set} so that a CPU that never stored a value is told apart from a
// stored 0 (bpftrace stores 0xffffffff - value instead, which breaks for values past 32 bits).
import type { MapInfo } from '../ast.js';
import { STRING_SIZE, tupleLayout, type SizedType } from '../types.js';

export type KernelMapType = 'hash' | 'percpu_hash' | 'percpu_array';

export interface MapLayout {
  /** Script name, '@x' or '@'. */
  name: string;
  /** Kernel map name: bpftrace's AT_x. */
  kernelName: string;
  info: MapInfo;
  type: KernelMapType;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Offset of each script key in the key bytes. */
  keyOffsets: number[];
  /** Bytes of script keys (before a bucket index). */
  keyBytes: number;
  /** hist/lhist/avg/stats: an 8-byte bucket index follows the script keys. */
  bucketed: boolean;
  /** count() with no keys: a one-element per-CPU array with a 4-byte key. */
  singleArray: boolean;
}

export const DEFAULT_MAP_ENTRIES = 4096;

const perCpuKinds = new Set(['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist']);
const bucketKinds = new Set(['hist', 'lhist', 'avg', 'stats']);

export function mapLayout(info: MapInfo, maxEntries = DEFAULT_MAP_ENTRIES): MapLayout {
  const kind = info.valueType.type;
  const keyOffsets: number[] = [];
  let keyBytes = 0;
  for (const t of info.keyTypes) {
    keyOffsets.push(keyBytes);
    keyBytes += storedSize(t);
  }
  const bucketed = bucketKinds.has(kind);
  const singleArray = kind === 'count' && info.keyTypes.length === 0;
  let keySize = keyBytes + (bucketed ? 8 : 0);
  if (keySize === 0) keySize = 8;
  if (singleArray) keySize = 4;
  let valueSize = kind === 'min' || kind === 'max' ? 16 : perCpuKinds.has(kind) ? 8 : storedSize(info.valueType);
  if (valueSize === 0) valueSize = 8;
  const type: KernelMapType = singleArray ? 'percpu_array' : perCpuKinds.has(kind) ? 'percpu_hash' : 'hash';
  return {
    name: info.name,
    kernelName: info.name === '@' ? 'AT_' : `AT_${info.name.slice(1)}`,
    info,
    type,
    keySize,
    valueSize,
    maxEntries: singleArray ? 1 : maxEntries,
    keyOffsets,
    keyBytes,
    bucketed,
    singleArray,
  };
}

/** Bytes a value of this type takes in a map, a record or a variable. Integers are widened to 8 except inside tuples/records. */
export function storedSize(t: SizedType): number {
  if (t.type === 'integer') return t.size === 0 ? 8 : t.size < 8 ? 8 : t.size;
  if (t.type === 'pointer') return 8;
  if (t.type === 'none') return 0;
  return t.size;
}

// --- records sent through the ring buffer --------------------------------------------------------
// Every record starts with a u32 kind and a u32 id (the index into the resource list of that kind);
// arguments follow at offset 8, laid out like a tuple of their types.

export const RecordKind = {
  printf: 1,
  system: 2,
  cat: 3,
  time: 4,
  join: 5,
  printValue: 6,
  printMap: 7,
  clearMap: 8,
  zeroMap: 9,
  exit: 10,
  /** A helper failed (-k/-kk): int32 return code. */
  helperError: 11,
  /** A function watched by a watchpoint got an address (id: the watchpoint): u64 address. */
  watchpointAttach: 12,
  /** unwatch(addr): u64 address. */
  watchpointDetach: 13,
} as const;
export type RecordKindName = keyof typeof RecordKind;

export const RECORD_HEADER = 8;
/** join(): the number of array elements read and the bytes of each. */
export const JOIN_ARGS = 16;
export const JOIN_ARG_SIZE = 256;

/** The default string size (bpftrace's BPFTRACE_STRLEN). */
export const DEFAULT_STRLEN = STRING_SIZE;

/** Integers travel as 8 bytes in records (sign- or zero-extended); everything else keeps its type. */
export function widened(t: SizedType): SizedType {
  if (t.type === 'integer' && t.size < 8) return { ...t, size: 8, bits: 64 };
  return t;
}

export interface RecordField {
  type: SizedType;
  /** Offset from the start of the record (after the 8-byte header). */
  offset: number;
}

/** The argument layout of a record: tuple alignment rules over the widened types, after the header. */
export function recordLayout(args: readonly SizedType[]): { fields: RecordField[]; size: number } {
  const layout = tupleLayout(args.map(widened));
  return {
    fields: layout.fields.map((f) => ({ type: f.type, offset: RECORD_HEADER + f.offset })),
    size: RECORD_HEADER + layout.size,
  };
}

// The value types of the tracing language, modelled on bpftrace 0.17's SizedType so that type names in
// messages ("int64", "unsigned int64", "string[16]", "(int64,string[4])") and sizes match bpftrace.

export type TypeKind =
  | 'none'
  | 'integer'
  | 'pointer'
  | 'record'
  | 'hist'
  | 'lhist'
  | 'count'
  | 'sum'
  | 'min'
  | 'max'
  | 'avg'
  | 'stats'
  | 'kstack'
  | 'ustack'
  | 'string'
  | 'ksym'
  | 'usym'
  | 'probe'
  | 'username'
  | 'inet'
  | 'stack_mode'
  | 'array'
  | 'buffer'
  | 'tuple'
  | 'timestamp'
  | 'mac_address'
  | 'cgroup_path'
  | 'strerror';

/** Where a pointer points: decides between bpf_probe_read_kernel and bpf_probe_read_user. */
export type AddrSpace = 'none' | 'kernel' | 'user';

export type StackMode = 'bpftrace' | 'perf';

export interface StackType {
  limit: number;
  mode: StackMode;
}

/** One member of a record (struct/union) or tuple. Offsets are in bytes. */
export interface Field {
  name: string;
  type: SizedType;
  offset: number;
  bitfield?: { bitOffset: number; bitSize: number };
  /** A tracepoint `__data_loc` field: a u32 (offset | length << 16) the code generator turns into a pointer. */
  dataLoc?: boolean;
}

/** A struct, union or tuple layout. */
export interface Struct {
  name: string;
  size: number;
  align: number;
  fields: Field[];
  /** Tuples with padding between fields must be copied field by field. */
  padded?: boolean;
}

export interface SizedType {
  type: TypeKind;
  /** Size in bytes (integers: bits / 8; a bool-like comparison result is 1 bit and size 0). */
  size: number;
  signed: boolean;
  /** Integer width in bits. */
  bits?: number;
  /** Pointer target or array element. */
  elem?: SizedType;
  /** Array element count. */
  count?: number;
  /** Record name, e.g. 'struct task_struct'. */
  name?: string;
  /** Record or tuple layout (undefined for a record whose definition is unknown). */
  struct?: Struct;
  stack?: StackType;
  as: AddrSpace;
  /** A pointer into (or a value read from) the program context. */
  ctx?: boolean;
  /** `args` of a tracepoint: its fields are read from the context. */
  isTparg?: boolean;
  /** `args` of a kfunc/uprobe: fields are function arguments. */
  isFuncarg?: boolean;
  /** A uprobe parameter typed from DWARF: which argument register holds it (argN). */
  funcargIdx?: number;
  /** The value lives on the BPF stack (not behind a pointer to kernel/user memory). */
  isInternal?: boolean;
}

export const STRING_SIZE = 64;
export const COMM_SIZE = 16;
export const MAX_STACK_SIZE = 1024;
export const DEFAULT_STACK_SIZE = 127;

function base(type: TypeKind, size: number, signed = false): SizedType {
  return { type, size, signed, as: 'none' };
}

export const T = {
  none: (): SizedType => base('none', 0),
  int: (bits: number, signed = true): SizedType => ({ ...base('integer', bits / 8, signed), bits }),
  uint: (bits: number): SizedType => ({ ...base('integer', bits / 8, false), bits }),
  bool: (): SizedType => ({ ...base('integer', 0, false), bits: 1 }),
  int64: (): SizedType => T.int(64),
  uint64: (): SizedType => T.uint(64),
  uint32: (): SizedType => T.uint(32),
  string: (size: number): SizedType => base('string', size),
  buffer: (size: number): SizedType => base('buffer', size),
  stackMode: (): SizedType => base('stack_mode', 0),
  array: (count: number, elem: SizedType): SizedType => ({ ...base('array', count * elem.size), count, elem }),
  pointer: (pointee: SizedType, as: AddrSpace = 'none'): SizedType => ({ ...base('pointer', 8), elem: pointee, as }),
  record: (name: string, struct?: Struct): SizedType => ({ ...base('record', struct?.size ?? 0), name, struct }),
  stack: (kernel: boolean, stack: StackType = { limit: DEFAULT_STACK_SIZE, mode: 'bpftrace' }): SizedType => ({ ...base(kernel ? 'kstack' : 'ustack', 8), stack }),
  min: (signed: boolean): SizedType => base('min', 8, signed),
  max: (signed: boolean): SizedType => base('max', 8, signed),
  sum: (signed: boolean): SizedType => base('sum', 8, signed),
  count: (): SizedType => base('count', 8, true),
  avg: (): SizedType => base('avg', 8, true),
  stats: (): SizedType => base('stats', 8, true),
  hist: (): SizedType => base('hist', 8),
  lhist: (): SizedType => base('lhist', 8),
  probe: (): SizedType => base('probe', 8),
  username: (): SizedType => base('username', 8),
  inet: (size: number): SizedType => ({ ...base('inet', size), isInternal: true }),
  usym: (): SizedType => base('usym', 16),
  ksym: (): SizedType => base('ksym', 8),
  timestamp: (): SizedType => base('timestamp', 16),
  macAddress: (): SizedType => ({ ...base('mac_address', 6), isInternal: true }),
  cgroupPath: (): SizedType => base('cgroup_path', 16),
  strerror: (): SizedType => base('strerror', 8),
  tuple: (elems: SizedType[]): SizedType => {
    const struct = tupleLayout(elems);
    return { ...base('tuple', struct.size), struct };
  },
};

export function isIntTy(t: SizedType): boolean {
  return t.type === 'integer';
}

/** Types stored as a byte array (copied, compared bytewise). */
export function isByteArray(t: SizedType): boolean {
  return ['string', 'usym', 'inet', 'buffer', 'timestamp', 'mac_address', 'cgroup_path'].includes(t.type);
}

export function isAggregate(t: SizedType): boolean {
  return t.type === 'array' || isByteArray(t) || t.type === 'tuple' || t.type === 'record';
}

/** Map value types produced by aggregation functions. */
export function isAggregation(t: SizedType): boolean {
  return ['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist'].includes(t.type);
}

export function alignmentOf(t: SizedType): number {
  if (t.type === 'string') return 1;
  if (t.type === 'tuple' || t.type === 'record') return t.struct?.align ?? 1;
  if (t.size <= 2) return Math.max(1, t.size);
  if (t.type === 'array') return alignmentOf(t.elem!);
  if (isByteArray(t) || t.size <= 4) return 4;
  return 8;
}

/** Lays out a tuple the way LLVM lays out an unpacked struct (bpftrace's Struct::CreateTuple). */
export function tupleLayout(elems: SizedType[]): Struct {
  let offset = 0;
  let align = 1;
  let padded = false;
  const fields: Field[] = [];
  for (const type of elems) {
    const a = alignmentOf(type);
    align = Math.max(align, a);
    const pad = (a - (offset % a)) % a;
    if (pad) padded = true;
    offset += pad;
    fields.push({ name: '', type, offset });
    offset += type.size;
  }
  const size = offset + ((align - (offset % align)) % align);
  return { name: '', size, align, fields, padded };
}

/** bpftrace's operator<<(SizedType): the spelling of a type in messages. */
export function typeName(t: SizedType): string {
  switch (t.type) {
    case 'record':
      return t.name ?? '';
    case 'pointer':
      return `${t.ctx ? '(ctx) ' : ''}${typeName(t.elem!)} *`;
    case 'integer':
      return `${t.signed ? '' : 'unsigned '}int${8 * t.size}`;
    case 'array':
      return `${typeName(t.elem!)}[${t.count}]`;
    case 'string':
    case 'buffer':
      return `${t.type}[${t.size}]`;
    case 'tuple':
      return `(${t.struct!.fields.map((f) => typeName(f.type)).join(',')})`;
    default:
      return kindName(t.type);
  }
}

/** bpftrace's typestr(Type). */
export function kindName(k: TypeKind): string {
  return k === 'stack_mode' ? 'stack mode' : k;
}

/** bpftrace's SizedType::IsSigned: only integers and signed aggregations are signed. */
export function isSigned(t: SizedType): boolean {
  return t.signed;
}

/** bpftrace's SizedType::IsEqual. */
export function typeEquals(a: SizedType, b: SizedType): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'record':
      return a.name === b.name && a.size === b.size;
    case 'pointer':
      return typeEquals(a.elem!, b.elem!);
    case 'array':
      return a.count === b.count && typeEquals(a.elem!, b.elem!);
    case 'tuple': {
      const fa = a.struct!.fields;
      const fb = b.struct!.fields;
      return a.size === b.size && fa.length === fb.length && fa.every((f, i) => f.offset === fb[i].offset && typeEquals(f.type, fb[i].type));
    }
    default:
      return a.size === b.size && a.signed === b.signed;
  }
}

/** bpftrace's SizedType::IsSameType: same kind (records by name, pointers by pointee). */
export function sameType(a: SizedType, b: SizedType): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'record') return a.name === b.name;
  if (a.type === 'pointer') return sameType(a.elem!, b.elem!);
  return true;
}

/** bpftrace's SizedType::FitsInto (tuples and strings may grow). */
export function fitsInto(a: SizedType, b: SizedType): boolean {
  if (a.type === 'string' && b.type === 'string') return a.size <= b.size;
  if (a.type === 'tuple' && b.type === 'tuple') {
    const fa = a.struct!.fields;
    const fb = b.struct!.fields;
    return fa.length === fb.length && fa.every((f, i) => fitsInto(f.type, fb[i].type));
  }
  return typeEquals(a, b);
}

export function withSize(t: SizedType, size: number): SizedType {
  const out = { ...t, size };
  if (t.type === 'integer') out.bits = size * 8;
  return out;
}

export function withAs(t: SizedType, as: AddrSpace): SizedType {
  return { ...t, as };
}

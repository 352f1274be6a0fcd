// BpfMap: one kernel map, created from a spec or opened by pin or id.
import * as bpf from './sys/bpf.js';
import { Fd } from './sys/fd.js';
import { BpfError } from './sys/errors.js';
import { mmapShared, munmap, pageSize } from './sys/mem.js';
import { possibleCpus } from './sys/cpus.js';
import { mapFlagNames, mapFlagsNumber, mapTypeName, mapTypeNumber, type MapFlagName, type MapTypeName } from './sys/names.js';
import { updateFlags, type UpdateFlagName } from './sys/generated/kernel.js';
import { toBytes, type Input } from './codec.js';

export interface MapSpec {
  type: MapTypeName | number;
  keySize?: number;
  valueSize?: number;
  maxEntries: number;
  flags?: readonly (MapFlagName | number)[] | number;
  name?: string;
  /** For array_of_maps / hash_of_maps: a map of the kind the outer map holds. */
  innerMap?: BpfMap;
  numaNode?: number;
  /** For bloom filters: the number of hash functions; for arenas: the address. */
  mapExtra?: bigint;
  ifindex?: number;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  btfVmlinuxValueTypeId?: number;
}

export interface MapInfo {
  id: number;
  type: string;
  typeId: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  flagNames: MapFlagName[];
  name: string;
  ifindex: number;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  btfVmlinuxValueTypeId: number;
  mapExtra: bigint;
  frozen?: boolean;
}

export type UpdateFlag = UpdateFlagName | number;

const perCpuTypes = new Set(['percpu_hash', 'percpu_array', 'lru_percpu_hash', 'percpu_cgroup_storage']);
const keylessTypes = new Set(['queue', 'stack', 'bloom_filter']);
const mapInMapTypes = new Set(['array_of_maps', 'hash_of_maps']);
const fdValueTypes = new Set(['prog_array', 'array_of_maps', 'hash_of_maps', 'perf_event_array', 'cgroup_array', 'sockmap', 'sockhash', 'devmap', 'devmap_hash', 'xskmap', 'cpumap', 'reuseport_sockarray']);

function flagNumber(flag: UpdateFlag, lock: boolean | undefined): number {
  const n = typeof flag === 'number' ? flag : updateFlags[flag];
  if (n === undefined) throw new TypeError(`unknown update flag '${flag}'; valid: any, noexist, exist, lock`);
  return n | (lock ? updateFlags.lock : 0);
}

export class BpfMap implements Disposable {
  readonly fd: Fd;
  readonly type: string;
  readonly typeId: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  #mapping?: ArrayBuffer;
  #opsCache?: bpf.ElemOps;

  private constructor(fd: Fd, info: { typeId: number; keySize: number; valueSize: number; maxEntries: number; flags: number; name: string }) {
    this.fd = fd;
    this.typeId = info.typeId;
    this.type = mapTypeName(info.typeId);
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.flags = info.flags;
    this.name = info.name;
    this.perCpu = perCpuTypes.has(this.type);
  }

  /** Creates a map in the kernel. */
  static create(spec: MapSpec): BpfMap {
    const typeId = mapTypeNumber(spec.type);
    const typeName = mapTypeName(typeId);
    let keySize = spec.keySize ?? (keylessTypes.has(typeName) || typeName === 'ringbuf' || typeName === 'user_ringbuf' ? 0 : 4);
    let valueSize = spec.valueSize ?? (fdValueTypes.has(typeName) ? 4 : 0);
    if (typeName === 'ringbuf' || typeName === 'user_ringbuf') keySize = valueSize = 0;
    const flags = mapFlagsNumber(spec.flags);
    if (mapInMapTypes.has(typeName) && !spec.innerMap) {
      throw new TypeError(`a ${typeName} map needs innerMap: a map of the type it will hold`);
    }
    const name = sanitizeName(spec.name ?? '');
    const fd = bpf.mapCreate({
      mapType: typeId, keySize, valueSize, maxEntries: spec.maxEntries, mapFlags: flags,
      innerMapFd: spec.innerMap?.fd.raw, numaNode: spec.numaNode, name, ifindex: spec.ifindex,
      btfFd: spec.btfFd, btfKeyTypeId: spec.btfKeyTypeId, btfValueTypeId: spec.btfValueTypeId,
      btfVmlinuxValueTypeId: spec.btfVmlinuxValueTypeId, mapExtra: spec.mapExtra,
    });
    return new BpfMap(fd, { typeId, keySize, valueSize, maxEntries: spec.maxEntries, flags, name });
  }

  /** Opens a map pinned in bpffs. */
  static fromPinned(path: string): BpfMap {
    return BpfMap.fromFd(bpf.objGet(path));
  }

  /** Opens a map by its kernel id. */
  static fromId(id: number): BpfMap {
    return BpfMap.fromFd(bpf.getFdById('map', id));
  }

  /** Takes ownership of a map descriptor; its shape is read from the kernel. */
  static fromFd(fd: Fd): BpfMap {
    try {
      const i = readInfo(fd.raw);
      return new BpfMap(fd, { typeId: i.typeId, keySize: i.keySize, valueSize: i.valueSize, maxEntries: i.maxEntries, flags: i.flags, name: i.name });
    } catch (e) {
      fd.close();
      throw e;
    }
  }

  /** Per-CPU maps hold one value per possible CPU. */
  readonly perCpu: boolean;

  /** Bytes of one value as the kernel copies it: per-CPU values are padded to 8 bytes, once per possible CPU. */
  get valueBufferSize(): number {
    return this.perCpu ? roundUp8(this.valueSize) * possibleCpus().length : this.valueSize;
  }

  get #ops(): bpf.ElemOps {
    return (this.#opsCache ??= new bpf.ElemOps(this.fd.raw, this.keySize, this.valueBufferSize));
  }

  /** Puts `key` into the prepared key buffer. */
  #setKey(ops: bpf.ElemOps, key: Input | undefined): void {
    if (this.keySize === 0) {
      if (key !== undefined) throw new TypeError(`a ${this.type} map has no keys`);
      return;
    }
    if (key === undefined) throw new TypeError(`a ${this.type} map needs a key of ${this.keySize} bytes`);
    if (key instanceof Uint8Array && key.length === this.keySize) ops.key.set(key);
    else if (typeof key === 'number' && this.keySize === 4 && key >= 0 && key <= 0xffffffff) ops.key.writeUInt32LE(key);
    else ops.key.set(toBytes(key, this.keySize, 'key'));
  }

  #check(r: number, operation: string): void {
    if (r < 0) throw new BpfError(operation, -r);
  }

  #key(key: Input | undefined): Buffer | undefined {
    if (this.keySize === 0) {
      if (key !== undefined) throw new TypeError(`a ${this.type} map has no keys`);
      return undefined;
    }
    if (key === undefined) throw new TypeError(`a ${this.type} map needs a key of ${this.keySize} bytes`);
    return toBytes(key, this.keySize, 'key');
  }

  #value(value: Input | BpfMap | { fd: Fd }): Buffer {
    if (value instanceof BpfMap || (typeof value === 'object' && value !== null && 'fd' in value && value.fd instanceof Fd)) {
      return toBytes(value.fd.raw, this.valueSize, 'value');
    }
    if (this.perCpu) throw new TypeError(`${this.type} maps take one value per CPU: use updatePerCpu()`);
    return toBytes(value as Input, this.valueSize, 'value');
  }

  #noPerCpu(what: string): void {
    if (this.perCpu) throw new TypeError(`${this.type} maps hold one value per CPU: use ${what}PerCpu()`);
  }

  /** The value at `key`, or undefined when there is none. */
  lookup(key?: Input, opts?: { lock?: boolean }): Buffer | undefined {
    if (this.perCpu) this.#noPerCpu('lookup');
    const ops = this.#ops;
    this.#setKey(ops, key);
    const r = ops.lookup(opts?.lock ? updateFlags.lock : 0);
    if (r === -2) return undefined;
    this.#check(r, 'BPF_MAP_LOOKUP_ELEM');
    return copyOut(ops.value);
  }

  /** One value per possible CPU, or undefined when the key is absent. */
  lookupPerCpu(key?: Input): Buffer[] | undefined {
    const raw = Buffer.alloc(this.valueBufferSize);
    if (!bpf.mapLookupElem(this.fd.raw, this.#key(key), raw)) return undefined;
    return splitPerCpu(raw, this.valueSize);
  }

  /** Creates or replaces the value at `key`. 'noexist' fails with EEXIST, 'exist' with ENOENT. */
  update(key: Input | undefined, value: Input | BpfMap | { fd: Fd }, flag: UpdateFlag = 'any', opts?: { lock?: boolean }): void {
    const ops = this.#ops;
    this.#setKey(ops, key);
    if (value instanceof Uint8Array && value.length === this.valueSize && !this.perCpu) ops.value.set(value);
    else ops.value.set(this.#value(value));
    const r = ops.update(flag === 'any' && !opts?.lock ? 0 : flagNumber(flag, opts?.lock));
    if (r < 0) this.#check(r, 'BPF_MAP_UPDATE_ELEM');
  }

  updatePerCpu(key: Input | undefined, values: readonly Input[], flag: UpdateFlag = 'any'): void {
    const cpus = possibleCpus().length;
    if (values.length !== cpus) throw new TypeError(`expected ${cpus} values (one per possible CPU) got ${values.length}`);
    const stride = roundUp8(this.valueSize);
    const raw = Buffer.alloc(stride * cpus);
    values.forEach((v, i) => toBytes(v, this.valueSize, 'value').copy(raw, i * stride));
    bpf.mapUpdateElem(this.fd.raw, this.#key(key), raw, flagNumber(flag, false));
  }

  /** Removes `key`; a missing key is a BpfError with code ENOENT (EINVAL for arrays, as the kernel says). */
  delete(key: Input): void {
    const ops = this.#ops;
    this.#setKey(ops, key);
    this.#check(ops.run('map_delete_elem'), 'BPF_MAP_DELETE_ELEM');
  }

  /** The key after `key` (the first key when `key` is undefined or no longer present), or undefined at the end. */
  nextKey(key?: Input): Buffer | undefined {
    const ops = this.#ops;
    if (key !== undefined) this.#setKey(ops, key);
    const r = ops.next(key === undefined);
    if (r === -2) return undefined;
    this.#check(r, 'BPF_MAP_GET_NEXT_KEY');
    return copyOut(ops.nextKey);
  }

  /** Keys in the kernel's iteration order. Deleting the current key makes hash maps start over, as the kernel does. */
  *keys(): Generator<Buffer> {
    let key: Buffer | undefined;
    while ((key = this.nextKey(key)) !== undefined) yield key;
  }

  *entries(): Generator<[Buffer, Buffer]> {
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v !== undefined) yield [k, v];
    }
  }

  /** Bloom filters: false when `value` was certainly never pushed, true when it may have been. */
  contains(value: Input): boolean {
    if (this.type !== 'bloom_filter') throw new TypeError(`contains() is for bloom_filter maps (this is a ${this.type} map)`);
    return bpf.mapLookupElem(this.fd.raw, undefined, toBytes(value, this.valueSize, 'value'));
  }

  /** Reads and removes the value at `key` (or the head of a queue/stack): undefined when absent. */
  lookupAndDelete(key?: Input): Buffer | undefined {
    const value = Buffer.alloc(this.valueBufferSize);
    return bpf.mapLookupAndDeleteElem(this.fd.raw, this.#key(key), value) ? value : undefined;
  }

  /** Queue and stack: adds a value ('exist' overwrites the oldest when full). */
  push(value: Input, flag: UpdateFlag = 'any'): void {
    this.update(undefined, value, flag);
  }

  /** Queue and stack: removes and returns the next value, undefined when empty. */
  pop(): Buffer | undefined {
    return this.lookupAndDelete(undefined);
  }

  /** Queue and stack: the next value without removing it. */
  peek(): Buffer | undefined {
    return this.lookup(undefined);
  }

  /**
   * Reads the whole map with BPF_MAP_LOOKUP_BATCH (or ..._AND_DELETE), `batchSize`
   * entries per system call. Keys and values are views into shared buffers, not copies;
   * per-CPU values come back as one buffer holding every CPU's value.
   */
  lookupBatch(opts: { batchSize?: number; delete?: boolean } = {}): { keys: Buffer[]; values: Buffer[] } {
    const raw = this.lookupBatchRaw(opts);
    const vsize = this.valueBufferSize;
    const keys = new Array<Buffer>(raw.count);
    const values = new Array<Buffer>(raw.count);
    for (let i = 0; i < raw.count; i++) {
      keys[i] = raw.keys.subarray(i * this.keySize, (i + 1) * this.keySize);
      values[i] = raw.values.subarray(i * vsize, (i + 1) * vsize);
    }
    return { keys, values };
  }

  /** Like lookupBatch, but keys and values packed back to back in two buffers: no object per entry. */
  lookupBatchRaw(opts: { batchSize?: number; delete?: boolean } = {}): { keys: Buffer; values: Buffer; count: number } {
    const batchSize = Math.max(1, opts.batchSize ?? Math.min(this.maxEntries, 4096));
    const vsize = this.valueBufferSize;
    // Room for the whole map up front, grown if entries were added meanwhile.
    let cap = Math.max(batchSize, this.maxEntries);
    let keys = Buffer.allocUnsafe(cap * this.keySize);
    let values = Buffer.allocUnsafe(cap * vsize);
    const token = Math.max(this.keySize, 8);
    let inBatch: Buffer | undefined;
    let outBatch = Buffer.alloc(token);
    let count = 0;
    const call = opts.delete ? bpf.mapLookupAndDeleteBatch : bpf.mapLookupBatch;
    for (;;) {
      if (count + batchSize > cap) {
        cap = (count + batchSize) * 2;
        keys = Buffer.concat([keys.subarray(0, count * this.keySize)], cap * this.keySize);
        values = Buffer.concat([values.subarray(0, count * vsize)], cap * vsize);
      }
      const r = call({
        mapFd: this.fd.raw, inBatch, outBatch, count: batchSize,
        keys: keys.subarray(count * this.keySize, (count + batchSize) * this.keySize),
        values: values.subarray(count * vsize, (count + batchSize) * vsize),
      });
      count += r.count;
      if (r.done) break;
      inBatch = outBatch;
      outBatch = Buffer.alloc(token);
    }
    return { keys: keys.subarray(0, count * this.keySize), values: values.subarray(0, count * vsize), count };
  }

  /** Reads and empties the map in batches. */
  lookupAndDeleteBatch(opts: { batchSize?: number } = {}): { keys: Buffer[]; values: Buffer[] } {
    return this.lookupBatch({ ...opts, delete: true });
  }

  /** Writes many entries in one system call; returns how many were written. */
  updateBatch(keys: readonly Input[], values: readonly Input[], flag: UpdateFlag = 'any'): number {
    if (keys.length !== values.length) throw new TypeError(`updateBatch: ${keys.length} keys but ${values.length} values`);
    const keysBuf = Buffer.concat(keys.map((k) => toBytes(k, this.keySize, 'key')));
    const valuesBuf = Buffer.concat(values.map((v) => toBytes(v, this.valueBufferSize, 'value')));
    return bpf.mapUpdateBatch({ mapFd: this.fd.raw, keys: keysBuf, values: valuesBuf, count: keys.length, elemFlags: flagNumber(flag, false) }).count;
  }

  /** Deletes many keys in one system call; returns how many were deleted. */
  deleteBatch(keys: readonly Input[]): number {
    const keysBuf = Buffer.concat(keys.map((k) => toBytes(k, this.keySize, 'key')));
    return bpf.mapDeleteBatch({ mapFd: this.fd.raw, keys: keysBuf, count: keys.length }).count;
  }

  /** Makes the map read-only for user space (programs may still write unless rdonly_prog). */
  freeze(): void {
    bpf.mapFreeze(this.fd.raw);
  }

  /**
   * A Buffer over the map's memory, shared with programs, for 'mmapable' arrays.
   * Valid until close(); reading it after close() throws.
   */
  mmap(): Buffer {
    if (!this.#mapping) {
      if (this.type !== 'array' || (this.flags & mapFlagsNumber(['mmapable'])) === 0) {
        throw new TypeError(`only array maps created with flags ['mmapable'] can be mapped (this is a ${this.type} map)`);
      }
      const size = Math.ceil((roundUp8(this.valueSize) * this.maxEntries) / pageSize()) * pageSize();
      this.#mapping = mmapShared(this.fd.raw, size, this.flags & mapFlagsNumber(['rdonly_prog']) ? 'read' : 'readwrite', 'BpfMap.mmap');
    }
    return Buffer.from(this.#mapping);
  }

  info(): MapInfo {
    return readInfo(this.fd.raw);
  }

  pin(path: string): void {
    bpf.objPin(this.fd.raw, path);
  }

  close(): void {
    if (this.#mapping) {
      munmap(this.#mapping);
      this.#mapping = undefined;
    }
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function readInfo(fd: number): MapInfo & { typeId: number } {
  const i = bpf.objGetInfoByFd('map', fd);
  const typeId = i.get('type');
  const flags = i.get('map_flags');
  return {
    id: i.get('id'),
    type: mapTypeName(typeId),
    typeId,
    keySize: i.get('key_size'),
    valueSize: i.get('value_size'),
    maxEntries: i.get('max_entries'),
    flags,
    flagNames: mapFlagNames(flags),
    name: cString(i.bytes('name')),
    ifindex: i.get('ifindex'),
    btfId: i.get('btf_id'),
    btfKeyTypeId: i.get('btf_key_type_id'),
    btfValueTypeId: i.get('btf_value_type_id'),
    btfVmlinuxValueTypeId: i.get('btf_vmlinux_value_type_id'),
    mapExtra: i.getBig('map_extra'),
  };
}

export function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString();
}

/** Object names are at most 15 characters of [A-Za-z0-9_.]; the kernel rejects others with EINVAL. */
export function sanitizeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

/** A private copy of a scratch buffer (allocUnsafe draws small buffers from Node's pool). */
function copyOut(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  out.set(b);
  return out;
}

function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

function splitPerCpu(raw: Buffer, valueSize: number): Buffer[] {
  const stride = roundUp8(valueSize);
  const out: Buffer[] = [];
  for (let off = 0; off + stride <= raw.length; off += stride) out.push(Buffer.from(raw.subarray(off, off + valueSize)));
  return out;
}

export { BpfError };

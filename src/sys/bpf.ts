// One function per bpf() command bpfkit uses. Each is one system call: arguments in,
// result out, BpfError on failure. Policy (retries, logs, hints) lives in the callers.
import { native } from './native.js';
import { Attr } from './attr.js';
import { BpfError } from './errors.js';
import { Fd } from './fd.js';
import { attrLayouts, bpfCmd, structLayouts, type BpfCmdName, type Layout } from './generated/kernel.js';

function call(cmd: BpfCmdName, attr: Attr, size?: number): number {
  const view = size === undefined ? attr.buf : attr.buf.subarray(0, size);
  const r = native().bpf(bpfCmd[cmd], view);
  if (r < 0) throw new BpfError(`BPF_${cmd.toUpperCase()}`, -r);
  return r;
}

/** Like call(), but returns -errno instead of throwing, for callers that branch on it. */
function tryCall(cmd: BpfCmdName, attr: Attr): number {
  return native().bpf(bpfCmd[cmd], attr.buf);
}

export interface MapCreateAttr {
  mapType: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags?: number;
  innerMapFd?: number;
  numaNode?: number;
  name?: string;
  ifindex?: number;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  btfVmlinuxValueTypeId?: number;
  mapExtra?: bigint;
}

export function mapCreate(a: MapCreateAttr): Fd {
  const attr = new Attr(attrLayouts.map_create)
    .set('map_type', a.mapType).set('key_size', a.keySize).set('value_size', a.valueSize)
    .set('max_entries', a.maxEntries).set('map_flags', a.mapFlags ?? 0).set('inner_map_fd', a.innerMapFd ?? 0)
    .set('numa_node', a.numaNode ?? 0).set('map_ifindex', a.ifindex ?? 0).set('btf_fd', a.btfFd ?? 0)
    .set('btf_key_type_id', a.btfKeyTypeId ?? 0).set('btf_value_type_id', a.btfValueTypeId ?? 0)
    .set('btf_vmlinux_value_type_id', a.btfVmlinuxValueTypeId ?? 0).set('map_extra', a.mapExtra ?? 0n);
  if (a.name) attr.chars('map_name', a.name);
  return new Fd(call('map_create', attr));
}

function elemAttr(mapFd: number, key: Uint8Array | undefined, value: Uint8Array | undefined, flags: number | bigint): Attr {
  return new Attr(attrLayouts.map_elem).set('map_fd', mapFd).ptr('key', key).ptr('value', value).set('flags', flags);
}

/** Returns false when the key is absent (ENOENT); fills `value`. */
export function mapLookupElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags: number | bigint = 0): boolean {
  const r = tryCall('map_lookup_elem', elemAttr(mapFd, key, value, flags));
  if (r === -2) return false;
  if (r < 0) throw new BpfError('BPF_MAP_LOOKUP_ELEM', -r);
  return true;
}

/**
 * Element operations on one map with the attribute and scratch buffers prepared once:
 * each operation is a copy into `key`/`value` and one system call, which keeps BpfMap's
 * hot path within reach of C. `key` and `value` stay alive as long as this object.
 */
const LOOKUP = bpfCmd.map_lookup_elem;
const UPDATE = bpfCmd.map_update_elem;
const DELETE = bpfCmd.map_delete_elem;

export class ElemOps {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly nextKey: Buffer;
  readonly #attr: Attr;
  readonly #nextAttr: Attr;
  readonly #deleteAttr: Attr;
  readonly #flagsOff: number;
  readonly #keyOff: number;
  readonly #keyAddr: bigint;
  readonly #bpf = native().bpf;

  constructor(mapFd: number, keySize: number, valueSize: number) {
    this.key = Buffer.alloc(keySize);
    this.value = Buffer.alloc(valueSize);
    this.nextKey = Buffer.alloc(keySize);
    this.#attr = new Attr(attrLayouts.map_elem).set('map_fd', mapFd).ptr('key', keySize ? this.key : undefined).ptr('value', valueSize ? this.value : undefined);
    this.#nextAttr = new Attr(attrLayouts.map_elem).set('map_fd', mapFd).ptr('key', keySize ? this.key : undefined).ptr('next_key', keySize ? this.nextKey : undefined);
    // The kernel wants every field after a command's last one zero: delete stops at `key`.
    this.#deleteAttr = new Attr(attrLayouts.map_elem).set('map_fd', mapFd).ptr('key', keySize ? this.key : undefined);
    this.#flagsOff = attrLayouts.map_elem.fields.flags.off;
    this.#keyOff = attrLayouts.map_elem.fields.key.off;
    this.#keyAddr = this.#nextAttr.buf.readBigUInt64LE(this.#keyOff);
  }

  /** Runs an element command on `key`/`value`; returns 0 or -errno. */
  run(cmd: 'map_lookup_elem' | 'map_update_elem' | 'map_delete_elem' | 'map_lookup_and_delete_elem', flags = 0): number {
    if (cmd === 'map_delete_elem') return this.#bpf(DELETE, this.#deleteAttr.buf);
    this.#attr.buf.writeUInt32LE(flags, this.#flagsOff);
    return this.#bpf(bpfCmd[cmd], this.#attr.buf);
  }

  /** BPF_MAP_LOOKUP_ELEM of `key` into `value`: the hot path, without a command lookup. */
  lookup(flags: number): number {
    this.#attr.buf.writeUInt32LE(flags, this.#flagsOff);
    return this.#bpf(LOOKUP, this.#attr.buf);
  }

  update(flags: number): number {
    this.#attr.buf.writeUInt32LE(flags, this.#flagsOff);
    return this.#bpf(UPDATE, this.#attr.buf);
  }

  /** BPF_MAP_GET_NEXT_KEY from `key` (or from the start) into `nextKey`; 0 or -errno. */
  next(fromStart: boolean): number {
    this.#nextAttr.buf.writeBigUInt64LE(fromStart ? 0n : this.#keyAddr, this.#keyOff);
    return this.#bpf(bpfCmd.map_get_next_key, this.#nextAttr.buf);
  }
}

export function mapUpdateElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags: number | bigint): void {
  call('map_update_elem', elemAttr(mapFd, key, value, flags));
}

export function mapDeleteElem(mapFd: number, key: Uint8Array | undefined, flags: number | bigint = 0): void {
  call('map_delete_elem', elemAttr(mapFd, key, undefined, flags));
}

/** Returns false at the end of the map (ENOENT). */
export function mapGetNextKey(mapFd: number, key: Uint8Array | undefined, nextKey: Uint8Array): boolean {
  const attr = new Attr(attrLayouts.map_elem).set('map_fd', mapFd).ptr('key', key).ptr('next_key', nextKey);
  const r = tryCall('map_get_next_key', attr);
  if (r === -2) return false;
  if (r < 0) throw new BpfError('BPF_MAP_GET_NEXT_KEY', -r);
  return true;
}

/** Returns false when the key is absent or the queue/stack is empty (ENOENT). */
export function mapLookupAndDeleteElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags: number | bigint = 0): boolean {
  const r = tryCall('map_lookup_and_delete_elem', elemAttr(mapFd, key, value, flags));
  if (r === -2) return false;
  if (r < 0) throw new BpfError('BPF_MAP_LOOKUP_AND_DELETE_ELEM', -r);
  return true;
}

export function mapFreeze(mapFd: number): void {
  call('map_freeze', new Attr(attrLayouts.map_elem).set('map_fd', mapFd));
}

export interface BatchArgs {
  mapFd: number;
  inBatch?: Uint8Array;
  outBatch?: Uint8Array;
  keys: Uint8Array;
  values?: Uint8Array;
  count: number;
  elemFlags?: number | bigint;
  flags?: number | bigint;
}

/** Returns the number of elements processed and whether the end was reached (ENOENT). */
function batch(cmd: 'map_lookup_batch' | 'map_lookup_and_delete_batch' | 'map_update_batch' | 'map_delete_batch', a: BatchArgs): { count: number; done: boolean } {
  const attr = new Attr(attrLayouts.batch)
    .ptr('in_batch', a.inBatch).ptr('out_batch', a.outBatch).ptr('keys', a.keys).ptr('values', a.values)
    .set('count', a.count).set('map_fd', a.mapFd).set('elem_flags', a.elemFlags ?? 0).set('flags', a.flags ?? 0);
  const r = tryCall(cmd, attr);
  const count = attr.get('count');
  if (r === -2) return { count, done: true };
  if (r < 0) throw new BpfError(`BPF_${cmd.toUpperCase()}`, -r);
  return { count, done: false };
}

export const mapLookupBatch = (a: BatchArgs) => batch('map_lookup_batch', a);
export const mapLookupAndDeleteBatch = (a: BatchArgs) => batch('map_lookup_and_delete_batch', a);
export const mapUpdateBatch = (a: BatchArgs) => batch('map_update_batch', a);
export const mapDeleteBatch = (a: BatchArgs) => batch('map_delete_batch', a);

export interface ProgLoadAttr {
  progType: number;
  insns: Uint8Array;
  license: string;
  logLevel?: number;
  logBuf?: Uint8Array;
  kernVersion?: number;
  progFlags?: number;
  name?: string;
  ifindex?: number;
  expectedAttachType?: number;
  progBtfFd?: number;
  funcInfo?: Uint8Array;
  funcInfoRecSize?: number;
  funcInfoCnt?: number;
  lineInfo?: Uint8Array;
  lineInfoRecSize?: number;
  lineInfoCnt?: number;
  attachBtfId?: number;
  attachProgFd?: number;
  attachBtfObjFd?: number;
  fdArray?: Uint8Array;
}

export interface ProgLoadResult {
  fd?: Fd;
  errno: number;
  /** log_true_size: the log size the kernel needed (0 when it does not report it). */
  logTrueSize: number;
}

/** Loads a program; failure is returned (with errno), not thrown, so the caller can retry with a log. */
export function progLoad(a: ProgLoadAttr): ProgLoadResult {
  const attr = new Attr(attrLayouts.prog_load)
    .set('prog_type', a.progType).set('insn_cnt', a.insns.length / 8).ptr('insns', a.insns).str('license', a.license)
    .set('log_level', a.logLevel ?? 0).set('log_size', a.logBuf?.length ?? 0).ptr('log_buf', a.logBuf)
    .set('kern_version', a.kernVersion ?? 0).set('prog_flags', a.progFlags ?? 0).set('prog_ifindex', a.ifindex ?? 0)
    .set('expected_attach_type', a.expectedAttachType ?? 0).set('prog_btf_fd', a.progBtfFd ?? 0)
    .set('func_info_rec_size', a.funcInfoRecSize ?? 0).ptr('func_info', a.funcInfo).set('func_info_cnt', a.funcInfoCnt ?? 0)
    .set('line_info_rec_size', a.lineInfoRecSize ?? 0).ptr('line_info', a.lineInfo).set('line_info_cnt', a.lineInfoCnt ?? 0)
    .set('attach_btf_id', a.attachBtfId ?? 0).set(a.attachProgFd ? 'attach_prog_fd' : 'attach_btf_obj_fd', a.attachProgFd ?? a.attachBtfObjFd ?? 0)
    .ptr('fd_array', a.fdArray);
  if (a.name) attr.chars('prog_name', a.name);
  const r = tryCall('prog_load', attr);
  const logTrueSize = attr.has('log_true_size') ? attr.get('log_true_size') : 0;
  if (r < 0) return { errno: -r, logTrueSize };
  return { fd: new Fd(r), errno: 0, logTrueSize };
}

export function objPin(fd: number, path: string): void {
  call('obj_pin', new Attr(attrLayouts.obj).str('pathname', path).set('bpf_fd', fd));
}

export function objGet(path: string, fileFlags = 0): Fd {
  return new Fd(call('obj_get', new Attr(attrLayouts.obj).str('pathname', path).set('file_flags', fileFlags)));
}

export interface ProgAttachAttr {
  targetFd: number;
  attachBpfFd: number;
  attachType: number;
  attachFlags?: number;
  replaceBpfFd?: number;
}

export function progAttach(a: ProgAttachAttr): void {
  call('prog_attach', new Attr(attrLayouts.prog_attach).set('target_fd', a.targetFd).set('attach_bpf_fd', a.attachBpfFd)
    .set('attach_type', a.attachType).set('attach_flags', a.attachFlags ?? 0).set('replace_bpf_fd', a.replaceBpfFd ?? 0));
}

export function progDetach(a: { targetFd: number; attachBpfFd?: number; attachType: number }): void {
  call('prog_detach', new Attr(attrLayouts.prog_attach).set('target_fd', a.targetFd).set('attach_bpf_fd', a.attachBpfFd ?? 0)
    .set('attach_type', a.attachType));
}

export interface TestRunArgs {
  progFd: number;
  dataIn?: Uint8Array;
  dataOut?: Uint8Array;
  ctxIn?: Uint8Array;
  ctxOut?: Uint8Array;
  repeat?: number;
  flags?: number;
  cpu?: number;
  batchSize?: number;
}

export interface TestRunResult {
  retval: number;
  dataSizeOut: number;
  ctxSizeOut: number;
  duration: number;
}

export function progTestRun(a: TestRunArgs): TestRunResult {
  const attr = new Attr(attrLayouts.test).set('prog_fd', a.progFd).set('repeat', a.repeat ?? 0)
    .set('data_size_in', a.dataIn?.length ?? 0).ptr('data_in', a.dataIn)
    .set('data_size_out', a.dataOut?.length ?? 0).ptr('data_out', a.dataOut)
    .set('ctx_size_in', a.ctxIn?.length ?? 0).ptr('ctx_in', a.ctxIn)
    .set('ctx_size_out', a.ctxOut?.length ?? 0).ptr('ctx_out', a.ctxOut)
    .set('flags', a.flags ?? 0).set('cpu', a.cpu ?? 0).set('batch_size', a.batchSize ?? 0);
  call('prog_test_run', attr);
  return { retval: attr.get('retval'), dataSizeOut: attr.get('data_size_out'), ctxSizeOut: attr.get('ctx_size_out'), duration: attr.get('duration') };
}

export type ObjectKind = 'prog' | 'map' | 'btf' | 'link';

/** The next id after `startId` of a kind of object, or undefined at the end. */
export function getNextId(kind: ObjectKind, startId: number): number | undefined {
  const attr = new Attr(attrLayouts.get_id).set('start_id', startId);
  const r = tryCall(`${kind}_get_next_id` as BpfCmdName, attr);
  if (r === -2) return undefined;
  if (r < 0) throw new BpfError(`BPF_${kind.toUpperCase()}_GET_NEXT_ID`, -r);
  return attr.get('next_id');
}

export function getFdById(kind: ObjectKind, id: number): Fd {
  const field = { prog: 'prog_id', map: 'map_id', btf: 'btf_id', link: 'link_id' }[kind];
  return new Fd(call(`${kind}_get_fd_by_id` as BpfCmdName, new Attr(attrLayouts.get_id).set(field, id)));
}

const infoLayouts: Record<ObjectKind, Layout> = {
  prog: structLayouts.bpf_prog_info,
  map: structLayouts.bpf_map_info,
  btf: structLayouts.bpf_btf_info,
  link: structLayouts.bpf_link_info,
};

/**
 * BPF_OBJ_GET_INFO_BY_FD. `prepare` may set pointer fields on the info struct
 * (xlated instructions, map ids, names) before the call; the kernel fills the rest.
 */
export function objGetInfoByFd(kind: ObjectKind, fd: number, prepare?: (info: Attr) => void): Attr {
  const info = new Attr(infoLayouts[kind]);
  prepare?.(info);
  const attr = new Attr(attrLayouts.info).set('bpf_fd', fd).set('info_len', info.buf.length).ptr('info', info.buf);
  call('obj_get_info_by_fd', attr);
  return info;
}

export interface ProgQueryResult {
  attachFlags: number;
  progIds: number[];
  progAttachFlags: number[];
  linkIds: number[];
  revision: bigint;
}

export function progQuery(a: { targetFd: number; attachType: number; queryFlags?: number; max?: number }): ProgQueryResult {
  const max = a.max ?? 64;
  const ids = Buffer.alloc(max * 4);
  const flags = Buffer.alloc(max * 4);
  const links = Buffer.alloc(max * 4);
  const attr = new Attr(attrLayouts.query).set('target_fd', a.targetFd).set('attach_type', a.attachType)
    .set('query_flags', a.queryFlags ?? 0).ptr('prog_ids', ids).set('prog_cnt', max)
    .ptr('prog_attach_flags', flags);
  if (attr.has('link_ids')) attr.ptr('link_ids', links);
  call('prog_query', attr);
  const n = attr.get('prog_cnt');
  const read = (b: Buffer) => Array.from({ length: n }, (_, i) => b.readUInt32LE(i * 4));
  return {
    attachFlags: attr.get('attach_flags'),
    progIds: read(ids),
    progAttachFlags: read(flags),
    linkIds: attr.has('link_ids') ? read(links) : [],
    revision: attr.has('revision') ? attr.getBig('revision') : 0n,
  };
}

export function rawTracepointOpen(name: string | undefined, progFd: number, cookie = 0n): Fd {
  const attr = new Attr(attrLayouts.raw_tracepoint).set('prog_fd', progFd);
  if (name) attr.str('name', name);
  if (attr.has('cookie')) attr.set('cookie', cookie);
  return new Fd(call('raw_tracepoint_open', attr));
}

export interface BtfLoadResult {
  fd?: Fd;
  errno: number;
}

export function btfLoad(btf: Uint8Array, logBuf?: Uint8Array, logLevel = 0): BtfLoadResult {
  const attr = new Attr(attrLayouts.btf_load).ptr('btf', btf).set('btf_size', btf.length)
    .ptr('btf_log_buf', logBuf).set('btf_log_size', logBuf?.length ?? 0).set('btf_log_level', logBuf ? logLevel || 1 : 0);
  const r = tryCall('btf_load', attr);
  return r < 0 ? { errno: -r } : { fd: new Fd(r), errno: 0 };
}

export interface TaskFdQueryResult {
  progId: number;
  fdType: number;
  probeOffset: bigint;
  probeAddr: bigint;
  name: string;
}

export function taskFdQuery(pid: number, fd: number): TaskFdQueryResult {
  const buf = Buffer.alloc(4096);
  const attr = new Attr(attrLayouts.task_fd_query).set('pid', pid).set('fd', fd)
    .ptr('buf', buf).set('buf_len', buf.length);
  call('task_fd_query', attr);
  const len = attr.get('buf_len');
  return {
    progId: attr.get('prog_id'),
    fdType: attr.get('fd_type'),
    probeOffset: attr.getBig('probe_offset'),
    probeAddr: attr.getBig('probe_addr'),
    name: buf.subarray(0, Math.min(len, buf.length)).toString().replace(/\0.*$/s, ''),
  };
}

/** BPF_LINK_CREATE; `extra` sets type-specific fields ('tracing.cookie', 'uprobe_multi.path', …). */
export function linkCreate(a: { progFd: number; targetFd: number; attachType: number; flags?: number }, extra?: (attr: Attr) => void): Fd {
  const attr = new Attr(attrLayouts.link_create).set('prog_fd', a.progFd).set('target_fd', a.targetFd)
    .set('attach_type', a.attachType).set('flags', a.flags ?? 0);
  extra?.(attr);
  return new Fd(call('link_create', attr));
}

export function linkUpdate(linkFd: number, newProgFd: number, oldProgFd?: number): void {
  const attr = new Attr(attrLayouts.link_update).set('link_fd', linkFd).set('new_prog_fd', newProgFd);
  if (oldProgFd !== undefined) attr.set('old_prog_fd', oldProgFd).set('flags', 1 << 2 /* BPF_F_REPLACE */);
  call('link_update', attr);
}

export function linkDetach(linkFd: number): void {
  call('link_detach', new Attr(attrLayouts.link_detach).set('link_fd', linkFd));
}

export function enableStats(type: number): Fd {
  return new Fd(call('enable_stats', new Attr(attrLayouts.enable_stats).set('type', type)));
}

export function iterCreate(linkFd: number): Fd {
  return new Fd(call('iter_create', new Attr(attrLayouts.iter_create).set('link_fd', linkFd)));
}

export function progBindMap(progFd: number, mapFd: number): void {
  call('prog_bind_map', new Attr(attrLayouts.prog_bind_map).set('prog_fd', progFd).set('map_fd', mapFd));
}

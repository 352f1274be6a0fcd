// `bpfkit map`: bpftool's map command on the bpfkit library — show, create, dump (with BTF-typed
// values as bpftool's `formatted`), lookup/update/delete/getnext, queue and stack operations,
// freeze, pin and event_pipe.
import * as bpf from '../sys/bpf.js';
import type { Fd } from '../sys/fd.js';
import type { Attr } from '../sys/attr.js';
import { possibleCpus } from '../sys/cpus.js';
import { mapTypes } from '../sys/generated/kernel.js';
import { mapTypeName, progTypeName } from '../sys/names.js';
import type { Btf } from '../btf/btf.js';
import { kernelBtf } from '../btf/kernel.js';
import {
  Args, BIN, CliError, Ctx, HELP_SPEC_MAP, HELP_SPEC_OPTIONS, HELP_SPEC_PROGRAM, UsageError, isPrefix, runObject,
  type CommandTable,
} from './bpftool/core.js';
import { btfById, cString, fdinfo, info, mapFd, mapFds, parseUnsigned, printDev, progFd, showObjects, withFds } from './bpftool/objects.js';
import { fprintHex, hexJson, dataJson, parseBytes } from './bpftool/hex.js';
import { JsonWriter } from './bpftool/json.js';
import { dumpBtfValue, type BtfDumper } from './bpftool/btf-value.js';
import { doPin } from './bpftool/pin.js';
import { errnoOf, reason, strerror } from './bpftool/strerror.js';

const ENOENT = 2;
const ENOSPC = 28;
const perCpuTypes = new Set([mapTypes.percpu_hash, mapTypes.percpu_array, mapTypes.lru_percpu_hash, mapTypes.percpu_cgroup_storage]);
const mapOfMaps = new Set([mapTypes.array_of_maps, mapTypes.hash_of_maps]);

interface MapInfo {
  id: number;
  type: number;
  name: string;
  flags: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  ifindex: number;
  netnsDev: bigint;
  netnsIno: bigint;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  btfVmlinuxValueTypeId: number;
}

function mapInfo(fd: Fd): MapInfo {
  const i: Attr = info('map', fd);
  return {
    id: i.get('id'), type: i.get('type'), name: cString(i.bytes('name')), flags: i.get('map_flags'),
    keySize: i.get('key_size'), valueSize: i.get('value_size'), maxEntries: i.get('max_entries'),
    ifindex: i.get('ifindex'), netnsDev: i.getBig('netns_dev'), netnsIno: i.getBig('netns_ino'),
    btfId: i.get('btf_id'), btfKeyTypeId: i.get('btf_key_type_id'), btfValueTypeId: i.get('btf_value_type_id'),
    btfVmlinuxValueTypeId: i.get('btf_vmlinux_value_type_id'),
  };
}

const isPerCpu = (m: MapInfo) => perCpuTypes.has(m.type as never);
const ncpus = () => possibleCpus().length;
const stride = (m: MapInfo) => (m.valueSize + 7) & ~7;
const valueBufSize = (m: MapInfo) => (isPerCpu(m) ? stride(m) * ncpus() : m.valueSize);

function typeName(n: number, table: (n: number) => string): string | number {
  const s = table(n);
  return s === String(n) ? n : s;
}

// ---- show ----

function headerJson(jw: JsonWriter, m: MapInfo): void {
  jw.uintField('id', m.id);
  const t = typeName(m.type, mapTypeName);
  if (typeof t === 'string') jw.stringField('type', t);
  else jw.uintField('type', t);
  if (m.name) jw.stringField('name', m.name);
  jw.name('flags').raw(String(m.flags | 0));
}

function headerPlain(ctx: Ctx, m: MapInfo): void {
  const t = typeName(m.type, mapTypeName);
  ctx.print(`${m.id}: ${typeof t === 'string' ? `${t}  ` : `type ${t}  `}${m.name ? `name ${m.name}  ` : ''}flags 0x${(m.flags >>> 0).toString(16)}`);
  printDev(ctx, m.ifindex, m.netnsDev, m.netnsIno);
  ctx.print('\n');
}

function showMap(ctx: Ctx, fd: Fd, pins: Map<number, string[]> | undefined): void {
  const m = mapInfo(fd);
  const memlock = fdinfo(fd, 'memlock');
  const frozen = Number.parseInt(fdinfo(fd, 'frozen') ?? '0', 10) || 0;
  const owner = m.type === mapTypes.prog_array ? { type: fdinfo(fd, 'owner_prog_type'), jited: fdinfo(fd, 'owner_jited') } : undefined;
  if (ctx.json) {
    const jw = ctx.jw;
    jw.startObject();
    headerJson(jw, m);
    printDev(ctx, m.ifindex, m.netnsDev, m.netnsIno);
    jw.uintField('bytes_key', m.keySize).uintField('bytes_value', m.valueSize).uintField('max_entries', m.maxEntries);
    if (memlock !== undefined) jw.intField('bytes_memlock', Number.parseInt(memlock, 10) || 0);
    if (owner?.type !== undefined) {
      const t = typeName(Number(owner.type), progTypeName);
      if (typeof t === 'string') jw.stringField('owner_prog_type', t);
      else jw.uintField('owner_prog_type', t);
    }
    if (owner?.jited !== undefined) jw.boolField('owner_jited', Number(owner.jited) !== 0);
    jw.intField('frozen', frozen);
    if (m.btfId) jw.intField('btf_id', m.btfId);
    if (pins && pins.size) {
      jw.name('pinned').startArray();
      for (const p of pins.get(m.id) ?? []) jw.string(p);
      jw.endArray();
    }
    jw.endObject();
    return;
  }
  headerPlain(ctx, m);
  let s = `\tkey ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}`;
  if (memlock !== undefined) s += `  memlock ${memlock}B`;
  if (owner && (owner.type !== undefined || owner.jited !== undefined)) {
    s += '\n\t';
    if (owner.type !== undefined) {
      const t = typeName(Number(owner.type), progTypeName);
      s += `owner_prog_type ${t}  `;
    }
    if (owner.jited !== undefined) s += `owner${Number(owner.jited) ? '' : ' not'} jited`;
  }
  if (pins && pins.size) for (const p of pins.get(m.id) ?? []) s += `\n\tpinned ${p}`;
  if (m.btfId || frozen) s += '\n\t';
  if (m.btfId) s += `btf_id ${m.btfId}`;
  if (frozen) s += `${m.btfId ? '  ' : ''}frozen`;
  ctx.print(`${s}\n`);
}

async function doShow(ctx: Ctx, args: Args): Promise<number> {
  return showObjects(ctx, args, 'map', mapFds, (fd, pins) => showMap(ctx, fd, pins));
}

// ---- entries ----

/** The BTF that types a map's keys and values (bpftool's get_map_kv_btf). */
function kvBtf(m: MapInfo): Btf | undefined {
  try {
    if (m.btfVmlinuxValueTypeId) return kernelBtf();
    if (m.btfValueTypeId) return btfById(m.btfId);
  } catch {
    throw new CliError('failed to get btf');
  }
  return undefined;
}

/** bpftool's do_dump_btf: {"key": ..., "value": ...} or per-CPU "values". */
function dumpBtfEntry(d: BtfDumper, m: MapInfo, key: Buffer, value: Buffer): void {
  d.jw.startObject();
  if (m.btfKeyTypeId) {
    d.jw.name('key');
    dumpBtfValue(d, m.btfKeyTypeId, key);
  }
  const valueId = m.btfVmlinuxValueTypeId || m.btfValueTypeId;
  if (!isPerCpu(m)) {
    d.jw.name('value');
    dumpBtfValue(d, valueId, value);
  } else {
    d.jw.name('values').startArray();
    for (let c = 0; c < ncpus(); c++) {
      d.jw.startObject().intField('cpu', c).name('value');
      dumpBtfValue(d, valueId, value.subarray(c * stride(m)));
      d.jw.endObject();
    }
    d.jw.endArray();
  }
  d.jw.endObject();
}

function entryJson(ctx: Ctx, m: MapInfo, key: Buffer, value: Buffer, btf: Btf | undefined): void {
  const jw = ctx.jw;
  jw.startObject();
  jw.name('key');
  hexJson(ctx, key.subarray(0, m.keySize));
  if (!isPerCpu(m)) {
    jw.name('value');
    hexJson(ctx, value.subarray(0, m.valueSize));
  } else {
    jw.name('values').startArray();
    for (let c = 0; c < ncpus(); c++) {
      jw.startObject().intField('cpu', c).name('value');
      hexJson(ctx, value.subarray(c * stride(m), c * stride(m) + m.valueSize));
      jw.endObject();
    }
    jw.endArray();
  }
  if (btf) {
    jw.name('formatted');
    dumpBtfEntry({ btf, jw, plainText: false }, m, key, value);
  }
  jw.endObject();
}

function entryPlain(ctx: Ctx, m: MapInfo, key: Buffer, value: Buffer): void {
  if (!isPerCpu(m)) {
    const breakNames = m.keySize > 16 || m.valueSize > 16;
    const singleLine = m.keySize + m.valueSize <= 24 && !breakNames;
    let s = '';
    if (m.keySize) s += `key:${breakNames ? '\n' : ' '}${fprintHex(key.subarray(0, m.keySize))}${singleLine ? '  ' : '\n'}`;
    if (m.valueSize) s += `value:${breakNames ? '\n' : ' '}${fprintHex(value.subarray(0, m.valueSize))}`;
    ctx.print(`${s}\n`);
    return;
  }
  let s = '';
  if (m.keySize) s += `key:\n${fprintHex(key.subarray(0, m.keySize))}\n`;
  if (m.valueSize) {
    for (let c = 0; c < ncpus(); c++) {
      s += `value (CPU ${String(c).padStart(2, '0')}):${m.valueSize > 16 ? '\n' : ' '}${fprintHex(value.subarray(c * stride(m), c * stride(m) + m.valueSize))}\n`;
    }
  }
  ctx.print(s);
}

function entryError(ctx: Ctx, m: MapInfo, key: Buffer, errno: number): void {
  // For program and map arrays, a missing value is just an empty slot.
  if ((mapOfMaps.has(m.type as never) || m.type === mapTypes.prog_array) && errno === ENOENT) return;
  if (ctx.json) {
    ctx.jw.startObject().name('key');
    hexJson(ctx, key.subarray(0, m.keySize));
    ctx.jw.name('value').startObject().stringField('error', strerror(errno)).endObject();
    ctx.jw.endObject();
    return;
  }
  const msg = errno === ENOENT ? '<no entry>' : errno === ENOSPC && m.type === mapTypes.reuseport_sockarray ? '<cannot read>' : strerror(errno);
  const breakNames = m.keySize > 16 || msg.length > 16;
  const singleLine = m.keySize + msg.length <= 24 && !breakNames;
  ctx.print(`key:${breakNames ? '\n' : ' '}${fprintHex(key.subarray(0, m.keySize))}${singleLine ? '  ' : '\n'}value:${breakNames ? '\n' : ' '}${msg}\n`);
}

/** A pretty JSON writer for BTF-typed plain-text output (bpftool's get_btf_writer). */
function btfWriter(ctx: Ctx): JsonWriter {
  return new JsonWriter((s) => ctx.print(s), true);
}

/** Looks up `key`; returns 0 or the errno. */
function lookup(fd: Fd, key: Buffer | undefined, value: Buffer): number {
  try {
    return bpf.mapLookupElem(fd.raw, key, value) ? 0 : ENOENT;
  } catch (e) {
    return errnoOf(e) ?? 22;
  }
}

function dumpMap(ctx: Ctx, fd: Fd, m: MapInfo, wtr: JsonWriter | undefined, header: boolean): void {
  const key = Buffer.alloc(m.keySize);
  const value = Buffer.alloc(valueBufSize(m));
  let btf: Btf | undefined;
  if (wtr) {
    btf = kvBtf(m);
    if (header) {
      wtr.startObject();
      headerJson(wtr, m);
      wtr.name('elements');
    }
    wtr.startArray();
  } else if (header) headerPlain(ctx, m);
  if (m.type === mapTypes.reuseport_sockarray && m.valueSize !== 8) {
    ctx.info(`Warning: cannot read values from ${mapTypeName(m.type)} map with value_size != 8`);
  }
  let n = 0;
  let prev: Buffer | undefined;
  for (;;) {
    const next = Buffer.alloc(m.keySize);
    if (!bpf.mapGetNextKey(fd.raw, prev, next)) break;
    next.copy(key);
    const err = lookup(fd, m.keySize ? key : undefined, value);
    if (err) entryError(ctx, m, key, err);
    else {
      n++;
      if (ctx.json) entryJson(ctx, m, key, value, btf);
      else if (wtr && btf) dumpBtfEntry({ btf, jw: wtr, plainText: true }, m, key, value);
      else entryPlain(ctx, m, key, value);
    }
    prev = next;
  }
  if (wtr) {
    wtr.endArray();
    if (header) wtr.endObject();
  } else ctx.print(`Found ${n} element${n !== 1 ? 's' : ''}\n`);
}

async function doDump(ctx: Ctx, args: Args): Promise<number> {
  if (args.length !== 2) throw new UsageError();
  return withFds(mapFds(args), (fds) => {
    if (!fds.length) return -1;
    const infos = fds.map(mapInfo);
    let wtr: JsonWriter | undefined;
    let own = false;
    if (ctx.json) wtr = ctx.jw;
    else if (infos.every((m) => m.btfId)) {
      wtr = btfWriter(ctx);
      own = true;
    }
    if (wtr && fds.length > 1) wtr.startArray();
    fds.forEach((fd, k) => {
      dumpMap(ctx, fd, infos[k], wtr, fds.length > 1);
      if (!wtr && k !== fds.length - 1) ctx.print('\n');
    });
    if (wtr && fds.length > 1) wtr.endArray();
    if (own) ctx.print('\n');
    return 0;
  });
}

interface Elem {
  key?: Buffer;
  value?: Buffer;
  flags: number;
  valueFd?: Fd;
}

/** bpftool's parse_elem: `[key DATA] [value VALUE] [any|exist|noexist]` in any order. */
function parseElem(words: readonly string[], m: MapInfo, want: { key: boolean; value: boolean; flags: boolean }): Elem {
  const e: Elem = { flags: 0 };
  let needKey = want.key && m.keySize > 0;
  let needValue = want.value && m.valueSize > 0;
  let flagsOk = want.flags;
  let i = 0;
  try {
    for (;;) {
      const w = words[i];
      if (w === undefined) {
        if (!needKey && !needValue) return e;
        throw new CliError(`did not find ${needKey ? 'key' : 'value'}`);
      }
      if (isPrefix(w, 'key')) {
        if (!needKey) throw new CliError(m.keySize && want.key ? 'duplicate key' : 'unnecessary key');
        const r = parseBytes(words.slice(i + 1), 'key', m.keySize);
        e.key = r.bytes;
        i += 1 + r.used;
        needKey = false;
      } else if (isPrefix(w, 'value')) {
        if (!needValue) throw new CliError(m.valueSize && want.value ? 'duplicate value' : 'unnecessary value');
        i++;
        if (mapOfMaps.has(m.type as never) || m.type === mapTypes.prog_array) {
          const prog = m.type === mapTypes.prog_array;
          const what = prog ? 'map of progs' : 'map in map';
          if (m.valueSize !== 4) throw new CliError(`value smaller than 4B for ${what}?`);
          if (words[i] === undefined || words[i + 1] === undefined) throw new CliError(`not enough value arguments for ${what}`);
          const a = new Args(words.slice(i, i + 2));
          e.valueFd = prog ? progFd(a) : mapFd(a);
          e.value = Buffer.alloc(4);
          e.value.writeUInt32LE(e.valueFd.raw);
          i += 2;
        } else {
          const r = parseBytes(words.slice(i), 'value', m.valueSize);
          i += r.used;
          e.value = Buffer.alloc(valueBufSize(m));
          // Per-CPU maps take the one value given for every CPU.
          if (isPerCpu(m)) for (let c = 0; c < ncpus(); c++) r.bytes.copy(e.value, c * stride(m));
          else r.bytes.copy(e.value);
        }
        needValue = false;
      } else if (isPrefix(w, 'any') || isPrefix(w, 'noexist') || isPrefix(w, 'exist')) {
        if (!flagsOk) throw new CliError(`flags specified multiple times: ${w}`);
        e.flags = isPrefix(w, 'any') ? 0 : isPrefix(w, 'noexist') ? 1 : 2;
        flagsOk = false;
        i++;
      } else {
        throw new CliError(`expected key or value, got: ${w}`);
      }
    }
  } catch (err) {
    e.valueFd?.close();
    throw err;
  }
}

function withMap<T>(args: Args, fn: (fd: Fd, m: MapInfo) => T): Promise<T> {
  const fd = mapFd(args);
  return withFds([fd], () => {
    let m: MapInfo;
    try {
      m = mapInfo(fd);
    } catch (e) {
      throw new CliError(`can't get map info: ${reason(e)}`);
    }
    return fn(fd, m);
  });
}

async function doUpdate(ctx: Ctx, args: Args): Promise<number> {
  if (args.length < 2) throw new UsageError();
  await withMap(args, (fd, m) => {
    const e = parseElem(args.rest(), m, { key: true, value: true, flags: true });
    try {
      bpf.mapUpdateElem(fd.raw, e.key, e.value ?? Buffer.alloc(0), e.flags);
    } catch (err) {
      throw new CliError(`update failed: ${reason(err)}`, -(errnoOf(err) ?? 1));
    } finally {
      e.valueFd?.close();
    }
  });
  if (ctx.json) ctx.jw.null();
  return 0;
}

function printKeyValue(ctx: Ctx, m: MapInfo, key: Buffer, value: Buffer): void {
  const btf = kvBtf(m);
  if (ctx.json) entryJson(ctx, m, key, value, btf);
  else if (btf) {
    const w = btfWriter(ctx);
    dumpBtfEntry({ btf, jw: w, plainText: true }, m, key, value);
    ctx.print('\n');
  } else entryPlain(ctx, m, key, value);
}

async function doLookup(ctx: Ctx, args: Args): Promise<number> {
  if (args.length < 2) throw new UsageError();
  return withMap(args, (fd, m) => {
    const e = parseElem(args.rest(), m, { key: true, value: false, flags: false });
    const key = e.key ?? Buffer.alloc(m.keySize);
    const value = Buffer.alloc(valueBufSize(m));
    const err = lookup(fd, m.keySize ? key : undefined, value);
    if (err === ENOENT) {
      if (ctx.json) ctx.jw.null();
      else ctx.print(`key:\n${fprintHex(key)}\n\nNot found\n`);
      return -ENOENT;
    }
    if (err) throw new CliError(`lookup failed: ${strerror(err)}`, -err);
    printKeyValue(ctx, m, key, value);
    return 0;
  });
}

async function doGetnext(ctx: Ctx, args: Args): Promise<number> {
  if (args.length < 2) throw new UsageError();
  return withMap(args, (fd, m) => {
    const key = args.empty ? undefined : parseElem(args.rest(), m, { key: true, value: false, flags: false }).key ?? Buffer.alloc(m.keySize);
    const next = Buffer.alloc(m.keySize);
    let found: boolean;
    try {
      found = bpf.mapGetNextKey(fd.raw, key, next);
    } catch (e) {
      throw new CliError(`can't get next key: ${reason(e)}`);
    }
    if (!found) throw new CliError(`can't get next key: ${strerror(ENOENT)}`);
    if (ctx.json) {
      ctx.jw.startObject();
      if (key) {
        ctx.jw.name('key');
        hexJson(ctx, key);
      } else ctx.jw.nullField('key');
      ctx.jw.name('next_key');
      hexJson(ctx, next);
      ctx.jw.endObject();
    } else {
      ctx.print(`${key ? `key:\n${fprintHex(key)}\n` : 'key: None\n'}next key:\n${fprintHex(next)}\n`);
    }
    return 0;
  });
}

async function doDelete(ctx: Ctx, args: Args): Promise<number> {
  if (args.length < 2) throw new UsageError();
  await withMap(args, (fd, m) => {
    const e = parseElem(args.rest(), m, { key: true, value: false, flags: false });
    try {
      bpf.mapDeleteElem(fd.raw, e.key ?? Buffer.alloc(m.keySize));
    } catch (err) {
      throw new CliError(`delete failed: ${reason(err)}`, -(errnoOf(err) ?? 1));
    }
  });
  if (ctx.json) ctx.jw.null();
  return 0;
}

async function doPopDequeue(ctx: Ctx, args: Args): Promise<number> {
  if (args.length < 2) throw new UsageError();
  return withMap(args, (fd, m) => {
    const key = m.keySize ? Buffer.alloc(m.keySize) : undefined;
    const value = Buffer.alloc(valueBufSize(m));
    let ok: boolean;
    try {
      ok = bpf.mapLookupAndDeleteElem(fd.raw, key, value);
    } catch (e) {
      throw new CliError(`pop failed: ${reason(e)}`);
    }
    if (!ok) {
      if (ctx.json) ctx.jw.null();
      else ctx.print('Error: empty map\n');
      return -ENOENT;
    }
    printKeyValue(ctx, m, key ?? Buffer.alloc(0), value);
    return 0;
  });
}

async function doFreeze(ctx: Ctx, args: Args): Promise<number> {
  args.require(2);
  const fd = mapFd(args);
  try {
    if (!args.empty) throw new CliError(`what is '${args.cur}'?`);
    try {
      bpf.mapFreeze(fd.raw);
    } catch (e) {
      throw new CliError(`failed to freeze map: ${reason(e)}`);
    }
  } finally {
    fd.close();
  }
  if (ctx.json) ctx.jw.null();
  return 0;
}

async function doPinCmd(ctx: Ctx, args: Args): Promise<number> {
  args.require(3);
  const fd = mapFd(args);
  try {
    doPin(ctx, fd, args.cur ?? '');
  } finally {
    fd.close();
  }
  if (ctx.json) ctx.jw.null();
  return 0;
}

// ---- create ----

/** libbpf's map type names (exact match only, as bpftool insists). */
function mapTypeFromString(s: string): number | undefined {
  if (s.endsWith('_deprecated')) return undefined;
  return (mapTypes as Record<string, number>)[s];
}

function parseU32(args: Args, current: number | undefined, what: string): number {
  args.next();
  if (current) throw new CliError(`${what} already specified`);
  const v = parseUnsigned(args.cur);
  if (v === undefined) throw new CliError(`can't parse ${args.cur} as ${what}`);
  args.next();
  return v;
}

async function doCreate(ctx: Ctx, args: Args): Promise<number> {
  args.require(7);
  const pinfile = args.take();
  let type: number | undefined;
  let keySize: number | undefined;
  let valueSize: number | undefined;
  let maxEntries: number | undefined;
  let flags: number | undefined;
  let name: string | undefined;
  let inner: Fd | undefined;
  try {
    while (!args.empty) {
      args.require(2);
      if (args.is('type')) {
        args.next();
        if (type) throw new CliError('map type already specified');
        type = mapTypeFromString(args.cur ?? '');
        if (type === undefined) throw new CliError(`unrecognized map type: ${args.cur}`);
        args.next();
      } else if (args.is('name')) {
        args.next();
        name = args.take();
      } else if (args.is('key')) keySize = parseU32(args, keySize, 'key size');
      else if (args.is('value')) valueSize = parseU32(args, valueSize, 'value size');
      else if (args.is('entries')) maxEntries = parseU32(args, maxEntries, 'max entries');
      else if (args.is('flags')) flags = parseU32(args, flags, 'flags');
      else if (args.is('dev')) throw new CliError('offload to a device is not supported by bpfkit');
      else if (args.is('inner_map')) {
        args.next();
        if (args.length < 2) throw new UsageError();
        inner?.close();
        inner = mapFd(args);
        mapInfo(inner);
      } else throw new CliError(`unknown arg ${args.cur}`);
    }
    if (!name) throw new CliError('map name not specified');
    let fd: Fd;
    try {
      fd = bpf.mapCreate({
        mapType: type ?? 0, keySize: keySize ?? 0, valueSize: valueSize ?? 0, maxEntries: maxEntries ?? 0,
        mapFlags: flags ?? 0, innerMapFd: inner?.raw, name: name.slice(0, 15),
      });
    } catch (e) {
      throw new CliError(`map create failed: ${reason(e)}`);
    }
    try {
      doPin(ctx, fd, pinfile);
    } finally {
      fd.close();
    }
  } finally {
    inner?.close();
  }
  if (ctx.json) ctx.jw.null();
  return 0;
}

// ---- event_pipe ----

async function doEventPipe(ctx: Ctx, args: Args): Promise<number> {
  const fd = mapFd(args);
  let m: MapInfo;
  try {
    m = mapInfo(fd);
  } catch (e) {
    fd.close();
    throw e;
  }
  if (m.type !== mapTypes.perf_event_array) {
    fd.close();
    throw new CliError('map is not a perf event array');
  }
  let cpu: number | undefined;
  let index: number | undefined;
  try {
    while (!args.empty) {
      if (args.length < 2) throw new CliError(`what is '${args.cur}'?`);
      if (args.is('cpu')) {
        args.next();
        cpu = parseUnsigned(args.cur);
        if (cpu === undefined) throw new CliError(`can't parse ${args.cur} as CPU ID`);
        args.next();
      } else if (args.is('index')) {
        args.next();
        index = parseUnsigned(args.cur);
        if (index === undefined) throw new CliError(`can't parse ${args.cur} as index`);
        args.next();
      } else throw new CliError(`what is '${args.cur}'?`);
    }
    if ((cpu === undefined) !== (index === undefined)) throw new CliError('cpu and index must be specified together');
    if (cpu !== undefined && cpu !== index) throw new CliError('bpfkit reads each CPU at the index of the same number: cpu and index must be equal');
  } catch (e) {
    fd.close();
    throw e;
  }
  const { BpfMap } = await import('../map.js');
  const { PerfBuffer } = await import('../events/perf-buffer.js');
  const map = BpfMap.fromFd(fd);
  let pb: InstanceType<typeof PerfBuffer>;
  try {
    pb = new PerfBuffer(map, { pagesPerCpu: 16, cpus: cpu === undefined ? undefined : [cpu] });
  } catch (e) {
    map.close();
    throw new CliError(`failed to create perf buffer: ${reason(e)} (${errnoOf(e) ?? 0})`);
  }
  if (ctx.json) ctx.jw.startArray();
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.stderr.write('Stopping...\n');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
    pb.on((data, c) => {
      // The ring has no PERF_SAMPLE_TIME: the time printed is when bpfkit read the sample.
      const t = process.hrtime.bigint();
      if (ctx.json) {
        ctx.jw.startObject().uintField('type', 9).uintField('cpu', c).uintField('index', index ?? c).uintField('timestamp', t).name('data');
        dataJson(ctx, data);
        ctx.jw.endObject();
      } else {
        ctx.print(`== @${t / 1_000_000_000n}.${String(t % 1_000_000_000n).padStart(9, '0')} CPU: ${c} index: ${index ?? c} =====\n${fprintHex(data)}\n`);
      }
      void ctx.flush();
    });
    pb.onLost((count) => {
      if (!ctx.json) ctx.print(`lost ${count} events\n`);
    });
  });
  pb.close();
  map.close();
  if (ctx.json) ctx.jw.endArray();
  return 0;
}

// ---- help ----

function help(ctx: Ctx): number {
  const types = Object.keys(mapTypes).filter((t) => t !== 'unspec' && !t.endsWith('_deprecated'));
  const lines: string[] = [];
  let line = '       TYPE := {';
  types.forEach((t, k) => {
    const word = ` ${t}${k === types.length - 1 ? ' }' : ' |'}`;
    if (line.length + word.length > 86) {
      lines.push(line);
      line = '                ';
    }
    line += word;
  });
  lines.push(line);
  return ctx.helpText(
    `Usage: ${BIN} map { show | list }   [MAP]\n` +
    `       ${BIN} map create     FILE type TYPE key KEY_SIZE value VALUE_SIZE \\\n` +
    '                                  entries MAX_ENTRIES name NAME [flags FLAGS] \\\n' +
    '                                  [inner_map MAP]\n' +
    `       ${BIN} map dump       MAP\n` +
    `       ${BIN} map update     MAP [key DATA] [value VALUE] [UPDATE_FLAGS]\n` +
    `       ${BIN} map lookup     MAP [key DATA]\n` +
    `       ${BIN} map getnext    MAP [key DATA]\n` +
    `       ${BIN} map delete     MAP  key DATA\n` +
    `       ${BIN} map pin        MAP  FILE\n` +
    `       ${BIN} map event_pipe MAP [cpu N index M]\n` +
    `       ${BIN} map peek       MAP\n` +
    `       ${BIN} map push       MAP value VALUE\n` +
    `       ${BIN} map pop        MAP\n` +
    `       ${BIN} map enqueue    MAP value VALUE\n` +
    `       ${BIN} map dequeue    MAP\n` +
    `       ${BIN} map freeze     MAP\n` +
    `       ${BIN} map help\n` +
    '\n' +
    `       ${HELP_SPEC_MAP}\n` +
    '       DATA := { [hex] BYTES }\n' +
    `       ${HELP_SPEC_PROGRAM}\n` +
    '       VALUE := { DATA | MAP | PROG }\n' +
    '       UPDATE_FLAGS := { any | exist | noexist }\n' +
    `${lines.join('\n')}\n` +
    `       ${HELP_SPEC_OPTIONS} |\n` +
    '                    {-f|--bpffs} | {-n|--nomount} }\n',
  );
}

export const mapCommands: CommandTable = {
  object: 'map',
  commands: [
    ['show', doShow],
    ['list', doShow],
    ['help', help],
    ['dump', doDump],
    ['update', doUpdate],
    ['lookup', doLookup],
    ['getnext', doGetnext],
    ['delete', doDelete],
    ['pin', doPinCmd],
    ['event_pipe', doEventPipe],
    ['create', doCreate],
    ['peek', doLookup],
    ['push', doUpdate],
    ['enqueue', doUpdate],
    ['pop', doPopDequeue],
    ['dequeue', doPopDequeue],
    ['freeze', doFreeze],
  ],
  help,
};

export async function main(argv: string[]): Promise<number> {
  return runObject(mapCommands, argv);
}


// Finding kernel objects the way bpftool's grammar names them (PROG := id|tag|name|pinned,
// MAP := id|name|pinned, LINK := id|pinned), and the small facts bpftool shows about them that
// live outside the info structs: fdinfo lines, pin paths, load time as wall-clock time.
import { closeSync, opendirSync, openSync, readFileSync, readlinkSync, statfsSync, statSync, type Dir } from 'node:fs';
import { dirname, join } from 'node:path';
import * as bpf from '../../sys/bpf.js';
import { Fd } from '../../sys/fd.js';
import { BpfError } from '../../sys/errors.js';
import type { Attr } from '../../sys/attr.js';
import { mounts } from '../../sys/mounts.js';
import { Btf } from '../../btf/btf.js';
import { kernelBtf } from '../../btf/kernel.js';
import { Args, CliError, type Ctx } from './core.js';
import { strerror, errnoOf } from './strerror.js';

export type Kind = 'prog' | 'map' | 'link' | 'btf';

const BPF_FS_MAGIC = 0xcafe4a11;
const OBJ_NAME_LEN = 16;
const MAX_PROG_FULL_NAME = 128;

export function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString();
}

/** strtoul(s, &end, 0) that must consume the whole word: decimal, 0x hex or 0 octal. */
export function parseUnsigned(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2];
  let v = body.length > 1 && /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : body.length > 1 && body[0] === '0' ? parseInt(body.slice(1), 8) : parseInt(body, 10);
  if (m[1] === '-') v = (2 ** 32 - v) % 2 ** 32;
  return v;
}

export function info(kind: Kind, fd: Fd | number, prepare?: (a: Attr) => void): Attr {
  return bpf.objGetInfoByFd(kind, typeof fd === 'number' ? fd : fd.raw, prepare);
}

/** The object type behind a descriptor, from /proc/self/fd (bpftool's get_fd_type). */
export function fdType(fd: Fd): Kind | 'unknown' {
  const target = readlinkSync(`/proc/self/fd/${fd.raw}`);
  if (target.includes('bpf-map')) return 'map';
  if (target.includes('bpf-prog')) return 'prog';
  if (target.includes('bpf-link')) return 'link';
  return 'unknown';
}

/** One value of /proc/self/fdinfo/FD, as bpftool's get_fdinfo finds it (first line containing the key). */
export function fdinfo(fd: Fd, key: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/self/fdinfo/${fd.raw}`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.includes(key)) continue;
    const tab = line.indexOf('\t');
    return tab < 0 || tab === line.length - 1 ? undefined : line.slice(tab + 1);
  }
  return undefined;
}

function isBpffs(path: string): boolean {
  try {
    return Number(statfsSync(path).type) === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/** bpftool's open_obj_pinned_any. */
export function openPinned(path: string, expect: Kind): Fd {
  let fd: Fd;
  try {
    fd = bpf.objGet(path);
  } catch (e) {
    const n = errnoOf(e) ?? 0;
    throw new CliError(`bpf obj get (${path}): ${n === 13 && !isBpffs(dirname(path)) ? 'directory not in bpf file system (bpffs)' : strerror(n)}`);
  }
  const t = fdType(fd);
  if (t !== expect) {
    fd.close();
    throw new CliError(`incorrect object type: ${t}`);
  }
  return fd;
}

/** Every id of a kind of object, in the kernel's order. */
export function* ids(kind: Kind): Generator<number> {
  let id = 0;
  for (;;) {
    const next = bpf.getNextId(kind, id);
    if (next === undefined) return;
    id = next;
    yield id;
  }
}

/** The object with an id, or undefined when it went away meanwhile (ENOENT). */
export function openId(kind: Kind, id: number): Fd | undefined {
  try {
    return bpf.getFdById(kind, id);
  } catch (e) {
    if (errnoOf(e) === 2) return undefined;
    throw e;
  }
}

function parseId(args: Args): number {
  args.next();
  const id = parseUnsigned(args.cur);
  if (id === undefined) throw new CliError(`can't parse ${args.cur} as ID`);
  args.next();
  return id;
}

function byId(kind: Kind, id: number, what: string): Fd {
  try {
    return bpf.getFdById(kind, id);
  } catch (e) {
    throw new CliError(`${what} (${id}): ${strerror(errnoOf(e) ?? 0)}`);
  }
}

/** bpftool's prog_parse_fds: every program the PROG words name (tag and name may match several). */
export function progFds(args: Args): Fd[] {
  if (args.is('id')) return [byId('prog', parseId(args), 'get by id')];
  if (args.is('tag')) {
    args.next();
    const tag = args.cur ?? '';
    if (!/^[0-9a-fA-F]{16}/.test(tag)) throw new CliError("can't parse tag");
    args.next();
    return matching('prog', (fd, i) => i.bytes('tag').toString('hex') === tag.slice(0, 16).toLowerCase() && !!fd);
  }
  if (args.is('name')) {
    args.next();
    const name = args.cur ?? '';
    if (name.length > MAX_PROG_FULL_NAME - 1) throw new CliError("can't parse name");
    args.next();
    return matching('prog', (fd, i) => progFullName(i, fd) === name);
  }
  if (args.is('pinned')) {
    args.next();
    const path = args.cur ?? '';
    args.next();
    return [openPinned(path, 'prog')];
  }
  throw new CliError(`expected 'id', 'tag', 'name' or 'pinned', got: '${args.cur}'?`);
}

/** bpftool's map_parse_fds. */
export function mapFds(args: Args): Fd[] {
  if (args.is('id')) return [byId('map', parseId(args), 'get map by id')];
  if (args.is('name')) {
    args.next();
    const name = args.cur ?? '';
    if (name.length > OBJ_NAME_LEN - 1) throw new CliError("can't parse name");
    args.next();
    return matching('map', (_fd, i) => cString(i.bytes('name')) === name);
  }
  if (args.is('pinned')) {
    args.next();
    const path = args.cur ?? '';
    args.next();
    return [openPinned(path, 'map')];
  }
  throw new CliError(`expected 'id', 'name' or 'pinned', got: '${args.cur}'?`);
}

function matching(kind: 'prog' | 'map', test: (fd: Fd, i: Attr) => boolean): Fd[] {
  const out: Fd[] = [];
  try {
    for (const id of ids(kind)) {
      const fd = openId(kind, id);
      if (!fd) continue;
      if (test(fd, info(kind, fd))) out.push(fd);
      else fd.close();
    }
  } catch (e) {
    for (const fd of out) fd.close();
    throw e;
  }
  return out;
}

function single(fds: Fd[], what: string): Fd {
  if (fds.length === 1) return fds[0];
  for (const fd of fds) fd.close();
  if (fds.length > 1) throw new CliError(`several ${what} match this handle`);
  // No match: bpftool fails without a message here.
  throw new CliError('', -1);
}

export function progFd(args: Args): Fd {
  return single(progFds(args), 'programs');
}

export function mapFd(args: Args): Fd {
  return single(mapFds(args), 'maps');
}

/** bpftool's link_parse_fd. */
export function linkFd(args: Args): Fd {
  if (args.is('id')) {
    const id = parseId(args);
    try {
      return bpf.getFdById('link', id);
    } catch (e) {
      throw new CliError(`failed to get link with ID ${id}: ${strerror(errnoOf(e) ?? 0)}`);
    }
  }
  if (args.is('pinned')) {
    args.next();
    const path = args.cur ?? '';
    args.next();
    return openPinned(path, 'link');
  }
  throw new CliError(`expected 'id' or 'pinned', got: '${args.cur}'?`);
}

/** Closes every descriptor, even when `fn` throws. */
export async function withFds<T>(fds: Fd[], fn: (fds: Fd[]) => T | Promise<T>): Promise<T> {
  try {
    return await fn(fds);
  } finally {
    for (const fd of fds) fd.close();
  }
}

/**
 * bpftool's `show`: the objects the arguments name (`id N`, `pinned P`, …), or every object of
 * the kind in id order; one JSON array around several objects.
 */
export async function showObjects(ctx: Ctx, args: Args, kind: 'prog' | 'map' | 'link', select: (args: Args) => Fd[], show: (fd: Fd, pins: Map<number, string[]> | undefined) => void): Promise<number> {
  const pins = ctx.opts.showPinned ? pinnedTable(kind) : undefined;
  if (args.length === 2) {
    return withFds(select(args), (fds) => {
      if (!fds.length) return -1;
      if (ctx.json && fds.length > 1) ctx.jw.startArray();
      for (const fd of fds) show(fd, pins);
      if (ctx.json && fds.length > 1) ctx.jw.endArray();
      return 0;
    });
  }
  if (!args.empty) throw new CliError(`what is '${args.cur}'?`);
  if (ctx.json) ctx.jw.startArray();
  try {
    for (const id of ids(kind)) {
      const fd = openId(kind, id);
      if (!fd) continue;
      try {
        show(fd, pins);
      } finally {
        fd.close();
      }
    }
  } finally {
    if (ctx.json) ctx.jw.endArray();
  }
  return 0;
}

// ---- BTF objects by id ----

const btfCache = new Map<number, Btf>();

/** The raw bytes, name and kind of a kernel BTF object. */
export function btfObject(fd: Fd): { id: number; size: number; name: string; kernel: boolean; raw: Buffer } {
  const first = info('btf', fd);
  const raw = Buffer.alloc(first.get('btf_size'));
  const name = Buffer.alloc(64);
  const i = info('btf', fd, (a) => {
    a.ptr('btf', raw).set('btf_size', raw.length);
    a.ptr('name', name).set('name_len', name.length);
  });
  return { id: i.get('id'), size: i.get('btf_size'), name: cString(name), kernel: i.get('kernel_btf') !== 0, raw };
}

/** A kernel BTF object decoded (module BTF split over vmlinux), cached per id. */
export function btfById(id: number): Btf {
  let btf = btfCache.get(id);
  if (btf) return btf;
  const fd = bpf.getFdById('btf', id);
  try {
    const o = btfObject(fd);
    const base = o.kernel && o.name !== 'vmlinux' ? kernelBtf() : undefined;
    btf = Btf.fromBuffer(o.raw, { base, file: `btf id ${id}` });
  } finally {
    fd.close();
  }
  btfCache.set(id, btf);
  return btf;
}

/** The BTF type id of a program's first function (func_info[0]), if it has BTF. */
export function progFuncTypeId(i: Attr, fd: Fd): number | undefined {
  if (!i.get('btf_id') || !i.get('nr_func_info')) return undefined;
  const rec = Math.min(i.get('func_info_rec_size'), 8);
  const buf = Buffer.alloc(8);
  const j = info('prog', fd, (a) => a.set('nr_func_info', 1).set('func_info_rec_size', rec).ptr('func_info', buf));
  void j;
  return buf.readUInt32LE(4);
}

/** bpftool's get_prog_full_name: names cut at 15 characters are completed from BTF. */
export function progFullName(i: Attr, fd: Fd): string {
  const name = cString(i.bytes('name'));
  if (name.length < OBJ_NAME_LEN - 1) return name;
  try {
    const typeId = progFuncTypeId(i, fd);
    if (typeId === undefined) return name;
    const t = btfById(i.get('btf_id')).typeOrUndefined(typeId);
    return t && t.kind === 'func' ? t.name : name;
  } catch {
    return name;
  }
}

// ---- pins (-f) ----

/** Every pin of one kind of object in every mounted bpffs: id → paths (bpftool's build_pinned_obj_table). */
export function pinnedTable(kind: 'prog' | 'map' | 'link'): Map<number, string[]> {
  const table = new Map<number, string[]>();
  for (const m of mounts().filter((x) => x.fstype === 'bpf')) {
    walk(m.target, (path) => {
      let fd: Fd;
      try {
        fd = bpf.objGet(path);
      } catch {
        return;
      }
      try {
        if (fdType(fd) !== kind) return;
        const id = info(kind, fd).get('id');
        const l = table.get(id);
        if (l) l.push(path);
        else table.set(id, [path]);
      } finally {
        fd.close();
      }
    });
  }
  return table;
}

/** Files under `dir` in readdir order, not following symbolic links (nftw with FTW_PHYS). */
function walk(dir: string, onFile: (path: string) => void): void {
  let d: Dir;
  try {
    d = opendirSync(dir);
  } catch {
    return;
  }
  try {
    for (let e = d.readSync(); e; e = d.readSync()) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, onFile);
      else if (e.isFile()) onFile(p);
    }
  } finally {
    d.closeSync();
  }
}

/** Directory entries in readdir order (nftw and readdir users print in this order, unsorted). */
export function readdirOrder(dir: string): { name: string; dir: boolean }[] {
  const out: { name: string; dir: boolean }[] = [];
  const d = opendirSync(dir);
  try {
    for (let e = d.readSync(); e; e = d.readSync()) out.push({ name: e.name, dir: e.isDirectory() });
  } finally {
    d.closeSync();
  }
  return out;
}

// ---- time ----

/** CLOCK_BOOTTIME - CLOCK_MONOTONIC in nanoseconds (time spent suspended), from /proc/timer_list. */
function bootOffsetNs(): bigint {
  try {
    const text = readFileSync('/proc/timer_list', 'utf8');
    const m = /ktime_get_boottime\s*\n\s*\.offset:\s*(\d+) nsecs/.exec(text);
    return m ? BigInt(m[1]) : 0n;
  } catch {
    return 0n;
  }
}

/** Wall-clock seconds of a boot-time stamp in nanoseconds, computed as bpftool's print_boot_time does. */
export function bootToWallSeconds(nsecs: bigint): number {
  const realNs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  const bootNs = process.hrtime.bigint() + bootOffsetNs();
  return Number((realNs - bootNs + nsecs) / 1_000_000_000n);
}

/** strftime("%FT%T%z") in local time. */
export function isoLocal(secs: number): string {
  const d = new Date(secs * 1000);
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${off < 0 ? '-' : '+'}${p(Math.trunc(off / 60))}${p(off % 60)}`;
}

// ---- offloaded devices ----

function netnsMatches(nsDev: bigint, nsIno: bigint): boolean {
  try {
    const st = statSync('/proc/self/ns/net', { bigint: true });
    return st.dev === nsDev && st.ino === nsIno;
  } catch {
    return false;
  }
}

function ifName(ifindex: number): string | undefined {
  try {
    for (const e of readdirOrder('/sys/class/net')) {
      if (Number(readFileSync(`/sys/class/net/${e.name}/ifindex`, 'utf8').trim()) === ifindex) return e.name;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** bpftool's print_dev_plain / print_dev_json for offloaded programs and maps. */
export function printDev(ctx: Ctx, ifindex: number, nsDev: bigint, nsIno: bigint): void {
  if (!ifindex) return;
  const name = netnsMatches(nsDev, nsIno) ? ifName(ifindex) : undefined;
  if (ctx.json) {
    ctx.jw.name('dev').startObject().uintField('ifindex', ifindex).uintField('ns_dev', nsDev).uintField('ns_inode', nsIno);
    if (name) ctx.jw.stringField('ifname', name);
    ctx.jw.endObject();
  } else {
    ctx.print(`  offloaded_to ${name ?? `ifindex ${ifindex} ns_dev ${nsDev} ns_ino ${nsIno}`}`);
  }
}

/** Opens a file read-only and returns its descriptor number (cgroups, netns files). */
export function openReadOnly(path: string): number {
  return openSync(path, 'r');
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

export { BpfError };

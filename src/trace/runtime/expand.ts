// Attach points → concrete places to attach: tracepoint wildcards over tracefs, uprobe wildcards
// over a binary's ELF symbols, USDT probes from .note.stapsdt. Each concrete place carries the name
// bpftrace gives it (the `probe` builtin's value and what `-l` prints).
import { existsSync } from 'node:fs';
import type { AttachPointNode, ProbeNode } from '../ast.js';
import { globMatch, hasWildcard } from '../attachpoint.js';
import { listTracepoints, tracefs } from '../../sys/tracefs.js';
import { cachedSymbolTable, resolveSymbolOffset } from '../../symbols/elf-symbols.js';
import { readUsdtProbes, type UsdtProbe } from '../../symbols/usdt.js';
import { pathInProcessRoot, resolveBinary, resolveExecutable } from '../../symbols/libpath.js';
import { TraceRuntimeError } from './errors.js';

export interface ConcreteAttach {
  provider: string;
  /** bpftrace's name of this probe, e.g. 'tracepoint:syscalls:sys_enter_openat'. */
  name: string;
  ap: AttachPointNode;
  /** tracepoint category and event. */
  category?: string;
  event?: string;
  /** uprobe/uretprobe/usdt: binary and file offset. */
  path?: string;
  offset?: number;
  /** uprobe: the function (for `func`). */
  symbol?: string;
  usdt?: UsdtProbe;
  /** watchpoint/asyncwatchpoint: what to watch; `arg` when the address is a function argument. */
  watch?: { address?: bigint; arg?: number; length: number; access: string; async: boolean };
}

export interface ExpandOptions {
  pid?: number;
  /** -c's command: its program is the binary watchpoints on functions refer to. */
  cmd?: string;
  warn?: (msg: string) => void;
}

let tracepointCache: [string, string][] | undefined;
function tracepoints(): [string, string][] {
  return (tracepointCache ??= listTracepoints());
}

/** Expands the attach points of one probe. Missing targets throw TraceRuntimeError with bpftrace's wording. */
export function expandProbe(probe: ProbeNode, opts: ExpandOptions = {}): ConcreteAttach[] {
  const out: ConcreteAttach[] = [];
  for (const ap of probe.attachPoints) {
    try {
      out.push(...expandAttachPoint(ap, opts));
    } catch (e) {
      // A probe with several attach points skips the ones that do not exist (bpftrace warns).
      if (!(e instanceof TraceRuntimeError) || probe.attachPoints.length === 1) throw e;
      opts.warn?.(`WARNING: ${e.message.replace(/^ERROR: /, '')}, skipping.`);
    }
  }
  if (out.length === 0 && probe.attachPoints.length > 1) throw new TraceRuntimeError('ERROR: No probes to attach to');
  return out;
}

export function expandAttachPoint(ap: AttachPointNode, opts: ExpandOptions = {}): ConcreteAttach[] {
  switch (ap.provider) {
    case 'BEGIN':
    case 'END':
      return [{ provider: ap.provider, name: ap.provider, ap }];
    case 'tracepoint':
      return expandTracepoint(ap);
    case 'uprobe':
    case 'uretprobe':
      return expandUprobe(ap, opts);
    case 'usdt':
      return expandUsdt(ap, opts);
    case 'profile':
    case 'interval':
      return [{ provider: ap.provider, name: `${ap.provider}:${ap.target}:${ap.freq}`, ap }];
    case 'software':
    case 'hardware':
      return [{ provider: ap.provider, name: `${ap.provider}:${ap.target}:${ap.freq || ''}`.replace(/:$/, ':'), ap }];
    case 'kprobe':
    case 'kretprobe':
      return [{ provider: ap.provider, name: `${ap.provider}:${ap.func}${ap.funcOffset ? `+${ap.funcOffset}` : ''}`, ap, symbol: ap.func }];
    case 'kfunc':
    case 'kretfunc':
      return [{ provider: ap.provider, name: `${ap.provider}:${ap.target ? `${ap.target}:` : ''}${ap.func}`, ap, symbol: ap.func }];
    case 'watchpoint':
    case 'asyncwatchpoint':
      return expandWatchpoint(ap, opts);
    default:
      return [{ provider: ap.provider, name: ap.raw, ap }];
  }
}

/** bpftrace's binary for watchpoints: -c's program (found in PATH), or the -p process's executable. */
function watchpointBinary(opts: ExpandOptions): string {
  const program = opts.cmd?.split(' ').find(Boolean);
  if (program) {
    try {
      return program.includes('/') ? program : resolveExecutable(program);
    } catch {
      return program;
    }
  }
  return opts.pid ? `/proc/${opts.pid}/exe` : '';
}

/**
 * A watchpoint on an address, or on the address a function receives as argument N: then each
 * matching function of the binary gets a uprobe that reports the address (and stops the task
 * unless the watchpoint is async) so that the runtime can place the breakpoint.
 */
function expandWatchpoint(ap: AttachPointNode, opts: ExpandOptions): ConcreteAttach[] {
  const target = watchpointBinary(opts);
  const tail = `${ap.len}:${ap.mode}`;
  const async = ap.provider === 'asyncwatchpoint';
  const prefix = `${ap.provider}${target ? `:${target}` : ''}`;
  if (!ap.func) {
    return [{ provider: ap.provider, name: `${prefix}:${ap.address}:${tail}`, ap, watch: { address: ap.address, length: ap.len, access: ap.mode, async } }];
  }
  const path = pathInProcessRoot(target, opts.pid);
  if (!path || !existsSync(path)) throw new TraceRuntimeError(`ERROR: watchpoint target file '${target}' does not exist or is not executable`);
  const table = cachedSymbolTable(path);
  const names = [...new Set(table.entries.filter((s) => s.kind !== 'object' && globMatch(ap.func, s.name)).map((s) => s.name))].sort();
  const out: ConcreteAttach[] = [];
  for (const name of names) {
    const { offset } = resolveSymbolOffset(path, name);
    const arg = Number(ap.address);
    out.push({ provider: ap.provider, name: `${prefix}:${name}${arg ? `:${arg}` : ''}:${tail}`, ap, path, offset, symbol: name, watch: { arg, length: ap.len, access: ap.mode, async } });
  }
  // No matching function: no probe, which bpftrace reports as a run with nothing to attach.
  return out;
}

function expandTracepoint(ap: AttachPointNode): ConcreteAttach[] {
  const cat = ap.target;
  const fn = ap.func;
  if (!hasWildcard(cat) && !hasWildcard(fn)) {
    if (!existsSync(`${tracefs()}/events/${cat}/${fn}`)) {
      if (ap.ignoreInvalid) return [];
      throw new TraceRuntimeError(`ERROR: tracepoint not found: ${cat}:${fn}`);
    }
    return [{ provider: 'tracepoint', name: `tracepoint:${cat}:${fn}`, ap, category: cat, event: fn }];
  }
  const hits = tracepoints().filter(([c, n]) => globMatch(cat, c) && globMatch(fn, n));
  if (hits.length === 0 && !ap.ignoreInvalid) throw new TraceRuntimeError(`ERROR: No probes to attach to for tracepoint:${cat}:${fn}`);
  return hits.map(([c, n]) => ({ provider: 'tracepoint', name: `tracepoint:${c}:${n}`, ap, category: c, event: n }));
}

function binaryPath(target: string, pid?: number): string {
  if (target.includes('/') && existsSync(target)) return target;
  try {
    return resolveBinary(target, pid);
  } catch {
    return target;
  }
}

function expandUprobe(ap: AttachPointNode, opts: { pid?: number }): ConcreteAttach[] {
  const shown = binaryPath(ap.target, opts.pid);
  // With -p, a binary may exist only in the process's mount namespace: read and attach through
  // /proc/PID/root, name the probe by the path the script gave.
  const path = pathInProcessRoot(shown, opts.pid);
  if (!existsSync(path)) {
    if (ap.ignoreInvalid) return [];
    throw new TraceRuntimeError(`ERROR: uprobe target file '${ap.target}' does not exist or is not executable`);
  }
  const prefix = `${ap.provider}:${shown}:`;
  if (ap.address) {
    // An address in the binary (as linked), inside a function, as bpftrace requires.
    const addr = Number(ap.address);
    const table = cachedSymbolTable(path);
    const hit = table.lookup(addr);
    const offset = hit && hit.symbol.kind !== 'object' ? table.fileOffset(addr) : undefined;
    if (offset === undefined) throw new TraceRuntimeError(`ERROR: Could not resolve address: ${shown}:0x${addr.toString(16)}`);
    return [{ provider: ap.provider, name: `${prefix}${ap.address}`, ap, path, offset, symbol: undefined }];
  }
  if (!hasWildcard(ap.func)) {
    let offset: number;
    try {
      const at = resolveSymbolOffset(path, ap.func);
      offset = at.offset + Number(ap.funcOffset ?? 0n);
      const size = at.symbol.size;
      if (ap.funcOffset && size > 0 && Number(ap.funcOffset) >= size) {
        throw new TraceRuntimeError(`ERROR: Offset outside the function bounds ('${ap.func}' size is ${size})`);
      }
    } catch (e) {
      if (e instanceof TraceRuntimeError) throw e;
      if (ap.ignoreInvalid) return [];
      throw new TraceRuntimeError(`ERROR: Could not resolve symbol: ${shown}:${ap.func}`);
    }
    return [{ provider: ap.provider, name: `${prefix}${ap.func}${ap.funcOffset ? `+${ap.funcOffset}` : ''}`, ap, path, offset, symbol: ap.func }];
  }
  const table = cachedSymbolTable(path);
  const seen = new Set<string>();
  const out: ConcreteAttach[] = [];
  for (const s of table.entries) {
    if (s.kind === 'object' || seen.has(s.name) || !globMatch(ap.func, s.name)) continue;
    seen.add(s.name);
    const offset = table.fileOffset(s.addr);
    if (offset === undefined) continue;
    out.push({ provider: ap.provider, name: `${prefix}${s.name}`, ap, path, offset, symbol: s.name });
  }
  out.sort((a, b) => (a.symbol! < b.symbol! ? -1 : a.symbol! > b.symbol! ? 1 : 0));
  if (out.length === 0 && !ap.ignoreInvalid) throw new TraceRuntimeError(`ERROR: No probes to attach to for ${ap.provider}:${shown}:${ap.func}`);
  return out;
}

function expandUsdt(ap: AttachPointNode, opts: { pid?: number }): ConcreteAttach[] {
  const path = ap.target ? binaryPath(ap.target, opts.pid) : opts.pid ? `/proc/${opts.pid}/exe` : '';
  if (!path || !existsSync(path)) {
    if (ap.ignoreInvalid) return [];
    throw new TraceRuntimeError(`ERROR: usdt target file '${ap.target}' does not exist or is not executable`);
  }
  const probes = readUsdtProbes(path);
  const ns = ap.ns;
  const hits = probes.filter((p) => (ns === '' || globMatch(ns, p.provider)) && globMatch(ap.func, p.name));
  if (hits.length === 0) {
    if (ap.ignoreInvalid) return [];
    throw new TraceRuntimeError(`ERROR: usdt probe not found: ${ap.raw}`);
  }
  return hits.map((p) => ({ provider: 'usdt', name: `usdt:${path}:${p.provider}:${p.name}`, ap, path: p.path ?? path, offset: p.offset, usdt: p }));
}

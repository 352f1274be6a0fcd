// kprobes and kretprobes: the perf kprobe PMU first, then tracefs kprobe_events (legacy).
// kprobe_multi through BPF_LINK_CREATE. On kernels built without kprobes all of these
// report NotSupportedError.
import * as bpf from '../sys/bpf.js';
import { BpfError, NotSupportedError } from '../sys/errors.js';
import { attachTypes } from '../sys/generated/kernel.js';
import { perfEventOpen, pmuFormatBit, pmuType } from '../sys/perf.js';
import { tracepointId, writeProbeEvent } from '../sys/tracefs.js';
import { attachPerfEvent } from './perf-attach.js';
import { BpfLink, type Link } from './link.js';
import type { Program } from '../program.js';

export interface KprobeOptions {
  retprobe?: boolean;
  offset?: number;
  cookie?: bigint;
}

export function attachKprobe(program: Program, func: string, opts: KprobeOptions = {}): Link {
  const type = pmuType('kprobe');
  if (type !== undefined) {
    const bit = opts.retprobe ? pmuFormatBit('kprobe', 'retprobe') ?? 0 : undefined;
    const event = perfEventOpen({
      type, config: bit === undefined ? 0 : 1n << BigInt(bit), config1String: func, config2: opts.offset ?? 0,
    }, -1, 0);
    return attachPerfEvent(program, event, { cookie: opts.cookie });
  }
  // Legacy: create a named event in tracefs, then attach like a tracepoint.
  const name = `bpfkit_${process.pid}_${func.replace(/\W/g, '_')}_${opts.offset ?? 0}`;
  try {
    writeProbeEvent('kprobe_events', `${opts.retprobe ? 'r' : 'p'}:kprobes/${name} ${func}${opts.offset ? `+${opts.offset}` : ''}`);
  } catch (e) {
    if (e instanceof NotSupportedError) throw new NotSupportedError(opts.retprobe ? 'kretprobes' : 'kprobes', 'this kernel has neither the kprobe perf PMU nor tracefs kprobe_events (CONFIG_KPROBES is off)');
    throw e;
  }
  const event = perfEventOpen({ type: 'tracepoint', config: tracepointId('kprobes', name) }, -1, 0);
  const link = attachPerfEvent(program, event, { cookie: opts.cookie });
  return new LegacyProbeLink(link, () => writeProbeEvent('kprobe_events', `-:kprobes/${name}`));
}

/** kprobe_multi: one link for many functions (by name), 5.18+. */
export function attachKprobeMulti(program: Program, funcs: string[], opts: { retprobe?: boolean; cookies?: bigint[] } = {}): Link {
  const names = funcs.map((f) => Buffer.from(`${f}\0`));
  const syms = Buffer.alloc(8 * names.length);
  const cookies = opts.cookies ? Buffer.alloc(8 * names.length) : undefined;
  try {
    const fd = bpf.linkCreate({ progFd: program.fd.raw, targetFd: 0, attachType: attachTypes.trace_kprobe_multi }, (a) => {
      names.forEach((n, i) => syms.writeBigUInt64LE(a.keep(n), i * 8));
      opts.cookies?.forEach((c, i) => cookies!.writeBigUInt64LE(c, i * 8));
      a.ptr('kprobe_multi.syms', syms).set('kprobe_multi.cnt', names.length).set('kprobe_multi.flags', opts.retprobe ? 1 : 0);
      if (cookies) a.ptr('kprobe_multi.cookies', cookies);
    });
    return new BpfLink(fd, 'kprobe_multi');
  } catch (e) {
    if (e instanceof BpfError && ['EOPNOTSUPP', 'ENOTSUP', 'ENOTSUPP', 'EINVAL', 'ENOENT'].includes(e.code) && pmuType('kprobe') === undefined) {
      throw new NotSupportedError('kprobe_multi', `the kernel refused it (${e.code}) and has no kprobes at all (CONFIG_KPROBES is off)`);
    }
    throw e;
  }
}

/** A perf-event link over a tracefs probe event that must be removed after detaching. */
export class LegacyProbeLink implements Link {
  readonly kind: string;
  readonly #link: Link;
  readonly #remove: () => void;
  #closed = false;
  constructor(link: Link, remove: () => void) {
    this.#link = link;
    this.#remove = remove;
    this.kind = link.kind;
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#link.close();
    try { this.#remove(); } catch { /* already gone */ }
  }
  pin(path: string): void {
    this.#link.pin(path);
  }
  info() {
    return this.#link.info();
  }
  update(program: Program): void {
    this.#link.update(program);
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

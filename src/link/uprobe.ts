// uprobes and uretprobes on an executable or shared library, by file offset; uprobe_multi.
// Symbols are resolved to offsets by src/symbols (resolveUprobeTarget) before calling here.
import * as bpf from '../sys/bpf.js';
import { BpfError, NotSupportedError } from '../sys/errors.js';
import { attachTypes } from '../sys/generated/kernel.js';
import { perfEventOpen, pmuFormatBit, pmuType } from '../sys/perf.js';
import { tracepointId, writeProbeEvent } from '../sys/tracefs.js';
import { attachPerfEvent } from './perf-attach.js';
import { LegacyProbeLink } from './kprobe.js';
import { BpfLink, type Link } from './link.js';
import type { Program } from '../program.js';

export interface UprobeOptions {
  retprobe?: boolean;
  /** Only this process (-1 or undefined: every process that maps the file). */
  pid?: number;
  cookie?: bigint;
  /** File offset of a USDT semaphore the kernel should count up while attached. */
  refCtrOffset?: number;
}

export function attachUprobe(program: Program, path: string, offset: number, opts: UprobeOptions = {}): Link {
  const pid = opts.pid ?? -1;
  const type = pmuType('uprobe');
  if (type !== undefined) {
    let config = 0n;
    if (opts.retprobe) config |= 1n << BigInt(pmuFormatBit('uprobe', 'retprobe') ?? 0);
    if (opts.refCtrOffset) {
      const shift = pmuFormatBit('uprobe', 'ref_ctr_offset');
      if (shift === undefined) throw new NotSupportedError('uprobe reference counters (USDT semaphores)');
      config |= BigInt(opts.refCtrOffset) << BigInt(shift);
    }
    // pid -1 requires a CPU; one event on CPU 0 still fires for the probe on every CPU.
    const event = perfEventOpen({ type, config, config1String: path, config2: offset }, pid, pid === -1 ? 0 : -1);
    return attachPerfEvent(program, event, { cookie: opts.cookie });
  }
  const name = `bpfkit_${process.pid}_${offset.toString(16)}_${Math.random().toString(36).slice(2, 8)}`;
  writeProbeEvent('uprobe_events', `${opts.retprobe ? 'r' : 'p'}:uprobes/${name} ${path}:0x${offset.toString(16)}${opts.refCtrOffset ? `(0x${opts.refCtrOffset.toString(16)})` : ''}`);
  const event = perfEventOpen({ type: 'tracepoint', config: tracepointId('uprobes', name) }, pid, pid === -1 ? 0 : -1);
  return new LegacyProbeLink(attachPerfEvent(program, event, { cookie: opts.cookie }), () => writeProbeEvent('uprobe_events', `-:uprobes/${name}`));
}

/** One link for many offsets in one file (6.6+). */
export function attachUprobeMulti(program: Program, path: string, offsets: number[], opts: { retprobe?: boolean; pid?: number; cookies?: bigint[]; refCtrOffsets?: number[] } = {}): Link {
  const offs = Buffer.alloc(8 * offsets.length);
  offsets.forEach((o, i) => offs.writeBigUInt64LE(BigInt(o), i * 8));
  const refs = opts.refCtrOffsets ? Buffer.alloc(8 * offsets.length) : undefined;
  opts.refCtrOffsets?.forEach((o, i) => refs!.writeBigUInt64LE(BigInt(o), i * 8));
  const cookies = opts.cookies ? Buffer.alloc(8 * offsets.length) : undefined;
  opts.cookies?.forEach((c, i) => cookies!.writeBigUInt64LE(c, i * 8));
  try {
    const fd = bpf.linkCreate({ progFd: program.fd.raw, targetFd: 0, attachType: attachTypes.trace_uprobe_multi }, (a) => {
      a.str('uprobe_multi.path', path).ptr('uprobe_multi.offsets', offs).set('uprobe_multi.cnt', offsets.length)
        .set('uprobe_multi.flags', opts.retprobe ? 1 : 0).set('uprobe_multi.pid', opts.pid ?? 0);
      if (refs) a.ptr('uprobe_multi.ref_ctr_offsets', refs);
      if (cookies) a.ptr('uprobe_multi.cookies', cookies);
    });
    return new BpfLink(fd, 'uprobe_multi');
  } catch (e) {
    if (e instanceof BpfError && (e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUP')) throw new NotSupportedError('uprobe_multi links', e.message);
    throw e;
  }
}

// perf_event_open(2) and the ioctls that tie a BPF program to a perf event.
import { readFileSync } from 'node:fs';
import { native } from './native.js';
import { Attr } from './attr.js';
import { BpfError } from './errors.js';
import { Fd } from './fd.js';
import { macros, structLayouts, perfTypes, type PerfTypeName } from './generated/kernel.js';

export interface PerfEventAttr {
  type: PerfTypeName | number;
  config?: bigint | number;
  /** Sampling period (events between samples); exclusive with sampleFreq. */
  samplePeriod?: bigint | number;
  /** Sampling frequency in Hz. */
  sampleFreq?: number;
  sampleType?: bigint | number;
  wakeupEvents?: number;
  /** Wake the reader when this many bytes are ready (sets the watermark bit). */
  wakeupWatermark?: number;
  disabled?: boolean;
  inherit?: boolean;
  excludeKernel?: boolean;
  excludeUser?: boolean;
  excludeHv?: boolean;
  excludeIdle?: boolean;
  /** For kprobe/uprobe PMUs: config1 is a pointer to the function or path string. */
  config1String?: string;
  config1?: bigint | number;
  config2?: bigint | number;
  /** Breakpoints (type 'breakpoint'): HW_BREAKPOINT_* access bits, address and length. */
  bpType?: number;
  bpAddr?: bigint | number;
  bpLen?: number;
}

/** Opens a perf event. pid -1 with a cpu: every task on that CPU; a pid with cpu -1: that task anywhere. */
export function perfEventOpen(a: PerfEventAttr, pid: number, cpu: number, groupFd = -1, flags = Number(macros.PERF_FLAG_FD_CLOEXEC)): Fd {
  const attr = new Attr(structLayouts.perf_event_attr)
    .set('type', typeof a.type === 'number' ? a.type : perfTypes[a.type])
    .set('size', structLayouts.perf_event_attr.size)
    .set('config', a.config ?? 0)
    .set('sample_type', a.sampleType ?? 0)
    .set('disabled', a.disabled ? 1 : 0)
    .set('inherit', a.inherit ? 1 : 0)
    .set('exclude_kernel', a.excludeKernel ? 1 : 0)
    .set('exclude_user', a.excludeUser ? 1 : 0)
    .set('exclude_hv', a.excludeHv ? 1 : 0)
    .set('exclude_idle', a.excludeIdle ? 1 : 0);
  if (a.sampleFreq !== undefined) attr.set('sample_freq', a.sampleFreq).set('freq', 1);
  else if (a.samplePeriod !== undefined) attr.set('sample_period', a.samplePeriod);
  if (a.wakeupWatermark !== undefined) attr.set('wakeup_watermark', a.wakeupWatermark).set('watermark', 1);
  else if (a.wakeupEvents !== undefined) attr.set('wakeup_events', a.wakeupEvents);
  if (a.config1String !== undefined) attr.str('config1', a.config1String);
  else if (a.config1 !== undefined) attr.set('config1', a.config1);
  if (a.config2 !== undefined) attr.set('config2', a.config2);
  if (a.bpType !== undefined) attr.set('bp_type', a.bpType).set('bp_addr', a.bpAddr ?? 0).set('bp_len', a.bpLen ?? 0);
  const r = native().perfEventOpen(attr.buf, pid, cpu, groupFd, flags);
  if (r < 0) throw new BpfError('perf_event_open', -r, perfHint(-r));
  return new Fd(r);
}

function perfHint(errno: number): string | undefined {
  switch (errno) {
    case 2: return 'no such event (the event, tracepoint or PMU does not exist on this machine)';
    case 13: case 1: return 'permission denied: run as root or grant CAP_PERFMON (see also /proc/sys/kernel/perf_event_paranoid)';
    case 95: return 'this event is not supported here (no hardware PMU in a VM?)';
    case 22: return 'invalid perf event attributes (unknown config, or a probe offset that is not an instruction boundary)';
    default: return undefined;
  }
}

function ioctl(fd: Fd, request: bigint, arg: number, what: string): void {
  const r = native().ioctl(fd.raw, Number(request), arg);
  if (r < 0) throw new BpfError(what, -r);
}

export const perfEventEnable = (fd: Fd) => ioctl(fd, macros.PERF_EVENT_IOC_ENABLE, 0, 'PERF_EVENT_IOC_ENABLE');
export const perfEventDisable = (fd: Fd) => ioctl(fd, macros.PERF_EVENT_IOC_DISABLE, 0, 'PERF_EVENT_IOC_DISABLE');
export const perfEventSetBpf = (fd: Fd, progFd: number) => ioctl(fd, macros.PERF_EVENT_IOC_SET_BPF, progFd, 'PERF_EVENT_IOC_SET_BPF');

/** The dynamic PMU type of a perf event source (kprobe, uprobe, …), or undefined when the kernel has none. */
export function pmuType(name: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(`/sys/bus/event_source/devices/${name}/type`, 'utf8'), 10);
  } catch {
    return undefined;
  }
}

/** The config bit a PMU format names, e.g. uprobe's `retprobe` → "config:0" → 0. */
export function pmuFormatBit(pmu: string, format: string): number | undefined {
  try {
    const m = /^config:(\d+)/.exec(readFileSync(`/sys/bus/event_source/devices/${pmu}/format/${format}`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// Sampling: a perf event on every CPU (or one task) running the program at a frequency or period.
import { perfEventOpen, type PerfEventAttr } from '../sys/perf.js';
import { onlineCpus } from '../sys/cpus.js';
import { BpfError, NotSupportedError } from '../sys/errors.js';
import { macros, perfHwIds, perfSwIds, type PerfHwIdName, type PerfSwIdName } from '../sys/generated/kernel.js';
import { attachAll, attachPerfEvent, type MultiLink } from './perf-attach.js';
import type { Program } from '../program.js';

export type PerfEventSpec =
  | { software: PerfSwIdName }
  | { hardware: PerfHwIdName }
  | { type: number; config: bigint | number };

export interface PerfSamplingOptions {
  event?: PerfEventSpec;
  /** Samples per second (per CPU). */
  frequency?: number;
  /** Events between samples. */
  period?: number | bigint;
  /** Sample one process (every CPU it runs on) instead of every CPU. */
  pid?: number;
  cpus?: number[];
}

export function attachPerfSampling(program: Program, opts: PerfSamplingOptions): MultiLink {
  const ev = opts.event ?? { software: 'cpu_clock' };
  let attr: PerfEventAttr;
  if ('software' in ev) attr = { type: 'software', config: perfSwIds[ev.software] };
  else if ('hardware' in ev) attr = { type: 'hardware', config: perfHwIds[ev.hardware] };
  else attr = { type: ev.type, config: ev.config };
  if (opts.frequency !== undefined) attr.sampleFreq = opts.frequency;
  else attr.samplePeriod = opts.period ?? 1_000_000;
  const cpus = opts.pid !== undefined ? [-1] : opts.cpus ?? onlineCpus();
  try {
    return attachAll('perf_event', cpus.length, (i) => attachPerfEvent(program, perfEventOpen(attr, opts.pid ?? -1, cpus[i])));
  } catch (e) {
    if (e instanceof BpfError && (e.code === 'ENOENT' || e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUP') && 'hardware' in ev) {
      throw new NotSupportedError(`hardware perf event ${ev.hardware}`, 'this machine has no hardware PMU (a VM?); use a software event such as cpu_clock');
    }
    throw e;
  }
}

export interface BreakpointOptions {
  /** The task whose accesses are watched. */
  pid: number;
  address: bigint;
  /** Bytes watched: 1, 2, 4 or 8 (x86 wants the address aligned to it). */
  length: number;
  /** Accesses that fire: 'w', 'rw' or 'x' (x86 cannot watch reads alone). */
  access: string;
}

/**
 * A hardware breakpoint (watchpoint) in one task running the program on every matching access.
 * The CPU has few debug registers (four on x86): when they are all taken perf_event_open fails
 * with ENOSPC, which is thrown as is so that callers can say so.
 */
export function attachBreakpoint(program: Program, opts: BreakpointOptions): MultiLink {
  let bpType = 0;
  if (opts.access.includes('r')) bpType |= Number(macros.HW_BREAKPOINT_R);
  if (opts.access.includes('w')) bpType |= Number(macros.HW_BREAKPOINT_W);
  if (opts.access.includes('x')) bpType |= Number(macros.HW_BREAKPOINT_X);
  const attr: PerfEventAttr = { type: 'breakpoint', bpType, bpAddr: opts.address, bpLen: opts.length, samplePeriod: 1, wakeupEvents: 1 };
  return attachAll('perf_event', 1, () => attachPerfEvent(program, perfEventOpen(attr, opts.pid, -1)));
}

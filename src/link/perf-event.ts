// Sampling: a perf event on every CPU (or one task) running the program at a frequency or period.
import { perfEventOpen, type PerfEventAttr } from '../sys/perf.js';
import { onlineCpus } from '../sys/cpus.js';
import { BpfError, NotSupportedError } from '../sys/errors.js';
import { perfHwIds, perfSwIds, type PerfHwIdName, type PerfSwIdName } from '../sys/generated/kernel.js';
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

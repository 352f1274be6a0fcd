// Off-CPU time: how long tasks spent switched out, by the stacks they were switched out with. One
// program on sched:sched_switch does both halves (see offcpuProgramText); the values are microseconds.
import { BpfMap } from '../map.js';
import { attachTracepoint } from '../link/tracepoint.js';
import { tracepointFormat } from '../sys/tracefs.js';
import { NotSupportedError } from '../sys/errors.js';
import { offcpuProgramText, START_VALUE } from './programs.js';
import type { TaskLayout } from './task.js';
import { loadStackProgram, runStackSession, type StackProfile, type StackSessionOptions } from './session.js';

export interface OffCpuOptions extends StackSessionOptions {
  /** Ignore off-CPU spans shorter than this many microseconds (default 1). */
  minUs?: number;
  /** Ignore off-CPU spans longer than this many microseconds. */
  maxUs?: number;
  /** Tasks off CPU at once that can be tracked (default 65536). */
  maxTasks?: number;
}

/** Where sched_switch puts prev_pid and next_pid on this kernel. */
export function schedSwitchOffsets(): { prevPidOffset: number; nextPidOffset: number } {
  const fmt = tracepointFormat('sched', 'sched_switch');
  const field = (name: string) => {
    const f = fmt.fields.find((x) => x.name === name);
    if (!f || f.size !== 4) throw new NotSupportedError(`sched:sched_switch field ${name}`, `the tracepoint format has no 4-byte ${name}`);
    return f.offset;
  };
  return { prevPidOffset: field('prev_pid'), nextPidOffset: field('next_pid') };
}

export async function offcpu(opts: OffCpuOptions): Promise<StackProfile> {
  const minUs = opts.minUs ?? 1;
  const text = (task?: TaskLayout) => offcpuProgramText({
    stacks: opts.stacks ?? 'both',
    tgid: opts.pid,
    includeIdle: false,
    ...schedSwitchOffsets(),
    minNs: minUs > 0 ? Math.round(minUs * 1000) : undefined,
    maxNs: opts.maxUs !== undefined ? Math.round(opts.maxUs * 1000) : undefined,
    task,
  });
  return runStackSession(opts, {
    unit: 'us',
    extraMaps: {
      start: () => BpfMap.create({ type: 'hash', keySize: 4, valueSize: START_VALUE.size, maxEntries: opts.maxTasks ?? 65536, name: 'start' }),
    },
    load: (maps) => loadStackProgram('tracepoint', 'bpfkit_offcpu', text, maps),
    attach: (program) => attachTracepoint(program, 'sched', 'sched_switch'),
    scale: (ns) => Math.round(Number(ns) / 1000),
  });
}

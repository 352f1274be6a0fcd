// CPU profile: every CPU's cpu-clock perf event fires `frequency` times a second; the program records
// the interrupted task's stacks and counts them in the kernel. The result is folded stacks.
import { attachPerfSampling } from '../link/perf-event.js';
import { profileProgramText } from './programs.js';
import { loadStackProgram, runStackSession, type StackProfile, type StackSessionOptions } from './session.js';

export interface ProfileOptions extends StackSessionOptions {
  /** Samples per second on each CPU (default 99: off the beat of timers that run at round rates). */
  frequency?: number;
  /** Keep samples of the idle task, as `swapper/N` stacks (default false). */
  includeIdle?: boolean;
}

export async function profile(opts: ProfileOptions): Promise<StackProfile> {
  const frequency = opts.frequency ?? 99;
  if (!Number.isInteger(frequency) || frequency < 1) throw new RangeError(`frequency must be a whole number of Hz ≥ 1 (got ${frequency})`);
  const stacks = opts.stacks ?? 'both';
  const includeIdle = opts.includeIdle ?? false;
  return runStackSession(opts, {
    unit: 'samples',
    load: (maps) => loadStackProgram('perf_event', 'bpfkit_profile', (task) => profileProgramText({ stacks, tgid: opts.pid, includeIdle, task }), maps),
    // Every CPU, filtered by tgid in the program: a per-task perf event would miss the process's
    // other threads.
    attach: (program) => attachPerfSampling(program, { frequency }),
  });
}

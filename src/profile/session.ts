// What profile() and offcpu() share: the maps, the wait (a duration, an abort signal, or both),
// keeping address spaces read while processes still live, and the fold at the end.
import { BpfMap } from '../map.js';
import { Program } from '../program.js';
import { assemble } from '../asm/index.js';
import { Symbolizer } from '../symbols/resolver.js';
import { foldStackCounts, readStackCounts, type StackErrors } from './collect.js';
import { STACK_KEY, type StackSelection } from './programs.js';
import { currentTaskLayout, type TaskLayout } from './task.js';
import { BpfError, VerifierError } from '../sys/errors.js';
import type { Link } from '../link/link.js';
import type { ProgTypeName } from '../sys/names.js';
import type { FoldedStack } from '../viz/folded.js';

export interface StackSessionOptions {
  /** Only this process (all its threads). */
  pid?: number;
  /** Seconds to run; without it, runs until `signal` aborts. */
  duration?: number;
  signal?: AbortSignal;
  /** Which stacks to record (default both). */
  stacks?: StackSelection;
  /** Suffix kernel frames `_[k]` and JIT frames `_[j]` (default true). */
  annotate?: boolean;
  /**
   * Buckets of the stack map (default 8192 for one process, 32768 for all; about 1 KiB each).
   * bpf_get_stackid keeps one stack per hash bucket, so a stack whose bucket is taken is lost (and
   * counted in errors): size it well above the number of distinct stacks.
   */
  stackMapEntries?: number;
  /** Distinct (process, stack) keys counted (default 65536). */
  maxKeys?: number;
  symbolizer?: Symbolizer;
  /** Called once everything is attached (the measurement starts). */
  onStart?: () => void;
}

export interface StackProfile {
  /** 'samples' for CPU profiles, 'us' (microseconds off CPU) for off-CPU profiles. */
  unit: 'samples' | 'us';
  stacks: FoldedStack[];
  /** Sum of the values. */
  total: number;
  errors: StackErrors;
  /** How long the programs were attached, in milliseconds. */
  elapsedMs: number;
}

/** The deepest stack bpf_get_stackid records by default (the kernel's sysctl perf_event_max_stack). */
const MAX_STACK_DEPTH = 127;

export interface SessionMaps {
  stacks: BpfMap;
  counts: BpfMap;
  extra: Record<string, BpfMap>;
}

export function createMaps(opts: StackSessionOptions, extra: Record<string, () => BpfMap> = {}): SessionMaps {
  const made: BpfMap[] = [];
  try {
    const stacks = BpfMap.create({ type: 'stack_trace', keySize: 4, valueSize: 8 * MAX_STACK_DEPTH, maxEntries: opts.stackMapEntries ?? (opts.pid !== undefined ? 8192 : 32768), name: 'stacks' });
    made.push(stacks);
    const counts = BpfMap.create({ type: 'hash', keySize: STACK_KEY.size, valueSize: 8, maxEntries: opts.maxKeys ?? 65536, name: 'counts' });
    made.push(counts);
    const x: Record<string, BpfMap> = {};
    for (const [name, make] of Object.entries(extra)) {
      x[name] = make();
      made.push(x[name]);
    }
    return { stacks, counts, extra: x };
  } catch (e) {
    for (const m of made) m.close();
    throw e;
  }
}

export function closeMaps(m: SessionMaps): void {
  m.stacks.close();
  m.counts.close();
  for (const x of Object.values(m.extra)) x.close();
}

export function loadProgram(type: ProgTypeName, name: string, text: string, maps: SessionMaps): Program {
  const fds: Record<string, number> = { stacks: maps.stacks.fd.raw, counts: maps.counts.fd.raw };
  for (const [k, v] of Object.entries(maps.extra)) fds[k] = v.fd.raw;
  return Program.load({ type, name, instructions: assemble(text, { maps: fds, file: `<${name}>` }) });
}

/**
 * Loads the program that reads the current task through its BTF pointer (cheaper per event); where
 * the kernel has no BTF or refuses bpf_get_current_task_btf (before 5.11), the helper version.
 */
export function loadStackProgram(type: ProgTypeName, name: string, text: (task?: TaskLayout) => string, maps: SessionMaps): Program {
  const task = currentTaskLayout();
  if (task) {
    try {
      return loadProgram(type, name, text(task), maps);
    } catch (e) {
      if (!(e instanceof VerifierError) && !(e instanceof BpfError && e.code === 'EINVAL')) throw e;
    }
  }
  return loadProgram(type, name, text(undefined), maps);
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/**
 * Waits for the duration or the signal, whichever comes first; every `tickMs` it calls `tick`
 * (to read the address spaces of processes while they are alive).
 */
export function waitSession(opts: { duration?: number; signal?: AbortSignal }, tick: () => void, tickMs = 250): Promise<void> {
  if (opts.duration === undefined && !opts.signal) {
    return Promise.reject(new TypeError('give a duration, an AbortSignal, or both: nothing would end the profile'));
  }
  if (opts.duration !== undefined && !(opts.duration >= 0)) return Promise.reject(new RangeError(`duration must be ≥ 0 seconds (got ${opts.duration})`));
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(timer);
      if (deadline) clearTimeout(deadline);
      opts.signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setInterval(() => {
      try { tick(); } catch { /* a process that vanished mid-read */ }
    }, tickMs);
    const deadline = opts.duration !== undefined ? setTimeout(finish, opts.duration * 1000) : undefined;
    if (opts.signal?.aborted) finish();
    else opts.signal?.addEventListener('abort', finish, { once: true });
  });
}

/** Reads /proc/PID/maps of the processes seen so far, so their frames resolve after they exit. */
export function snapshotProcesses(counts: BpfMap, symbolizer: Symbolizer, seen: Set<number>, pid?: number): void {
  if (pid !== undefined) {
    symbolizer.process(pid).refresh();
    return;
  }
  const { keys, count } = counts.lookupBatchRaw();
  for (let i = 0; i < count; i++) {
    const tgid = keys.readUInt32LE(i * STACK_KEY.size + STACK_KEY.tgid);
    if (tgid === 0 || seen.has(tgid)) continue;
    seen.add(tgid);
    symbolizer.process(tgid);
  }
}

/** The whole life of a profile: maps, program, attach, wait, detach, fold, close. */
export async function runStackSession(
  opts: StackSessionOptions,
  spec: {
    unit: 'samples' | 'us';
    extraMaps?: Record<string, () => BpfMap>;
    load: (maps: SessionMaps) => Program;
    attach: (program: Program) => Link;
    scale?: (raw: bigint) => number;
  },
): Promise<StackProfile> {
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const symbolizer = opts.symbolizer ?? new Symbolizer();
  const maps = createMaps(opts, spec.extraMaps);
  let program: Program | undefined;
  let link: Link | undefined;
  try {
    program = spec.load(maps);
    if (opts.pid !== undefined) symbolizer.process(opts.pid);
    link = spec.attach(program);
    const t0 = performance.now();
    opts.onStart?.();
    const seen = new Set<number>();
    // One process: its maps are re-read often, so that a short command that exits mid-profile
    // still resolves (its libraries are mapped only after exec).
    await waitSession(opts, () => snapshotProcesses(maps.counts, symbolizer, seen, opts.pid), opts.pid !== undefined ? 50 : 250);
    link.close();
    link = undefined;
    const elapsedMs = performance.now() - t0;
    if (opts.pid !== undefined) symbolizer.process(opts.pid).refresh();
    const folded = foldStackCounts(readStackCounts(maps.counts), maps.stacks, { symbolizer, annotate: opts.annotate, scale: spec.scale });
    return { unit: spec.unit, stacks: folded.stacks, total: folded.total, errors: folded.errors, elapsedMs };
  } finally {
    link?.close();
    program?.close();
    closeMaps(maps);
  }
}

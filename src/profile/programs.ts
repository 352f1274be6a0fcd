// The BPF programs behind profile() and offcpu(), as assembler text. Both aggregate in the kernel:
// stacks go to a stack_trace map (bpf_get_stackid dedups them) and a hash map keyed by
// {tgid, kernel stack id, user stack id, comm} adds up samples or nanoseconds. Nothing is sent per
// event, so the cost per sample is the stack walks, one hash lookup and one atomic add; the task's
// ids and name are plain loads from task_struct when the kernel's BTF says where they are.
import { bpfFlags, updateFlags } from '../sys/generated/kernel.js';
import type { TaskLayout } from './task.js';

/** struct stack_key — 32 bytes, the same for both programs. */
export const STACK_KEY = {
  size: 32,
  tgid: 0,
  kernelStackId: 4,
  userStackId: 8,
  // 12: padding, zeroed
  comm: 16,
  commSize: 16,
} as const;

export type StackSelection = 'both' | 'kernel' | 'user';

export interface StackProgramOptions {
  stacks: StackSelection;
  /** Only this process (its tgid); undefined for every process. */
  tgid?: number;
  /** Keep samples of the idle task (pid 0). */
  includeIdle: boolean;
  /**
   * Where task_struct keeps pid, tgid and comm (currentTaskLayout()): the program reads them from
   * bpf_get_current_task_btf's pointer. Without it, bpf_get_current_pid_tgid and
   * bpf_get_current_comm (kernels before 5.11, or without BTF).
   */
  task?: TaskLayout;
}

/** A negative stack id that means "not collected" (the errno range of bpf_get_stackid is -1..-4095). */
export const NO_STACK = -1;

function u32(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`not a u32: ${n}`);
  return String(n);
}

/** Sets r7 = the current task's tgid. With a task layout r0 is left holding the task pointer. */
function loadCurrent(o: StackProgramOptions): string {
  return o.task
    ? `call bpf_get_current_task_btf
  r7 = *(u32 *)(r0 +${o.task.tgid})`
    : `call bpf_get_current_pid_tgid
  r7 = r0
  r7 >>= 32`;
}

/** Jumps to `label` when the current task (as left by loadCurrent, r0 intact) is an idle task. */
function skipIdle(o: StackProgramOptions, label: string): string {
  if (o.includeIdle) return '';
  // Without the layout r0 is pid_tgid: both halves are 0 for the idle tasks only.
  return o.task
    ? `r1 = *(u32 *)(r0 +${o.task.pid})
  if r1 == 0 goto ${label}`
    : `if r0 == 0 goto ${label}`;
}

/**
 * Fills the key at r10-32 for the current task: tgid from r7, stack ids taken from the context in
 * r6, comm. With a task layout r0 must still hold the task pointer from loadCurrent (nothing but
 * loads, stores and jumps in between). Clobbers r0-r5.
 * task->comm is copied whole: where a kernel leaves bytes of an older, longer name after the NUL
 * (strlcpy in older __set_task_comm), one name can make several keys, which the fold (cut at the
 * NUL, then merged by name) joins again.
 */
function fillKey(o: StackProgramOptions): string {
  const kernel = o.stacks !== 'user';
  const user = o.stacks !== 'kernel';
  return `
  *(u32 *)(r10 -32) = r7
  ${o.task ? `r1 = *(u64 *)(r0 +${o.task.comm})
  *(u64 *)(r10 -16) = r1
  r1 = *(u64 *)(r0 +${o.task.comm + 8})
  *(u64 *)(r10 -8) = r1` : ''}
  ${kernel ? `r1 = r6
  r2 = map[stacks]
  r3 = 0
  call bpf_get_stackid
  *(u32 *)(r10 -28) = r0` : `r1 = ${NO_STACK}
  *(u32 *)(r10 -28) = r1`}
  ${user ? `r1 = r6
  r2 = map[stacks]
  r3 = ${bpfFlags.BPF_F_USER_STACK}
  call bpf_get_stackid
  *(u32 *)(r10 -24) = r0` : `r1 = ${NO_STACK}
  *(u32 *)(r10 -24) = r1`}
  r1 = 0
  *(u32 *)(r10 -20) = r1
  ${o.task ? '' : `r1 = r10
  r1 += -16
  r2 = 16
  call bpf_get_current_comm`}`;
}

/** counts[key at r2] += r8, creating the entry; a lost insert race retries the add once. */
function addToCounts(keyReg: 'r10' | 'r9', keyOff: number, label: string): string {
  const key = `r2 = ${keyReg}
  r2 += ${keyOff}`;
  return `
  r1 = map[counts]
  ${key}
  call bpf_map_lookup_elem
  if r0 == 0 goto ${label}_insert
  lock *(u64 *)(r0 +0) += r8
  goto ${label}_done
${label}_insert:
  *(u64 *)(r10 -40) = r8
  r1 = map[counts]
  ${key}
  r3 = r10
  r3 += -40
  r4 = ${updateFlags.noexist}
  call bpf_map_update_elem
  if r0 == 0 goto ${label}_done
  r1 = map[counts]
  ${key}
  call bpf_map_lookup_elem
  if r0 == 0 goto ${label}_done
  lock *(u64 *)(r0 +0) += r8
${label}_done:`;
}

/** perf_event program: one sample of the interrupted task's stacks. Maps: stacks, counts. */
export function profileProgramText(o: StackProgramOptions): string {
  return `
  r6 = r1
  ${loadCurrent(o)}
  ${skipIdle(o, 'out')}
  ${o.tgid !== undefined ? `if r7 != ${u32(o.tgid)} goto out` : ''}
  ${fillKey(o)}
  r8 = 1
  ${addToCounts('r10', -32, 'count')}
out:
  r0 = 0
  exit
`;
}

/** struct offcpu_start — what is kept for a task while it is off the CPU. */
export const START_VALUE = { size: 40, ts: 0, key: 8 } as const;

export interface OffCpuProgramOptions extends StackProgramOptions {
  /** Offsets in the sched_switch tracepoint record (from its format file). */
  prevPidOffset: number;
  nextPidOffset: number;
  /** Ignore off-CPU spans shorter than this (ns). */
  minNs?: number;
  /** Ignore off-CPU spans longer than this (ns). */
  maxNs?: number;
}

/**
 * Stack frame: key r10-32..-1, scratch u64 at -40, start value (ts, key) at -80..-41, prev tid at
 * -84, next tid at -88.
 *
 * tracepoint sched:sched_switch program. It runs in the context of the task leaving the CPU
 * (prev): its stacks and the time go to start[prev_pid]. Then for the task coming in (next):
 * if start[next_pid] exists, the time off CPU is added to counts under the key kept there.
 * Maps: stacks, start, counts.
 */
export function offcpuProgramText(o: OffCpuProgramOptions): string {
  return `
  r6 = r1
  ; switch-out: remember prev's stacks and the time
  ${loadCurrent(o)}
  r9 = *(u32 *)(r6 +${o.prevPidOffset})
  if r9 == 0 goto switch_in
  ${o.tgid !== undefined ? `if r7 != ${u32(o.tgid)} goto switch_in` : ''}
  *(u32 *)(r10 -84) = r9
  ${fillKey(o)}
  call bpf_ktime_get_ns
  *(u64 *)(r10 -80) = r0
  r1 = *(u64 *)(r10 -32)
  *(u64 *)(r10 -72) = r1
  r1 = *(u64 *)(r10 -24)
  *(u64 *)(r10 -64) = r1
  r1 = *(u64 *)(r10 -16)
  *(u64 *)(r10 -56) = r1
  r1 = *(u64 *)(r10 -8)
  *(u64 *)(r10 -48) = r1
  r1 = map[start]
  r2 = r10
  r2 += -84
  r3 = r10
  r3 += -80
  r4 = 0
  call bpf_map_update_elem
switch_in:
  ; switch-in: charge next's time off the CPU to the stacks it left with
  r1 = *(u32 *)(r6 +${o.nextPidOffset})
  if r1 == 0 goto out
  *(u32 *)(r10 -88) = r1
  r1 = map[start]
  r2 = r10
  r2 += -88
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r9 = r0
  call bpf_ktime_get_ns
  r8 = *(u64 *)(r9 +0)
  if r8 > r0 goto forget
  r0 -= r8
  r8 = r0
  ${o.minNs ? `if r8 < ${u32(o.minNs)} goto forget` : ''}
  ${o.maxNs ? `r1 = ${o.maxNs} ll
  if r8 > r1 goto forget` : ''}
  ; copy the key out of the start entry before the entry is deleted
  r1 = *(u64 *)(r9 +8)
  *(u64 *)(r10 -32) = r1
  r1 = *(u64 *)(r9 +16)
  *(u64 *)(r10 -24) = r1
  r1 = *(u64 *)(r9 +24)
  *(u64 *)(r10 -16) = r1
  r1 = *(u64 *)(r9 +32)
  *(u64 *)(r10 -8) = r1
  ${addToCounts('r10', -32, 'charge')}
forget:
  r1 = map[start]
  r2 = r10
  r2 += -88
  call bpf_map_delete_elem
out:
  r0 = 0
  exit
`;
}

// `bpfkit seccomp record`: run a command, note every system call it and its descendants make,
// and write the smallest allow-list policy under which that run succeeds.
//
// Three tracepoint programs share a map of traced tasks (by thread id):
//   raw_syscalls:sys_enter      a traced task's call number goes into the `calls` set;
//   sched:sched_process_fork    a child (process or thread) of a recording task is traced too;
//   sched:sched_process_exit    a task that ends is forgotten (its id may be reused).
// The command starts from a shell that stops itself first; its pid is entered as "armed", and
// recording begins at its execve, so the shell's own calls before the exec are left out. That
// execve is the first call the filter of `seccomp run` sees too: its launcher installs the
// filter and then only calls execve (plus, in the native execve wrapper, malloc's brk/mmap/munmap
// for the argument vectors — allowed in every recorded policy for that reason).
//
// Limits: a 32-bit (i386) task's calls are recorded with their numbers read on the native table
// (the tracepoint does not say which ABI was used; x32 calls are told apart by their number bit).
import { spawn, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { assemble } from '../../asm/index.js';
import { BpfMap } from '../../map.js';
import { Program } from '../../program.js';
import { attachTracepoint } from '../../link/tracepoint.js';
import type { Link } from '../../link/link.js';
import { tracepointFormat } from '../../sys/tracefs.js';
import { nativeArch, syscallName, syscallNumber, X32_SYSCALL_BIT, type SyscallArch } from './arch.js';
import { resolveCommand } from './launcher.js';
import { formatAction, type SeccompAction } from './policy.js';

export interface RecordOptions {
  env?: NodeJS.ProcessEnv;
  /** Collect the command's output instead of sharing ours. */
  capture?: boolean;
  stdio?: StdioOptions;
  /** How long to wait for the starting shell to stop itself (ms). Default 10000. */
  startTimeoutMs?: number;
}

export interface RecordedCall {
  arch: SyscallArch;
  nr: number;
  /** The name in that architecture's table, if it has one. */
  name?: string;
}

export interface RecordResult {
  /** Exit status as a shell reports it: the code, or 128 + signal number. */
  status: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Distinct system calls, sorted by architecture and number. */
  calls: RecordedCall[];
}

const ARMED = 1;
const RECORDING = 2;

/** What `seccomp run`'s launcher may call after the filter is in (see the header comment). */
export const LAUNCHER_SYSCALLS: readonly string[] = ['execve', 'brk', 'mmap', 'munmap'];

function fieldOffset(category: string, name: string, field: string): number {
  const f = tracepointFormat(category, name).fields.find((x) => x.name === field);
  if (!f) throw new Error(`tracepoint ${category}:${name} has no field ${field}`);
  return f.offset;
}

function programs(arch: SyscallArch): { enter: string; fork: string; exit: string } {
  const id = fieldOffset('raw_syscalls', 'sys_enter', 'id');
  const parent = fieldOffset('sched', 'sched_process_fork', 'parent_pid');
  const child = fieldOffset('sched', 'sched_process_fork', 'child_pid');
  const exitPid = fieldOffset('sched', 'sched_process_exit', 'pid');
  const execve = syscallNumber(arch, 'execve');
  const execveat = syscallNumber(arch, 'execveat');
  if (execve === undefined) throw new Error(`no execve in the ${arch} system call table`);
  const isExec = [execve, execveat].filter((n) => n !== undefined).map((n) => `  if r8 == ${n} goto arm`).join('\n');
  const enter = `
  r6 = r1
  call bpf_get_current_pid_tgid
  *(u32 *)(r10 -4) = r0
  r1 = map[procs]
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r7 = r0
  r8 = *(u64 *)(r6 +${id})
  r1 = *(u32 *)(r7 +0)
  if r1 == ${RECORDING} goto record
${isExec}
  goto out
arm:
  r1 = ${RECORDING}
  *(u32 *)(r7 +0) = r1
record:
  *(u32 *)(r10 -8) = r8
  r1 = 1
  *(u32 *)(r10 -12) = r1
  r1 = map[calls]
  r2 = r10
  r2 += -8
  r3 = r10
  r3 += -12
  r4 = 0
  call bpf_map_update_elem
out:
  r0 = 0
  exit
`;
  const fork = `
  r6 = r1
  r1 = *(u32 *)(r6 +${parent})
  *(u32 *)(r10 -4) = r1
  r1 = map[procs]
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = *(u32 *)(r0 +0)
  if r1 != ${RECORDING} goto out
  r1 = *(u32 *)(r6 +${child})
  *(u32 *)(r10 -8) = r1
  r1 = ${RECORDING}
  *(u32 *)(r10 -12) = r1
  r1 = map[procs]
  r2 = r10
  r2 += -8
  r3 = r10
  r3 += -12
  r4 = 0
  call bpf_map_update_elem
out:
  r0 = 0
  exit
`;
  const exit = `
  r1 = *(u32 *)(r1 +${exitPid})
  *(u32 *)(r10 -4) = r1
  r1 = map[procs]
  r2 = r10
  r2 += -4
  call bpf_map_delete_elem
  r0 = 0
  exit
`;
  return { enter, fork, exit };
}

/** The state field of /proc/PID/stat ('T' when stopped), or undefined once the process is gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `cmd args...` to its end, recording the system calls of it and its descendants. */
export async function recordSyscalls(cmd: string, args: string[], opts: RecordOptions = {}): Promise<RecordResult> {
  const env = opts.env ?? process.env;
  const path = resolveCommand(cmd, env.PATH);
  if (!path) throw new Error(`command not found: ${cmd}`);
  const arch = nativeArch();
  const src = programs(arch);
  const made: { close(): void }[] = [];
  const links: Link[] = [];
  try {
    const procs = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16384, name: 'rec_procs' });
    made.push(procs);
    const calls = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4096, name: 'rec_calls' });
    made.push(calls);
    const maps = { procs: procs.fd.raw, calls: calls.fd.raw };
    const load = (name: string, text: string) => {
      const p = Program.load({ type: 'tracepoint', name, license: 'GPL', instructions: assemble(text, { maps, file: name }) });
      made.push(p);
      return p;
    };
    links.push(attachTracepoint(load('rec_fork', src.fork), 'sched', 'sched_process_fork'));
    links.push(attachTracepoint(load('rec_exit', src.exit), 'sched', 'sched_process_exit'));
    links.push(attachTracepoint(load('rec_enter', src.enter), 'raw_syscalls', 'sys_enter'));

    // The shell stops itself, then (once continued) becomes the command: "$0" is its path.
    const child = spawn('/bin/sh', ['-c', 'kill -STOP $$ && exec "$0" "$@"', path, ...args], {
      stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : opts.stdio ?? 'inherit',
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    const pid = child.pid;
    if (pid === undefined) {
      await closed;
      throw new Error('could not start /bin/sh');
    }
    try {
      const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
      for (;;) {
        const state = procState(pid);
        if (state === 'T') break;
        if (state === undefined || state === 'Z') throw new Error('the starting shell ended before the command ran');
        if (Date.now() > deadline) throw new Error('the starting shell did not stop itself in time');
        await sleep(2);
      }
      const key = Buffer.alloc(4);
      key.writeUInt32LE(pid);
      const armed = Buffer.alloc(4);
      armed.writeUInt32LE(ARMED);
      procs.update(key, armed);
      process.kill(pid, 'SIGCONT');
    } catch (e) {
      child.kill('SIGKILL');
      await closed.catch(() => undefined);
      throw e;
    }
    const { code, signal } = await closed;
    const recorded: RecordedCall[] = [];
    for (const k of calls.keys()) {
      const nr = k.readUInt32LE(0);
      const a: SyscallArch = arch === 'x86_64' && nr & X32_SYSCALL_BIT ? 'x32' : arch;
      recorded.push({ arch: a, nr, name: syscallName(a, nr) });
    }
    recorded.sort((p, q) => (p.arch === q.arch ? p.nr - q.nr : p.arch < q.arch ? -1 : 1));
    const signo = signal ? (constants.signals as Record<string, number>)[signal] ?? 0 : 0;
    return { status: signal ? 128 + signo : code ?? 0, code, signal, stdout, stderr, calls: recorded };
  } finally {
    for (const l of links) l.close();
    for (const m of made.reverse()) m.close();
  }
}

export interface RecordedPolicyOptions {
  /** Action for every call not recorded. Default KILL_PROCESS. */
  defaultAction?: SeccompAction;
  /** The command line, for the comment at the top. */
  command?: string[];
}

/**
 * The allow-list policy (bpfkit YAML) for recorded calls: exactly those, plus what the launcher
 * of `seccomp run` needs between installing the filter and exec (LAUNCHER_SYSCALLS).
 */
export function recordedPolicyYaml(calls: readonly RecordedCall[], opts: RecordedPolicyOptions = {}): string {
  const arches = [...new Set(calls.map((c) => c.arch))];
  const native = nativeArch();
  if (!arches.includes(native)) arches.unshift(native);
  const seen = new Set<string>();
  const names: string[] = [];
  const add = (n: string) => {
    if (!seen.has(n)) {
      seen.add(n);
      names.push(n);
    }
  };
  for (const c of calls) add(c.name ?? String(c.nr));
  const extra = LAUNCHER_SYSCALLS.filter((n) => !seen.has(n));
  const lines = [
    '# Recorded by bpfkit seccomp record' + (opts.command ? ` from: ${opts.command.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : JSON.stringify(w))).join(' ')}` : ''),
    `# ${names.length} system call${names.length === 1 ? '' : 's'} made by the command and its children` +
      (extra.length ? `; ${extra.join(', ')} added for the launcher of \`seccomp run\` (between installing the filter and exec)` : '') + '.',
    `default: ${formatAction(opts.defaultAction ?? { kind: 'kill_process' })}`,
    `architectures: [${arches.join(', ')}]`,
    'allow:',
    ...names.map((n) => `  - ${n}`),
    ...extra.map((n) => `  - ${n}   # launcher`),
  ];
  return `${lines.join('\n')}\n`;
}

// bpfkit profile [-p PID | -c CMD] [-F HZ] [-d SECONDS] [--kernel|--user] [-o FILE]
// Samples stacks on every CPU and writes folded stacks (stdout or .folded), an SVG flame graph (.svg)
// or an HTML page (.html). The shared runner is used by `bpfkit offcpu` too.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isUserError } from '../sys/errors.js';
import { profile } from '../profile/profile.js';
import { offcpu } from '../profile/offcpu.js';
import type { StackProfile } from '../profile/session.js';
import type { StackSelection } from '../profile/programs.js';
import { formatFolded } from '../viz/folded.js';
import { stackFormatOf, writeStacks } from '../viz/output.js';

export type StackTool = 'profile' | 'offcpu';

const USAGE: Record<StackTool, string> = {
  profile: `usage: bpfkit profile [-p PID | -c CMD] [-F HZ] [-d SECONDS] [--kernel|--user] [-o FILE]
  -p PID       only this process (all its threads)
  -c CMD       run CMD (a shell command line) and profile it until it exits
  -F HZ        samples per second on each CPU (default 99)
  -d SECONDS   stop after this long (default: Ctrl-C, or when CMD exits)
  --kernel     kernel stacks only
  --user       user stacks only
  --idle       keep samples of idle CPUs (swapper)
  --no-annotate  no _[k] / _[j] suffixes on kernel and JIT frames
  --stack-storage-size N  distinct stacks to keep (default 8192 with -p/-c, 32768 without)
  -o FILE      .folded, .svg (interactive flame graph) or .html; default: folded stacks on stdout
  --title T    flame graph title`,
  offcpu: `usage: bpfkit offcpu [-p PID | -c CMD] [-d SECONDS] [--kernel|--user] [-o FILE]
  Time spent off CPU (blocked, sleeping, preempted), by the stacks tasks were switched out with,
  in microseconds, from the sched:sched_switch tracepoint.
  -p PID       only this process (all its threads)
  -c CMD       run CMD (a shell command line) and trace it until it exits
  -d SECONDS   stop after this long (default: Ctrl-C, or when CMD exits)
  --kernel     kernel stacks only
  --user       user stacks only
  --min-us N   ignore off-CPU spans shorter than N microseconds (default 1)
  --max-us N   ignore off-CPU spans longer than N microseconds
  --no-annotate  no _[k] / _[j] suffixes on kernel and JIT frames
  --stack-storage-size N  distinct stacks to keep (default 8192 with -p/-c, 32768 without)
  -o FILE      .folded, .svg (interactive flame graph) or .html; default: folded stacks on stdout
  --title T    flame graph title`,
};

class UsageError extends Error {}

interface StackArgs {
  pid?: number;
  command?: string;
  frequency?: number;
  duration?: number;
  stacks: StackSelection;
  idle: boolean;
  annotate: boolean;
  output?: string;
  title?: string;
  minUs?: number;
  maxUs?: number;
  stackStorage?: number;
}

function number(v: string | undefined, flag: string, check: (n: number) => boolean): number {
  if (v === undefined) throw new UsageError(`${flag} needs a value`);
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`invalid value for ${flag}: ${v}`);
  return n;
}

function parseArgs(tool: StackTool, argv: string[]): StackArgs | 'help' {
  const a: StackArgs = { stacks: 'both', idle: false, annotate: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case 'help': case '-h': case '--help': return 'help';
      case '-p': case '--pid': a.pid = number(argv[++i], arg, (n) => Number.isInteger(n) && n > 0); break;
      case '-c': case '--command': a.command = value(); break;
      case '-d': case '--duration': a.duration = number(argv[++i], arg, (n) => n > 0); break;
      case '-o': case '--output': a.output = value(); break;
      case '--title': a.title = value(); break;
      case '--kernel': a.stacks = a.stacks === 'user' ? bothFlags() : 'kernel'; break;
      case '--user': a.stacks = a.stacks === 'kernel' ? bothFlags() : 'user'; break;
      case '--no-annotate': a.annotate = false; break;
      case '--stack-storage-size': a.stackStorage = number(argv[++i], arg, (n) => Number.isInteger(n) && n >= 64); break;
      default:
        if (tool === 'profile' && (arg === '-F' || arg === '--frequency')) a.frequency = number(argv[++i], arg, (n) => Number.isInteger(n) && n >= 1);
        else if (tool === 'profile' && arg === '--idle') a.idle = true;
        else if (tool === 'offcpu' && arg === '--min-us') a.minUs = number(argv[++i], arg, (n) => n >= 0);
        else if (tool === 'offcpu' && arg === '--max-us') a.maxUs = number(argv[++i], arg, (n) => n > 0);
        else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        else throw new UsageError(`unexpected argument '${arg}'`);
    }
  }
  if (a.pid !== undefined && a.command !== undefined) throw new UsageError('-p and -c cannot be used together');
  if (a.output !== undefined && !stackFormatOf(a.output)) throw new UsageError(`cannot tell the output format from '${a.output}': use a .folded, .svg or .html file name`);
  return a;
}

function bothFlags(): never {
  throw new UsageError('--kernel and --user cannot be used together (give neither for both)');
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
  } catch {
    return undefined;
  }
}

/**
 * Starts CMD stopped: the shell stops itself, then execs CMD keeping its pid, so the profile can be
 * attached before CMD runs its first instruction (as bpftrace -c does).
 */
async function spawnStopped(command: string): Promise<ChildProcess> {
  const child = spawn('/bin/sh', ['-c', `kill -STOP $$; exec ${command}`], { stdio: 'inherit' });
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new UsageError(`cannot run '${command}': ${err.message}`);
  }
  for (let i = 0; i < 2000; i++) {
    const s = processState(pid);
    if (s === 'T' || s === 't') return child;
    if (s === undefined || s === 'Z') throw new UsageError(`'${command}' exited before it started`);
    await new Promise((r) => setTimeout(r, 1));
  }
  child.kill('SIGKILL');
  throw new UsageError(`'${command}' did not start`);
}

function describe(tool: StackTool, a: StackArgs, pid: number | undefined, p: StackProfile): string {
  const who = pid !== undefined ? `${commOf(pid) ?? a.command ?? 'pid'} (pid ${pid})` : 'all processes';
  const secs = (p.elapsedMs / 1000).toFixed(1);
  return tool === 'profile'
    ? `CPU profile of ${who}, ${a.frequency ?? 99} Hz, ${secs} s, ${p.total} samples`
    : `Off-CPU time of ${who}, ${secs} s, ${(p.total / 1000).toFixed(1)} ms`;
}

export async function runStackTool(tool: StackTool, argv: string[]): Promise<number> {
  let a: StackArgs | 'help';
  try {
    a = parseArgs(tool, argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bpfkit ${tool}: ${e.message}\n${USAGE[tool]}\n`);
      return 1;
    }
    throw e;
  }
  if (a === 'help') {
    console.log(USAGE[tool]);
    return 0;
  }
  const args = a;
  if (args.pid !== undefined && !existsSync(`/proc/${args.pid}`)) {
    process.stderr.write(`bpfkit ${tool}: no process ${args.pid}\n`);
    return 1;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let child: ChildProcess | undefined;
  let childExited = false;
  try {
    let pid = args.pid;
    if (args.command !== undefined) {
      child = await spawnStopped(args.command);
      pid = child.pid;
      child.once('exit', () => {
        childExited = true;
        controller.abort();
      });
    }
    if (pid === undefined && args.duration === undefined) process.stderr.write(`bpfkit ${tool}: sampling every process; Ctrl-C to stop\n`);
    const common = {
      pid,
      duration: args.duration,
      signal: controller.signal,
      stacks: args.stacks,
      annotate: args.annotate,
      stackMapEntries: args.stackStorage,
      onStart: () => { if (child?.pid) process.kill(child.pid, 'SIGCONT'); },
    };
    const result = tool === 'profile'
      ? await profile({ ...common, frequency: args.frequency, includeIdle: args.idle })
      : await offcpu({ ...common, minUs: args.minUs, maxUs: args.maxUs });
    const subtitle = describe(tool, args, pid, result);
    if (args.output) {
      writeStacks(args.output, result.stacks, {
        title: args.title ?? (tool === 'profile' ? 'CPU Flame Graph' : 'Off-CPU Time Flame Graph'),
        subtitle,
        unit: result.unit,
        palette: tool === 'profile' ? 'hot' : 'io',
      });
      process.stderr.write(`bpfkit ${tool}: ${subtitle}, ${result.stacks.length} stacks → ${args.output}\n`);
    } else {
      process.stdout.write(formatFolded(result.stacks));
    }
    const lost = result.errors.kernelStacksLost + result.errors.userStacksLost;
    if (lost > 0) process.stderr.write(`bpfkit ${tool}: warning: ${lost} ${result.unit} lost their stack to a full or colliding stack map (shown as [lost ... stack]); raise --stack-storage-size\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || isUserError(e)) {
      process.stderr.write(`bpfkit ${tool}: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (child && !childExited && child.exitCode === null && child.signalCode === null) {
      // CMD outlived the profile (-d ended first): it was started for the profile, so it ends with it.
      child.kill('SIGCONT');
      child.kill('SIGTERM');
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  return runStackTool('profile', argv);
}

// bpfkit trace: bpftrace's command line (`-e PROGRAM`, FILE, `-l`, `-p`, `-c`, `-f json`, `-o`, …),
// its messages and its output, on the bpftrace-dialect compiler in src/trace.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { compileScript, countProbes, readScript, TraceSession, renderEvent, TraceError, formatDiagnostic, listProbes } from '../trace/index.js';
import type { TraceEvent } from '../trace/index.js';
import { BpfError, NotSupportedError, ParseError, VerifierError } from '../sys/errors.js';

const VERSION = 'bpftrace v0.17.0 (bpfkit)';

function usage(): string {
  return [
    'USAGE:',
    '    bpfkit trace [options] filename',
    '    bpfkit trace [options] - <stdin input>',
    "    bpfkit trace [options] -e 'program'",
    '',
    'OPTIONS:',
    "    -B MODE        output buffering mode ('line', 'full', 'none')",
    "    -f FORMAT      output format ('text', 'json')",
    '    -o file        redirect output to file',
    "    -e 'program'   execute this program",
    '    -h, --help     show this help message',
    '    -l [search]    list probes',
    '    -p PID         enable USDT probes on PID',
    "    -c 'CMD'       run CMD and enable USDT probes on resulting process",
    '    --unsafe       allow unsafe builtin functions',
    '    -q             keep messages quiet',
    '    -v             verbose messages',
    '    -k             emit a warning when a bpf helper returns an error (accepted, not implemented)',
    '    -V, --version  bpftrace version',
    '    --no-warnings  disable all warning messages',
    '',
    'ENVIRONMENT:',
    '    BPFTRACE_STRLEN             [default: 64] bytes on BPF stack per str()',
    '    BPFTRACE_MAP_KEYS_MAX       [default: 4096] max keys in a map',
    '',
    'EXAMPLES:',
    "bpfkit trace -l '*sleep*'",
    '    list probes containing "sleep"',
    "bpfkit trace -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'",
    '    count syscalls by process name',
  ].join('\n');
}

/** getopt's habit: `-ve PROG` is `-v -e PROG`, `-lv` is `-l -v`. */
function splitShortFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (/^-[vlqkd]{2,}$/.test(x) && x !== '-kk' && x !== '-dd') out.push(...[...x.slice(1)].map((c) => `-${c}`));
    else if (/^-[vlqkd]+[epcofB]$/.test(x)) {
      const flags = [...x.slice(1)];
      out.push(...flags.map((c) => `-${c}`));
    } else out.push(x);
  }
  return out;
}

interface Args {
  info?: boolean;
  program?: string;
  file?: string;
  list?: boolean;
  listPattern?: string;
  pid?: number;
  cmd?: string;
  format: 'text' | 'json';
  output?: string;
  buffering?: string;
  verbose: boolean;
  quiet: boolean;
  unsafe: boolean;
  noWarnings: boolean;
  dryRun: boolean;
  params: string[];
  helperCheck?: number;
  includes: string[];
  includeDirs: string[];
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | 'help' | 'version' {
  const a: Args = { format: 'text', verbose: false, quiet: false, unsafe: false, noWarnings: false, dryRun: false, params: [], includes: [], includeDirs: [] };
  const rest: string[] = [];
  argv = splitShortFlags(argv);
  const value = (i: number, flag: string): string => {
    if (i >= argv.length) throw new UsageError(`option requires an argument -- '${flag.replace(/^-+/, '')}'`);
    return argv[i];
  };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    // Options may follow the file name (getopt permutes); `--` ends them.
    if (x === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!x.startsWith('-') || x === '-' || /^-\d/.test(x)) {
      rest.push(x);
      continue;
    }
    switch (x) {
      case '-h':
      case '--help':
        return 'help';
      case '-V':
      case '--version':
        return 'version';
      case '-e':
        a.program = value(++i, x);
        break;
      case '-l':
        a.list = true;
        break;
      case '-lv':
      case '-vl':
        a.list = true;
        a.verbose = true;
        break;
      case '-p': {
        const text = value(++i, x);
        if (!/^[0-9]+$/.test(text)) throw new UsageError(`ERROR: pid '${text}' is not a valid decimal number`);
        a.pid = Number(text);
        if (a.pid < 1 || a.pid > 4194304) throw new UsageError(`ERROR: pid '${text}' out of valid pid range [1,4194304]`);
        break;
      }
      case '--info':
        a.info = true;
        break;
      case '-c':
        a.cmd = value(++i, x);
        break;
      case '-f':
        a.format = value(++i, x) as 'text' | 'json';
        if (a.format !== 'text' && a.format !== 'json') throw new UsageError(`ERROR: Invalid output format "${a.format}"\nValid formats: 'text', 'json'`);
        break;
      case '-o':
        a.output = value(++i, x);
        break;
      case '-B':
        a.buffering = value(++i, x);
        if (!['line', 'full', 'none'].includes(a.buffering)) throw new UsageError(`ERROR: Invalid buffering mode "${a.buffering}"`);
        break;
      case '-v':
        a.verbose = true;
        break;
      case '-q':
        a.quiet = true;
        break;
      case '-k':
      case '-kk':
        // bpftrace counts: -k reports failing helpers, -kk also the ones that store zero.
        a.helperCheck = Math.min(2, (a.helperCheck ?? 0) + x.length - 1);
        break;
      case '-d':
      case '-dd':
        a.dryRun = true;
        break;
      case '--unsafe':
        a.unsafe = true;
        break;
      case '--no-warnings':
        a.noWarnings = true;
        break;
      case '--usdt-file-activation':
        break;
      case '-I':
        a.includeDirs.push(value(++i, x));
        break;
      case '--include':
        a.includes.push(value(++i, x));
        break;
      default:
        throw new UsageError(`invalid option -- '${x.replace(/^-+/, '')}'`);
    }
  }
  if (a.list || a.info) {
    a.listPattern = rest.join(' ');
    return a;
  }
  if (a.program === undefined) {
    if (rest.length === 0) throw new UsageError('USAGE: filename or -e must be given');
    a.file = rest.shift();
  }
  a.params = rest;
  return a;
}

function isUserFacing(e: unknown): boolean {
  return e instanceof ParseError || e instanceof BpfError || e instanceof NotSupportedError || e instanceof VerifierError || (e instanceof Error && (e.name === 'TraceRuntimeError' || e.name === 'CodegenError' || e.message.startsWith('ERROR:')));
}

function errorText(e: Error): string {
  if (e instanceof TraceError) return e.text.replace(/\n$/, '');
  if (e.message.startsWith('ERROR:')) return e.message;
  if (e instanceof VerifierError) return `ERROR: ${e.message}`;
  return `ERROR: ${e.message}`;
}

/** Spawns -c's command stopped before it runs (SIGSTOP to itself), so probes attach first; cpid is its pid. */
async function spawnStopped(cmd: string): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  // bpftrace runs -c's command without a shell, split at spaces (quotes stay in the arguments).
  const words = cmd.split(' ');
  const child = spawn('/bin/sh', ['-c', 'kill -STOP $$; exec "$@"', 'sh', ...words], { stdio: 'inherit' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = { child, exited };
  for (let i = 0; i < 2000; i++) {
    try {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      if (/\) T /.test(stat)) return ready;
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  return ready;
}

/** --info: what this kernel offers bpfkit trace (probed facts, in bpftrace's --info wording). */
function infoText(): string {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const kprobes = ['/sys/kernel/tracing/kprobe_events', '/sys/kernel/debug/tracing/kprobe_events'].some((p) => { try { readFileSync(p); return true; } catch { return false; } });
  return [
    'System',
    `  OS: Linux ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`,
    `  Arch: ${process.arch}`,
    '',
    'Build',
    `  version: ${VERSION}`,
    '  LLVM: none (bpfkit generates eBPF itself)',
    '',
    'Kernel helpers',
    '  probe_read: yes', '  probe_read_str: yes', '  probe_read_user: yes', '  probe_read_user_str: yes', '  probe_read_kernel: yes',
    '  probe_read_kernel_str: yes', '  get_current_cgroup_id: yes', '  send_signal: yes', '  override_return: no', '  get_boot_ns: yes',
    '  dpath: no', '  skboutput: no',
    '',
    'Kernel features',
    '  Instruction limit: 1000000', '  Loop support: yes', '  btf: yes', '  map batch: yes', '  uprobe refcount (depends on Build:bcc bpf_attach_uprobe refcount): yes',
    '',
    'Map types',
    '  hash: yes', '  percpu hash: yes', '  array: yes', '  percpu array: yes', '  stack_trace: yes', '  perf_event_array: yes', '  ringbuf: yes',
    '',
    'Probe types',
    `  kprobe: ${yes(kprobes)}`, '  tracepoint: yes', '  perf_event: yes', '  kfunc: no', '  kprobe_multi: no', '  raw_tp_special: yes', '  iter: no',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message.startsWith('ERROR')) console.error(e.message);
      else console.error(`bpfkit trace: ${e.message}\n${usage()}`);
      return 1;
    }
    throw e;
  }
  if (args === 'help') {
    console.error(usage());
    return 0;
  }
  if (args === 'version') {
    console.log(VERSION);
    return 0;
  }
  if (args.info) {
    process.stdout.write(infoText());
    return 0;
  }
  if (args.list) {
    try {
      const lines = listProbes(args.listPattern ?? '', { verbose: args.verbose, pid: args.pid });
      if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    } catch (e) {
      if (isUserFacing(e)) {
        console.error(errorText(e as Error));
        return 1;
      }
      throw e;
    }
  }

  let source: string;
  try {
    source = args.program ?? readScript(args.file!);
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }

  // BEGIN/END run in this process, so its name is their `comm`. Scripts written for bpftrace that
  // filter on `comm != "bpftrace"` can set BPFKIT_TRACE_TITLE=bpftrace (the conformance runner does).
  process.title = process.env.BPFKIT_TRACE_TITLE ?? 'bpfkit';
  let outFd = 1;
  if (args.output) outFd = openSync(args.output, 'w');
  const write = (s: string): void => {
    if (!s) return;
    if (outFd === 1) process.stdout.write(s);
    else writeSync(outFd, s);
  };

  let child: ChildProcess | undefined;
  let childExit: Promise<unknown> | undefined;
  let session: TraceSession | undefined;
  try {
    if (args.cmd) ({ child, exited: childExit } = await spawnStopped(args.cmd));
    const compiled = compileScript(source, {
      file: args.program !== undefined ? 'stdin' : args.file,
      params: args.params,
      pid: args.pid,
      cpid: child?.pid,
      cmd: args.cmd,
      unsafe: args.unsafe,
      helperCheck: args.helperCheck,
      includes: args.includes,
      includeDirs: args.includeDirs,
      strlen: process.env.BPFTRACE_STRLEN ? Number(process.env.BPFTRACE_STRLEN) : undefined,
      warn: args.noWarnings ? undefined : (m) => process.stderr.write(`${m}\n`),
    });
    if (!args.noWarnings) {
      for (const w of compiled.checked.warnings) process.stderr.write(formatDiagnostic(w, source, args.program !== undefined ? 'stdin' : args.file));
    }
    if (args.dryRun) {
      for (const p of compiled.programs) process.stderr.write(`${p.name}: ${p.provider}, ${p.builder.insns.length} instructions, ${p.attaches.length} attach points\n`);
      child?.kill('SIGKILL');
      return 0;
    }
    // bpftrace 0.17 prints this once the programs are compiled, before loading and attaching them.
    const probes = countProbes(compiled);
    if (probes === 0) {
      if (!args.quiet) write('No probes to attach\n');
      child?.kill('SIGKILL');
      if (outFd !== 1) closeSync(outFd);
      return 1;
    }
    if (!args.quiet) write(renderEvent({ type: 'attached_probes', probes }, args.format));
    session = new TraceSession(compiled, {
      pid: args.pid,
      watchPid: args.pid ?? child?.pid,
      unsafe: args.unsafe,
      stackEntries: undefined,
    });
    session.load();
  } catch (e) {
    child?.kill('SIGKILL');
    session?.close();
    if (outFd !== 1) closeSync(outFd);
    if (isUserFacing(e)) {
      console.error(errorText(e as Error));
      return 1;
    }
    throw e;
  }

  const s = session;
  const onSignal = () => s.stop();
  const onUsr1 = () => s.printMaps();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGUSR1', onUsr1);
  const c = child;
  const onAttached = () => {
    c?.kill('SIGCONT');
    // bpftrace's hook for its runtime test suite: run the AFTER command now.
    if (process.env.__BPFTRACE_NOTIFY_PROBES_ATTACHED) process.stderr.write('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n');
  };
  const sink = (e: TraceEvent) => {
    if (args.verbose && e.type === 'exiting') return write(renderEvent(e, args.format));
    write(renderEvent(e, args.format));
  };
  try {
    return await s.run(sink, { until: childExit, onAttached });
  } catch (e) {
    if (isUserFacing(e)) {
      console.error(errorText(e as Error));
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR1', onUsr1);
    s.close();
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    if (outFd !== 1) closeSync(outFd);
  }
}

// bpfkit seccomp compile|simulate|run|record
import { writeFileSync } from 'node:fs';
import { recordSyscalls, recordedPolicyYaml } from '../cbpf/seccomp/record.js';
import { isUserError } from '../sys/errors.js';
import {
  archByName,
  compilePolicy,
  filterBytes,
  filterC,
  filterPseudo,
  formatAction,
  loadPolicy,
  nativeArch,
  runUnderFilter,
  simulateSeccomp,
  toU64,
  parseAction,
  ARCH_NAMES,
  type SeccompAction,
  type SeccompPolicy,
} from '../cbpf/seccomp/index.js';

const USAGE = `usage:
  bpfkit seccomp compile POLICY [--format pseudo|c|raw] [-o FILE]
  bpfkit seccomp simulate POLICY [--arch ARCH] --syscall NAME|NR [--args A0,A1,...]
  bpfkit seccomp run --policy POLICY [--log] [--tsync] -- CMD [ARGS...]
  bpfkit seccomp record -o FILE [--default ACTION] -- CMD [ARGS...]
POLICY is bpfkit YAML/JSON or an OCI/Docker seccomp profile.
record runs CMD, traces the system calls of it and its children (raw_syscalls:sys_enter) and
writes the smallest allow-list policy (bpfkit YAML) under which that run succeeds; calls not
recorded get ACTION (default KILL_PROCESS). It needs root. The exit status is the command's.`;

class UsageError extends Error {}

function take(argv: string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined) throw new UsageError(`${flag} needs a value`);
  return v;
}

function warn(policy: SeccompPolicy): void {
  for (const w of policy.warnings) process.stderr.write(`bpfkit seccomp: warning: ${w}\n`);
}

async function compile(argv: string[]): Promise<number> {
  let file: string | undefined;
  let format = 'pseudo';
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--format' || a === '-f') format = take(argv, i++, a);
    else if (a === '-o' || a === '--output') out = take(argv, i++, a);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (!file) file = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (!file) throw new UsageError('compile needs a POLICY file');
  const policy = loadPolicy(file);
  warn(policy);
  const c = compilePolicy(policy);
  let data: string | Buffer;
  if (format === 'raw') data = filterBytes(c.insns);
  else if (format === 'c') data = filterC(c.insns);
  else if (format === 'pseudo') data = filterPseudo(c.insns, c.comments);
  else throw new UsageError(`unknown format ${format} (expected pseudo, c or raw)`);
  if (out) writeFileSync(out, data);
  else process.stdout.write(data);
  return 0;
}

async function simulate(argv: string[]): Promise<number> {
  let file: string | undefined;
  let arch = nativeArch();
  let syscall: string | undefined;
  let args: bigint[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--arch') {
      const v = take(argv, i++, a);
      const r = archByName(v);
      if (!r) throw new UsageError(`unknown architecture ${v} (known: ${ARCH_NAMES.join(', ')})`);
      arch = r;
    } else if (a === '--syscall') syscall = take(argv, i++, a);
    else if (a === '--args') {
      args = take(argv, i++, a).split(',').map((s) => {
        const v = toU64(s);
        if (v === undefined) throw new UsageError(`bad argument value '${s}'`);
        return v;
      });
      if (args.length > 6) throw new UsageError('at most 6 arguments');
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (!file) file = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (!file || !syscall) throw new UsageError('simulate needs POLICY and --syscall');
  const policy = loadPolicy(file);
  const c = compilePolicy(policy);
  const r = simulateSeccomp(c.insns, { arch, syscall, args });
  process.stdout.write(`${formatAction(r.action)}\n`);
  return 0;
}

async function run(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  if (dash < 0 || dash === argv.length - 1) throw new UsageError('run needs -- CMD [ARGS...]');
  const opts = argv.slice(0, dash);
  const [cmd, ...cmdArgs] = argv.slice(dash + 1);
  let file: string | undefined;
  let log = false;
  let tsync = false;
  for (let i = 0; i < opts.length; i++) {
    const a = opts[i];
    if (a === '--policy' || a === '-p') file = take(opts, i++, a);
    else if (a === '--log') log = true;
    else if (a === '--tsync') tsync = true;
    else throw new UsageError(`unknown option ${a}`);
  }
  if (!file) throw new UsageError('run needs --policy FILE');
  const policy = loadPolicy(file);
  const c = compilePolicy(policy);
  const r = await runUnderFilter(c.insns, cmd, cmdArgs, { log: log || policy.flags.log, tsync: tsync || policy.flags.tsync });
  return r.status;
}

async function record(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  if (dash < 0 || dash === argv.length - 1) throw new UsageError('record needs -- CMD [ARGS...]');
  const opts = argv.slice(0, dash);
  const command = argv.slice(dash + 1);
  let out: string | undefined;
  let defaultAction: SeccompAction | string = { kind: 'kill_process' };
  for (let i = 0; i < opts.length; i++) {
    const a = opts[i];
    if (a === '-o' || a === '--output') out = take(opts, i++, a);
    else if (a === '--default') defaultAction = parseAction(take(opts, i++, a));
    else throw new UsageError(`unknown option ${a}`);
  }
  if (!out) throw new UsageError('record needs -o FILE');
  if (typeof defaultAction === 'string') throw new UsageError(defaultAction);
  const [cmd, ...cmdArgs] = command;
  const r = await recordSyscalls(cmd, cmdArgs);
  writeFileSync(out, recordedPolicyYaml(r.calls, { defaultAction, command }));
  const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`;
  process.stderr.write(`bpfkit seccomp: ${r.calls.length} system calls recorded from ${cmd} (${how}); policy written to ${out}\n`);
  return r.status;
}

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'compile':
        return await compile(rest);
      case 'simulate':
        return await simulate(rest);
      case 'run':
        return await run(rest);
      case 'record':
        return await record(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        return sub === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${sub}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bpfkit seccomp: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (isUserError(e) || e instanceof Error) {
      process.stderr.write(`bpfkit seccomp: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

// Running a command under a filter: a child process (our launcher) installs the filter on
// itself and execs the command, so bpfkit's own process stays unfiltered.
import { spawn, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { filterBytes } from './format.js';
import { resolveCommand } from './launcher.js';
import type { CbpfInsn } from '../insn.js';

export interface RunUnderFilterOptions {
  log?: boolean;
  tsync?: boolean;
  stdio?: StdioOptions;
  env?: NodeJS.ProcessEnv;
  /** Collect the command's stdout and stderr instead of sharing ours. */
  capture?: boolean;
}

export interface RunResult {
  /** Exit status as a shell reports it: the code, or 128 + signal number. */
  status: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The command's output with capture, else ''. */
  stdout: string;
  stderr: string;
}

/** The node arguments that start the launcher module (through tsx when running from source). */
function launcherArgs(): string[] {
  const url = new URL('./launcher.js', import.meta.url);
  let path = fileURLToPath(url);
  const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');
  if (fromSource) path = path.replace(/\.js$/, '.ts');
  // From source, the launcher needs the TypeScript loader we run under, found from here, not from cwd.
  return fromSource ? ['--import', import.meta.resolve('tsx'), path] : [path];
}

/** Runs `cmd args...` with the filter installed; resolves with its exit status. */
export function runUnderFilter(insns: readonly CbpfInsn[], cmd: string, args: string[], opts: RunUnderFilterOptions = {}): Promise<RunResult> {
  const path = resolveCommand(cmd, (opts.env ?? process.env).PATH);
  if (!path) return Promise.reject(new Error(`command not found: ${cmd}`));
  const flags = [opts.log ? 'log' : '', opts.tsync ? 'tsync' : ''].filter(Boolean).join(',');
  const b64 = filterBytes(insns).toString('base64');
  const child = spawn(process.execPath, [...launcherArgs(), flags, b64, path, cmd, ...args], {
    stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : opts.stdio ?? 'inherit',
    env: opts.env ?? process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    // 'close' waits for the output streams as well as the exit.
    child.on('close', (code, signal) => {
      const signo = signal ? (constants.signals as Record<string, number>)[signal] ?? 0 : 0;
      resolve({ status: signal ? 128 + signo : code ?? 0, code, signal, stdout, stderr });
    });
  });
}

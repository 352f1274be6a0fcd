// Running `bpfkit trace` as a real process in the kernel tests (started as test/helpers/cli.ts
// says).
import { spawn, spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bpfkitArgv } from '../../helpers/cli.js';
import { fixturesDir } from '../../helpers/env.js';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function traceArgv(): string[] {
  return [...bpfkitArgv(), 'trace'];
}

/** `bpfkit trace ARGS` to completion. */
export function bpfkitTrace(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, [...traceArgv(), ...args], { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, env: { ...process.env, ...opts.env }, maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `bpfkit trace ARGS` in the background: `attached` resolves once the probes are attached (the
 * runtime-test notification on stderr), `done` when it exits.
 */
export function bpfkitTraceAsync(args: string[], opts: { timeoutMs?: number } = {}): { attached: Promise<void>; done: Promise<Run> } {
  const p = spawn(process.execPath, [...traceArgv(), ...args], { env: { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onAttached: () => void = () => {};
  const attached = new Promise<void>((resolve) => (onAttached = resolve));
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('__BPFTRACE_NOTIFY_PROBES_ATTACHED')) onAttached();
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const done = new Promise<Run>((resolve) => {
    p.on('close', (status) => {
      clearTimeout(timer);
      onAttached();
      resolve({ status, stdout, stderr: stderr.replace('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n', '') });
    });
  });
  return { attached, done };
}

/** Compiles one of test/fixtures/bpftrace-testprogs into a temporary directory. */
export function buildTestprog(name: string, extra: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-trace-'));
  const out = join(dir, name);
  execFileSync('cc', ['-g', '-O0', '-fno-omit-frame-pointer', ...extra, '-o', out, join(fixturesDir, 'bpftrace-testprogs', `${name}.c`)]);
  return out;
}

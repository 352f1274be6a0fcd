// Running `bpfkit` and `bpftool` as real processes for the differential tests (bpfkit as
// test/helpers/cli.ts starts it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { bpfkitArgv } from '../../helpers/cli.js';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export { bpfkitArgv };

export function bpfkit(args: string[], opts: { input?: string; prefix?: string[] } = {}): Run {
  const argv = [process.execPath, ...bpfkitArgv(), ...args];
  const [cmd, ...rest] = [...(opts.prefix ?? []), ...argv];
  const r = spawnSync(cmd, rest, { encoding: 'utf8', input: opts.input, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function bpftool(args: string[], opts: { prefix?: string[] } = {}): Run {
  const [cmd, ...rest] = [...(opts.prefix ?? []), 'bpftool', ...args];
  const r = spawnSync(cmd, rest, { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Both tools' JSON for the same command, parsed; fails when either does not exit 0. */
export function bothJson(args: string[], opts: { prefix?: string[] } = {}): { ours: unknown; theirs: unknown } {
  const a = bpfkit([...args, '-j'], opts);
  const b = bpftool([...args, '-j'], opts);
  if (a.status !== 0) throw new Error(`bpfkit ${args.join(' ')} -j failed (${a.status}): ${a.stderr}`);
  if (b.status !== 0) throw new Error(`bpftool ${args.join(' ')} -j failed (${b.status}): ${b.stderr}`);
  return { ours: JSON.parse(a.stdout), theirs: JSON.parse(b.stdout) };
}

/** bpftrace running a program in the background until stop() (by its pid). */
export async function startBpftrace(program: string): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn('bpftrace', ['-e', program], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bpftrace did not attach: ${out}`)), 30_000);
    const on = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Attaching')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bpftrace exited (${code}): ${out}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      process.kill(child.pid!, 'SIGINT');
    }),
  };
}

// Where the kernel's special file systems are mounted (bpffs, tracefs, cgroup v2).
import { readFileSync } from 'node:fs';

export interface Mount { source: string; target: string; fstype: string }

export function mounts(): Mount[] {
  return readFileSync('/proc/self/mounts', 'utf8').trim().split('\n').map((l) => {
    const [source, target, fstype] = l.split(' ');
    return { source, target: target.replace(/\\040/g, ' '), fstype };
  });
}

/** The first mount point of a file system type, or undefined. */
export function mountOf(fstype: string): string | undefined {
  return mounts().find((m) => m.fstype === fstype)?.target;
}

/** The cgroup v2 hierarchy's root (/sys/fs/cgroup on most systems, /sys/fs/cgroup/unified on hybrid ones). */
export function cgroup2Root(): string | undefined {
  return mountOf('cgroup2');
}

export function tracefsRoot(): string | undefined {
  return mountOf('tracefs') ?? (mounts().some((m) => m.fstype === 'debugfs' && m.target === '/sys/kernel/debug') ? '/sys/kernel/debug/tracing' : undefined);
}

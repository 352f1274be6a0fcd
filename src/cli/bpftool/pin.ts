// Pinning as bpftool does it: mount a bpffs on the pin's directory first when there is none
// (unless -n), then BPF_OBJ_PIN.
import { execFileSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import * as bpf from '../../sys/bpf.js';
import type { Fd } from '../../sys/fd.js';
import { CliError, type Ctx } from './core.js';
import { reason } from './strerror.js';

const BPF_FS_MAGIC = 0xcafe4a11;

function isBpffs(path: string): boolean {
  try {
    return Number(statfsSync(path).type) === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/** bpftool's mount_bpffs_for_pin. */
export function mountBpffsForPin(ctx: Ctx, path: string): void {
  const dir = dirname(path);
  if (isBpffs(dir)) return;
  if (ctx.opts.nomount) throw new CliError('no BPF file system found, not mounting it due to --nomount option');
  try {
    execFileSync('mount', ['-t', 'bpf', 'bpf', dir], { stdio: 'pipe' });
  } catch (e) {
    const msg = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim();
    throw new CliError(`can't mount BPF file system to pin the object (${path}): ${msg}`);
  }
}

/** bpftool's do_pin_fd. */
export function doPin(ctx: Ctx, fd: Fd, path: string): void {
  mountBpffsForPin(ctx, path);
  try {
    bpf.objPin(fd.raw, path);
  } catch (e) {
    throw new CliError(`can't pin the object (${path}): ${reason(e)}`);
  }
}

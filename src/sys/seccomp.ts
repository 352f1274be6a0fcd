// The kernel side of seccomp: no_new_privs, installing a filter, and exec.
import { native } from './native.js';
import { BpfError } from './errors.js';
import { macros } from './generated/kernel.js';

export interface SeccompInstallOptions {
  /** SECCOMP_FILTER_FLAG_LOG: log every action but ALLOW. */
  log?: boolean;
  /** SECCOMP_FILTER_FLAG_TSYNC: install on every thread of the process. */
  tsync?: boolean;
  /** SECCOMP_FILTER_FLAG_SPEC_ALLOW: leave speculative-store-bypass mitigation off. */
  specAllow?: boolean;
  /** SECCOMP_FILTER_FLAG_NEW_LISTENER: return a notification fd for USER_NOTIF. */
  newListener?: boolean;
}

/** prctl(PR_SET_NO_NEW_PRIVS, 1): lets an unprivileged process install a filter, and exec can't gain privileges after. */
export function setNoNewPrivs(): void {
  const r = native().prctl(Number(macros.PR_SET_NO_NEW_PRIVS), 1, 0, 0, 0);
  if (r < 0) throw new BpfError('prctl(PR_SET_NO_NEW_PRIVS)', -r);
}

export function getNoNewPrivs(): boolean {
  const r = native().prctl(Number(macros.PR_GET_NO_NEW_PRIVS), 0, 0, 0, 0);
  if (r < 0) throw new BpfError('prctl(PR_GET_NO_NEW_PRIVS)', -r);
  return r === 1;
}

/**
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, &sock_fprog) for `filter`, the struct sock_filter
 * array. Returns the listener fd with newListener, else 0. With tsync, a thread that cannot
 * be synchronized makes the kernel return its tid, reported as an error.
 */
export function installSeccompFilter(filter: Uint8Array, opts: SeccompInstallOptions = {}): number {
  if (filter.byteLength === 0 || filter.byteLength % 8 !== 0) throw new RangeError(`seccomp filter of ${filter.byteLength} bytes is not a sock_filter array`);
  let flags = 0;
  if (opts.tsync) flags |= Number(macros.SECCOMP_FILTER_FLAG_TSYNC);
  if (opts.log) flags |= Number(macros.SECCOMP_FILTER_FLAG_LOG);
  if (opts.specAllow) flags |= Number(macros.SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  if (opts.newListener) flags |= Number(macros.SECCOMP_FILTER_FLAG_NEW_LISTENER);
  const n = native();
  // The program must stay alive (and unmoved) until the call returns: keep it in a local.
  const insns = Buffer.from(filter);
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; } on a 64-bit ABI.
  const fprog = Buffer.alloc(16);
  fprog.writeUInt16LE(insns.byteLength / 8, 0);
  fprog.writeBigUInt64LE(n.addressOf(insns), 8);
  const r = n.seccomp(Number(macros.SECCOMP_SET_MODE_FILTER), flags, fprog);
  if (r < 0) throw new BpfError('seccomp(SECCOMP_SET_MODE_FILTER)', -r, seccompHint(-r));
  if (opts.tsync && !opts.newListener && r > 0) throw new BpfError('seccomp(SECCOMP_SET_MODE_FILTER)', 16, `thread ${r} could not be synchronized`);
  void insns;
  return r;
}

function seccompHint(errno: number): string | undefined {
  if (errno === 13) return 'permission denied: set no_new_privs first or run with CAP_SYS_ADMIN';
  if (errno === 22) return 'the kernel refused the filter or a flag (invalid argument)';
  if (errno === 14) return 'bad address for the filter';
  return undefined;
}

// asm-generic/ioctls.h. Not yet in src/sys/generated/kernel.ts (the lead's generator list);
// the fallback is the value every architecture bpfkit supports uses.
const FIONCLEX = Number(macros.FIONCLEX);

/**
 * Makes `fd` survive execve. Node marks every descriptor it inherits close-on-exec at start-up,
 * so a node process that execs a command must clear the flag on the stdio it passes on.
 */
export function clearCloseOnExec(fd: number): void {
  const r = native().ioctl(fd, FIONCLEX, 0);
  if (r < 0) throw new BpfError(`ioctl(${fd}, FIONCLEX)`, -r);
}

/** execve(2): replaces the process; returns only by throwing. `path` must be a path, not a bare name. */
export function execve(path: string, argv: string[], envp: string[]): never {
  const r = native().execve(path, argv, envp);
  throw new BpfError(`execve(${path})`, -r, -r === 2 ? 'no such file' : -r === 13 ? 'permission denied' : undefined);
}

// Architecture names and system call lookup over the generated tables.
import { arch as hostArch } from 'node:os';
import { SYSCALL_TABLES, type SyscallArch, type SyscallTable } from './generated/syscalls.js';

export type { SyscallArch } from './generated/syscalls.js';
export { SYSCALL_TABLES, AUDIT_ARCH, SECCOMP } from './generated/syscalls.js';

/** The x32 ABI marks its system call numbers with this bit (arch/x86/include/uapi/asm/unistd.h). */
export const X32_SYSCALL_BIT = 0x40000000;

// Other spellings users meet: libseccomp's SCMP_ARCH_*, Go's GOARCH (Docker profiles), uname -m.
const ALIASES: Record<string, SyscallArch> = {
  x86_64: 'x86_64',
  amd64: 'x86_64',
  x86: 'x86',
  i386: 'x86',
  i686: 'x86',
  '386': 'x86',
  ia32: 'x86',
  x32: 'x32',
  aarch64: 'aarch64',
  arm64: 'aarch64',
  arm: 'arm',
  armhf: 'arm',
  riscv64: 'riscv64',
  s390x: 's390x',
  ppc64le: 'ppc64le',
  ppc64el: 'ppc64le',
};

/** Known architecture names (ours). */
export const ARCH_NAMES = Object.keys(SYSCALL_TABLES) as SyscallArch[];

/** Our name for `name` (any spelling: amd64, SCMP_ARCH_X86_64, i386, arm64 ...), or undefined. */
export function archByName(name: string): SyscallArch | undefined {
  let n = name.trim().toLowerCase();
  if (n.startsWith('scmp_arch_')) n = n.slice('scmp_arch_'.length);
  return ALIASES[n];
}

/** The architecture this process runs as. */
export function nativeArch(): SyscallArch {
  const a = archByName(hostArch() === 'ia32' ? 'x86' : hostArch());
  return a ?? 'x86_64';
}

export function archTable(arch: SyscallArch): SyscallTable {
  return SYSCALL_TABLES[arch];
}

const reverse = new Map<SyscallArch, Map<number, string>>();

/** The name of system call `nr` on `arch`, if the table has it. */
export function syscallName(arch: SyscallArch, nr: number): string | undefined {
  let m = reverse.get(arch);
  if (!m) {
    m = new Map();
    for (const [name, n] of Object.entries(archTable(arch).syscalls)) if (!m.has(n)) m.set(n, name);
    reverse.set(arch, m);
  }
  return m.get(nr >>> 0);
}

/** The number of system call `name` on `arch`, or undefined when this architecture has no such call. */
export function syscallNumber(arch: SyscallArch, name: string): number | undefined {
  const t = archTable(arch).syscalls as Record<string, number>;
  return Object.prototype.hasOwnProperty.call(t, name) ? t[name] : undefined;
}

/** True when some architecture we know has a system call of this name. */
export function isKnownSyscall(name: string): boolean {
  return ARCH_NAMES.some((a) => syscallNumber(a, name) !== undefined);
}

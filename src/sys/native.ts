// The only door to native/: loaded on first use, so pure layers never need the addon.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export type Bytes = Uint8Array | ArrayBuffer | DataView;

/** Signatures of native/bpfkit.c. Every call returns -errno on failure. */
export interface Native {
  addressOf(bytes: Bytes): bigint;
  bpf(cmd: number, attr: Bytes): number;
  close(fd: number): number;
  ioctl(fd: number, request: number, arg: number | bigint | Bytes): number;
  mmap(fd: number, length: number, prot: number, flags: number, offset: number): ArrayBuffer | number;
  munmap(mapping: ArrayBuffer): number;
  perfEventOpen(attr: Bytes, pid: number, cpu: number, groupFd: number, flags: number): number;
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Bytes): number;
  getsockopt(fd: number, level: number, name: number, out: Bytes): number;
  bind(fd: number, sockaddr: Bytes): number;
  connect(fd: number, sockaddr: Bytes): number;
  sendto(fd: number, data: Bytes, flags: number, sockaddr: Bytes | null): number;
  recvfrom(fd: number, out: Bytes, flags: number, sockaddr: Bytes | null): number;
  seccomp(op: number, flags: number, args: Bytes | null): number;
  prctl(option: number, a2: number | bigint, a3: number | bigint, a4: number | bigint, a5: number | bigint): number;
  setns(fd: number, nstype: number): number;
  gettid(): number;
  execve(path: string, argv: string[], envp: string[]): number;
  pollStart(fd: number, events: number, callback: (status: number, events: number) => void): object | number;
  pollStop(handle: object): number;
  pollRef(handle: object, on: boolean): number;
}

let loaded: Native | undefined;

function findAddon(): string {
  // dist/src/sys/native.js → repository root is three levels up; src/sys/native.ts (tsx) two.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'native', 'build', 'Release', 'bpfkit.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('bpfkit: the native addon is not built; run `npm install` (it needs python3, make and a C compiler)');
}

export function native(): Native {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    loaded = require(findAddon()) as Native;
  }
  return loaded;
}

// Shared memory mappings of kernel objects (mmapable maps, ring buffers, perf rings).
import { readFileSync } from 'node:fs';
import { native } from './native.js';
import { BpfError } from './errors.js';
import { macros } from './generated/kernel.js';

let page: number | undefined;

/** The system page size, from the auxiliary vector (AT_PAGESZ). */
export function pageSize(): number {
  if (page === undefined) {
    const auxv = readFileSync('/proc/self/auxv');
    for (let off = 0; off + 16 <= auxv.length; off += 16) {
      const type = auxv.readBigUInt64LE(off);
      if (type === 6n) page = Number(auxv.readBigUInt64LE(off + 8));
      if (type === 0n) break;
    }
    page ??= 4096;
  }
  return page;
}

/** Maps `length` bytes of `fd` at `offset`, shared. */
export function mmapShared(fd: number, length: number, mode: 'read' | 'readwrite', operation: string, offset = 0): ArrayBuffer {
  const prot = Number(macros.PROT_READ) | (mode === 'readwrite' ? Number(macros.PROT_WRITE) : 0);
  const r = native().mmap(fd, length, prot, Number(macros.MAP_SHARED), offset);
  if (typeof r === 'number') throw new BpfError(`${operation}: mmap`, -r);
  return r;
}

/** Unmaps at once; views over the buffer become empty (the ArrayBuffer is detached). */
export function munmap(mapping: ArrayBuffer): void {
  native().munmap(mapping);
}

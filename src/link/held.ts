// Descriptors an attachment keeps for itself, so that detaching still works after the caller
// closed the Program or map it attached, or moved its thread to another network namespace.
import * as bpf from '../sys/bpf.js';
import type { Fd } from '../sys/fd.js';
import { inNetns, openNetns } from '../sys/netns.js';
import { closeSync } from 'node:fs';
import type { Program } from '../program.js';

/** A second descriptor on a loaded program (by its id). */
export function holdProgram(program: Program): Fd {
  return bpf.getFdById('prog', bpf.objGetInfoByFd('prog', program.fd.raw).get('id'));
}

/** A second descriptor on a map (by its id). */
export function holdMap(mapFd: number): Fd {
  return bpf.getFdById('map', bpf.objGetInfoByFd('map', mapFd).get('id'));
}

/**
 * The network namespace an attachment was made in: netlink requests that undo or change the
 * attachment must be sent from there, whichever namespace the thread is in by then.
 */
export class HeldNetns {
  #fd: number;

  constructor() {
    this.#fd = openNetns();
  }

  run<T>(fn: () => T): T {
    if (this.#fd < 0) throw new Error('bpfkit internal: network namespace released');
    return inNetns(this.#fd, fn);
  }

  close(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    this.#fd = -1;
  }
}

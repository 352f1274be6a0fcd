// Ownership of one file descriptor. Every kernel object in bpfkit holds exactly one Fd.
import { close as closeInPool } from 'node:fs';
import { native } from './native.js';
import { BpfError } from './errors.js';

const open = new Set<number>();

export class Fd implements Disposable {
  #raw: number;

  constructor(raw: number) {
    if (!Number.isInteger(raw) || raw < 0) throw new RangeError(`invalid file descriptor ${raw}`);
    this.#raw = raw;
    open.add(raw);
  }

  /** The descriptor number; throws once closed, so a stale number is never reused by mistake. */
  get raw(): number {
    if (this.#raw < 0) throw new BpfError('use of a closed object', 9 /* EBADF */);
    return this.#raw;
  }

  get closed(): boolean {
    return this.#raw < 0;
  }

  /** Closes the descriptor; closing twice does nothing. */
  close(): void {
    if (this.#raw < 0) return;
    const raw = this.#raw;
    this.#raw = -1;
    open.delete(raw);
    native().close(raw);
  }

  /**
   * Closes the descriptor on one of libuv's pool threads. Closing a perf event or a link waits for
   * the kernel to detach the program (an RCU grace period, tens of milliseconds): closed this way,
   * several descriptors wait at the same time instead of one after another.
   */
  closeAsync(): Promise<void> {
    if (this.#raw < 0) return Promise.resolve();
    const raw = this.#raw;
    this.#raw = -1;
    open.delete(raw);
    return new Promise((resolve) => closeInPool(raw, () => resolve()));
  }

  /** Gives up ownership without closing: the caller takes the number. */
  release(): number {
    const raw = this.raw;
    this.#raw = -1;
    open.delete(raw);
    return raw;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Descriptors bpfkit owns right now; tests compare this to zero after closing everything. */
export function openFdCount(): number {
  return open.size;
}

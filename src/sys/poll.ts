// Readiness of a descriptor through libuv's event loop (epoll), so readers never block Node.
import { native } from './native.js';
import { BpfError } from './errors.js';

export const READABLE = 1;

/** Calls `onReady` whenever `fd` becomes readable, until stop(). unref() lets the process exit while watching. */
export class FdWatcher {
  #handle: object | undefined;

  constructor(fd: number, onReady: () => void, onError?: (e: Error) => void) {
    const h = native().pollStart(fd, READABLE, (status) => {
      if (status < 0) onError?.(new BpfError('poll', -status));
      else onReady();
    });
    if (typeof h === 'number') throw new BpfError('poll', -h);
    this.#handle = h;
  }

  ref(on: boolean): void {
    if (this.#handle) native().pollRef(this.#handle, on);
  }

  stop(): void {
    if (!this.#handle) return;
    native().pollStop(this.#handle);
    this.#handle = undefined;
  }
}

// eBPF socket filters (SO_ATTACH_BPF): the program sees every packet the socket receives and
// returns how many bytes of it to keep (0 drops it). close() detaches; closing the socket does too.
import { BpfError } from '../sys/errors.js';
import { attachBpf, detachBpf } from '../sys/socket.js';
import { cannotPin, type Link, type LinkInfo } from './link.js';
import type { Program } from '../program.js';
import * as bpf from '../sys/bpf.js';

/** A socket: its descriptor number, or an object with one (a bpfkit Fd, Node's `socket._handle`). */
export type SocketRef = number | { fd: number } | { raw: number };

export function socketFdOf(s: SocketRef): number {
  if (typeof s === 'number') return s;
  return 'raw' in s ? s.raw : s.fd;
}

export function attachSocketFilter(program: Program, socket: SocketRef): Link {
  const fd = socketFdOf(socket);
  attachBpf(fd, program.fd.raw);
  return new SocketFilterAttachment(fd, bpf.objGetInfoByFd('prog', program.fd.raw).get('id'));
}

export class SocketFilterAttachment implements Link {
  readonly kind = 'socket_filter';
  readonly socketFd: number;
  #progId: number;
  #closed = false;

  constructor(socketFd: number, progId: number) {
    this.socketFd = socketFd;
    this.#progId = progId;
  }

  /** Swaps the filter: SO_ATTACH_BPF replaces the socket's filter in one step. */
  update(program: Program): void {
    attachBpf(this.socketFd, program.fd.raw);
    this.#progId = bpf.objGetInfoByFd('prog', program.fd.raw).get('id');
  }

  info(): LinkInfo {
    return { id: 0, type: this.kind, progId: this.#progId, details: { socket_fd: this.socketFd } };
  }

  pin(): void {
    cannotPin(this.kind);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      detachBpf(this.socketFd);
    } catch (e) {
      // EBADF/ENOTSOCK: the socket was closed first, which detached the filter; ENOENT: already detached.
      if (!(e instanceof BpfError) || !['EBADF', 'ENOTSOCK', 'ENOENT'].includes(e.code)) throw e;
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

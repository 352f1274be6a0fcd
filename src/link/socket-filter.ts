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
  return SocketOptionAttachment.attach('socket_filter', attachBpf, detachBpf, program, socket);
}

/**
 * A program set on a socket through a socket option (SO_ATTACH_BPF, SO_ATTACH_REUSEPORT_EBPF):
 * setting it again replaces the program in one step; close() clears the option.
 */
export class SocketOptionAttachment implements Link {
  readonly kind: string;
  readonly socketFd: number;
  readonly #set: (socketFd: number, progFd: number) => void;
  readonly #clear: (socketFd: number) => void;
  #progId: number;
  #closed = false;

  static attach(kind: string, set: (socketFd: number, progFd: number) => void, clear: (socketFd: number) => void, program: Program, socket: SocketRef): SocketOptionAttachment {
    const fd = socketFdOf(socket);
    set(fd, program.fd.raw);
    return new SocketOptionAttachment(kind, fd, set, clear, bpf.objGetInfoByFd('prog', program.fd.raw).get('id'));
  }

  constructor(kind: string, socketFd: number, set: (socketFd: number, progFd: number) => void, clear: (socketFd: number) => void, progId: number) {
    this.kind = kind;
    this.socketFd = socketFd;
    this.#set = set;
    this.#clear = clear;
    this.#progId = progId;
  }

  update(program: Program): void {
    this.#set(this.socketFd, program.fd.raw);
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
      this.#clear(this.socketFd);
    } catch (e) {
      // EBADF/ENOTSOCK: the socket was closed first, which detached the program; ENOENT: already detached.
      if (!(e instanceof BpfError) || !['EBADF', 'ENOTSOCK', 'ENOENT'].includes(e.code)) throw e;
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}


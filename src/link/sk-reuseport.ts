// sk_reuseport programs: choose which socket of a SO_REUSEPORT group receives a packet or
// connection (usually through a reuseport_sockarray map and bpf_sk_select_reuseport).
// The program belongs to the group; any member socket can set or clear it.
import { BpfError } from '../sys/errors.js';
import { attachReuseportBpf, detachReuseportBpf } from '../sys/socket.js';
import * as bpf from '../sys/bpf.js';
import { cannotPin, type Link, type LinkInfo } from './link.js';
import { socketFdOf, type SocketRef } from './socket-filter.js';
import type { Program } from '../program.js';

export function attachSkReuseport(program: Program, socket: SocketRef): Link {
  const fd = socketFdOf(socket);
  attachReuseportBpf(fd, program.fd.raw);
  return new SkReuseportAttachment(fd, bpf.objGetInfoByFd('prog', program.fd.raw).get('id'));
}

export class SkReuseportAttachment implements Link {
  readonly kind = 'sk_reuseport';
  readonly socketFd: number;
  #progId: number;
  #closed = false;

  constructor(socketFd: number, progId: number) {
    this.socketFd = socketFd;
    this.#progId = progId;
  }

  update(program: Program): void {
    attachReuseportBpf(this.socketFd, program.fd.raw);
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
      detachReuseportBpf(this.socketFd);
    } catch (e) {
      if (!(e instanceof BpfError) || !['EBADF', 'ENOTSOCK', 'ENOENT'].includes(e.code)) throw e;
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

// sk_reuseport programs: choose which socket of a SO_REUSEPORT group receives a packet or
// connection (usually through a reuseport_sockarray map and bpf_sk_select_reuseport).
// The program belongs to the group; any member socket can set or clear it.
import { attachReuseportBpf, detachReuseportBpf } from '../sys/socket.js';
import { SocketOptionAttachment, type SocketRef } from './socket-filter.js';
import type { Link } from './link.js';
import type { Program } from '../program.js';

export function attachSkReuseport(program: Program, socket: SocketRef): Link {
  return SocketOptionAttachment.attach('sk_reuseport', attachReuseportBpf, detachReuseportBpf, program, socket);
}


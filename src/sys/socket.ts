// Thin socket wrappers over native/: one system call each, BpfError on failure. They exist for
// the attach points that live on sockets (SO_ATTACH_BPF, SO_ATTACH_FILTER, reuseport groups) and
// for the raw and netlink sockets bpfkit opens itself.
import { native } from './native.js';
import { Attr } from './attr.js';
import { BpfError } from './errors.js';
import { Fd } from './fd.js';
import { macros, structLayouts } from './generated/kernel.js';

const m = (name: keyof typeof macros): number => Number(macros[name]);

export const AF_INET = m('AF_INET');
export const AF_INET6 = m('AF_INET6');
export const AF_PACKET = m('AF_PACKET');
export const AF_NETLINK = m('AF_NETLINK');
export const SOCK_STREAM = m('SOCK_STREAM');
export const SOCK_DGRAM = m('SOCK_DGRAM');
export const SOCK_RAW = m('SOCK_RAW');
export const SOCK_CLOEXEC = m('SOCK_CLOEXEC');
export const SOCK_NONBLOCK = m('SOCK_NONBLOCK');
export const SOL_SOCKET = m('SOL_SOCKET');
export const MSG_DONTWAIT = m('MSG_DONTWAIT');
export const ETH_P_ALL = m('ETH_P_ALL');
export const ETH_P_IP = m('ETH_P_IP');

function check(operation: string, r: number): number {
  if (r < 0) throw new BpfError(operation, -r);
  return r;
}

/** socket(2); the descriptor is close-on-exec. */
export function socket(domain: number, type: number, protocol = 0): Fd {
  return new Fd(check('socket', native().socket(domain, type | SOCK_CLOEXEC, protocol)));
}

export function setsockopt(fd: number, level: number, name: number, value: Uint8Array): void {
  check('setsockopt', native().setsockopt(fd, level, name, value));
}

export function setsockoptInt(fd: number, level: number, name: number, value: number): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  setsockopt(fd, level, name, b);
}

/** getsockopt(2) into `out`; returns the bytes of `out` the kernel filled. */
export function getsockopt(fd: number, level: number, name: number, out: Uint8Array): Buffer {
  const n = check('getsockopt', native().getsockopt(fd, level, name, out));
  return Buffer.from(out.buffer, out.byteOffset, n);
}

export function getsockoptInt(fd: number, level: number, name: number): number {
  return getsockopt(fd, level, name, Buffer.alloc(4)).readInt32LE(0);
}

export function bind(fd: number, sockaddr: Uint8Array): void {
  check('bind', native().bind(fd, sockaddr));
}

/** connect(2); returns 0 or, for a non-blocking socket, the errno (EINPROGRESS…) instead of throwing. */
export function connect(fd: number, sockaddr: Uint8Array, opts: { throwOnError?: boolean } = {}): number {
  const r = native().connect(fd, sockaddr);
  if (r < 0 && opts.throwOnError !== false) throw new BpfError('connect', -r);
  return r < 0 ? -r : 0;
}

export function sendto(fd: number, data: Uint8Array, flags = 0, sockaddr: Uint8Array | null = null): number {
  return check('sendto', native().sendto(fd, data, flags, sockaddr));
}

/** recvfrom(2); returns the length received, or undefined when a non-blocking read finds nothing (EAGAIN). */
export function recvfrom(fd: number, out: Uint8Array, flags = 0, sockaddr: Uint8Array | null = null): number | undefined {
  const r = native().recvfrom(fd, out, flags, sockaddr);
  if (r === -11 /* EAGAIN */) return undefined;
  return check('recvfrom', r);
}

/** struct sockaddr_in for an IPv4 address in dotted form. */
export function sockaddrIn(address: string, port: number): Buffer {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new TypeError(`not an IPv4 address: ${address}`);
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(parts).copy(b, 4);
  return b;
}

/** struct sockaddr_ll for binding a packet socket to one interface. */
export function sockaddrLl(ifindex: number, protocol = ETH_P_ALL): Buffer {
  const l = structLayouts.sockaddr_ll.fields;
  const b = Buffer.alloc(structLayouts.sockaddr_ll.size);
  b.writeUInt16LE(AF_PACKET, l.sll_family.off);
  b.writeUInt16BE(protocol, l.sll_protocol.off);
  b.writeInt32LE(ifindex, l.sll_ifindex.off);
  return b;
}

/** struct sockaddr_nl (port 0: the kernel assigns one). */
export function sockaddrNl(pid = 0, groups = 0): Buffer {
  const l = structLayouts.sockaddr_nl.fields;
  const b = Buffer.alloc(structLayouts.sockaddr_nl.size);
  b.writeUInt16LE(AF_NETLINK, l.nl_family.off);
  b.writeUInt32LE(pid, l.nl_pid.off);
  b.writeUInt32LE(groups, l.nl_groups.off);
  return b;
}

/** A raw packet socket (AF_PACKET, SOCK_RAW) seeing every protocol, bound to one interface when given. */
export function packetSocket(ifindex?: number, opts: { nonblocking?: boolean } = {}): Fd {
  // The protocol is in network byte order, as the socket(2) argument too.
  const proto = ((ETH_P_ALL & 0xff) << 8) | (ETH_P_ALL >> 8);
  const fd = socket(AF_PACKET, SOCK_RAW | (opts.nonblocking ? SOCK_NONBLOCK : 0), proto);
  try {
    if (ifindex !== undefined) bind(fd.raw, sockaddrLl(ifindex));
  } catch (e) {
    fd.close();
    throw e;
  }
  return fd;
}

// Socket-level BPF: eBPF programs by fd, classic programs by value.

/** SO_ATTACH_BPF: runs an eBPF socket_filter program on every packet the socket receives. */
export function attachBpf(socketFd: number, progFd: number): void {
  setsockoptInt(socketFd, SOL_SOCKET, m('SO_ATTACH_BPF'), progFd);
}

/** SO_DETACH_BPF (the same option as SO_DETACH_FILTER): removes whichever filter the socket has. */
export function detachBpf(socketFd: number): void {
  setsockoptInt(socketFd, SOL_SOCKET, m('SO_DETACH_BPF'), 0);
}

/** struct sock_fprog around classic BPF instructions (8 bytes each); the Attr keeps them alive. */
function sockFprog(insns: Uint8Array): Attr {
  if (insns.length === 0 || insns.length % 8 !== 0) throw new TypeError(`classic BPF must be a non-empty multiple of 8 bytes (got ${insns.length})`);
  return new Attr(structLayouts.sock_fprog).set('len', insns.length / 8).ptr('filter', insns);
}

/** SO_ATTACH_FILTER: a classic BPF program (struct sock_filter[], 8 bytes each, host order). */
export function attachFilter(socketFd: number, insns: Uint8Array): void {
  setsockopt(socketFd, SOL_SOCKET, m('SO_ATTACH_FILTER'), sockFprog(insns).buf);
}

export function detachFilter(socketFd: number): void {
  setsockoptInt(socketFd, SOL_SOCKET, m('SO_DETACH_FILTER'), 0);
}

/** SO_LOCK_FILTER: once set, the socket's filter can no longer be changed or removed. */
export function lockFilter(socketFd: number): void {
  setsockoptInt(socketFd, SOL_SOCKET, m('SO_LOCK_FILTER'), 1);
}

/** SO_ATTACH_REUSEPORT_EBPF: an sk_reuseport (or socket_filter) program choosing the socket of a reuseport group. */
export function attachReuseportBpf(socketFd: number, progFd: number): void {
  setsockoptInt(socketFd, SOL_SOCKET, m('SO_ATTACH_REUSEPORT_EBPF'), progFd);
}

export function attachReuseportFilter(socketFd: number, insns: Uint8Array): void {
  setsockopt(socketFd, SOL_SOCKET, m('SO_ATTACH_REUSEPORT_CBPF'), sockFprog(insns).buf);
}

export function detachReuseportBpf(socketFd: number): void {
  setsockoptInt(socketFd, SOL_SOCKET, m('SO_DETACH_REUSEPORT_BPF'), 0);
}

// Packet-socket capture: what tcpdump's libpcap asks of an AF_PACKET socket.

export const MSG_TRUNC = m('MSG_TRUNC');
export const SOL_PACKET = m('SOL_PACKET');
/** sockaddr_ll.sll_pkttype of a packet this host sent. */
export const PACKET_OUTGOING = m('PACKET_OUTGOING');

/**
 * PACKET_STATISTICS: packets the socket's filter accepted and packets dropped for want of
 * buffer space since the last call (the kernel resets both counters on each read).
 */
export function packetStatistics(socketFd: number): { packets: number; drops: number } {
  const l = structLayouts.tpacket_stats;
  const b = getsockopt(socketFd, SOL_PACKET, m('PACKET_STATISTICS'), Buffer.alloc(l.size));
  return { packets: b.readUInt32LE(l.fields.tp_packets.off), drops: b.readUInt32LE(l.fields.tp_drops.off) };
}

/** SIOCGSTAMPNS: the kernel's receive time of the last packet read from the socket, in ns since the epoch. */
export function lastPacketTimeNs(socketFd: number): bigint {
  // struct timespec on a 64-bit ABI: two 64-bit words.
  const ts = Buffer.alloc(16);
  check('ioctl(SIOCGSTAMPNS)', native().ioctl(socketFd, m('SIOCGSTAMPNS'), ts));
  return ts.readBigInt64LE(0) * 1_000_000_000n + ts.readBigInt64LE(8);
}

// Traffic for the network tests, from sockets made inside test namespaces (inNetns) in this
// process: UDP datagrams, ICMP echo through a raw socket, and TCP connection attempts. No ping
// or nc needed; every socket is non-blocking and waits go through `until`.
import type { Fd } from '../../src/sys/fd.js';
import { inNetns } from '../../src/sys/netns.js';
import {
  AF_INET, MSG_DONTWAIT, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW, SOCK_STREAM,
  bind, connect, recvfrom, sendto, sockaddrIn, socket,
} from '../../src/sys/socket.js';
import { until, type Netns } from './netns.js';

const IPPROTO_ICMP = 1;
const EALREADY = 114;
const EINPROGRESS = 115;
const ECONNREFUSED = 111;

/** A UDP socket in `ns`, bound to addr:port (port 0: any). */
export function udpSocket(ns: Netns, addr = '0.0.0.0', port = 0): Fd {
  return inNetns(ns.path, () => {
    const fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
    bind(fd.raw, sockaddrIn(addr, port));
    return fd;
  });
}

export function sendUdp(fd: Fd, addr: string, port: number, count: number): void {
  for (let i = 0; i < count; i++) sendto(fd.raw, Buffer.from(`datagram ${i}`), 0, sockaddrIn(addr, port));
}

/** Reads whatever is queued on a non-blocking socket; returns how many datagrams/packets. */
export function drain(fd: Fd, keep?: (packet: Buffer) => boolean): number {
  const buf = Buffer.alloc(65536);
  let n = 0;
  for (;;) {
    const len = recvfrom(fd.raw, buf, MSG_DONTWAIT);
    if (len === undefined) return n;
    if (!keep || keep(buf.subarray(0, len))) n++;
  }
}

/** Waits until `count` datagrams have arrived on `fd` in total. */
export async function receiveUdp(fd: Fd, count: number): Promise<void> {
  let got = 0;
  await until(`${count} UDP datagrams (got ${got})`, () => ((got += drain(fd)) >= count ? true : undefined));
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += b[b.length - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/** A raw ICMP socket in `ns` (root only). */
export function icmpSocket(ns: Netns): Fd {
  return inNetns(ns.path, () => socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP));
}

/** Sends `count` echo requests with identifier `id` and waits for every echo reply. */
export async function ping(fd: Fd, addr: string, id: number, count: number): Promise<void> {
  for (let seq = 1; seq <= count; seq++) {
    const icmp = Buffer.alloc(16);
    icmp[0] = 8; // echo request
    icmp.writeUInt16BE(id, 4);
    icmp.writeUInt16BE(seq, 6);
    icmp.write('bpfkit!!', 8);
    icmp.writeUInt16BE(checksum(icmp), 2);
    sendto(fd.raw, icmp, 0, sockaddrIn(addr, 0));
  }
  let replies = 0;
  // A raw socket receives the IP header too; replies are type 0 with our identifier.
  const isReply = (p: Buffer) => {
    const ihl = (p[0] & 0x0f) * 4;
    return p[ihl] === 0 && p.readUInt16BE(ihl + 4) === id;
  };
  await until(`${count} echo replies from ${addr} (got ${replies})`, () => ((replies += drain(fd, isReply)) >= count ? true : undefined));
}

export type TcpOutcome = 'pending' | 'refused' | 'connected';

/** Starts a non-blocking TCP connect from `ns`; `tcpOutcome` tells how it went so far. */
export function tcpConnect(ns: Netns, addr: string, port: number): { fd: Fd; outcome(): TcpOutcome } {
  const fd = inNetns(ns.path, () => socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK));
  const target = sockaddrIn(addr, port);
  const first = connect(fd.raw, target, { throwOnError: false });
  if (first !== EINPROGRESS) throw new Error(`connect: expected EINPROGRESS, got errno ${first}`);
  let settled: TcpOutcome | undefined;
  return {
    fd,
    outcome(): TcpOutcome {
      if (settled) return settled;
      // A second connect() reports the state: EALREADY while the SYN is unanswered,
      // the socket error once a RST came back, 0 once established.
      const r = connect(fd.raw, target, { throwOnError: false });
      if (r === EALREADY) return 'pending';
      if (r === ECONNREFUSED) return (settled = 'refused');
      if (r === 0) return (settled = 'connected');
      throw new Error(`connect: unexpected errno ${r}`);
    },
  };
}

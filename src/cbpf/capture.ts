// Live capture as tcpdump does it on Linux: an AF_PACKET SOCK_RAW socket on one interface, the
// classic filter attached in the kernel (SO_ATTACH_FILTER) so that only matching packets are
// copied to user space, non-blocking reads driven by the event loop.
import { getInterface } from '../sys/netlink.js';
import { FdWatcher } from '../sys/poll.js';
import type { Fd } from '../sys/fd.js';
import { macros, structLayouts } from '../sys/generated/kernel.js';
import {
  AF_PACKET, ETH_P_ALL, MSG_DONTWAIT, MSG_TRUNC, PACKET_OUTGOING, SOCK_NONBLOCK, SOCK_RAW,
  attachFilter, bind, lastPacketTimeNs, packetStatistics, recvfrom, sockaddrLl, socket,
} from '../sys/socket.js';
import { encodeCbpf, type CbpfInsn } from './insn.js';
import { DLT_EN10MB, DLT_RAW } from './pcap/linktypes.js';

export interface LiveCaptureOptions {
  /** Interface name or index, in the calling thread's network namespace. */
  interface: string | number;
  /** Classic filter (e.g. from compileFilter); none: every packet. */
  filter?: readonly CbpfInsn[];
  /** Bytes kept per packet (default 262144, as tcpdump). */
  snaplen?: number;
}

export interface CapturedPacket {
  /** Kernel receive time, ns since the epoch. */
  timestampNs: bigint;
  /** The bytes kept (at most snaplen). */
  data: Buffer;
  /** Length on the wire. */
  origLen: number;
  /** Sent by this host (sll_pkttype PACKET_OUTGOING) rather than received. */
  outgoing: boolean;
}

export interface CaptureStats {
  /** Packets read by us. */
  captured: number;
  /** Packets the filter accepted (tcpdump's "received by filter"; includes those dropped). */
  received: number;
  /** Packets the kernel dropped for want of socket buffer space. */
  dropped: number;
}

const ARPHRD_ETHER = Number(macros.ARPHRD_ETHER);
const ARPHRD_LOOPBACK = Number(macros.ARPHRD_LOOPBACK);
const ARPHRD_NONE = Number(macros.ARPHRD_NONE);

/**
 * The link type a SOCK_RAW packet socket delivers for a device type, as libpcap maps it:
 * Ethernet and the loopback carry an Ethernet header; headerless devices (tun, wireguard) raw IP.
 */
export function linkTypeForDevice(arphrd: number): number | undefined {
  if (arphrd === ARPHRD_ETHER || arphrd === ARPHRD_LOOPBACK) return DLT_EN10MB;
  if (arphrd === ARPHRD_NONE) return DLT_RAW;
  return undefined;
}

/** The link type a capture on this interface (of the calling thread's namespace) delivers. */
export function interfaceLinkType(iface: string | number): number {
  const dev = getInterface(iface);
  const linktype = linkTypeForDevice(dev.type);
  if (linktype === undefined) throw new TypeError(`${dev.name}: device type ${dev.type} is not one bpfkit captures from (Ethernet, loopback, or headerless IP)`);
  return linktype;
}

export class LiveCapture implements Disposable {
  readonly fd: Fd;
  readonly ifindex: number;
  readonly ifname: string;
  /** DLT of the packets read (see linkTypeForDevice). */
  readonly linktype: number;
  readonly snaplen: number;
  #watcher: FdWatcher | undefined;
  #buf: Buffer;
  #addr = Buffer.alloc(structLayouts.sockaddr_ll.size);
  #captured = 0;
  #received = 0;
  #dropped = 0;

  private constructor(fd: Fd, ifindex: number, ifname: string, linktype: number, snaplen: number) {
    this.fd = fd;
    this.ifindex = ifindex;
    this.ifname = ifname;
    this.linktype = linktype;
    this.snaplen = snaplen;
    this.#buf = Buffer.alloc(snaplen);
  }

  /** Opens the socket in the calling thread's network namespace; it stays bound to that interface. */
  static open(opts: LiveCaptureOptions): LiveCapture {
    const dev = getInterface(opts.interface);
    const linktype = interfaceLinkType(dev.index);
    const snaplen = opts.snaplen && opts.snaplen > 0 ? Math.min(opts.snaplen, 262144) : 262144;
    // Protocol 0: the socket receives nothing until bind, so the filter is in place before the
    // first packet (no unfiltered packets slip in between, as libpcap also takes care of).
    const fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
    try {
      if (opts.filter) attachFilter(fd.raw, encodeCbpf(opts.filter));
      bind(fd.raw, sockaddrLl(dev.index, ETH_P_ALL));
    } catch (e) {
      fd.close();
      throw e;
    }
    return new LiveCapture(fd, dev.index, dev.name, linktype, snaplen);
  }

  /** One packet if one is queued, else undefined (never blocks). */
  read(): CapturedPacket | undefined {
    // MSG_TRUNC: the length on the wire even when the packet is longer than the buffer.
    const n = recvfrom(this.fd.raw, this.#buf, MSG_DONTWAIT | MSG_TRUNC, this.#addr);
    if (n === undefined) return undefined;
    this.#captured++;
    const kept = Math.min(n, this.#buf.length);
    const pkttype = this.#addr.readUInt8(structLayouts.sockaddr_ll.fields.sll_pkttype.off);
    return {
      timestampNs: lastPacketTimeNs(this.fd.raw),
      data: Buffer.from(this.#buf.subarray(0, kept)),
      origLen: n,
      outgoing: pkttype === PACKET_OUTGOING,
    };
  }

  /** Calls `onPacket` for every packet as it arrives, until unwatch() or close(). */
  watch(onPacket: (p: CapturedPacket) => void, onError?: (e: Error) => void): void {
    if (this.#watcher) throw new Error('this capture is already being watched');
    this.#watcher = new FdWatcher(this.fd.raw, () => {
      try {
        for (let p = this.read(); p && this.#watcher; p = this.#watcher ? this.read() : undefined) onPacket(p);
      } catch (e) {
        if (onError) onError(e as Error);
        else throw e;
      }
    }, onError);
  }

  unwatch(): void {
    this.#watcher?.stop();
    this.#watcher = undefined;
  }

  /** Counters since open (the kernel's are read and accumulated, as it resets them on each read). */
  stats(): CaptureStats {
    if (!this.fd.closed) {
      const s = packetStatistics(this.fd.raw);
      this.#received += s.packets;
      this.#dropped += s.drops;
    }
    return { captured: this.#captured, received: this.#received, dropped: this.#dropped };
  }

  close(): void {
    this.unwatch();
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

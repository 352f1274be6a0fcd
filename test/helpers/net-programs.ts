// The small networking programs of the link tests, in the assembler's kernel pseudo-C, each
// counting IPv4 packets by IP protocol into an array map (key: protocol, value: u64 count),
// so that tests read exact numbers no matter what ARP or IPv6 neighbour discovery does.
import { assemble } from '../../src/asm/index.js';
import { BpfMap } from '../../src/map.js';
import { Program } from '../../src/program.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** An array of 256 u64 counters, one per IP protocol. */
export function protocolCounters(name = 'proto_counts'): BpfMap {
  return BpfMap.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 256, name });
}

export function readCount(map: BpfMap, protocol: number): number {
  const key = Buffer.alloc(4);
  key.writeUInt32LE(protocol);
  const v = map.lookup(key);
  return v ? Number(Buffer.from(v).readBigUInt64LE(0)) : 0;
}

// counts[r6]++ ; clobbers r0-r5, keeps r6-r9.
const countR6 = `
  *(u32 *)(r10 -4) = r6
  r1 = map[counts]
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto counted
  r1 = 1
  lock *(u64 *)(r0 +0) += r1
counted:`;

/**
 * Chapter 7: parse Ethernet → IPv4 → protocol; XDP_DROP for TCP, XDP_PASS for everything else.
 * (xdp_md: data at +0, data_end at +4.)
 */
export const xdpDropTcp = xdpCounting('1                          ; XDP_DROP');

/** XDP_PASS for every packet, counting IPv4 ones: what update() swaps in. */
export const xdpPassCount = xdpCounting('2                          ; XDP_PASS as well');

function xdpCounting(tcpVerdict: string): string {
  return `
  r2 = *(u32 *)(r1 +4)
  r1 = *(u32 *)(r1 +0)
  r3 = r1
  r3 += 34
  if r3 > r2 goto pass
  r3 = *(u16 *)(r1 +12)
  if r3 != 0x8 goto pass          ; ETH_P_IP, read in network order
  r6 = *(u8 *)(r1 +23)
${countR6}
  if r6 != 6 goto pass
  r0 = ${tcpVerdict}
  exit
pass:
  r0 = 2                          ; XDP_PASS
  exit
`;
}

/** A tc classifier (direct action): count IPv4 packets by protocol, TC_ACT_OK. (__sk_buff: data +76, data_end +80.) */
export const tcCount = `
  r2 = *(u32 *)(r1 +80)
  r1 = *(u32 *)(r1 +76)
  r3 = r1
  r3 += 34
  if r3 > r2 goto out
  r3 = *(u16 *)(r1 +12)
  if r3 != 0x8 goto out
  r6 = *(u8 *)(r1 +23)
${countR6}
out:
  r0 = 0                          ; TC_ACT_OK
  exit
`;

/**
 * Chapter 6: a socket filter counting received IPv4 packets by protocol with legacy packet
 * loads (ld_abs reads the frame as the socket sees it, Ethernet header first). Outgoing copies
 * (pkt_type PACKET_OUTGOING) are skipped; counted packets are kept whole (skb->len).
 */
export const socketCount = `
  r6 = r1
  r0 = *(u32 *)(r6 +4)            ; pkt_type
  if r0 != 0 goto drop            ; PACKET_HOST only
  r0 = *(u16 *)skb[12]
  if r0 != 0x800 goto drop
  r0 = *(u8 *)skb[23]
  r7 = r6
  r6 = r0
${countR6}
  r0 = *(u32 *)(r7 +0)            ; skb->len
  exit
drop:
  r0 = 0
  exit
`;

/** cgroup/connect4 returning 0: every connect() of the cgroup's processes fails with EPERM. */
export const connect4Deny = `
  r0 = 0
  exit
`;

export function loadXdp(text: string, counts: BpfMap, name = 'xdp_drop_tcp'): Program {
  return Program.load({ type: 'xdp', name, instructions: assemble(text, { maps: { counts: counts.fd.raw } }) });
}

export function loadTc(text: string, counts: BpfMap, name = 'tc_count'): Program {
  return Program.load({ type: 'sched_cls', name, instructions: assemble(text, { maps: { counts: counts.fd.raw } }) });
}

export function loadSocketFilter(text: string, counts: BpfMap, name = 'sock_count'): Program {
  return Program.load({ type: 'socket_filter', name, instructions: assemble(text, { maps: { counts: counts.fd.raw } }) });
}

export function loadConnect4Deny(): Program {
  return Program.load({ type: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet4_connect', name: 'deny_connect4', instructions: assemble(connect4Deny) });
}

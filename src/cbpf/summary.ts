// One line per packet, after tcpdump 4.99's default (non-verbose) output:
//   12:00:00.123456 IP 10.11.0.1.40000 > 10.11.0.2.8080: Flags [S], seq 1, win 64240, options [mss 1460], length 0
//   12:00:00.123456 IP 10.11.0.1.40000 > 10.11.0.2.5000: UDP, length 10
//   12:00:00.123456 IP 10.11.0.1 > 10.11.0.2: ICMP echo request, id 1, seq 1, length 16
//   12:00:00.123456 IP6 fe80::1 > ff02::1: ICMP6, neighbor solicitation, who has fe80::2, length 32
//   12:00:00.123456 ARP, Request who-has 10.11.0.2 tell 10.11.0.1, length 28
// Known differences from tcpdump: TCP sequence numbers are absolute (as with tcpdump -S);
// names come from /etc/hosts and /etc/services only (never DNS); protocols other than IPv4/IPv6
// TCP, UDP, ICMP, ICMPv6 and ARP print as `IP a > b: ip-proto-N, length L` or as the Ethernet
// addresses and ethertype; IP fragments after the first print `ip-proto-N`.
import { readFileSync } from 'node:fs';
import { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP, DLT_RAW, DLT_IPV4, DLT_IPV6 } from './pcap/linktypes.js';

export interface SummaryOptions {
  /** tcpdump -n: print numbers, not names. Default true. */
  numeric?: boolean;
  /** Names to use without -n (default: read /etc/hosts and /etc/services). */
  names?: AddressNames;
  /** Time zone for the time of day: 'local' (default, as tcpdump) or 'utc'. */
  timeZone?: 'local' | 'utc';
}

/** Reverse lookups for printing: address → host name, port → service name. */
export interface AddressNames {
  host(address: string): string | undefined;
  service(port: number, proto: 'tcp' | 'udp'): string | undefined;
}

/** /etc/hosts and /etc/services, reversed (the first name listed for an address or port wins). */
export function fileAddressNames(dir = '/etc'): AddressNames {
  const hosts = new Map<string, string>();
  const services = new Map<string, string>();
  const lines = (file: string): string[][] => {
    try {
      return readFileSync(`${dir}/${file}`, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim().split(/\s+/)).filter((w) => w[0]);
    } catch {
      return [];
    }
  };
  for (const [addr, name] of lines('hosts')) if (name && !hosts.has(addr)) hosts.set(addr, name);
  for (const [name, portProto] of lines('services')) {
    if (portProto && !services.has(portProto)) services.set(portProto, name);
  }
  return {
    host: (a) => hosts.get(a),
    service: (p, proto) => services.get(`${p}/${proto}`),
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** tcpdump's time of day: HH:MM:SS.uuuuuu. */
export function formatTimeOfDay(ns: bigint, zone: 'local' | 'utc' = 'local'): string {
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const us = Number((ns % 1_000_000_000n) / 1000n);
  const [h, m, s] = zone === 'utc' ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()] : [d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(us, 6)}`;
}

export function ipv4Text(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** RFC 5952 text (longest run of zero groups as ::, an IPv4-mapped tail in dotted form). */
export function ipv6Text(b: Uint8Array, at: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[at + 2 * i] << 8) | b[at + 2 * i + 1]);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${ipv4Text(b, at + 12)}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

export function macText(b: Uint8Array, at: number): string {
  return Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

const ETHERTYPE_IP = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;

interface Ctx {
  data: Uint8Array;
  view: DataView;
  numeric: boolean;
  names: AddressNames | undefined;
}

/**
 * The tcpdump-style line for one packet (without a trailing newline). `origLen` is the length
 * on the wire; `data` what was captured.
 */
export function summarizePacket(data: Uint8Array, linktype: number, timestampNs: bigint, origLen: number, opts: SummaryOptions = {}): string {
  const numeric = opts.numeric ?? true;
  const c: Ctx = {
    data,
    view: new DataView(data.buffer, data.byteOffset, data.byteLength),
    numeric,
    names: numeric ? undefined : (opts.names ?? (defaultNames ??= fileAddressNames())),
  };
  const time = formatTimeOfDay(timestampNs, opts.timeZone);
  return `${time} ${linkLayer(c, linktype, origLen)}`;
}

let defaultNames: AddressNames | undefined;

function linkLayer(c: Ctx, linktype: number, origLen: number): string {
  const d = c.data;
  switch (linktype) {
    case DLT_EN10MB: {
      if (d.length < 14) return `[|ether]`;
      let type = c.view.getUint16(12);
      let at = 14;
      let prefix = '';
      while ((type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) && d.length >= at + 4) {
        const tci = c.view.getUint16(at);
        prefix += `vlan ${tci & 0xfff}, p ${tci >> 13}, `;
        type = c.view.getUint16(at + 2);
        at += 4;
      }
      if (type < 0x0600) return `${macText(d, 6)} > ${macText(d, 0)}, 802.3, length ${origLen}`;
      const body = network(c, type, at, origLen - at);
      if (body !== undefined) return prefix + body;
      return `${prefix}${macText(d, 6)} > ${macText(d, 0)}, ethertype ${etherTypeName(type)}, length ${origLen}`;
    }
    case DLT_LINUX_SLL: {
      if (d.length < 16) return '[|sll]';
      const type = c.view.getUint16(14);
      return network(c, type, 16, origLen - 16) ?? `ethertype ${etherTypeName(type)}, length ${origLen}`;
    }
    case DLT_LINUX_SLL2: {
      if (d.length < 20) return '[|sll2]';
      const type = c.view.getUint16(0);
      return network(c, type, 20, origLen - 20) ?? `ethertype ${etherTypeName(type)}, length ${origLen}`;
    }
    case DLT_NULL:
    case DLT_LOOP: {
      if (d.length < 4) return '[|null]';
      // The address family, in the capturing host's order (NULL) or network order (LOOP).
      const fam = linktype === DLT_LOOP ? c.view.getUint32(0) : c.view.getUint32(0, true);
      const type = fam === 2 ? ETHERTYPE_IP : [10, 24, 28, 30].includes(fam) ? ETHERTYPE_IPV6 : 0;
      return network(c, type, 4, origLen - 4) ?? `AF ${fam}, length ${origLen}`;
    }
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6: {
      if (d.length < 1) return '[|ip]';
      const v = d[0] >> 4;
      return network(c, v === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP, 0, origLen) ?? `length ${origLen}`;
    }
    default:
      return `link-type ${linktype}, length ${origLen}`;
  }
}

function etherTypeName(type: number): string {
  const known: Record<number, string> = { 0x88cc: 'LLDP', 0x8847: 'MPLS unicast', 0x8848: 'MPLS multicast', 0x8863: 'PPPoE D', 0x8864: 'PPPoE S', 0x8035: 'Reverse ARP' };
  return `${known[type] ?? 'Unknown'} (0x${type.toString(16).padStart(4, '0')})`;
}

function network(c: Ctx, type: number, at: number, len: number): string | undefined {
  if (type === ETHERTYPE_IP) return ipv4(c, at);
  if (type === ETHERTYPE_IPV6) return ipv6(c, at);
  if (type === ETHERTYPE_ARP) return arp(c, at, len);
  return undefined;
}

function host(c: Ctx, text: string): string {
  return c.names?.host(text) ?? text;
}

function port(c: Ctx, p: number, proto: 'tcp' | 'udp'): string {
  return c.names?.service(p, proto) ?? String(p);
}

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;

function ipv4(c: Ctx, at: number): string {
  const d = c.data;
  if (d.length < at + 20) return 'IP [|ip]';
  const ihl = (d[at] & 0x0f) * 4;
  const total = c.view.getUint16(at + 2);
  const frag = c.view.getUint16(at + 6);
  const proto = d[at + 9];
  const src = host(c, ipv4Text(d, at + 12));
  const dst = host(c, ipv4Text(d, at + 16));
  const payload = Math.max(0, total - ihl);
  if ((frag & 0x1fff) !== 0) return `IP ${src} > ${dst}: ip-proto-${proto}`;
  return transport(c, 'IP', proto, src, dst, at + ihl, payload);
}

function ipv6(c: Ctx, at: number): string {
  const d = c.data;
  if (d.length < at + 40) return 'IP6 [|ip6]';
  let payload = c.view.getUint16(at + 4);
  let next = d[at + 6];
  const src = host(c, ipv6Text(d, at + 8));
  const dst = host(c, ipv6Text(d, at + 24));
  // Hop-by-hop and destination options (MLD reports carry a router alert): tcpdump names the
  // header and goes on with the one after it.
  let off = at + 40;
  let prefix = '';
  while ((next === 0 || next === 60) && d.length >= off + 2) {
    const len = (d[off + 1] + 1) * 8;
    prefix += next === 0 ? 'HBH ' : 'DSTOPT ';
    next = d[off];
    off += len;
    payload -= len;
  }
  return transport(c, 'IP6', next, src, dst, off, Math.max(0, payload), prefix);
}

function transport(c: Ctx, ip: 'IP' | 'IP6', proto: number, src: string, dstHost: string, at: number, len: number, ext = ''): string {
  const d = c.data;
  const v = c.view;
  // Extension-header names go right after the colon: "IP6 a > b: HBH ICMP6, ...".
  const dst = (ports = '') => `${dstHost}${ports}: ${ext}`;
  switch (proto) {
    case IPPROTO_TCP: {
      if (d.length < at + 20) return `${ip} ${src} > ${dst()}tcp [|tcp]`;
      const sport = port(c, v.getUint16(at), 'tcp');
      const dport = port(c, v.getUint16(at + 2), 'tcp');
      return `${ip} ${src}.${sport} > ${dst(`.${dport}`)}${tcp(c, at, len)}`;
    }
    case IPPROTO_UDP: {
      if (d.length < at + 8) return `${ip} ${src} > ${dst()}udp [|udp]`;
      const sport = port(c, v.getUint16(at), 'udp');
      const dport = port(c, v.getUint16(at + 2), 'udp');
      return `${ip} ${src}.${sport} > ${dst(`.${dport}`)}UDP, length ${Math.max(0, v.getUint16(at + 4) - 8)}`;
    }
    case IPPROTO_ICMP:
      return `${ip} ${src} > ${dst()}${icmp(c, at, len)}`;
    case IPPROTO_ICMPV6:
      return `${ip} ${src} > ${dst()}${icmp6(c, at, len)}`;
    default:
      return `${ip} ${src} > ${dst()}ip-proto-${proto}, length ${len}`;
  }
}

function tcp(c: Ctx, at: number, len: number): string {
  const d = c.data;
  const v = c.view;
  const seq = v.getUint32(at + 4);
  const ack = v.getUint32(at + 8);
  const hlen = (d[at + 12] >> 4) * 4;
  const flags = d[at + 13];
  const win = v.getUint16(at + 14);
  const urg = v.getUint16(at + 18);
  const dataLen = Math.max(0, len - hlen);
  // tcpdump lists the flags in bit order: FIN SYN RST PSH ACK URG ECE CWR.
  const letters = ['F', 'S', 'R', 'P', '.', 'U', 'E', 'W'];
  const f = letters.filter((_, i) => flags & (1 << i)).join('') || 'none';
  let out = `Flags [${f}]`;
  if (dataLen > 0 || flags & 0x07) out += dataLen > 0 ? `, seq ${seq}:${(seq + dataLen) >>> 0}` : `, seq ${seq}`;
  if (flags & 0x10) out += `, ack ${ack}`;
  out += `, win ${win}`;
  if (flags & 0x20) out += `, urg ${urg}`;
  if (hlen > 20) out += `, options [${tcpOptions(d, at + 20, Math.min(at + hlen, d.length))}]`;
  return `${out}, length ${dataLen}`;
}

function tcpOptions(d: Uint8Array, at: number, end: number): string {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const out: string[] = [];
  while (at < end) {
    const kind = d[at];
    if (kind === 0) {
      out.push('eol');
      break;
    }
    if (kind === 1) {
      out.push('nop');
      at++;
      continue;
    }
    if (at + 1 >= end) break;
    const len = d[at + 1];
    if (len < 2 || at + len > end) {
      out.push('bad opt');
      break;
    }
    switch (kind) {
      case 2: out.push(len === 4 ? `mss ${v.getUint16(at + 2)}` : 'mss [bad]'); break;
      case 3: out.push(len === 3 ? `wscale ${d[at + 2]}` : 'wscale [bad]'); break;
      case 4: out.push('sackOK'); break;
      case 5: {
        const blocks: string[] = [];
        for (let o = at + 2; o + 8 <= at + len; o += 8) blocks.push(`{${v.getUint32(o)}:${v.getUint32(o + 4)}}`);
        out.push(`sack ${blocks.length} ${blocks.join('')}`);
        break;
      }
      case 8: out.push(len === 10 ? `TS val ${v.getUint32(at + 2)} ecr ${v.getUint32(at + 6)}` : 'TS [bad]'); break;
      case 30: out.push('mptcp'); break;
      default: out.push(`unknown-${kind}`); break;
    }
    at += len;
  }
  return out.join(',');
}

function icmp(c: Ctx, at: number, len: number): string {
  const d = c.data;
  if (d.length < at + 4) return 'ICMP [|icmp]';
  const type = d[at];
  const code = d[at + 1];
  const idSeq = () => (d.length >= at + 8 ? `, id ${c.view.getUint16(at + 4)}, seq ${c.view.getUint16(at + 6)}` : '');
  let text: string;
  switch (type) {
    case 0: text = `echo reply${idSeq()}`; break;
    case 8: text = `echo request${idSeq()}`; break;
    case 3: {
      const reasons: Record<number, string> = { 0: 'net', 1: 'host', 2: 'protocol', 3: 'port', 4: 'need to frag', 13: 'admin prohibited filter' };
      text = unreachable(c, at, code) || `${reasons[code] ?? `code ${code}`} unreachable`;
      break;
    }
    case 11: text = code === 0 ? 'time exceeded in-transit' : 'ip reassembly time exceeded'; break;
    case 5: text = 'redirect'; break;
    case 13: text = 'time stamp request'; break;
    case 14: text = 'time stamp reply'; break;
    default: text = `type-#${type}`;
  }
  return `ICMP ${text}, length ${len}`;
}

// "10.11.0.2 udp port 5000 unreachable" from the quoted header, as tcpdump prints it.
function unreachable(c: Ctx, at: number, code: number): string {
  const d = c.data;
  const inner = at + 8;
  if (d.length < inner + 20) return '';
  const ihl = (d[inner] & 0x0f) * 4;
  const dst = host(c, ipv4Text(d, inner + 16));
  const proto = d[inner + 9];
  if (code === 3 && d.length >= inner + ihl + 4) {
    const name = proto === IPPROTO_UDP ? 'udp' : proto === IPPROTO_TCP ? 'tcp' : undefined;
    if (name) return `${dst} ${name} port ${port(c, c.view.getUint16(inner + ihl + 2), name)} unreachable`;
  }
  if (code === 2) return `${dst} protocol ${proto} unreachable`;
  if (code === 1) return `${dst} unreachable`;
  if (code === 0) return `net ${dst} unreachable`;
  return '';
}

function icmp6(c: Ctx, at: number, len: number): string {
  const d = c.data;
  if (d.length < at + 4) return 'ICMP6 [|icmp6]';
  const type = d[at];
  const target = () => (d.length >= at + 24 ? host(c, ipv6Text(d, at + 8)) : '[|icmp6]');
  const idSeq = () => (d.length >= at + 8 ? `, id ${c.view.getUint16(at + 4)}, seq ${c.view.getUint16(at + 6)}` : '');
  let text: string;
  switch (type) {
    case 1: text = 'destination unreachable'; break;
    case 2: text = 'packet too big'; break;
    case 3: text = 'time exceeded in-transit'; break;
    case 128: text = `echo request${idSeq()}`; break;
    case 129: text = `echo reply${idSeq()}`; break;
    case 133: text = 'router solicitation'; break;
    case 134: text = 'router advertisement'; break;
    case 135: text = `neighbor solicitation, who has ${target()}`; break;
    case 136: text = `neighbor advertisement, tgt is ${target()}`; break;
    case 143: text = `multicast listener report v2, ${d.length >= at + 8 ? c.view.getUint16(at + 6) : 0} group record(s)`; break;
    default: text = `type-#${type}`;
  }
  return `ICMP6, ${text}, length ${len}`;
}

function arp(c: Ctx, at: number, len: number): string {
  const d = c.data;
  if (d.length < at + 8) return 'ARP, [|arp]';
  const v = c.view;
  const hln = d[at + 4];
  const pln = d[at + 5];
  const op = v.getUint16(at + 6);
  if (v.getUint16(at) !== 1 || v.getUint16(at + 2) !== ETHERTYPE_IP || hln !== 6 || pln !== 4 || d.length < at + 28) {
    return `ARP, ${op === 1 ? 'Request' : op === 2 ? 'Reply' : `op ${op}`}, length ${len}`;
  }
  const sha = macText(d, at + 8);
  const spa = host(c, ipv4Text(d, at + 14));
  const tpa = host(c, ipv4Text(d, at + 24));
  if (op === 1) return `ARP, Request who-has ${tpa} tell ${spa}, length ${len}`;
  if (op === 2) return `ARP, Reply ${spa} is-at ${sha}, length ${len}`;
  return `ARP, op ${op}, length ${len}`;
}

// Conformance of the pcap-filter compiler with libpcap, over the TESTrun vectors in
// ../shared/peer/libpcap:
//   accept blocks  — our program and libpcap's expected program (optimized and unoptimized)
//                    must give the same result on every packet of a corpus (the test pcaps,
//                    re-framed for each link type, plus generated and mutated packets);
//                    we also count listings identical to libpcap 1.10.3's (= tcpdump -d);
//   apply blocks   — our program over a savefile must give the per-packet results listed;
//   reject tests   — we must refuse the expression with a ParseError that names a column.
// Usage: node --import tsx scripts/conformance/libpcap.ts [--verbose] [--limit N]
import { mulberry32 } from '../prng.js';
import { peerDir } from '../paths.js';
import { readFileSync, readdirSync, mkdtempSync, writeFileSync, rmSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { ParseError } from '../../src/sys/errors.js';
import {
  type CbpfInsn, type CbpfAncillary, runCbpf, assembleCbpf, dumpCbpf, readPcap, compileFilter,
  fileResolver, linkTypeFromName, linkTypeFromSavefile, type NameResolver,
} from '../../src/cbpf/index.js';

export const LINKTYPES = ['EN10MB', 'RAW', 'LINUX_SLL', 'LINUX_SLL2', 'NULL', 'LOOP', 'IPV4', 'IPV6'] as const;

export function defaultPeerDir(): string {
  return `${peerDir}/`;
}

function findPeer(): string {
  if (existsSync(join(peerDir, 'libpcap'))) return `${peerDir}/`;
  throw new Error(`cannot find the peer test data in ${peerDir}; set BPFKIT_PEER_DIR`);
}

// ---- name files the TESTrun vectors assume (hosts, ethers, networks under libpcap.test)
const TEST_HOSTS = `
10.20.30.40 noeth-ipv4-noipv6.host123.libpcap.test noeth-ipv4-ipv6.host123.libpcap.test eth-ipv4-noipv6.host123.libpcap.test eth-ipv4-ipv6.host123.libpcap.test
fd00:a1b2:c3d4::1020:3040:5060:7080 noeth-noipv4-ipv6.host123.libpcap.test noeth-ipv4-ipv6.host123.libpcap.test eth-noipv4-ipv6.host123.libpcap.test eth-ipv4-ipv6.host123.libpcap.test
192.168.243.1 eth-ipv4x4-noipv6.host357.libpcap.test
192.168.242.4 eth-ipv4x4-noipv6.host357.libpcap.test
192.168.244.2 eth-ipv4x4-noipv6.host357.libpcap.test
192.168.241.3 eth-ipv4x4-noipv6.host357.libpcap.test
192.168.241.3 eth-ipv4x4-ipv6x2.host357.libpcap.test
192.168.244.2 eth-ipv4x4-ipv6x2.host357.libpcap.test
192.168.242.4 eth-ipv4x4-ipv6x2.host357.libpcap.test
192.168.243.1 eth-ipv4x4-ipv6x2.host357.libpcap.test
fd00:a1b2:c3d4::a0b0:c0d0:e0f0:1278 eth-noipv4-ipv6x2.host357.libpcap.test
fd00:a1b2:c3d4::a0b0:c0d0:e0f0:3456 eth-noipv4-ipv6x2.host357.libpcap.test
fd00:a1b2:c3d4::a0b0:c0d0:e0f0:3456 eth-ipv4x4-ipv6x2.host357.libpcap.test
fd00:a1b2:c3d4::a0b0:c0d0:e0f0:1278 eth-ipv4x4-ipv6x2.host357.libpcap.test
`;
const TEST_ETHERS = `
aa:00:04:00:14:0e eth-noipv4-noipv6.host123.libpcap.test
aa:00:04:00:14:0e eth-noipv4-ipv6.host123.libpcap.test
aa:00:04:00:14:0e eth-ipv4-noipv6.host123.libpcap.test
aa:00:04:00:14:0e eth-ipv4-ipv6.host123.libpcap.test
aa:00:04:00:01:08 eth-ipv4x4-noipv6.host357.libpcap.test
aa:00:04:00:01:08 eth-noipv4-ipv6x2.host357.libpcap.test
aa:00:04:00:01:08 eth-ipv4x4-ipv6x2.host357.libpcap.test
`;
const TEST_NETWORKS = `
net-10-0-0-0.libpcap.test 10.0.0.0
net-10-20-0-0.libpcap.test 10.20.0.0
net-10-20-30-0.libpcap.test 10.20.30.0
`;

/** A resolver over a private copy of the name files the vectors expect (plus this machine's services/protocols). */
export function testResolver(): { names: NameResolver; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-names-'));
  writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost\n${TEST_HOSTS}`);
  writeFileSync(join(dir, 'ethers'), TEST_ETHERS);
  writeFileSync(join(dir, 'networks'), TEST_NETWORKS);
  for (const f of ['services', 'protocols']) if (existsSync(`/etc/${f}`)) copyFileSync(`/etc/${f}`, join(dir, f));
  const names = fileResolver(dir);
  // Read everything now so that the directory can go at once.
  names.host('x'); names.service('x', 'tcp'); names.protocol('x'); names.network('x'); names.ether('x');
  return { names, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---- packet corpus
export interface TestPacket {
  data: Uint8Array;
  wirelen: number;
  ancillary?: CbpfAncillary;
}

const prng = mulberry32;

const u16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

function csumless(bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

function ipv4(proto: number, src: number, dst: number, payload: number[], opts: { frag?: number; ihl?: number } = {}): number[] {
  const ihl = opts.ihl ?? 5;
  const opt = new Array((ihl - 5) * 4).fill(1);
  const len = ihl * 4 + payload.length;
  return [0x40 | ihl, 0, ...u16(len), 0x12, 0x34, ...u16(opts.frag ?? 0), 64, proto, 0, 0, ...u32(src), ...u32(dst), ...opt, ...payload];
}

function ipv6(next: number, src: number[], dst: number[], payload: number[]): number[] {
  return [0x60, 0, 0, 0, ...u16(payload.length), next, 64, ...src, ...dst, ...payload];
}

const v6 = (...w: number[]) => w.flatMap((x) => u32(x));
const l4 = (sport: number, dport: number, extra = 16) => [...u16(sport), ...u16(dport), ...new Array(extra).fill(0).map((_, i) => (i * 37 + sport) & 0xff)];
const tcp = (sport: number, dport: number, flags = 0x02) => {
  const h = l4(sport, dport, 16);
  h[12] = 0x50;
  h[13] = flags;
  return h;
};

function ether(dst: number[], src: number[], type: number, payload: number[]): number[] {
  return [...dst, ...src, ...u16(type), ...payload];
}

const MAC_A = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const MAC_B = [0xaa, 0x00, 0x04, 0x00, 0x14, 0x0e];
const MAC_BC = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const MAC_MC = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];

/** Ethernet frames exercising the protocols the language can name. */
export function syntheticEthernet(): Uint8Array[] {
  const out: number[][] = [];
  const hosts = [0x0a000001, 0x0a000002, 0x7f000001, 0x01020304, 0x0a141e28, 0xc0a8f301, 0xc0a8f104, 0xe0000001, 0xffffffff, 0x0b0c0d0e, 0x0a140000];
  const ports = [0, 20, 22, 25, 53, 67, 68, 80, 123, 443, 1024, 1500, 4500, 6081, 8080, 65535];
  for (const [i, s] of hosts.entries()) {
    const d = hosts[(i + 3) % hosts.length];
    for (const [j, p] of ports.entries()) {
      const q = ports[(j + 5) % ports.length];
      out.push(ether(MAC_A, MAC_B, 0x0800, ipv4(6, s, d, tcp(p, q, [0x02, 0x12, 0x10, 0x11, 0x04][j % 5]))));
      out.push(ether(MAC_B, MAC_A, 0x0800, ipv4(17, d, s, l4(q, p))));
    }
    out.push(ether(MAC_A, MAC_B, 0x0800, ipv4(132, s, d, l4(80, 8080))));
    out.push(ether(MAC_A, MAC_B, 0x0800, ipv4(6, s, d, tcp(80, 8080), { frag: 0x0010 })));
    out.push(ether(MAC_A, MAC_B, 0x0800, ipv4(17, s, d, l4(53, 53), { ihl: 6 })));
    out.push(ether(MAC_BC, MAC_A, 0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, ...u32(s), 0, 0, 0, 0, 0, 0, ...u32(d)]));
    out.push(ether(MAC_BC, MAC_A, 0x8035, [0, 1, 8, 0, 6, 4, 0, 3, ...MAC_A, ...u32(s), ...MAC_B, ...u32(d)]));
  }
  for (const t of [0, 3, 8, 11, 13, 17]) out.push(ether(MAC_A, MAC_B, 0x0800, ipv4(1, 0x0a000001, 0x0a000002, [t, 0, 0, 0, 1, 2, 3, 4])));
  for (const p of [2, 9, 103, 112, 50, 51, 4, 41, 47, 255]) out.push(ether(MAC_MC, MAC_B, 0x0800, ipv4(p, 0x0a000001, 0xe0000001, l4(1, 2))));
  const a6 = v6(0xfd00a1b2, 0xc3d40000, 0x10203040, 0x50607080);
  const b6 = v6(0xfe800000, 0, 0, 1);
  const c6 = v6(0xff020000, 0, 0, 1);
  const d6 = v6(0xfd00a1b2, 0xc3d40000, 0xa0b0c0d0, 0xe0f01278);
  for (const [i, p] of ports.entries()) {
    const q = ports[(i + 7) % ports.length];
    out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(6, a6, b6, tcp(p, q))));
    out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(17, d6, a6, l4(q, p))));
  }
  out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(58, b6, c6, [128, 0, 0, 0, 1, 2, 3, 4])));
  out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(58, b6, a6, [135, 0, 0, 0, 1, 2, 3, 4])));
  out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(44, a6, b6, [6, 0, 0, 0, 0, 0, 0, 1, ...tcp(80, 443)])));
  out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(44, a6, b6, [17, 0, 0, 0, 0, 0, 0, 1, ...l4(53, 53)])));
  out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(0, a6, b6, [6, 0, 1, 4, 0, 0, 0, 0, ...tcp(22, 22)])));
  out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(51, a6, b6, [17, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, ...l4(53, 53)])));
  out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(50, a6, b6, l4(1, 2))));
  out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(103, a6, c6, l4(1, 2))));
  out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(132, a6, b6, l4(80, 80))));
  // VLAN (802.1Q, 802.1ad, QinQ), MPLS, PPPoE, Geneve, LLC/SNAP, DECnet, AppleTalk.
  for (const tpid of [0x8100, 0x88a8, 0x9100]) {
    for (const vid of [1, 100, 200, 4095]) {
      out.push(ether(MAC_A, MAC_B, tpid, [...u16(vid), ...u16(0x0800), ...ipv4(6, 0x0a000001, 0x0a000002, tcp(80, 8080))]));
      out.push(ether(MAC_A, MAC_B, tpid, [...u16(vid), ...u16(0x8100), ...u16(vid + 1), ...u16(0x86dd), ...ipv6(17, a6, b6, l4(53, 53))]));
    }
  }
  for (const label of [0, 16, 100, 1048575]) {
    out.push(ether(MAC_A, MAC_B, 0x8847, [...u32(((label << 12) | 0x100 | 64) >>> 0), ...ipv4(6, 0x0a000001, 0x0a000002, tcp(80, 443))]));
    out.push(ether(MAC_A, MAC_B, 0x8847, [...u32(((label << 12) | 64) >>> 0), ...u32(((label << 12) | 0x100 | 64) >>> 0), ...ipv6(17, a6, b6, l4(53, 53))]));
  }
  for (const sess of [0, 1, 0x1234]) {
    out.push(ether(MAC_A, MAC_B, 0x8864, [0x11, 0, ...u16(sess), 0, 40, 0x00, 0x21, ...ipv4(17, 0x0a000001, 0x0a000002, l4(53, 53))]));
    out.push(ether(MAC_A, MAC_B, 0x8864, [0x11, 0, ...u16(sess), 0, 40, 0x00, 0x57, ...ipv6(6, a6, b6, tcp(80, 80))]));
  }
  out.push(ether(MAC_BC, MAC_B, 0x8863, [0x11, 0x09, 0, 0, 0, 0]));
  const inner = ether(MAC_B, MAC_A, 0x0800, ipv4(6, 0x0a000003, 0x0a000004, tcp(22, 80)));
  for (const vni of [0, 10, 0xabcdef]) {
    out.push(ether(MAC_A, MAC_B, 0x0800, ipv4(17, 0x0a000001, 0x0a000002, [...u16(5000), ...u16(6081), ...u16(8 + 8 + inner.length), 0, 0, 0, 0, ...u16(0x6558), ...u32((vni << 8) >>> 0), ...inner])));
    out.push(ether(MAC_A, MAC_B, 0x86dd, ipv6(17, a6, b6, [...u16(5000), ...u16(6081), ...u16(8 + 8 + 20), 0, 0, 0, 0, ...u16(0x0800), ...u32((vni << 8) >>> 0), ...ipv4(6, 0x0a000001, 0x0a000002, tcp(1, 2)).slice(0, 20)])));
  }
  const llc = (dsap: number, ssap: number, ctl: number, rest: number[]) => ether(MAC_A, MAC_B, 3 + rest.length, [dsap, ssap, ctl, ...rest]);
  out.push(llc(0xfe, 0xfe, 0x03, [0x81, 0, 0, 0, 0, 0, 0, 0]));
  out.push(llc(0xfe, 0xfe, 0x03, [0x83, 0x1b, 1, 0, 18, 1, 0, 0]));
  out.push(llc(0xfe, 0xfe, 0x03, [0x82, 0, 0, 0, 0, 0, 0, 0]));
  out.push(llc(0x42, 0x42, 0x03, [0, 0, 0, 0, 0, 0, 0, 0]));
  out.push(llc(0xe0, 0xe0, 0x03, [0, 0, 0, 0, 0, 0, 0, 0]));
  out.push(llc(0xf0, 0xf0, 0x01, [0, 0, 0, 0, 0, 0, 0, 0]));
  out.push(llc(0x06, 0x06, 0x05, [0, 0, 0, 0, 0, 0, 0, 0]));
  out.push(llc(0xaa, 0xaa, 0x03, [0x08, 0x00, 0x07, 0x80, 0x9b, 0, 0, 0]));
  out.push(llc(0xaa, 0xaa, 0x03, [0x00, 0x00, 0x00, 0x80, 0xf3, 0, 0, 0]));
  out.push(llc(0xaa, 0xaa, 0x03, [0x00, 0x00, 0x00, 0x81, 0x37, 0, 0, 0]));
  out.push(ether(MAC_A, MAC_B, 20, [0xff, 0xff, 0, 0, 0, 0, 0, 0]));
  out.push(ether(MAC_A, MAC_B, 0x6003, [0x10, 0, 0x81, 0x06, ...new Array(24).fill(0x04)]));
  out.push(ether(MAC_A, MAC_B, 0x6003, [0x10, 0, 0x02, 0x04, 0x04, 0x04, 0x04, 0, 0]));
  for (const t of [0x809b, 0x80f3, 0x6001, 0x6002, 0x6004, 0x6007, 0x8137, 0x9000, 0x88cc]) out.push(ether(MAC_BC, MAC_A, t, new Array(40).fill(7)));
  return out.map(csumless);
}

/** Link-layer payload (ethertype, bytes after the Ethernet header) of an Ethernet frame. */
function unwrapEthernet(f: Uint8Array): { type: number; payload: Uint8Array } | undefined {
  if (f.length < 14) return undefined;
  return { type: (f[12] << 8) | f[13], payload: f.subarray(14) };
}

/** Re-frames Ethernet frames for another link type. */
export function reframe(frames: Uint8Array[], linktype: string): TestPacket[] {
  const out: TestPacket[] = [];
  for (const f of frames) {
    if (linktype === 'EN10MB') {
      out.push({ data: f, wirelen: f.length });
      continue;
    }
    const u = unwrapEthernet(f);
    if (!u) continue;
    const { type, payload } = u;
    const af = type === 0x0800 ? 2 : type === 0x86dd ? 10 : type;
    let hdr: number[];
    switch (linktype) {
      case 'RAW':
      case 'IPV4':
      case 'IPV6':
        hdr = [];
        break;
      case 'NULL':
        hdr = [af & 0xff, (af >> 8) & 0xff, 0, 0];
        break;
      case 'LOOP':
        hdr = u32(af);
        break;
      case 'LINUX_SLL':
        hdr = [...u16(f[0] & 1 ? 2 : 0), 0, 1, 0, 6, ...f.subarray(6, 12), 0, 0, ...u16(type)];
        break;
      case 'LINUX_SLL2':
        hdr = [...u16(type), 0, 0, ...u32(2), 0, 1, f[0] & 1 ? 2 : 0, 6, ...f.subarray(6, 12), 0, 0];
        break;
      default:
        continue;
    }
    const data = Uint8Array.from([...hdr, ...payload]);
    out.push({ data, wirelen: data.length });
    if (linktype === 'LINUX_SLL' || linktype === 'LINUX_SLL2') {
      // The same packet sent by this host (PACKET_OUTGOING), for inbound/outbound.
      const o = Uint8Array.from(data);
      if (linktype === 'LINUX_SLL') o[1] = 4;
      else o[10] = 4;
      out.push({ data: o, wirelen: o.length });
    }
  }
  return out;
}

/** Every packet the accept tests run over, per link type. */
export function corpus(peer: string, linktype: string, opts: { mutations?: number } = {}): TestPacket[] {
  const frames: Uint8Array[] = [];
  const dir = join(peer, 'libpcap', 'tests', 'filter');
  for (const f of readdirSync(dir).sort()) {
    try {
      const cap = readPcap(readFileSync(join(dir, f)));
      for (const p of cap.packets) if (linkTypeFromSavefile(p.linktype) === 1) frames.push(p.data);
    } catch {
      // A file we cannot read contributes nothing.
    }
  }
  frames.push(...syntheticEthernet());
  const rnd = prng(0x5eed + linktype.length);
  const mutated: Uint8Array[] = [];
  const n = opts.mutations ?? 2;
  for (const f of frames) {
    for (let m = 0; m < n; m++) {
      const c = Uint8Array.from(f);
      const flips = 1 + Math.floor(rnd() * 3);
      for (let i = 0; i < flips; i++) {
        // Mutate mostly the headers, where filters look.
        const at = Math.floor(rnd() * Math.min(c.length, 80));
        c[at] = Math.floor(rnd() * 256);
      }
      mutated.push(c);
    }
    // Truncated copies check out-of-bounds behaviour.
    if (f.length > 20) mutated.push(f.subarray(0, Math.floor(rnd() * f.length)));
  }
  const packets = reframe([...frames, ...mutated], linktype);
  if (linktype === 'EN10MB') {
    // Socket metadata for the Linux-extension tests (inbound/outbound, ifindex, VLAN offload).
    for (const p of packets.slice(0, 40)) {
      packets.push({ ...p, ancillary: { pkttype: 4, ifindex: 2 } });
      packets.push({ ...p, ancillary: { vlanTagPresent: true, vlanTag: 100, vlanTpid: 0x8100, ifindex: 1 } });
    }
  }
  return packets;
}

// ---- vectors
interface AcceptBlock {
  DLT: string;
  name: string;
  aliases: string[];
  opt?: string | null;
  unopt?: string | null;
  optunopt?: string | null;
  snaplen?: number;
  netmask?: string;
  skip?: string | null;
  linuxext?: number;
}

interface ApplyBlock {
  name: string;
  expr: string;
  savefile: string;
  results: number[];
  netmask?: string;
  skip?: string | null;
}

interface RejectTest {
  name: string;
  DLT?: string;
  expr: string;
  errstr: string;
  netmask?: string;
  skip?: string | null;
  savefile?: string;
}

function netmaskOf(s: string | undefined): number {
  if (!s) return 0xffffffff;
  return s.split('.').reduce((a, b) => ((a * 256) + Number(b)) >>> 0, 0);
}

// Skip conditions of TESTrun that do not hold for this build: "skip unless <other OS>" and
// libpcap build options; "configure the ... file" is satisfied by testResolver().
function skipped(skip: string | null | undefined): boolean {
  if (!skip) return false;
  if (/^configure the (hosts|ethers|networks) file$/.test(skip)) return false;
  return true;
}

function sameVerdicts(a: readonly CbpfInsn[], b: readonly CbpfInsn[], packets: TestPacket[]): TestPacket | undefined {
  for (const p of packets) {
    const o = { wirelen: p.wirelen, ancillary: p.ancillary, maxSteps: 1_000_000 };
    let ra: number;
    let rb: number;
    try {
      ra = runCbpf(a, p.data, o);
    } catch {
      ra = -1;
    }
    try {
      rb = runCbpf(b, p.data, o);
    } catch {
      rb = -1;
    }
    if (ra !== rb) return p;
  }
  return undefined;
}

export interface ConformanceResult {
  accept: { passed: number; failed: number; skipped: number; tcpdumpSame: number; tcpdumpTotal: number; matched110: number };
  apply: { passed: number; failed: number; skipped: number };
  reject: { passed: number; failed: number; skipped: number };
  failures: string[];
}

export interface ConformanceOptions {
  peer?: string;
  /** Only every n-th vector (for a quick subset). */
  stride?: number;
  mutations?: number;
}

export function runConformance(opts: ConformanceOptions = {}): ConformanceResult {
  const peer = opts.peer ?? findPeer();
  const stride = Math.max(1, opts.stride ?? 1);
  const vectors = JSON.parse(readFileSync(join(peer, 'libpcap', 'testprogs', 'TESTrun.vectors.json'), 'utf8'));
  const oracle = JSON.parse(readFileSync(join(peer, 'libpcap', 'oracle-libpcap-1.10.3', 'TESTrun.inputs.compiled.json'), 'utf8'));
  const { names, cleanup } = testResolver();
  const result: ConformanceResult = {
    accept: { passed: 0, failed: 0, skipped: 0, tcpdumpSame: 0, tcpdumpTotal: 0, matched110: 0 },
    apply: { passed: 0, failed: 0, skipped: 0 },
    reject: { passed: 0, failed: 0, skipped: 0 },
    failures: [],
  };
  const ours = new Set<string>(LINKTYPES);
  const oracleLines = new Map<string, string>();
  for (const a of oracle.accept as { DLT: string; expr: string; optimize: boolean; lines: string[] | null }[]) {
    if (a.lines) oracleLines.set(`${a.DLT}\0${a.expr}\0${a.optimize}`, a.lines.join('\n'));
  }
  const corpora = new Map<string, TestPacket[]>();
  const packetsFor = (lt: string) => {
    let c = corpora.get(lt);
    if (!c) corpora.set(lt, (c = corpus(peer, lt, { mutations: opts.mutations })));
    return c;
  };
  try {
    // Accept blocks.
    (vectors.filter_accept_blocks as AcceptBlock[]).forEach((b, i) => {
      if (i % stride !== 0 || !ours.has(b.DLT) || b.name === 'bpf_image') return;
      if (skipped(b.skip)) {
        result.accept.skipped += b.aliases.length;
        return;
      }
      const packets = packetsFor(b.DLT);
      const expected: { optimize: boolean; text: string }[] = [];
      if (b.optunopt) expected.push({ optimize: true, text: b.optunopt }, { optimize: false, text: b.optunopt });
      if (b.opt) expected.push({ optimize: true, text: b.opt });
      if (b.unopt) expected.push({ optimize: false, text: b.unopt });
      for (const expr of b.aliases) {
        let ok = true;
        let why = '';
        for (const e of expected) {
          try {
            const mine = compileFilter(expr, {
              linktype: b.DLT, optimize: e.optimize, snaplen: b.snaplen ?? 262144, netmask: netmaskOf(b.netmask),
              names, vlanExtensions: b.linuxext === 1,
            });
            const theirs = assembleCbpf(e.text);
            const bad = sameVerdicts(mine, theirs, packets);
            if (bad) {
              // libpcap changed some code shapes after 1.10 (mostly what a truncated packet
              // returns); the program of the installed 1.10.3 is libpcap's answer too.
              const old = oracleLines.get(`${b.DLT}\0${expr}\0${e.optimize}`);
              if (old && !sameVerdicts(mine, assembleCbpf(old), packets)) {
                result.accept.matched110++;
                continue;
              }
              ok = false;
              why = `${e.optimize ? 'optimized' : 'unoptimized'} verdict differs on a ${bad.data.length}-byte packet`;
            }
          } catch (err) {
            ok = false;
            why = (err as Error).message.split('\n')[0];
          }
        }
        if (ok) result.accept.passed++;
        else {
          result.accept.failed++;
          result.failures.push(`accept ${b.name} [${b.DLT}] ${JSON.stringify(expr)}: ${why}`);
        }
      }
    });
    // Line-for-line against libpcap 1.10.3 (what tcpdump -d prints here).
    (oracle.accept as { DLT: string; expr: string; optimize: boolean; snaplen: number; netmask: string | null; lines: string[] | null }[])
      .forEach((a, i) => {
        if (i % stride !== 0 || !ours.has(a.DLT) || !a.lines || !a.optimize) return;
        result.accept.tcpdumpTotal++;
        try {
          const text = dumpCbpf(compileFilter(a.expr, { linktype: a.DLT, snaplen: a.snaplen, netmask: netmaskOf(a.netmask ?? undefined), names }));
          if (text === a.lines.join('\n') + '\n') result.accept.tcpdumpSame++;
        } catch {
          // counted as not identical
        }
      });
    // Apply blocks.
    (vectors.filter_apply_blocks as ApplyBlock[]).forEach((b, i) => {
      if (i % stride !== 0) return;
      if (skipped(b.skip)) {
        result.apply.skipped++;
        return;
      }
      const cap = readPcap(readFileSync(join(peer, 'libpcap', 'tests', 'filter', b.savefile)));
      const dlt = linkTypeFromSavefile(cap.linktype);
      if (dlt === undefined) {
        result.apply.skipped++;
        return;
      }
      try {
        const prog = compileFilter(b.expr, { linktype: dlt, snaplen: cap.snaplen, netmask: netmaskOf(b.netmask), names });
        const got = cap.packets.map((p) => runCbpf(prog, p.data, { wirelen: p.origLen }));
        const same = got.length === b.results.length && got.every((v, j) => v === b.results[j]);
        if (same) result.apply.passed++;
        else {
          result.apply.failed++;
          result.failures.push(`apply ${b.name} ${JSON.stringify(b.expr)} on ${b.savefile}: got [${got}] want [${b.results}]`);
        }
      } catch (err) {
        result.apply.failed++;
        result.failures.push(`apply ${b.name} ${JSON.stringify(b.expr)}: ${(err as Error).message.split('\n')[0]}`);
      }
    });
    // Reject tests.
    (vectors.filter_reject_tests as RejectTest[]).forEach((t, i) => {
      if (i % stride !== 0 || t.savefile) return;
      const dlt = t.DLT ?? 'EN10MB';
      if (!ours.has(dlt)) return;
      if (skipped(t.skip)) {
        result.reject.skipped++;
        return;
      }
      try {
        compileFilter(t.expr, { linktype: dlt, netmask: netmaskOf(t.netmask), names });
        result.reject.failed++;
        result.failures.push(`reject ${t.name} [${dlt}] ${JSON.stringify(t.expr)}: accepted (libpcap: ${t.errstr})`);
      } catch (err) {
        if (err instanceof ParseError && err.column >= 1) result.reject.passed++;
        else {
          result.reject.failed++;
          result.failures.push(`reject ${t.name} ${JSON.stringify(t.expr)}: failed without a position: ${(err as Error).message}`);
        }
      }
    });
  } finally {
    cleanup();
  }
  return result;
}

function main(): void {
  const args = process.argv.slice(2);
  const verbose = args.includes('--verbose');
  const li = args.indexOf('--limit');
  const limit = li >= 0 ? Number(args[li + 1]) : 30;
  const t0 = Date.now();
  const r = runConformance();
  if (verbose || r.failures.length) {
    for (const f of r.failures.slice(0, verbose ? r.failures.length : limit)) console.log(`FAIL ${f}`);
    if (!verbose && r.failures.length > limit) console.log(`... ${r.failures.length - limit} more (--verbose)`);
  }
  console.log(`accept: ${r.accept.passed} passed, ${r.accept.failed} failed, ${r.accept.skipped} skipped (verdicts vs libpcap's expected programs; ${r.accept.matched110} programs agree with 1.10.3's instead of HEAD's)`);
  console.log(`tcpdump -d identical: ${r.accept.tcpdumpSame} of ${r.accept.tcpdumpTotal} optimized listings (libpcap 1.10.3)`);
  console.log(`apply: ${r.apply.passed} passed, ${r.apply.failed} failed, ${r.apply.skipped} skipped (other link types)`);
  console.log(`reject: ${r.reject.passed} passed, ${r.reject.failed} failed, ${r.reject.skipped} skipped`);
  const passed = r.accept.passed + r.apply.passed + r.reject.passed;
  const failed = r.accept.failed + r.apply.failed + r.reject.failed;
  console.log(`${passed} passed, ${failed} failed (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
void linkTypeFromName;

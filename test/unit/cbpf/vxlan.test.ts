// The pcap-filter "vxlan [vni]" primitive. libpcap 1.10.3 (the tcpdump here) predates it, so
// the oracle is the libpcap HEAD programs and savefile results in the TESTrun vectors, plus
// verdicts that follow from how each test packet is built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { need } from '../../helpers/env.js';
import { cbpfPeerDir } from './peer.js';
import { compileFilter, dumpCbpf, runCbpf, assembleCbpf, readPcap, isValidCbpf } from '../../../src/cbpf/index.js';
import { ParseError } from '../../../src/sys/errors.js';

// ---- packet building
const bytes = (...parts: (Uint8Array | number[])[]) => {
  const out: number[] = [];
  for (const p of parts) out.push(...p);
  return Uint8Array.from(out);
};
const u16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const mac = (s: string) => s.split(':').map((x) => parseInt(x, 16));
const ip4 = (s: string) => s.split('.').map(Number);

function ether(dst: string, src: string, type: number, payload: Uint8Array): Uint8Array {
  return bytes(mac(dst), mac(src), u16(type), payload);
}

function ipv4(src: string, dst: string, proto: number, payload: Uint8Array, opts: { options?: number; frag?: number } = {}): Uint8Array {
  const optWords = opts.options ?? 0;
  const ihl = 5 + optWords;
  const hdr = [0x40 | ihl, 0, ...u16(ihl * 4 + payload.length), 0, 1, ...u16(opts.frag ?? 0), 64, proto, 0, 0, ...ip4(src), ...ip4(dst)];
  // No-operation options fill the extra words.
  for (let i = 0; i < optWords * 4; i++) hdr.push(1);
  return bytes(hdr, payload);
}

function ipv6(src: number, dst: number, nh: number, payload: Uint8Array): Uint8Array {
  const addr = (last: number) => [0xfd, 0, ...new Array(13).fill(0), last];
  return bytes([0x60, 0, 0, 0, ...u16(payload.length), nh, 64], addr(src), addr(dst), payload);
}

const udp = (sport: number, dport: number, payload: Uint8Array) => bytes(u16(sport), u16(dport), u16(8 + payload.length), [0, 0], payload);
const tcp = (sport: number, dport: number) => bytes(u16(sport), u16(dport), [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
const icmpEcho = () => Uint8Array.from([8, 0, 0, 0, 0, 1, 0, 1]);
const vxlanHdr = (flags: number, vni: number) => [flags, 0, 0, 0, (vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0];

const INNER_SRC_MAC = '02:00:00:00:00:aa';
const innerIcmp = () => ether('02:00:00:00:00:bb', INNER_SRC_MAC, 0x0800, ipv4('10.9.9.9', '10.8.8.8', 1, icmpEcho()));
const innerTcp80 = () => ether('02:00:00:00:00:bb', INNER_SRC_MAC, 0x0800, ipv4('10.7.7.7', '10.8.8.8', 6, tcp(40000, 80)));

interface Case {
  name: string;
  pkt: Uint8Array;
  /** What the packet is, for the expected verdicts: a VXLAN packet with this VNI and inner frame, or not one. */
  vni?: number;
  inner?: 'icmp' | 'tcp80';
}

function vx4(vni: number, inner: Uint8Array, opts: { flags?: number; dport?: number; options?: number; frag?: number; proto?: number } = {}): Uint8Array {
  const body = udp(51000, opts.dport ?? 4789, bytes(vxlanHdr(opts.flags ?? 0x08, vni), inner));
  return ether('02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800,
    ipv4('192.0.2.1', '192.0.2.2', opts.proto ?? 17, body, { options: opts.options, frag: opts.frag }));
}

function vx6(vni: number, inner: Uint8Array): Uint8Array {
  return ether('02:00:00:00:00:02', '02:00:00:00:00:01', 0x86dd, ipv6(1, 2, 17, udp(51000, 4789, bytes(vxlanHdr(0x08, vni), inner))));
}

const CASES: Case[] = [
  { name: 'IPv4, VNI 100, inner ICMP', pkt: vx4(100, innerIcmp()), vni: 100, inner: 'icmp' },
  { name: 'IPv4, VNI 12345, inner TCP to 80', pkt: vx4(12345, innerTcp80()), vni: 12345, inner: 'tcp80' },
  { name: 'IPv4 with 8 bytes of options, VNI 100, inner TCP to 80', pkt: vx4(100, innerTcp80(), { options: 2 }), vni: 100, inner: 'tcp80' },
  { name: 'IPv6, VNI 12345, inner ICMP', pkt: vx6(12345, innerIcmp()), vni: 12345, inner: 'icmp' },
  { name: 'IPv6, VNI 7, inner TCP to 80', pkt: vx6(7, innerTcp80()), vni: 7, inner: 'tcp80' },
  { name: 'IPv4, VNI 0xffffff, inner ICMP', pkt: vx4(0xffffff, innerIcmp()), vni: 0xffffff, inner: 'icmp' },
  // Not VXLAN: each breaks one rule.
  { name: 'other UDP port', pkt: vx4(100, innerIcmp(), { dport: 4790 }) },
  { name: 'flags with more than the I bit', pkt: vx4(100, innerIcmp(), { flags: 0x0c }) },
  { name: 'flags without the I bit', pkt: vx4(100, innerIcmp(), { flags: 0x00 }) },
  { name: 'a later fragment', pkt: vx4(100, innerIcmp(), { frag: 0x0010 }) },
  { name: 'TCP, not UDP', pkt: vx4(100, innerIcmp(), { proto: 6 }) },
  { name: 'plain ICMP', pkt: innerIcmp() },
  { name: 'ARP', pkt: ether('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:01', 0x0806, Uint8Array.from(new Array(28).fill(0))) },
];

const verdict = (prog: ReturnType<typeof compileFilter>, pkt: Uint8Array) => runCbpf(prog, pkt) !== 0;

test('vxlan [vni] matches VXLAN packets over IPv4 and IPv6 by port, flags and VNI', () => {
  for (const optimize of [true, false]) {
    const any = compileFilter('vxlan', { optimize });
    const v100 = compileFilter('vxlan 100', { optimize });
    const v12345 = compileFilter('vxlan 12345', { optimize });
    assert.ok(isValidCbpf(any) && isValidCbpf(v100), 'programs pass the kernel checker rules');
    for (const c of CASES) {
      assert.equal(verdict(any, c.pkt), c.vni !== undefined, `vxlan on ${c.name} (optimize ${optimize})`);
      assert.equal(verdict(v100, c.pkt), c.vni === 100, `vxlan 100 on ${c.name} (optimize ${optimize})`);
      assert.equal(verdict(v12345, c.pkt), c.vni === 12345, `vxlan 12345 on ${c.name} (optimize ${optimize})`);
    }
  }
});

test('what follows vxlan applies to the encapsulated Ethernet frame', () => {
  const expect: [string, (c: Case) => boolean][] = [
    ['vxlan and icmp', (c) => c.inner === 'icmp'],
    ['vxlan and icmp[icmptype] == icmp-echo', (c) => c.inner === 'icmp'],
    ['vxlan and tcp dst port 80', (c) => c.inner === 'tcp80'],
    ['vxlan 100 and tcp port 80', (c) => c.vni === 100 && c.inner === 'tcp80'],
    ['vxlan and host 10.9.9.9', (c) => c.inner === 'icmp'],
    ['vxlan and src host 10.7.7.7', (c) => c.inner === 'tcp80'],
    ['vxlan and ether src 02:00:00:00:00:aa', (c) => c.vni !== undefined],
    ['vxlan and ip6', () => false],
    ['vxlan and not icmp', (c) => c.vni !== undefined && c.inner !== 'icmp'],
    ['icmp or (vxlan and icmp)', (c) => c.name === 'plain ICMP' || c.inner === 'icmp'],
  ];
  for (const [expr, want] of expect) {
    for (const optimize of [true, false]) {
      const prog = compileFilter(expr, { optimize });
      for (const c of CASES) assert.equal(verdict(prog, c.pkt), want(c), `${expr} on ${c.name} (optimize ${optimize})`);
    }
  }
});

test('vxlan errors name the spot', () => {
  const at = (expr: string) => {
    try {
      compileFilter(expr);
    } catch (e) {
      assert.ok(e instanceof ParseError, `${expr}: ${String(e)}`);
      return e;
    }
    assert.fail(`${expr} was accepted`);
  };
  assert.match(at('vxlan 16777216').reason, /VXLAN VNI 16777216 greater than maximum 16777215/);
  assert.match(at('vxlan and gateway localhost').reason, /'gateway' cannot be used within VXLAN or Geneve/);
  assert.match(at('vxlan and protochain 4').reason, /'protochain' not supported with variable length headers/);
  const e = at('vxlan invalid');
  assert.match(e.reason, /syntax error/);
  assert.equal(e.column, 7);
});

interface Vector {
  name: string;
  DLT?: string;
  aliases?: string[];
  expr?: string;
  opt?: string;
  unopt?: string;
  savefile?: string;
  results?: number[];
}

function vxlanVectors(): Vector[] {
  const v = JSON.parse(readFileSync(join(cbpfPeerDir(), 'libpcap/testprogs/TESTrun.vectors.json'), 'utf8'));
  const out: Vector[] = [];
  const walk = (o: unknown): void => {
    if (Array.isArray(o)) o.forEach(walk);
    else if (o && typeof o === 'object') {
      const r = o as Vector;
      if (typeof r.name === 'string' && r.name.startsWith('vxlan')) out.push(r);
      Object.values(o).forEach(walk);
    }
  };
  walk(v);
  return out;
}

const vectorsFile = () => join(cbpfPeerDir(), 'libpcap/testprogs/TESTrun.vectors.json');
const listing = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean).join('\n');

test("programs equal libpcap's (TESTrun vectors) and agree with them on every test packet", (t) => {
  if (!need(t, existsSync(vectorsFile()), 'needs the libpcap peer vectors')) return;
  const rows = vxlanVectors().filter((r) => (r.opt || r.unopt) && (r.DLT ?? 'EN10MB') === 'EN10MB');
  assert.ok(rows.length >= 3, `only ${rows.length} vxlan program vectors`);
  for (const r of rows) {
    const expr = r.aliases![0];
    for (const [text, optimize] of [[r.opt, true], [r.unopt, false]] as const) {
      if (!text) continue;
      const ours = compileFilter(expr, { optimize });
      assert.equal(listing(dumpCbpf(ours)), listing(text), `${expr} (optimize ${optimize})`);
      const theirs = assembleCbpf(listing(text));
      for (const c of CASES) assert.equal(verdict(ours, c.pkt), verdict(theirs, c.pkt), `${expr} on ${c.name}`);
    }
  }
});

test('results on the vxlan.pcap savefile equal the vectors', (t) => {
  const file = join(cbpfPeerDir(), 'libpcap/tests/filter/vxlan.pcap');
  if (!need(t, existsSync(vectorsFile()) && existsSync(file), 'needs the libpcap peer vectors and vxlan.pcap')) return;
  const cap = readPcap(readFileSync(file));
  const rows = vxlanVectors().filter((r) => r.savefile === 'vxlan.pcap' && r.results);
  assert.ok(rows.length >= 4, `only ${rows.length} vxlan savefile vectors`);
  for (const r of rows) {
    const prog = compileFilter(r.expr!, { snaplen: cap.snaplen });
    const got = cap.packets.map((p) => runCbpf(prog, p.data, { wirelen: p.origLen }));
    assert.deepEqual(got, r.results, r.expr);
  }
});

// Big generated filters against tcpdump -d (libpcap 1.10.3): the optimizer must produce the
// same program line for line. These are the filters where bpfkit's optimizer departs most from
// libpcap's data structures (dominator trees instead of bitsets, a fold index for jump
// threading, remembered stretches for the pullups), so they check that nothing changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { needTool } from '../../helpers/env.js';
import { compileFilter, dumpCbpf } from '../../../src/cbpf/index.js';
import { mulberry32 } from '../../../scripts/prng.js';

const list = (n: number, f: (i: number) => string, op = ' or ') => Array.from({ length: n }, (_, i) => f(i)).join(op);

const FILTERS: [string, string][] = [
  ['300 hosts', list(300, (i) => `host 10.0.${i >> 8}.${i & 255}`)],
  ['120 ports', list(120, (i) => `port ${1000 + 3 * i}`)],
  ['80 excluded hosts', list(80, (i) => `not host 172.16.${i}.1`, ' and ')],
  ['40 net and port pairs', list(40, (i) => `(src net 10.${i}.0.0/16 and tcp dst port ${i + 1})`)],
  ['30 IPv6 and MAC hosts', list(30, (i) => `(ip6 and host fe80::${i + 1}) or ether host 00:11:22:33:44:${(i + 16).toString(16)}`)],
  ['25 flag tests', list(25, (i) => `(tcp[13] & ${1 << (i % 8)} != 0 and portrange ${i}-${i + 30})`)],
  ['20 VLANs', list(20, (i) => `(vlan ${i} and udp port ${i + 100})`)],
  // Found by fuzzing: a branch that the pass's block optimization rewrote to a return still
  // dominates other edges in the graph the pass started with.
  ['nested, rewritten dominator', '(ether[0] & 1 = 0 or (ether[0] & 1 = 1 or (not tcp[13] & 64 != 0 and ip and icmp[0] = 0 and ' +
    'ip proto 18) or (ether host 00:11:22:33:44:02 and ip[2:2] - 16 > 40) or (not vlan 0 or ip6 host fe80::1 or ' +
    'ether[0] & 1 = 1 or portrange 2-22) or (dst net 10.1.0.0/16 or dst net 10.2.0.0/16 or dst net 10.2.0.0/16 or arp)) or ' +
    '((tcp[13] & 32 != 0 and ether host 00:11:22:33:44:02) and ip[2:2] - 4 > 40 and (not ip[8] > 6 and dst net 10.0.0.0/16 and ' +
    'ether[0] & 1 = 0 and ip and ether host 00:11:22:33:44:01) and (not ether host 00:11:22:33:44:01 or port 20 or ' +
    'src host 10.0.0.1 or ether host 00:11:22:33:44:02)) or ((portrange 4-24 or src host 10.0.0.0 or vlan 2) or ' +
    '(udp[8:2] = 0 or dst net 10.2.0.0/16 or vlan 1 or tcp[13] & 16 != 0 or ip6 host fe80::3)))'],
];

test('big filters compile to what tcpdump -d prints', (t) => {
  if (!needTool(t, 'tcpdump')) return;
  for (const [name, expr] of FILTERS) {
    const r = spawnSync('tcpdump', ['-d', '-y', 'EN10MB', expr], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, `tcpdump refused ${name}: ${r.stderr}`);
    const ours = dumpCbpf(compileFilter(expr));
    const theirs = r.stdout;
    assert.equal(ours.split('\n').length, theirs.split('\n').length, `${name}: instruction count`);
    assert.equal(ours, theirs, `${name}: listing`);
  }
});

// Random nestings of and/or/not over primitives that share loads and tests: the shapes where
// jump threading and the pullups have the most choices to make.
function randomFilters(seed: number, count: number): string[] {
  const rand = mulberry32(seed);
  const num = (n: number) => Math.floor(rand() * n);
  const pick = <T>(a: T[]) => a[num(a.length)];
  const prims: (() => string)[] = [
    () => `host 10.0.${num(3)}.${num(4)}`, () => `src host 10.0.0.${num(4)}`, () => `dst net 10.${num(3)}.0.0/16`,
    () => `port ${num(5) + 20}`, () => `tcp port ${num(4) + 80}`, () => `udp dst port ${num(3) + 53}`,
    () => pick(['tcp', 'udp', 'icmp', 'ip', 'ip6', 'arp', 'rarp', 'icmp6', 'sctp']), () => `ether host 00:11:22:33:44:0${num(3)}`,
    () => `portrange ${num(10)}-${num(10) + 20}`, () => `ip proto ${num(3) + 16}`, () => `tcp[13] & ${1 << num(8)} != 0`,
    () => `ip[8] > ${num(100)}`, () => `len < ${num(500)}`, () => `ip6 host fe80::${num(3) + 1}`, () => `ether[0] & 1 = ${num(2)}`,
    () => `udp[8:2] = ${num(3)}`, () => `icmp[0] = ${num(3)}`, () => `ip[2:2] - ${num(20)} > 40`, () => 'ip multicast',
  ];
  const expr = (depth: number): string => {
    if (depth <= 0 || rand() < 0.25) return (rand() < 0.15 ? 'not ' : '') + pick(prims)();
    const op = rand() < 0.5 ? ' and ' : ' or ';
    return `(${Array.from({ length: 2 + num(5) }, () => expr(depth - 1)).join(op)})`;
  };
  return Array.from({ length: count }, () => expr(3));
}

test('random nested filters compile to what tcpdump -d prints', (t) => {
  if (!needTool(t, 'tcpdump')) return;
  let compared = 0;
  for (const expr of randomFilters(20261125, 150)) {
    const r = spawnSync('tcpdump', ['-d', '-y', 'EN10MB', expr], { encoding: 'utf8', maxBuffer: 1 << 26 });
    let ours: string | undefined;
    try {
      ours = dumpCbpf(compileFilter(expr));
    } catch {
      ours = undefined;
    }
    // Both refuse ("expression rejects all packets"), or both print the same program.
    assert.equal(ours === undefined, r.status !== 0, `${expr}: bpfkit ${ours ? 'accepts' : 'refuses'}`);
    if (ours === undefined) continue;
    compared++;
    assert.equal(ours, r.stdout, expr);
  }
  assert.ok(compared >= 50, `only ${compared} filters compared`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { need } from '../../helpers/env.js';
import { cbpfPeerDir } from './peer.js';
import { compileFilter, dumpCbpf, runCbpf, isValidCbpf, type NameResolver } from '../../../src/cbpf/index.js';
import { ParseError } from '../../../src/sys/errors.js';

const noNames: NameResolver = {
  host: (n) => (n === 'gw.test' ? [{ family: 4, words: [0x0a000001] }] : []),
  service: (n, p) => (n === 'http' ? 80 : n === 'domain' ? 53 : n === 'bootps' && p === 'udp' ? 67 : undefined),
  protocol: (n) => ({ tcp: 6, udp: 17, icmp: 1 } as Record<string, number>)[n],
  network: () => undefined,
  ether: () => undefined,
};

// Hand-built frames (Ethernet, IPv4 or IPv6, TCP or UDP) for verdict checks.
function frame(opts: { v6?: boolean; proto?: number; sport?: number; dport?: number; src?: number[]; dst?: number[]; frag?: number; vlan?: number }): Uint8Array {
  const l4 = [opts.sport ?? 1234, opts.dport ?? 80].flatMap((p) => [p >> 8, p & 0xff]).concat(new Array(16).fill(0));
  const proto = opts.proto ?? 6;
  let l3: number[];
  let type: number;
  if (opts.v6) {
    type = 0x86dd;
    l3 = [0x60, 0, 0, 0, 0, l4.length, proto, 64, ...(opts.src ?? new Array(16).fill(1)), ...(opts.dst ?? new Array(16).fill(2)), ...l4];
  } else {
    type = 0x0800;
    const f = opts.frag ?? 0;
    l3 = [0x45, 0, 0, 20 + l4.length, 0, 0, f >> 8, f & 0xff, 64, proto, 0, 0, ...(opts.src ?? [10, 0, 0, 1]), ...(opts.dst ?? [10, 0, 0, 2]), ...l4];
  }
  const vlan = opts.vlan !== undefined ? [0x81, 0x00, opts.vlan >> 8, opts.vlan & 0xff] : [];
  return Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ...vlan, type >> 8, type & 0xff, ...l3]);
}

const accepts = (expr: string, pkt: Uint8Array, opts = {}) =>
  runCbpf(compileFilter(expr, { names: noNames, ...opts }), pkt) !== 0;

test("the book's example compiles to what tcpdump -d prints", () => {
  const text = dumpCbpf(compileFilter('ip and tcp port 8080'));
  assert.equal(text.split('\n')[0], '(000) ldh      [12]');
  assert.equal(text.split('\n')[7], '(007) ldh      [x + 14]');
  assert.equal(text.split('\n').length - 1, 13);
});

test('verdicts on hand-built packets', () => {
  assert.ok(accepts('tcp port 80', frame({ dport: 80 })));
  assert.ok(accepts('tcp port 80', frame({ sport: 80, dport: 9 })));
  assert.ok(!accepts('tcp port 80', frame({ dport: 81 })));
  assert.ok(!accepts('udp port 80', frame({ dport: 80 })));
  assert.ok(accepts('port http', frame({ proto: 17, dport: 80 })));
  // A non-first fragment has no ports.
  assert.ok(!accepts('tcp port 80', frame({ dport: 80, frag: 0x0010 })));
  assert.ok(accepts('tcp dst port 80 and src host 10.0.0.1', frame({ dport: 80 })));
  assert.ok(!accepts('src host 10.0.0.2', frame({})));
  assert.ok(accepts('net 10.0.0.0/8', frame({})));
  assert.ok(!accepts('net 192.168.0.0 mask 255.255.0.0', frame({})));
  assert.ok(accepts('ip6 and tcp', frame({ v6: true })));
  assert.ok(accepts('ip6 dst host 202:202:202:202:202:202:202:202', frame({ v6: true })));
  assert.ok(accepts('portrange 70-90', frame({ dport: 80 })));
  assert.ok(!accepts('portrange 81-90', frame({ dport: 80, sport: 100 })));
  assert.ok(accepts('tcp[2:2] = 80', frame({ dport: 80 })));
  assert.ok(accepts('ip[9] == 6 and len > 40', frame({})));
  assert.ok(accepts('less 100 and greater 20', frame({})));
  assert.ok(accepts('vlan 5 and tcp port 80', frame({ vlan: 5, dport: 80 })));
  assert.ok(!accepts('vlan 6', frame({ vlan: 5 })));
  assert.ok(accepts('ether src 06:07:08:09:0a:0b', frame({})));
  assert.ok(accepts('host gw.test', frame({})));
  assert.ok(accepts('not icmp and (tcp or udp)', frame({})));
});

test('programs are valid for the kernel', () => {
  for (const e of ['ip and tcp port 8080', 'host 1.2.3.4 or net 10.0.0.0/8', 'tcp[tcpflags] & tcp-syn != 0', 'vlan and ip6', 'ip[0] & 0xf > 5']) {
    assert.ok(isValidCbpf(compileFilter(e)), e);
  }
});

test('link types change the offsets', () => {
  assert.equal(dumpCbpf(compileFilter('ip', { linktype: 'LINUX_SLL' })).split('\n')[0], '(000) ldh      [14]');
  assert.equal(dumpCbpf(compileFilter('ip', { linktype: 'LINUX_SLL2' })).split('\n')[0], '(000) ldh      [0]');
  assert.equal(dumpCbpf(compileFilter('ip', { linktype: 'NULL' })).split('\n')[1], '(001) jeq      #0x2000000       jt 2\tjf 3');
  assert.equal(dumpCbpf(compileFilter('ip', { linktype: 'LOOP' })).split('\n')[1], '(001) jeq      #0x2             jt 2\tjf 3');
  assert.equal(dumpCbpf(compileFilter('ip', { linktype: 'RAW' })).split('\n')[1], '(001) and      #0xf0');
});

test('errors are ParseErrors that point at the spot', () => {
  const at = (expr: string) => {
    try {
      compileFilter(expr, { names: noNames });
    } catch (e) {
      assert.ok(e instanceof ParseError, String(e));
      return { column: e.column, reason: e.reason };
    }
    assert.fail(`${expr} was accepted`);
  };
  assert.deepEqual(at('tcp port 80 and'), { column: 16, reason: "can't parse filter expression: syntax error (unexpected end of expression)" });
  assert.equal(at('host 1.2.3.4 and port 99999').column, 23);
  assert.match(at('port 99999').reason, /illegal port number 99999 > 65535/);
  assert.match(at('ip and not ip').reason, /expression rejects all packets/);
  assert.match(at('host nosuchhost.invalid').reason, /unknown host 'nosuchhost.invalid'/);
  assert.match(at('ip proto 300').reason, /protocol number 300 greater than maximum 255/);
  assert.match(at('tcp[0] / 0 = 1').reason, /division by zero/);
  assert.match(at('number 0x123456789').reason, /overflows 32 bits/);
  assert.equal(at('ip and $').column, 8);
});

test('matches libpcap 1.10.3 (tcpdump -d) line for line on the TESTrun inputs', (t) => {
  const file = join(cbpfPeerDir(), 'libpcap/oracle-libpcap-1.10.3/TESTrun.inputs.compiled.json');
  if (!need(t, existsSync(file), `needs ${file}`)) return;
  const oracle = JSON.parse(readFileSync(file, 'utf8'));
  const ours = new Set(['EN10MB', 'RAW', 'LINUX_SLL', 'LINUX_SLL2', 'NULL', 'LOOP', 'IPV4', 'IPV6']);
  let same = 0;
  let total = 0;
  for (const a of oracle.accept) {
    if (!ours.has(a.DLT) || !a.lines) continue;
    total++;
    const netmask = a.netmask ? a.netmask.split('.').reduce((x: number, y: string) => (x * 256 + Number(y)) >>> 0, 0) : 0xffffffff;
    try {
      const text = dumpCbpf(compileFilter(a.expr, { linktype: a.DLT, optimize: a.optimize, snaplen: a.snaplen, netmask }));
      if (text === a.lines.join('\n') + '\n') same++;
    } catch {
      // not identical
    }
  }
  assert.ok(total > 1000, `only ${total} listings`);
  // The few differences are libpcap 1.10 bugs we fix ("byte N & M" not loading the byte).
  assert.ok(same / total > 0.99, `${same} of ${total} identical`);
});

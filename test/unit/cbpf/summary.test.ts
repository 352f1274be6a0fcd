// tcpdump-style one-line summaries of hand-made packets (the diff tests compare with tcpdump itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimeOfDay, ipv6Text, summarizePacket } from '../../../src/cbpf/summary.js';

test('IPv6 addresses in RFC 5952 form', () => {
  const a = (s: string) => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
  assert.equal(ipv6Text(a('fe800000000000000000000000000001'), 0), 'fe80::1');
  assert.equal(ipv6Text(a('00000000000000000000000000000000'), 0), '::');
  assert.equal(ipv6Text(a('20010db8000000010000000000000001'), 0), '2001:db8:0:1::1');
  assert.equal(ipv6Text(a('00000000000000000000ffff0a000001'), 0), '::ffff:10.0.0.1');
});

test('time of day with microseconds', () => {
  assert.equal(formatTimeOfDay(3723_000_004_999n, 'utc'), '01:02:03.000004');
});

test('UDP over IPv4 on Ethernet, numeric and with names', () => {
  const eth = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00];
  const ip = [0x45, 0, 0, 33, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  const udp = [0x9c, 0x40, 0x00, 0x35, 0, 13, 0, 0, 1, 2, 3, 4, 5];
  const pkt = Uint8Array.from([...eth, ...ip, ...udp]);
  const line = summarizePacket(pkt, 1, 0n, pkt.length, { timeZone: 'utc' });
  assert.equal(line, '00:00:00.000000 IP 10.0.0.1.40000 > 10.0.0.2.53: UDP, length 5');
  const named = summarizePacket(pkt, 1, 0n, pkt.length, {
    timeZone: 'utc', numeric: false,
    names: { host: (a) => (a === '10.0.0.2' ? 'ns' : undefined), service: (p) => (p === 53 ? 'domain' : undefined) },
  });
  assert.equal(named, '00:00:00.000000 IP 10.0.0.1.40000 > ns.domain: UDP, length 5');
});

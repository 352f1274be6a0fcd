import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { need } from '../../helpers/env.js';
import { cbpfPeerDir } from './peer.js';
import { readPcap, writePcap } from '../../../src/cbpf/index.js';
import { ParseError } from '../../../src/sys/errors.js';

test('written pcap reads back with timestamps, lengths and data', () => {
  const packets = [
    { timestampNs: 1_700_000_000_123_456_000n, data: Uint8Array.of(1, 2, 3, 4), origLen: 60 },
    { timestampNs: 1_700_000_001_000_001_000n, data: new Uint8Array(100).fill(7), origLen: 100 },
  ];
  const file = writePcap(packets, { linktype: 1, snaplen: 64 });
  assert.equal(file.readUInt32LE(0), 0xa1b2c3d4);
  assert.equal(file.length, 24 + 16 + 4 + 16 + 64);
  const cap = readPcap(file);
  assert.equal(cap.format, 'pcap');
  assert.equal(cap.linktype, 1);
  assert.equal(cap.snaplen, 64);
  assert.equal(cap.packets.length, 2);
  assert.equal(cap.packets[0].timestampNs, packets[0].timestampNs);
  assert.deepEqual([...cap.packets[0].data], [1, 2, 3, 4]);
  assert.equal(cap.packets[0].origLen, 60);
  // Cut to the snap length, wire length kept.
  assert.equal(cap.packets[1].data.length, 64);
  assert.equal(cap.packets[1].origLen, 100);
  const ns = readPcap(writePcap(packets, { linktype: 113, nanosecond: true }));
  assert.equal(ns.packets[1].timestampNs, packets[1].timestampNs);
  assert.equal(ns.linktype, 113);
});

test('big-endian pcap files are read too', () => {
  const le = writePcap([{ timestampNs: 5_000_000_000n, data: Uint8Array.of(9, 8), origLen: 2 }], { linktype: 12 });
  const be = Buffer.alloc(le.length);
  be.writeUInt32BE(0xa1b2c3d4, 0);
  be.writeUInt16BE(2, 4);
  be.writeUInt16BE(4, 6);
  be.writeUInt32BE(262144, 16);
  be.writeUInt32BE(12, 20);
  be.writeUInt32BE(5, 24);
  be.writeUInt32BE(0, 28);
  be.writeUInt32BE(2, 32);
  be.writeUInt32BE(2, 36);
  be.set([9, 8], 40);
  const cap = readPcap(be);
  assert.equal(cap.linktype, 12);
  assert.equal(cap.packets[0].timestampNs, 5_000_000_000n);
  assert.deepEqual([...cap.packets[0].data], [9, 8]);
});

test('bad files are refused with the offset', () => {
  assert.throws(() => readPcap(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)), ParseError);
  const ok = writePcap([{ timestampNs: 0n, data: new Uint8Array(10), origLen: 10 }], { linktype: 1 });
  assert.throws(() => readPcap(ok.subarray(0, ok.length - 3)), /truncated packet data/);
});

test('the libpcap test captures, pcap and pcapng, read completely', (t) => {
  const dir = join(cbpfPeerDir(), 'libpcap/tests/filter');
  if (!need(t, existsSync(dir), `needs ${dir}`)) return;
  // Packet counts as tcpdump -r reports them.
  const ng = readPcap(readFileSync(join(dir, 'rarp_req_reply.pcapng')));
  assert.equal(ng.format, 'pcapng');
  assert.equal(ng.linktype, 1);
  assert.equal(ng.packets.length, 2);
  assert.equal(ng.packets[0].data[12], 0x80);
  assert.equal(ng.packets[0].data[13], 0x35);
  const v = readPcap(readFileSync(join(dir, 'vrrp.pcap')));
  assert.equal(v.packets.length, 15);
  assert.ok(v.packets.every((p) => p.data.length <= p.origLen));
});

// Netlink attribute encoding: lengths, 4-byte padding, nesting flag, and parsing back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nla, nlaNested, nlaS32, nlaString, nlaU32, nlaU8, parseAttrs } from '../../../src/sys/netlink.js';

test('an attribute is length, type, payload and padding to 4 bytes', () => {
  // "bpf\0": length 8 (4 header + 4 payload), no padding; "ab\0": length 7, padded to 8.
  assert.deepEqual([...nlaString(1, 'bpf')], [8, 0, 1, 0, 0x62, 0x70, 0x66, 0]);
  assert.deepEqual([...nlaString(3, 'ab')], [7, 0, 3, 0, 0x61, 0x62, 0, 0]);
  assert.deepEqual([...nlaU8(2, 0x1ff)], [5, 0, 2, 0, 0xff, 0, 0, 0]);
  assert.deepEqual([...nlaS32(1, -1)], [8, 0, 1, 0, 0xff, 0xff, 0xff, 0xff]);
  assert.equal(nla(9, new Uint8Array(0)).length, 4);
});

test('nested attributes carry NLA_F_NESTED and parse back by type', () => {
  const nested = nlaNested(43, [nlaS32(1, 7), nlaU32(3, 0x2)]);
  assert.equal(nested.readUInt16LE(2), 43 | 0x8000);
  assert.equal(nested.readUInt16LE(0), 4 + 8 + 8);
  const outer = parseAttrs(Buffer.concat([nlaString(3, 'veth0'), nested]));
  assert.equal(outer.get(3)!.toString(), 'veth0\0');
  const inner = parseAttrs(outer.get(43)!);
  assert.equal(inner.get(1)!.readInt32LE(0), 7);
  assert.equal(inner.get(3)!.readUInt32LE(0), 2);
});

test('a truncated attribute ends parsing instead of reading past the buffer', () => {
  const good = nlaU32(1, 5);
  const bad = Buffer.from([200, 0, 2, 0, 1, 2]);
  const attrs = parseAttrs(Buffer.concat([good, bad]));
  assert.deepEqual([...attrs.keys()], [1]);
});

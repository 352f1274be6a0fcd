// Chapter 3 of the book, line for line, against the running kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfMap } from '../../../src/map.js';
import { BpfError } from '../../../src/sys/errors.js';
import { needRoot } from '../../helpers/env.js';

const u32 = (b: Buffer | undefined) => b?.readUInt32LE();

test('update with noexist on an existing key fails with EEXIST; exist on a missing key with ENOENT', (t) => {
  if (!needRoot(t)) return;
  using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 100 });
  m.update(1, 1234, 'any');
  assert.throws(() => m.update(1, 5678, 'noexist'), (e: unknown) => e instanceof BpfError && e.code === 'EEXIST');
  assert.equal(u32(m.lookup(1)), 1234);
  assert.throws(() => m.update(2, 1, 'exist'), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT');
  m.update(1, 5678, 'exist');
  assert.equal(u32(m.lookup(1)), 5678);
  assert.equal(m.lookup(3), undefined);
});

test('iterating keys 1-5, and starting over after deleting the current key', (t) => {
  if (!needRoot(t)) return;
  using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 100 });
  for (let k = 1; k <= 5; k++) m.update(k, k * 10, 'noexist');
  const keys = [...m.keys()].map((k) => k.readUInt32LE());
  assert.deepEqual([...keys].sort(), [1, 2, 3, 4, 5]);
  // The book: delete key 2 while iterating; get_next_key on a missing key restarts from the first key.
  const seen: number[] = [];
  let key: Buffer | undefined;
  let deleted = false;
  let guard = 0;
  while ((key = m.nextKey(key)) !== undefined && guard++ < 20) {
    const k = key.readUInt32LE();
    seen.push(k);
    if (k === 2 && !deleted) {
      m.delete(2);
      deleted = true;
    }
  }
  assert.ok(deleted);
  // After the delete the walk starts over from the (new) first key, which therefore shows up again.
  assert.equal(seen[keys.indexOf(2) + 1], keys.filter((k) => k !== 2)[0]);
  assert.deepEqual([...new Set(seen)].sort(), [1, 2, 3, 4, 5]);
  assert.deepEqual([...m.keys()].map((k) => k.readUInt32LE()).sort(), [1, 3, 4, 5]);
});

test('lookup and delete twice: the second is empty, and delete of a missing key is ENOENT', (t) => {
  if (!needRoot(t)) return;
  using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 10 });
  m.update(7, 77);
  assert.equal(u32(m.lookupAndDelete(7)), 77);
  assert.equal(m.lookupAndDelete(7), undefined);
  assert.throws(() => m.delete(7), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT');
});

test('a queue pops 0..4 in order, a stack 4..0', (t) => {
  if (!needRoot(t)) return;
  using q = BpfMap.create({ type: 'queue', valueSize: 4, maxEntries: 5 });
  using s = BpfMap.create({ type: 'stack', valueSize: 4, maxEntries: 5 });
  for (let i = 0; i < 5; i++) {
    q.push(i);
    s.push(i);
  }
  assert.equal(u32(q.peek()), 0);
  assert.equal(u32(s.peek()), 4);
  assert.deepEqual(Array.from({ length: 5 }, () => u32(q.pop())), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from({ length: 5 }, () => u32(s.pop())), [4, 3, 2, 1, 0]);
  assert.equal(q.pop(), undefined);
  assert.equal(s.pop(), undefined);
});

test('an LPM trie lookup of 192.168.1.1 finds the /32 entry', (t) => {
  if (!needRoot(t)) return;
  using m = BpfMap.create({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 10, flags: ['no_prealloc'] });
  const key = (prefixLen: number, ip: string) => {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(prefixLen, 0);
    Buffer.from(ip.split('.').map(Number)).copy(b, 4);
    return b;
  };
  m.update(key(32, '192.168.0.1'), 1);
  m.update(key(24, '192.168.0.0'), 2);
  m.update(key(32, '192.168.1.1'), 3);
  m.update(key(16, '192.168.0.0'), 4);
  assert.equal(u32(m.lookup(key(32, '192.168.1.1'))), 3);
  assert.equal(u32(m.lookup(key(32, '192.168.0.7'))), 2);
  assert.equal(u32(m.lookup(key(32, '192.168.9.9'))), 4);
  assert.equal(m.lookup(key(32, '10.0.0.1')), undefined);
});

test('deleting from an array is EINVAL: array elements always exist', (t) => {
  if (!needRoot(t)) return;
  using m = BpfMap.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 4 });
  assert.equal(u32(m.lookup(3)), 0);
  assert.throws(() => m.delete(1), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
  assert.throws(() => m.update(4, 1), (e: unknown) => e instanceof BpfError && e.code === 'E2BIG');
});

test('a key of the wrong size is refused before the kernel sees it', (t) => {
  if (!needRoot(t)) return;
  using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 });
  assert.throws(() => m.update(Buffer.alloc(3), 1), /key expected 4 bytes got 3/);
  assert.throws(() => m.update(1, Buffer.alloc(3)), /value expected 4 bytes got 3/);
});

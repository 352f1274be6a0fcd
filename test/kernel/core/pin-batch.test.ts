// Pinning in bpffs, read back by another process and by bpftool; batch operations; no leaked descriptors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { rmSync, readdirSync } from 'node:fs';
import { BpfMap } from '../../../src/map.js';
import { openFdCount } from '../../../src/sys/fd.js';
import { needRoot, needTool, repoRoot } from '../../helpers/env.js';

test('a map pinned in /sys/fs/bpf is read back by a second process and by bpftool', (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool')) return;
  const path = `/sys/fs/bpf/bpfkit_test_pin_${process.pid}`;
  try {
    using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8, name: 'pinned_map' });
    m.update(1, 111);
    m.update(2, 222);
    m.pin(path);
    const mapUrl = new URL('../../../src/map.js', import.meta.url).href;
    const script = `
      const { BpfMap } = await import(${JSON.stringify(mapUrl)});
      const m = BpfMap.fromPinned(${JSON.stringify(path)});
      const out = [...m.entries()].map(([k, v]) => [k.readUInt32LE(), v.readUInt32LE()]).sort((a, b) => a[0] - b[0]);
      console.log(JSON.stringify({ name: m.name, type: m.type, out }));
      m.close();`;
    const r = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { encoding: 'utf8', cwd: repoRoot });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { name: 'pinned_map', type: 'hash', out: [[1, 111], [2, 222]] });
    const dump = JSON.parse(execFileSync('bpftool', ['map', 'dump', 'pinned', path, '-j'], { encoding: 'utf8' })) as { key: string[]; value: string[] }[];
    const rows = dump.map((e) => [Number.parseInt(e.key[0], 16), Buffer.from(e.value.map((x) => Number.parseInt(x, 16))).readUInt32LE()]).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(rows, [[1, 111], [2, 222]]);
  } finally {
    rmSync(path, { force: true });
  }
});

test('batch update, lookup and delete move many entries per call', (t) => {
  if (!needRoot(t)) return;
  using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 10_000 });
  const keys = Array.from({ length: 5000 }, (_, i) => i);
  assert.equal(m.updateBatch(keys, keys.map((k) => BigInt(k) * 3n)), 5000);
  const { keys: ks, values: vs } = m.lookupBatch({ batchSize: 256 });
  assert.equal(ks.length, 5000);
  for (let i = 0; i < ks.length; i++) assert.equal(vs[i].readBigUInt64LE(), BigInt(ks[i].readUInt32LE()) * 3n);
  assert.equal(m.deleteBatch(keys.slice(0, 1000)), 1000);
  const rest = m.lookupAndDeleteBatch({ batchSize: 1000 });
  assert.equal(rest.keys.length, 4000);
  assert.equal(m.nextKey(), undefined);
});

test('an mmapable array is shared memory', (t) => {
  if (!needRoot(t)) return;
  using m = BpfMap.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, flags: ['mmapable'] });
  const view = m.mmap();
  view.writeBigUInt64LE(99n, 16);
  assert.equal(m.lookup(2)?.readBigUInt64LE(), 99n);
  m.update(3, 7n);
  assert.equal(view.readBigUInt64LE(24), 7n);
  m.close();
  assert.equal(view.length, 0, 'the view is detached after close');
});

test('frozen maps refuse writes from user space', (t) => {
  if (!needRoot(t)) return;
  using m = BpfMap.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
  m.update(0, 1);
  m.freeze();
  assert.throws(() => m.update(0, 2), /EPERM/);
  assert.equal(m.lookup(0)?.readUInt32LE(), 1);
});

test('no descriptor is left open after objects are closed', (t) => {
  if (!needRoot(t)) return;
  const before = readdirSync('/proc/self/fd').length;
  const ownedBefore = openFdCount();
  for (let i = 0; i < 20; i++) {
    using m = BpfMap.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
    using again = BpfMap.fromId(m.info().id);
    assert.equal(again.type, 'array');
  }
  assert.equal(openFdCount(), ownedBefore);
  assert.equal(readdirSync('/proc/self/fd').length, before);
});

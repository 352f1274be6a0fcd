import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerfMap, parsePerfMap } from '../../../src/symbols/perf-map.js';

test('parses START SIZE name lines (names may contain spaces)', () => {
  const e = parsePerfMap('7f0000001000 40 JS:*busy /tmp/x.js:3:10\n0x7f0000002000 0x20 LazyCompile:~f\nbad line\n');
  assert.deepEqual(e, [
    { start: 0x7f0000001000, size: 0x40, name: 'JS:*busy /tmp/x.js:3:10' },
    { start: 0x7f0000002000, size: 0x20, name: 'LazyCompile:~f' },
  ]);
});

test('looks up by range, picks up appended lines, and lets newer code replace older at the same place', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-perfmap-'));
  try {
    const file = join(dir, 'perf-1.map');
    writeFileSync(file, '1000 100 first\n2000 10 second\n');
    const m = new PerfMap(file);
    assert.equal(m.refresh(), true);
    assert.deepEqual(m.lookup(0x1010), { entry: { start: 0x1000, size: 0x100, name: 'first' }, offset: 0x10 });
    assert.equal(m.lookup(0x1100), undefined);
    // The JIT recompiles: new code over part of the old range, and a brand new function.
    appendFileSync(file, '1080 20 replaced\n3000 8 third\n4000 1');
    assert.equal(m.lookup(0x3004)?.entry.name, 'third'); // a miss re-reads the grown file
    assert.equal(m.lookup(0x1090)?.entry.name, 'replaced');
    assert.equal(m.lookup(0x4000), undefined); // the half-written last line is not used yet
    appendFileSync(file, '0 partial\n');
    assert.equal(m.lookup(0x4000)?.entry.name, 'partial');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing file is not an error', () => {
  const m = new PerfMap('/nonexistent/perf-0.map');
  assert.equal(m.refresh(), false);
  assert.equal(m.lookup(0x1000), undefined);
});

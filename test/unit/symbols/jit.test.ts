import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Symbolizer } from '../../../src/symbols/resolver.js';
import { parsePerfMap, perfMapPath } from '../../../src/symbols/perf-map.js';

test('a Node process run with --perf-basic-prof: its JIT code symbolizes to the JavaScript function', async () => {
  const src = 'function bpfkitBusyFunction(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s; }\n' +
    'setInterval(() => bpfkitBusyFunction(1e5), 1);';
  const child = spawn(process.execPath, ['--perf-basic-prof', '-e', src], { stdio: 'ignore' });
  const pid = child.pid!;
  const path = perfMapPath(pid);
  try {
    let entry;
    for (let i = 0; i < 200 && !entry; i++) {
      await sleep(50);
      if (existsSync(path)) entry = parsePerfMap(readFileSync(path, 'utf8')).find((e) => e.name.includes('bpfkitBusyFunction'));
    }
    assert.ok(entry, 'V8 wrote the function to the perf map');
    const frame = new Symbolizer().userFrame(pid, BigInt(entry.start + 1));
    assert.equal(frame.kind, 'jit');
    assert.match(frame.name ?? '', /bpfkitBusyFunction/);
    assert.equal(frame.module, path);
    assert.equal(frame.offset, 1);
  } finally {
    child.kill();
    await new Promise((r) => child.once('exit', r));
    rmSync(path, { force: true });
  }
});

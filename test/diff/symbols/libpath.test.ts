// ld.so.cache parsing against `ldconfig -p`, which prints the same cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { nativeCacheFlags, parseLdCache } from '../../../src/symbols/libpath.js';
import { needFile, needTool } from '../../helpers/env.js';

test('every library ldconfig -p lists is in our parse of /etc/ld.so.cache, in the same order', (t) => {
  if (!needTool(t, 'ldconfig') || !needFile(t, '/etc/ld.so.cache')) return;
  const out = execFileSync('ldconfig', ['-p']).toString().split('\n');
  const count = Number(/^(\d+) libs found/.exec(out[0])?.[1]);
  const rows = out.slice(1).map((l) => /^\s+(\S+) \(([^)]*)\) => (\S+)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const ours = parseLdCache(readFileSync('/etc/ld.so.cache'));
  assert.equal(ours.length, count);
  assert.deepEqual(ours.map((e) => [e.name, e.path]), rows.map((m) => [m[1], m[3]]));
  // ldconfig prints "libc6,x86-64" for the flags our loader-style lookup keeps.
  if (process.arch === 'x64') {
    const flags = nativeCacheFlags();
    rows.forEach((m, i) => assert.equal(m[2].startsWith('libc6,x86-64'), ours[i].flags === flags, m[1]));
  }
});

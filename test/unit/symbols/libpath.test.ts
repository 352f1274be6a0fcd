import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { libraryNameMatches, parseLdCache, resolveBinary, resolveLibrary, samePath } from '../../../src/symbols/libpath.js';
import { readMaps } from '../../../src/symbols/proc-maps.js';
import { BpfError, ParseError } from '../../../src/sys/errors.js';
import { needFile } from '../../helpers/env.js';

/** Builds a cache file in glibc's new format: 48-byte header, 24-byte entries, then strings. */
function buildCache(entries: Array<[string, string, number]>, prefixOld = false): Buffer {
  const strings: Buffer[] = [];
  const head = Buffer.alloc(48);
  head.write('glibc-ld.so.cache1.1', 0, 'latin1');
  const tableLen = 48 + entries.length * 24;
  let strOff = tableLen;
  const table = Buffer.alloc(entries.length * 24);
  entries.forEach(([key, value, flags], i) => {
    table.writeInt32LE(flags, i * 24);
    table.writeUInt32LE(strOff, i * 24 + 4);
    strings.push(Buffer.from(key + '\0'));
    strOff += key.length + 1;
    table.writeUInt32LE(strOff, i * 24 + 8);
    strings.push(Buffer.from(value + '\0'));
    strOff += value.length + 1;
  });
  head.writeUInt32LE(entries.length, 20);
  head.writeUInt32LE(strOff - tableLen, 24);
  head[28] = 2;
  const body = Buffer.concat([head, table, ...strings]);
  if (!prefixOld) return body;
  // The old format (ld.so-1.7.0, no entries) in front, padded to 8 bytes.
  const old = Buffer.alloc(16);
  old.write('ld.so-1.7.0', 0, 'latin1');
  return Buffer.concat([old, body]);
}

test('parses the new ld.so.cache format, alone or after the old one', () => {
  const e: Array<[string, string, number]> = [['libz.so.1', '/lib/x86_64-linux-gnu/libz.so.1', 0x0303], ['libfoo.so', '/opt/lib32/libfoo.so', 0x0003]];
  for (const buf of [buildCache(e), buildCache(e, true)]) {
    const parsed = parseLdCache(buf);
    assert.deepEqual(parsed.map((x) => [x.name, x.path, x.flags]), e);
  }
  assert.throws(() => parseLdCache(Buffer.from('not a cache at all, really not')), ParseError);
});

test('library names match the way the loader names files', () => {
  assert.equal(libraryNameMatches('libc', 'libc.so.6'), true);
  assert.equal(libraryNameMatches('c', 'libc.so.6'), true);
  assert.equal(libraryNameMatches('libc', 'libc-2.31.so'), true);
  assert.equal(libraryNameMatches('libc', 'libcrypto.so.3'), false);
  assert.equal(libraryNameMatches('libc.so.6', 'libc.so.6'), true);
  assert.equal(libraryNameMatches('libc.so.6', 'libc.so.7'), false);
});

test('resolves libraries by name, by the cache, by LD_LIBRARY_PATH, and in a running process', (t) => {
  if (!needFile(t, '/etc/ld.so.cache')) return;
  const libc = resolveLibrary('libc');
  assert.equal(basename(libc), 'libc.so.6');
  assert.ok(existsSync(libc));
  assert.equal(resolveLibrary('libc.so.6'), libc);
  // In this process: the very file it has mapped.
  const mine = resolveLibrary('c', process.pid);
  assert.ok(readMaps('self').some((m) => m.path === mine));
  assert.ok(samePath(mine, libc));
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-lib-'));
  try {
    writeFileSync(join(dir, 'libbpfkittest.so.2'), '');
    assert.equal(resolveLibrary('bpfkittest', undefined, { ldLibraryPath: dir }), join(dir, 'libbpfkittest.so.2'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => resolveLibrary('libdoesnotexist_bpfkit'), (e: unknown) => e instanceof BpfError && /not found/.test(e.message));
  assert.equal(resolveBinary('/usr/bin/env'), '/usr/bin/env');
  assert.ok(resolveBinary('env').endsWith('/env'));
});

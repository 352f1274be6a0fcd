import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessMaps, parseMaps, readMaps } from '../../../src/symbols/proc-maps.js';
import { readSymbolTable } from '../../../src/symbols/elf-symbols.js';

const MAPS = `55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1234                       /usr/bin/prog
55d0c0a02000-55d0c0a05000 r-xp 00002000 08:01 1234                       /usr/bin/prog
7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0 
7f1c2b000000-7f1c2b001000 r-xp 00000000 00:05 99                         /tmp/old lib.so (deleted)
7ffd1e1f0000-7ffd1e1f2000 r-xp 00000000 00:00 0                          [vdso]
`;

test('parses every field, including paths with spaces and deleted files', () => {
  const m = parseMaps(MAPS);
  assert.equal(m.length, 5);
  assert.deepEqual(m[1], { start: 0x55d0c0a02000, end: 0x55d0c0a05000, perms: 'r-xp', offset: 0x2000, dev: '08:01', inode: 1234, path: '/usr/bin/prog', deleted: false });
  assert.equal(m[2].path, '');
  assert.equal(m[3].path, '/tmp/old lib.so');
  assert.equal(m[3].deleted, true);
  assert.equal(m[4].path, '[vdso]');
});

test('an address in our own libc resolves to the libc function whose code is there', () => {
  const maps = readMaps('self');
  const libc = maps.find((e) => /\/libc\.so\.6$/.test(e.path) && e.perms.includes('x'));
  assert.ok(libc, 'this process maps libc');
  const table = readSymbolTable(libc.path);
  const malloc = table.byName('malloc').find((s) => s.kind === 'func');
  assert.ok(malloc);
  const fileOffset = table.fileOffset(malloc.addr)!;
  // Runtime address: where the mapping that holds this file offset starts, plus the distance into it.
  const seg = maps.find((e) => e.path === libc.path && fileOffset >= e.offset && fileOffset < e.offset + (e.end - e.start))!;
  const runtime = seg.start + (fileOffset - seg.offset) + 5;
  const pm = new ProcessMaps(process.pid);
  const r = pm.resolve(runtime);
  assert.ok(r);
  assert.equal(r.symbol?.name, 'malloc');
  assert.equal(r.offset, 5);
  assert.equal(r.fileOffset, fileOffset + 5);
  assert.equal(pm.resolve(1), undefined);
});

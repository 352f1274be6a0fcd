import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ElfFile } from '../../../src/elf/reader.js';
import {
  buildId, debugLink, dynamicSymbols, fileOffsetToVaddr, loadSegments, notes, PF_X, programHeaders, PT_LOAD, readElfImage, vaddrToFileOffset,
} from '../../../src/elf/image.js';
import { BpfError, ParseError } from '../../../src/sys/errors.js';
import { readSymbolTable, resolveSymbolOffset, SymbolTable } from '../../../src/symbols/elf-symbols.js';
import { needFile } from '../../helpers/env.js';

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';

test('the partial reader sees the same headers, symbols and notes as a full read', (t) => {
  if (!needFile(t, LIBC)) return;
  const full = ElfFile.parse(readFileSync(LIBC), LIBC);
  const part = readElfImage(LIBC);
  assert.deepEqual(programHeaders(part), programHeaders(full));
  assert.deepEqual(dynamicSymbols(part), dynamicSymbols(full));
  assert.deepEqual(notes(part).map((n) => [n.name, n.type, Buffer.from(n.desc).toString('hex')]), notes(full).map((n) => [n.name, n.type, Buffer.from(n.desc).toString('hex')]));
  assert.equal(buildId(part), buildId(full));
  assert.match(buildId(part) ?? '', /^[0-9a-f]{40}$/);
  assert.equal(debugLink(part)?.file.endsWith('.debug'), true);
});

test('PT_LOAD maps addresses to file offsets and back', (t) => {
  if (!needFile(t, LIBC)) return;
  const segs = loadSegments(readElfImage(LIBC));
  const text = segs.find((s) => s.type === PT_LOAD && s.flags & PF_X)!;
  assert.ok(text);
  const v = text.vaddr + 0x123;
  const off = vaddrToFileOffset(segs, v)!;
  assert.equal(off, v - text.vaddr + text.offset);
  assert.equal(fileOffsetToVaddr(segs, off), v);
  assert.equal(vaddrToFileOffset(segs, 0x7fffffffffff), undefined);
});

test('size-aware lookup: inside a symbol, past its end, aliases, and zero-sized symbols', () => {
  const mk = (name: string, addr: number, size: number, bind: 'global' | 'weak' | 'local' = 'global') => ({ name, addr, size, kind: 'func' as const, bind, table: 'symtab' as const });
  const t = new SymbolTable({
    entries: [mk('__alias', 0x1000, 0x20), mk('alias', 0x1000, 0x20), mk('asm_label', 0x2000, 0), mk('big', 0x3000, 0x100), mk('inner', 0x3010, 0x10, 'local')],
    segments: [], relocatable: true, stripped: false,
  });
  assert.equal(t.lookup(0x1008)?.symbol.name, '__alias'); // first of the aliases as given
  assert.equal(t.lookup(0x1020), undefined); // past the end of both
  assert.deepEqual([t.lookup(0x2fff)?.symbol.name, t.lookup(0x2fff)?.offset], ['asm_label', 0xfff]);
  assert.equal(t.lookup(0x3014)?.symbol.name, 'inner');
  assert.deepEqual([t.lookup(0x3030)?.symbol.name, t.lookup(0x3030)?.offset], ['big', 0x30]);
  assert.equal(t.lookup(0xfff), undefined);
});

test('the merged table prefers the public alias among symbols at one address', (t) => {
  if (!needFile(t, LIBC)) return;
  const table = readSymbolTable(LIBC);
  const malloc = table.byName('malloc')[0];
  assert.equal(table.lookup(malloc.addr)?.symbol.name, 'malloc');
});

test('resolveSymbolOffset errors say what is wrong', (t) => {
  if (!needFile(t, LIBC)) return;
  assert.throws(() => resolveSymbolOffset(LIBC, 'mallocc'), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT' && /close names: .*\bmalloc\b/.test(e.message));
  assert.throws(() => resolveSymbolOffset('/etc/passwd', 'x'), (e: unknown) => e instanceof ParseError && /not an ELF file/.test(e.message));
  assert.throws(() => resolveSymbolOffset('/nonexistent/bin', 'x'), (e: unknown) => e instanceof BpfError && /no such file/.test(e.message));
  assert.throws(() => resolveSymbolOffset(LIBC, 'environ'), /data object, not a function/);
});

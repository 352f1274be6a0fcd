// ELF symbol tables, uprobe offsets and debug files against nm, readelf and objcopy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSymbolTable, resolveSymbolOffset, clearSymbolTableCache } from '../../../src/symbols/elf-symbols.js';
import { BpfError } from '../../../src/sys/errors.js';
import { needFile, needTool } from '../../helpers/env.js';

/** nm's view: name → addresses of defined functions. */
function nmFunctions(args: string[]): Map<string, Set<number>> {
  const m = new Map<string, Set<number>>();
  for (const line of execFileSync('nm', args, { maxBuffer: 1 << 28 }).toString().split('\n')) {
    const [addr, type, name] = line.split(' ');
    if (!name || !/^[TtWi]$/.test(type)) continue;
    const a = parseInt(addr, 16);
    if (a === 0) continue;
    const n = name.replace(/@.*$/, '');
    if (!m.has(n)) m.set(n, new Set());
    m.get(n)!.add(a);
  }
  return m;
}

/** readelf's PT_LOAD rows: [offset, vaddr, filesz, memsz, flags]. */
function readelfLoads(path: string): Array<{ offset: number; vaddr: number; memsz: number }> {
  return execFileSync('readelf', ['-lW', path]).toString().split('\n').filter((l) => /^\s+LOAD\s/.test(l)).map((l) => {
    const f = l.trim().split(/\s+/);
    return { offset: parseInt(f[1], 16), vaddr: parseInt(f[2], 16), memsz: parseInt(f[5], 16) };
  });
}

function offsetByReadelf(path: string, vaddr: number): number {
  const seg = readelfLoads(path).find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.memsz)!;
  return vaddr - seg.vaddr + seg.offset;
}

const C = `
#include <stdio.h>
static int __attribute__((noinline)) helper(int x) { return x * 3 + 1; }
int __attribute__((noinline)) work(int n) { int s = 0; for (int i = 0; i < n; i++) s += helper(i); return s; }
int global_counter = 5;
int main(int argc, char **argv) { printf("%d\\n", work(argc) + global_counter); return 0; }
`;

test('libc: every function nm lists (dynamic, and from the build-id debug file) is in our table at the same address', (t) => {
  const lib = '/usr/lib/x86_64-linux-gnu/libc.so.6';
  if (!needTool(t, 'nm') || !needFile(t, lib)) return;
  const table = readSymbolTable(lib);
  const check = (m: Map<string, Set<number>>) => {
    let n = 0;
    for (const [name, addrs] of m) {
      const ours = new Set(table.byName(name).map((s) => s.addr));
      for (const a of addrs) {
        assert.ok(ours.has(a), `${name} at 0x${a.toString(16)}`);
        n++;
      }
    }
    return n;
  };
  const dyn = check(nmFunctions(['-D', '--defined-only', lib]));
  assert.ok(dyn > 1000);
  if (table.debugFile) {
    const all = check(nmFunctions(['--defined-only', table.debugFile]));
    t.diagnostic(`libc: ${dyn} dynamic and ${all} debug-file functions agree with nm (debug file ${table.debugFile})`);
    assert.ok(all > dyn);
  }
});

test('a binary built here: symbols, uprobe offsets by readelf\'s segments, stripped and debuglink variants', (t) => {
  if (!needTool(t, 'cc') || !needTool(t, 'nm') || !needTool(t, 'readelf') || !needTool(t, 'objcopy') || !needTool(t, 'strip')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-elfsym-'));
  try {
    writeFileSync(join(dir, 'prog.c'), C);
    const bin = join(dir, 'prog');
    execFileSync('cc', ['-O1', '-g', '-o', bin, join(dir, 'prog.c')]);
    const nm = nmFunctions(['--defined-only', bin]);
    const table = readSymbolTable(bin);
    for (const name of ['main', 'work', 'helper']) {
      const addr = [...nm.get(name)!][0];
      assert.equal(table.byName(name)[0]?.addr, addr, name);
      const r = resolveSymbolOffset(bin, name);
      assert.equal(r.offset, offsetByReadelf(bin, addr), `${name} file offset`);
      // An address inside the function maps back to it.
      assert.equal(table.lookup(addr + 1)?.symbol.name, name);
    }
    assert.throws(() => resolveSymbolOffset(bin, 'global_counter'), /data object/);

    // Stripped: no symbols left for a static function, and the error says so.
    const stripped = join(dir, 'prog.stripped');
    execFileSync('strip', ['-o', stripped, bin]);
    clearSymbolTableCache();
    assert.throws(() => resolveSymbolOffset(stripped, 'helper'), (e: unknown) => e instanceof BpfError && /stripped/.test(e.message));

    // Split debug info found through .gnu_debuglink next to the binary.
    const dbg = join(dir, 'prog.debug');
    execFileSync('objcopy', ['--only-keep-debug', bin, dbg]);
    const linked = join(dir, 'prog.linked');
    execFileSync('objcopy', ['--strip-debug', '--strip-unneeded', `--add-gnu-debuglink=${dbg}`, bin, linked]);
    const lt = readSymbolTable(linked);
    assert.equal(lt.debugFile, dbg);
    const r = resolveSymbolOffset(linked, 'helper');
    assert.equal(r.offset, offsetByReadelf(linked, [...nm.get('helper')!][0]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

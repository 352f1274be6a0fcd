// USDT notes of a program built here with <sys/sdt.h>, against `readelf -n` and `readelf -lS`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findUsdtProbes, kernelPtRegsOffsets, parseUsdtArgs, readUsdtProbes } from '../../../src/symbols/usdt.js';
import { ParseError } from '../../../src/sys/errors.js';
import { hasTool, need, needFile, needTool, repoRoot } from '../../helpers/env.js';

const FIX = join(repoRoot, 'test/fixtures/symbols');

interface ReadelfNote { provider: string; name: string; pc: number; base: number; semaphore: number; args: string }

function readelfNotes(bin: string): ReadelfNote[] {
  const out = execFileSync('readelf', ['-nW', bin]).toString();
  const re = /Provider: (\S+)\n\s+Name: (\S+)\n\s+Location: (0x[0-9a-f]+), Base: (0x[0-9a-f]+), Semaphore: (0x[0-9a-f]+)\n\s+Arguments: ?(.*)/g;
  const notes: ReadelfNote[] = [];
  for (const m of out.matchAll(re)) notes.push({ provider: m[1], name: m[2], pc: Number(m[3]), base: Number(m[4]), semaphore: Number(m[5]), args: m[6].trim() });
  return notes;
}

function readelfLoads(bin: string): Array<{ offset: number; vaddr: number; memsz: number; flags: string }> {
  return execFileSync('readelf', ['-lW', bin]).toString().split('\n').filter((l) => /^\s+LOAD\s/.test(l)).map((l) => {
    const f = l.trim().split(/\s+/);
    return { offset: parseInt(f[1], 16), vaddr: parseInt(f[2], 16), memsz: parseInt(f[5], 16), flags: f.slice(6, -1).join('') };
  });
}

test('probes with 0..6 arguments and a semaphore match readelf, with file offsets and argument specs', (t) => {
  const sdt = ['/usr/include/sys/sdt.h', '/usr/include/x86_64-linux-gnu/sys/sdt.h'].some((p) => existsSync(p));
  if (!needTool(t, 'cc') || !needTool(t, 'readelf') || !need(t, sdt, 'needs <sys/sdt.h> (systemtap-sdt-dev)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-usdt-'));
  try {
    const bin = join(dir, 'probes');
    // -O0 keeps the arguments in the frame (deref specs); the semaphore file needs its own define.
    execFileSync('cc', ['-O0', '-c', '-o', join(dir, 'p.o'), join(FIX, 'usdt-probes.c')]);
    execFileSync('cc', ['-O1', '-c', '-o', join(dir, 's.o'), join(FIX, 'usdt-semaphore.c')]);
    execFileSync('cc', ['-o', bin, join(dir, 'p.o'), join(dir, 's.o')]);
    const want = readelfNotes(bin);
    const got = readUsdtProbes(bin);
    assert.equal(want.length, 10);
    assert.deepEqual(got.map((p) => ({ provider: p.provider, name: p.name, pc: p.pc, base: p.base, semaphore: p.semaphore, args: p.args })), want);

    const loads = readelfLoads(bin);
    const regs = kernelPtRegsOffsets();
    const argCount: Record<string, number> = { zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, consts: 2, global: 1, withsema: 1 };
    // Sizes and signs follow the C types: int8_t, uint16_t, int32_t, uint64_t, int64_t, a pointer.
    const sizes = [[1, true], [2, false], [4, true], [8, false], [8, true], [8, false]];
    for (const p of got) {
      const exec = loads.find((s) => s.flags.includes('E') && p.pc >= s.vaddr && p.pc < s.vaddr + s.memsz)!;
      assert.equal(p.offset, p.pc - exec.vaddr + exec.offset, `${p.name} offset`);
      const args = parseUsdtArgs(p.args, regs, bin);
      assert.equal(args.length, argCount[p.name], p.name);
      if (['one', 'two', 'three', 'four', 'five', 'six'].includes(p.name)) {
        args.forEach((a, i) => {
          assert.deepEqual([a.size, a.signed], sizes[i], `${p.name} arg ${i}`);
          assert.equal(a.type, 'reg_deref');
          assert.equal(a.regOffset, regs.get('bp'));
          assert.ok(a.valOffset < 0n);
        });
      }
    }
    const consts = parseUsdtArgs(got.find((p) => p.name === 'consts')!.args, regs);
    assert.deepEqual([consts[0].type, consts[0].valOffset], ['const', 5n]);

    // The semaphore: its address lies in .probes, its file offset is what readelf -S says of .probes.
    const sema = findUsdtProbes(bin, 'bpfkit', 'withsema')[0];
    const probes = execFileSync('readelf', ['-SW', bin]).toString().split('\n').find((l) => /\s\.probes\s/.test(l))!;
    const f = probes.replace(/^.*\]\s*/, '').trim().split(/\s+/);
    const [secAddr, secOff] = [parseInt(f[2], 16), parseInt(f[3], 16)];
    assert.notEqual(sema.semaphore, 0);
    assert.equal(sema.semaphoreOffset, sema.semaphore - secAddr + secOff);
    assert.equal(got.filter((p) => p.semaphore !== 0).length, 1);
    assert.equal(sema.sharedObject, true); // cc builds PIE here

    assert.throws(() => findUsdtProbes(bin, 'bpfkit', 'nope'), (e: unknown) => e instanceof ParseError && /bpfkit:withsema/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('libc\'s own probes (when built with SDT) parse and their arguments are all supported', (t) => {
  const lib = '/usr/lib/x86_64-linux-gnu/libc.so.6';
  if (!needTool(t, 'readelf') || !needFile(t, lib)) return;
  const want = readelfNotes(lib);
  const got = readUsdtProbes(lib);
  // Debian's libc carries no probes; then both readers must agree on none.
  assert.equal(got.length, want.length);
  assert.deepEqual(got.map((p) => `${p.provider}:${p.name}@${p.pc}:${p.args}`), want.map((p) => `${p.provider}:${p.name}@${p.pc}:${p.args}`));
  const regs = kernelPtRegsOffsets();
  let parsed = 0;
  for (const p of got) {
    try {
      parseUsdtArgs(p.args, regs);
      parsed++;
    } catch (e) {
      assert.ok(e instanceof ParseError && /not supported/.test(e.message), String(e));
    }
  }
  t.diagnostic(`libc: ${got.length} probes, ${parsed} with every argument in a form libbpf supports`);
});

// Our demangler against GNU c++filt on real symbol names from system binaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { demangle } from '../../../src/symbols/demangle.js';
import { hasTool, need, needFile, needTool } from '../../helpers/env.js';

function nmNames(args: string[]): string[] {
  const out = execFileSync('nm', args, { maxBuffer: 1 << 28 }).toString();
  const names = new Set<string>();
  for (const line of out.split('\n')) {
    const name = line.split(' ').pop()!.replace(/@.*$/, '');
    if (name.startsWith('_Z') || name.startsWith('_R')) names.add(name);
  }
  return [...names];
}

function compare(t: { diagnostic(m: string): void }, label: string, names: string[]): number {
  const want = execFileSync('c++filt', { input: names.join('\n') + '\n', maxBuffer: 1 << 28 }).toString().split('\n');
  let same = 0;
  const diffs: string[] = [];
  names.forEach((n, i) => {
    const got = demangle(n);
    if (got === want[i]) same++;
    else if (diffs.length < 5) diffs.push(`${n}\n    c++filt: ${want[i]}\n    bpfkit:  ${got}`);
  });
  const rate = same / names.length;
  t.diagnostic(`${label}: ${same}/${names.length} names identical to c++filt (${(rate * 100).toFixed(2)}%)`);
  for (const d of diffs) t.diagnostic(d);
  return rate;
}

test('libstdc++ exported symbols demangle exactly as c++filt prints them', (t) => {
  const lib = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6';
  if (!needTool(t, 'c++filt') || !needTool(t, 'nm') || !needFile(t, lib)) return;
  const names = nmNames(['-D', '--defined-only', lib]);
  assert.ok(names.length > 3000, `corpus of ${names.length} names`);
  assert.ok(compare(t, 'libstdc++.so.6 .dynsym', names) >= 0.995);
});

test('the node binary (V8, ICU, libuv C++) demangles as c++filt prints it', (t) => {
  if (!needTool(t, 'c++filt') || !needTool(t, 'nm')) return;
  const names = nmNames(['--defined-only', process.execPath]);
  if (!need(t, names.length > 1000, `${process.execPath} has a C++ symbol table`)) return;
  assert.ok(compare(t, `${process.execPath} .symtab`, names) >= 0.99);
});

test('Rust v0 and legacy names (rustc\'s own library) demangle as c++filt prints them', (t) => {
  if (!needTool(t, 'c++filt') || !needTool(t, 'nm')) return;
  if (!need(t, hasTool('rustc'), 'needs rustc installed (for a library with Rust symbols)')) return;
  const sysroot = execFileSync('rustc', ['--print', 'sysroot']).toString().trim();
  const dir = join(sysroot, 'lib');
  const lib = existsSync(dir) ? readdirSync(dir).find((f) => /^librustc_driver-.*\.so$/.test(f)) : undefined;
  if (!need(t, lib !== undefined, 'rustc ships librustc_driver-*.so')) return;
  const names = nmNames(['-D', '--defined-only', join(dir, lib!)]);
  const v0 = names.filter((n) => n.startsWith('_R')).length;
  t.diagnostic(`${v0} v0 names, ${names.length - v0} legacy/C++ names`);
  assert.ok(v0 > 100);
  assert.ok(compare(t, lib!, names) >= 0.99);
});

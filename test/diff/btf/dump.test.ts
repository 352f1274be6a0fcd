// `btf dump` against bpftool: raw output identical, C output declaring the same types and compiling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { btfFromFile } from '../../../src/btf/file.js';
import { btfToC } from '../../../src/btf/c-dump.js';
import { btfToRaw } from '../../../src/btf/raw-dump.js';
import { needFile, needTool, fixturesDir } from '../../helpers/env.js';

const build = `${fixturesDir}bpf/build/`;
const objects = readdirSync(build).filter((f) => f.endsWith('.bpf.o')).map((f) => build + f);
const VMLINUX = '/sys/kernel/btf/vmlinux';
const cli = new URL('../../../src/cli/btf.js', import.meta.url).pathname;

function bpftool(...args: string[]): string {
  return execFileSync('bpftool', args, { maxBuffer: 1 << 30, encoding: 'utf8' });
}

/** Names a C header declares: struct/union/enum tags, typedef names and enumerators. */
export function declaredNames(c: string): Set<string> {
  const names = new Set<string>();
  for (const m of c.matchAll(/^(?:struct|union|enum) (\w+)(?: \{|;)/gm)) names.add(`tag ${m[1]}`);
  for (const m of c.matchAll(/^typedef [^;]*?(\w+)(?:\)\(.*\))?(?:\[\d+\])*;$/gm)) names.add(`typedef ${m[1]}`);
  for (const m of c.matchAll(/^typedef .*\(\*(\w+)\)/gm)) names.add(`typedef ${m[1]}`);
  for (const m of c.matchAll(/^\t+(\w+) = -?\d+(?:U?LL)?,$/gm)) names.add(`enumerator ${m[1]}`);
  return names;
}

function diffSets(a: Set<string>, b: Set<string>): { onlyA: string[]; onlyB: string[] } {
  return { onlyA: [...a].filter((x) => !b.has(x)), onlyB: [...b].filter((x) => !a.has(x)) };
}

function compiles(header: string, body: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-vmlinux-'));
  try {
    writeFileSync(join(dir, 'vmlinux.h'), header);
    writeFileSync(join(dir, 'prog.c'), `#include "vmlinux.h"\n${body}\n`);
    execFileSync('clang', ['-target', 'bpf', '-O2', '-g', '-c', join(dir, 'prog.c'), '-o', join(dir, 'prog.o')], { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('raw format is byte-identical to bpftool on every fixture', (t) => {
  if (!needTool(t, 'bpftool')) return;
  for (const o of objects) assert.equal(btfToRaw(btfFromFile(o)), bpftool('btf', 'dump', 'file', o), o);
});

test('raw format is byte-identical to bpftool on the kernel BTF', (t) => {
  if (!needTool(t, 'bpftool') || !needFile(t, VMLINUX)) return;
  assert.ok(btfToRaw(btfFromFile(VMLINUX)) === bpftool('btf', 'dump', 'file', VMLINUX));
});

test('C format of fixtures equals bpftool and compiles', (t) => {
  if (!needTool(t, 'bpftool') || !needTool(t, 'clang')) return;
  for (const o of objects) {
    const ours = btfToC(btfFromFile(o));
    assert.deepEqual(diffSets(declaredNames(ours), declaredNames(bpftool('btf', 'dump', 'file', o, 'format', 'c'))), { onlyA: [], onlyB: [] }, o);
    compiles(ours, 'int use(void) { return 0; }');
  }
});

test('vmlinux.h: same declared names as bpftool, and clang compiles a CO-RE program with it', (t) => {
  if (!needTool(t, 'bpftool') || !needTool(t, 'clang') || !needFile(t, VMLINUX)) return;
  const ours = btfToC(btfFromFile(VMLINUX));
  const theirs = bpftool('btf', 'dump', 'file', VMLINUX, 'format', 'c');
  const a = declaredNames(ours);
  const b = declaredNames(theirs);
  assert.ok(b.size > 10000, `only ${b.size} names found in bpftool's header`);
  const d = diffSets(a, b);
  t.diagnostic(`declared names: bpfkit ${a.size}, bpftool ${b.size}; only bpfkit: ${d.onlyA.length}, only bpftool: ${d.onlyB.length}`);
  assert.deepEqual(d, { onlyA: [], onlyB: [] });
  compiles(ours, [
    'int pid_of(struct task_struct *t) { return t->pid + t->real_parent->tgid + t->comm[0]; }',
    'int sz(void) { return sizeof(struct sk_buff) + sizeof(struct bpf_map) + BPF_MAP_TYPE_RINGBUF; }',
  ].join('\n'));
});

test('bpfkit btf dump CLI prints what bpftool prints', (t) => {
  if (!needTool(t, 'bpftool')) return;
  const o = objects[0];
  for (const fmt of [[], ['format', 'raw'], ['format', 'c']]) {
    const ours = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      `import { main } from ${JSON.stringify(cli)}; process.exitCode = await main(process.argv.slice(1));`, 'dump', 'file', o, ...fmt], { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(ours, bpftool('btf', 'dump', 'file', o, ...fmt), fmt.join(' '));
  }
});

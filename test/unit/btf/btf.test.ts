// The Btf object over clang's BTF of the fixtures: lookups, layout, encoding, .BTF.ext.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Btf } from '../../../src/btf/btf.js';
import { btfFromFile } from '../../../src/btf/file.js';
import { encodeBtf } from '../../../src/btf/encode.js';
import { sanitizeBtf } from '../../../src/btf/sanitize.js';
import { btfToC } from '../../../src/btf/c-dump.js';
import { btfToRaw } from '../../../src/btf/raw-dump.js';
import { ElfFile } from '../../../src/elf/reader.js';
import { CollectionSpec } from '../../../src/elf/collection.js';
import { ParseError } from '../../../src/sys/errors.js';
import { needFile, peerDir, fixturesDir } from '../../helpers/env.js';

const build = `${fixturesDir}bpf/build/`;
const fixtures = ['hello', 'maps', 'globals', 'core', 'subprogs', 'tailcall', 'oob'];
const btfOf = (n: string) => btfFromFile(`${build}${n}.bpf.o`);
const rawSection = (n: string) => ElfFile.parse(readFileSync(`${build}${n}.bpf.o`)).sectionByName('.BTF')!.data;

test('lookups by name and kind; resolve through typedefs and modifiers', () => {
  const b = btfOf('maps');
  const ev = b.find('event', 'struct');
  assert.ok(ev && ev.kind === 'struct');
  assert.deepEqual(ev.members.map((m) => m.name), ['pid', 'comm']);
  const u32 = b.find('__u32', 'typedef')!;
  const r = b.resolveType(u32.id);
  assert.equal(r.kind, 'int');
  assert.equal(r.kind === 'int' && r.size, 4);
  assert.equal(b.findAll('nonexistent').length, 0);
  assert.throws(() => b.type(b.typeCount), ParseError);
});

test('sizes, alignment and member paths follow C layout', () => {
  const b = btfOf('maps');
  const ev = b.find('event', 'struct')!.id;
  assert.equal(b.sizeof(ev), 20); // int + char[16]
  assert.equal(b.alignof(ev), 4);
  assert.deepEqual(b.memberByPath(ev, 'comm'), { bitOffset: 32, bitfieldSize: 0, type: b.memberByPath(ev, 'comm').type });
  assert.equal(b.memberByPath(ev, 'comm[3]').bitOffset, 32 + 3 * 8);
  assert.throws(() => b.memberByPath(ev, 'nope'), ParseError);
  const core = btfOf('core');
  const ts = core.find('task_struct', 'struct')!.id;
  // int pid; int tgid; char comm[16]; struct task_struct *real_parent; unsigned int bit:1
  assert.equal(core.memberByPath(ts, 'real_parent').bitOffset, 24 * 8);
  assert.deepEqual([core.memberByPath(ts, 'sched_reset_on_fork').bitOffset, core.memberByPath(ts, 'sched_reset_on_fork').bitfieldSize], [32 * 8, 1]);
  assert.equal(core.sizeof(ts), 40);
  assert.equal(core.alignof(ts), 8);
});

test('encoding reproduces clang BTF byte for byte', () => {
  for (const n of fixtures) {
    const raw = rawSection(n);
    const b = Btf.fromBuffer(raw);
    assert.deepEqual(Buffer.from(encodeBtf(b)), Buffer.from(raw), n);
    // and a fresh string table still decodes to the same types
    const fresh = Btf.fromBuffer(encodeBtf(b, { strings: null }));
    assert.deepEqual(fresh.types, b.types, n);
  }
});

test('encoding reproduces the kernel BTF byte for byte', (t) => {
  if (!needFile(t, '/sys/kernel/btf/vmlinux')) return;
  const raw = readFileSync('/sys/kernel/btf/vmlinux');
  assert.ok(Buffer.from(encodeBtf(Btf.fromBuffer(raw))).equals(raw));
});

test('split BTF: module types continue after the base ids', (t) => {
  if (!needFile(t, '/sys/kernel/btf/vmlinux')) return;
  const base = Btf.fromBuffer(readFileSync('/sys/kernel/btf/vmlinux'));
  // build a tiny split BTF over the base: a struct using base's 'int'
  const intId = base.find('int', 'int')!.id;
  const split = new Btf([{ id: base.typeCount, kind: 'struct', name: 'my_module_struct', size: 4, members: [{ name: 'x', type: intId, bitOffset: 0, bitfieldSize: 0 }] }], { base });
  const bytes = encodeBtf(split);
  const back = Btf.fromBuffer(bytes, { base });
  assert.equal(back.typeCount, base.typeCount + 1);
  const s = back.type(base.typeCount);
  assert.equal(s.name, 'my_module_struct');
  assert.equal(back.resolveType(s.kind === 'struct' ? s.members[0].type : 0).name, 'int');
  assert.equal(back.find('my_module_struct')!.id, base.typeCount);
});

test('.BTF.ext: func_info and line_info per section name', () => {
  const s = CollectionSpec.fromFile(`${build}subprogs.bpf.o`);
  const ext = s.btfExt!;
  assert.deepEqual([...ext.funcInfo.keys()].sort(), ['.text', 'socket', 'xdp']);
  assert.equal(ext.funcInfo.get('.text')!.length, 2); // add_result and square
  const src = readFileSync(`${fixturesDir}bpf/subprogs.bpf.c`, 'utf8').split('\n');
  for (const [, lines] of ext.lineInfo) {
    for (const l of lines) {
      assert.ok(l.fileName.endsWith('subprogs.bpf.c'), l.fileName);
      if (l.line === 0) continue; // compiler-generated code has no source line
      assert.equal(src[l.line - 1], l.lineText);
    }
  }
});

test('sanitising keeps ids and replaces kinds an older kernel lacks', () => {
  const b = btfOf('globals');
  const s = sanitizeBtf(b, { datasec: false, func: false, float: false, declTag: false, typeTag: false, enum64: false });
  assert.equal(s.typeCount, b.typeCount);
  for (const t of s.types) assert.ok(!['var', 'datasec', 'func', 'func_proto', 'float', 'decl_tag', 'type_tag', 'enum64'].includes(t.kind), t.kind);
  const data = b.find('.data', 'datasec')!;
  const asStruct = s.type(data.id);
  assert.equal(asStruct.kind, 'struct');
  assert.equal(asStruct.name, '_data');
  assert.equal(asStruct.kind === 'struct' && asStruct.members[0].name, 'counter');
  assert.equal(sanitizeBtf(b, {}), b);
  // enum64 becomes a union of placeholders, appended once
  const e64 = new Btf([{ id: 0, kind: 'void', name: '' }, { id: 1, kind: 'enum64', name: 'big', size: 8, signed: false, values: [{ name: 'A', value: 1n << 40n }] }]);
  const se = sanitizeBtf(e64, { enum64: false });
  assert.equal(se.type(1).kind, 'union');
  assert.equal(se.type(2).name, 'enum64_placeholder');
  assert.doesNotThrow(() => Btf.fromBuffer(encodeBtf(se)));
});

test('C dump: guard, pragmas, definitions before use', () => {
  const c = btfToC(btfOf('maps'));
  assert.ok(c.startsWith('#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n'));
  assert.ok(c.includes('#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)'));
  assert.ok(c.trimEnd().endsWith('#endif /* __VMLINUX_H__ */'));
  assert.match(c, /struct event \{\n\tint pid;\n\tchar comm\[16\];\n\};/);
  // __u32 is a typedef of unsigned int, defined before anything that uses it
  const def = c.indexOf('typedef unsigned int __u32;');
  assert.ok(def >= 0);
  const firstUse = c.search(/\t__u32 /);
  assert.ok(firstUse < 0 || firstUse > def);
  const core = btfToC(btfOf('core'));
  assert.match(core, /unsigned int sched_reset_on_fork: 1;/);
  assert.match(core, /struct task_struct \*real_parent;/);
});

test('raw dump lines', () => {
  const raw = btfToRaw(btfOf('core')).split('\n');
  assert.ok(raw.includes("[2] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED"));
  assert.ok(raw.some((l) => /^\[\d+\] STRUCT 'task_struct' size=40 vlen=5$/.test(l)));
  assert.ok(raw.some((l) => /^\t'sched_reset_on_fork' type_id=\d+ bits_offset=256 bitfield_size=1$/.test(l)));
});

test('peer object: raw and C dumps equal the bpftool output captured with it', (t) => {
  const gen = `${peerDir}bpftool/generated/`;
  if (!needFile(t, `${gen}sample.bpf.o`)) return;
  const b = btfFromFile(`${gen}sample.bpf.o`);
  assert.equal(btfToRaw(b), readFileSync(`${gen}sample.btf.raw.txt`, 'utf8'));
  assert.equal(btfToC(b), readFileSync(`${gen}sample.btf.c.txt`, 'utf8'));
});

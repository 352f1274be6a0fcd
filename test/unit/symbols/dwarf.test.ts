// The DWARF reader against llvm-dwarfdump on the same binaries: a test program compiled by gcc and
// clang in several DWARF flavours (versions 2 to 5, 64-bit DWARF, zlib-compressed sections), every
// DIE compared (tag, parent, name, type reference, sizes, member offsets, low_pc); then the
// lookups bpftrace's uprobe support needs; then damaged input, which must end in ParseError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir, needTool } from '../../helpers/env.js';
import { Dwarf, DW_AT, DW_TAG, type DwarfDie } from '../../../src/symbols/dwarf.js';
import { ElfFile } from '../../../src/elf/reader.js';
import { ParseError } from '../../../src/sys/errors.js';

const SOURCE = join(fixturesDir, 'bpftrace-testprogs', 'dwarf_types.c');
const dir = mkdtempSync(join(tmpdir(), 'bpfkit-dwarf-'));

const FLAVOURS: { name: string; cc: string; flags: string[] }[] = [
  { name: 'gcc DWARF 5', cc: 'gcc', flags: ['-g'] },
  { name: 'gcc DWARF 4', cc: 'gcc', flags: ['-gdwarf-4'] },
  { name: 'gcc DWARF 2', cc: 'gcc', flags: ['-gdwarf-2'] },
  { name: 'gcc 64-bit DWARF', cc: 'gcc', flags: ['-g', '-gdwarf64'] },
  { name: 'gcc zlib-compressed', cc: 'gcc', flags: ['-g', '-gz=zlib'] },
  { name: 'clang DWARF 5', cc: 'clang', flags: ['-gdwarf-5'] },
  { name: 'clang DWARF 4', cc: 'clang', flags: ['-gdwarf-4'] },
];

function build(cc: string, flags: string[], name: string): string {
  const out = join(dir, name.replace(/\W+/g, '_'));
  execFileSync(cc, [...flags, '-O0', '-o', out, SOURCE]);
  return out;
}

interface DumpDie {
  offset: number;
  tag: string;
  parent: number | undefined;
  attrs: Map<string, string>;
}

/** llvm-dwarfdump --debug-info, DIE by DIE, with each DIE's parent from the indentation. */
function dump(path: string): DumpDie[] {
  const text = execFileSync('llvm-dwarfdump', ['--debug-info', path], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const out: DumpDie[] = [];
  const stack: { indent: number; offset: number }[] = [];
  let cur: DumpDie | undefined;
  for (const line of text.split('\n')) {
    const m = /^0x([0-9a-f]+):( +)(DW_TAG_\w+|NULL)/.exec(line);
    if (m) {
      const indent = m[2].length;
      if (line.includes('Compile Unit:') || line.includes('Type Unit:')) continue;
      while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
      if (m[3] === 'NULL') {
        cur = undefined;
        continue;
      }
      cur = { offset: parseInt(m[1], 16), tag: m[3].slice('DW_TAG_'.length), parent: stack[stack.length - 1]?.offset, attrs: new Map() };
      out.push(cur);
      stack.push({ indent, offset: cur.offset });
      continue;
    }
    if (/Compile Unit:/.test(line)) {
      stack.length = 0;
      cur = undefined;
      continue;
    }
    const a = /^\s+DW_AT_(\w+)\s+\((.*)\)$/.exec(line);
    if (a && cur) cur.attrs.set(a[1], a[2]);
  }
  return out;
}

const quoted = (v: string | undefined): string | undefined => (v === undefined ? undefined : /^"(.*)"$/.exec(v)?.[1]);

for (const f of FLAVOURS) {
  test(`every DIE as llvm-dwarfdump reads it: ${f.name}`, (t) => {
    if (!needTool(t, f.cc) || !needTool(t, 'llvm-dwarfdump')) return;
    const bin = build(f.cc, f.flags, f.name);
    const dw = Dwarf.fromFile(bin);
    assert.ok(dw, 'the binary has DWARF');
    const dies = dump(bin);
    assert.ok(dies.length > 100, `llvm-dwarfdump listed ${dies.length} DIEs`);
    const children = new Map<number, number[]>();
    let compared = 0;
    for (const d of dies) {
      const ours = dw.dieAt(d.offset);
      assert.ok(ours, `a DIE at 0x${d.offset.toString(16)}`);
      const tagNumber = (DW_TAG as Record<string, number>)[d.tag];
      if (tagNumber !== undefined) assert.equal(ours.tag, tagNumber, `tag of 0x${d.offset.toString(16)}`);
      if (d.attrs.has('name')) assert.equal(dw.str(ours, DW_AT.name, false), quoted(d.attrs.get('name')), `name at 0x${d.offset.toString(16)}`);
      const type = d.attrs.get('type');
      if (type !== undefined) {
        const target = /^0x([0-9a-f]+)/.exec(type);
        assert.equal(dw.ref(ours)?.offset, parseInt(target![1], 16), `type of 0x${d.offset.toString(16)}`);
      }
      const size = d.attrs.get('byte_size');
      if (size !== undefined) assert.equal(dw.num(ours, DW_AT.byte_size, false), Number(size), `byte_size at 0x${d.offset.toString(16)}`);
      const loc = d.attrs.get('data_member_location');
      if (loc !== undefined && /^0x[0-9a-f]+$/.test(loc)) assert.equal(dw.memberOffset(ours), Number(loc), `member offset at 0x${d.offset.toString(16)}`);
      const upper = d.attrs.get('upper_bound');
      if (upper !== undefined) assert.equal(dw.subrangeCount(ours), Number(upper) + 1);
      const count = d.attrs.get('count');
      if (count !== undefined) assert.equal(dw.subrangeCount(ours), Number(count));
      const low = d.attrs.get('low_pc');
      if (low !== undefined && d.tag === 'subprogram') assert.equal(dw.address(ours, DW_AT.low_pc), Number(low));
      if (d.parent !== undefined) children.set(d.parent, [...(children.get(d.parent) ?? []), d.offset]);
      compared++;
    }
    // Children (with subtrees skipped through DW_AT_sibling or by walking them) as the dump nests them.
    for (const [parent, kids] of children) {
      assert.deepEqual(dw.children(dw.dieAt(parent)!).map((c) => c.offset), kids, `children of 0x${parent.toString(16)}`);
    }
    assert.ok(compared === dies.length);
  });
}

test('function parameters, struct members and arrays, as the source declares them', (t) => {
  if (!needTool(t, 'cc')) return;
  const bin = build('cc', ['-g'], 'lookups');
  const dw = Dwarf.fromFile(bin)!;
  const fn = dw.findFunction('f_ptrs');
  assert.ok(fn);
  const params = dw.params(fn);
  assert.deepEqual(params.map((p) => p.name), ['v', 'cv', 'cs', 'pc', 'pp', 'vp']);
  assert.equal(params[0].type?.tag, DW_TAG.pointer_type);
  assert.equal(dw.ref(params[0].type!), undefined, 'void * has no pointee type');
  assert.equal(params[3].type?.tag, DW_TAG.const_type);
  assert.deepEqual(dw.params(dw.findFunction('main')!).map((p) => p.name), ['argc', 'argv']);
  assert.deepEqual(dw.params(dw.findFunction('f_void')!), []);
  assert.equal(dw.findFunction('no_such_function'), undefined);

  const outer = dw.findType(DW_TAG.structure_type, 'Outer')!;
  assert.equal(dw.num(outer, DW_AT.byte_size), 112);
  const members = dw.children(outer).filter((m) => m.tag === DW_TAG.member);
  const byName = new Map(members.map((m) => [dw.name(m), m] as const));
  assert.equal(dw.memberOffset(byName.get('id')!), 0);
  assert.equal(dw.memberOffset(byName.get('in')!), 8);
  assert.equal(dw.memberOffset(byName.get('grid')!), 24);
  assert.equal(dw.memberOffset(byName.get('name')!), 48);
  const grid = dw.ref(byName.get('grid')!)!;
  assert.equal(grid.tag, DW_TAG.array_type);
  assert.deepEqual(dw.children(grid).map((s) => dw.subrangeCount(s)), [2, 3]);
  const counter = dw.ref(byName.get('count')!)!;
  assert.equal(dw.name(counter), 'counter_t');
  assert.equal(dw.name(dw.peel(counter)), 'long unsigned int');
  assert.equal(dw.byteSize(counter), 8);
  const bits = dw.findType(DW_TAG.structure_type, 'Bits')!;
  const b = dw.children(bits).find((m) => dw.name(m) === 'b')!;
  assert.equal(dw.num(b, DW_AT.bit_size), 5);
  assert.equal(dw.num(b, DW_AT.data_bit_offset), 3);
  assert.equal(dw.findType(DW_TAG.union_type, 'Num')?.tag, DW_TAG.union_type);
  assert.equal(dw.findType(DW_TAG.enumeration_type, 'Color')?.tag, DW_TAG.enumeration_type);
});

test('a binary without debugging information has no DWARF', (t) => {
  if (!needTool(t, 'cc')) return;
  const bin = build('cc', ['-g0', '-s'], 'stripped');
  assert.equal(Dwarf.fromFile(bin), undefined);
});

// A small deterministic generator, so a failure reproduces.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function walkAll(dw: Dwarf): number {
  let n = 0;
  for (const cu of dw.units()) {
    const stack: { die: DwarfDie; depth: number }[] = [{ die: dw.unitDie(cu), depth: 0 }];
    while (stack.length) {
      const { die, depth } = stack.pop()!;
      n++;
      dw.name(die);
      dw.ref(die);
      dw.memberOffset(die);
      if (depth < 64) for (const c of dw.children(die)) stack.push({ die: c, depth: depth + 1 });
    }
  }
  for (const fn of ['main', 'f_ints', 'f_outer']) {
    const f = dw.findFunction(fn);
    if (f) for (const p of dw.params(f)) if (p.type) dw.peel(p.type);
  }
  return n;
}

test('damaged .debug_info/.debug_abbrev/.debug_str end in ParseError, never another error or a hang', (t) => {
  if (!needTool(t, 'cc')) return;
  const bin = build('cc', ['-g'], 'fuzz');
  const pristine = new Uint8Array(readFileSync(bin));
  const elf = ElfFile.parse(pristine, bin);
  const targets = ['.debug_info', '.debug_abbrev', '.debug_str', '.debug_line_str'].map((n) => elf.sectionByName(n)).filter((s) => s !== undefined);
  assert.ok(targets.length >= 3);
  assert.ok(walkAll(Dwarf.fromElf(elf)!) > 100, 'the undamaged file walks');
  const random = rng(7);
  let parseErrors = 0;
  for (let i = 0; i < 300; i++) {
    const buf = pristine.slice();
    const sec = targets[Math.floor(random() * targets.length)];
    const flips = 1 + Math.floor(random() * 8);
    for (let k = 0; k < flips; k++) buf[sec.offset + Math.floor(random() * sec.size)] = Math.floor(random() * 256);
    try {
      const dw = Dwarf.fromElf(ElfFile.parse(buf, bin));
      if (dw) walkAll(dw);
    } catch (e) {
      assert.ok(e instanceof ParseError, `case ${i}: ${(e as Error).stack}`);
      parseErrors++;
    }
  }
  assert.ok(parseErrors > 0, 'some damage was detected');
});

test('a truncated .debug_info is reported with the offset', (t) => {
  if (!needTool(t, 'cc')) return;
  const bin = build('cc', ['-g'], 'truncated');
  const buf = new Uint8Array(readFileSync(bin));
  const elf = ElfFile.parse(buf, bin);
  const info = elf.sectionByName('.debug_info')!;
  // Claim a unit longer than the section.
  const dv = new DataView(buf.buffer, buf.byteOffset + info.offset, 4);
  dv.setUint32(0, info.size + 100, true);
  const dw = Dwarf.fromElf(ElfFile.parse(buf, bin))!;
  assert.throws(() => dw.units(), (e: unknown) => e instanceof ParseError && /\.debug_info\+0x0: unit length/.test(e.message));
});

// DWARF types as the tracing language sees them (bpftrace 0.17's dwarf_parser.cpp rules): integer
// widths and signs, pointers, char arrays as strings, struct layouts with nested structs, bitfields,
// anonymous members and self-reference, and parameter registers; checked against the C source of
// test/fixtures/bpftrace-testprogs/dwarf_types.c compiled by gcc and clang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir, needTool } from '../../helpers/env.js';
import { Dwarf } from '../../../src/symbols/dwarf.js';
import { DwarfTypes } from '../../../src/trace/dwarf-types.js';
import { StructRegistry } from '../../../src/trace/structs.js';
import type { SizedType } from '../../../src/trace/types.js';

const SOURCE = join(fixturesDir, 'bpftrace-testprogs', 'dwarf_types.c');

function setup(cc: string): { types: DwarfTypes; structs: StructRegistry } {
  const out = join(mkdtempSync(join(tmpdir(), 'bpfkit-dwarf-types-')), 'dwarf_types');
  execFileSync(cc, ['-g', '-O0', '-o', out, SOURCE]);
  const types = new DwarfTypes(Dwarf.fromFile(out)!);
  const structs = new StructRegistry();
  structs.addDwarf(out, () => types);
  return { types, structs };
}

const brief = (t: SizedType): string =>
  t.type === 'integer' ? `${t.signed ? 's' : 'u'}${t.bits}` : t.type === 'pointer' ? `*${brief(t.elem!)}` : t.type === 'array' ? `${brief(t.elem!)}[${t.count}]` : t.type === 'string' ? `string[${t.size}]` : t.type === 'record' ? t.name! : t.type;

for (const cc of ['gcc', 'clang']) {
  test(`parameters and their registers (${cc})`, (t) => {
    if (!needTool(t, cc)) return;
    const { types, structs } = setup(cc);
    const lookup = (n: string) => structs.lookup(n);
    const ints = types.args('f_ints', lookup);
    assert.deepEqual([...ints].map(([n, ty]) => `${n}:${brief(ty)}:${ty.funcargIdx}`), ['c:s8:0', 'sc:s8:1', 'uc:u8:2', 's:s16:3', 'us:u16:4', 'i:s32:5']);
    const longs = types.args('f_longs', lookup);
    assert.deepEqual([...longs].map(([n, ty]) => `${n}:${brief(ty)}`), ['u:u32', 'l:s64', 'ul:u64', 'll:s64', 'ull:u64', 'i64:s64']);
    const misc = types.args('f_misc', lookup);
    assert.deepEqual([...misc].map(([n, ty]) => `${n}:${brief(ty)}`), ['n:u64', 'col:u32', 'u:*union Num', 'b:u8', 'd:none', 'fl:none']);
    assert.equal(types.args('f_seven', lookup).get('a7')?.funcargIdx, 6);
    assert.deepEqual(types.paramList('main'), ['int argc', 'char** argv']);
    assert.deepEqual(types.paramList('f_ptrs'), ['void* v', 'const <unknown type>* cv', 'const char* cs', 'char* const pc', 'int** pp', '<unknown type>* vp']);
  });

  test(`struct layouts (${cc})`, (t) => {
    if (!needTool(t, cc)) return;
    const { structs } = setup(cc);
    const outer = structs.lookup('struct Outer')!;
    assert.equal(outer.size, 112);
    const f = (name: string) => outer.fields.find((x) => x.name === name)!;
    assert.equal(f('id').offset, 0);
    assert.equal(brief(f('in').type), 'struct Inner');
    assert.equal(f('in').type.struct?.size, 4);
    // bpftrace wraps subranges in order: int[2][3] reads as three arrays of two.
    assert.equal(brief(f('grid').type), 's32[2][3]');
    assert.equal(f('grid').type.size, 24);
    assert.equal(brief(f('name').type), 'string[16]');
    assert.equal(brief(f('label').type), '*s8');
    assert.equal(brief(f('pin').type), '*struct Inner');
    assert.equal(brief(f('color').type), 'u32');
    assert.equal(brief(f('ratio').type), 'none');
    const bits = structs.lookup('struct Bits')!;
    assert.deepEqual(bits.fields.map((x) => [x.name, x.offset, x.bitfield?.bitOffset, x.bitfield?.bitSize]), [['a', 0, 0, 3], ['b', 0, 3, 5], ['c', 4, undefined, undefined]]);
    const wa = structs.lookup('struct WithAnon')!;
    assert.deepEqual(wa.fields.map((x) => [x.name, x.offset]), [['before', 0], ['anon', 4], ['i', 12], ['c', 12]]);
    assert.deepEqual(wa.fields[1].type.struct?.fields.map((x) => [x.name, x.offset]), [['x', 0], ['y', 4]]);
    const num = structs.lookup('union Num')!;
    assert.deepEqual(num.fields.map((x) => [x.name, x.offset]), [['i', 0], ['l', 0], ['c', 0]]);
    assert.equal(structs.lookup('struct NoSuchThing'), undefined);
  });
}

test('a script definition wins over the DWARF struct of the same name', (t) => {
  if (!needTool(t, 'cc')) return;
  const { structs } = setup('cc');
  structs.addDefinition('struct Inner { long only; }');
  assert.deepEqual(structs.lookup('struct Inner')!.fields.map((x) => x.name), ['only']);
});

// The BTF a collection sends to the kernel is sanitised for the features it is told are missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf } from '../../../src/btf/btf.js';
import { btfForKernel } from '../../../src/btf-features.js';
import { CollectionSpec } from '../../../src/elf/collection.js';
import type { BtfType } from '../../../src/btf/types.js';
import { fixturesDir } from '../../helpers/env.js';

/** Kinds present in raw BTF, read back from the bytes that would be sent. */
function kindsIn(raw: Uint8Array): Set<string> {
  return new Set(Btf.fromBuffer(raw).types.map((t) => t.kind));
}

const every: BtfType[] = [
  { id: 0, kind: 'void', name: '' },
  { id: 1, kind: 'int', name: 'int', size: 4, bits: 32, offset: 0, signed: true, char: false, bool: false },
  { id: 2, kind: 'var', name: 'x', type: 1, linkage: 1 },
  { id: 3, kind: 'datasec', name: '.data', size: 4, vars: [{ type: 2, offset: 0, size: 4 }] },
  { id: 4, kind: 'decl_tag', name: 'tag', type: 2, componentIdx: -1 },
  { id: 5, kind: 'type_tag', name: 'user', type: 1 },
  { id: 6, kind: 'ptr', name: '', type: 5 },
  { id: 7, kind: 'float', name: 'float', size: 4 },
  { id: 8, kind: 'enum64', name: 'big', size: 8, signed: false, values: [{ name: 'B', value: 1n << 40n }] },
  { id: 9, kind: 'func_proto', name: '', returnType: 1, params: [{ name: 'a', type: 6 }] },
  { id: 10, kind: 'func', name: 'f', type: 9, linkage: 1 },
];

test('each missing feature removes exactly its kinds from the BTF sent', () => {
  const b = new Btf(every);
  const all = kindsIn(btfForKernel(b, {}).raw);
  for (const k of ['decl_tag', 'type_tag', 'float', 'enum64', 'var', 'datasec', 'func', 'func_proto']) assert.ok(all.has(k), k);
  const cases: [keyof Parameters<typeof btfForKernel>[1], string[]][] = [
    ['declTag', ['decl_tag']],
    ['typeTag', ['type_tag']],
    ['float', ['float']],
    ['enum64', ['enum64']],
    ['datasec', ['var', 'datasec']],
    ['func', ['func', 'func_proto']],
  ];
  for (const [feature, gone] of cases) {
    const { btf, raw } = btfForKernel(b, { [feature]: false });
    const kinds = kindsIn(raw);
    for (const k of gone) assert.ok(!kinds.has(k), `without ${feature}: ${k} still sent`);
    for (const k of all) if (!gone.includes(k)) assert.ok(kinds.has(k), `without ${feature}: ${k} lost`);
    assert.ok(btf.typeCount >= b.typeCount, 'ids are kept');
  }
  // global functions become static without funcGlobal
  const f = Btf.fromBuffer(btfForKernel(b, { funcGlobal: false }).raw).type(10);
  assert.ok(f.kind === 'func' && f.linkage === 0);
});

test('an object\'s BTF: with every feature missing, only pre-5.0 kinds are sent', () => {
  const spec = CollectionSpec.fromFile(`${fixturesDir}bpf/build/ksyms.bpf.o`);
  const none = { func: false, funcGlobal: false, datasec: false, qmarkDatasec: false, float: false, declTag: false, typeTag: false, enum64: false };
  const kinds = kindsIn(btfForKernel(spec.btf!, none).raw);
  for (const k of kinds) assert.ok(['void', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const', 'restrict'].includes(k), k);
  // nothing missing: the BTF is sent as parsed
  assert.equal(btfForKernel(spec.btf!, {}).btf, spec.btf);
});

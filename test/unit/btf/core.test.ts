// CO-RE relocation against hand-built target BTF whose layout is known by construction.
import { fixturesDir } from '../../helpers/env.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CollectionSpec } from '../../../src/elf/collection.js';
import { Btf } from '../../../src/btf/btf.js';
import type { BtfType, BtfTypeOf } from '../../../src/btf/types.js';
import type { CoreRelo } from '../../../src/btf/ext.js';
import {
  computeCoreRelo, CORE_POISON_HELPER_ID, essentialName, patchCoreInsn, typesMatch, applyCoreRelocations,
} from '../../../src/btf/core.js';
import { ParseError } from '../../../src/sys/errors.js';

const spec = CollectionSpec.fromFile(`${fixturesDir}bpf/build/core.bpf.o`);
const local = spec.btf!;
const prog = spec.programs.handle_exec;

const int = (id: number, name: string, size: number, signed: boolean): BtfType => ({ id, kind: 'int', name, size, bits: size * 8, offset: 0, signed, char: false, bool: false });
const mem = (name: string, type: number, byteOff: number, bitExtra = 0, bitfieldSize = 0) => ({ name, type, bitOffset: byteOff * 8 + bitExtra, bitfieldSize });

/** A kernel-like target: task_struct laid out differently, `state` inside an anonymous union. */
function target(opts: { withState?: boolean; withPid?: boolean } = {}): Btf {
  const { withState = true, withPid = true } = opts;
  const members = [
    mem('', 5, 0),
    mem('comm', 3, 8),
    mem('tgid', 1, 24),
    mem('real_parent', 6, 32),
    ...(withPid ? [mem('pid', 1, 40)] : []),
    mem('sched_reset_on_fork', 7, 44, 3, 1),
  ];
  return new Btf([
    { id: 0, kind: 'void', name: '' },
    int(1, 'int', 4, true),
    int(2, 'char', 1, true),
    { id: 3, kind: 'array', name: '', type: 2, indexType: 1, nelems: 16 },
    { id: 4, kind: 'struct', name: 'task_struct', size: 64, members },
    { id: 5, kind: 'union', name: '', size: 8, members: withState ? [mem('state', 8, 0)] : [mem('other', 8, 0)] },
    { id: 6, kind: 'ptr', name: '', type: 4 },
    int(7, 'unsigned int', 4, false),
    int(8, 'long', 8, true),
    { id: 9, kind: 'enum', name: 'pid_type', size: 4, signed: false, values: [{ name: 'PIDTYPE_PID', value: 0n }, { name: 'PIDTYPE_TGID', value: 1n }] },
    { id: 10, kind: 'enum', name: 'bpf_map_type', size: 4, signed: false, values: [{ name: 'BPF_MAP_TYPE_RINGBUF', value: 99n }] },
  ]);
}

/** 'kind type.member' for a relocation, from the local BTF (the member named by the last accessor). */
function describe(r: CoreRelo): string {
  const t = local.type(r.typeId);
  const parts = r.accessStr.split(':').map(Number);
  if (r.kind.startsWith('enumval')) return `${r.kind} ${t.name}::${(t as BtfTypeOf<'enum'>).values[parts[0]].name}`;
  if (r.kind.startsWith('type')) return `${r.kind} ${t.name}`;
  let cur = local.resolveType(r.typeId);
  let last = '';
  for (const i of parts.slice(1)) {
    if (cur.kind === 'struct' || cur.kind === 'union') {
      last = cur.members[i].name || last;
      cur = local.resolveType(cur.members[i].type);
    }
  }
  return `${r.kind} ${t.name}.${last}`;
}

function results(tgt: Btf): Map<string, { poison: boolean; value: bigint }[]> {
  const m = new Map<string, { poison: boolean; value: bigint }[]>();
  for (const r of prog.coreRelos) {
    const res = computeCoreRelo(local, r, tgt);
    const k = describe(r);
    m.set(k, [...(m.get(k) ?? []), { poison: res.poison, value: res.newValue }]);
  }
  return m;
}

test('essential names drop the last ___flavour', () => {
  assert.equal(essentialName('task_struct___old'), 'task_struct');
  assert.equal(essentialName('a___b___c'), 'a___b');
  assert.equal(essentialName('task_struct'), 'task_struct');
  assert.equal(essentialName('__u32'), '__u32');
  assert.equal(essentialName('a____b'), 'a____b'); // four underscores: not a flavour separator
});

test('field, type and enum relocations resolve to the target layout', () => {
  const r = results(target());
  const v = (k: string) => {
    const l = r.get(k);
    assert.ok(l, `no relocation ${k}; have ${[...r.keys()].join(', ')}`);
    assert.ok(l.every((x) => !x.poison), `${k} poisoned`);
    return l[0].value;
  };
  assert.equal(v('field_byte_offset task_struct.pid'), 40n);
  assert.equal(v('field_byte_offset task_struct.real_parent'), 32n);
  assert.equal(v('field_byte_offset task_struct.tgid'), 24n);
  assert.equal(v('field_byte_offset task_struct.comm'), 8n);
  assert.equal(v('field_byte_size task_struct.comm'), 16n);
  assert.equal(v('field_exists task_struct.pid'), 1n);
  // the flavoured local type matches task_struct; `state` is found inside the anonymous union
  assert.equal(v('field_exists task_struct___old.state'), 1n);
  assert.equal(v('field_signed task_struct.pid'), 1n);
  assert.equal(v('type_exists task_struct'), 1n);
  assert.equal(v('type_size task_struct'), 64n);
  assert.equal(v('type_id_target task_struct'), 4n);
  assert.equal(v('type_id_local task_struct'), BigInt(local.find('task_struct', 'struct')!.id));
  assert.equal(v('enumval_exists pid_type___local::PIDTYPE_TGID___local'), 1n);
  assert.equal(v('enumval_value bpf_map_type___x::BPF_MAP_TYPE_RINGBUF___x'), 99n);
  // bitfield at bit 355, 1 bit wide, in a 4-byte unsigned int: load 4 bytes at 44
  assert.equal(v('field_byte_offset task_struct.sched_reset_on_fork'), 44n);
  assert.equal(v('field_byte_size task_struct.sched_reset_on_fork'), 4n);
  assert.equal(v('field_lshift_u64 task_struct.sched_reset_on_fork'), BigInt(64 - (355 + 1 - 44 * 8)));
  assert.equal(v('field_rshift_u64 task_struct.sched_reset_on_fork'), 63n);
  assert.equal(v('field_signed task_struct.sched_reset_on_fork'), 0n);
});

test('missing fields: existence is 0, offsets are poisoned', () => {
  const r = results(target({ withState: false, withPid: false }));
  assert.deepEqual(r.get('field_exists task_struct___old.state'), [{ poison: false, value: 0n }]);
  assert.ok(r.get('field_byte_offset task_struct.pid')!.every((x) => x.poison));
  assert.deepEqual(r.get('field_exists task_struct.pid'), [{ poison: false, value: 0n }]);
});

test('no candidate: type relocations give 0, enum value is poisoned', () => {
  const empty = new Btf([{ id: 0, kind: 'void', name: '' }, int(1, 'int', 4, true)]);
  const r = results(empty);
  assert.deepEqual(r.get('type_exists task_struct'), [{ poison: false, value: 0n }]);
  assert.deepEqual(r.get('type_size task_struct'), [{ poison: false, value: 0n }]);
  assert.deepEqual(r.get('enumval_exists pid_type___local::PIDTYPE_TGID___local'), [{ poison: false, value: 0n }]);
  assert.ok(r.get('enumval_value bpf_map_type___x::BPF_MAP_TYPE_RINGBUF___x')!.every((x) => x.poison));
});

test('two candidates that disagree on an offset are an error', () => {
  const t = target();
  const second: BtfType = { id: 11, kind: 'struct', name: 'task_struct___v2', size: 8, members: [mem('pid', 1, 0)] };
  const amb = new Btf([...t.types, second]);
  const r = prog.coreRelos.find((x) => describe(x) === 'field_byte_offset task_struct.pid')!;
  assert.throws(() => computeCoreRelo(local, r, amb), ParseError);
});

test('type_matches is stricter than compatibility', () => {
  const tgt = target();
  const lt = local.find('task_struct', 'struct')!.id;
  // local task_struct has a member `pid` etc.; target matches by names and kinds
  assert.equal(typesMatch(local, lt, tgt, 4), true);
  const other = new Btf([{ id: 0, kind: 'void', name: '' }, int(1, 'int', 4, true), { id: 2, kind: 'struct', name: 'task_struct', size: 4, members: [mem('pid', 1, 0)] }]);
  assert.equal(typesMatch(local, lt, other, 2), false);
});

test('patching: ALU immediates, poison as call 0xbad2310 (both halves of ld_imm64)', () => {
  const insns = Buffer.from(prog.instructions);
  const res = applyCoreRelocations(insns, prog.coreRelos, local, target({ withPid: false }));
  const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  prog.coreRelos.forEach((r, i) => {
    const at = r.insnOff * 8;
    if (res[i].poison) {
      assert.equal(insns[at], 0x85);
      assert.equal(dv.getInt32(at + 4, true), CORE_POISON_HELPER_ID);
    } else if ((insns[at] & 7) === 7 || (insns[at] & 7) === 4) {
      assert.equal(BigInt(dv.getInt32(at + 4, true)), res[i].newValue, describe(r));
    } else if (insns[at] === 0x18) {
      assert.equal(BigInt(dv.getUint32(at + 4, true)), res[i].newValue & 0xffffffffn, describe(r));
    }
  });
  assert.ok(res.some((x) => x.poison));
  // an ld_imm64 poison covers both slots
  const ld = Buffer.from([0x18, 0x01, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  patchCoreInsn(ld, 0, { poison: true, origValue: 0n, newValue: 0n, validate: false, origSize: 0, newSize: 0, failMemszAdjust: false, target: undefined });
  assert.equal(ld[0], 0x85);
  assert.equal(ld[8], 0x85);
  assert.equal(ld.readInt32LE(12), CORE_POISON_HELPER_ID);
});

test('patching: LDX offsets, with validation of the expected old value', () => {
  // r0 = *(u32 *)(r1 + 4)
  const ldx = Buffer.from([0x61, 0x10, 4, 0, 0, 0, 0, 0]);
  const res = { poison: false, origValue: 4n, newValue: 1268n, validate: true, origSize: 4, newSize: 4, failMemszAdjust: false, target: undefined };
  patchCoreInsn(ldx, 0, res);
  assert.equal(ldx.readInt16LE(2), 1268);
  assert.throws(() => patchCoreInsn(ldx, 0, res), ParseError); // now carries 1268, not 4
  // size change allowed for unsigned: u32 load → u16 load
  const ldx2 = Buffer.from([0x61, 0x10, 4, 0, 0, 0, 0, 0]);
  patchCoreInsn(ldx2, 0, { ...res, newSize: 2 });
  assert.equal(ldx2[0], 0x69);
});

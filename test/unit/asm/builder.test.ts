import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ProgramBuilder, R0, R1, R2, R6, R10, assemble, disassemble, encode, helperId, validate } from '../../../src/asm/index.js';
import { decodeBtf } from '../../../src/btf/decode.js';
import { needFile } from '../../helpers/env.js';

test('builder: labels, map and helper references, resolved at link', () => {
  const b = new ProgramBuilder();
  b.mov64(R6, R1)
    .st(4, R10, -4, 0)
    .stackPointer(R2, -4)
    .ldMap(R1, 'counts')
    .call('map_lookup_elem')
    .jeq(R0, 0, 'out')
    .mov64(R1, 1)
    .atomic('add', 8, R0, 0, R1)
    .label('out')
    .ret(0);
  const insns = b.link({ maps: { counts: 42 } });
  // The same program written as text, by hand.
  const text = assemble(`
    r6 = r1
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[id:42]
    call bpf_map_lookup_elem#1
    if r0 == 0x0 goto pc+2
    r1 = 1
    lock *(u64 *)(r0 +0) += r1
    r0 = 0
    exit`);
  assert.ok(encode(insns).equals(encode(text)));
  assert.deepEqual(validate(insns), []);
  assert.equal(b.insns[4].ref?.kind, 'map', 'the builder keeps the symbolic form');
});

test('builder: jump offsets count slots (ld_imm64 is two), forward and backward', () => {
  const b = new ProgramBuilder();
  b.label('top').ldImm64(R1, 0x1122334455667788n).ja('end').ldImm64(R2, -1).jne(R1, R2, 'top').label('end').exit();
  const insns = b.link();
  assert.equal(insns[1].off, 3);
  assert.equal(insns[3].off, -6);
  assert.match(disassemble(insns), /goto pc\+3\n.*\n.*goto pc-6/);
});

test('builder: bpf-to-bpf calls, subprog addresses, gotol and kfuncs', () => {
  const b = new ProgramBuilder();
  b.callLocal('f').ldFunc(R2, 'f').gotol('f').kfunc('bpf_rcu_read_lock').exit().label('f').ret(1);
  const insns = b.link({ kfuncs: { bpf_rcu_read_lock: 777 } });
  assert.deepEqual(insns.map((i) => [i.src, i.imm]).slice(0, 4), [[1, 5], [4, 4], [0, 2], [2, 777]]);
  assert.throws(() => new ProgramBuilder().kfunc('nope').link(), /no BTF id for kfunc 'nope'/);
  const partial = new ProgramBuilder().ldMap(R1, 'later').exit().link({ partial: true });
  assert.deepEqual(partial[0].ref, { kind: 'map', name: 'later' });
});

test('builder: misuse is caught', () => {
  assert.throws(() => new ProgramBuilder().mov64(11, 0), /register r0..r10/);
  assert.throws(() => new ProgramBuilder().mov64(R0, 2 ** 33), /32 bits/);
  assert.throws(() => new ProgramBuilder().ja('x').exit().link(), /undefined label 'x'/);
  assert.throws(() => new ProgramBuilder().label('a').label('a'), /defined twice/);
  assert.throws(() => new ProgramBuilder().call('not_a_helper').link(), /unknown helper/);
  const far = new ProgramBuilder().ja('end');
  for (let i = 0; i < 40000; i++) far.mov64(R0, 0);
  far.label('end').exit();
  assert.throws(() => far.link(), /beyond a 16-bit offset \(use gotol\)/);
});

test("helper ids match this kernel's enum bpf_func_id in /sys/kernel/btf/vmlinux", (t) => {
  const path = '/sys/kernel/btf/vmlinux';
  if (!needFile(t, path)) return;
  const btf = decodeBtf(readFileSync(path), { file: path });
  const e = btf.types.find((x) => (x.kind === 'enum' || x.kind === 'enum64') && x.name === 'bpf_func_id');
  assert.ok(e && (e.kind === 'enum' || e.kind === 'enum64'));
  let n = 0;
  for (const v of e.values) {
    if (!v.name.startsWith('BPF_FUNC_') || v.name === 'BPF_FUNC_unspec') continue;
    const name = v.name.slice('BPF_FUNC_'.length);
    assert.equal(helperId(name), Number(v.value), name);
    assert.equal(helperId(`bpf_${name}`), Number(v.value), name);
    n++;
  }
  assert.ok(n > 200, `only ${n} helpers in BTF`);
  assert.equal(helperId('constructor'), undefined);
});

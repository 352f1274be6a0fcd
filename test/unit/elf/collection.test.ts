// The fixture objects parse into the spec their C sources describe.
import { fixturesDir } from '../../helpers/env.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CollectionSpec, internalMapName, objectName, type ProgramSpec } from '../../../src/elf/collection.js';
import { ElfFile } from '../../../src/elf/reader.js';
import { insnCode, insnImm, insnSrcReg, OP_CALL, OP_LD_IMM64 } from '../../../src/elf/insn.js';
import { ParseError } from '../../../src/sys/errors.js';

const dir = `${fixturesDir}bpf/`;
const obj = (n: string) => `${dir}build/${n}.bpf.o`;
const load = (n: string) => CollectionSpec.fromFile(obj(n));
const source = (n: string) => readFileSync(`${dir}${n}.bpf.c`, 'utf8');

/** Every bpf-to-bpf call lands on the first instruction of a placed function. */
function assertCallsLinked(p: ProgramSpec) {
  const starts = new Map(p.functions.map((f) => [f.insnOff, f.name]));
  const n = p.instructions.length / 8;
  for (let i = 0; i < n; i++) {
    const code = insnCode(p.instructions, i);
    if (code === OP_CALL && insnSrcReg(p.instructions, i) === 1) {
      const target = i + insnImm(p.instructions, i) + 1;
      assert.ok(starts.has(target), `${p.name}: call at ${i} lands on ${target}, not a function start`);
    }
    if (code === OP_LD_IMM64) i++;
  }
}

test('chapter 2 hello world: tracepoint program, license, printk format in .rodata', () => {
  const s = load('hello');
  assert.deepEqual(Object.keys(s.programs), ['hello']);
  const p = s.programs.hello;
  assert.equal(p.sectionName, 'tracepoint/syscalls/sys_enter_execve');
  assert.equal(p.type, 'tracepoint');
  assert.equal(p.attachTo, 'syscalls/sys_enter_execve');
  assert.equal(s.license, 'GPL');
  assert.equal(p.license, 'GPL');
  const ro = s.maps['.rodata'];
  assert.equal(ro.internal, 'rodata');
  assert.ok(ro.data!.toString('latin1').startsWith('Hello, BPF World!'));
  assert.equal(ro.kernelName, 'hello.rodata');
  assert.deepEqual(p.references.map((r) => r.kind), ['map_value']);
  // the reference is the ld_imm64 loading the format string address
  assert.equal(insnCode(p.instructions, p.references[0].insn), OP_LD_IMM64);
  // line info points into the C source
  assert.ok(p.lineInfo.length > 0);
  for (const li of p.lineInfo) assert.ok(source('hello').split('\n')[li.line - 1].includes(li.lineText.trim()), li.lineText);
});

test('chapter 3 maps: legacy bpf_map_def and BTF-defined maps', () => {
  const s = load('maps');
  assert.equal(s.kernelVersion, 0x060000);
  const m = s.maps;
  assert.equal(m.legacy_counts.section, 'maps');
  assert.deepEqual([m.legacy_counts.type, m.legacy_counts.keySize, m.legacy_counts.valueSize, m.legacy_counts.maxEntries], ['hash', 4, 8, 128]);
  assert.deepEqual([m.legacy_array.type, m.legacy_array.keySize, m.legacy_array.valueSize, m.legacy_array.maxEntries], ['array', 4, 8, 4]);
  // struct event { int pid; char comm[16]; } is 20 bytes
  assert.deepEqual([m.btf_events.type, m.btf_events.keySize, m.btf_events.valueSize, m.btf_events.maxEntries, m.btf_events.flags], ['hash', 4, 20, 1024, 1]);
  assert.equal(s.btf!.type(m.btf_events.valueTypeId!).name, 'event');
  assert.equal(m.pinned_array.pinning, 'by_name');
  assert.deepEqual([m.pinned_array.keySize, m.pinned_array.valueSize, m.pinned_array.maxEntries], [4, 8, 16]);
  assert.equal(m.percpu.type, 'percpu_array');
  assert.equal(m.outer.type, 'array_of_maps');
  assert.equal(m.outer.valueSize, 4);
  assert.deepEqual(m.outer.innerMap && [m.outer.innerMap.type, m.outer.innerMap.maxEntries], ['array', 2]);
  assert.deepEqual(m.outer.contents, [{ key: 0, value: 'inner1' }, { key: 2, value: 'inner2' }]);
  const cp = s.programs.count_packets;
  assert.equal(cp.type, 'socket_filter');
  assert.deepEqual(cp.references.map((r) => r.kind === 'map' && r.map), ['legacy_counts', 'legacy_counts', 'legacy_array', 'percpu', 'outer']);
  const rec = s.programs.record;
  assert.deepEqual(rec.references.map((r) => r.kind === 'map' && r.map), ['btf_events', 'pinned_array']);
  for (const r of cp.references) assert.equal(insnCode(cp.instructions, r.insn), OP_LD_IMM64);
  for (const r of rec.references) assert.equal(insnCode(rec.instructions, r.insn), OP_LD_IMM64);
});

test('globals in every data section, with variables at their C offsets', () => {
  const s = load('globals');
  assert.equal(s.license, 'Dual BSD/GPL');
  const kinds = Object.fromEntries(Object.values(s.maps).map((m) => [m.name, m.internal]));
  assert.deepEqual(kinds, { '.data': 'data', '.rodata': 'rodata', '.data.foo': 'data', '.rodata.bar': 'rodata', '.bss': 'bss' });
  const v = s.variables;
  assert.deepEqual([v.counter.map, v.counter.offset, v.counter.size], ['.data', 0, 4]);
  assert.deepEqual([v.threshold.map, v.threshold.offset, v.threshold.readonly], ['.rodata', 0, true]);
  assert.deepEqual([v.greeting.map, v.greeting.offset, v.greeting.size], ['.rodata', 4, 8]);
  assert.deepEqual([v.total.map, v.total.offset, v.total.size], ['.bss', 0, 8]);
  assert.deepEqual([v.hits.map, v.hits.offset, v.hits.size], ['.bss', 8, 16]);
  assert.deepEqual([v.foo_value.map, v.bar_limit.map], ['.data.foo', '.rodata.bar']);
  // initial values from the C initialisers
  const d = s.maps['.data'].data!;
  assert.equal(d.readInt32LE(v.counter.offset), 7);
  assert.equal(s.maps['.rodata'].data!.readInt32LE(v.threshold.offset), 42);
  assert.equal(s.maps['.data.foo'].data!.readInt32LE(0), 99);
  assert.equal(s.maps['.rodata.bar'].data!.readUInt32LE(0), 5);
  assert.ok(s.maps['.bss'].data!.every((b) => b === 0));
  // read-only data is frozen for programs; all global data is mmapable
  assert.ok((s.maps['.rodata'].flags & 0x80) !== 0);
  assert.ok((s.maps['.data'].flags & 0x80) === 0);
  for (const m of Object.values(s.maps)) assert.ok((m.flags & 0x400) !== 0);
  // custom sections keep their own names, the standard ones get the object prefix
  assert.equal(s.maps['.data.foo'].kernelName, '.data.foo');
  assert.equal(s.maps['.bss'].kernelName, 'globals.bss');
  // every section is referenced by the program
  const used = new Set(s.programs.count_xdp.references.map((r) => r.kind === 'map_value' && r.map));
  for (const name of Object.keys(s.maps)) assert.ok(used.has(name), name);
  const hitsRef = s.programs.count_xdp.references.filter((r) => r.kind === 'map_value' && r.map === '.bss' && r.offset === v.hits.offset);
  assert.ok(hitsRef.length > 0);
  // DATASEC sizes filled in from the ELF sections
  const ds = s.btf!.find('.bss', 'datasec');
  assert.equal(ds?.kind === 'datasec' && ds.size, 24);
});

test('subprograms: static and global functions are appended and calls fixed up', () => {
  const s = load('subprogs');
  assert.deepEqual(Object.keys(s.programs).sort(), ['sock_sub', 'xdp_sub']);
  for (const p of Object.values(s.programs)) {
    assert.deepEqual(p.functions.map((f) => f.name), [p.name, 'add_result', 'square']);
    assert.deepEqual(p.functions.slice(1).map((f) => f.section), ['.text', '.text']);
    assertCallsLinked(p);
    // one func_info per function, at its start, in order
    assert.deepEqual(p.funcInfo.map((f) => f.insnOff), p.functions.map((f) => f.insnOff));
    assert.deepEqual(p.funcInfo.map((f) => s.btf!.type(f.typeId).name), p.functions.map((f) => f.name));
    // line info sorted and inside the program
    for (let i = 1; i < p.lineInfo.length; i++) assert.ok(p.lineInfo[i].insnOff >= p.lineInfo[i - 1].insnOff);
    assert.ok(p.lineInfo.every((l) => l.insnOff < p.instructions.length / 8));
    // the map reference of add_result is relocated into the appended copy
    const r = p.references.find((x) => x.kind === 'map');
    const add = p.functions[1];
    assert.ok(r && r.insn >= add.insnOff && r.insn < add.insnOff + add.insnCount);
  }
  // the entry function's bytes are the section's bytes, apart from call immediates
  const elf = ElfFile.parse(readFileSync(obj('subprogs')));
  const sec = elf.sectionByName('xdp')!;
  const p = s.programs.xdp_sub;
  for (let i = 0; i < sec.size / 8; i++) {
    const a = p.instructions.subarray(i * 8, i * 8 + 4);
    const b = sec.data.subarray(i * 8, i * 8 + 4);
    assert.deepEqual(a, b, `insn ${i}`);
  }
});

test('prog array of tail calls with declared initial slots', () => {
  const s = load('tailcall');
  assert.deepEqual(Object.keys(s.programs), ['tail_a', 'tail_b', 'entry']);
  for (const p of Object.values(s.programs)) assert.equal(p.type, 'xdp');
  const jt = s.maps.jump_table;
  assert.equal(jt.type, 'prog_array');
  assert.deepEqual([jt.keySize, jt.valueSize, jt.maxEntries], [4, 4, 4]);
  assert.deepEqual(jt.contents, [{ key: 0, value: 'tail_a' }, { key: 3, value: 'tail_b' }]);
  assert.ok(s.programs.entry.references.some((r) => r.kind === 'map' && r.map === 'jump_table'));
});

test('CO-RE program: relocation records per program', () => {
  const s = load('core');
  const p = s.programs.handle_exec;
  assert.equal(p.type, 'tracepoint');
  assert.equal(s.maps.events.type, 'ringbuf');
  const kinds = new Set(p.coreRelos.map((r) => r.kind));
  for (const k of ['field_byte_offset', 'field_byte_size', 'field_exists', 'field_signed', 'field_lshift_u64', 'field_rshift_u64',
    'type_id_local', 'type_id_target', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value']) {
    assert.ok(kinds.has(k as never), k);
  }
  const names = new Set(p.coreRelos.map((r) => s.btf!.type(r.typeId).name));
  assert.ok(names.has('task_struct') && names.has('task_struct___old') && names.has('pid_type___local'));
  assert.ok(p.coreRelos.every((r) => r.insnOff < p.instructions.length / 8));
});

test('out-of-bounds fixture parses (the verifier rejects it later) with line info for the access', () => {
  const s = load('oob');
  const p = s.programs.oob_read;
  assert.ok(p.lineInfo.some((l) => l.lineText.includes('+ 64')));
});

test('names: libbpf object and internal map naming', () => {
  assert.equal(objectName('/x/y/globals.bpf.o'), 'globals');
  assert.equal(objectName('a_very_long_object_name.o'), 'a_very_long_obj');
  assert.equal(internalMapName('my_object_name', '.rodata'), 'my_objec.rodata');
  assert.equal(internalMapName('my_object_name', '.bss'), 'my_objec.bss');
  assert.equal(internalMapName('my_object_name', '.kconfig'), 'my_obje.kconfig');
  assert.equal(internalMapName('my_object_name', '.rodata.abracadabra'), '.rodata.abracad');
});

test('malformed input gives ParseError', () => {
  assert.throws(() => CollectionSpec.fromBuffer(Buffer.from('not an elf file at all, definitely not'.repeat(3))), ParseError);
  assert.throws(() => CollectionSpec.fromBuffer(new Uint8Array(10)), ParseError);
  const buf = readFileSync(obj('hello'));
  assert.throws(() => CollectionSpec.fromBuffer(buf.subarray(0, 200)), ParseError);
});

test('big-endian object: same spec, values in its byte order', () => {
  const le = load('globals');
  const be = CollectionSpec.fromFile(`${dir}build/globals.bpfeb.o`);
  assert.equal(be.littleEndian, false);
  assert.deepEqual(Object.keys(be.programs), Object.keys(le.programs));
  assert.deepEqual(Object.keys(be.maps).sort(), Object.keys(le.maps).sort());
  assert.deepEqual(be.variables, le.variables);
  assert.equal(be.maps['.data'].data!.readInt32BE(be.variables.counter.offset), 7);
  assert.equal(be.maps['.rodata'].data!.readInt32BE(be.variables.threshold.offset), 42);
  assert.equal(be.programs.count_xdp.instructions.length, le.programs.count_xdp.instructions.length);
  assert.deepEqual(be.programs.count_xdp.references, le.programs.count_xdp.references);
  assert.equal(be.programs.count_xdp.lineInfo.length, le.programs.count_xdp.lineInfo.length);
});

// The pure parts of the bpftool-style CLI: JSON layout, the DATA grammar, option parsing,
// prefix matching, batch-file splitting, hex rows, BTF value printing and the CFG as DOT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { JsonWriter, quote } from '../../../src/cli/bpftool/json.js';
import { parseBytes, fprintHex } from '../../../src/cli/bpftool/hex.js';
import { Args, CliError, Ctx, isPrefix, parseCommandLine, select, type CommandTable } from '../../../src/cli/bpftool/core.js';
import { splitArgs, batchLines } from '../../../src/cli/batch.js';
import { dumpBtfValue, typeOnly } from '../../../src/cli/bpftool/btf-value.js';
import { xlatedToDot } from '../../../src/cli/bpftool/cfg.js';
import { Btf } from '../../../src/btf/btf.js';
import { assemble, encode, decode, formatInstruction } from '../../../src/asm/index.js';
import { peerDir } from '../../helpers/env.js';
import { parseDot } from './dot-check.js';

/** Writes a parsed JSON value back with our writer, the way bpftool's code emits it. */
function emit(jw: JsonWriter, v: unknown): void {
  if (Array.isArray(v)) {
    jw.startArray();
    v.forEach((x) => emit(jw, x));
    jw.endArray();
  } else if (v && typeof v === 'object') {
    jw.startObject();
    for (const [k, x] of Object.entries(v)) {
      jw.name(k);
      emit(jw, x);
    }
    jw.endObject();
  } else if (typeof v === 'string') jw.string(v);
  else jw.raw(JSON.stringify(v));
}

test('pretty JSON is laid out exactly as bpftool -p lays it out', () => {
  for (const f of ['map_show.json', 'prog_show.json', 'perf_show.json', 'map_dump_135.json']) {
    const theirs = readFileSync(`${peerDir}bpftool/live-7.1.0/${f}`, 'utf8');
    let out = '';
    emit(new JsonWriter((s) => (out += s), true), JSON.parse(theirs));
    assert.equal(`${out}\n`, theirs, f);
  }
  let compact = '';
  emit(new JsonWriter((s) => (compact += s)), { a: [1, 2], b: { c: 'x' } });
  assert.equal(compact, '{"a":[1,2],"b":{"c":"x"}}');
  assert.equal(quote('a\\b"\'\x01'), '"a\\\\b\\"\'\\u0001"');
});

test('DATA: decimal, 0x and octal bytes, the hex keyword, and the size error', () => {
  assert.deepEqual([...parseBytes(['1', '0x10', '010', '255'], 'key', 4).bytes], [1, 16, 8, 255]);
  assert.deepEqual([...parseBytes(['hex', 'ff', '10', '0a', '1'], 'value', 4).bytes], [255, 16, 10, 1]);
  assert.deepEqual([...parseBytes(['h', 'ff', '10', '0a', '1'], 'value', 4).bytes], [255, 16, 10, 1]);
  assert.equal(parseBytes(['1', '2', '3', '4', 'any'], 'key', 4).used, 4);
  assert.throws(() => parseBytes(['1', '0', '0'], 'value', 4), new CliError('value expected 4 bytes got 3'));
  assert.throws(() => parseBytes(['1', 'x'], 'key', 2), /error parsing byte: x/);
});

test('options anywhere (getopt permutes), combined short options, unknown options', () => {
  assert.deepEqual(parseCommandLine(['prog', 'show', '-j']).opts, { json: true });
  assert.deepEqual(parseCommandLine(['-jf', 'map', 'show']).opts, { json: true, showPinned: true });
  assert.deepEqual(parseCommandLine(['--pretty', 'x']).opts, { pretty: true, json: true });
  assert.deepEqual(parseCommandLine(['map', '--', '-1']).words, ['map', '-1']);
  assert.equal(parseCommandLine(['-z']).error, "unrecognized option '-z'");
});

test('command words match by prefix in table order; no command runs the first', async () => {
  const ran: string[] = [];
  const table: CommandTable = {
    object: 't',
    commands: [['show', () => (ran.push('show'), 0)], ['list', () => (ran.push('list'), 0)], ['pin', () => (ran.push('pin'), 0)]],
    help: () => (ran.push('help'), 0),
  };
  const ctx = new Ctx();
  for (const words of [['s'], ['l'], ['p'], [], ['zz']]) await select(ctx, table, new Args(words));
  assert.deepEqual(ran, ['show', 'list', 'pin', 'show', 'help']);
  assert.ok(isPrefix('', 'anything') && isPrefix('ma', 'map') && !isPrefix('mapx', 'map'));
  const args = new Args(['id']);
  assert.throws(() => args.next().next(), /usage/);
});

test('batch files: comments, continuation lines, quotes', () => {
  assert.deepEqual(batchLines('a b # c\nd \\\ne\n'), ['a b ', 'd e', '']);
  assert.deepEqual(splitArgs(`map create "/sys/fs/bpf/a b" name 'x y'`, 0), ['map', 'create', '/sys/fs/bpf/a b', 'name', 'x y']);
  assert.throws(() => splitArgs('a "b', 3), /unterminated quoted string in command 3/);
});

test('fprint_hex rows: 8 + 8 per line', () => {
  assert.equal(fprintHex(Buffer.from([...Array(18).keys()])), '00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f\n10 11');
});

test('BTF values as bpftool prints them: structs, strings, enums, bitfields, pointers', () => {
  const btf = new Btf([
    { id: 0, kind: 'void', name: '' },
    { id: 1, kind: 'int', name: 'unsigned int', size: 4, bits: 32, offset: 0, signed: false, char: false, bool: false },
    { id: 2, kind: 'int', name: 'char', size: 1, bits: 8, offset: 0, signed: true, char: false, bool: false },
    { id: 3, kind: 'array', name: '', type: 2, indexType: 1, nelems: 4 },
    { id: 4, kind: 'enum', name: 'e', size: 4, signed: false, values: [{ name: 'ONE', value: 1n }] },
    { id: 5, kind: 'ptr', name: '', type: 0 },
    { id: 6, kind: 'struct', name: 's', size: 24, members: [
      { name: 'a', type: 1, bitOffset: 0, bitfieldSize: 0 },
      { name: 'name', type: 3, bitOffset: 32, bitfieldSize: 0 },
      { name: 'kind', type: 4, bitOffset: 64, bitfieldSize: 0 },
      { name: 'bits', type: 1, bitOffset: 96, bitfieldSize: 3 },
      { name: 'p', type: 5, bitOffset: 128, bitfieldSize: 0 },
    ] },
    { id: 7, kind: 'func_proto', name: '', returnType: 1, params: [{ name: 'ctx', type: 5 }] },
    { id: 8, kind: 'func', name: 'prog', type: 7, linkage: 1 },
  ]);
  const data = Buffer.alloc(24);
  data.writeUInt32LE(7, 0);
  data.write('ab', 4);
  data.writeUInt32LE(1, 8);
  data[12] = 0b1101;
  data.writeBigUInt64LE(0x1234n, 16);
  let json = '';
  dumpBtfValue({ btf, jw: new JsonWriter((s) => (json += s)), plainText: false }, 6, data);
  assert.deepEqual(JSON.parse(json), { a: 7, name: 'ab', kind: 'ONE', bits: '0x5', p: 4660 });
  let text = '';
  dumpBtfValue({ btf, jw: new JsonWriter((s) => (text += s)), plainText: true }, 6, data);
  assert.equal(text, '{"a":7,"name":"ab","kind":"ONE","bits":0x5,"p":0x1234}');
  assert.equal(typeOnly(btf, 8), 'unsigned int prog(void * ctx)');
});

test('the CFG of a program with a branch and a call is valid DOT with the right edges', () => {
  const insns = assemble(`
    r0 = 0
    if r1 == 0 goto skip
    r0 = 1
  skip:
    call pc+1
    exit
    r0 = 2
    exit`);
  const bytes = encode(insns);
  const byslot = new Map<number, string>();
  let slot = 0;
  for (const i of decode(bytes)) {
    byslot.set(slot, formatInstruction(i, {}, slot));
    slot += i.code === 0x18 ? 2 : 1;
  }
  const dot = xlatedToDot(bytes, (s) => byslot.get(s) ?? '');
  const g = parseDot(dot);
  assert.deepEqual(g.clusters, ['cluster_0', 'cluster_1']);
  // func 0: ENTRY → [0,1] → [2] → [3,4] → EXIT, plus the jump [0,1] → [3,4]
  assert.deepEqual(g.edges.filter(([a]) => a.startsWith('fn_0_')), [
    ['fn_0_bb_0', 'fn_0_bb_2'], ['fn_0_bb_2', 'fn_0_bb_3'], ['fn_0_bb_2', 'fn_0_bb_4'], ['fn_0_bb_3', 'fn_0_bb_4'], ['fn_0_bb_4', 'fn_0_bb_1'], ['fn_0_bb_0', 'fn_0_bb_1'],
  ]);
  assert.match(dot, /label="\{   0: \(b7\) r0 = 0\\l\\\n \|    1: \(15\) if r1 == 0x0 goto pc\+1\\l\\\n\}"/);
});

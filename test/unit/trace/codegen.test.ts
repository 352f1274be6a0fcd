// The code generator without a kernel: which programs and maps a script becomes, the layouts the
// runtime decodes, and the clean-ups the verifier needs (no unreachable code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileScript } from '../../../src/trace/runtime/pipeline.js';
import { mapLayout, recordLayout, RECORD_HEADER } from '../../../src/trace/codegen/layout.js';
import { parseCInteger } from '../../../src/trace/codegen/compiler.js';
import { pruneUnreachable } from '../../../src/trace/codegen/prune.js';
import { ProgramBuilder } from '../../../src/asm/builder.js';
import { T } from '../../../src/trace/types.js';
import * as o from '../../../src/asm/opcode.js';

test('BEGIN and END become raw_tracepoint programs; maps get bpftrace 0.17 kinds and key sizes', () => {
  const c = compileScript('BEGIN { @c = count(); @k[comm] = count(); @h[1, "x"] = hist(5); @s = sum(3); @v["a"] = 1; exit(); } END { printf("%d\\n", 1); }');
  assert.deepEqual(c.programs.map((p) => [p.provider, p.progType]), [['BEGIN', 'raw_tracepoint'], ['END', 'raw_tracepoint']]);
  const byName = new Map(c.maps.map((m) => [m.name, m]));
  assert.deepEqual([byName.get('@c')!.type, byName.get('@c')!.keySize, byName.get('@c')!.maxEntries], ['percpu_array', 4, 1]);
  assert.deepEqual([byName.get('@k')!.type, byName.get('@k')!.keySize], ['percpu_hash', 16]);
  // Two script keys (int64, string[2]) then the 8-byte bucket index.
  assert.deepEqual([byName.get('@h')!.type, byName.get('@h')!.keyOffsets, byName.get('@h')!.keyBytes, byName.get('@h')!.keySize], ['percpu_hash', [0, 8], 10, 18]);
  assert.deepEqual([byName.get('@s')!.type, byName.get('@s')!.keySize], ['percpu_hash', 8]);
  assert.deepEqual([byName.get('@v')!.type, byName.get('@v')!.valueSize], ['hash', 8]);
});

test('min/max values carry a "set" word beside the value', () => {
  const l = mapLayout({ name: '@m', keyTypes: [], valueType: T.min(true) });
  assert.equal(l.valueSize, 16);
  assert.equal(l.type, 'percpu_hash');
});

test('record arguments: integers widened to 8 bytes, tuple alignment after the header', () => {
  const r = recordLayout([T.int(32), T.string(5), T.uint64()]);
  assert.deepEqual(r.fields.map((f) => f.offset), [RECORD_HEADER, RECORD_HEADER + 8, RECORD_HEADER + 16]);
  assert.equal(r.size, RECORD_HEADER + 24);
});

test('code after exit() is dropped before the verifier sees it', () => {
  const c = compileScript('BEGIN { exit(); printf("never\\n"); }');
  const insns = c.programs[0].builder.insns;
  // Every instruction is reachable: the last one is the program's exit.
  assert.equal(insns[insns.length - 1].code, o.BPF_JMP | o.BPF_EXIT);
  const b = new ProgramBuilder();
  b.mov64(0, 0).ja('end').mov64(0, 1).label('end').exit();
  const pruned = pruneUnreachable(b);
  assert.equal(pruned.insns.length, 3);
  assert.equal(pruned.labels.get('end'), 2);
});

test('positional parameters are read like strtoll with base 0', () => {
  assert.equal(parseCInteger('123'), 123n);
  assert.equal(parseCInteger('0775'), 509n);
  assert.equal(parseCInteger('0x123'), 291n);
  assert.equal(parseCInteger('-42'), -42n);
  assert.equal(parseCInteger('abc'), 0n);
});

test('the probe builtin splits a multi-attach probe into one program per attach point', () => {
  const c = compileScript('BEGIN, END { printf("%s\\n", probe); }');
  assert.equal(c.programs.length, 2);
  assert.deepEqual(c.probeNames, ['BEGIN', 'END']);
});

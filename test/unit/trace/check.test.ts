// The checker's types for the code generator, on scripts whose types bpftrace's documentation and
// semantics fix; and a fuzz run: mutated scripts must give a result or a TraceError, nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../../src/trace/parser.js';
import { check } from '../../../src/trace/check.js';
import { TraceError } from '../../../src/trace/diagnostics.js';
import { typeName } from '../../../src/trace/types.js';
import { parseTracepointFormat } from '../../../src/sys/tracefs.js';
import { runtimeCorpus } from './corpus.js';

const OPENAT_FORMAT = `name: sys_enter_openat
ID: 700
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;
\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;

print fmt: "dfd: 0x%08lx, filename: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename))
`;
const formats = { tracepointFormat: (c: string, n: string) => (c === 'syscalls' && n === 'sys_enter_openat' ? parseTracepointFormat(OPENAT_FORMAT, c, n) : undefined) };

function checked(src: string, params: string[] = [], unsafe = false) {
  return check(parse(src, { params }), { source: src, params, unsafe, ...formats });
}

test('map key and value types as the code generator needs them', () => {
  const c = checked('BEGIN { @c[comm, pid] = count(); @s = sum(-1); @u = sum(pid); @t = (1, "ab"); @h[1] = hist(3); @l = lhist(5, 0, 100, 10); @a = avg(1); @m = max(2); @k[kstack] = count(); @b = (uint8)5; }');
  const m = (n: string) => c.maps.get(n)!;
  assert.deepEqual(m('@c').keyTypes.map(typeName), ['string[16]', 'unsigned int64']);
  assert.equal(m('@c').valueType.type, 'count');
  assert.equal(m('@s').valueType.signed, true);
  assert.equal(m('@u').valueType.signed, false);
  assert.equal(typeName(m('@t').valueType), '(int64,string[3])');
  assert.equal(m('@t').valueType.size, 16);
  assert.deepEqual(m('@h').keyTypes.map(typeName), ['unsigned int64']);
  assert.deepEqual(m('@l').lhist, { min: 0, max: 100, step: 10 });
  assert.equal(m('@k').keyTypes[0].type, 'kstack');
  // Integers are stored in maps as 64-bit, keeping their sign.
  assert.equal(typeName(m('@b').valueType), 'unsigned int64');
});

test('maps used before their assignment get their type from a later pass; variables may not', () => {
  const c = checked('BEGIN { if (@x > 0) { printf("%d\\n", @x); } @x = 5; $s = "a"; $s = "longer"; }');
  assert.equal(typeName(c.maps.get('@x')!.valueType), 'int64');
  assert.throws(() => checked('BEGIN { if ($x > 0) { } $x = 5; }'), /Undefined or undeclared variable: \$x/);
  // Strings grow to the longest assigned.
  assert.equal(typeName(c.variables[0].get('$s')!), 'string[7]');
});

test('tracepoint args are typed from the format file; printf arguments are promoted to 64 bits', () => {
  const c = checked('tracepoint:syscalls:sys_enter_openat /args->dfd == -100/ { printf("%s %d\\n", str(args->filename), args->flags); }');
  const pf = c.resources.printf[0];
  assert.equal(pf.format, '%s %d\n');
  assert.deepEqual(pf.args.map(typeName), ['string[64]', 'int64']);
  const pred = c.program.probes[0].pred!.expr;
  assert.ok(pred.kind === 'Binop' && pred.left.kind === 'FieldAccess');
  assert.equal(typeName(pred.left.type!), 'int64');
  assert.throws(() => checked('tracepoint:syscalls:sys_enter_openat { @ = args->common_pid; }'), /BPF does not support accessing common tracepoint fields/);
});

test('struct definitions in scripts lay out like C', () => {
  const c = checked('struct S { char c; int i; char name[8]; unsigned long *p; struct { short a, b; } in; } BEGIN { $s = (struct S *)0; @i = $s->i; @n = $s->name; @p = $s->p; @b = $s->in.b; }');
  const v = c.variables[0].get('$s')!;
  const fields = v.elem!.struct!.fields.map((f) => [f.name, f.offset, typeName(f.type)]);
  assert.deepEqual(fields, [
    ['c', 0, 'int8'],
    ['i', 4, 'int32'],
    ['name', 8, 'string[8]'],
    ['p', 16, 'unsigned int64 *'],
    ['in', 24, 'struct (anonymous)'],
  ]);
  assert.equal(v.elem!.size, 32);
  assert.equal(typeName(c.maps.get('@b')!.valueType), 'int64');
});

test('resources are numbered per kind in source order', () => {
  const c = checked('BEGIN { printf("a"); time(); printf("b %d", 1); join(0); } END { system("x"); printf("c"); }', [], true);
  assert.deepEqual(c.resources.printf.map((p) => p.format), ['a', 'b %d', 'c']);
  assert.deepEqual(c.resources.printf.map((p) => p.call.resourceId), [0, 1, 2]);
  assert.equal(c.resources.time[0].format, '%H:%M:%S\n');
  assert.equal(c.resources.join[0].delimiter, ' ');
  assert.deepEqual(c.resources.probeNames, ['BEGIN', 'END']);
});

// A small deterministic generator (mulberry32).
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['{', '}', '(', ')', '[', ']', ';', ',', '/', '*', '->', '.', '"', "'", '$1', '$#', '@x', '$v', 'if', 'else', 'unroll(3)', 'while', 'struct', '#include <x>', '//', '/*', '0x', '1e', '99999999999999999999', '\\', '?', ':', 'hist(', 'printf("%d", ', 'é', '\n', '\t', 'BEGIN', 'k:f', 'args->', 'curtask', '(uint8)', '(struct s *)'];

test('fuzz: mutated scripts parse and check, or fail with a TraceError', { timeout: 120_000 }, () => {
  const seeds = runtimeCorpus().map((p) => p.source);
  if (seeds.length === 0) seeds.push('BEGIN { @x[pid] = count(); printf("%d\\n", 1 + 2 * 3); if ($1 > 0) { exit(); } }');
  const rand = rng(7);
  let rejected = 0;
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    let s = seeds[Math.floor(rand() * seeds.length)];
    const edits = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(rand() * (s.length + 1));
      const r = rand();
      if (r < 0.35) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 4));
      else if (r < 0.8) s = s.slice(0, at) + PIECES[Math.floor(rand() * PIECES.length)] + s.slice(at);
      else {
        const from = Math.floor(rand() * s.length);
        s = s.slice(0, at) + s.slice(from, from + 1 + Math.floor(rand() * 10)) + s.slice(at);
      }
    }
    try {
      check(parse(s, { params: ['1', 'x'] }), { source: s, params: ['1', 'x'], ...formats });
      accepted++;
    } catch (e) {
      if (!(e instanceof TraceError)) assert.fail(`non-TraceError for ${JSON.stringify(s)}: ${(e as Error).stack}`);
      assert.ok(e.text.length > 0);
      rejected++;
    }
  }
  assert.ok(rejected > 0 && accepted > 0, `${accepted} accepted, ${rejected} rejected`);
});

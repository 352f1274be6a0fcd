// uprobe arguments by name from DWARF, against bpftrace 0.17 built with libdw: `-lv` parameter
// listings, `args->NAME` of every integer width, pointers, structs, char and int arrays, casts to
// DWARF structs and a script struct overriding one, and the errors (unknown parameter, no debug
// information, mixed arguments, unsupported types). Same stdout and exit status; stderr too for errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { needRoot, needTool } from '../../helpers/env.js';
import { bpfkitTrace, buildTestprog } from '../../kernel/trace/cli.js';

const notice = /^ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK.*\n/m;

function same(args: string[], opts: { stderr?: boolean } = {}): void {
  const theirs = spawnSync('bpftrace', args, { encoding: 'utf8', timeout: 30_000 });
  const ours = bpfkitTrace(args, { env: { BPFKIT_TRACE_TITLE: 'bpftrace' } });
  assert.equal(ours.status, theirs.status, `exit status of ${args.join(' ')} (ours: ${ours.stderr}; theirs: ${theirs.stderr})`);
  assert.equal(ours.stdout, theirs.stdout, args.join(' '));
  if (opts.stderr) assert.equal(ours.stderr, theirs.stderr.replace(notice, ''), args.join(' '));
}

let bins: { types: string; uprobe: string } | undefined;
function binaries(): { types: string; uprobe: string } {
  bins ??= { types: buildTestprog('dwarf_types'), uprobe: buildTestprog('uprobe_test') };
  return bins;
}

test('-lv lists uprobe parameters as bpftrace does', (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftrace') || !needTool(t, 'cc')) return;
  const { types, uprobe } = binaries();
  same(['-lv', `uprobe:${types}:*`]);
  same(['-lv', `uprobe:${uprobe}:function*`]);
  same(['-lv', `uretprobe:${uprobe}:function1`]);
});

test('-lv on a binary without DWARF warns once', (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftrace')) return;
  same(['-lv', 'uprobe:/bin/sh:ma*'], { stderr: true });
});

const RUNS: { name: string; bin: 'types' | 'uprobe'; prog: (p: string) => string; stderr?: boolean }[] = [
  { name: 'integers of every width and sign', bin: 'types', prog: (p) => `uprobe:${p}:f_ints { printf("%c %d %d %d %d %d\\n", args->c, args->sc, args->uc, args->s, args->us, args->i); exit(); }` },
  { name: 'long integers and typedefs', bin: 'types', prog: (p) => `uprobe:${p}:f_longs { printf("%u %d %lu %lld %llu %ld\\n", args->u, args->l, args->ul, args->ll, args->ull, args->i64); exit(); }` },
  { name: 'pointers, const and volatile', bin: 'types', prog: (p) => `uprobe:${p}:f_ptrs { printf("%s %s %d %d\\n", str(args->cs), str(args->pc), **args->pp, *args->vp); exit(); }` },
  { name: 'typedef, enum and bool', bin: 'types', prog: (p) => `uprobe:${p}:f_misc { printf("%lu %d %d\\n", args->n, args->col, args->b); exit(); }` },
  { name: 'struct members: arrays, strings, nested structs', bin: 'types', prog: (p) => `uprobe:${p}:f_outer { print(args->o->grid); printf("%s %d %d\\n", args->o->name, args->o->in.s, args->o->in.u); print(args->o->in); exit(); }` },
  { name: 'struct members: enum, bool, pointers', bin: 'types', prog: (p) => `uprobe:${p}:f_outer { printf("%d %d %d %s %lu %ld\\n", args->o->color, args->o->flag, args->o->pin->s, str(args->o->label), args->o->count, args->o->id); exit(); }` },
  { name: 'a cast to a DWARF struct', bin: 'types', prog: (p) => `uprobe:${p}:f_outer { printf("%d %s\\n", ((struct Outer *)arg0)->id, ((struct Outer *)arg0)->name); exit(); }` },
  { name: 'a wildcard matching one function', bin: 'types', prog: (p) => `uprobe:${p}:f_i* { printf("%c\\n", args->c); exit(); }` },
  { name: 'the dwarf suite: char', bin: 'uprobe', prog: (p) => `uprobe:${p}:function1 { printf("c = %c\\n", args->c); exit(); }` },
  { name: 'the dwarf suite: int array member', bin: 'uprobe', prog: (p) => `uprobe:${p}:function2 { print(args->foo1->c); printf("%s\\n", args->foo2->b); exit(); }` },
  { name: 'a script struct overrides the DWARF one', bin: 'uprobe', prog: (p) => `struct Foo { int b; } uprobe:${p}:function2 { printf("foo1->b = %d\\n", ((struct Foo *)arg0)->b); exit(); }` },
  { name: 'error: unknown parameter', bin: 'types', stderr: true, prog: (p) => `uprobe:${p}:f_ints { printf("%d\\n", args->nope); exit(); }` },
  { name: 'error: unsupported parameter type', bin: 'types', stderr: true, prog: (p) => `uprobe:${p}:f_misc { printf("%d\\n", args->d); exit(); }` },
  { name: 'error: mixed arguments', bin: 'types', stderr: true, prog: (p) => `uprobe:${p}:f_* { printf("%c\\n", args->c); exit(); }` },
  { name: 'error: args assigned to a variable', bin: 'types', stderr: true, prog: (p) => `uprobe:${p}:f_outer { $x = args; exit(); }` },
  { name: 'error: no debug information', bin: 'types', stderr: true, prog: () => 'uprobe:/bin/sh:main { printf("%d\\n", args->x); exit(); }' },
];

for (const r of RUNS) {
  test(`as bpftrace 0.17: ${r.name}`, (t) => {
    if (!needRoot(t) || !needTool(t, 'bpftrace') || !needTool(t, 'cc')) return;
    const bin = binaries()[r.bin];
    same(['-e', r.prog(bin), '-c', bin], { stderr: r.stderr });
  });
}

// Where bpftrace 0.17 fails (bitfield structs and unions lose their fields, a struct named through a
// typedef is looked up under the typedef's name, a 7th parameter aborts the compiler), we read what
// the DWARF says. The expected values are the initializers in dwarf_types.c's main().
test('beyond bpftrace: bitfields, unions, typedef structs, anonymous members, stack parameters', (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const bin = binaries().types;
  const fields = bpfkitTrace(['-e', `uprobe:${bin}:f_outer { printf("%u %u %d | %d %s | %ld | %d %d %d\\n", args->bits->a, args->bits->b, args->bits->c, args->u->i, args->u->c, args->ot->id, args->wa->anon.y, args->wa->i, args->wa->before); exit(); }`, '-c', bin]);
  assert.equal(fields.status, 0, fields.stderr);
  assert.match(fields.stdout, /^Attaching 1 probe\.\.\.\n5 17 -9 \| 1162233672 HGFEDCBA \| 77 \| 9 10 1\n/);
  const seven = bpfkitTrace(['-e', `uprobe:${bin}:f_seven { printf("%d %d\\n", args->a6, args->a7); exit(); }`, '-c', bin]);
  assert.equal(seven.status, 0, seven.stderr);
  assert.match(seven.stdout, /^Attaching 1 probe\.\.\.\n6 7\n/);
});

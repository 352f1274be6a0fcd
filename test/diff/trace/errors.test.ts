// Error and warning messages against the real bpftrace 0.17 on the same scripts: every line it
// prints on stderr (except its RLIMIT_MEMLOCK warning, an artefact of this machine) must be ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { need, needRoot, needTool } from '../../helpers/env.js';
import { parse } from '../../../src/trace/parser.js';
import { check } from '../../../src/trace/check.js';
import { formatWarnings, TraceError } from '../../../src/trace/diagnostics.js';
import { tracepointFormat, listTracepoints } from '../../../src/sys/tracefs.js';
import { kernelBtf } from '../../../src/btf/kernel.js';
import { existsSync } from 'node:fs';

const BAD = [
  // syntax and lexical errors
  'BEGIN { @x = 1 + ; }',
  'BEGIN {printf("hi")',
  'BEGIN { if (1) { } else }',
  'BEGIN { "abc }',
  'BEGIN { @x = (1; }',
  'kprobe:f /pid == 1 { }',
  'BEGIN { $x = 0x; }',
  // unknown names
  'BEGIN { foo(); }',
  'BEGIN { x }',
  'BEGIN { @x = nosuch; }',
  'BEGIN { $x = $y; }',
  'BEGIN { retval }',
  'BEGIN { args->foo }',
  // types
  'BEGIN { $x = 1; $x = "a"; }',
  'BEGIN { $x = 1 + "a"; }',
  'BEGIN{@x=count();@x=1;}',
  'BEGIN { @x[1] = 1; @x["a"] = 2; }',
  'BEGIN { $x = 1; $x = (1,2); }',
  'BEGIN { @x = (uint32)"a"; }',
  'BEGIN { if ("a") { } }',
  'BEGIN { @x = 1 ? "a" : 2; }',
  'BEGIN { $x = ~"a"; }',
  'BEGIN { @ = sum("a"); }',
  // argument counts and kinds
  'BEGIN { @ = count(1); }',
  'BEGIN { @x = hist(); }',
  'BEGIN { hist(1); }',
  'BEGIN { print(1, 2); }',
  'BEGIN { exit(1); }',
  'BEGIN { @x = str(1, 2, 3); }',
  'BEGIN { @x = lhist(1, 0, 10, 0); }',
  'BEGIN { @ = kstack(5000); }',
  'BEGIN { signal("SIGFOO"); }',
  // printf formats
  'BEGIN { printf("%d\\n", "a"); }',
  'BEGIN { printf("%d %d\\n", 1); }',
  'BEGIN { printf("%s %s\\n", 1, 2); }',
  'BEGIN { printf("%d\\n", comm) }',
  // probes
  'tracepoint:foo:bar { }',
  'BEGIN { } tracepoint:nosuchcat:nosuchevent { }',
  'tracepoint:syscalls:sys_enter_openat { @[args->nosuch] = count(); }',
  'profile:hz:0 { }',
  'software:nosuch:1 { }',
  'BEGIN { break; }',
  'BEGIN { unroll(200) { } }',
  // structs and BTF
  'BEGIN { @x = curtask->nosuchfield; }',
  'BEGIN { @x = (struct nosuch *)0; }',
  'struct Foo { int x; } BEGIN { $f = (struct Foo *)0; @ = $f->y; }',
  // several errors in one pass
  'BEGIN { foo1(); } END { @a = 1; @a = "x"; $z = nosuch; }',
  'BEGIN\n{\n  $a = 1 +\n  "x";\n}',
  'END { @a = 1; @a = "x"; $z = nosuch; }',
  'BEGIN { @x = lhist(5, 10, 0, 1); @y = lhist(1, 0, 100000, 1); }',
  'i:s:1 { @[comm, pid] = count(); @[pid] = count(); }',
];

/** Accepted by bpftrace with warnings; `exit()` makes bpftrace stop at once. */
const WARN = ['BEGIN { @x = pid / -1; exit(); }', 'BEGIN { @x = 5 % $1; exit(); }', 'BEGIN { exit(); @x = 1; }'];

function bpftraceStderr(prog: string): { stderr: string; status: number | null } {
  const r = spawnSync('bpftrace', ['-e', prog, '1'], { encoding: 'utf8', timeout: 30_000 });
  const stderr = r.stderr
    .split('\n')
    .filter((l) => !l.includes('RLIMIT_MEMLOCK'))
    .join('\n');
  return { stderr, status: r.status };
}

function ours(prog: string): { text: string; rejected: boolean } {
  const btf = existsSync('/sys/kernel/btf/vmlinux') ? kernelBtf() : undefined;
  const options = {
    source: prog,
    params: ['1'],
    btf,
    tracepointFormat: (c: string, n: string) => {
      try {
        return tracepointFormat(c, n);
      } catch {
        return undefined;
      }
    },
    tracepoints: listTracepoints,
  };
  try {
    const checked = check(parse(prog, { params: ['1'] }), options);
    return { text: formatWarnings(checked.warnings, prog), rejected: false };
  } catch (e) {
    if (e instanceof TraceError) return { text: e.text, rejected: true };
    throw e;
  }
}

test('rejected scripts: the same messages, columns and carets as bpftrace 0.17', (t) => {
  if (!needTool(t, 'bpftrace') || !needRoot(t)) return;
  const mismatches: string[] = [];
  for (const prog of BAD) {
    const theirs = bpftraceStderr(prog);
    assert.notEqual(theirs.status, 0, `bpftrace accepted ${prog}`);
    const mine = ours(prog);
    assert.ok(mine.rejected, `we accepted ${JSON.stringify(prog)}; bpftrace said:\n${theirs.stderr}`);
    if (mine.text.trimEnd() !== theirs.stderr.trimEnd()) mismatches.push(`${JSON.stringify(prog)}\n--- bpftrace\n${theirs.stderr}\n--- bpfkit\n${mine.text}`);
  }
  assert.deepEqual(mismatches, []);
});

test('warnings of accepted scripts read as bpftrace prints them', (t) => {
  if (!needTool(t, 'bpftrace') || !needRoot(t)) return;
  if (!need(t, existsSync('/sys/kernel/btf/vmlinux'), 'needs kernel BTF')) return;
  for (const prog of WARN) {
    const theirs = bpftraceStderr(prog);
    assert.equal(theirs.status, 0, theirs.stderr);
    const mine = ours(prog);
    assert.ok(!mine.rejected, mine.text);
    assert.equal(mine.text.trimEnd(), theirs.stderr.trimEnd(), prog);
  }
});

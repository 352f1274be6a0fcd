// The front end over bpftrace 0.17's runtime suite, round-tripped through the printer, and its syntax
// error messages against messages recorded from /usr/bin/bpftrace 0.17 (test/diff/trace compares
// with the live tool).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need, repoRoot } from '../../helpers/env.js';
import { parse } from '../../../src/trace/parser.js';
import { printProgram } from '../../../src/trace/printer.js';
import { TraceError } from '../../../src/trace/diagnostics.js';
import { ParseError } from '../../../src/sys/errors.js';
import { buildLalrTables } from '../../../src/trace/lalr.js';
import { grammarSpec } from '../../../src/trace/grammar.js';
import { serializeTables } from '../../../src/trace/tables.js';
import { readFileSync } from 'node:fs';
import { runtimeCorpus } from './corpus.js';

/** Tree without source positions and parent links, for comparing parses. */
function shape(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(shape);
  if (node instanceof Map) return [...node];
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (['loc', 'keyForMap', 'assignedToMap', 'assignedToVar', 'raw', 'cDefinitions', 'ignoreInvalid', 'type'].includes(k)) continue;
      if (k === 'structDefinitions') {
        out[k] = (v as { text: string }[]).map((d) => d.text.replace(/;$/, ''));
        continue;
      }
      out[k] = shape(v);
    }
    return out;
  }
  return node;
}

const corpus = runtimeCorpus();

test('every program of the bpftrace 0.17 runtime suite parses, except those bpftrace rejects at parse time', (t) => {
  if (!need(t, corpus.length > 0, 'needs the bpftrace runtime suite in ../shared/peer')) return;
  const rejected: string[] = [];
  for (const p of corpus) {
    try {
      parse(p.source, { params: p.params, pid: p.pid, file: p.name });
    } catch (e) {
      assert.ok(e instanceof TraceError, `${p.name}: ${String(e)}`);
      // A program we reject must be one the suite expects bpftrace to reject with this message.
      assert.ok(p.willFail, `${p.name} should parse:\n${p.source}\n${e.message}`);
      assert.ok(p.expect && e.message.includes(p.expect), `${p.name}: expected "${p.expect}", got\n${e.message}`);
      rejected.push(p.name);
    }
  }
  // kprobe_target and kretprobe_target give a tracepoint-style name to a kprobe.
  assert.deepEqual(rejected, ['probe / kprobe_target', 'probe / kretprobe_target']);
  assert.ok(corpus.length > 300, `corpus has ${corpus.length} programs`);
});

test('printing a parsed program and parsing it again gives the same tree', (t) => {
  if (!need(t, corpus.length > 0, 'needs the bpftrace runtime suite in ../shared/peer')) return;
  let n = 0;
  for (const p of corpus) {
    let ast;
    try {
      ast = parse(p.source, { params: p.params, pid: p.pid });
    } catch {
      continue;
    }
    const text = printProgram(ast);
    let again;
    try {
      again = parse(text, { params: p.params, pid: p.pid });
    } catch (e) {
      assert.fail(`${p.name}: printed program does not parse:\n${text}\n${(e as Error).message}`);
    }
    assert.deepEqual(shape(again), shape(ast), `${p.name}\n${text}`);
    n++;
  }
  assert.ok(n > 300);
});

// Messages recorded from `bpftrace -e PROGRAM` (bpftrace v0.17.0, Debian).
const RECORDED: [string, string][] = [
  ['BEGIN { foo(); }', 'stdin:1:9-12: ERROR: Unknown function: foo\nBEGIN { foo(); }\n        ~~~\n'],
  ['BEGIN { @x = 1 + ; }', 'stdin:1:18-19: ERROR: syntax error, unexpected ;\nBEGIN { @x = 1 + ; }\n                 ~\n'],
  ['BEGIN {printf("hi")', 'stdin:1:7-20: ERROR: syntax error, unexpected end of file, expecting }\nBEGIN {printf("hi")\n      ~~~~~~~~~~~~~\n'],
  ['BEGIN { , }', 'stdin:1:9-10: ERROR: syntax error, unexpected ",", expecting }\nBEGIN { , }\n        ~\n'],
  ['BEGIN { if (1) { } else }', 'stdin:1:25-26: ERROR: syntax error, unexpected }, expecting { or if\nBEGIN { if (1) { } else }\n                        ~\n'],
  ['BEGIN { @x[1 = 2; }', 'stdin:1:14-15: ERROR: syntax error, unexpected =, expecting ] or ","\nBEGIN { @x[1 = 2; }\n             ~\n'],
  ['BEGIN { unroll(a) {} }', 'stdin:1:9-17: ERROR: syntax error, unexpected identifier, expecting $# or - or positional parameter or integer\nBEGIN { unroll(a) {} }\n        ~~~~~~~~\n'],
  ['BEGIN', 'stdin:1:1-6: ERROR: unexpected end of file, expected {\nBEGIN\n~~~~~\n'],
  ['{ }', 'stdin:1:1-1: ERROR: No attach points for probe\n{ }\n\n'],
  ['BEGIN { "abc }', 'stdin:1:9-15: ERROR: unterminated string\nBEGIN { "abc }\n        ~~~~~~\nstdin:1:9-15: ERROR: syntax error, unexpected end of file, expecting }\nBEGIN { "abc }\n        ~~~~~~\n'],
  ['BEGIN { $x.1 = 2 }', 'stdin:1:9-17: ERROR: Tuples are immutable once created. Consider creating a new tuple and assigning it instead.\nBEGIN { $x.1 = 2 }\n        ~~~~~~~~\n'],
  ['BEGIN { print(`) }', "stdin:1:9-16: ERROR: invalid character '`'\nBEGIN { print(`) }\n        ~~~~~~~\n"],
  ['BEGIN { 1 ? 2 }', 'stdin:1:15-16: ERROR: syntax error, unexpected }, expecting :\nBEGIN { 1 ? 2 }\n              ~\n'],
  ['BEGIN { @a = $0 }', 'stdin:1:14-16: ERROR: param $0 is out of integer range [1, 9223372036854775807]\nBEGIN { @a = $0 }\n             ~~\n'],
  ['BEGIN { exit(); } // hi', 'stdin:1:19-20: ERROR: syntax error, unexpected end predicate, expecting {\nBEGIN { exit(); } // hi\n                  ~\n'],
  ['BEGIN { exit(); } /* x', 'stdin:1:19-23: ERROR: end of file during comment\nBEGIN { exit(); } /* x\n                  ~~~~\n'],
  ['BEGIN { @ = 1e17; }', 'stdin:1:13-17: ERROR: Exponent will overflow integer range: 17\nBEGIN { @ = 1e17; }\n            ~~~~\nstdin:1:13-18: ERROR: syntax error, unexpected ;\nBEGIN { @ = 1e17; }\n            ~~~~~\n'],
  ['BEGIN { @ = 18446744073709551616; }', 'stdin:1:13-33: ERROR: stoull\nBEGIN { @ = 18446744073709551616; }\n            ~~~~~~~~~~~~~~~~~~~~\nstdin:1:13-34: ERROR: syntax error, unexpected ;\nBEGIN { @ = 18446744073709551616; }\n            ~~~~~~~~~~~~~~~~~~~~~\n'],
  ['BEGIN\n{\n  $a = 1 +\n  ;\n}', 'stdin:4:3-4: ERROR: syntax error, unexpected ;\n  ;\n  ~\n'],
];

test('syntax errors read exactly as bpftrace 0.17 prints them', () => {
  for (const [src, want] of RECORDED) {
    assert.throws(
      () => parse(src),
      (e: unknown) => {
        assert.ok(e instanceof ParseError);
        assert.equal((e as TraceError).text, want, src);
        return true;
      },
    );
  }
});

test('literals: integers with underscores, suffixes, exponents, octal and hex; string escapes', () => {
  const p = parse('BEGIN { @a = 1_000; @b = 10ul; @c = 1e3; @d = 010; @e = 0x1F; @f = -0x8000000000000000; @g = "a\\tb\\x41\\101\\"" }');
  const vals = p.probes[0].stmts.map((s) => (s.kind === 'AssignMap' ? s.expr : undefined));
  assert.deepEqual(vals.slice(0, 6).map((e) => (e?.kind === 'Integer' ? e.value : undefined)), [1000n, 10n, 1000n, 8n, 31n, -(2n ** 63n)]);
  assert.equal(vals[6]?.kind === 'String' ? vals[6].value : '', 'a\tbAA"');
});

test('attach points: aliases, multiple points, wildcards and positional parameters', () => {
  const p = parse('t:syscalls:sys_enter_* , k:do_nanosleep+16, u:/bin/sh:main, U:/bin/x:prov:probe, i:s:$1, p:hz:99, s:faults:100, f:vfs_read, fr:mod:f { }', { params: ['5'] });
  const aps = p.probes[0].attachPoints.map((a) => [a.provider, a.target, a.func, a.ns, a.freq, a.funcOffset, a.needExpansion]);
  assert.deepEqual(aps, [
    ['tracepoint', 'syscalls', 'sys_enter_*', '', 0, 0n, true],
    ['kprobe', '', 'do_nanosleep', '', 0, 16n, false],
    ['uprobe', '/bin/sh', 'main', '', 0, 0n, false],
    ['usdt', '/bin/x', 'probe', 'prov', 0, 0n, false],
    ['interval', 's', '', '', 5, 0n, false],
    ['profile', 'hz', '', '', 99, 0n, false],
    ['software', 'faults', '', '', 100, 0n, false],
    ['kfunc', '', 'vfs_read', '', 0, 0n, false],
    ['kretfunc', 'mod', 'f', '', 0, 0n, false],
  ]);
});

test('#define macros are expanded on the second parse, as bpftrace does after clang', () => {
  const p = parse('#define LIMIT 314\nBEGIN { printf("%d\\n", LIMIT); }');
  const call = p.probes[0].stmts[0];
  assert.ok(call.kind === 'ExprStatement' && call.expr.kind === 'Call');
  const arg = call.expr.args![1];
  assert.equal(arg.kind === 'Integer' ? arg.value : undefined, 314n);
});

test('the committed parse tables are the ones the grammar produces', () => {
  const committed = readFileSync(`${repoRoot}src/trace/generated/parse-tables.ts`, 'utf8');
  assert.ok(serializeTables(buildLalrTables(grammarSpec())) === committed, 'run: npx tsx scripts/gen-trace-tables.ts');
});

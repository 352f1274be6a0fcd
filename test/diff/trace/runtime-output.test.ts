// bpfkit trace against /usr/bin/bpftrace (0.17) on deterministic scripts: the same bytes on stdout,
// text and `-f json`. Also the recorded outputs of bpftrace 0.17 in the peer data
// (oracle-0.17-live), which need no bpftrace here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { need, needRoot, needTool, peerDir } from '../../helpers/env.js';
import { bpfkitTrace } from '../../kernel/trace/cli.js';

// BEGIN and END run in the tracer's own process: take bpftrace's name so `comm` prints the same.
const asBpftrace = { BPFKIT_TRACE_TITLE: 'bpftrace' };

const ORACLE = join(peerDir, 'bpftrace/oracle-0.17-live');

const SCRIPTS: [string, string][] = [
  ['aggregations', 'BEGIN { @c = count(); @c = count(); @s = sum(5); @s = sum(-2); @a = avg(7); @a = avg(2); @mn = min(3); @mn = min(-9); @mx = max(4); @mx = max(11); exit(); }'],
  ['stats by key', 'BEGIN { @st["x"] = stats(10); @st["x"] = stats(5); @st["y"] = stats(100); exit(); }'],
  ['hist', 'BEGIN { $i = 0; while ($i < 300) { @h = hist($i * 37); $i++; } exit(); }'],
  ['hist negative and zero', 'BEGIN { @h = hist(-5); @h = hist(0); @h = hist(0); @h = hist(1); @h = hist(1048576); exit(); }'],
  ['lhist', 'BEGIN { $i = 0; while ($i < 50) { @l = lhist($i * 3, 10, 120, 15); $i++; } exit(); }'],
  ['hist keyed', 'BEGIN { @h[1] = hist(3); @h[2] = hist(300); @h[2] = hist(3000); exit(); }'],
  // Entries with equal values keep the kernel's hash order, which is seeded per map: no ties here.
  ['count sorted by value', 'BEGIN { @[1] = count(); @[2] = count(); @[2] = count(); @[3] = count(); @[3] = count(); @[3] = count(); @[-1] = count(); @[-1] = count(); @[-1] = count(); @[-1] = count(); exit(); }'],
  ['string keys and values', 'BEGIN { @m["b"] = "two"; @m["a"] = "one"; @n[comm, 1] = 1; exit(); }'],
  ['tuples', 'BEGIN { @t = (1, "x", (2, "y")); $u = ((int8)-1, (uint16)65535); print($u); exit(); }'],
  ['printf formats', 'BEGIN { printf("%5s|%-5s|%x|%X|%o|%c|%%|%lu|%hhd|%05d|%-8d|\\n", "ab", "cd", 3054, 3054, 8, 66, 18446744073709551615, 257, -42, 42); exit(); }'],
  ['arithmetic and logic', 'BEGIN { $a = 17; $b = -3; printf("%d %d %d %d %d %d %d %d %d\\n", $a + $b, $a - $b, $a * $b, $a / 4, $a % 5, $a << 3, $a >> 2, $a & 6, $a | 8); printf("%d %d %d %d %d\\n", $a > $b, $a == 17, !$a, ~$a, -$a); printf("%d %d\\n", $a > 3 && $b < 0, $a < 3 || $b > 0); exit(); }'],
  ['ternary, if, while, unroll', 'BEGIN { $i = 0; $s = 0; while ($i < 20) { $s += $i * 2; $i++; } if ($s > 300) { $s -= 1; } else { $s += 1; } unroll(4) { $s = $s * 2; } printf("%d %s %s\\n", $s, $s > 100 ? "big" : "small", $i == 3 ? "three" : "other"); exit(); }'],
  ['strings', 'BEGIN { $s = "hello"; if ($s == "hello") { printf("eq\\n"); } if ($s != "world") { printf("ne\\n"); } printf("%s %d %d\\n", $s, strncmp("hello", "help", 3), strncmp("hello", "help", 4)); exit(); }'],
  ['print with top and div', 'BEGIN { @[1] = 10; @[2] = 20; @[3] = 30; print(@, 2); print(@, 2, 10); clear(@); exit(); }'],
  ['delete and zero', 'BEGIN { @a[1] = 1; @a[2] = 2; delete(@a[1]); @c["x"] = count(); zero(@c); exit(); }'],
  ['END after exit', 'BEGIN { @x = 5; exit(); } END { printf("end %d\\n", @x); @y = @x * 2; }'],
  ['casts', 'BEGIN { printf("%d %d %d %d\\n", (uint8)300, (int8)200, (uint16)-1, (int32)4294967295); exit(); }'],
];

function bpftrace(args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('bpftrace', args, { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout };
}

for (const [name, script] of SCRIPTS) {
  for (const fmt of ['text', 'json']) {
    test(`same output as bpftrace 0.17: ${name} (${fmt})`, (t) => {
      if (!needRoot(t) || !needTool(t, 'bpftrace')) return;
      const args = fmt === 'json' ? ['-f', 'json', '-e', script] : ['-e', script];
      const theirs = bpftrace(args);
      assert.equal(theirs.status, 0, 'bpftrace accepts the script');
      const ours = bpfkitTrace(args, { env: asBpftrace });
      assert.equal(ours.status, 0, ours.stderr);
      assert.equal(ours.stdout, theirs.stdout);
    });
  }
}

test('recorded bpftrace 0.17 outputs (oracle-0.17-live), text and json', (t) => {
  if (!needRoot(t) || !need(t, existsSync(join(ORACLE, 'programs.txt')), `needs ${ORACLE}`)) return;
  const programs = readFileSync(join(ORACLE, 'programs.txt'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]);
  assert.ok(programs.length >= 20);
  for (const [name, program] of programs) {
    const stderr = readFileSync(join(ORACLE, `${name}.stderr.txt`), 'utf8');
    if (!/rc=0\s*$/.test(stderr)) {
      // bpftrace rejected it: the same message, without its unrelated RLIMIT warning.
      const r = bpfkitTrace(['-e', program], { env: asBpftrace });
      assert.equal(r.status, 1, name);
      const expected = stderr.split('\n').filter((l) => !l.includes('RLIMIT_MEMLOCK') && !l.startsWith('rc=')).join('\n');
      assert.equal(r.stderr.trimEnd(), expected.trimEnd(), `${name} (error)`);
      continue;
    }
    const text = bpfkitTrace(['-e', program], { env: asBpftrace });
    assert.equal(text.status, 0, `${name}: ${text.stderr}`);
    assert.equal(text.stdout, readFileSync(join(ORACLE, `${name}.txt`), 'utf8'), `${name} (text)`);
    const json = bpfkitTrace(['-f', 'json', '-e', program]);
    assert.equal(json.status, 0, `${name}: ${json.stderr}`);
    assert.equal(json.stdout, readFileSync(join(ORACLE, `${name}.json`), 'utf8'), `${name} (json)`);
  }
});

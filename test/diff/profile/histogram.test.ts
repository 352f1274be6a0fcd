// Histogram bucketing and labels against bpftrace 0.17's hist() and lhist() on the same values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Histogram } from '../../../src/viz/histogram.js';
import { needRoot, needTool } from '../../helpers/env.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

/** `@name:` then rows `LABEL   COUNT |@@@|` until a blank line. */
function bpftraceRows(out: string, name: string): { label: string; count: number }[] {
  const start = out.indexOf(`@${name}: \n`);
  assert.ok(start >= 0, `bpftrace printed @${name}:\n${out}`);
  const rows: { label: string; count: number }[] = [];
  for (const line of out.slice(start).split('\n').slice(1)) {
    if (line.trim() === '') break;
    const m = /^(.*?)\s+(\d+) \|/.exec(line);
    assert.ok(m, line);
    rows.push({ label: m[1], count: Number(m[2]) });
  }
  return rows;
}

test('log2 and linear histograms bucket and label values as bpftrace does', (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftrace')) return;
  const r = rng(42);
  // Below 2^32: bpftrace 0.17's log2 looks at 32 bits and puts every larger value in [2G, 4G);
  // ours takes all 64 (as later bpftrace releases do).
  const values: number[] = [-3, 0, 0, 1, 2, 3, 4, 7, 8, 1023, 1024, 1025, 2 ** 20, 2 ** 20 - 1, 2 ** 30 + 5, 2 ** 31, 2 ** 32 - 1];
  for (let i = 0; i < 60; i++) values.push(Math.floor(2 ** (r() * 32)));
  const linear: number[] = [-1, 0, 5, 10, 99, 100, 101, 250, 1000];
  for (let i = 0; i < 60; i++) linear.push(Math.floor(r() * 130) - 10);
  const wide: number[] = [0, 4095, 4096, 8192, 1044480, 1048575, 1048576, 2097151, 2097152];

  const prog = [
    'BEGIN {',
    ...values.map((v) => `  @h = hist(${v});`),
    ...linear.map((v) => `  @l = lhist(${v}, 0, 100, 10);`),
    ...wide.map((v) => `  @w = lhist(${v}, 0, 2097152, 4096);`),
    '  exit();',
    '}',
  ].join('\n');
  const out = execFileSync('bpftrace', ['-e', prog], { encoding: 'utf8', timeout: 60000 });

  const h = Histogram.log2();
  for (const v of values) h.add(v);
  assert.deepEqual(h.buckets().map((b) => ({ label: b.label, count: b.count })), bpftraceRows(out, 'h'));
  assert.ok(out.includes(`@h: \n${h.toText()}\n`), 'the text form is bpftrace\'s, byte for byte');

  const l = Histogram.linear(0, 100, 10);
  for (const v of linear) l.add(v);
  assert.deepEqual(l.buckets().map((b) => ({ label: b.label, count: b.count })), bpftraceRows(out, 'l'));
  assert.ok(out.includes(`@l: \n${l.toText()}\n`));

  const w = Histogram.linear(0, 2097152, 4096);
  for (const v of wide) w.add(v);
  const theirs = bpftraceRows(out, 'w');
  assert.deepEqual(w.buckets().map((b) => ({ label: b.label, count: b.count })), theirs);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, linearBucket, log2Bucket, log2BucketLabel, linearBucketLabel, powerLabel } from '../../../src/viz/histogram.js';
import { renderHistogramSvg } from '../../../src/viz/histogram-svg.js';
import { checkWellFormed } from './xml-check.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

test('log2 buckets: every value falls inside the range of its bucket', () => {
  const h = Histogram.log2();
  const r = rng(1);
  for (let i = 0; i < 5000; i++) {
    const v = Math.floor(2 ** (r() * 52));
    const b = log2Bucket(v);
    const { low, high } = h.range(b);
    assert.ok(v >= low && v < high, `${v} in [${low}, ${high}) (bucket ${b})`);
  }
  assert.equal(log2Bucket(-5), 0);
  assert.equal(log2Bucket(0), 1);
  // Powers of two open a bucket; one less closes the previous one.
  for (let p = 1; p < 63; p++) assert.equal(log2Bucket(2n ** BigInt(p)), log2Bucket(2n ** BigInt(p) - 1n) + 1, `2^${p}`);
  assert.equal(log2Bucket(2n ** 64n - 1n), 65, 'u64 max lands in the last bucket');
});

test('linear buckets: in-range values by step, under- and overflow at the ends', () => {
  const h = Histogram.linear(0, 100, 10);
  const r = rng(2);
  for (let i = 0; i < 2000; i++) {
    const v = Math.floor(r() * 100);
    const b = linearBucket(v, 0, 100, 10);
    const { low, high } = h.range(b);
    assert.ok(v >= low && v < high, `${v} in bucket ${b}`);
  }
  assert.equal(linearBucket(-1, 0, 100, 10), 0);
  assert.equal(linearBucket(100, 0, 100, 10), 11);
  assert.equal(linearBucket(1e9, 0, 100, 10), 11);
  assert.throws(() => Histogram.linear(10, 0, 1), RangeError);
  assert.throws(() => Histogram.linear(0, 10, 0), RangeError);
});

test('labels use the K/M/G/T power suffixes', () => {
  // The suffix stands for 2^10 steps: check the label by its meaning, not by a copy of the output.
  for (let p = 0; p < 50; p++) {
    const m = /^(\d+)([KMGT]?)$/.exec(powerLabel(p));
    assert.ok(m, powerLabel(p));
    const mult = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]]!;
    assert.equal(Number(m[1]) * mult, 2 ** p);
    assert.ok(Number(m[1]) < 1024 || m[2] === 'T');
  }
  assert.equal(log2BucketLabel(0), '(..., 0)');
  assert.equal(log2BucketLabel(1), '[0]');
  assert.equal(log2BucketLabel(2), '[1]');
  assert.equal(log2BucketLabel(3), `[${powerLabel(1)}, ${powerLabel(2)})`);
  assert.equal(linearBucketLabel(0, 0, 2048, 1024), '(..., 0)');
  assert.equal(linearBucketLabel(2, 0, 2048, 1024), '[1K, 2K)');
  assert.equal(linearBucketLabel(3, 0, 2048, 1024), '[2K, ...)');
});

test('buckets() spans the first to the last non-empty bucket, with the empty ones between', () => {
  const h = Histogram.log2();
  for (const v of [3, 3, 40, 1000]) h.add(v);
  const b = h.buckets();
  assert.equal(b[0].index, log2Bucket(3));
  assert.equal(b[b.length - 1].index, log2Bucket(1000));
  assert.equal(b.length, log2Bucket(1000) - log2Bucket(3) + 1);
  assert.equal(b.reduce((s, x) => s + x.count, 0), 4);
  assert.equal(h.total, 4);
  assert.deepEqual(Histogram.log2().buckets(), []);
  const fromMap = Histogram.fromCounts('log2', [0n, 0n, 5n, 0n, 7n]);
  assert.deepEqual(fromMap.buckets().map((x) => x.count), [5, 0, 7]);
});

test('the SVG has one bar per shown bucket, bar lengths proportional to counts', () => {
  const h = Histogram.linear(0, 50, 10);
  for (let i = 0; i < 8; i++) h.add(5);
  for (let i = 0; i < 4; i++) h.add(25);
  h.add(70);
  const svg = renderHistogramSvg(h, { title: 'latency <us>', unit: 'usecs' });
  checkWellFormed(svg);
  const bars = [...svg.matchAll(/<g class="bucket" data-index="(\d+)" data-count="(\d+)">.*?<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => ({ index: +m[1], count: +m[2], width: +m[3] }));
  assert.deepEqual(bars.map((b) => b.count), h.buckets().map((b) => b.count));
  const full = bars.find((b) => b.count === 8)!.width;
  for (const b of bars) assert.ok(Math.abs(b.width - (b.count / 8) * full) < 0.01);
  assert.ok(svg.includes('latency &lt;us&gt;'));
  assert.ok(renderHistogramSvg(Histogram.log2()).includes('(no values)'));
});

// Histograms for the library, numbered as bpftrace numbers its buckets, so a histogram read back from
// a BPF map (where the program computed the index) and one filled here in user space mean the same:
//   log2 (hist):   index 0 holds values < 0, index 1 holds 0, index i ≥ 2 holds [2^(i-2), 2^(i-1)).
//   linear (lhist): index 0 holds values < min, index i in 1..n holds [min+(i-1)·step, min+i·step),
//                   index n+1 holds the rest (≥ max), where n = floor((max-min)/step).
// Labels and the text form are bpftrace's, from histogram-text.ts (one implementation, shared with
// `bpfkit trace`). One difference on purpose: log2Bucket looks at all 64 bits, as later bpftrace
// releases do, where 0.17's generated code (histogram-text.ts log2Index) stops at [2G, 4G) — so a
// nanosecond latency histogram built here keeps its seconds apart.
import { linearHistogramText, linearIndex, linearLabel, log2HistogramText, log2Label } from './histogram-text.js';

export interface HistogramBucket {
  index: number;
  /** Lowest value in the bucket (-Infinity for the underflow bucket). */
  low: number;
  /** First value above the bucket (Infinity for the overflow bucket). */
  high: number;
  count: number;
  label: string;
}

export type HistogramKind = 'log2' | 'linear';

/** The log2 bucket of a value (bpftrace's hist()). */
export function log2Bucket(value: number | bigint): number {
  const v = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  if (v < 0n) return 0;
  if (v === 0n) return 1;
  return v.toString(2).length + 1; // floor(log2 v) + 2
}

/** The linear bucket of a value (bpftrace's lhist(value, min, max, step)). */
export function linearBucket(value: number | bigint, min: number, max: number, step: number): number {
  linearBucketCount(min, max, step);
  return linearIndex(typeof value === 'bigint' ? value : BigInt(Math.trunc(value)), min, max, step);
}

/** Buckets inside [min, max) of a linear histogram. */
export function linearBucketCount(min: number, max: number, step: number): number {
  if (!(step > 0) || !(max > min)) throw new RangeError(`linear histogram needs min < max and step > 0 (got min ${min}, max ${max}, step ${step})`);
  return Math.floor((max - min) / step);
}

/** A power of two as bpftrace labels it: 1, 2, …, 512, 1K, …, 512K, 1M, …, 1G, …, 1T, … */
export function powerLabel(power: number): string {
  return log2Label(power);
}

/** A linear bucket edge as bpftrace labels it: exact multiples of 1M or 1K get the suffix. */
export function linearEdgeLabel(n: number): string {
  return linearLabel(n);
}

export function log2BucketLabel(index: number): string {
  if (index === 0) return '(..., 0)';
  if (index === 1) return '[0]';
  if (index === 2) return '[1]';
  return `[${powerLabel(index - 2)}, ${powerLabel(index - 1)})`;
}

export function linearBucketLabel(index: number, min: number, max: number, step: number): string {
  const n = linearBucketCount(min, max, step);
  if (index === 0) return `(..., ${linearEdgeLabel(min)})`;
  if (index === n + 1) return `[${linearEdgeLabel(max)}, ...)`;
  return `[${linearEdgeLabel((index - 1) * step + min)}, ${linearEdgeLabel(index * step + min)})`;
}

export class Histogram {
  readonly kind: HistogramKind;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** Count per bucket index (sparse: missing means 0). */
  readonly counts: number[] = [];

  private constructor(kind: HistogramKind, min = 0, max = 0, step = 1) {
    this.kind = kind;
    this.min = min;
    this.max = max;
    this.step = step;
  }

  static log2(): Histogram {
    return new Histogram('log2');
  }

  static linear(min: number, max: number, step: number): Histogram {
    linearBucketCount(min, max, step);
    return new Histogram('linear', min, max, step);
  }

  /** A histogram from per-bucket counts, as read from a BPF map indexed by bucket. */
  static fromCounts(kind: HistogramKind, counts: ArrayLike<number | bigint>, linear?: { min: number; max: number; step: number }): Histogram {
    const h = kind === 'log2' ? Histogram.log2() : Histogram.linear(linear?.min ?? 0, linear?.max ?? 0, linear?.step ?? 0);
    for (let i = 0; i < counts.length; i++) if (Number(counts[i]) !== 0) h.counts[i] = Number(counts[i]);
    return h;
  }

  bucketOf(value: number | bigint): number {
    return this.kind === 'log2' ? log2Bucket(value) : linearBucket(value, this.min, this.max, this.step);
  }

  add(value: number | bigint, count = 1): void {
    const i = this.bucketOf(value);
    this.counts[i] = (this.counts[i] ?? 0) + count;
  }

  get total(): number {
    let t = 0;
    for (const c of this.counts) t += c ?? 0;
    return t;
  }

  /** bpftrace's text form: `[4, 8)   3 |@@@@…|` rows ('' when empty). */
  toText(): string {
    const values = Array.from({ length: this.counts.length }, (_, i) => BigInt(this.counts[i] ?? 0));
    return this.kind === 'log2' ? log2HistogramText(values) : linearHistogramText(values, this.min, this.max, this.step);
  }

  label(index: number): string {
    return this.kind === 'log2' ? log2BucketLabel(index) : linearBucketLabel(index, this.min, this.max, this.step);
  }

  range(index: number): { low: number; high: number } {
    if (this.kind === 'log2') {
      if (index === 0) return { low: -Infinity, high: 0 };
      if (index === 1) return { low: 0, high: 1 };
      return { low: 2 ** (index - 2), high: 2 ** (index - 1) };
    }
    const n = linearBucketCount(this.min, this.max, this.step);
    if (index === 0) return { low: -Infinity, high: this.min };
    if (index === n + 1) return { low: this.min + n * this.step, high: Infinity };
    return { low: this.min + (index - 1) * this.step, high: this.min + index * this.step };
  }

  /**
   * The buckets to show, as bpftrace shows them: log2 from the first to the last non-empty bucket;
   * linear from the first to the last non-empty bucket. Empty when nothing was counted.
   */
  buckets(): HistogramBucket[] {
    let first = -1;
    let last = -1;
    for (let i = 0; i < this.counts.length; i++) {
      if ((this.counts[i] ?? 0) !== 0) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first < 0) return [];
    const out: HistogramBucket[] = [];
    for (let i = first; i <= last; i++) {
      out.push({ index: i, ...this.range(i), count: this.counts[i] ?? 0, label: this.label(i) });
    }
    return out;
  }
}

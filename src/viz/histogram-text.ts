// bpftrace 0.17's text and JSON forms of hist() and lhist() maps, byte for byte (its src/output.cpp),
// including its integer quirks: counts are read as C ints when choosing the rows, bar widths are
// computed in float, JSON bucket bounds are `1 << n` in 32-bit ints, and the log2 index of the
// kernel side tops out at 2^31 (values of 4G and more land in the [2G, 4G) row).
//
//   [4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
//
// Counts are indexed by bucket: log2 index 0 is "< 0", 1 is "0", i ≥ 2 is [2^(i-2), 2^(i-1));
// linear index 0 is "< min", i in 1..n is [min+(i-1)·step, min+i·step), n+1 is "≥ max".

/** Buckets bpftrace reads back for a hist() key. */
export const LOG2_SLOTS = 65;
/** Buckets bpftrace reads back for an lhist() key. */
export const LINEAR_SLOTS = 1002;

/** The bucket index bpftrace 0.17's generated code computes for hist(value). */
export function log2Index(value: bigint | number): number {
  let n = BigInt.asIntN(64, BigInt(value));
  if (n < 0n) return 0;
  if (n === 0n) return 1;
  let result = 2;
  // A binary search over 32 bits: larger values saturate at index 33.
  for (let i = 4; i >= 0; i--) {
    const bits = 1 << i;
    const shift = n >= 1n << BigInt(bits) ? bits : 0;
    n >>= BigInt(shift);
    result += shift;
  }
  return result;
}

/** The bucket index bpftrace 0.17's generated code computes for lhist(value, min, max, step). */
export function linearIndex(value: bigint | number, min: number, max: number, step: number): number {
  const v = BigInt.asIntN(64, BigInt(value));
  const lo = BigInt(min);
  const hi = BigInt(max);
  const st = BigInt(step);
  if (v < lo) return 0;
  // The division is unsigned 64-bit in the generated code.
  const udiv = (a: bigint): bigint => BigInt.asUintN(64, a) / BigInt.asUintN(64, st);
  if (v > hi) return Number(udiv(hi - lo) + 1n);
  return Number(udiv(v - lo) + 1n);
}

const int32 = (v: bigint | number): number => Number(BigInt.asIntN(32, BigInt(v)));

/** TextOutput::hist_index_label. */
export function log2Label(power: number): string {
  let suffix = '';
  if (power >= 40) {
    suffix = 'T';
    power -= 40;
  } else if (power >= 30) {
    suffix = 'G';
    power -= 30;
  } else if (power >= 20) {
    suffix = 'M';
    power -= 20;
  } else if (power >= 10) {
    suffix = 'K';
    power -= 10;
  }
  return `${1 << power}${suffix}`;
}

/** TextOutput::lhist_index_label. */
export function linearLabel(n: number): string {
  const number = int32(n);
  if (number === 0) return '0';
  if (number % 1048576 === 0) return `${number / 1048576}M`;
  if (number % 1024 === 0) return `${number / 1024}K`;
  return String(number);
}

function at(values: readonly bigint[], i: number): bigint {
  return values[i] ?? 0n;
}

function prepareLog2(values: readonly bigint[]): { minIndex: number; maxIndex: number; maxValue: number } {
  let minIndex = -1;
  let maxIndex = -1;
  let maxValue = 0;
  const n = Math.max(values.length, LOG2_SLOTS);
  for (let i = 0; i < n; i++) {
    const v = int32(at(values, i));
    if (v > 0) {
      if (minIndex === -1) minIndex = i;
      maxIndex = i;
    }
    if (v > maxValue) maxValue = v;
  }
  return { minIndex, maxIndex, maxValue };
}

function prepareLinear(values: readonly bigint[], min: number, max: number, step: number): { maxIndex: number; maxValue: number; buckets: number; start: number; end: number } {
  let maxIndex = -1;
  let maxValue = 0;
  const buckets = Math.trunc((int32(max) - int32(min)) / int32(step));
  const n = Math.max(values.length, LINEAR_SLOTS);
  for (let i = 0; i < n; i++) {
    const v = int32(at(values, i));
    if (v !== 0) maxIndex = i;
    if (v > maxValue) maxValue = v;
  }
  let start = -1;
  let end = 0;
  if (maxIndex !== -1) {
    for (let i = 0; i <= buckets + 1; i++) {
      if (at(values, i) > 0n) {
        if (start === -1) start = i;
        end = i;
      }
    }
    if (start === -1) start = 0;
  }
  return { maxIndex, maxValue, buckets, start, end };
}

// `values.at(i) / (float)max_value * max_width` truncated to int, in single precision.
function barWidth(count: bigint, maxValue: number): number {
  const f = Math.fround(Math.fround(Math.fround(Number(BigInt.asUintN(64, count))) / Math.fround(maxValue)) * 52);
  return Math.trunc(f);
}

function row(header: string, count: bigint, width: number): string {
  const bar = '@'.repeat(Math.max(0, width));
  return `${header.padEnd(16)}${String(count).padStart(8)} |${bar.padEnd(52)}|\n`;
}

/** TextOutput::hist_to_str: the rows of one hist() key ('' when every bucket is empty). */
export function log2HistogramText(values: readonly bigint[], div = 1): string {
  const { minIndex, maxIndex, maxValue } = prepareLog2(values);
  if (maxIndex === -1) return '';
  let out = '';
  for (let i = minIndex; i <= maxIndex; i++) {
    let header: string;
    if (i === 0) header = '(..., 0)';
    else if (i === 1) header = '[0]';
    else if (i === 2) header = '[1]';
    else header = `[${log2Label(i - 2)}, ${log2Label(i - 1)})`;
    const v = at(values, i);
    out += row(header, BigInt.asUintN(64, v) / BigInt(div), barWidth(v, maxValue));
  }
  return out;
}

/** TextOutput::lhist_to_str: the rows of one lhist() key ('' when every bucket is empty). */
export function linearHistogramText(values: readonly bigint[], min: number, max: number, step: number): string {
  const { maxIndex, maxValue, buckets, start, end } = prepareLinear(values, min, max, step);
  if (maxIndex === -1) return '';
  let out = '';
  for (let i = start; i <= end; i++) {
    let header: string;
    if (i === 0) header = `(..., ${linearLabel(min)})`;
    else if (i === buckets + 1) header = `[${linearLabel(max)}, ...)`;
    else header = `[${linearLabel((i - 1) * step + min)}, ${linearLabel(i * step + min)})`;
    const v = at(values, i);
    out += row(header, BigInt.asUintN(64, v), barWidth(v, maxValue));
  }
  return out;
}

/** JsonOutput::hist_to_str: `[{"min": 4, "max": 7, "count": 1}, ...]`. */
export function log2HistogramJson(values: readonly bigint[], div = 1): string {
  const { minIndex, maxIndex } = prepareLog2(values);
  if (maxIndex === -1) return '[]';
  const parts: string[] = [];
  for (let i = minIndex; i <= maxIndex; i++) {
    let bounds: string;
    if (i === 0) bounds = '"max": -1, ';
    else if (i === 1) bounds = '"min": 0, "max": 0, ';
    else if (i === 2) bounds = '"min": 1, "max": 1, ';
    else bounds = `"min": ${1 << (i - 2)}, "max": ${((1 << (i - 1)) - 1) | 0}, `;
    parts.push(`{${bounds}"count": ${BigInt.asUintN(64, at(values, i)) / BigInt(div)}}`);
  }
  return `[${parts.join(', ')}]`;
}

/** JsonOutput::lhist_to_str. */
export function linearHistogramJson(values: readonly bigint[], min: number, max: number, step: number): string {
  const { maxIndex, buckets, start, end } = prepareLinear(values, min, max, step);
  if (maxIndex === -1) return '[]';
  const parts: string[] = [];
  for (let i = start; i <= end; i++) {
    let bounds: string;
    if (i === 0) bounds = `"max": ${int32(min - 1)}, `;
    else if (i === buckets + 1) bounds = `"min": ${int32(max)}, `;
    else bounds = `"min": ${int32((i - 1) * step + min)}, "max": ${int32(i * step + min - 1)}, `;
    parts.push(`{${bounds}"count": ${BigInt.asUintN(64, at(values, i))}}`);
  }
  return `[${parts.join(', ')}]`;
}

/** Adds one value to a log2 histogram in user space, bucketed exactly as bpftrace's BPF code does. */
export function addLog2(values: bigint[], value: bigint | number, count = 1n): void {
  const i = log2Index(value);
  values[i] = (values[i] ?? 0n) + count;
}

/** Adds one value to a linear histogram in user space, bucketed exactly as bpftrace's BPF code does. */
export function addLinear(values: bigint[], value: bigint | number, min: number, max: number, step: number, count = 1n): void {
  const i = linearIndex(value, min, max, step);
  values[i] = (values[i] ?? 0n) + count;
}

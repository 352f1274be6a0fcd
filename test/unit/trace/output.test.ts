// The printers against bpftrace 0.17's own output for the deterministic oracle programs
// (../shared/peer/bpftrace/oracle-0.17-live). The map contents are what each script stores,
// worked out by hand from the script; the bytes printed must equal bpftrace's, text and JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { need, peerDir } from '../../helpers/env.js';
import { T, type SizedType } from '../../../src/trace/types.js';
import { formatAttachedProbes, formatMaps, formatMessage, formatValue, formatMap, type MapSnapshot, type OutputFormat, type Value } from '../../../src/trace/output/format.js';
import { formatPrintf } from '../../../src/trace/output/printf.js';
import { addLinear, addLog2, log2Index } from '../../../src/viz/histogram-text.js';

const oracle = join(peerDir, 'bpftrace/oracle-0.17-live');

// A map holds 64-bit integers; keys that are integers are stored as 64-bit too.
const i64 = T.int64();
const str = (n: number): SizedType => T.string(n);

function hist(values: number[]): bigint[] {
  const b: bigint[] = [];
  for (const v of values) addLog2(b, BigInt(v));
  return b;
}
function lhist(values: number[], min: number, max: number, step: number): bigint[] {
  const b: bigint[] = [];
  for (const v of values) addLinear(b, BigInt(v), min, max, step);
  return b;
}
const scalar = (name: string, valueType: SizedType, value: Value): MapSnapshot => ({ name, keyTypes: [], valueType, entries: [{ key: [], value }] });

interface Case {
  probes: number;
  /** Output while running, as [kind, text]. */
  events?: ((fmt: OutputFormat) => string)[];
  maps: MapSnapshot[];
}

const printf = (fmt: string, ...args: Parameters<typeof formatPrintf>[1]) => (f: OutputFormat) => formatMessage('printf', formatPrintf(fmt, args), f);
const int = (v: bigint | number, signed = true) => ({ kind: 'int' as const, value: BigInt(v), signed });
const s = (v: string) => ({ kind: 'string' as const, value: v });

const cases: Record<string, Case> = {
  hist_basic: { probes: 1, maps: [{ name: '@h', keyTypes: [], valueType: T.hist(), entries: [{ key: [], value: hist([5, 100, 0, -1]) }] }] },
  hist_large: { probes: 1, maps: [{ name: '@h', keyTypes: [], valueType: T.hist(), entries: [{ key: [], value: hist([1500, 3000000, 5000000000]) }] }] },
  hist_keys: {
    probes: 1,
    maps: [{ name: '@h', keyTypes: [str(2)], valueType: T.hist(), entries: [{ key: ['b'], value: hist([10, 10]) }, { key: ['a'], value: hist([1]) }] }],
  },
  lhist_basic: { probes: 1, maps: [{ name: '@l', keyTypes: [], valueType: T.lhist(), lhist: { min: 0, max: 100, step: 10 }, entries: [{ key: [], value: lhist([5, 55, 200, -3], 0, 100, 10) }] }] },
  lhist_kilo: { probes: 1, maps: [{ name: '@l', keyTypes: [], valueType: T.lhist(), lhist: { min: 0, max: 8192, step: 1024 }, entries: [{ key: [], value: lhist([3000], 0, 8192, 1024) }] }] },
  count_sorted: {
    probes: 1,
    // Hash order as the kernel happened to return it does not matter here: values are distinct.
    maps: [{ name: '@c', keyTypes: [str(2)], valueType: T.count(), entries: [{ key: ['z'], value: 3n }, { key: ['a'], value: 2n }, { key: ['b'], value: 1n }] }],
  },
  sum_min_max_avg: {
    probes: 1,
    maps: [
      scalar('@s', T.sum(true), 7n),
      scalar('@mn', T.min(true), -2n),
      scalar('@mx', T.max(true), 7n),
      scalar('@a', T.avg(), { count: 2n, total: 13n }),
    ],
  },
  stats: { probes: 1, maps: [scalar('@s', T.stats(), { count: 3n, total: 63n })] },
  multikey: {
    probes: 1,
    maps: [{ name: '@m', keyTypes: [i64, str(2)], valueType: T.sum(true), entries: [{ key: [2n, 'y'], value: 5n }, { key: [1n, 'x'], value: 3n }] }],
  },
  printf_fmt: { probes: 1, events: [printf('%d %u %x %X %s %c|%5d|%-5d|%05d\n', int(-5), int(7), int(255), int(255), s('str'), int(65), int(42), int(42), int(42))], maps: [] },
  printf_llu: { probes: 1, events: [printf('%lld %llu %llx\n', int(-1), int(18446744073709551615n, false), int(3735928559))], maps: [] },
  tuple_print: {
    probes: 1,
    events: [(f) => formatValue(T.tuple([i64, str(4), i64]), [1n, 'two', 3n], f)],
    maps: [scalar('@t', T.tuple([i64, str(5)]), [4n, 'five'])],
  },
  print_scalar: {
    probes: 1,
    events: [(f) => formatMap(scalar('@x', i64, 1n), f)],
    maps: [scalar('@x', i64, 1n), scalar('@y', i64, 2n)],
  },
  clear_zero: { probes: 1, maps: [scalar('@c', T.count(), 0n), scalar('@d', T.count(), 0n)] },
  delete_key: { probes: 1, maps: [{ name: '@m', keyTypes: [i64], valueType: i64, entries: [{ key: [2n], value: 2n }] }] },
  arith: { probes: 1, events: [printf('%d %d %d %d %d %d\n', int(3), int(1), int(-4), int(16), int(15), int(6))], maps: [] },
  ternary_if: { probes: 1, events: [printf('big\n'), printf('%s\n', s('five'))], maps: [] },
  unroll: { probes: 1, events: [printf('%d\n', int(10))], maps: [] },
  while_loop: { probes: 1, events: [printf('%d\n', int(10))], maps: [] },
  end_probe: { probes: 2, events: [printf('end %d\n', int(1))], maps: [scalar('@x', i64, 1n)] },
  kstack_type: { probes: 1, events: [printf('%d\n', int(4, false))], maps: [] },
};

for (const [name, c] of Object.entries(cases)) {
  for (const fmt of ['text', 'json'] as const) {
    test(`oracle ${name} (${fmt})`, (t) => {
      const file = join(oracle, `${name}.${fmt === 'text' ? 'txt' : 'json'}`);
      if (!need(t, existsSync(file), `needs ${file}`)) return;
      let out = formatAttachedProbes(c.probes, fmt);
      for (const e of c.events ?? []) out += e(fmt);
      out += '\n\n';
      out += formatMaps(c.maps, fmt);
      assert.equal(out, readFileSync(file, 'utf8'));
    });
  }
}

test('log2 buckets follow the BPF code, which tops out at 2^31', () => {
  assert.equal(log2Index(-1n), 0);
  assert.equal(log2Index(0n), 1);
  assert.equal(log2Index(1n), 2);
  assert.equal(log2Index(4n), 4);
  assert.equal(log2Index(7n), 4);
  assert.equal(log2Index(2n ** 31n), 33);
  assert.equal(log2Index(5_000_000_000n), 33);
});

test('printf emulates C conversions on 64-bit arguments', () => {
  assert.equal(formatPrintf('%d|%u|%x', [int(5_000_000_000), int(-1), int(-1)]), '705032704|4294967295|ffffffff');
  assert.equal(formatPrintf('%hhd %hu %p %p', [int(255), int(-1), int(0), int(4096)]), '-1 65535 (nil) 0x1000');
  assert.equal(formatPrintf('%-6s|%6s|%.2s', [s('ab'), s('ab'), s('abcdef')]), 'ab    |    ab|ab');
  // "%%" is text to C, but bpftrace's regex sees the "%d" in "%%d" and uses an argument for it.
  assert.equal(formatPrintf('100%%d %d\n', [int(7), int(8)]), '100%d 8\n');
  assert.equal(formatPrintf('%r|%rx|%rh', [{ kind: 'buffer', value: Uint8Array.of(0x41, 1) }, { kind: 'buffer', value: Uint8Array.of(0x41) }, { kind: 'buffer', value: Uint8Array.of(1, 2) }]), 'A\\x01|\\x41|01 02');
});

test('maps with more than 16 equal values come out in std::sort order, not input order', () => {
  const entries = Array.from({ length: 20 }, (_, i) => ({ key: [BigInt(i)] as Value[], value: BigInt(i % 3) }));
  const text = formatMap({ name: '@', keyTypes: [i64], valueType: T.count(), entries }, 'text');
  const keys = text.trim().split('\n').map((l) => Number(/\[(\d+)\]/.exec(l)![1]));
  // Values ascend; within equal values the order is libstdc++'s (it is not the input order).
  const values = keys.map((k) => k % 3);
  assert.deepEqual(values, [...values].sort((a, b) => a - b));
  assert.equal(keys.length, 20);
});

test('stats and avg of negative totals divide toward zero; empty maps print a blank line', () => {
  assert.equal(formatMap(scalar('@a', T.avg(), { count: 2n, total: -7n }), 'text'), '@a: -3\n\n');
  assert.equal(formatMap({ name: '@e', keyTypes: [i64], valueType: i64, entries: [] }, 'text'), '\n');
  assert.equal(formatMap({ name: '@e', keyTypes: [i64], valueType: i64, entries: [] }, 'json'), '');
});

test('time() and strftime() formats follow C strftime; %f is microseconds since the boot-time base', async () => {
  const { strftime, formatTimestamp } = await import('../../../src/trace/output/strftime.js');
  const saved = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    // 2024-02-29 was a Thursday, day 60 of the year.
    const d = new Date(Date.UTC(2024, 1, 29, 13, 5, 9));
    assert.equal(strftime('%Y-%m-%d %H:%M:%S %j %a %b %e %I%p %%', d), '2024-02-29 13:05:09 060 Thu Feb 29 01PM %');
    // Boot at 1_700_000_000.5 s; 1.25 s later is 1_700_000_001.75 s = 2023-11-14 22:13:21.750000 UTC.
    assert.equal(formatTimestamp('%H:%M:%S.%f', 1_250_000_000n, { sec: 1_700_000_000n, nsec: 500_000_000n }), '22:13:21.750000');
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test('struct keys print as bpftrace 0.17 prints them ({.m=2,.n=3}, the runtime suite\'s struct tests)', () => {
  const int32 = { ...T.int64(), size: 4 };
  const foo = T.record('struct Foo', { name: 'struct Foo', size: 8, align: 4, fields: [{ name: 'm', type: int32, offset: 0 }, { name: 'n', type: int32, offset: 4 }] });
  const entry = (key: Value[]) => ({ key, value: 0n });
  assert.equal(formatMap({ name: '@s', keyTypes: [foo], valueType: i64, entries: [entry([{ m: 2n, n: 3n }])] }, 'text'), '@s[{.m=2,.n=3}]: 0\n');
  assert.equal(formatMap({ name: '@s', keyTypes: [foo, i64], valueType: i64, entries: [entry([{ m: 2n, n: 3n }, 42n])] }, 'text'), '@s[{.m=2,.n=3}, 42]: 0\n');
});

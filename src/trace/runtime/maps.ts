// Reading a script's maps back: per-CPU slots reduced like bpftrace (counts and sums added, min/max
// over the CPUs that stored one), bucketed keys gathered into histograms and avg/stats pairs.
import type { BpfMap } from '../../map.js';
import { possibleCpus } from '../../sys/cpus.js';
import type { MapLayout } from '../codegen/layout.js';
import type { MapEntry, MapSnapshot, Value } from '../output/format.js';
import { decodeValue, type DecodeContext } from './decode.js';

function perCpuValues(map: BpfMap, key: Buffer): Buffer[] {
  if (map.perCpu) return map.lookupPerCpu(key) ?? [];
  const v = map.lookup(key);
  return v ? [v] : [];
}

function sum(vals: Buffer[], signed: boolean): bigint {
  let s = 0n;
  for (const v of vals) s += v.readBigInt64LE(0);
  return signed ? BigInt.asIntN(64, s) : BigInt.asUintN(64, s);
}

function decodeKey(l: MapLayout, key: Buffer, ctx: DecodeContext): Value[] {
  return l.info.keyTypes.map((t, i) => decodeValue(t, key, l.keyOffsets[i], ctx));
}

function scalar(l: MapLayout, vals: Buffer[], ctx: DecodeContext): Value {
  const t = l.info.valueType;
  switch (t.type) {
    case 'count':
      return sum(vals, false);
    case 'sum':
      return sum(vals, t.signed);
    case 'min':
    case 'max': {
      let best: bigint | undefined;
      for (const v of vals) {
        if (v.readBigUInt64LE(8) === 0n) continue;
        const x = t.signed ? v.readBigInt64LE(0) : v.readBigUInt64LE(0);
        if (best === undefined || (t.type === 'min' ? x < best : x > best)) best = x;
      }
      return best ?? 0n;
    }
    default:
      return decodeValue(t, vals[0], 0, ctx);
  }
}

/** Every entry of a script map, decoded. */
export function snapshotMap(l: MapLayout, map: BpfMap, ctx: DecodeContext): MapSnapshot {
  const snap: MapSnapshot = { name: l.name, keyTypes: l.info.keyTypes, valueType: l.info.valueType, entries: [], lhist: l.info.lhist };
  const kind = l.info.valueType.type;
  if (l.singleArray) {
    const key = Buffer.alloc(4);
    snap.entries.push({ key: [], value: scalar(l, perCpuValues(map, key), ctx) });
    return snap;
  }
  if (!l.bucketed) {
    for (const key of map.keys()) {
      const vals = perCpuValues(map, key);
      if (vals.length === 0) continue;
      snap.entries.push({ key: l.info.keyTypes.length ? decodeKey(l, key, ctx) : [], value: scalar(l, vals, ctx) });
    }
    return snap;
  }
  const groups = new Map<string, { key: Buffer; buckets: Map<number, bigint> }>();
  for (const key of map.keys()) {
    const vals = perCpuValues(map, key);
    if (vals.length === 0) continue;
    const id = key.subarray(0, l.keyBytes).toString('hex');
    const bucket = Number(key.readBigUInt64LE(l.keyBytes));
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key, buckets: new Map() }));
    g.buckets.set(bucket, sum(vals, kind === 'avg' || kind === 'stats'));
  }
  for (const g of groups.values()) {
    const key = l.info.keyTypes.length ? decodeKey(l, g.key, ctx) : [];
    let value: Value;
    if (kind === 'avg' || kind === 'stats') value = { count: g.buckets.get(0) ?? 0n, total: g.buckets.get(1) ?? 0n };
    else {
      const counts: bigint[] = [];
      const max = Math.max(-1, ...g.buckets.keys());
      for (let i = 0; i <= max; i++) counts.push(g.buckets.get(i) ?? 0n);
      value = counts;
    }
    snap.entries.push({ key, value } satisfies MapEntry);
  }
  return snap;
}

/** clear(@m): removes every element (a keyless count is an array: zeroed instead). */
export function clearMap(l: MapLayout, map: BpfMap): void {
  if (l.singleArray) return zeroMap(l, map);
  for (;;) {
    const k = map.nextKey();
    if (!k) break;
    try {
      map.delete(k);
    } catch {
      break;
    }
  }
}

/** zero(@m): every value set to zero, keys kept. */
export function zeroMap(l: MapLayout, map: BpfMap): void {
  const keys = l.singleArray ? [Buffer.alloc(4)] : [...map.keys()];
  for (const k of keys) {
    if (map.perCpu) map.updatePerCpu(k, possibleCpus().map(() => Buffer.alloc(l.valueSize)));
    else map.update(k, Buffer.alloc(l.valueSize));
  }
}

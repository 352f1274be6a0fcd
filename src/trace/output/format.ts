// bpftrace 0.17's output, text and `-f json` (NDJSON), for maps, values and messages (its
// src/output.cpp and the map printing of src/bpftrace.cpp). The runtime reads and decodes maps and
// events; these functions turn the decoded values into the exact bytes bpftrace writes.
import type { SizedType } from '../types.js';
import { log2HistogramJson, log2HistogramText, linearHistogramJson, linearHistogramText } from '../../viz/histogram-text.js';
import { hexFormatBuffer } from './printf.js';
import { stdSort } from './stdsort.js';

export type OutputFormat = 'text' | 'json';

/**
 * A decoded value. By type:
 * - integer, count, sum, min, max, pointer: bigint (min and max as minValue/maxValue reduce them);
 * - string: string; buffer: the content bytes (Uint8Array);
 * - kstack, ustack, ksym, usym, inet, username, probe, timestamp, mac_address, cgroup_path,
 *   strerror: the text the runtime resolved (stacks: bpftrace's stack text, which starts with '\n');
 * - tuple and array: Value[]; record: { [field]: Value };
 * - avg and stats: { count, total }; hist and lhist: bucket counts by index (bigint[], may be sparse).
 */
export type Value = bigint | string | Uint8Array | Value[] | { count: bigint; total: bigint } | { [field: string]: Value };

export interface MapEntry {
  /** One value per key type (empty for a map without keys). */
  key: Value[];
  value: Value;
}

export interface MapSnapshot {
  /** '@name' or '@'. */
  name: string;
  keyTypes: SizedType[];
  valueType: SizedType;
  /** Entries in the order the kernel iterates the map (bpf_map_get_next_key). */
  entries: MapEntry[];
  lhist?: { min: number; max: number; step: number };
}

export interface MapPrintOptions {
  /** print(@m, top): only the last `top` entries after sorting. */
  top?: number;
  /** print(@m, top, div): integer values divided by `div`. */
  div?: number;
}

const QUOTED = new Set(['kstack', 'ustack', 'ksym', 'usym', 'inet', 'username', 'string', 'buffer', 'probe']);

export function jsonEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c <= 0x1f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

// C integer division truncates toward zero, as BigInt division does.
function divide(v: bigint, div: number, signed: boolean): bigint {
  return signed ? BigInt.asIntN(64, v) / BigInt(div) : BigInt.asUintN(64, v) / BigInt(div);
}

/** Output::value_to_str (and JsonOutput's quoting). */
export function valueToString(type: SizedType, value: Value, fmt: OutputFormat, div = 1): string {
  const s = plainValue(type, value, fmt, div);
  return fmt === 'json' && QUOTED.has(type.type) ? `"${jsonEscape(s)}"` : s;
}

function plainValue(type: SizedType, value: Value, fmt: OutputFormat, div: number): string {
  switch (type.type) {
    case 'buffer':
      return hexFormatBuffer(value as Uint8Array);
    case 'string':
    case 'kstack':
    case 'ustack':
    case 'ksym':
    case 'usym':
    case 'inet':
    case 'username':
    case 'probe':
    case 'timestamp':
    case 'mac_address':
    case 'cgroup_path':
    case 'strerror':
      return String(value);
    case 'array': {
      const elems = (value as Value[]).map((v) => valueToString(type.elem!, v, fmt, div));
      return `[${elems.join(',')}]`;
    }
    case 'record': {
      const rec = value as { [f: string]: Value };
      const fields = type.struct?.fields ?? [];
      const elems = fields.map((f) => (fmt === 'json' ? `"${f.name}": ` : `.${f.name} = `) + valueToString(f.type, rec[f.name], fmt, div));
      return `{ ${elems.join(', ')} }`;
    }
    case 'tuple': {
      const vals = value as Value[];
      const elems = type.struct!.fields.map((f, i) => valueToString(f.type, vals[i], fmt, div));
      return fmt === 'json' ? `[${elems.join(',')}]` : `(${elems.join(', ')})`;
    }
    case 'count':
      return divide(value as bigint, div, false).toString();
    case 'integer': {
      const bits = type.size * 8 || 64;
      const v = type.signed ? BigInt.asIntN(bits, value as bigint) : BigInt.asUintN(bits, value as bigint);
      return divide(v, div, type.signed).toString();
    }
    case 'sum':
      return divide(value as bigint, div, type.signed).toString();
    case 'min':
      return divide(value as bigint, div, true).toString();
    case 'max':
      return divide(value as bigint, div, false).toString();
    default:
      return divide(value as bigint, div, true).toString();
  }
}

/** MapKey::argument_value: one key component as text. */
export function keyToString(type: SizedType, value: Value): string {
  switch (type.type) {
    case 'integer': {
      const bits = (type.size || 8) * 8;
      return BigInt.asIntN(bits, value as bigint).toString();
    }
    case 'string':
      return String(value);
    case 'buffer':
      return hexFormatBuffer(value as Uint8Array);
    case 'pointer':
      return `0x${BigInt.asUintN(64, value as bigint).toString(16)}`;
    case 'array':
      return `[${(value as Value[]).map((v) => keyToString(type.elem!, v)).join(',')}]`;
    case 'tuple':
      return `(${(value as Value[]).map((v, i) => keyToString(type.struct!.fields[i].type, v)).join(', ')})`;
    case 'record': {
      const rec = value as { [f: string]: Value };
      return `{${(type.struct?.fields ?? []).map((f) => `.${f.name}=${keyToString(f.type, rec[f.name])}`).join(',')}}`;
    }
    default:
      return String(value);
  }
}

function encodeValue(type: SizedType, value: Value, out: number[]): void {
  const size = type.size;
  const start = out.length;
  if (typeof value === 'bigint') {
    let v = BigInt.asUintN(64, value);
    for (let i = 0; i < size; i++) {
      out.push(Number(v & 0xffn));
      v >>= 8n;
    }
  } else if (typeof value === 'string') {
    const b = Buffer.from(value, 'utf8');
    for (let i = 0; i < size; i++) out.push(i < b.length ? b[i] : 0);
  } else if (value instanceof Uint8Array) {
    out.push(value.length);
    for (let i = 0; i < size - 1; i++) out.push(i < value.length ? value[i] : 0);
  } else if (Array.isArray(value) && type.type === 'tuple') {
    for (const [i, f] of type.struct!.fields.entries()) {
      while (out.length < start + f.offset) out.push(0);
      encodeValue(f.type, value[i], out);
    }
  } else if (Array.isArray(value) && type.elem) {
    for (const v of value) encodeValue(type.elem, v, out);
  }
  while (out.length < start + size) out.push(0);
  out.length = start + size;
}

/** The key bytes as the BPF map holds them (for bpftrace's byte-order sorting of hist/stats keys). */
export function encodeKey(types: SizedType[], key: Value[]): Uint8Array {
  const out: number[] = [];
  types.forEach((t, i) => encodeValue(t, key[i], out));
  return Uint8Array.from(out);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// BPFtrace::sort_by_key: stable sorts from the last key component to the first; integers compare
// unsigned, strings with strncmp, other types keep their order.
function sortByKey(snap: MapSnapshot, entries: MapEntry[]): MapEntry[] {
  let out = entries;
  for (let i = snap.keyTypes.length - 1; i >= 0; i--) {
    const t = snap.keyTypes[i];
    if (t.type === 'integer') {
      const bits = t.size === 4 ? 32 : 64;
      out = [...out].sort((a, b) => {
        const x = BigInt.asUintN(bits, a.key[i] as bigint);
        const y = BigInt.asUintN(bits, b.key[i] as bigint);
        return x < y ? -1 : x > y ? 1 : 0;
      });
    } else if (t.type === 'string') {
      const bytes = (v: Value): Buffer => {
        const b = Buffer.from(String(v), 'utf8');
        const z = b.indexOf(0);
        return (z >= 0 ? b.subarray(0, z) : b).subarray(0, t.size);
      };
      out = [...out].sort((a, b) => Math.sign(Buffer.compare(bytes(a.key[i]), bytes(b.key[i]))));
    }
  }
  return out;
}

function mapKeyText(snap: MapSnapshot, key: Value[], fmt: OutputFormat): string {
  if (fmt === 'json') return snap.keyTypes.length ? `"${jsonEscape(snap.keyTypes.map((t, i) => keyToString(t, key[i])).join(','))}"` : '';
  return snap.name + (snap.keyTypes.length ? `[${snap.keyTypes.map((t, i) => keyToString(t, key[i])).join(', ')}]` : '');
}

function keyval(snap: MapSnapshot, key: string, val: string, fmt: OutputFormat): string {
  if (fmt === 'json') return key ? `${key}: ${val}` : val;
  const hist = snap.valueType.type === 'hist' || snap.valueType.type === 'lhist';
  return `${key}: ${hist ? '\n' : ''}${val}`;
}

function elemDelimiter(snap: MapSnapshot, fmt: OutputFormat): string {
  if (fmt === 'json') return ', ';
  return ['kstack', 'ustack', 'ksym', 'usym', 'inet'].includes(snap.valueType.type) ? '' : '\n';
}

function skipForTop(total: number, top: number | undefined): (i: number) => boolean {
  return (i) => !!top && total > top && i < total - top;
}

function wrapJson(type: string, snap: MapSnapshot, body: string): string {
  const keyed = snap.keyTypes.length > 0;
  return `{"type": "${type}", "data": {"${jsonEscape(snap.name)}": ${keyed ? '{' : ''}${body}${keyed ? '}' : ''}}}\n`;
}

/** What bpftrace prints for print(@map) and for each map at exit. */
export function formatMap(snap: MapSnapshot, fmt: OutputFormat, opts: MapPrintOptions = {}): string {
  const div = opts.div || 1;
  const vt = snap.valueType.type;
  if (vt === 'hist' || vt === 'lhist') return formatHistMap(snap, fmt, opts.top, div);
  if (vt === 'avg' || vt === 'stats') return formatStatsMap(snap, fmt, opts.top, div);

  let entries = [...snap.entries];
  const val = (e: MapEntry): bigint => e.value as bigint;
  if (vt === 'count' || vt === 'sum' || vt === 'integer') {
    const signed = snap.valueType.signed;
    const norm = (v: bigint): bigint => (signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v));
    entries = stdSort(entries, (a, b) => norm(val(a)) < norm(val(b)));
  } else if (vt === 'min') entries = stdSort(entries, (a, b) => BigInt.asIntN(64, val(a)) < BigInt.asIntN(64, val(b)));
  else if (vt === 'max') entries = stdSort(entries, (a, b) => BigInt.asUintN(64, val(a)) < BigInt.asUintN(64, val(b)));
  else entries = sortByKey(snap, entries);

  if (fmt === 'json' && entries.length === 0) return '';
  const skip = skipForTop(entries.length, opts.top);
  const elems: string[] = [];
  entries.forEach((e, i) => {
    if (skip(i)) return;
    elems.push(keyval(snap, mapKeyText(snap, e.key, fmt), valueToString(snap.valueType, e.value, fmt, div), fmt));
  });
  const body = elems.join(elemDelimiter(snap, fmt));
  return fmt === 'json' ? wrapJson('map', snap, body) : `${body}\n`;
}

function histTotals(snap: MapSnapshot): { entry: MapEntry; total: bigint }[] {
  const byKey = [...snap.entries].map((entry) => ({ entry, bytes: encodeKey(snap.keyTypes, entry.key) }));
  byKey.sort((a, b) => compareBytes(a.bytes, b.bytes));
  const withTotals = byKey.map(({ entry }) => {
    let sum = 0n;
    for (const c of entry.value as bigint[]) if (c !== undefined) sum += c;
    return { entry, total: BigInt.asUintN(64, sum) };
  });
  return stdSort(withTotals, (a, b) => a.total < b.total);
}

function formatHistMap(snap: MapSnapshot, fmt: OutputFormat, top: number | undefined, div: number): string {
  const sorted = histTotals(snap);
  if (fmt === 'json' && sorted.length === 0) return '';
  const skip = skipForTop(sorted.length, top);
  const elems: string[] = [];
  const lh = snap.lhist ?? { min: 0, max: 0, step: 1 };
  sorted.forEach(({ entry }, i) => {
    if (skip(i)) return;
    const counts = entry.value as bigint[];
    let v: string;
    if (snap.valueType.type === 'hist') v = fmt === 'json' ? log2HistogramJson(counts, div) : log2HistogramText(counts, div);
    else v = fmt === 'json' ? linearHistogramJson(counts, lh.min, lh.max, lh.step) : linearHistogramText(counts, lh.min, lh.max, lh.step);
    elems.push(keyval(snap, mapKeyText(snap, entry.key, fmt), v, fmt));
  });
  const body = elems.join(elemDelimiter(snap, fmt));
  return fmt === 'json' ? wrapJson('hist', snap, body) : `${body}\n`;
}

function formatStatsMap(snap: MapSnapshot, fmt: OutputFormat, top: number | undefined, div: number): string {
  const byKey = [...snap.entries].map((entry) => ({ entry, bytes: encodeKey(snap.keyTypes, entry.key) }));
  byKey.sort((a, b) => compareBytes(a.bytes, b.bytes));
  const rows = byKey.map(({ entry }) => {
    const { count, total } = entry.value as { count: bigint; total: bigint };
    const c = BigInt.asIntN(64, count);
    const t = BigInt.asIntN(64, total);
    return { entry, count: c, total: t, average: c !== 0n ? t / c : 0n };
  });
  const sorted = stdSort(rows, (a, b) => a.average < b.average);
  if (fmt === 'json' && sorted.length === 0) return '';
  const isAvg = snap.valueType.type === 'avg';
  const skip = skipForTop(sorted.length, isAvg ? top : undefined);
  const elems: string[] = [];
  sorted.forEach((r, i) => {
    if (skip(i)) return;
    let v: string;
    if (!isAvg) {
      const pairs: [string, bigint][] = [['count', r.count], ['average', r.average], ['total', r.total]];
      v = fmt === 'json' ? `{${pairs.map(([k, x]) => `"${k}": ${x}`).join(', ')}}` : pairs.map(([k, x]) => `${k} ${x}`).join(', ');
    } else v = (r.average / BigInt(div)).toString();
    elems.push(keyval(snap, mapKeyText(snap, r.entry.key, fmt), v, fmt));
  });
  const body = elems.join(elemDelimiter(snap, fmt));
  return fmt === 'json' ? wrapJson('stats', snap, body) : `${body}\n\n`;
}

/** Every map at exit, in bpftrace's order (by name); the caller prints "\n\n" before this. */
export function formatMaps(snaps: MapSnapshot[], fmt: OutputFormat): string {
  return [...snaps]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((s) => formatMap(s, fmt))
    .join('');
}

/** "Attaching N probes..." */
export function formatAttachedProbes(n: number, fmt: OutputFormat): string {
  if (fmt === 'json') return `{"type": "attached_probes", "data": {"probes": ${n}}}\n`;
  return `Attaching ${n} ${n === 1 ? 'probe' : 'probes'}...\n`;
}

export function formatLostEvents(n: number | bigint, fmt: OutputFormat): string {
  if (fmt === 'json') return `{"type": "lost_events", "data": {"events": ${n}}}\n`;
  return `Lost ${n} events\n`;
}

/** Message types of bpftrace's JSON output. */
export type MessageType = 'printf' | 'time' | 'cat' | 'join' | 'syscall' | 'lost_events';

/**
 * A text message: printf, time, cat and system output print as is, join adds a newline; in JSON each
 * is one `{"type": ..., "data": "..."}` line.
 */
export function formatMessage(type: MessageType, text: string, fmt: OutputFormat): string {
  if (fmt === 'json') return `{"type": "${type}", "data": "${jsonEscape(text)}"}\n`;
  return type === 'join' ? `${text}\n` : text;
}

/** print(value) of a non-map value. */
export function formatValue(type: SizedType, value: Value, fmt: OutputFormat): string {
  if (fmt === 'json') return `{"type": "value", "data": ${valueToString(type, value, fmt)}}\n`;
  return `${valueToString(type, value, fmt)}\n`;
}

/** min() values as bpftrace reads them back from per-CPU slots (it stores 0xffffffff - value). */
export function minValue(perCpu: readonly bigint[]): bigint {
  let max = 0n;
  for (const raw of perCpu) {
    const v = BigInt.asIntN(64, raw);
    if (v > max) max = v;
  }
  if (max === 0n) return 0n;
  if (0xffffffffn - max <= 0n) return 0n - (max - 0xffffffffn);
  return 0xffffffffn - max;
}

/** max() values read back from per-CPU slots (largest as unsigned). */
export function maxValue(perCpu: readonly bigint[]): bigint {
  let max = 0n;
  for (const raw of perCpu) {
    const v = BigInt.asUintN(64, raw);
    if (v > max) max = v;
  }
  return max;
}

/** count/sum/avg/stats slots summed across CPUs (reduce_value). */
export function sumValue(perCpu: readonly bigint[], signed: boolean): bigint {
  let s = 0n;
  for (const v of perCpu) s += v;
  return signed ? BigInt.asIntN(64, s) : BigInt.asUintN(64, s);
}

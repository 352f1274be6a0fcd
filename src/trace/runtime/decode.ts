// Bytes written by the generated programs (map keys and values, record arguments) → the decoded
// values helper printers take (src/trace/output/format.ts `Value`), resolving stacks, symbols,
// addresses and probe names on the way.
import { userInfo } from 'node:os';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import type { BpfMap } from '../../map.js';
import { Symbolizer, formatStack } from '../../symbols/resolver.js';
import type { Value } from '../output/format.js';
import type { PrintfArg } from '../output/printf.js';
import type { SizedType } from '../types.js';
import { storedSize, widened } from '../codegen/layout.js';
import { strerror } from '../../sys/errors.js';

export interface DecodeContext {
  symbolizer: Symbolizer;
  probeNames: string[];
  /** Stack-trace maps by name (see codegen stack()). */
  stackMaps: Map<string, BpfMap>;
  /** strftime formats by resource id. */
  strftime: string[];
  /** Wall-clock time minus monotonic time at start, to turn nsecs into dates. */
  bootOffsetNs: bigint;
}

function int(buf: Buffer, off: number, size: number, signed: boolean): bigint {
  switch (size) {
    case 1:
      return BigInt(signed ? buf.readInt8(off) : buf.readUInt8(off));
    case 2:
      return BigInt(signed ? buf.readInt16LE(off) : buf.readUInt16LE(off));
    case 4:
      return BigInt(signed ? buf.readInt32LE(off) : buf.readUInt32LE(off));
    default:
      return signed ? buf.readBigInt64LE(off) : buf.readBigUInt64LE(off);
  }
}

export function cstr(buf: Buffer, off: number, size: number): string {
  const end = Math.min(buf.length, off + size);
  let z = buf.indexOf(0, off);
  if (z < 0 || z > end) z = end;
  return buf.toString('utf8', off, z);
}

/** Decodes a value of type `t` stored at `off` (integers as stored: 8 bytes unless inside a tuple/record). */
export function decodeValue(t: SizedType, buf: Buffer, off: number, ctx: DecodeContext, inner = false): Value {
  switch (t.type) {
    case 'integer': {
      const size = inner ? Math.max(1, t.size) : storedSize(t);
      const v = int(buf, off, size, t.signed);
      return t.signed ? v : BigInt.asUintN(64, v);
    }
    case 'pointer':
      return buf.readBigUInt64LE(off);
    case 'count':
    case 'sum':
    case 'min':
    case 'max':
    case 'avg':
    case 'stats':
      return buf.readBigInt64LE(off);
    case 'string':
      return cstr(buf, off, t.size);
    case 'buffer': {
      const len = buf.readUInt8(off);
      return Uint8Array.from(buf.subarray(off + 1, off + 1 + Math.min(len, Math.max(0, t.size - 1))));
    }
    case 'tuple':
      return t.struct!.fields.map((f) => decodeValue(f.type, buf, off + f.offset, ctx, true));
    case 'record': {
      const out: { [f: string]: Value } = {};
      for (const f of t.struct?.fields ?? []) out[f.name] = decodeValue(f.type, buf, off + f.offset, ctx, true);
      return out;
    }
    case 'array': {
      const elem = t.elem!;
      const n = t.count ?? 0;
      const out: Value[] = [];
      for (let i = 0; i < n; i++) out.push(decodeValue(elem, buf, off + i * elem.size, ctx, true));
      return out;
    }
    case 'kstack':
    case 'ustack':
      return stackText(t, buf.readBigUInt64LE(off), ctx);
    case 'ksym': {
      const addr = buf.readBigUInt64LE(off);
      const f = ctx.symbolizer.kernelFrame(addr);
      return f.name ?? `0x${addr.toString(16)}`;
    }
    case 'usym': {
      const addr = buf.readBigUInt64LE(off);
      const pid = Number(buf.readBigUInt64LE(off + 8));
      const f = ctx.symbolizer.userFrame(pid, addr);
      return f.name ?? `0x${addr.toString(16)}`;
    }
    case 'probe': {
      const i = Number(buf.readBigInt64LE(off));
      return ctx.probeNames[i] ?? '';
    }
    case 'username':
      return userName(Number(buf.readBigUInt64LE(off) & 0xffffffffn));
    case 'inet':
      return inetText(buf, off);
    case 'mac_address':
      return [...buf.subarray(off, off + 6)].map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join(':');
    case 'timestamp': {
      const id = Number(buf.readBigUInt64LE(off));
      const ns = buf.readBigUInt64LE(off + 8);
      return strftime(ctx.strftime[id] ?? '%H:%M:%S', ns + ctx.bootOffsetNs);
    }
    case 'strerror':
      return strerror(Number(buf.readBigInt64LE(off)));
    case 'cgroup_path':
      return cgroupPath(buf.readBigUInt64LE(off + 8));
    default:
      return buf.readBigInt64LE(off);
  }
}

let cgroupIndex: Map<bigint, string> | undefined;
/** The cgroup2 path of a cgroup id (the inode of its directory), as `unified:/path`. */
function cgroupPath(id: bigint): string {
  const lookup = () => cgroupIndex!.get(id);
  if (!cgroupIndex || lookup() === undefined) {
    cgroupIndex = new Map();
    let mounts = '';
    try {
      mounts = readFileSync('/proc/self/mounts', 'utf8');
    } catch {
      /* none */
    }
    for (const line of mounts.split('\n')) {
      const f = line.split(' ');
      if (f[2] !== 'cgroup2') continue;
      const root = f[1];
      const walk = (dir: string, rel: string, depth: number) => {
        try {
          cgroupIndex!.set(statSync(dir, { bigint: true }).ino, rel || '/');
          if (depth > 8) return;
          for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) walk(`${dir}/${d.name}`, `${rel}/${d.name}`, depth + 1);
        } catch {
          /* raced with removal */
        }
      };
      walk(root, '', 0);
    }
  }
  const p = lookup();
  return p === undefined ? '' : `unified:${p}`;
}

/** A printf argument from its record field. */
export function printfArg(t: SizedType, buf: Buffer, off: number, ctx: DecodeContext): PrintfArg {
  const w = widened(t);
  if (w.type === 'integer' || w.type === 'pointer' || w.type === 'count' || w.type === 'sum' || w.type === 'min' || w.type === 'max') {
    const signed = w.type === 'integer' ? w.signed : w.type !== 'pointer';
    return { kind: 'int', value: signed ? buf.readBigInt64LE(off) : buf.readBigUInt64LE(off), signed };
  }
  if (w.type === 'buffer') return { kind: 'buffer', value: decodeValue(w, buf, off, ctx) as Uint8Array };
  const v = decodeValue(w, buf, off, ctx);
  if (typeof v === 'bigint') return { kind: 'int', value: v, signed: true };
  if (typeof v === 'string') return { kind: 'string', value: v };
  return { kind: 'string', value: String(v) };
}

const STACK_INVALID = 0xffffffffn;

function stackText(t: SizedType, raw: bigint, ctx: DecodeContext): string {
  const user = t.type === 'ustack';
  const depth = t.stack?.limit ?? 127;
  const mode = t.stack?.mode ?? 'bpftrace';
  const id = raw & 0xffffffffn;
  const pid = Number(raw >> 32n);
  const map = ctx.stackMaps.get(`stack_${user ? 'u' : 'k'}_${depth}_${mode}`);
  if (!map || id === STACK_INVALID) return '\n';
  const key = Buffer.alloc(4);
  key.writeUInt32LE(Number(id));
  const ips = map.lookup(key);
  if (!ips) return '\n';
  const frames = user ? ctx.symbolizer.userStack(pid, ips) : ctx.symbolizer.kernelStack(ips);
  return formatStack(frames.slice(0, depth), { mode: mode === 'perf' ? 'perf' : 'bpftrace' });
}

let passwd: Map<number, string> | undefined;
function userName(uid: number): string {
  if (!passwd) {
    passwd = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 2) passwd.set(Number(f[2]), f[0]);
      }
    } catch {
      /* no passwd file */
    }
    if (!passwd.has(process.getuid?.() ?? -1)) passwd.set(process.getuid?.() ?? 0, userInfo().username);
  }
  return passwd.get(uid) ?? String(uid);
}

function inetText(buf: Buffer, off: number): string {
  const af = Number(buf.readBigInt64LE(off));
  const a = buf.subarray(off + 8, off + 24);
  if (af === 2) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  if (af === 10) {
    const words: string[] = [];
    for (let i = 0; i < 16; i += 2) words.push(a.readUInt16BE(i).toString(16));
    // Compress the longest run of zero words like inet_ntop.
    let best = -1;
    let bestLen = 0;
    for (let i = 0; i < 8; ) {
      if (words[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && words[j] === '0') j++;
      if (j - i > bestLen && j - i >= 2) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (best < 0) return words.join(':');
    return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
  }
  return '';
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A small strftime over local time (the conversions bpftrace scripts use). */
export function strftime(fmt: string, epochNs: bigint): string {
  const d = new Date(Number(epochNs / 1_000_000n));
  const p2 = (n: number) => String(n).padStart(2, '0');
  return fmt.replace(/%([a-zA-Z%])/g, (m, c: string) => {
    switch (c) {
      case 'H': return p2(d.getHours());
      case 'M': return p2(d.getMinutes());
      case 'S': return p2(d.getSeconds());
      case 'Y': return String(d.getFullYear());
      case 'y': return p2(d.getFullYear() % 100);
      case 'm': return p2(d.getMonth() + 1);
      case 'd': return p2(d.getDate());
      case 'e': return String(d.getDate()).padStart(2, ' ');
      case 'j': {
        const start = new Date(d.getFullYear(), 0, 0);
        return String(Math.floor((d.getTime() - start.getTime()) / 86400000)).padStart(3, '0');
      }
      case 'a': return DAYS[d.getDay()];
      case 'A': return ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][d.getDay()];
      case 'b':
      case 'h': return MONTHS[d.getMonth()];
      case 'B': return ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'][d.getMonth()];
      case 'p': return d.getHours() < 12 ? 'AM' : 'PM';
      case 'I': return p2(((d.getHours() + 11) % 12) + 1);
      case 's': return String(Math.floor(d.getTime() / 1000));
      case 'T': return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
      case 'D': return `${p2(d.getMonth() + 1)}/${p2(d.getDate())}/${p2(d.getFullYear() % 100)}`;
      case 'F': return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
      case 'R': return `${p2(d.getHours())}:${p2(d.getMinutes())}`;
      case 'Z': return Intl.DateTimeFormat('en', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? '';
      case 'z': {
        const o = -d.getTimezoneOffset();
        return `${o >= 0 ? '+' : '-'}${p2(Math.floor(Math.abs(o) / 60))}${p2(Math.abs(o) % 60)}`;
      }
      case 'n': return '\n';
      case 't': return '\t';
      case '%': return '%';
      default: return m;
    }
  });
}

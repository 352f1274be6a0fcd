// Kernel symbols from /proc/kallsyms: parsed once, on first use, into address order.
// Kernel addresses do not fit a JS number (0xffffffff81000000 > 2^53), so they are bigints.
// Without CAP_SYSLOG (kptr_restrict) every address reads as 0; `restricted` says so.
import { readFileSync } from 'node:fs';

export interface KernelSymbol {
  addr: bigint;
  name: string;
  /** nm-style type letter: 'T'/'t' text, 'D'/'d' data, 'W' weak, ... */
  type: string;
  /** The module the symbol belongs to; undefined for vmlinux. */
  module: string | undefined;
}

export interface KernelSymbolHit {
  name: string;
  offset: number;
  module: string | undefined;
  addr: bigint;
}

/** Parses the text of /proc/kallsyms (lines `ffffffff81000000 T _text` or `... t f\t[mod]`). */
export function parseKallsyms(text: string): KernelSymbol[] {
  const out: KernelSymbol[] = [];
  let p = 0;
  while (p < text.length) {
    let nl = text.indexOf('\n', p);
    if (nl < 0) nl = text.length;
    const line = text.slice(p, nl);
    p = nl + 1;
    const s1 = line.indexOf(' ');
    const s2 = s1 < 0 ? -1 : line.indexOf(' ', s1 + 1);
    if (s2 < 0) continue;
    const tab = line.indexOf('\t', s2 + 1);
    const name = tab < 0 ? line.slice(s2 + 1) : line.slice(s2 + 1, tab);
    let module: string | undefined;
    if (tab >= 0) {
      const m = line.slice(tab + 1).trim();
      module = m.startsWith('[') && m.endsWith(']') ? m.slice(1, -1) : m;
    }
    out.push({ addr: BigInt('0x' + line.slice(0, s1)), name, type: line.slice(s1 + 1, s2), module });
  }
  return out;
}

const TEXT = new Set(['T', 't', 'W', 'w']);

export class Kallsyms {
  /** Sorted by address; text symbols first among aliases. */
  readonly symbols: readonly KernelSymbol[];
  /** True when every address is 0: the reader lacks the privilege to see them. */
  readonly restricted: boolean;
  private byName: Map<string, KernelSymbol> | undefined;
  private addrs: BigUint64Array;

  constructor(symbols: KernelSymbol[]) {
    this.restricted = symbols.length > 0 && symbols.every((s) => s.addr === 0n);
    const sorted = symbols.slice().sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : (TEXT.has(a.type) ? 0 : 1) - (TEXT.has(b.type) ? 0 : 1)));
    this.symbols = sorted;
    this.addrs = BigUint64Array.from(sorted, (s) => s.addr);
  }

  static fromText(text: string): Kallsyms {
    return new Kallsyms(parseKallsyms(text));
  }

  static read(path = '/proc/kallsyms'): Kallsyms {
    return Kallsyms.fromText(readFileSync(path, 'latin1'));
  }

  /** The symbol at or below `addr` (kallsyms has no sizes: the nearest preceding symbol). */
  lookup(addr: bigint | number): KernelSymbolHit | undefined {
    if (this.restricted) return undefined;
    const a = BigInt(addr);
    const xs = this.addrs;
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (xs[mid] <= a) lo = mid + 1;
      else hi = mid;
    }
    let i = lo - 1;
    if (i < 0) return undefined;
    while (i > 0 && xs[i - 1] === xs[i]) i--;
    const s = this.symbols[i];
    return { name: s.name, offset: Number(a - s.addr), module: s.module, addr: s.addr };
  }

  /** Every distinct address a name has (libbpf refuses a typeless extern with more than one). */
  addresses(name: string): bigint[] {
    if (this.restricted) return [];
    return [...new Set(this.symbols.filter((s) => s.name === name).map((s) => s.addr))];
  }

  /** The address of a symbol (the vmlinux one when a module has the same name). */
  address(name: string): bigint | undefined {
    if (!this.byName) {
      const m = new Map<string, KernelSymbol>();
      for (const s of this.symbols) {
        const cur = m.get(s.name);
        if (!cur || (cur.module !== undefined && s.module === undefined)) m.set(s.name, s);
      }
      this.byName = m;
    }
    const s = this.byName.get(name);
    return s && !this.restricted ? s.addr : undefined;
  }
}

let shared: Kallsyms | undefined;

/** The running kernel's symbols, read once per process. */
export function kallsyms(): Kallsyms {
  return (shared ??= Kallsyms.read());
}

/** Drops the shared copy, so that the next kallsyms() sees modules loaded since. */
export function reloadKallsyms(): Kallsyms {
  shared = undefined;
  return kallsyms();
}

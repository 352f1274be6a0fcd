// Symbol tables of executables and shared libraries: .symtab and .dynsym merged (with the separate
// debug file's .symtab when the binary is stripped), sorted by address, looked up with sizes.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { BpfError } from '../sys/errors.js';
import { STB_GLOBAL, STB_WEAK, STT_FUNC, STT_OBJECT, SHN_UNDEF, type ElfFile, type ElfSymbol } from '../elf/reader.js';
import {
  buildId, debugLink, dynamicSymbols, ET_DYN, loadSegments, readElfImage, staticSymbols, STT_GNU_IFUNC,
  fileOffsetToVaddr, vaddrToFileOffset, type ProgramHeader,
} from '../elf/image.js';

export type SymbolKind = 'func' | 'object' | 'ifunc';

export interface SymbolEntry {
  name: string;
  /** Virtual address as linked (for a PIE or library: relative to its load base). */
  addr: number;
  size: number;
  kind: SymbolKind;
  bind: 'local' | 'global' | 'weak';
  /** Which table the entry came from. */
  table: 'symtab' | 'dynsym';
}

export interface SymbolHit {
  symbol: SymbolEntry;
  /** Distance from the symbol's start. */
  offset: number;
}

export interface SymbolTableOptions {
  /** Look for a separate debug file when the binary has no .symtab (default true). */
  debugFile?: boolean;
  /** Root of the debug file tree (default /usr/lib/debug). */
  debugDir?: string;
}

const ENOENT = constants.errno.ENOENT;
const BIND_RANK: Record<SymbolEntry['bind'], number> = { global: 0, weak: 1, local: 2 };

function kindOf(type: number): SymbolKind | undefined {
  if (type === STT_FUNC) return 'func';
  if (type === STT_OBJECT) return 'object';
  if (type === STT_GNU_IFUNC) return 'ifunc';
  return undefined;
}

function bindOf(bind: number): SymbolEntry['bind'] {
  return bind === STB_GLOBAL ? 'global' : bind === STB_WEAK ? 'weak' : 'local';
}

/** Among aliases of one address: global before weak before local, fewer leading '_', shorter. */
function preference(a: SymbolEntry, b: SymbolEntry): number {
  if (a.kind !== b.kind) return a.kind === 'func' ? -1 : b.kind === 'func' ? 1 : 0;
  if (a.bind !== b.bind) return BIND_RANK[a.bind] - BIND_RANK[b.bind];
  const ua = /^_*/.exec(a.name)![0].length;
  const ub = /^_*/.exec(b.name)![0].length;
  if (ua !== ub) return ua - ub;
  return a.name.length - b.name.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export class SymbolTable {
  /** Sorted by address, aliases of one address in order of preference. */
  readonly entries: readonly SymbolEntry[];
  readonly segments: readonly ProgramHeader[];
  readonly path: string | undefined;
  /** The debug file the .symtab came from, when it was not the binary itself. */
  readonly debugFile: string | undefined;
  readonly buildId: string | undefined;
  /** ET_DYN (shared library or PIE): addresses are relative to where the file is mapped. */
  readonly relocatable: boolean;
  /** Neither the file nor a debug file had a .symtab. */
  readonly stripped: boolean;
  private byNameCache: Map<string, SymbolEntry[]> | undefined;

  constructor(init: { entries: SymbolEntry[]; segments: ProgramHeader[]; path?: string; debugFile?: string; buildId?: string; relocatable: boolean; stripped: boolean }) {
    this.entries = init.entries;
    this.segments = init.segments;
    this.path = init.path;
    this.debugFile = init.debugFile;
    this.buildId = init.buildId;
    this.relocatable = init.relocatable;
    this.stripped = init.stripped;
  }

  /** The symbol that contains `addr` (a linked virtual address). */
  lookup(addr: number): SymbolHit | undefined {
    const e = this.entries;
    let lo = 0;
    let hi = e.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid].addr <= addr) lo = mid + 1;
      else hi = mid;
    }
    // e[lo-1] is the last entry at or below addr; its aliases come first, then enclosing symbols.
    const i = lo - 1;
    if (i < 0) return undefined;
    let first = i;
    while (first > 0 && e[first - 1].addr === e[i].addr) first--;
    for (let k = first; k <= i; k++) {
      if (e[k].size > 0 && addr < e[k].addr + e[k].size) return { symbol: e[k], offset: addr - e[k].addr };
    }
    // A symbol of unknown size (hand-written assembly) covers up to the next symbol.
    for (let k = first; k <= i; k++) {
      if (e[k].size === 0) return { symbol: e[k], offset: addr - e[k].addr };
    }
    // A sized symbol may enclose smaller ones (nested local labels).
    for (let k = first - 1, n = 0; k >= 0 && n < 16; k--, n++) {
      const s = e[k];
      if (s.size > 0 && addr < s.addr + s.size) return { symbol: s, offset: addr - s.addr };
    }
    return undefined;
  }

  /** Entries with this exact name. */
  byName(name: string): SymbolEntry[] {
    if (!this.byNameCache) {
      const m = new Map<string, SymbolEntry[]>();
      for (const s of this.entries) {
        const l = m.get(s.name);
        if (l) l.push(s);
        else m.set(s.name, [s]);
      }
      this.byNameCache = m;
    }
    return this.byNameCache.get(name) ?? [];
  }

  /** Up to `n` names close to `name` (shared substrings first, then edit distance). */
  closeNames(name: string, n = 5): string[] {
    const lower = name.toLowerCase();
    const names = [...new Set(this.entries.filter((s) => s.kind !== 'object').map((s) => s.name))];
    const scored = names.map((c) => {
      const cl = c.toLowerCase();
      const contains = cl.includes(lower) || lower.includes(cl) ? 0 : 1;
      return { c, contains, d: contains ? editDistance(lower, cl, lower.length) : Math.abs(cl.length - lower.length) };
    });
    scored.sort((a, b) => a.contains - b.contains || a.d - b.d || (a.c < b.c ? -1 : 1));
    return scored.filter((s) => s.contains === 0 || s.d <= Math.max(2, lower.length / 3)).slice(0, n).map((s) => s.c);
  }

  /** A linked virtual address → the file offset a uprobe takes. */
  fileOffset(vaddr: number): number | undefined {
    return vaddrToFileOffset(this.segments, vaddr);
  }

  /** A file offset (as /proc/PID/maps gives) → the linked virtual address. */
  vaddr(fileOffset: number): number | undefined {
    return fileOffsetToVaddr(this.segments, fileOffset);
  }
}

/** Levenshtein distance, giving up (returning cap+1) once it exceeds `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > cap) return cap + 1;
    prev = cur;
  }
  return prev[b.length];
}

function collect(out: SymbolEntry[], syms: ElfSymbol[], table: SymbolEntry['table']): void {
  for (const s of syms) {
    if (s.shndx === SHN_UNDEF || s.name === '' || s.value === 0) continue;
    const kind = kindOf(s.type);
    if (!kind) continue;
    out.push({ name: s.name, addr: s.value, size: s.size, kind, bind: bindOf(s.bind), table });
  }
}

/** Builds the merged table from an already-read ELF file (and optionally its debug file). */
export function symbolTableOf(elf: ElfFile, debug?: ElfFile): SymbolTable {
  const entries: SymbolEntry[] = [];
  const own = staticSymbols(elf);
  const dbg = debug ? staticSymbols(debug) : [];
  collect(entries, own, 'symtab');
  collect(entries, dbg, 'symtab');
  collect(entries, dynamicSymbols(elf), 'dynsym');
  entries.sort((a, b) => a.addr - b.addr || preference(a, b));
  // The same symbol often sits in both tables; keep the first (the .symtab one) of each.
  const seen = new Set<string>();
  const unique: SymbolEntry[] = [];
  for (const s of entries) {
    const key = `${s.addr}:${s.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(s);
  }
  return new SymbolTable({
    entries: unique,
    segments: loadSegments(elf),
    path: elf.file,
    debugFile: debug?.file,
    buildId: buildId(elf),
    relocatable: elf.elfType === ET_DYN,
    stripped: own.length === 0 && dbg.length === 0,
  });
}

/**
 * Candidate debug files for a binary, in gdb's order: by build-id under the debug tree, then by
 * .gnu_debuglink next to the file, in its .debug/ folder, and under the debug tree.
 */
export function debugFileCandidates(elf: ElfFile, path: string, debugDir = '/usr/lib/debug'): Array<{ path: string; crc?: number }> {
  const out: Array<{ path: string; crc?: number }> = [];
  const id = buildId(elf);
  if (id && id.length > 2) out.push({ path: join(debugDir, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`) });
  const link = debugLink(elf);
  if (link) {
    const dir = dirname(path);
    for (const p of [join(dir, link.file), join(dir, '.debug', link.file), join(debugDir, dir, link.file)]) {
      if (p !== path) out.push({ path: p, crc: link.crc });
    }
  }
  return out;
}

/** The first debug file that exists and (for .gnu_debuglink) matches the recorded CRC. */
export function findDebugFile(elf: ElfFile, path: string, debugDir?: string): string | undefined {
  for (const c of debugFileCandidates(elf, path, debugDir)) {
    if (!existsSync(c.path)) continue;
    if (c.crc !== undefined && crc32(readFileSync(c.path)) >>> 0 !== c.crc) continue;
    return c.path;
  }
  return undefined;
}

/** Reads a binary's symbol table, consulting its debug file when it has no .symtab. */
export function readSymbolTable(path: string, opts: SymbolTableOptions = {}): SymbolTable {
  const elf = readElfImage(path);
  let debug: ElfFile | undefined;
  if (opts.debugFile !== false && staticSymbols(elf).length === 0) {
    const dpath = findDebugFile(elf, path, opts.debugDir);
    if (dpath) {
      try {
        debug = readElfImage(dpath);
      } catch {
        debug = undefined; // a broken debug file must not hide the binary's own .dynsym
      }
    }
  }
  return symbolTableOf(elf, debug);
}

const cache = new Map<string, SymbolTable>();

/** readSymbolTable() cached by (device, inode, mtime, size) of the file. */
export function cachedSymbolTable(path: string, opts: SymbolTableOptions = {}): SymbolTable {
  const st = statSync(path);
  const key = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}:${opts.debugFile !== false}:${opts.debugDir ?? ''}`;
  let t = cache.get(key);
  if (!t) {
    t = readSymbolTable(path, opts);
    cache.set(key, t);
  }
  return t;
}

/** Forgets every cached table (tests, or a long-running tool that wants to free memory). */
export function clearSymbolTableCache(): void {
  cache.clear();
}

export interface SymbolOffset {
  /** File offset for the uprobe. */
  offset: number;
  /** The symbol's linked virtual address. */
  addr: number;
  symbol: SymbolEntry;
}

/**
 * A function's file offset in an executable or library, for attaching a uprobe:
 * symbol address → containing PT_LOAD → address - p_vaddr + p_offset.
 */
export function resolveSymbolOffset(path: string, symbol: string, opts: SymbolTableOptions = {}): SymbolOffset {
  if (!existsSync(path)) throw new BpfError('uprobe symbol lookup', ENOENT, `no such file '${path}'`);
  const table = cachedSymbolTable(path, opts);
  const hits = table.byName(symbol).filter((s) => s.kind !== 'object');
  if (hits.length === 0) {
    const objects = table.byName(symbol);
    if (objects.length > 0) throw new BpfError('uprobe symbol lookup', ENOENT, `'${symbol}' in ${path} is a data object, not a function`);
    if (table.stripped && table.entries.length === 0) {
      throw new BpfError('uprobe symbol lookup', ENOENT, `${path} is stripped (no .symtab or .dynsym) and no debug file was found by build-id or .gnu_debuglink; give an offset instead`);
    }
    const close = table.closeNames(symbol);
    const hint = close.length ? `; close names: ${close.join(', ')}` : '';
    const stripped = table.stripped ? ` (the file is stripped: only its ${table.entries.length} dynamic symbols were searched)` : '';
    throw new BpfError('uprobe symbol lookup', ENOENT, `no function '${symbol}' in ${basename(path)}${stripped}${hint}`);
  }
  // Like libbpf: a global or weak definition wins; two distinct addresses of one rank are ambiguous.
  const best = Math.min(...hits.map((h) => (h.bind === 'local' ? 1 : 0)));
  const addrs = [...new Set(hits.filter((h) => (h.bind === 'local' ? 1 : 0) === best).map((h) => h.addr))];
  if (addrs.length > 1) {
    throw new BpfError('uprobe symbol lookup', constants.errno.EINVAL, `'${symbol}' is defined ${addrs.length} times in ${path} (at ${addrs.map((a) => '0x' + a.toString(16)).join(', ')}); give an offset instead`);
  }
  const hit = hits.find((h) => h.addr === addrs[0])!;
  const offset = table.fileOffset(hit.addr);
  if (offset === undefined) throw new BpfError('uprobe symbol lookup', ENOENT, `'${symbol}' at 0x${hit.addr.toString(16)} lies in no loadable segment of ${path}`);
  return { offset, addr: hit.addr, symbol: hit };
}

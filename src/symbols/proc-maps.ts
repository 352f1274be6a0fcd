// /proc/PID/maps: which file (and where in it) backs each user address, and the symbol there.
import { readFileSync } from 'node:fs';
import { cachedSymbolTable, type SymbolEntry, type SymbolTable, type SymbolTableOptions } from './elf-symbols.js';

export interface MapEntry {
  start: number;
  end: number;
  /** 'r-xp' and the like. */
  perms: string;
  /** File offset of `start`. */
  offset: number;
  /** 'major:minor' in hex, as the kernel prints it. */
  dev: string;
  inode: number;
  /** The file, a pseudo-name ('[heap]', '[vdso]', '[anon:...]'), or '' for anonymous memory. */
  path: string;
  /** The file was deleted or replaced after being mapped. */
  deleted: boolean;
}

/** Parses the text of /proc/PID/maps. */
export function parseMaps(text: string): MapEntry[] {
  const out: MapEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+:[0-9a-f]+)\s+(\d+)\s*(.*)$/.exec(line);
    if (!m) continue;
    let path = m[7];
    const deleted = path.endsWith(' (deleted)');
    if (deleted) path = path.slice(0, -' (deleted)'.length);
    out.push({ start: parseInt(m[1], 16), end: parseInt(m[2], 16), perms: m[3], offset: parseInt(m[4], 16), dev: m[5], inode: Number(m[6]), path, deleted });
  }
  return out;
}

export function readMaps(pid: number | 'self' = 'self'): MapEntry[] {
  return parseMaps(readFileSync(`/proc/${pid}/maps`, 'latin1'));
}

/** A mapping backed by a regular file (not anonymous memory or a pseudo-file like [vdso]). */
export function isFileMapping(e: MapEntry): boolean {
  return e.inode !== 0 && e.path.startsWith('/');
}

export interface UserAddress {
  addr: number;
  mapping: MapEntry;
  path: string;
  /** Offset of the address in the mapped file. */
  fileOffset: number;
  /** The address as linked in the ELF file (what its symbol table speaks). */
  vaddr?: number;
  symbol?: SymbolEntry;
  /** Distance from the symbol's start. */
  offset?: number;
}

/**
 * The address space of one process. Its ELF tables are shared process-wide, keyed by the file's
 * (device, inode, mtime), so many processes of one binary cost one table.
 */
export class ProcessMaps {
  readonly pid: number;
  private entries: MapEntry[] = [];
  private readonly opts: SymbolTableOptions;
  private readonly failed = new Set<string>();

  constructor(pid: number, opts: SymbolTableOptions = {}) {
    this.pid = pid;
    this.opts = opts;
    this.refresh();
  }

  /** Re-reads /proc/PID/maps; false when the process is gone (the last maps are kept). */
  refresh(): boolean {
    try {
      this.entries = readMaps(this.pid);
      return true;
    } catch {
      return false;
    }
  }

  get mappings(): readonly MapEntry[] {
    return this.entries;
  }

  /** The mapping containing `addr`. */
  mapping(addr: number): MapEntry | undefined {
    const e = this.entries;
    let lo = 0;
    let hi = e.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid].start <= addr) lo = mid + 1;
      else hi = mid;
    }
    const m = e[lo - 1];
    return m && addr < m.end ? m : undefined;
  }

  /** The ELF symbol table of a mapped file, through /proc/PID/root so container paths work. */
  symbolTable(m: MapEntry): SymbolTable | undefined {
    if (!isFileMapping(m)) return undefined;
    const candidates = [`/proc/${this.pid}/root${m.path}`, `/proc/${this.pid}/map_files/${m.start.toString(16)}-${m.end.toString(16)}`];
    if (!m.deleted) candidates.push(m.path);
    for (const p of candidates) {
      if (this.failed.has(p)) continue;
      try {
        return cachedSymbolTable(p, this.opts);
      } catch {
        this.failed.add(p);
      }
    }
    return undefined;
  }

  /** Address → mapping, file offset and symbol (what is known of it). */
  resolve(addr: number): UserAddress | undefined {
    let m = this.mapping(addr);
    if (!m && this.refresh()) m = this.mapping(addr);
    if (!m) return undefined;
    const out: UserAddress = { addr, mapping: m, path: m.path, fileOffset: addr - m.start + m.offset };
    const table = this.symbolTable(m);
    if (!table) return out;
    const vaddr = table.vaddr(out.fileOffset);
    if (vaddr === undefined) return out;
    out.vaddr = vaddr;
    const hit = table.lookup(vaddr);
    if (hit) {
      out.symbol = hit.symbol;
      out.offset = hit.offset;
    }
    return out;
  }
}

// /tmp/perf-PID.map: the symbol file JIT compilers write for perf (`START SIZE name`, hex, one per
// line, appended as code is compiled). Node writes it when run with --perf-basic-prof.
// The file only grows, so a reader keeps its position and reads the new lines when it has grown.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface PerfMapEntry {
  start: number;
  size: number;
  name: string;
}

/** Parses perf map lines; malformed lines are skipped (the writer may be mid-line). */
export function parsePerfMap(text: string): PerfMapEntry[] {
  const out: PerfMapEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:0x)?([0-9a-fA-F]+)\s+(?:0x)?([0-9a-fA-F]+)\s+(.*?)\s*$/.exec(line);
    if (!m || m[3] === '') continue;
    out.push({ start: parseInt(m[1], 16), size: parseInt(m[2], 16), name: m[3] });
  }
  return out;
}

export function perfMapPath(pid: number): string {
  return `/tmp/perf-${pid}.map`;
}

interface Ranked extends PerfMapEntry {
  seq: number;
}

export class PerfMap {
  readonly path: string;
  private pos = 0;
  private pending = '';
  private seq = 0;
  private all: Ranked[] = [];
  private sorted: Ranked[] = [];
  private dirty = false;

  constructor(path: string) {
    this.path = path;
  }

  static forPid(pid: number): PerfMap {
    return new PerfMap(perfMapPath(pid));
  }

  /** Reads lines appended since the last call; false when the file does not exist. */
  refresh(): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return false;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.pos) this.reset(); // rewritten (a new process with the same pid)
      if (size === this.pos) return true;
      const buf = Buffer.alloc(size - this.pos);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, this.pos + got);
        if (n <= 0) break;
        got += n;
      }
      this.pos += got;
      const text = this.pending + buf.subarray(0, got).toString('utf8');
      const cut = text.lastIndexOf('\n');
      this.pending = text.slice(cut + 1);
      this.add(parsePerfMap(text.slice(0, cut + 1)));
      return true;
    } finally {
      closeSync(fd);
    }
  }

  /** Adds entries as if appended to the file (later entries replace overlapping earlier ones). */
  add(entries: PerfMapEntry[]): void {
    for (const e of entries) this.all.push({ ...e, seq: this.seq++ });
    if (entries.length) this.dirty = true;
  }

  get size(): number {
    return this.all.length;
  }

  private reset(): void {
    this.pos = 0;
    this.pending = '';
    this.all = [];
    this.sorted = [];
  }

  private rebuild(): void {
    // Sweep in address order; where two ranges overlap the newer one wins, as code at an address
    // is replaced when the JIT recompiles.
    const byStart = this.all.slice().sort((a, b) => a.start - b.start || a.seq - b.seq);
    const kept: Ranked[] = [];
    for (const e of byStart) {
      let drop = false;
      while (kept.length) {
        const last = kept[kept.length - 1];
        if (last.start + Math.max(last.size, 1) <= e.start) break;
        if (last.seq > e.seq) {
          drop = true;
          break;
        }
        kept.pop();
      }
      if (!drop) kept.push(e);
    }
    this.sorted = kept;
    this.dirty = false;
  }

  /** The JIT symbol containing `addr`; re-reads the file once when nothing matches. */
  lookup(addr: number): { entry: PerfMapEntry; offset: number } | undefined {
    const hit = this.find(addr);
    if (hit) return hit;
    const before = this.all.length;
    this.refresh();
    return this.all.length !== before ? this.find(addr) : undefined;
  }

  private find(addr: number): { entry: PerfMapEntry; offset: number } | undefined {
    if (this.dirty) this.rebuild();
    const e = this.sorted;
    let lo = 0;
    let hi = e.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid].start <= addr) lo = mid + 1;
      else hi = mid;
    }
    const c = e[lo - 1];
    if (!c || addr >= c.start + Math.max(c.size, 1)) return undefined;
    return { entry: { start: c.start, size: c.size, name: c.name }, offset: addr - c.start };
  }
}

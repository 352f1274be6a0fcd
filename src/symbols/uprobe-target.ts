// What src/link/uprobe.ts needs from a `uprobe/PATH:SYMBOL[+OFFSET]` target: the file and offset.
import { resolveBinary } from './libpath.js';
import { resolveSymbolOffset } from './elf-symbols.js';

export interface UprobeTarget {
  /** Absolute path of the executable or library. */
  path: string;
  /** File offset of the probe. */
  offset: number;
  /** The symbol, when one was named. */
  symbol?: string;
}

/**
 * Resolves a binary (path, library name like `libc`, or executable on PATH; with a pid, the
 * process's own mapped copy first) and a function name, optionally `name+0x10`, or a bare
 * address/offset (`0x1234`) to a uprobe file offset.
 */
export function resolveUprobeTarget(binary: string, func: string, opts: { pid?: number } = {}): UprobeTarget {
  const path = resolveBinary(binary, opts.pid);
  const m = /^(.*?)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(func)!;
  const name = m[1];
  const extra = m[2] ? Number(m[2]) : 0;
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(name)) return { path, offset: Number(name) + extra };
  const r = resolveSymbolOffset(path, name);
  return { path, offset: r.offset + extra, symbol: name };
}

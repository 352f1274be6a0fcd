// Finding a library like the dynamic loader: `libc`, `c`, `libc.so.6` → /lib/x86_64-linux-gnu/libc.so.6.
// Order: the libraries a running process has mapped (when a pid is given), LD_LIBRARY_PATH,
// /etc/ld.so.cache, then the default directories.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { basename, delimiter, join, resolve } from 'node:path';
import { BpfError, ParseError } from '../sys/errors.js';
import { isFileMapping, readMaps } from './proc-maps.js';

export interface LdCacheEntry {
  /** The soname the cache is keyed by, e.g. 'libc.so.6'. */
  name: string;
  path: string;
  /** glibc's FLAG_* bits: the low byte is the library type, the next the architecture. */
  flags: number;
  hwcap: bigint;
}

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache';
const NEW_HEADER = 48;
const NEW_ENTRY = 24;

function cstr(buf: Uint8Array, at: number): string {
  const end = buf.indexOf(0, at);
  return Buffer.from(buf.buffer, buf.byteOffset + at, (end < 0 ? buf.length : end) - at).toString('utf8');
}

/** Parses /etc/ld.so.cache (the "glibc-ld.so.cache1.1" format, alone or after the old one). */
export function parseLdCache(buf: Uint8Array, file = '/etc/ld.so.cache'): LdCacheEntry[] {
  const bad = (reason: string, at: number): never => {
    throw new ParseError(`ld.so.cache: ${reason}`, { file, line: 1, column: at + 1 });
  };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const text = (at: number, n: number) => Buffer.from(buf.buffer, buf.byteOffset + at, Math.max(0, Math.min(n, buf.length - at))).toString('latin1');
  let base = 0;
  if (text(0, OLD_MAGIC.length) === OLD_MAGIC) {
    if (buf.length < 16) bad('truncated old-format header', 0);
    const nOld = dv.getUint32(12, true);
    base = 16 + nOld * 12;
    base = (base + 7) & ~7;
  }
  if (text(base, NEW_MAGIC.length) !== NEW_MAGIC) bad(base ? 'no new-format cache after the old one' : 'not a glibc ld.so.cache (bad magic)', base);
  if (text(base + 17, 3) !== '1.1') bad(`unsupported cache version '${text(base + 17, 3)}'`, base + 17);
  if (buf.length < base + NEW_HEADER) bad('truncated header', base);
  // Byte 28 records the writer's byte order: 2 little, 3 big (0 or 1: unknown, assume ours).
  const le = buf[base + 28] !== 3;
  const nlibs = dv.getUint32(base + 20, le);
  if (nlibs > (buf.length - base - NEW_HEADER) / NEW_ENTRY) bad(`${nlibs} entries do not fit in the file`, base + 20);
  const out: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const e = base + NEW_HEADER + i * NEW_ENTRY;
    const key = dv.getUint32(e + 4, le);
    const value = dv.getUint32(e + 8, le);
    if (base + key >= buf.length || base + value >= buf.length) bad(`entry ${i} points outside the file`, e);
    out.push({ flags: dv.getInt32(e, le), name: cstr(buf, base + key), path: cstr(buf, base + value), hwcap: dv.getBigUint64(e + 16, le) });
  }
  return out;
}

/** The FLAG_* value of libraries for this process's architecture (libc6 type + arch bits). */
export function nativeCacheFlags(): number | undefined {
  switch (process.arch) {
    case 'x64':
      return 0x0303;
    case 'arm64':
      return 0x0a03;
    default:
      return undefined;
  }
}

let ldCache: LdCacheEntry[] | undefined;

export function readLdCache(path = '/etc/ld.so.cache'): LdCacheEntry[] {
  if (path !== '/etc/ld.so.cache') return parseLdCache(readFileSync(path), path);
  if (!ldCache) {
    try {
      ldCache = parseLdCache(readFileSync(path), path);
    } catch {
      ldCache = [];
    }
  }
  return ldCache;
}

/** Default directories of the x86-64/arm64 Debian and Fedora loaders. */
export const DEFAULT_LIB_DIRS = ['/lib64', '/usr/lib64', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib', '/usr/lib'];

/**
 * Does the file name `file` satisfy the request `name`? `libc.so.6` must match exactly;
 * `libc` (or `c`) matches libc.so, libc.so.6 and libc-2.31.so, but not libcrypto.so.
 */
export function libraryNameMatches(name: string, file: string): boolean {
  if (name === file) return true;
  if (/\.so(\.|$)/.test(name)) return false;
  const stem = name.startsWith('lib') ? name : `lib${name}`;
  if (!file.startsWith(stem)) return false;
  const rest = file.slice(stem.length);
  return rest.startsWith('.so') || /^-[0-9.]+\.so/.test(rest);
}

/** Preference among matches: a versioned soname (what programs load) over the dev symlink. */
function rank(file: string): number {
  if (/\.so\.\d/.test(file)) return 0;
  if (/-[0-9.]+\.so$/.test(file)) return 1;
  return 2;
}

export interface ResolveLibraryOptions {
  /** LD_LIBRARY_PATH to search (default: this process's). */
  ldLibraryPath?: string;
  /** ld.so.cache to read (default /etc/ld.so.cache). */
  cacheFile?: string;
}

/**
 * Resolves a library name to a path as the dynamic loader would. An absolute or relative path
 * is returned as is (made absolute). With a pid, the process's mappings are searched first.
 */
export function resolveLibrary(name: string, pid?: number, opts: ResolveLibraryOptions = {}): string {
  if (name.includes('/')) {
    const p = resolve(name);
    if (!existsSync(p)) throw new BpfError('library lookup', constants.errno.ENOENT, `no such file '${name}'`);
    return p;
  }
  if (pid !== undefined) {
    let maps;
    try {
      maps = readMaps(pid);
    } catch {
      throw new BpfError('library lookup', constants.errno.ESRCH, `cannot read /proc/${pid}/maps (no such process?)`);
    }
    const hits = [...new Set(maps.filter((m) => isFileMapping(m) && libraryNameMatches(name, basename(m.path))).map((m) => m.path))];
    if (hits.length) return hits.sort((a, b) => rank(basename(a)) - rank(basename(b)))[0];
  }
  const ldPath = opts.ldLibraryPath ?? process.env.LD_LIBRARY_PATH ?? '';
  const dirSearch = (dirs: string[]): string | undefined => {
    for (const d of dirs) {
      if (!d) continue;
      if (/\.so(\.|$)/.test(name)) {
        const p = join(d, name);
        if (isFile(p)) return p;
        continue;
      }
      let files: string[];
      try {
        files = readdirSync(d);
      } catch {
        continue;
      }
      const hits = files.filter((f) => libraryNameMatches(name, f) && isFile(join(d, f))).sort((x, y) => rank(x) - rank(y));
      if (hits.length) return join(d, hits[0]);
    }
    return undefined;
  };
  const fromEnv = dirSearch(ldPath.split(delimiter));
  if (fromEnv) return fromEnv;
  const flags = nativeCacheFlags();
  const cache = readLdCache(opts.cacheFile).filter((e) => (flags === undefined ? (e.flags & 0xff) === 3 : e.flags === flags) && libraryNameMatches(name, e.name));
  if (cache.length) return cache.sort((a, b) => rank(a.name) - rank(b.name))[0].path;
  const fromDirs = dirSearch(DEFAULT_LIB_DIRS);
  if (fromDirs) return fromDirs;
  throw new BpfError('library lookup', constants.errno.ENOENT, `library '${name}' not found${pid !== undefined ? ` in process ${pid},` : ''} in LD_LIBRARY_PATH, /etc/ld.so.cache or ${DEFAULT_LIB_DIRS.join(':')}`);
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The same file, whatever symlinks name it (/lib → /usr/lib on merged-/usr systems). */
export function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return a === b;
  }
}

/** An executable by name: a path as is, else the first match on PATH. */
export function resolveExecutable(name: string, pathEnv = process.env.PATH ?? ''): string {
  if (name.includes('/')) {
    const p = resolve(name);
    if (!existsSync(p)) throw new BpfError('executable lookup', constants.errno.ENOENT, `no such file '${name}'`);
    return p;
  }
  for (const d of pathEnv.split(delimiter)) {
    if (d && isFile(join(d, name))) return join(d, name);
  }
  throw new BpfError('executable lookup', constants.errno.ENOENT, `'${name}' not found on PATH`);
}

/** A uprobe target: a path, a library name (`libc`, `libc.so.6`) or an executable on PATH. */
export function resolveBinary(name: string, pid?: number): string {
  if (name.includes('/')) return resolveLibrary(name);
  if (name.startsWith('lib') || /\.so(\.|$)/.test(name)) return resolveLibrary(name, pid);
  return resolveExecutable(name);
}

/**
 * Where this process can open a file that process `pid` knows as `path`: the path itself, or the
 * same path under /proc/PID/root when the process runs in another mount namespace (a container)
 * and the file is only there. The kernel resolves uprobe paths in the caller's namespace too, so
 * the returned path is also what to attach to.
 */
export function pathInProcessRoot(path: string, pid?: number): string {
  if (!pid || !path.startsWith('/') || existsSync(path)) return path;
  const inRoot = `/proc/${pid}/root${path}`;
  return existsSync(inRoot) ? inRoot : path;
}

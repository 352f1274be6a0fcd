// Stacks to frames: kernel addresses through /proc/kallsyms, user addresses through the process's
// mappings and ELF symbols, JIT code through /tmp/perf-PID.map; and the text bpftrace prints for
// kstack/ustack, and folded stacks for flame graphs.
import { demangle } from './demangle.js';
import { kallsyms as sharedKallsyms, type Kallsyms } from './kallsyms.js';
import { PerfMap } from './perf-map.js';
import { ProcessMaps } from './proc-maps.js';
import type { SymbolTableOptions } from './elf-symbols.js';

export type FrameKind = 'kernel' | 'user' | 'jit';

export interface Frame {
  addr: bigint;
  kind: FrameKind;
  /** Symbol name (demangled unless the Symbolizer was told not to); undefined when unknown. */
  name?: string;
  /** The name as found in the symbol table. */
  rawName?: string;
  /** Distance from the symbol's start. */
  offset?: number;
  /** Kernel module ('vmlinux' frames leave it undefined), mapped file, or perf map path. */
  module?: string;
  /** Offset in the mapped file (user frames). */
  fileOffset?: number;
}

/** A stack as a BPF stack_trace map returns it: u64 ips, innermost first, ended by 0 or the array's end. */
export type StackInput = Iterable<bigint | number> | Uint8Array;

export function stackAddresses(ips: StackInput): bigint[] {
  const out: bigint[] = [];
  if (ips instanceof Uint8Array) {
    const dv = new DataView(ips.buffer, ips.byteOffset, ips.byteLength);
    for (let p = 0; p + 8 <= ips.length; p += 8) {
      const v = dv.getBigUint64(p, true);
      if (v === 0n) break;
      out.push(v);
    }
    return out;
  }
  for (const x of ips as Iterable<bigint | number>) {
    const v = BigInt(x);
    if (v === 0n) break;
    out.push(v);
  }
  return out;
}

export interface SymbolizerOptions {
  /** Kernel symbols to use (default: this machine's /proc/kallsyms, read on first need). */
  kallsyms?: Kallsyms;
  /** Demangle C++ and Rust names (default true). */
  demangle?: boolean;
  /** Consult /tmp/perf-PID.map for addresses outside file mappings (default true). */
  perfMap?: boolean;
  /** Debug-file lookup for stripped binaries (default true). */
  debugFile?: boolean;
  debugDir?: string;
}

export class Symbolizer {
  private readonly opts: SymbolizerOptions;
  private ksyms: Kallsyms | undefined;
  private readonly procs = new Map<number, ProcessMaps>();
  private readonly perfMaps = new Map<number, PerfMap>();
  private readonly demangled = new Map<string, string>();

  constructor(opts: SymbolizerOptions = {}) {
    this.opts = opts;
    this.ksyms = opts.kallsyms;
  }

  private name(raw: string): string {
    if (this.opts.demangle === false) return raw;
    let d = this.demangled.get(raw);
    if (d === undefined) {
      d = demangle(raw);
      this.demangled.set(raw, d);
    }
    return d;
  }

  kernelFrame(addr: bigint | number): Frame {
    const a = BigInt(addr);
    this.ksyms ??= sharedKallsyms();
    const hit = this.ksyms.lookup(a);
    if (!hit) return { addr: a, kind: 'kernel' };
    return { addr: a, kind: 'kernel', name: hit.name, rawName: hit.name, offset: hit.offset, module: hit.module };
  }

  /** The address space of a process, read once and kept (so stacks of exited processes still resolve). */
  process(pid: number): ProcessMaps {
    let p = this.procs.get(pid);
    if (!p) {
      p = new ProcessMaps(pid, { debugFile: this.opts.debugFile, debugDir: this.opts.debugDir } satisfies SymbolTableOptions);
      this.procs.set(pid, p);
    }
    return p;
  }

  /** Forgets what is cached about a process (its pid may be reused). */
  forget(pid: number): void {
    this.procs.delete(pid);
    this.perfMaps.delete(pid);
  }

  userFrame(pid: number, addr: bigint | number): Frame {
    const a = BigInt(addr);
    const frame: Frame = { addr: a, kind: 'user' };
    if (a > BigInt(Number.MAX_SAFE_INTEGER)) return frame;
    const n = Number(a);
    const r = this.process(pid).resolve(n);
    if (r) {
      frame.fileOffset = r.fileOffset;
      if (r.path) frame.module = r.path;
      if (r.symbol) {
        frame.rawName = r.symbol.name;
        frame.name = this.name(r.symbol.name);
        frame.offset = r.offset;
        return frame;
      }
      // A file-backed mapping without a symbol: not JIT code.
      if (r.mapping.inode !== 0) return frame;
    }
    if (this.opts.perfMap !== false) {
      let pm = this.perfMaps.get(pid);
      if (!pm) {
        pm = PerfMap.forPid(pid);
        pm.refresh();
        this.perfMaps.set(pid, pm);
      }
      const hit = pm.lookup(n);
      if (hit) return { addr: a, kind: 'jit', name: hit.entry.name, rawName: hit.entry.name, offset: hit.offset, module: pm.path };
    }
    return frame;
  }

  kernelStack(ips: StackInput): Frame[] {
    return stackAddresses(ips).map((a) => this.kernelFrame(a));
  }

  userStack(pid: number, ips: StackInput): Frame[] {
    return stackAddresses(ips).map((a) => this.userFrame(pid, a));
  }
}

// ---------------------------------------------------------------------------------------------
// Text

export type StackMode = 'bpftrace' | 'perf' | 'raw';

export interface FormatStackOptions {
  /** bpftrace's stack modes (default 'bpftrace'). */
  mode?: StackMode;
  /** Spaces before each frame in 'bpftrace' mode: 8 in printf("%s"), 4 as a map key (default 8). */
  indent?: number;
}

/** One frame as bpftrace prints it: `func+off`, or `0x<addr>` when unknown; perf mode adds the module of user frames. */
export function frameText(f: Frame, mode: StackMode = 'bpftrace'): string {
  const hex = f.addr.toString(16);
  if (mode === 'raw') return hex;
  let sym = f.name !== undefined ? `${f.name}+${f.offset ?? 0}` : `0x${hex}`;
  if (mode === 'perf' && f.kind !== 'kernel') sym += f.name !== undefined ? ` (${f.module ?? '[unknown]'})` : ' ([unknown])';
  return mode === 'perf' ? `${hex} ${sym}` : sym;
}

/**
 * A stack as bpftrace prints kstack/ustack: a newline, then one line per frame
 * (`        func+off` in bpftrace mode, `\t<hex> func+off (module)` in perf mode).
 */
export function formatStack(frames: readonly Frame[], opts: FormatStackOptions = {}): string {
  const mode = opts.mode ?? 'bpftrace';
  const pad = mode === 'bpftrace' ? ' '.repeat(opts.indent ?? 8) : mode === 'perf' ? '\t' : '';
  let out = '\n';
  for (const f of frames) out += `${pad}${frameText(f, mode)}\n`;
  return out;
}

export interface FoldOptions {
  /** Suffix kernel frames with `_[k]` and JIT frames with `_[j]` (as flame graph tools colour them). */
  annotate?: boolean;
}

function foldName(f: Frame, opts: FoldOptions): string {
  // ';' separates frames in the folded format; C++ names may not contain it, but guard anyway.
  const base = (f.name ?? '[unknown]').replace(/;/g, ':');
  if (!opts.annotate) return base;
  return f.kind === 'kernel' ? `${base}_[k]` : f.kind === 'jit' ? `${base}_[j]` : base;
}

/** Folded format (`root;...;leaf`) of one innermost-first stack. */
export function foldStack(frames: readonly Frame[], opts: FoldOptions = {}): string {
  return frames.map((f) => foldName(f, opts)).reverse().join(';');
}

/** Folded format of a user stack with the kernel stack on top of it (the kernel ran on behalf of the user code). */
export function foldStacks(user: readonly Frame[], kernel: readonly Frame[], opts: FoldOptions = {}): string {
  return [foldStack(user, opts), foldStack(kernel, opts)].filter((s) => s !== '').join(';');
}

// Script text → a loaded, attachable session: parse, check, expand attach points, generate code.
import { existsSync, readFileSync } from 'node:fs';
import { parse } from '../parser.js';
import { check, type CheckOptions } from '../check.js';
import { generate, type CompiledScript } from '../codegen/index.js';
import { listTracepoints, tracepointFormat } from '../../sys/tracefs.js';
import { pathInProcessRoot, resolveLibrary } from '../../symbols/libpath.js';
import { cachedDwarf } from '../../symbols/dwarf.js';
import { cachedSymbolTable } from '../../symbols/elf-symbols.js';
import { dwarfTypes, type DwarfTypes } from '../dwarf-types.js';
import { kernelBtf } from '../../btf/kernel.js';
import { expandProbe, type ConcreteAttach } from './expand.js';
import { TraceSession, type SessionOptions } from './session.js';

export interface CompileOptions {
  /** Positional parameters $1..$N. */
  params?: string[];
  /** File name in messages ('stdin' for -e). */
  file?: string;
  pid?: number;
  /** -c: the child's pid, for cpid. */
  cpid?: number;
  /** -c: the command, whose program watchpoints on functions refer to. */
  cmd?: string;
  unsafe?: boolean;
  /** BPFTRACE_STRLEN. */
  strlen?: number;
  /** Receives warnings (e.g. attach points skipped). */
  warn?: (message: string) => void;
  /** `--include FILE` headers and `-I DIR` directories, for the macros of C headers. */
  includes?: string[];
  includeDirs?: string[];
  /** -k (1) / -kk (2): report helpers that fail at run time. */
  helperCheck?: number;
}

function tracepointFormatOrUndefined(category: string, name: string) {
  try {
    return tracepointFormat(category, name);
  } catch {
    return undefined;
  }
}

/** Kernel BTF costs ~0.1 s to decode: only scripts that name kernel types (or curtask, kfuncs) get it. */
function btfFor(source: string): CheckOptions['btf'] {
  const code = source.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const kernelTypes = /\bstruct\b|\bunion\b|\benum\b|curtask|kfunc|kretfunc|\bf:|\bfr:|iter:|\bit:|\(\s*\w+\s*\*\s*\)|->\s*\w+\s*->|\b(?!BEGIN\b|END\b)[A-Z][A-Z0-9_]{2,}\b/;
  if (!kernelTypes.test(code)) return undefined;
  try {
    return kernelBtf();
  } catch {
    return undefined;
  }
}

/** The DWARF types of a uprobe binary (seen from the -p process's root), or undefined. */
export function binaryDwarfTypes(binary: string, pid?: number): DwarfTypes | undefined {
  const d = cachedDwarf(pathInProcessRoot(binary, pid));
  return d && dwarfTypes(d);
}

function binaryFunctions(binary: string, pid?: number): string[] {
  try {
    return [...new Set(cachedSymbolTable(pathInProcessRoot(binary, pid)).entries.filter((e) => e.kind !== 'object').map((e) => e.name))];
  } catch {
    return [];
  }
}

/** Parses, checks and compiles a script; TraceError (a ParseError) for scripts bpftrace would reject. */
export function compileScript(source: string, opts: CompileOptions = {}): CompiledScript {
  const file = opts.file ?? 'stdin';
  const program = parse(source, {
    file,
    includes: opts.includes,
    includeDirs: opts.includeDirs,
    params: opts.params,
    pid: opts.pid,
    resolveLibrary: (name, pid) => {
      try {
        return resolveLibrary(name, pid);
      } catch {
        return undefined;
      }
    },
  });
  const checked = check(program, {
    params: opts.params,
    source,
    file,
    btf: btfFor(source),
    tracepointFormat: tracepointFormatOrUndefined,
    tracepoints: listTracepoints,
    dwarf: (binary) => binaryDwarfTypes(binary, opts.pid),
    uprobeFunctions: (binary) => binaryFunctions(binary, opts.pid),
    hasChild: opts.cpid !== undefined,
    pid: opts.pid,
    unsafe: opts.unsafe,
    strlen: opts.strlen,
  });
  const expanded: ConcreteAttach[][] = checked.program.probes.map((p) => expandProbe(p, { pid: opts.pid, cmd: opts.cmd, warn: opts.warn }));
  return { ...generate(checked, expanded, { cpid: opts.cpid, helperCheck: opts.helperCheck }), source, file };
}

/** Reads a script file like bpftrace (its error text when missing). */
export function readScript(path: string): string {
  if (path === '-') return readFileSync(0, 'utf8');
  if (!existsSync(path)) throw new Error(`ERROR: failed to open file '${path}': No such file or directory`);
  return readFileSync(path, 'utf8');
}

export function createSession(compiled: CompiledScript, opts: SessionOptions = {}): TraceSession {
  return new TraceSession(compiled, opts);
}

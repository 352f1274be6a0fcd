// `bpfkit trace -l [PATTERN]`: the probes a script could attach to, one per line, named like
// bpftrace names them (`tracepoint:syscalls:sys_enter_openat`); with `verbose`, tracepoint fields
// are listed under each tracepoint. The pattern is parsed as an attach point, so probe-type
// wildcards and aliases (`*sleep*`, `t:syscalls:*`) work as in bpftrace.
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { parse } from '../parser.js';
import { TraceError } from '../diagnostics.js';
import { globMatch, hasWildcard } from '../attachpoint.js';
import { listTracepoints, tracepointFormat } from '../../sys/tracefs.js';
import { cachedSymbolTable } from '../../symbols/elf-symbols.js';
import { readUsdtProbes } from '../../symbols/usdt.js';
import { pathInProcessRoot } from '../../symbols/libpath.js';
import type { AttachPointNode } from '../ast.js';
import { cachedDwarf } from '../../symbols/dwarf.js';
import { dwarfTypes } from '../dwarf-types.js';

export interface ListOptions {
  /** -v: tracepoint fields, uprobe parameters (from DWARF). */
  verbose?: boolean;
  pid?: number;
  /** Receives warnings (a uprobe binary without DWARF under -v). */
  warn?: (message: string) => void;
}

const SOFTWARE = ['alignment-faults', 'bpf-output', 'context-switches', 'cpu-clock', 'cpu-migrations', 'dummy', 'emulation-faults', 'major-faults', 'minor-faults', 'page-faults', 'task-clock'];
const HARDWARE = ['backend-stalls', 'branch-instructions', 'branch-misses', 'bus-cycles', 'cache-misses', 'cache-references', 'cpu-cycles', 'frontend-stalls', 'instructions', 'ref-cycles'];

const warnedNoDwarf = new Set<string>();

/** The listing as lines (without newlines). */
export function listProbes(pattern = '', opts: ListOptions = {}): string[] {
  const query = pattern.trim() === '' ? '*:*' : pattern.includes(':') ? pattern : `*:${pattern}`;
  if (query !== pattern && pattern.trim() !== '') {
    // bpftrace lexes the pattern as written: a character it cannot lex is reported at the user's column.
    try {
      parse(pattern, { listing: true, pid: opts.pid });
    } catch (e) {
      if (e instanceof TraceError && e.diagnostics.some((d) => d.message.startsWith('invalid character'))) throw e;
    }
  }
  const program = parse(query, { listing: true, pid: opts.pid });
  const out: string[] = [];
  for (const probe of program.probes) for (const ap of probe.attachPoints) out.push(...listAttachPoint(ap, opts));
  return out;
}

/** Files a uprobe listing covers: a path, a glob over paths, or (with -p) the process's executable and libraries. */
function uprobeTargets(target: string, pid?: number): string[] {
  if (!target || (pid && target === `/proc/${pid}/exe`)) {
    if (!pid) return [];
    const files = new Set<string>();
    try {
      files.add(readlinkSync(`/proc/${pid}/exe`));
      for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length >= 6 && f[5].startsWith('/') && f[1].includes('x')) files.add(f[5]);
      }
    } catch {
      /* the process is gone */
    }
    return [...files];
  }
  if (!hasWildcard(target)) return existsSync(target) ? [target] : [];
  const slash = target.lastIndexOf('/');
  const dir = slash >= 0 ? target.slice(0, slash) || '/' : '.';
  const base = target.slice(slash + 1);
  if (hasWildcard(dir)) return [];
  try {
    return readdirSync(dir)
      .filter((n) => globMatch(base, n))
      .map((n) => (slash >= 0 ? `${target.slice(0, slash)}/${n}` : n))
      .filter((p) => {
        try {
          return statSync(p).isFile() && (statSync(p).mode & 0o111) !== 0;
        } catch {
          return false;
        }
      })
      .sort();
  } catch {
    return [];
  }
}

function listAttachPoint(ap: AttachPointNode, opts: ListOptions): string[] {
  const out: string[] = [];
  switch (ap.provider) {
    case 'tracepoint': {
      const cat = ap.target || '*';
      const fn = ap.func || '*';
      for (const [c, n] of listTracepoints()) {
        if (!globMatch(cat, c) || !globMatch(fn, n)) continue;
        out.push(`tracepoint:${c}:${n}`);
        if (opts.verbose) {
          try {
            for (const f of tracepointFormat(c, n).fields) if (!f.common) out.push(`    ${f.declaration}`);
          } catch {
            /* vanished meanwhile */
          }
        }
      }
      return out;
    }
    case 'software':
    case 'hardware': {
      const names = ap.provider === 'software' ? SOFTWARE : HARDWARE;
      const pat = ap.target || '*';
      for (const n of names) if (globMatch(pat, n)) out.push(`${ap.provider}:${n}:`);
      return out;
    }
    case 'kprobe': {
      // Without kprobes (CONFIG_KPROBES off) there is nothing to list.
      const file = ['/sys/kernel/tracing/available_filter_functions', '/sys/kernel/debug/tracing/available_filter_functions'].find(existsSync);
      if (!file) return out;
      const pat = ap.func || '*';
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return out;
      }
      for (const line of text.split('\n')) {
        const name = line.split(/\s/)[0];
        if (name && globMatch(pat, name)) out.push(`kprobe:${name}`);
      }
      return out;
    }
    case 'uprobe':
    case 'uretprobe': {
      const pat = ap.func || '*';
      for (const target of uprobeTargets(ap.target, opts.pid)) {
        const seen = new Set<string>();
        try {
          for (const s of cachedSymbolTable(pathInProcessRoot(target, opts.pid)).entries) {
            if (s.kind === 'object' || seen.has(s.name) || !globMatch(pat, s.name)) continue;
            seen.add(s.name);
          }
        } catch {
          continue;
        }
        const names = [...seen].sort();
        // bpftrace lists parameters for uprobes only (not uretprobes), warning once per binary without DWARF.
        let params: ((fn: string) => string[]) | undefined;
        if (opts.verbose && ap.provider === 'uprobe' && names.length) {
          let dwarf;
          try {
            dwarf = cachedDwarf(pathInProcessRoot(target, opts.pid));
          } catch {
            dwarf = undefined;
          }
          if (dwarf) {
            const types = dwarfTypes(dwarf);
            params = (fn) => {
              try {
                return types.paramList(fn);
              } catch {
                return [];
              }
            };
          } else if (!warnedNoDwarf.has(target)) {
            warnedNoDwarf.add(target);
            (opts.warn ?? ((m: string) => process.stderr.write(`WARNING: ${m}\n`)))(`No DWARF found for "${target}", cannot show parameter info`);
          }
        }
        for (const n of names) {
          out.push(`${ap.provider}:${target}:${n}`);
          if (params) for (const p of params(n)) out.push(`    ${p}`);
        }
      }
      return out;
    }
    case 'usdt': {
      const target = ap.target || (opts.pid ? `/proc/${opts.pid}/exe` : '');
      if (!target || hasWildcard(target) || !existsSync(target)) return out;
      for (const p of readUsdtProbes(target)) {
        if ((ap.ns === '' || globMatch(ap.ns, p.provider)) && globMatch(ap.func || '*', p.name)) out.push(`usdt:${target}:${p.provider}:${p.name}`);
      }
      return [...new Set(out)];
    }
    default:
      return out;
  }
}

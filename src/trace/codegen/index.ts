// CheckedProgram + concrete attach points → the maps and programs to load. One program per probe,
// split per attach point only where the code must differ: the `probe` builtin, tracepoint `args`
// (each tracepoint has its own record layout), USDT arguments (each location has its own specs).
import type { ProgramBuilder } from '../../asm/builder.js';
import type { CheckedProgram } from '../ast.js';
import { tracepointFormat } from '../../sys/tracefs.js';
import { kallsyms } from '../../symbols/kallsyms.js';
import { cachedSymbolTable } from '../../symbols/elf-symbols.js';
import { parseUsdtArgs } from '../../symbols/usdt.js';
import type { ConcreteAttach } from '../runtime/expand.js';
import { ProbeCompiler, type HelperErrorSite, type ProgramContext } from './compiler.js';
import { mapLayout, type MapLayout } from './layout.js';
import { pruneUnreachable } from './prune.js';
import { progTypeOf, ptRegs, type ProbeTarget, type TraceProgType } from './target.js';
import { usesBuiltin } from './walk.js';
import { watchpointSetupProgram } from './watchpoint.js';

export { CodegenError, type HelperErrorSite } from './compiler.js';
export * from './layout.js';
export type { ProbeTarget, TraceProgType } from './target.js';

export interface ProgramPlan {
  /** Kernel program name. */
  name: string;
  probeIdx: number;
  provider: string;
  progType: TraceProgType;
  attaches: ConcreteAttach[];
  builder: ProgramBuilder;
  scratchMap: string;
  scratchSize: number;
  /** Attached by the runtime when a watchpoint's function reports an address, not at start. */
  deferred?: boolean;
}

/** A watchpoint on a function argument: the program to run (an index into `programs`) and where. */
export interface WatchpointPlan {
  program: number;
  attach: ConcreteAttach;
}

export interface CompiledScript {
  checked: CheckedProgram;
  /** Script maps, in the order records index them. */
  maps: MapLayout[];
  stackMaps: Map<string, { depth: number; user: boolean }>;
  ringbuf: string;
  programs: ProgramPlan[];
  /** Names of the concrete probes; the `probe` builtin indexes this list. */
  probeNames: string[];
  /** Helper calls checked under -k/-kk; helperError records index this list. */
  helperErrors: HelperErrorSite[];
  /** Watchpoints on function arguments; watchpointAttach records index this list. */
  watchpoints: WatchpointPlan[];
  /** The script and its name in messages, for warnings printed while it runs. */
  source?: string;
  file?: string;
}

export interface GenerateOptions {
  startNs?: bigint;
  cpid?: number;
  maxMapEntries?: number;
  /** -k (1) or -kk (2). */
  helperCheck?: number;
}

export const RINGBUF_MAP = 'ringbuf';

export function generate(checked: CheckedProgram, expanded: ConcreteAttach[][], opts: GenerateOptions = {}): CompiledScript {
  const layouts = new Map<string, MapLayout>();
  const mapIndex = new Map<string, number>();
  for (const [name, info] of checked.maps) {
    mapIndex.set(name, layouts.size);
    layouts.set(name, mapLayout(info, opts.maxMapEntries));
  }
  const probeNames = expanded.flat().map((a) => a.name);
  const ctx: ProgramContext = {
    checked,
    layouts,
    mapIndex,
    stackMaps: new Map(),
    ringbuf: RINGBUF_MAP,
    startNs: opts.startNs ?? process.hrtime.bigint(),
    cpid: opts.cpid,
    kaddr: (name) => kallsyms().address(name),
    helperCheck: opts.helperCheck,
    helperErrors: [],
  };
  const programs: ProgramPlan[] = [];
  const watchpoints: WatchpointPlan[] = [];
  checked.program.probes.forEach((probe, probeIdx) => {
    const attaches = expanded[probeIdx] ?? [];
    const perAttach = usesBuiltin(probe, ['probe']);
    const usesArgs = usesBuiltin(probe, ['args', 'ctx']);
    const usesArgN = usesBuiltin(probe, ['argN']);
    // Group the concrete attach points of this probe by what the generated code depends on.
    const groups = new Map<string, ConcreteAttach[]>();
    attaches.forEach((a, i) => {
      let key = a.provider;
      if (perAttach) key += `#${i}`;
      else if (a.provider === 'tracepoint' && usesArgs) key += `:${a.category}:${a.event}`;
      else if (a.provider === 'usdt' && usesArgN) key += `:${a.usdt?.args ?? ''}`;
      const g = groups.get(key);
      if (g) g.push(a);
      else groups.set(key, [a]);
    });
    for (const group of groups.values()) {
      const first = group[0];
      const target: ProbeTarget = {
        provider: first.provider,
        progType: progTypeOf(first.provider),
        probeIndex: group.length === 1 ? probeNames.indexOf(first.name) : -1,
        category: first.category,
        func: group.length === 1 ? first.symbol : undefined,
      };
      if (first.provider === 'tracepoint' && usesArgs && first.category && first.event) {
        target.tracepoint = tracepointFormat(first.category, first.event);
      }
      if (first.provider === 'usdt' && first.usdt && usesArgN) target.usdtArgs = parseUsdtArgs(first.usdt.args, ptRegs());
      const scratchMap = `scratch_${programs.length}`;
      ctx.uaddr = (name) => {
        if (!first.path) return undefined;
        const hit = cachedSymbolTable(first.path).byName(name)[0];
        return hit ? BigInt(hit.addr) : undefined;
      };
      const pc = new ProbeCompiler(ctx, probe, probeIdx, target, scratchMap);
      const builder = pruneUnreachable(pc.compile());
      const deferred = first.watch?.arg !== undefined;
      programs.push({
        name: programName(first, programs.length),
        probeIdx,
        provider: first.provider,
        progType: target.progType,
        attaches: group,
        builder,
        scratchMap,
        scratchSize: Math.max(8, pc.frame.scratchHigh),
        deferred,
      });
      // A watchpoint on a function argument: a uprobe per function arms it at run time.
      if (deferred) {
        const body = programs.length - 1;
        for (const a of group) {
          const id = watchpoints.length;
          watchpoints.push({ program: body, attach: a });
          programs.push({
            name: `wp_setup_${programs.length}`,
            probeIdx,
            provider: 'uprobe',
            progType: 'kprobe',
            attaches: [{ provider: 'uprobe', name: `uprobe:${a.path}:${a.symbol}`, ap: a.ap, path: a.path, offset: a.offset, symbol: a.symbol }],
            builder: watchpointSetupProgram(id, a.watch!.arg!, a.watch!.async, RINGBUF_MAP),
            scratchMap: `scratch_${programs.length}`,
            scratchSize: 8,
          });
        }
      }
    }
  });
  return { checked, maps: [...layouts.values()], stackMaps: ctx.stackMaps, ringbuf: RINGBUF_MAP, programs, probeNames, helperErrors: ctx.helperErrors, watchpoints };
}

function programName(a: ConcreteAttach, n: number): string {
  const base = a.provider === 'tracepoint' ? `tp_${a.event ?? ''}` : a.provider === 'BEGIN' || a.provider === 'END' ? a.provider : `${a.provider}_${a.symbol ?? ''}`;
  return `${base.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 11)}_${n}`;
}

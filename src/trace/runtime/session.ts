// A running script: maps and programs loaded, probes attached, the ring buffer read and turned
// into events; on exit() / stop() / the -c command ending: END runs, everything is detached, and
// every map is read one last time.
//
// BEGIN and END are raw_tracepoint programs run once with BPF_PROG_TEST_RUN (bpftrace puts a
// uprobe on a function of its own binary and calls it; a Node process has no such function, and
// test runs are synchronous, which keeps BEGIN's output ahead of everything else). They run in the
// calling task, so pid/comm are this process's, as in bpftrace.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BpfMap } from '../../map.js';
import { Program } from '../../program.js';
import { RingBuffer } from '../../events/ring-buffer.js';
import { BpfError, NotSupportedError, strerror } from '../../sys/errors.js';
import { attachBreakpoint, attachPerfSampling } from '../../link/perf-event.js';
import { closeAll } from '../../link/perf-attach.js';
import { attachTracepoint } from '../../link/tracepoint.js';
import { attachUprobe } from '../../link/uprobe.js';
import { attachKprobe } from '../../link/kprobe.js';
import type { Link } from '../../link/link.js';
import { Symbolizer } from '../../symbols/resolver.js';
import type { PerfSwIdName } from '../../sys/generated/kernel.js';
import type { CompiledScript, ProgramPlan } from '../codegen/index.js';
import { RecordKind, recordLayout, RECORD_HEADER, JOIN_ARGS, JOIN_ARG_SIZE, type MapLayout } from '../codegen/layout.js';
import { formatPrintf } from '../output/printf.js';
import { cstr, decodeValue, printfArg, strftime, type DecodeContext } from './decode.js';
import { formatWarnings } from '../diagnostics.js';
import type { TraceEvent } from './events.js';
import { clearMap, snapshotMap, zeroMap } from './maps.js';
import { TraceRuntimeError } from './errors.js';

export interface SessionOptions {
  /** -p PID: uprobes/usdt only in this process. */
  pid?: number;
  /** Ring buffer size in bytes (power of two, ≥ page size). */
  ringbufSize?: number;
  /** Stack-trace map entries. */
  stackEntries?: number;
  /** system() is allowed (--unsafe). */
  unsafe?: boolean;
  /** The task watchpoints watch: -p's process or -c's child. */
  watchPid?: number;
}

const SOFTWARE_EVENTS: Record<string, [PerfSwIdName, number]> = {
  'cpu-clock': ['cpu_clock', 1_000_000], cpu: ['cpu_clock', 1_000_000],
  'task-clock': ['task_clock', 1_000_000],
  'page-faults': ['page_faults', 100], faults: ['page_faults', 100],
  'context-switches': ['context_switches', 1000], cs: ['context_switches', 1000],
  'cpu-migrations': ['cpu_migrations', 1],
  'minor-faults': ['page_faults_min', 100],
  'major-faults': ['page_faults_maj', 1],
  'alignment-faults': ['alignment_faults', 1],
  'emulation-faults': ['emulation_faults', 1],
  dummy: ['dummy', 1],
  'bpf-output': ['bpf_output', 1],
};

const BANNED_KRETPROBES = new Set(['_raw_spin_lock', '_raw_spin_lock_irqsave', '_raw_spin_unlock_irqrestore', 'queued_spin_lock_slowpath']);

/** The concrete probes a compiled script attaches: the N of bpftrace's "Attaching N probes...". */
export function countProbes(compiled: CompiledScript): number {
  return compiled.programs.reduce((n, p) => n + (p.deferred ? 0 : p.attaches.length), 0);
}

export class TraceSession {
  readonly compiled: CompiledScript;
  private readonly opts: SessionOptions;
  private maps = new Map<string, BpfMap>();
  private scriptMaps: { layout: MapLayout; map: BpfMap }[] = [];
  private programs: { plan: ProgramPlan; prog: Program }[] = [];
  private links: Link[] = [];
  /** Watchpoints placed at run time, by address (unwatch removes them). */
  private watchLinks: { address: bigint; link: Link }[] = [];
  /** The address each watchpoint on a function argument watches now. */
  private watched = new Map<number, bigint>();
  private ring?: RingBuffer;
  private decode?: DecodeContext;
  private exitRequested = false;
  private finished = false;
  private wake?: () => void;
  private sink: (e: TraceEvent) => void = () => {};
  /** Number of concrete probes attached (bpftrace's "Attaching N probes"). */
  probeCount = 0;


  constructor(compiled: CompiledScript, opts: SessionOptions = {}) {
    this.compiled = compiled;
    this.opts = opts;
  }

  /** Creates the maps and loads every program; nothing is attached yet. Cleans up on failure. */
  load(): void {
    try {
      this.loadUnsafe();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private loadUnsafe(): void {
    const c = this.compiled;
    for (const plan of c.programs) {
      if (plan.provider === 'kfunc' || plan.provider === 'kretfunc' || plan.provider === 'iter') {
        throw new NotSupportedError(`${plan.provider} probes (BPF trampolines)`, 'this kernel refuses fentry/fexit/iterator tracing programs (EPERM at load); use tracepoints or uprobes');
      }
      if ((plan.provider === 'watchpoint' || plan.provider === 'asyncwatchpoint') && !this.opts.watchPid) {
        throw new TraceRuntimeError('ERROR: -p PID or -c CMD required for watchpoint');
      }
    }
    for (const l of c.maps) {
      const m = BpfMap.create({ type: l.type, keySize: l.keySize, valueSize: l.valueSize, maxEntries: l.maxEntries, name: l.kernelName });
      this.maps.set(l.kernelName, m);
      this.scriptMaps.push({ layout: l, map: m });
    }
    const stackMaps = new Map<string, BpfMap>();
    for (const [name, s] of c.stackMaps) {
      const m = BpfMap.create({ type: 'stack_trace', keySize: 4, valueSize: 8 * s.depth, maxEntries: this.opts.stackEntries ?? 16384, name: name.slice(0, 15) });
      this.maps.set(name, m);
      stackMaps.set(name, m);
    }
    const ring = BpfMap.create({ type: 'ringbuf', maxEntries: this.opts.ringbufSize ?? 1 << 20, name: 'ringbuf' });
    this.maps.set(c.ringbuf, ring);
    for (const plan of c.programs) {
      const m = BpfMap.create({ type: 'percpu_array', keySize: 4, valueSize: plan.scratchSize, maxEntries: 1, name: plan.scratchMap });
      this.maps.set(plan.scratchMap, m);
    }
    const fds = new Map<string, number>();
    for (const [name, m] of this.maps) fds.set(name, m.fd.raw);
    for (const plan of c.programs) {
      const prog = Program.load({ type: plan.progType, instructions: plan.builder.link({ maps: fds }), name: plan.name, license: 'GPL' });
      this.programs.push({ plan, prog });
    }
    this.ring = new RingBuffer(ring);
    this.decode = {
      symbolizer: new Symbolizer(),
      probeNames: c.probeNames,
      stackMaps,
      strftime: c.checked.resources.strftime.map((s) => s.format),
      bootOffsetNs: BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint(),
    };
    this.probeCount = countProbes(c);
  }

  /** Attaches every probe but BEGIN/END. Detaches everything on failure. */
  attach(): void {
    this.attached = true;
    try {
      // bpftrace attaches probes the kernel runs last-attached-first in reverse, so that probes on
      // one spot fire in the order the script declares them. Its list (bpftrace.cpp,
      // attach_reverse) leaves kretprobes and the timer, tracepoint and hardware events forward.
      const reversed = new Set(['kprobe', 'uprobe', 'uretprobe', 'usdt', 'software', 'kfunc', 'iter']);
      const forward = this.programs.filter((p) => !reversed.has(p.plan.provider));
      const backward = this.programs.filter((p) => reversed.has(p.plan.provider)).reverse();
      for (const { plan, prog } of [...forward, ...backward]) {
        if (plan.deferred) continue;
        const attaches = reversed.has(plan.provider) ? [...plan.attaches].reverse() : plan.attaches;
        for (const a of attaches) {
          const link = this.attachOne(plan, prog, a);
          if (link) this.links.push(link);
        }
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private attachOne(plan: ProgramPlan, prog: Program, a: ProgramPlan['attaches'][number]): Link | undefined {
    const ap = a.ap;
    switch (a.provider) {
      case 'BEGIN':
      case 'END':
        return undefined;
      case 'tracepoint':
        return attachTracepoint(prog, a.category!, a.event!);
      case 'uprobe':
      case 'uretprobe':
        return attachUprobe(prog, a.path!, a.offset!, { retprobe: a.provider === 'uretprobe', pid: this.opts.pid });
      case 'usdt':
        return attachUprobe(prog, a.path!, a.offset!, { pid: this.opts.pid, refCtrOffset: a.usdt?.semaphoreOffset || undefined });
      case 'profile':
      case 'interval': {
        const rate = timerRate(ap.target, ap.freq);
        if (!rate) throw new TraceRuntimeError(`ERROR: ${a.provider} probe: invalid unit '${ap.target}'`);
        return attachPerfSampling(prog, { event: { software: 'cpu_clock' }, ...rate, cpus: a.provider === 'interval' ? [0] : undefined });
      }
      case 'software': {
        const ev = SOFTWARE_EVENTS[ap.target];
        if (!ev) throw new TraceRuntimeError(`ERROR: Invalid software event: ${ap.target}`);
        return attachPerfSampling(prog, { event: { software: ev[0] }, period: ap.freq || ev[1] });
      }
      case 'hardware':
        return attachPerfSampling(prog, { event: { hardware: hardwareEvent(ap.target) }, period: ap.freq || 1_000_000 });
      case 'watchpoint':
      case 'asyncwatchpoint':
        return attachBreakpoint(prog, { pid: this.opts.watchPid!, address: a.watch!.address!, length: a.watch!.length, access: a.watch!.access });
      case 'kprobe':
      case 'kretprobe':
        if (a.provider === 'kretprobe' && BANNED_KRETPROBES.has(ap.func)) {
          throw new TraceRuntimeError(`error: kretprobe:${ap.func} can't be used as it might lock up your system.`);
        }
        return attachKprobe(prog, ap.func, { retprobe: a.provider === 'kretprobe', offset: Number(ap.funcOffset ?? 0n) || undefined });
    }
    void plan;
    throw new NotSupportedError(`${a.provider} probes`);
  }

  /**
   * Runs BEGIN, attaches the other probes (as bpftrace 0.17 does, BEGIN fires before anything else is
   * attached), then delivers events until exit(), stop() or `until` resolves; then runs END, emits
   * every map (`atExit`), detaches and closes. Resolves with bpftrace's exit code (0).
   */
  async run(sink: (e: TraceEvent) => void, opts: { until?: Promise<unknown>; onAttached?: () => void } = {}): Promise<number> {
    this.sink = sink;
    const ring = this.ring!;
    try {
      this.runSpecial('BEGIN');
      if (!this.exitRequested) {
        if (!this.attached) this.attach();
        opts.onAttached?.();
        ring.on((r) => this.onRecord(r));
        ring.ref(false);
        const keepAlive = setInterval(() => {}, 1 << 30);
        try {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            opts.until?.then(() => resolve(), () => resolve());
            if (this.exitRequested) resolve();
          });
        } finally {
          clearInterval(keepAlive);
        }
      }
      await this.finish();
    } finally {
      this.close();
    }
    return 0;
  }

  /** Emits every map now (bpftrace does this on SIGUSR1). */
  printMaps(): void {
    if (!this.decode || this.finished) return;
    const sorted = [...this.scriptMaps].sort((a, b) => (a.layout.name < b.layout.name ? -1 : a.layout.name > b.layout.name ? 1 : 0));
    for (const { layout, map } of sorted) this.emit({ type: 'map', snapshot: snapshotMap(layout, map, this.decode), atExit: false });
  }

  /** Ends the run (Ctrl-C). */
  stop(): void {
    this.exitRequested = true;
    this.wake?.();
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    // Stop the probes first so the final maps are stable, then END, like bpftrace. Detaching
    // waits for the kernel per probe: all at once, not one after another.
    const links = [...this.links, ...this.watchLinks.map((w) => w.link)];
    this.links = [];
    this.watchLinks = [];
    await closeAll(links);
    while (this.backlog.length) this.handle(this.backlog.shift()!);
    this.drain();
    this.ending = true;
    this.runSpecial('END');
    this.drain();
    this.emit({ type: 'exiting' });
    const sorted = [...this.scriptMaps].sort((a, b) => (a.layout.name < b.layout.name ? -1 : a.layout.name > b.layout.name ? 1 : 0));
    for (const { layout, map } of sorted) {
      this.emit({ type: 'map', snapshot: snapshotMap(layout, map, this.decode!), atExit: true });
    }
    this.close();
  }

  private runSpecial(provider: 'BEGIN' | 'END'): void {
    for (const { plan, prog } of this.programs) {
      if (plan.provider !== provider) continue;
      if (provider === 'END' && this.endRan) continue;
      prog.testRun({});
      this.drain();
      if (provider === 'BEGIN' && this.exitRequested) return;
    }
    if (provider === 'END') this.endRan = true;
  }
  private endRan = false;
  private ending = false;
  private attached = false;

  // Records are handled as they arrive, but never for more than a slice of time at once: under a
  // flood (a probe on sched_switch calling system()) the rest waits in a backlog, so that Ctrl-C
  // and exit() still get through.
  private backlog: Buffer[] = [];
  private sliceStart?: number;
  private backlogScheduled = false;

  private onRecord(rec: Buffer): void {
    if (this.exitRequested && !this.ending) return;
    const now = performance.now();
    if (this.sliceStart === undefined) {
      this.sliceStart = now;
      setImmediate(() => (this.sliceStart = undefined));
    }
    if (this.backlog.length || now - this.sliceStart > 50) {
      this.backlog.push(Buffer.from(rec));
      this.scheduleBacklog();
      return;
    }
    this.handle(rec);
  }

  private scheduleBacklog(): void {
    if (this.backlogScheduled) return;
    this.backlogScheduled = true;
    setImmediate(() => {
      this.backlogScheduled = false;
      const start = performance.now();
      while (this.backlog.length && performance.now() - start < 50) this.handle(this.backlog.shift()!);
      if (this.backlog.length) this.scheduleBacklog();
    });
  }

  private drain(): void {
    this.ring?.poll((r) => this.handle(r));
  }

  private emit(e: TraceEvent): void {
    this.sink(e);
  }

  private handle(rec: Buffer): void {
    // After exit()/Ctrl-C the probes' remaining output is dropped (END's is not).
    if (this.exitRequested && !this.ending) return;
    const kind = rec.readUInt32LE(0);
    const id = rec.readUInt32LE(4);
    const res = this.compiled.checked.resources;
    const ctx = this.decode!;
    switch (kind) {
      case RecordKind.printf:
      case RecordKind.system:
      case RecordKind.cat: {
        const list = kind === RecordKind.printf ? res.printf : kind === RecordKind.system ? res.system : res.cat;
        const r = list[id];
        if (!r) return;
        const layout = recordLayout(r.args);
        const args = r.args.map((t, i) => printfArg(t, rec, layout.fields[i].offset, ctx));
        const text = formatPrintf(r.format, args);
        if (kind === RecordKind.printf) this.emit({ type: 'printf', text });
        else if (kind === RecordKind.system) this.emit({ type: 'system', text: this.opts.unsafe === false ? '' : runSystem(text) });
        else this.emit({ type: 'cat', text: readCat(text, Number(process.env.BPFTRACE_CAT_BYTES_MAX ?? 10240)) });
        return;
      }
      case RecordKind.time: {
        const fmt = res.time[id]?.format ?? '%H:%M:%S\n';
        this.emit({ type: 'time', text: strftime(fmt, BigInt(Date.now()) * 1_000_000n) });
        return;
      }
      case RecordKind.join: {
        const delim = res.join[id]?.delimiter ?? ' ';
        const parts: string[] = [];
        for (let i = 0; i < JOIN_ARGS; i++) {
          const off = RECORD_HEADER + i * JOIN_ARG_SIZE;
          if (off >= rec.length || rec[off] === 0) break;
          parts.push(cstr(rec, off, JOIN_ARG_SIZE));
        }
        this.emit({ type: 'join', text: parts.join(delim) });
        return;
      }
      case RecordKind.printValue: {
        const r = res.print[id];
        if (!r) return;
        const layout = recordLayout([r.type]);
        this.emit({ type: 'value', valueType: r.type, value: decodeValue(layout.fields[0].type, rec, layout.fields[0].offset, ctx) });
        return;
      }
      case RecordKind.printMap: {
        const m = this.scriptMaps[id];
        if (!m) return;
        const top = Number(rec.readBigInt64LE(RECORD_HEADER));
        const div = Number(rec.readBigInt64LE(RECORD_HEADER + 8));
        this.emit({ type: 'map', snapshot: snapshotMap(m.layout, m.map, ctx), top: top || undefined, div: div || undefined, atExit: false });
        return;
      }
      case RecordKind.clearMap:
      case RecordKind.zeroMap: {
        const m = this.scriptMaps[id];
        if (!m) return;
        if (kind === RecordKind.clearMap) clearMap(m.layout, m.map);
        else zeroMap(m.layout, m.map);
        return;
      }
      case RecordKind.exit:
        this.stop();
        return;
      case RecordKind.watchpointAttach:
        this.placeWatchpoint(id, rec.readBigUInt64LE(RECORD_HEADER));
        return;
      case RecordKind.watchpointDetach: {
        const addr = rec.readBigUInt64LE(RECORD_HEADER);
        for (const w of this.watchLinks.filter((x) => x.address === addr)) w.link.close();
        this.watchLinks = this.watchLinks.filter((x) => x.address !== addr);
        return;
      }
      case RecordKind.helperError: {
        const site = this.compiled.helperErrors[id];
        if (!site) return;
        const retcode = rec.readInt32LE(RECORD_HEADER);
        const message = `Failed to ${site.helper}: ${retcode < 0 ? `${strerror(-retcode)} (${retcode})` : retcode}`;
        const text = formatWarnings([{ severity: 'WARNING', message, loc: site.loc }], this.compiled.source ?? '', this.compiled.file ?? 'stdin');
        this.emit({ type: 'helper_error', helper: site.helper, retcode, line: site.loc.line, column: site.loc.column, text });
        return;
      }
    }
  }

  /**
   * A function watched by a watchpoint received `address`: watch it (once per address and
   * watchpoint, like bpftrace), then let the stopped task go on.
   */
  private placeWatchpoint(id: number, address: bigint): void {
    const wp = this.compiled.watchpoints[id];
    if (!wp) return;
    const watch = wp.attach.watch!;
    if (this.watched.get(id) !== address) {
      this.watched.set(id, address);
      try {
        const link = attachBreakpoint(this.programs[wp.program].prog, { pid: this.opts.watchPid!, address, length: watch.length, access: watch.access });
        this.watchLinks.push({ address, link });
      } catch (e) {
        if (!(e instanceof BpfError && e.code === 'ENOSPC')) throw e;
        this.emit({ type: 'message', kind: 'lost_events', text: 'Failed to attach watchpoint probe. You are out of watchpoint registers.' });
      }
    }
    if (!watch.async) {
      try {
        process.kill(this.opts.watchPid!, 'SIGCONT');
      } catch {
        /* the task is gone */
      }
    }
  }

  /** Detaches and closes everything (idempotent). */
  close(): void {
    for (const w of this.watchLinks) w.link.close();
    this.watchLinks = [];
    for (const l of this.links) {
      try {
        l.close();
      } catch {
        /* already gone */
      }
    }
    this.links = [];
    this.ring?.close();
    this.ring = undefined;
    for (const { prog } of this.programs) prog.close();
    this.programs = [];
    for (const m of this.maps.values()) m.close();
    this.maps.clear();
    this.scriptMaps = [];
  }
}

/** profile/interval units: hz → frequency; s/ms/us → period in ns (cpu-clock counts nanoseconds). */
function timerRate(unit: string, n: number): { frequency: number } | { period: number } | undefined {
  switch (unit) {
    case 'hz':
      return { frequency: n };
    case 's':
      return { period: n * 1_000_000_000 };
    case 'ms':
      return { period: n * 1_000_000 };
    case 'us':
      return { period: n * 1000 };
    default:
      return undefined;
  }
}

function hardwareEvent(name: string): 'cpu_cycles' | 'instructions' | 'cache_references' | 'cache_misses' | 'branch_instructions' | 'branch_misses' | 'bus_cycles' {
  const table: Record<string, ReturnType<typeof hardwareEvent>> = {
    'cpu-cycles': 'cpu_cycles', cycles: 'cpu_cycles', instructions: 'instructions', 'cache-references': 'cache_references',
    'cache-misses': 'cache_misses', 'branch-instructions': 'branch_instructions', branches: 'branch_instructions',
    'branch-misses': 'branch_misses', 'bus-cycles': 'bus_cycles',
  };
  const ev = table[name];
  if (!ev) throw new TraceRuntimeError(`ERROR: Invalid hardware event: ${name}`);
  return ev;
}

function runSystem(cmd: string): string {
  try {
    return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], shell: '/bin/sh' });
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? '');
  }
}

function readCat(path: string, max: number): string {
  try {
    const all = readFileSync(path);
    return all.subarray(0, max > 0 ? max : all.length).toString('utf8');
  } catch (e) {
    return `ERROR: failed to open file '${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}\n`;
  }
}

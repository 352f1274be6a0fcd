// The checker: bpftrace 0.17's semantic analysis (src/ast/passes/semantic_analyser.cpp) and the
// tracepoint stage before it. It infers every expression's type, the maps' key and value types and
// the scratch variables, and reports the errors bpftrace reports, worded and placed the same way.
//
// Like bpftrace it walks the program several times, so that a variable or map used before the
// statement that defines it gets its type; some errors are only reported on the final pass. The
// first pass that finds errors stops the analysis and reports all of that pass's errors.
import type * as A from './ast.js';
import type { Btf } from '../btf/btf.js';
import type { TracepointFormat } from '../sys/tracefs.js';
import { TraceError, fromBinary, toBinary } from './diagnostics.js';
import { globMatch, hasWildcard } from './attachpoint.js';
import { StructRegistry, tracepointStructName } from './structs.js';
import type { DwarfTypes } from './dwarf-types.js';
import { validateFormat } from './output/printf.js';
import { T, type SizedType, type AddrSpace, type Struct, typeName, kindName, typeEquals, sameType, fitsInto, withSize, withAs, isAggregate, isByteArray, STRING_SIZE, COMM_SIZE, MAX_STACK_SIZE, DEFAULT_STACK_SIZE } from './types.js';

export interface CheckOptions {
  /** Positional parameters ($1 is params[0]). */
  params?: string[];
  /** The script text and its name in messages, for TraceError formatting. */
  source?: string;
  file?: string;
  /** Kernel BTF, for `curtask`, `(struct task_struct *)` casts and kfunc arguments. */
  btf?: Btf;
  /** Format of a tracepoint, or undefined when it does not exist. */
  tracepointFormat?: (category: string, name: string) => TracepointFormat | undefined;
  /** Every tracepoint as [category, name], for wildcard attach points. */
  tracepoints?: () => [string, string][];
  /** -c CMD was given (cpid is allowed). */
  hasChild?: boolean;
  pid?: number;
  /** --unsafe. */
  unsafe?: boolean;
  /** BPFTRACE_STRLEN (default 64). */
  strlen?: number;
  /** Kernel features; all true when not given. */
  features?: Partial<Record<'sendSignal' | 'overrideReturn' | 'dPath' | 'currentCgroupId' | 'kfunc' | 'loop' | 'skbOutput' | 'iterTask' | 'iterTaskFile', boolean>>;
  /** Kernel functions that can be traced (kprobe "not traceable" warning); no warning when absent. */
  isTraceable?: (func: string) => boolean;
  /** DWARF types of a uprobe's binary (`args->NAME`, struct casts), or undefined when it has none. */
  dwarf?: (binary: string) => DwarfTypes | undefined;
  /** Functions of a binary that a wildcard uprobe may match. */
  uprobeFunctions?: (binary: string) => string[];
  /** Resolves a uaddr() symbol in a binary: its size in bytes, or undefined. */
  resolveUserSymbol?: (binary: string, symbol: string) => { size: number } | undefined;
}

const NUM_PASSES = 10;
const INTCASTS: Record<string, [number, boolean]> = {
  uint8: [8, false], int8: [8, true], uint16: [16, false], int16: [16, true], uint32: [32, false], int32: [32, true], uint64: [64, false], int64: [64, true],
};
const SIGNALS = new Set(['SIGABRT', 'SIGALRM', 'SIGBUS', 'SIGCHLD', 'SIGCONT', 'SIGFPE', 'SIGHUP', 'SIGILL', 'SIGINT', 'SIGKILL', 'SIGPIPE', 'SIGPOLL', 'SIGQUIT', 'SIGSEGV', 'SIGSTOP', 'SIGSYS', 'SIGTERM', 'SIGTRAP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGUSR1', 'SIGUSR2', 'SIGVTALRM', 'SIGWINCH', 'SIGXCPU', 'SIGXFSZ']);
const X86_REGISTERS = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];
const MAX_ARG = 5;
const SW_EVENTS = ['alignment-faults', 'bpf-output', 'context-switches', 'cs', 'cpu-clock', 'cpu', 'cpu-migrations', 'dummy', 'emulation-faults', 'major-faults', 'minor-faults', 'page-faults', 'faults', 'task-clock'];
const HW_EVENTS = ['backend-stalls', 'branch-instructions', 'branches', 'branch-misses', 'bus-cycles', 'cache-misses', 'cache-references', 'cpu-cycles', 'cycles', 'frontend-stalls', 'instructions', 'ref-cycles'];

type ProbeType = 'invalid' | 'special' | 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe' | 'usdt' | 'tracepoint' | 'profile' | 'interval' | 'software' | 'hardware' | 'watchpoint' | 'asyncwatchpoint' | 'kfunc' | 'kretfunc' | 'iter';

function probeType(provider: string): ProbeType {
  if (provider === 'BEGIN' || provider === 'END') return 'special';
  const known = ['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'tracepoint', 'profile', 'interval', 'software', 'hardware', 'watchpoint', 'asyncwatchpoint', 'kfunc', 'kretfunc', 'iter'];
  return (known.includes(provider) ? provider : 'invalid') as ProbeType;
}

function progTypeName(pt: ProbeType): string {
  switch (pt) {
    case 'kprobe':
    case 'kretprobe':
    case 'uprobe':
    case 'uretprobe':
    case 'usdt':
    case 'special':
      return 'BPF_PROG_TYPE_KPROBE';
    case 'tracepoint':
      return 'BPF_PROG_TYPE_TRACEPOINT';
    case 'profile':
    case 'interval':
    case 'software':
    case 'hardware':
      return 'BPF_PROG_TYPE_PERF_EVENT';
    case 'watchpoint':
    case 'asyncwatchpoint':
      return 'BPF_PROG_TYPE_PERF_EVENT';
    case 'kfunc':
    case 'kretfunc':
    case 'iter':
      return 'BPF_PROG_TYPE_TRACING';
    default:
      return 'BPF_PROG_TYPE_UNSPEC';
  }
}

function addrSpaceOf(pt: ProbeType): AddrSpace {
  switch (pt) {
    case 'kprobe':
    case 'kretprobe':
    case 'kfunc':
    case 'kretfunc':
    case 'tracepoint':
    case 'iter':
      return 'kernel';
    case 'uprobe':
    case 'uretprobe':
    case 'usdt':
      return 'user';
    default:
      return 'none';
  }
}

const spanLoc = (a: A.Loc, b: A.Loc): A.Loc => ({ line: a.line, column: a.column, endLine: b.endLine, endColumn: b.endColumn });

function isNumeric(s: string): boolean {
  // std::stoll(s, &idx, 0) consumed the whole string.
  return /^\s*[-+]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(s);
}

function stoll(s: string): bigint {
  const m = /^\s*([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s)!;
  const digits = m[2];
  const v = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  return m[1] === '-' ? -v : v;
}

interface MapKey {
  args: SizedType[];
}

function keyTypeList(k: MapKey): string {
  return `[${k.args.map(typeName).join(', ')}]`;
}

/** Checks a parsed program. Throws TraceError with bpftrace's messages when bpftrace would reject it. */
export function check(program: A.ProgramNode, opts: CheckOptions = {}): A.CheckedProgram {
  const source = toBinary(opts.source ?? '');
  const fail = (diags: A.Diagnostic[]): never => {
    throw new TraceError(diags.map((d) => ({ ...d, message: fromBinary(d.message) })), fromBinary(source), opts.file ?? 'stdin');
  };
  const structs = new StructRegistry(opts.btf);
  for (const def of program.structDefinitions) structs.addDefinition(def.text);
  // bpftrace hands clang the kernel types the probes use, from BTF; when the script redefines one
  // of them the two definitions clash and bpftrace drops BTF altogether, so members borrowing a
  // kernel type become incomplete too.
  const clash = kernelTypesUsed(source).some((n) => structs.scriptNames.has(n) && structs.inKernel(n));
  const incomplete = structs.borrowed.filter((m) => m.missing || clash);
  if (incomplete.length) fail(incompleteTypes(program.cDefinitions, incomplete));
  // As bpftrace's FieldAnalyser: the DWARF of every uprobe binary names the structs of casts.
  if (opts.dwarf) {
    for (const probe of program.probes) {
      for (const ap of probe.attachPoints) {
        if ((ap.provider !== 'uprobe' && ap.provider !== 'uretprobe') || !ap.target || hasWildcard(ap.target)) continue;
        structs.addDwarf(ap.target, () => dwarfOf(opts, ap.target));
      }
    }
  }

  // bpftrace's TracepointFormatParser runs before semantic analysis.
  const tpDiags: A.Diagnostic[] = [];
  const tpMatches = new Map<A.AttachPointNode, string[]>();
  for (const probe of program.probes) {
    for (const ap of probe.attachPoints) {
      if (ap.provider !== 'tracepoint') continue;
      const wildcard = hasWildcard(ap.target) || hasWildcard(ap.func);
      if (wildcard) {
        const all = opts.tracepoints?.() ?? [];
        const matches = all.filter(([c, n]) => globMatch(ap.target, c) && globMatch(ap.func, n));
        if (!matches.length) {
          tpDiags.push({ severity: 'ERROR', message: `tracepoints not found: ${ap.target}:${ap.func}`, loc: ap.loc });
          if (ap.target === 'syscall') tpDiags.push({ severity: 'ERROR', message: `Did you mean syscalls:${ap.func}?`, loc: ap.loc });
          fail(tpDiags);
        }
        const ids: string[] = [];
        for (const [c, n] of matches) {
          const f = opts.tracepointFormat?.(c, n);
          if (f) structs.addTracepoint(f);
          ids.push(`${c}:${n}`);
        }
        tpMatches.set(ap, ids);
      } else {
        const f = opts.tracepointFormat ? opts.tracepointFormat(ap.target, ap.func) : undefined;
        if (!f) {
          const single = probe.attachPoints.length === 1;
          tpDiags.push({ severity: single ? 'ERROR' : 'WARNING', message: `tracepoint not found: ${ap.target}:${ap.func}`, loc: ap.loc });
          if (ap.target === 'syscall') tpDiags.push({ severity: 'WARNING', message: `Did you mean syscalls:${ap.func}?`, loc: ap.loc });
          if (single) fail(tpDiags);
          continue;
        }
        structs.addTracepoint(f);
        tpMatches.set(ap, [`${ap.target}:${ap.func}`]);
      }
    }
  }

  const analyser = new Analyser(program, opts, structs, tpMatches);
  for (let pass = 1; pass <= NUM_PASSES; pass++) {
    analyser.run(pass);
    // bpftrace prints warnings as it finds them and the pass's errors after them.
    if (analyser.errors.length) fail([...tpDiags.filter((d) => d.severity === 'WARNING'), ...analyser.warnings, ...analyser.errors]);
  }
  return analyser.result([...tpDiags, ...analyser.warnings]);
}

class Analyser {
  errors: A.Diagnostic[] = [];
  warnings: A.Diagnostic[] = [];
  private pass = 0;
  private probe!: A.ProbeNode;
  private probeIndex = 0;
  private func = '';
  private funcArgIdx = -1;
  private loopDepth = 0;
  private hasBeginProbe = false;
  private hasEndProbe = false;
  private hasPosParam = false;
  private variables: Map<string, SizedType>[] = [];
  private mapVal = new Map<string, SizedType>();
  private mapKey = new Map<string, MapKey>();
  private lhistArgs = new Map<string, { min: number; max: number; step: number }>();
  private apArgs = new Map<string, SizedType>();
  /** Resolving a uprobe's parameters failed (no DWARF, mixed arguments): `args->x` reports that, not a missing parameter. */
  private noDebuginfo = false;
  private readonly strlen: number;
  private readonly params: string[];

  constructor(
    private program: A.ProgramNode,
    private opts: CheckOptions,
    private structs: StructRegistry,
    private tpMatches: Map<A.AttachPointNode, string[]>,
  ) {
    this.strlen = opts.strlen ?? STRING_SIZE;
    this.params = opts.params ?? [];
  }

  private final(): boolean {
    return this.pass === NUM_PASSES;
  }
  private error(loc: A.Loc | undefined, message: string): void {
    this.errors.push({ severity: 'ERROR', message, loc });
  }
  private warn(loc: A.Loc | undefined, message: string): void {
    if (this.final()) this.warnings.push({ severity: 'WARNING', message, loc });
  }
  private feature(name: keyof NonNullable<CheckOptions['features']>): boolean {
    return this.opts.features?.[name] ?? true;
  }
  private getParam(n: number, isStr: boolean): string {
    if (this.params.length < n) return isStr ? '' : '0';
    return this.params[n - 1];
  }
  private intLiteral(e: A.Expression): bigint | undefined {
    if (e.kind === 'Integer') return e.value;
    if (e.kind === 'PositionalParameter') {
      if (e.ptype === 'count') return BigInt(this.params.length);
      const p = this.getParam(e.n, false);
      if (isNumeric(p)) return stoll(p);
      this.error(e.loc, `$${e.n} used numerically but given "${p}"`);
      return undefined;
    }
    return undefined;
  }
  private isLiteral(e: A.Expression): boolean {
    return e.kind === 'Integer' || e.kind === 'String' || e.kind === 'StackMode' || e.kind === 'PositionalParameter' || (e.kind === 'Call' && !!(e as A.CallNode & { isLiteral?: boolean }).isLiteral);
  }
  private stringLiteral(e: A.Expression): string {
    if (e.kind === 'String') return e.value;
    if (e.kind === 'Call' && e.func === 'str' && e.args?.[0]?.kind === 'PositionalParameter') return this.getParam(e.args[0].n, true);
    return '';
  }
  private ty(e: A.Expression): SizedType {
    return e.type ?? T.none();
  }

  run(pass: number): void {
    this.pass = pass;
    this.errors = [];
    if (pass === NUM_PASSES) this.warnings = [];
    this.program.probes.forEach((probe, i) => {
      this.probeIndex = i;
      this.variables[i] ??= new Map();
      this.visitProbe(probe);
    });
  }

  result(warnings: A.Diagnostic[]): A.CheckedProgram {
    const maps = new Map<string, A.MapInfo>();
    for (const [name, valueType] of [...this.mapVal].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      maps.set(name, { name, keyTypes: this.mapKey.get(name)?.args ?? [], valueType, lhist: this.lhistArgs.get(name) });
    }
    return { program: this.program, maps, variables: this.variables, resources: collectResources(this.program), warnings, params: this.params };
  }

  /**
   * bpftrace's FieldAnalyser::resolve_args for uprobes: the parameters of the probed function from
   * the binary's DWARF; with a wildcard, every match must have the same parameter names.
   */
  private resolveUprobeArgs(): void {
    this.apArgs = new Map();
    this.noDebuginfo = false;
    const sameNames = (a: Map<string, SizedType>, b: Map<string, SizedType>): boolean => {
      const ka = [...a.keys()].sort();
      const kb = [...b.keys()].sort();
      return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
    };
    let stored: Map<string, SizedType> | undefined;
    const lookup = (n: string) => this.structs.lookup(n);
    for (const ap of this.probe.attachPoints) {
      if (probeType(ap.provider) !== 'uprobe') continue;
      let args = new Map<string, SizedType>();
      if (hasWildcard(ap.func) || hasWildcard(ap.target)) {
        const dw = hasWildcard(ap.target) ? undefined : dwarfOf(this.opts, ap.target);
        const funcs = hasWildcard(ap.target) ? [] : (this.opts.uprobeFunctions?.(ap.target) ?? []).filter((f) => globMatch(ap.func, f)).sort();
        let first = true;
        let mixed = false;
        for (const f of funcs) {
          if (!dw) {
            // Reported as the analysis starts (bpftrace's FieldAnalyser runs before it), once per match.
            if (this.pass === 1) this.warnings.push({ severity: 'WARNING', message: `No debuginfo found for ${ap.target}`, loc: ap.loc });
            continue;
          }
          const a = dw.args(f, lookup);
          if (first) args = a;
          else if (!sameNames(a, args)) {
            this.error(ap.loc, 'Probe has attach points with mixed arguments');
            this.noDebuginfo = true;
            mixed = true;
            break;
          }
          first = false;
        }
        if (mixed) continue;
      } else {
        const dw = dwarfOf(this.opts, ap.target);
        if (dw) args = dw.args(ap.func, lookup);
        else {
          this.error(ap.loc, `No debuginfo found for ${ap.target}`);
          this.noDebuginfo = true;
        }
      }
      if (stored && !sameNames(stored, args)) {
        this.error(ap.loc, 'Probe has attach points with mixed arguments');
        this.noDebuginfo = true;
      }
      stored ??= args;
      this.apArgs = args;
    }
    if (stored) this.apArgs = stored;
  }

  private singleProviderType(): ProbeType {
    let type: ProbeType = 'invalid';
    for (const ap of this.probe.attachPoints) {
      const t = probeType(ap.provider);
      if (type === 'invalid') type = t;
      if (type !== t) return 'invalid';
    }
    return type;
  }

  private visitProbe(probe: A.ProbeNode): void {
    this.probe = probe;
    for (const ap of probe.attachPoints) {
      if (probe.attachPoints.length > 1 && ap.provider === 'iter') {
        this.error(ap.loc, 'Only single iter attach point is allowed.');
        return;
      }
      this.visitAttachPoint(ap);
    }
    if (probe.pred) {
      this.expr(probe.pred.expr);
      if (this.final()) {
        const t = this.ty(probe.pred.expr);
        if (t.type !== 'integer' && t.type !== 'pointer') this.error(probe.pred.loc, `Invalid type for predicate: ${kindName(t.type)}`);
      }
    }
    for (const s of probe.stmts) this.stmt(s);
  }

  private visitAttachPoint(ap: A.AttachPointNode): void {
    const p = ap.provider;
    if (p === 'kprobe' || p === 'kretprobe') {
      if (ap.target !== '') this.error(ap.loc, 'kprobes should not have a target');
      if (ap.func === '') this.error(ap.loc, 'kprobes should be attached to a function');
      if (this.final() && this.opts.isTraceable && !hasWildcard(ap.func) && !this.opts.isTraceable(ap.func)) {
        this.warn(ap.loc, `${ap.func} is not traceable (either non-existing, inlined, or marked as "notrace"); attaching to it will likely fail`);
      }
    } else if (p === 'uprobe' || p === 'uretprobe') {
      if (ap.target === '') this.error(ap.loc, `${p} should have a target`);
      if (ap.func === '' && ap.address === 0n) this.error(ap.loc, `${p} should be attached to a function and/or address`);
      if (p === 'uretprobe' && ap.funcOffset !== 0n) this.error(ap.loc, 'uretprobes can not be attached to a function offset');
    } else if (p === 'usdt') {
      if (ap.func === '') this.error(ap.loc, 'usdt probe must have a target function or wildcard');
      if (ap.target === '' && !((this.opts.pid ?? 0) > 0)) this.error(ap.loc, 'usdt probe must specify at least path or pid to probe');
    } else if (p === 'tracepoint') {
      if (ap.target === '' || ap.func === '') this.error(ap.loc, 'tracepoint probe must have a target');
    } else if (p === 'profile') {
      if (ap.target === '') this.error(ap.loc, 'profile probe must have unit of time');
      else if (!['hz', 'us', 'ms', 's'].includes(ap.target)) this.error(ap.loc, `${ap.target} is not an accepted unit of time`);
      if (ap.func !== '') this.error(ap.loc, 'profile probe must have an integer frequency');
      else if (ap.freq <= 0) this.error(ap.loc, 'profile frequency should be a positive integer');
    } else if (p === 'interval') {
      if (ap.target === '') this.error(ap.loc, 'interval probe must have unit of time');
      else if (!['ms', 's', 'us', 'hz'].includes(ap.target)) this.error(ap.loc, `${ap.target} is not an accepted unit of time`);
      if (ap.func !== '') this.error(ap.loc, 'interval probe must have an integer frequency');
    } else if (p === 'software' || p === 'hardware') {
      const list = p === 'software' ? SW_EVENTS : HW_EVENTS;
      if (ap.target === '') this.error(ap.loc, `${p} probe must have a ${p} event name`);
      else if (!hasWildcard(ap.target) && !ap.ignoreInvalid) {
        if (!list.includes(ap.target)) this.error(ap.loc, `${ap.target} is not a ${p} probe`);
      } else this.error(ap.loc, 'wildcards are not allowed for hardware probe type');
      if (ap.func !== '') this.error(ap.loc, `${p} probe can only have an integer count`);
      else if (ap.freq < 0) this.error(ap.loc, p === 'software' ? 'software count should be a positive integer' : 'hardware frequency should be a positive integer');
    } else if (p === 'watchpoint' || p === 'asyncwatchpoint') {
      if (ap.func) {
        if (!((this.opts.pid ?? 0) > 0) && !this.opts.hasChild) this.error(ap.loc, '-p PID or -c CMD required for watchpoint');
        if (ap.address > BigInt(MAX_ARG)) this.error(ap.loc, `x86_64 doesn't support arg${ap.address}`);
      } else if (p === 'asyncwatchpoint') this.error(ap.loc, `${p} requires a function name`);
      else if (!ap.address) this.error(ap.loc, 'watchpoint must be attached to a non-zero address');
      if (![1, 2, 4, 8].includes(ap.len)) this.error(ap.loc, 'watchpoint length must be one of (1,2,4,8)');
      if (!ap.mode) this.error(ap.loc, 'watchpoint mode must be combination of (r,w,x)');
      const mode = [...ap.mode].sort();
      for (const c of mode) if (!'rwx'.includes(c)) this.error(ap.loc, 'watchpoint mode must be combination of (r,w,x)');
      for (let i = 1; i < mode.length; i++) if (mode[i - 1] === mode[i]) this.error(ap.loc, 'watchpoint modes may not be duplicated');
      if (mode.join('') === 'rx' || mode.join('') === 'wx' || mode.join('') === 'rwx' || mode.join('') === 'r') this.error(ap.loc, `invalid watchpoint mode: ${mode.join('')}`);
    } else if (p === 'BEGIN' || p === 'END') {
      if (ap.target !== '' || ap.func !== '') this.error(ap.loc, 'BEGIN/END probes should not have a target');
      if (this.final()) {
        if (p === 'BEGIN') {
          if (this.hasBeginProbe) this.error(ap.loc, 'More than one BEGIN probe defined');
          this.hasBeginProbe = true;
        } else {
          if (this.hasEndProbe) this.error(ap.loc, 'More than one END probe defined');
          this.hasEndProbe = true;
        }
      }
    } else if (p === 'kfunc' || p === 'kretfunc') {
      if (!this.feature('kfunc')) {
        this.error(ap.loc, 'kfunc/kretfunc not available for your kernel version.');
        return;
      }
      if (ap.func === '') this.error(ap.loc, 'kfunc should specify a function');
      this.apArgs = kfuncArgs(this.structs, this.opts.btf, ap.func, p === 'kretfunc');
    } else if (p === 'iter') {
      const ok = ap.func === 'task' ? this.feature('iterTask') && !!this.opts.btf : ap.func === 'task_file' ? this.feature('iterTaskFile') && !!this.opts.btf : false;
      if (!ok) this.error(ap.loc, `iter ${ap.func} not available for your kernel version.`);
    } else this.error(ap.loc, `Invalid provider: '${p}'`);
  }

  // ---- statements ----

  private stmts(list: A.Statement[]): void {
    list.forEach((s, i) => {
      this.stmt(s);
      if (this.final() && s.kind === 'Jump' && i < list.length - 1) this.warn(s.loc, `All code after a '${s.jump}' is unreachable.`);
    });
  }

  private stmt(s: A.Statement): void {
    switch (s.kind) {
      case 'ExprStatement':
        this.expr(s.expr);
        return;
      case 'AssignMap':
        return this.assignMap(s);
      case 'AssignVar':
        return this.assignVar(s);
      case 'If': {
        this.expr(s.cond);
        if (this.final() && this.ty(s.cond).type !== 'integer') this.error(s.loc, `Invalid condition in if(): ${kindName(this.ty(s.cond).type)}`);
        this.stmts(s.then);
        if (s.else) this.stmts(s.else);
        return;
      }
      case 'Unroll': {
        this.expr(s.count);
        const n = this.intLiteral(s.count);
        if (n === undefined) {
          this.error(s.loc, 'invalid unroll value');
          return;
        }
        s.times = Number(n);
        if (n > 100n) this.error(s.loc, 'unroll maximum value is 100');
        else if (n < 1n) this.error(s.loc, 'unroll minimum value is 1');
        this.stmts(s.body);
        return;
      }
      case 'While':
        if (this.final() && !this.feature('loop')) this.warn(s.loc, 'Kernel does not support bounded loops. Depending on LLVMs loop unroll to generate loadable code.');
        this.expr(s.cond);
        this.loopDepth++;
        this.stmts(s.body);
        this.loopDepth--;
        return;
      case 'Jump':
        if ((s.jump === 'break' || s.jump === 'continue') && this.loopDepth === 0) this.error(s.loc, `${s.jump} used outside of a loop`);
        return;
    }
  }

  private assignMap(s: A.AssignMapNode): void {
    this.mapExpr(s.map);
    this.expr(s.expr);
    const type = this.ty(s.expr);
    this.assignMapType(s.map, type);
    const ident = s.map.name;
    const stored = (): SizedType => this.mapVal.get(ident) ?? T.none();
    if (type.type === 'record') {
      const storedName = stored().name ?? '';
      if (storedName && storedName !== type.name) {
        this.error(s.loc, `Type mismatch for ${ident}: trying to assign value of type '${type.name}' when map already contains a value of type '${storedName}''`);
      } else this.mapVal.set(ident, { ...type, isInternal: true });
    } else if (type.type === 'string') {
      const ms = stored().size;
      if (ms < type.size) this.warn(s.loc, `String size mismatch: ${ms} < ${type.size}. The value may be truncated.`);
    } else if (type.type === 'buffer') {
      const ms = stored().size;
      if (ms !== type.size) {
        const msg = `Buffer size mismatch: ${ms} != ${type.size}.`;
        if (ms < type.size) this.warn(s.loc, `${msg} The value may be truncated.`);
        else this.error(s.loc, msg);
      }
    } else if (type.ctx) {
      this.error(s.loc, 'context cannot be assigned to a map');
    } else if (type.type === 'tuple') {
      if (this.final() && !fitsInto(type, stored())) this.error(s.loc, `Tuple type mismatch: ${typeName(stored())} != ${typeName(type)}.`);
    } else if (type.type === 'array') {
      if (typeEquals(stored(), type)) this.mapVal.set(ident, { ...stored(), isInternal: true });
      else this.error(s.loc, `Array type mismatch: ${typeName(stored())} != ${typeName(type)}.`);
    }
    if (this.final() && type.type === 'none') this.error(s.expr.loc, `Invalid expression for assignment: ${typeName(type)}`);
  }

  private assignVar(s: A.AssignVarNode): void {
    this.expr(s.expr);
    const vars = this.variables[this.probeIndex];
    const ident = s.variable.name;
    const assignTy = this.ty(s.expr);
    if (s.expr.kind === 'Builtin' && s.expr.name === 'args' && assignTy.isFuncarg) this.error(s.loc, 'args cannot be assigned to a variable');
    const existing = vars.get(ident);
    if (existing) {
      if (existing.type === 'none') {
        if (this.final()) this.error(s.loc, `Undefined variable: ${ident}`);
        else vars.set(ident, assignTy);
      } else if ((existing.type === 'string' && assignTy.type === 'string') || (existing.type === 'tuple' && assignTy.type === 'tuple')) {
        vars.set(ident, updateStringSize(existing, assignTy));
      } else if (!sameType(existing, assignTy)) {
        this.error(s.loc, `Type mismatch for ${ident}: trying to assign value of type '${typeName(assignTy)}' when variable already contains a value of type '${typeName(existing)}'`);
      }
    } else vars.set(ident, assignTy);
    const stored = vars.get(ident)!;
    s.variable.type = stored;
    if (assignTy.type === 'record') {
      if (assignTy.name !== stored.name) this.error(s.loc, `Type mismatch for ${ident}: trying to assign value of type '${assignTy.name}' when variable already contains a value of type '${typeName(stored)}`);
    } else if (assignTy.type === 'string') {
      if (stored.size < assignTy.size) this.warn(s.loc, `String size mismatch: ${stored.size} != ${assignTy.size}. The value may be truncated.`);
    } else if (assignTy.type === 'buffer') {
      if (stored.size !== assignTy.size) this.warn(s.loc, `Buffer size mismatch: ${stored.size} != ${assignTy.size}${stored.size < assignTy.size ? '. The value may be truncated.' : '. The value may contain garbage.'}`);
    } else if (assignTy.type === 'tuple') {
      if (this.final() && !fitsInto(assignTy, stored)) this.error(s.loc, `Tuple type mismatch: ${typeName(stored)} != ${typeName(assignTy)}.`);
    }
    if (this.final() && assignTy.type === 'none') this.error(s.expr.loc, `Invalid expression for assignment: ${kindName(assignTy.type)}`);
  }

  private assignMapType(map: A.MapNode, type: SizedType): void {
    const ident = map.name;
    const cur = this.mapVal.get(ident);
    if (cur) {
      if (cur.type === 'none') {
        if (this.final()) this.error(map.loc, `Undefined map: ${ident}`);
        else this.mapVal.set(ident, type.type === 'integer' ? withSize(type, 8) : type);
      } else if (cur.type !== type.type) {
        this.error(map.loc, `Type mismatch for ${ident}: trying to assign value of type '${typeName(type)}' when map already contains a value of type '${typeName(cur)}`);
      }
      const now = this.mapVal.get(ident)!;
      if (now.type === 'string' || now.type === 'tuple') this.mapVal.set(ident, updateStringSize(now, type));
    } else {
      // Integers are stored as 64-bit so that any integer can be assigned later.
      this.mapVal.set(ident, type.type === 'integer' ? withSize(type, 8) : type);
    }
  }

  // ---- expressions ----

  private expr(e: A.Expression): void {
    switch (e.kind) {
      case 'Integer':
        e.type = T.int64();
        return;
      case 'String': {
        e.type = T.string(e.value.length + 1);
        if (this.func === 'printf' && this.funcArgIdx === 0) return;
        if (this.func !== 'cgroupid' && e.value.length > STRING_SIZE - 1) this.error(e.loc, `String is too long (over ${STRING_SIZE} bytes): ${e.value}`);
        e.type = withAs(e.type, 'kernel');
        return;
      }
      case 'StackMode':
        if (e.mode === 'bpftrace' || e.mode === 'perf') e.type = { ...T.stackMode(), stack: { limit: DEFAULT_STACK_SIZE, mode: e.mode } };
        else {
          e.type = T.none();
          this.error(e.loc, `Unknown stack mode: '${e.mode}'`);
        }
        return;
      case 'Identifier':
        return this.identifier(e);
      case 'Builtin':
        return this.builtin(e);
      case 'PositionalParameter':
        return this.positional(e);
      case 'Call':
        return this.call(e);
      case 'Map':
        return this.mapExpr(e);
      case 'Variable': {
        const t = this.variables[this.probeIndex].get(e.name);
        if (t) e.type = t;
        else {
          this.error(e.loc, `Undefined or undeclared variable: ${e.name}`);
          e.type = T.none();
        }
        return;
      }
      case 'Binop':
        return this.binop(e);
      case 'Unop':
        return this.unop(e);
      case 'Ternary':
        return this.ternary(e);
      case 'FieldAccess':
        return this.fieldAccess(e);
      case 'ArrayAccess':
        return this.arrayAccess(e);
      case 'Cast':
        return this.cast(e);
      case 'Tuple': {
        const elems: SizedType[] = [];
        for (const x of e.elems) {
          this.expr(x);
          const t = this.ty(x);
          // An invalid element (its error is already reported) leaves the tuple untyped.
          if (t.type === 'none' || t.size === 0) return;
          elems.push(t);
        }
        e.type = T.tuple(elems);
        return;
      }
    }
  }

  private identifier(e: A.IdentifierNode): void {
    if (this.structs.enumValue(e.name) !== undefined) e.type = T.uint64();
    else if (this.structs.has(e.name)) e.type = T.record(e.name, this.structs.lookup(e.name));
    else if (this.func === 'sizeof' && INTCASTS[e.name]) e.type = T.int(INTCASTS[e.name][0]);
    else {
      e.type = T.none();
      this.error(e.loc, `Unknown identifier: '${e.name}'`);
    }
  }

  private positional(e: A.PositionalParameterNode): void {
    e.type = T.int64();
    if (this.func === 'str') {
      e.inStr = true;
      this.hasPosParam = true;
    }
    if (e.ptype === 'positional') {
      if (this.final()) {
        const p = this.getParam(e.n, !!e.inStr);
        if (!isNumeric(p) && !e.inStr) this.error(e.loc, `$${e.n} used numerically but given "${p}". Try using str($${e.n}).`);
        if (e.inStr) e.type = withAs(e.type, 'kernel');
      }
    } else if (e.inStr) this.error(e.loc, 'use $#, not str($#)');
  }

  private builtin(b: A.BuiltinNode): void {
    const name = b.name;
    const aps = this.probe.attachPoints;
    if (name === 'ctx') {
      const pt = probeType(aps[0].provider);
      const bt = progTypeName(pt);
      for (const ap of aps) {
        const bt2 = progTypeName(probeType(ap.provider));
        if (bt !== bt2) this.error(b.loc, `ctx cannot be used in different BPF program types: ${bt} and ${bt2}`);
      }
      if (bt === 'BPF_PROG_TYPE_KPROBE') b.type = { ...T.pointer(T.record('struct pt_regs', this.structs.lookup('struct pt_regs')), 'kernel'), ctx: true };
      else if (bt === 'BPF_PROG_TYPE_TRACEPOINT') this.error(b.loc, 'Use args instead of ctx in tracepoint');
      else if (bt === 'BPF_PROG_TYPE_PERF_EVENT') b.type = { ...T.pointer(T.record('struct bpf_perf_event_data', this.structs.lookup('struct bpf_perf_event_data')), 'kernel'), ctx: true };
      else if (bt === 'BPF_PROG_TYPE_TRACING' && pt === 'iter') {
        const f = aps[0].func;
        const t = f === 'task' ? 'struct bpf_iter__task' : f === 'task_file' ? 'struct bpf_iter__task_file' : '';
        if (!t) this.error(b.loc, `unsupported iter type: ${f}`);
        b.type = { ...T.pointer(T.record(t, this.structs.lookup(t)), 'kernel'), ctx: true };
      } else this.error(b.loc, 'invalid program type');
      b.type ??= T.none();
      return;
    }
    if (['nsecs', 'elapsed', 'pid', 'tid', 'cgroup', 'uid', 'gid', 'cpu', 'rand', 'numaid'].includes(name)) {
      b.type = T.uint64();
      if (name === 'cgroup' && !this.feature('currentCgroupId')) this.error(b.loc, 'BPF_FUNC_get_current_cgroup_id is not available for your kernel version');
      return;
    }
    if (name === 'curtask') {
      b.type = T.pointer(T.record('struct task_struct', this.structs.lookup('struct task_struct')), 'kernel');
      return;
    }
    if (name === 'retval') {
      const type = this.singleProviderType();
      if (type === 'kretprobe' || type === 'uretprobe') b.type = T.uint64();
      else if (type === 'kfunc' || type === 'kretfunc') {
        const t = this.apArgs.get('$retval');
        if (t) b.type = t;
        else this.error(b.loc, "Can't find a field $retval");
      } else {
        this.error(b.loc, `The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'kfunc' probes${type === 'tracepoint' ? ' (try to use args->ret instead)' : ''}`);
      }
      b.type = withAs(b.type ?? T.none(), addrSpaceOf(type));
      return;
    }
    if (name === 'kstack' || name === 'ustack') {
      b.type = T.stack(name === 'kstack');
      return;
    }
    if (name === 'comm') {
      b.type = withAs(T.string(COMM_SIZE), 'kernel');
      return;
    }
    if (name === 'func') {
      for (const ap of aps) {
        const t = probeType(ap.provider);
        if (t === 'kprobe' || t === 'kretprobe') b.type = T.ksym();
        else if (t === 'uprobe' || t === 'uretprobe') b.type = T.usym();
        else this.error(b.loc, `The func builtin can not be used with '${ap.provider}' probes`);
      }
      b.type ??= T.none();
      return;
    }
    if (/^arg[0-9]$/.test(name)) {
      const as = addrSpaceOf(probeType(aps[0].provider));
      for (const ap of aps) {
        const t = probeType(ap.provider);
        if (t !== 'kprobe' && t !== 'uprobe' && t !== 'usdt') this.error(b.loc, `The ${name} builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes`);
      }
      if (Number(name[3]) > MAX_ARG) this.error(b.loc, `x86_64 doesn't support ${name}`);
      b.type = withAs(T.uint64(), as);
      return;
    }
    if (/^sarg[0-9]$/.test(name)) {
      const as = addrSpaceOf(probeType(aps[0].provider));
      for (const ap of aps) {
        const t = probeType(ap.provider);
        if (t !== 'kprobe' && t !== 'uprobe') this.error(b.loc, `The ${name} builtin can only be used with 'kprobes' and 'uprobes' probes`);
        if (this.final() && (ap.address !== 0n || ap.funcOffset !== 0n)) this.warn(b.loc, 'Using an address offset with the sargX built-in canlead to unexpected behavior ');
      }
      b.type = withAs(T.uint64(), as);
      return;
    }
    if (name === 'probe') {
      b.type = T.probe();
      return;
    }
    if (name === 'username') {
      b.type = T.username();
      return;
    }
    if (name === 'cpid') {
      if (!this.opts.hasChild) this.error(b.loc, 'cpid cannot be used without child command');
      b.type = T.uint32();
      return;
    }
    if (name === 'args') {
      for (const ap of aps) {
        if (probeType(ap.provider) === 'tracepoint') {
          const first = this.tpMatches.get(ap)?.[0];
          if (first) {
            const [cat, ev] = [first.slice(0, first.indexOf(':')), first.slice(first.indexOf(':') + 1)];
            const sname = tracepointStructName(cat, ev);
            b.type = { ...T.pointer(T.record(sname, this.structs.lookup(sname)), ap.target === 'syscalls' ? 'user' : 'kernel'), ctx: true, isTparg: true };
          }
        }
      }
      const type = this.singleProviderType();
      if (type === 'tracepoint') {
        /* typed above */
      } else if (type === 'kfunc' || type === 'kretfunc') {
        b.type = { ...T.pointer(T.record('struct kfunc'), 'kernel'), ctx: true, isFuncarg: true };
      } else if (type === 'uprobe') {
        this.resolveUprobeArgs();
        b.type = { ...T.pointer(T.record('struct uprobe_args'), 'user'), ctx: true, isFuncarg: true };
      } else {
        this.error(b.loc, `The args builtin can only be used with tracepoint/kfunc/uprobeprobes (${type} used here)`);
      }
      b.type ??= T.none();
      return;
    }
    b.type = T.none();
    this.error(b.loc, `Unknown builtin variable: '${name}'`);
  }

  private mapExpr(map: A.MapNode): void {
    const key: MapKey = { args: [] };
    if (map.keys) {
      for (let i = 0; i < map.keys.length; i++) {
        let e = map.keys[i];
        this.expr(e);
        const t = this.ty(e);
        if (t.type === 'integer' && t.size < 8) {
          const cast: A.CastNode = { kind: 'Cast', typeName: t.signed ? 'int64' : 'uint64', isPointer: false, isDoublePointer: false, expr: e, loc: map.loc, keyForMap: map };
          this.expr(cast);
          map.keys[i] = cast;
          e = cast;
        } else if (t.ctx) this.error(map.loc, 'context cannot be used as a map key');
        else if (t.type === 'tuple') this.error(map.loc, 'tuple cannot be used as a map key. Try a multi-key associative array instead (eg `@map[$1, $2] = ...)`.');
        if (this.final() && this.ty(e).type === 'none') this.error(e.loc, 'Invalid expression for assignment: ');
        let kt = this.ty(e);
        if (kt.type === 'integer') kt = T.uint(kt.size * 8);
        key.args.push(kt);
      }
    }
    if (this.pass > 1 && !map.skipKeyValidation) this.updateKeyType(map, key);
    const v = this.mapVal.get(map.name);
    if (v) map.type = v;
    else {
      if (this.final()) this.error(map.loc, `Undefined map: ${map.name}`);
      map.type = T.none();
    }
    const k = this.mapKey.get(map.name);
    if (k) map.keyTypes = k.args;
  }

  private updateKeyType(map: A.MapNode, newKey: MapKey): void {
    const cur = this.mapKey.get(map.name);
    if (!cur) {
      this.mapKey.set(map.name, newKey);
      return;
    }
    let valid = cur.args.length === newKey.args.length;
    if (valid) {
      for (let i = 0; i < cur.args.length; i++) {
        const a = cur.args[i];
        const b = newKey.args[i];
        if (a.type === 'string' && b.type === 'string') cur.args[i] = withSize(a, Math.max(a.size, b.size));
        else if (!typeEquals(a, b)) {
          valid = false;
          break;
        }
      }
    }
    if (!valid) this.error(map.loc, `Argument mismatch for ${map.name}: trying to access with arguments: ${keyTypeList(newKey)} when map expects arguments: ${keyTypeList(cur)}`);
  }

  private binop(b: A.BinopNode): void {
    this.expr(b.left);
    this.expr(b.right);
    const lt = this.ty(b.left);
    const rt = this.ty(b.right);
    if (lt.type === 'pointer' || rt.type === 'pointer') return this.binopPtr(b, lt, rt);
    let signed = lt.signed && rt.signed;
    if (b.op === '<<' || b.op === '>>') signed = lt.signed;
    b.type = T.int(64, signed);
    const la = lt.as;
    const ra = rt.as;
    if (la !== ra && la !== 'none' && ra !== 'none') {
      if (this.final()) this.warn(b.loc, 'Addrspace mismatch');
      b.type = withAs(b.type, 'none');
    } else b.type = withAs(b.type, la !== 'none' ? la : ra);
    if (!this.final()) return;
    if (lt.type === 'integer' && rt.type === 'integer') this.binopInt(b, lt, rt);
    else if (lt.type === 'array' && rt.type === 'array') {
      if (b.op !== '==' && b.op !== '!=') this.error(b.loc, `The ${b.op} operator cannot be used on arrays.`);
      if (lt.count !== rt.count) this.error(b.loc, 'Only arrays of same size support comparison operators.');
      if (lt.elem!.type !== 'integer' || !typeEquals(lt, rt)) this.error(b.loc, 'Only arrays of same sized integer support comparison operators.');
    } else if (lt.type !== rt.type) {
      this.error(spanLoc(b.left.loc, b.right.loc), `Type mismatch for '${b.op}': comparing '${typeName(lt)}' with '${typeName(rt)}'`);
    } else if (b.op !== '==' && b.op !== '!=') {
      this.error(b.loc, `The ${b.op} operator can not be used on expressions of types ${typeName(lt)}, ${typeName(rt)}`);
    } else if (b.op === '==' && this.isLiteral(b.left) !== this.isLiteral(b.right)) {
      const lit = this.isLiteral(b.left) ? b.left : b.right;
      const other = lit === b.left ? b.right : b.left;
      const litLen = this.stringLiteral(lit).length;
      const strLen = this.ty(other).size;
      if (litLen > strLen) this.warn(spanLoc(b.left.loc, b.right.loc), `The literal is longer than the variable string (size=${strLen}), condition will always be false`);
    }
  }

  private binopInt(b: A.BinopNode, lt: SizedType, rt: SizedType): void {
    let ls = lt.signed;
    let rs = rt.signed;
    const nonNegLiteral = (e: A.Expression): boolean => this.isLiteral(e) && (this.intLiteral(e) ?? -1n) >= 0n;
    if (ls !== rs) {
      if (ls && !rs && nonNegLiteral(b.left)) ls = false;
      else if (!ls && rs && nonNegLiteral(b.right)) rs = false;
      else if (['==', '!=', '<=', '>=', '<', '>'].includes(b.op)) this.warn(b.loc, `comparison of integers of different signs: '${typeName(lt)}' and '${typeName(rt)}' can lead to undefined behavior`);
      else if (['+', '-', '*', '/', '%'].includes(b.op)) this.warn(b.loc, `arithmetic on integers of different signs: '${typeName(lt)}' and '${typeName(rt)}' can lead to undefined behavior`);
    }
    if (b.op === '/' || b.op === '%') {
      if (ls && nonNegLiteral(b.left)) ls = false;
      if (rs && nonNegLiteral(b.right)) rs = false;
      if (ls || rs) this.warn(b.loc, `signed operands for '${b.op}' can lead to undefined behavior (cast to unsigned to silence warning)`);
    }
    if (this.func === 'str') {
      let pos = b.left.kind === 'PositionalParameter' ? b.left : undefined;
      let offset = b.right.kind === 'Integer' ? b.right : undefined;
      if (!pos) {
        pos = b.right.kind === 'PositionalParameter' ? b.right : undefined;
        offset = b.left.kind === 'Integer' ? b.left : undefined;
      }
      if (pos) {
        const len = this.getParam(pos.n, true).length;
        if (!offset || b.op !== '+' || offset.value < 0n || offset.value > BigInt(len)) {
          this.error(spanLoc(b.loc, b.right.loc), `only addition of a single constant less or equal to the length of $${pos.n} (which is ${len}) is allowed inside str()`);
        }
      }
    }
  }

  private binopPtr(b: A.BinopNode, lt: SizedType, rt: SizedType): void {
    const leftIsPtr = lt.type === 'pointer';
    const ptr = leftIsPtr ? lt : rt;
    const other = leftIsPtr ? rt : lt;
    const compare = ['==', '!=', '<=', '>=', '<', '>'].includes(b.op);
    const invalid = (): void => this.error(b.loc, `The ${b.op} operator can not be used on expressions of types ${typeName(lt)}, ${typeName(rt)}`);
    if (other.type === 'pointer') {
      if (compare) {
        b.type = T.uint(64);
        if (this.final() && !typeEquals(lt.elem!, rt.elem!)) this.warn(spanLoc(b.left.loc, b.right.loc), `comparison of distinct pointer types ('${typeName(lt.elem!)}, '${typeName(rt.elem!)}')`);
      } else invalid();
    } else if (other.type === 'integer') {
      if (b.op === '-' && !leftIsPtr) invalid();
      else if (b.op === '+' || b.op === '-') b.type = T.pointer(ptr.elem!, ptr.as);
      else if (compare) b.type = T.int(64);
      else invalid();
    } else invalid();
    b.type ??= T.none();
  }

  private unop(u: A.UnopNode): void {
    if (u.op === '++' || u.op === '--') {
      if (u.expr.kind !== 'Map' && u.expr.kind !== 'Variable') this.error(u.loc, `The ${u.op} operator must be applied to a map or variable`);
      if (u.expr.kind === 'Map' && !this.mapVal.has(u.expr.name)) this.assignMapType(u.expr, T.int64());
    }
    this.expr(u.expr);
    const t = this.ty(u.expr);
    const validPtrOp = u.op === '++' || u.op === '--' || u.op === '*';
    if (this.final() && t.type !== 'integer' && !(t.type === 'pointer' && validPtrOp)) {
      this.error(u.loc, `The ${u.op} operator can not be used on expressions of type '${typeName(t)}'`);
    }
    if (u.op === '*') {
      if (t.type === 'pointer') {
        u.type = { ...t.elem!, as: t.as };
        if (t.ctx) u.type = { ...u.type, ctx: true, isFuncarg: t.isFuncarg, isTparg: t.isTparg };
      } else if (t.type === 'record') this.error(u.loc, `Can not dereference struct/union of type '${t.name}'. It is not a pointer.`);
      else if (t.type === 'integer') u.type = T.uint64();
    } else if (u.op === '!') {
      if (![0, 1, 2, 4, 8].includes(t.size)) this.error(u.loc, `The ${u.op} operator can not be used on expressions of type '${typeName(t)}'`);
      else u.type = T.uint(8 * t.size);
    } else if (t.type === 'pointer' && validPtrOp) u.type = t;
    else u.type = T.int(64, t.signed);
    u.type ??= T.none();
  }

  private ternary(t: A.TernaryNode): void {
    this.expr(t.cond);
    this.expr(t.left);
    this.expr(t.right);
    const cond = this.ty(t.cond).type;
    const lhs = this.ty(t.left).type;
    const rhs = this.ty(t.right).type;
    if (this.final()) {
      if (lhs !== rhs) this.error(t.loc, `Ternary operator must return the same type: have '${kindName(lhs)}' and '${kindName(rhs)}'`);
      if (cond !== 'integer') this.error(t.loc, `Invalid condition in ternary: ${kindName(cond)}`);
    }
    if (lhs === 'string') t.type = T.string(STRING_SIZE);
    else if (lhs === 'integer') t.type = T.int(64, this.ty(t.left).signed);
    else if (lhs === 'none') t.type = T.none();
    else {
      this.error(t.loc, `Ternary return type unsupported ${kindName(lhs)}`);
      t.type = T.none();
    }
  }

  private fieldAccess(acc: A.FieldAccessNode): void {
    this.expr(acc.expr);
    const type = this.ty(acc.expr);
    const fieldText = acc.field ?? '';
    if (type.type === 'pointer') {
      this.error(acc.loc, `Can not access field '${fieldText}' on type '${typeName(type)}'. Try dereferencing it first, or using '->'`);
      return;
    }
    if (type.type !== 'record' && type.type !== 'tuple') {
      if (this.final()) this.error(acc.loc, `Can not access ${acc.field !== undefined ? `field '${acc.field}'` : `index ${acc.index}`} on expression of type '${typeName(type)}'`);
      return;
    }
    if (type.isFuncarg) {
      const t = this.apArgs.get(fieldText);
      if (t) {
        acc.type = withAs(t, type.as);
        if (this.final() && t.type === 'none') this.error(acc.loc, `${fieldText} has unsupported type`);
      } else if (!this.noDebuginfo) this.error(acc.loc, `Can't find function parameter ${fieldText}`);
      return;
    }
    if (type.type === 'tuple') {
      if (acc.index < 0) {
        this.error(acc.loc, 'Tuples must be indexed with a constant and non-negative integer');
        return;
      }
      const fields = type.struct!.fields;
      const valid = acc.index < fields.length;
      if (!valid && this.final()) this.error(acc.loc, `Invalid tuple index: ${acc.index}. Found ${fields.length} elements in tuple.`);
      if (valid) acc.type = fields[acc.index].type;
      return;
    }
    if (!type.struct && !this.structs.has(type.name!)) {
      this.error(acc.loc, `Unknown struct/union: '${type.name}'`);
      return;
    }
    const candidates = new Map<string, Struct | undefined>();
    if (type.isTparg) {
      for (const ap of this.probe.attachPoints) {
        if (probeType(ap.provider) !== 'tracepoint') continue;
        for (const m of this.tpMatches.get(ap) ?? []) {
          const i = m.indexOf(':');
          const sname = tracepointStructName(m.slice(0, i), m.slice(i + 1));
          candidates.set(sname, this.structs.lookup(sname));
        }
      }
    } else candidates.set(type.name!, type.struct ?? this.structs.lookup(type.name!));
    for (const [castType, record] of candidates) {
      const field = record?.fields.find((f) => f.name === fieldText);
      if (!field) {
        this.error(acc.loc, `Struct/union of type '${castType}' does not contain a field named '${fieldText}'`);
        continue;
      }
      let ft: SizedType = { ...field.type };
      if (type.ctx && (ft.type === 'array' || ft.type === 'record')) ft.ctx = true;
      ft.isInternal = type.isInternal;
      ft = withAs(ft, type.as);
      acc.type = ft;
      if (type.isTparg && field.offset < 8) this.error(acc.loc, 'BPF does not support accessing common tracepoint fields');
    }
  }

  private arrayAccess(arr: A.ArrayAccessNode): void {
    this.expr(arr.expr);
    this.expr(arr.index);
    const type = this.ty(arr.expr);
    const idx = this.ty(arr.index);
    if (this.final()) {
      if (type.type !== 'array' && type.type !== 'pointer') {
        this.error(arr.loc, `The array index operator [] can only be used on arrays and pointers, found ${kindName(type.type)}.`);
        return;
      }
      if (type.type === 'pointer' && type.elem!.size === 0) this.error(arr.loc, 'The array index operator [] cannot be used on a pointer to an unsized type (void *).');
      if (idx.type === 'integer' && this.isLiteral(arr.index)) {
        if (type.type === 'array') {
          const i = this.intLiteral(arr.index);
          if (i !== undefined) {
            if (BigInt.asUintN(64, i) >= BigInt(type.count!)) this.error(arr.loc, `the index ${i} is out of bounds for array of size ${type.count}`);
          } else this.error(arr.loc, 'invalid index expression');
        }
      } else this.error(arr.loc, 'The array index operator [] only accepts literal integer indices.');
    }
    let t: SizedType = type.type === 'array' ? type.elem! : type.type === 'pointer' ? type.elem! : T.none();
    t = { ...t, isInternal: type.isInternal, as: type.as };
    arr.type = t;
  }

  private cast(c: A.CastNode): void {
    this.expr(c.expr);
    const et = this.ty(c.expr);
    if (et.type === 'record') this.error(c.loc, `Cannot cast from struct type "${typeName(et)}"`);
    else if (et.type === 'none') this.error(c.loc, `Cannot cast from "${typeName(et)}" type`);
    const isCtx = !!et.ctx;
    const ic = INTCASTS[c.typeName];
    if (ic) {
      if (c.isPointer) {
        c.type = T.pointer(T.int(ic[0], ic[1]));
        if (isCtx) this.error(c.loc, 'Integer pointer casts are not supported for type: ctx');
        if (c.isDoublePointer) c.type = T.pointer(c.type);
      } else {
        c.type = T.int(ic[0], ic[1]);
        if (et.type !== 'integer' && et.type !== 'record' && et.type !== 'pointer' && !et.ctx) this.error(c.loc, `Casts are not supported for type: "${typeName(et)}"`);
      }
      c.type = withAs(c.type, et.as);
      return;
    }
    if (!this.structs.has(c.typeName)) {
      this.error(c.loc, `Unknown struct/union: '${c.typeName}'`);
      c.type = T.none();
      return;
    }
    const st = T.record(c.typeName, this.structs.lookup(c.typeName));
    if (c.isPointer) {
      c.type = T.pointer(st);
      if (c.isDoublePointer) c.type = T.pointer(c.type);
    } else {
      this.error(c.loc, `Cannot cast to struct type "${c.typeName}"`);
      c.type = T.none();
    }
    if (isCtx) c.type = { ...c.type, ctx: true };
    c.type = withAs(c.type, et.as);
    if (c.type.as === 'none') c.type = withAs(c.type, addrSpaceOf(this.singleProviderType()));
  }

  // ---- calls ----

  private checkAssignment(call: A.CallNode, wantMap: boolean, wantVar: boolean, wantKey: boolean): boolean {
    const map = !!call.assignedToMap;
    const v = !!call.assignedToVar;
    const key = !!call.keyForMap;
    const f = call.func;
    const fail = (m: string): false => {
      this.error(call.loc, m);
      return false;
    };
    if (wantMap && wantVar && wantKey) {
      if (!map && !v && !key) return fail(`${f}() should be assigned to a map or a variable, or be used as a map key`);
    } else if (wantMap && wantVar) {
      if (!map && !v) return fail(`${f}() should be assigned to a map or a variable`);
    } else if (wantMap && wantKey) {
      if (!map && !key) return fail(`${f}() should be assigned to a map or be used as a map key`);
    } else if (wantVar && wantKey) {
      if (!v && !key) return fail(`${f}() should be assigned to a variable or be used as a map key`);
    } else if (wantMap) {
      if (!map) return fail(`${f}() should be directly assigned to a map`);
    } else if (wantVar) {
      if (!v) return fail(`${f}() should be assigned to a variable`);
    } else if (wantKey) {
      if (!key) return fail(`${f}() should be used as a map key`);
    } else if (map || v || key) return fail(`${f}() should not be used in an assignment or as a map key`);
    return true;
  }

  private checkNargs(call: A.CallNode, n: number): boolean {
    const got = call.args?.length ?? 0;
    if (got === n) return true;
    const what = n === 0 ? 'requires no arguments' : n === 1 ? 'requires one argument' : `requires ${n} arguments`;
    this.error(call.loc, `${call.func}() ${what} (${got} provided)`);
    return false;
  }

  private checkVarargs(call: A.CallNode, min: number, max: number): boolean {
    const got = call.args?.length ?? 0;
    if (got < min) {
      this.error(call.loc, `${call.func}() ${min === 1 ? 'requires at least one argument' : `requires at least ${min} arguments`} (${got} provided)`);
      return false;
    }
    if (got > max) {
      this.error(call.loc, `${call.func}() ${max === 0 ? 'requires no arguments' : max === 1 ? 'takes up to one argument' : `takes up to ${max} arguments`} (${got} provided)`);
      return false;
    }
    return true;
  }

  private checkArg(call: A.CallNode, kind: string, n: number, wantLiteral = false, fail = true): boolean {
    if (!call.args) return false;
    const arg = call.args[n];
    const t = this.ty(arg);
    if (wantLiteral && (!this.isLiteral(arg) || t.type !== kind)) {
      if (fail) {
        this.error(call.loc, `${call.func}() expects a ${kindName(kind as SizedType['type'])} literal (${kindName(t.type)} provided)`);
        if (kind === 'string' && arg.kind === 'PositionalParameter') this.error(undefined, `Use str($${arg.n}) to treat $${arg.n} as a string`);
      }
      return false;
    }
    if (this.final() && t.type !== kind) {
      if (fail) this.error(call.loc, `${call.func}() only supports ${kindName(kind as SizedType['type'])} arguments (${kindName(t.type)} provided)`);
      return false;
    }
    return true;
  }

  private available(call: A.CallNode, ap: A.AttachPointNode): boolean {
    const t = probeType(ap.provider);
    if (call.func === 'reg') return ['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'profile', 'interval', 'software', 'hardware', 'watchpoint', 'asyncwatchpoint'].includes(t);
    if (call.func === 'uaddr') return ['usdt', 'uretprobe', 'uprobe'].includes(t);
    if (call.func === 'signal') return ['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'tracepoint', 'profile', 'kfunc', 'kretfunc'].includes(t);
    return t !== 'invalid';
  }

  private call(call: A.CallNode): void {
    const f = call.func;
    if (!this.opts.unsafe && ['system', 'signal', 'override'].includes(f)) this.error(call.loc, `${f}() is an unsafe function being used in safe mode`);
    const oldFunc = this.func;
    this.func = f;
    try {
      (call.args ?? []).forEach((a, i) => {
        this.funcArgIdx = i;
        this.expr(a);
      });
      for (const ap of this.probe.attachPoints) {
        if (!this.available(call, ap)) this.error(call.loc, `${f} can not be used with "${ap.provider}" probes`);
      }
      this.callBody(call);
    } finally {
      this.func = oldFunc;
      this.funcArgIdx = -1;
    }
    call.type ??= T.none();
  }

  private callBody(call: A.CallNode): void {
    const f = call.func;
    const args = call.args ?? [];
    const ty = (i: number): SizedType => this.ty(args[i]);
    switch (f) {
      case 'hist':
        this.checkAssignment(call, true, false, false);
        this.checkNargs(call, 1);
        this.checkArg(call, 'integer', 0);
        call.type = T.hist();
        return;
      case 'lhist': {
        this.checkAssignment(call, true, false, false);
        if (this.checkNargs(call, 4)) {
          this.checkArg(call, 'integer', 0, false);
          this.checkArg(call, 'integer', 1, true);
          this.checkArg(call, 'integer', 2, true);
          this.checkArg(call, 'integer', 3, true);
        }
        if (this.final()) {
          const min = args[1] && this.intLiteral(args[1]);
          const max = args[2] && this.intLiteral(args[2]);
          const step = args[3] && this.intLiteral(args[3]);
          if (min === undefined) return void this.error(call.loc, `${f}: invalid min value`);
          if (max === undefined) return void this.error(call.loc, `${f}: invalid max value`);
          if (step === undefined) return void this.error(call.loc, `${f}: invalid step value`);
          if (step <= 0n) this.error(call.loc, `lhist() step must be >= 1 (${step} provided)`);
          else {
            const buckets = BigInt.asIntN(32, (max - min) / step);
            if (buckets > 1000n) this.error(call.loc, `lhist() too many buckets, must be <= 1000 (would need ${buckets})`);
          }
          if (min < 0n) this.error(call.loc, `lhist() min must be non-negative (provided min ${min})`);
          if (min > max) this.error(call.loc, `lhist() min must be less than max (provided min ${min} and max ${max})`);
          if (max - min < step) this.error(call.loc, `lhist() step is too large for the given range (provided step ${step} for range ${max - min})`);
          if (call.assignedToMap) this.lhistArgs.set(call.assignedToMap.name, { min: Number(min), max: Number(max), step: Number(step) });
        }
        call.type = T.lhist();
        return;
      }
      case 'count':
        this.checkAssignment(call, true, false, false);
        this.checkNargs(call, 0);
        call.type = T.count();
        return;
      case 'sum':
      case 'min':
      case 'max': {
        let sign = false;
        this.checkAssignment(call, true, false, false);
        if (this.checkNargs(call, 1)) {
          this.checkArg(call, 'integer', 0);
          sign = ty(0).signed;
        }
        call.type = f === 'sum' ? T.sum(sign) : f === 'min' ? T.min(sign) : T.max(sign);
        return;
      }
      case 'avg':
      case 'stats':
        this.checkAssignment(call, true, false, false);
        this.checkNargs(call, 1);
        this.checkArg(call, 'integer', 0);
        call.type = f === 'avg' ? T.avg() : T.stats();
        return;
      case 'delete':
        this.checkAssignment(call, false, false, false);
        if (this.checkNargs(call, 1) && args[0].kind !== 'Map') this.error(call.loc, 'delete() expects a map to be provided');
        call.type = T.none();
        return;
      case 'str': {
        if (this.checkVarargs(call, 1, 2)) {
          const arg = args[0];
          const t = ty(0);
          if (t.type !== 'integer' && t.type !== 'pointer') this.error(call.loc, `${f}() expects an integer or a pointer type as first argument (${typeName(t)} provided)`);
          call.type = T.string(this.strlen);
          if (this.hasPosParam) {
            if (arg.kind === 'PositionalParameter') (call as A.CallNode & { isLiteral?: boolean }).isLiteral = true;
            else if (!(arg.kind === 'Binop' && (arg.left.kind === 'PositionalParameter' || arg.right.kind === 'PositionalParameter'))) {
              this.error(call.loc, `${f}() only accepts positional parameters directly or with a single constant offset added`);
            }
          }
          if (this.final() && args.length === 2 && this.checkArg(call, 'integer', 1, false)) {
            const size = args[1];
            if (size.kind === 'Integer' && size.value < 0n) this.error(call.loc, `${f}cannot use negative length (${size.value})`);
          }
          call.type = withAs(call.type, t.as);
        }
        this.hasPosParam = false;
        return;
      }
      case 'buf': {
        if (!this.checkVarargs(call, 1, 2)) return;
        const t = ty(0);
        if (this.final() && !['integer', 'string', 'pointer', 'array'].includes(t.type)) this.error(call.loc, `${f}() expects an integer, string, or array argument but saw ${kindName(t.type)}`);
        const maxSize = this.strlen;
        let size = maxSize;
        if (args.length === 1) {
          if (t.type === 'array') size = t.count! * t.elem!.size;
          else if (this.final()) this.error(call.loc, `${f}() expects a length argument for non-array type ${kindName(t.type)}`);
        } else {
          if (this.final()) this.checkArg(call, 'integer', 1, false);
          if (ty(1).type === 'integer' && this.isLiteral(args[1])) {
            const v = this.intLiteral(args[1]);
            if (v !== undefined) {
              if (v < 0n) this.error(call.loc, `${f} cannot use negative length (${v})`);
              size = Number(v);
            } else this.error(call.loc, `${f}: invalid length value`);
          }
        }
        if (size > maxSize) {
          if (this.final()) this.warn(call.loc, `${f}() length is too long and will be shortened to ${this.strlen} bytes (see BPFTRACE_STRLEN)`);
          size = maxSize;
        }
        call.type = withAs(T.buffer(size + 1), 'kernel');
        return;
      }
      case 'ksym':
      case 'usym':
        if (this.checkNargs(call, 1) && ty(0).type !== 'integer' && ty(0).type !== 'pointer') this.error(call.loc, `${f}() expects an integer or pointer argument`);
        call.type = f === 'ksym' ? T.ksym() : T.usym();
        return;
      case 'ntop': {
        if (!this.checkVarargs(call, 1, 2)) return;
        let arg = args[0];
        if (args.length === 2) {
          arg = args[1];
          this.checkArg(call, 'integer', 0);
        }
        const t = this.ty(arg);
        if (t.type !== 'integer' && t.type !== 'string' && t.type !== 'array') this.error(call.loc, `${f}() expects an integer or array argument, got ${kindName(t.type)}`);
        if ((t.type === 'array' || t.type === 'string') && t.size !== 4 && t.size !== 16) this.error(call.loc, `${f}() argument must be 4 or 16 bytes in size`);
        call.type = T.inet(24);
        return;
      }
      case 'pton': {
        if (!this.checkNargs(call, 1)) return;
        const addr = this.stringLiteral(args[0]);
        let size: number;
        if (addr.includes('.')) size = 4;
        else if (addr.includes(':')) size = 16;
        else return void this.error(call.loc, `${f}() expects an string argument of an IPv4/IPv6 address, got ${addr}`);
        if (!(size === 4 ? isIPv4(addr) : isIPv6(addr))) return void this.error(call.loc, `${f}() expects a valid IPv4/IPv6 address, got ${addr}`);
        call.type = { ...T.array(size, T.uint(8)), as: 'kernel', isInternal: true };
        return;
      }
      case 'join': {
        this.checkAssignment(call, false, false, false);
        call.type = T.none();
        if (!this.checkVarargs(call, 1, 2) || !this.final()) return;
        const t = ty(0);
        if (t.type !== 'integer' && t.type !== 'pointer') this.error(call.loc, `() only supports int or pointer arguments (${kindName(t.type)} provided)`);
        if (args.length > 1) this.checkArg(call, 'string', 1, true);
        return;
      }
      case 'reg': {
        if (this.checkNargs(call, 1) && this.checkArg(call, 'string', 0, true)) {
          const r = this.stringLiteral(args[0]);
          if (!X86_REGISTERS.includes(r)) this.error(call.loc, `'${r}' is not a valid register on this architecture (x86_64)`);
        }
        call.type = withAs(T.uint64(), addrSpaceOf(this.singleProviderType()));
        return;
      }
      case 'kaddr':
        if (this.checkNargs(call, 1)) this.checkArg(call, 'string', 0, true);
        call.type = withAs(T.uint64(), 'kernel');
        return;
      case 'uaddr': {
        if (!this.checkNargs(call, 1)) return;
        if (!this.checkArg(call, 'string', 0, true)) return;
        const name = this.stringLiteral(args[0]);
        const re = '^[a-zA-Z0-9./_-]+$';
        if (!new RegExp(re).test(name)) return void this.error(call.loc, `${f}() expects a string that is a valid symbol (${re}) as input ("${name}" provided)`);
        const sizes: number[] = [];
        for (const ap of this.probe.attachPoints) {
          const sym = this.opts.resolveUserSymbol?.(ap.target, name);
          if (this.opts.resolveUserSymbol && !sym) this.error(call.loc, `Could not resolve symbol: ${ap.target}:${name}`);
          sizes.push(sym?.size ?? 8);
        }
        const s = sizes[0] ?? 8;
        call.type = T.pointer(T.int([1, 2, 4].includes(s) ? s * 8 : 64), 'user');
        return;
      }
      case 'cgroupid':
        if (this.checkNargs(call, 1)) this.checkArg(call, 'string', 0, true);
        call.type = T.uint64();
        return;
      case 'printf':
      case 'system':
      case 'cat':
      case 'debugf': {
        this.checkAssignment(call, false, false, false);
        if (this.checkVarargs(call, 1, 128)) {
          this.checkArg(call, 'string', 0, true);
          if (this.final() && args[0].kind === 'String') {
            const kinds = args.slice(1).map((a) => this.ty(a).type);
            const msg = validateFormat(args[0].value, kinds, f);
            if (msg) this.error(call.loc, msg);
          }
        }
        if (f === 'debugf' && this.final()) this.warn(call.loc, 'The debugf() builtin is not recommended for production use. For more information see bpf_trace_printk in bpf-helpers(7).');
        call.type = T.none();
        return;
      }
      case 'exit':
        this.checkAssignment(call, false, false, false);
        this.checkNargs(call, 0);
        return;
      case 'print': {
        this.checkAssignment(call, false, false, false);
        if (this.loopDepth > 0 && this.final()) this.warn(call.loc, "Due to it's asynchronous nature using 'print()' in a loop can lead to unexpected behavior. The map will likely be updated before the runtime can 'print' it.");
        if (this.checkVarargs(call, 1, 3)) {
          const arg = args[0];
          if (arg.kind === 'Map') {
            arg.skipKeyValidation = true;
            if (arg.keys) this.error(call.loc, `The map passed to ${f}() should not be indexed by a key`);
            if (this.final()) {
              if (args.length > 1) this.checkArg(call, 'integer', 1, true);
              if (args.length > 2) this.checkArg(call, 'integer', 2, true);
              if (this.ty(arg).type === 'stats' && args.length > 1) this.warn(call.loc, "print()'s top and div arguments are ignored when used on stats() maps.");
            }
          } else if (isPrintable(this.ty(arg))) {
            if (args.length !== 1) this.error(call.loc, `Non-map print() only takes 1 argument, ${args.length} found`);
          } else if (this.final()) this.error(call.loc, `${typeName(this.ty(arg))} type passed to ${f}() is not printable`);
        }
        return;
      }
      case 'cgroup_path':
        call.type = T.cgroupPath();
        if (this.checkVarargs(call, 1, 2)) {
          this.checkArg(call, 'integer', 0, false);
          if (args.length > 1) this.checkArg(call, 'string', 1, false);
        }
        return;
      case 'clear':
      case 'zero':
        this.checkAssignment(call, false, false, false);
        if (this.checkNargs(call, 1)) {
          const arg = args[0];
          if (arg.kind !== 'Map') this.error(call.loc, `${f}() expects a map to be provided`);
          else {
            arg.skipKeyValidation = true;
            if (arg.keys) this.error(call.loc, `The map passed to ${f}() should not be indexed by a key`);
          }
        }
        return;
      case 'time':
        this.checkAssignment(call, false, false, false);
        if (this.checkVarargs(call, 0, 1) && this.final() && args.length > 0) this.checkArg(call, 'string', 0, true);
        return;
      case 'strftime':
        call.type = T.timestamp();
        if (this.checkVarargs(call, 2, 2) && this.final() && this.checkArg(call, 'string', 0, true)) this.checkArg(call, 'integer', 1, false);
        return;
      case 'kstack':
      case 'ustack':
        return this.stackCall(call, f === 'kstack');
      case 'signal': {
        if (!this.feature('sendSignal')) this.error(call.loc, 'BPF_FUNC_send_signal not available for your kernel version');
        this.checkAssignment(call, false, false, false);
        if (!this.checkVarargs(call, 1, 1)) return;
        const arg = args[0];
        const t = ty(0);
        if (t.type === 'string' && this.isLiteral(arg)) {
          const sig = this.stringLiteral(arg);
          if (!signalValid(sig)) this.error(call.loc, `${sig} is not a valid signal`);
        } else if (t.type === 'integer' && this.isLiteral(arg)) {
          const sig = this.intLiteral(arg);
          if (sig === undefined || sig < 1n || sig > 64n) this.error(call.loc, `${sig ?? 0} is not a valid signal, allowed range: [1,64]`);
        } else if (t.type !== 'integer') this.error(call.loc, 'signal only accepts string literals or integers');
        return;
      }
      case 'sizeof':
        this.checkNargs(call, 1);
        call.type = T.uint64();
        return;
      case 'path':
        if (!this.feature('dPath')) this.error(call.loc, 'BPF_FUNC_d_path not available for your kernel version');
        if (this.checkVarargs(call, 1, 1)) {
          if (!this.checkArg(call, 'record', 0, false, false) && !this.checkArg(call, 'pointer', 0, false, false)) {
            this.error(call.loc, `path() only supports pointer or record argument (${kindName(ty(0).type)} provided)`);
          }
          call.type = T.string(this.strlen);
        }
        for (const ap of this.probe.attachPoints) {
          const t = probeType(ap.provider);
          if (t !== 'kfunc' && t !== 'kretfunc' && t !== 'iter') this.error(call.loc, "The path function can only be used with 'kfunc', 'kretfunc', 'iter' probes");
        }
        return;
      case 'strerror':
        call.type = T.strerror();
        if (this.checkNargs(call, 1)) this.checkArg(call, 'integer', 0, false);
        return;
      case 'strncmp':
        if (this.checkNargs(call, 3)) {
          this.checkArg(call, 'string', 0);
          this.checkArg(call, 'string', 1);
          if (this.checkArg(call, 'integer', 2, true)) {
            const size = this.intLiteral(args[2]);
            if (size !== undefined) {
              if (size < 0n) this.error(call.loc, 'Builtin strncmp requires a non-negative size');
            } else this.error(call.loc, `${f}: invalid size value`);
          }
        }
        call.type = T.uint64();
        return;
      case 'strcontains':
        if (this.checkNargs(call, 2)) {
          this.checkArg(call, 'string', 0);
          this.checkArg(call, 'string', 1);
        }
        call.type = T.uint64();
        return;
      case 'override':
        if (!this.feature('overrideReturn')) this.error(call.loc, 'BPF_FUNC_override_return not available for your kernel version');
        this.checkAssignment(call, false, false, false);
        if (this.checkVarargs(call, 1, 1)) this.checkArg(call, 'integer', 0, false);
        for (const ap of this.probe.attachPoints) if (probeType(ap.provider) !== 'kprobe') this.error(call.loc, `${f} can only be used with kprobes.`);
        return;
      case 'kptr':
      case 'uptr': {
        if (!this.checkNargs(call, 1)) return;
        const t = ty(0);
        if (t.type !== 'integer' && t.type !== 'pointer') return void this.error(call.loc, `${f}() only supports integer or pointer arguments (${kindName(t.type)} provided)`);
        call.type = withAs(t, f === 'kptr' ? 'kernel' : 'user');
        return;
      }
      case 'macaddr': {
        if (!this.checkNargs(call, 1)) return;
        const t = ty(0);
        if (t.type !== 'integer' && t.type !== 'array' && !isByteArray(t) && t.type !== 'pointer') this.error(call.loc, `${f}() only supports array or pointer arguments (${kindName(t.type)} provided)`);
        if ((t.type === 'array' || isByteArray(t)) && t.size !== 6) this.error(call.loc, `${f}() argument must be 6 bytes in size`);
        if (t.type === 'string' && this.isLiteral(args[0])) this.error(call.loc, `${f}() does not support literal string arguments`);
        call.type = T.macAddress();
        return;
      }
      case 'unwatch':
        if (this.checkNargs(call, 1)) this.checkArg(call, 'integer', 0);
        call.type = T.none();
        return;
      case 'bswap': {
        if (!this.checkNargs(call, 1)) return;
        const t = ty(0);
        if (t.type !== 'integer') return void this.error(call.loc, `${f}() only supports integer arguments (${kindName(t.type)} provided)`);
        call.type = T.uint(t.size * 8);
        return;
      }
      case 'skboutput':
        if (!this.feature('skbOutput')) this.error(call.loc, 'BPF_FUNC_skb_output is not available for your kernel version');
        this.checkAssignment(call, false, true, false);
        if (this.checkNargs(call, 4) && this.final()) {
          this.checkArg(call, 'string', 0, true);
          this.checkArg(call, 'pointer', 1, false);
          this.checkArg(call, 'integer', 2, false);
          this.checkArg(call, 'integer', 3, false);
        }
        call.type = T.uint32();
        return;
      default:
        this.error(call.loc, `Unknown function: '${f}'`);
        call.type = T.none();
    }
  }

  private stackCall(call: A.CallNode, kernel: boolean): void {
    call.type = T.stack(kernel);
    if (!this.checkVarargs(call, 0, 2)) return;
    const args = call.args ?? [];
    const st = { limit: DEFAULT_STACK_SIZE, mode: 'bpftrace' as 'bpftrace' | 'perf' };
    const limitOf = (e: A.Expression): void => {
      const v = this.intLiteral(e);
      if (v !== undefined) st.limit = Number(v);
      else this.error(call.loc, `${call.func}: invalid limit value`);
    };
    if (args.length === 1) {
      if (this.ty(args[0]).type === 'stack_mode') {
        if (this.checkArg(call, 'stack_mode', 0, true)) st.mode = this.ty(args[0]).stack!.mode;
      } else if (this.checkArg(call, 'integer', 0, true)) limitOf(args[0]);
    } else if (args.length === 2) {
      if (this.checkArg(call, 'stack_mode', 0, true)) st.mode = this.ty(args[0]).stack!.mode;
      if (this.checkArg(call, 'integer', 1, true)) limitOf(args[1]);
    }
    if (st.limit > MAX_STACK_SIZE) this.error(call.loc, `${call.func}([int limit]): limit shouldn't exceed ${MAX_STACK_SIZE}, ${st.limit} given`);
    call.type = T.stack(kernel, st);
  }
}

function isPrintable(t: SizedType): boolean {
  return t.type !== 'none' && t.type !== 'pointer' && t.type !== 'stack_mode' && !t.ctx;
}

function updateStringSize(type: SizedType, next: SizedType): SizedType {
  if (type.type === 'string' && next.type === 'string' && type.size !== next.size) return withSize(type, Math.max(type.size, next.size));
  if (type.type === 'tuple' && next.type === 'tuple' && type.struct!.fields.length === next.struct!.fields.length) {
    let updated = false;
    const elems = type.struct!.fields.map((f, i) => {
      const u = updateStringSize(f.type, next.struct!.fields[i].type);
      if (u !== f.type) updated = true;
      return u;
    });
    return updated ? T.tuple(elems) : type;
  }
  return type;
}

function signalValid(sig: string): boolean {
  if (!sig) return false;
  let s = sig.toUpperCase();
  if (!s.startsWith('S')) s = `SIG${s}`;
  return SIGNALS.has(s);
}

function isIPv4(a: string): boolean {
  const parts = a.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
function isIPv6(a: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(a)) return false;
  const dbl = a.split('::');
  if (dbl.length > 2) return false;
  const groups = (s: string): string[] => (s ? s.split(':') : []);
  const all = [...groups(dbl[0]), ...(dbl.length === 2 ? groups(dbl[1]) : [])];
  let count = 0;
  for (const g of all) {
    if (g.includes('.')) {
      if (!isIPv4(g)) return false;
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) count++;
    else return false;
  }
  return dbl.length === 2 ? count < 8 : count === 8;
}

/**
 * clang's error for a member whose struct or union type is declared nowhere, where bpftrace
 * passes it on: at the member's name in definitions.h (bpftrace's own #include is line 1), with
 * the note at the type's name.
 */
function incompleteTypes(cDefinitions: string, members: { type: string; field: string }[]): A.Diagnostic[] {
  const place = (offset: number): string => {
    const before = cDefinitions.slice(0, offset);
    const line = before.split('\n').length + 1;
    return `definitions.h:${line}:${offset - before.lastIndexOf('\n')}`;
  };
  const out: A.Diagnostic[] = [];
  for (const m of members) {
    const [kind, tag] = m.type.split(' ');
    const at = new RegExp(`\\b${kind}\\s+(${tag})\\s+(${m.field})\\b`).exec(cDefinitions);
    const typeAt = at ? at.index + at[0].indexOf(tag) : 0;
    const fieldAt = at ? at.index + at[0].lastIndexOf(m.field) : 0;
    out.push({ severity: 'ERROR', raw: true, message: `${place(fieldAt)}: error: field has incomplete type '${m.type}'` });
    out.push({ severity: 'ERROR', raw: true, message: `${place(typeAt)}: note: forward declaration of '${m.type}'` });
  }
  return out;
}

/** Kernel structs the probes name (bpftrace's FieldAnalyser): curtask's, and pointer casts'. */
function kernelTypesUsed(source: string): string[] {
  const code = source.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = [...code.matchAll(/\(\s*((?:struct|union)\s+[A-Za-z_]\w*)\s*\*+\s*\)/g)].map((m) => m[1].replace(/\s+/, ' '));
  if (/\bcurtask\b/.test(code)) names.push('struct task_struct');
  return names;
}

function dwarfOf(opts: CheckOptions, binary: string): DwarfTypes | undefined {
  try {
    return opts.dwarf?.(binary);
  } catch {
    return undefined; // unreadable DWARF is no DWARF, as libdw's dwfl_nextcu failing
  }
}

/** kfunc arguments from the BTF prototype of the traced function (`args->name`, `retval`). */
function kfuncArgs(structs: StructRegistry, btf: Btf | undefined, func: string, ret: boolean): Map<string, SizedType> {
  const out = new Map<string, SizedType>();
  if (!btf || !func || hasWildcard(func)) return out;
  const fn = btf.findAll(func).find((t) => t.kind === 'func');
  if (!fn || fn.kind !== 'func') return out;
  const proto = btf.type(fn.type);
  if (proto.kind !== 'func_proto') return out;
  for (const p of proto.params) out.set(p.name, structs.fromBtfType(p.type, 0));
  if (ret) out.set('$retval', structs.fromBtfType(proto.returnType, 0));
  return out;
}

/** Numbers the calls that send records to user space, per kind, in source order. */
function collectResources(program: A.ProgramNode): A.Resources {
  const r: A.Resources = { printf: [], system: [], cat: [], time: [], strftime: [], join: [], print: [], probeNames: [] };
  const visitExpr = (e: A.Expression | undefined): void => {
    if (!e) return;
    switch (e.kind) {
      case 'Call': {
        e.args?.forEach(visitExpr);
        const args = e.args ?? [];
        const fmt = args[0]?.kind === 'String' ? args[0].value : '';
        const argTypes = args.slice(1).map((a) => {
          const t = a.type ?? T.none();
          return !isAggregate(t) && t.type !== 'timestamp' ? withSize(t, 8) : t;
        });
        if (e.func === 'printf' || e.func === 'system' || e.func === 'cat') {
          e.resourceId = r[e.func].length;
          r[e.func].push({ call: e, format: fmt, args: argTypes });
        } else if (e.func === 'time') {
          e.resourceId = r.time.length;
          r.time.push({ call: e, format: args[0]?.kind === 'String' ? args[0].value : '%H:%M:%S\n' });
        } else if (e.func === 'strftime') {
          e.resourceId = r.strftime.length;
          r.strftime.push({ call: e, format: fmt });
        } else if (e.func === 'join') {
          e.resourceId = r.join.length;
          r.join.push({ call: e, delimiter: args[1]?.kind === 'String' ? args[1].value : ' ' });
        } else if (e.func === 'print' && args[0] && args[0].kind !== 'Map') {
          e.resourceId = r.print.length;
          r.print.push({ call: e, type: args[0].type ?? T.none() });
        }
        return;
      }
      case 'Map':
        e.keys?.forEach(visitExpr);
        return;
      case 'Binop':
        visitExpr(e.left);
        visitExpr(e.right);
        return;
      case 'Unop':
      case 'FieldAccess':
      case 'Cast':
        visitExpr(e.expr);
        return;
      case 'ArrayAccess':
        visitExpr(e.expr);
        visitExpr(e.index);
        return;
      case 'Ternary':
        visitExpr(e.cond);
        visitExpr(e.left);
        visitExpr(e.right);
        return;
      case 'Tuple':
        e.elems.forEach(visitExpr);
        return;
      default:
        return;
    }
  };
  const visitStmts = (list: A.Statement[]): void => {
    for (const s of list) {
      switch (s.kind) {
        case 'ExprStatement':
          visitExpr(s.expr);
          break;
        case 'AssignMap':
          visitExpr(s.map);
          visitExpr(s.expr);
          break;
        case 'AssignVar':
          visitExpr(s.expr);
          break;
        case 'If':
          visitExpr(s.cond);
          visitStmts(s.then);
          if (s.else) visitStmts(s.else);
          break;
        case 'Unroll':
          visitStmts(s.body);
          break;
        case 'While':
          visitExpr(s.cond);
          visitStmts(s.body);
          break;
        default:
          break;
      }
    }
  };
  for (const p of program.probes) {
    for (const ap of p.attachPoints) r.probeNames.push(attachPointName(ap));
    visitExpr(p.pred?.expr);
    visitStmts(p.stmts);
  }
  return r;
}

/** bpftrace's probe name for an attach point, e.g. 'tracepoint:syscalls:sys_enter_openat'. */
export function attachPointName(ap: A.AttachPointNode): string {
  switch (ap.provider) {
    case 'BEGIN':
    case 'END':
      return ap.provider;
    case 'kprobe':
    case 'kretprobe':
      return `${ap.provider}:${ap.func}${ap.funcOffset ? `+${ap.funcOffset}` : ''}`;
    case 'uprobe':
    case 'uretprobe':
      return `${ap.provider}:${ap.target}:${ap.func || `0x${ap.address.toString(16)}`}`;
    case 'usdt':
      return `${ap.provider}:${ap.target}:${ap.ns ? `${ap.ns}:` : ''}${ap.func}`;
    case 'profile':
    case 'interval':
    case 'software':
    case 'hardware':
      return `${ap.provider}:${ap.target}:${ap.freq}`;
    default:
      return `${ap.provider}:${ap.target ? `${ap.target}:` : ''}${ap.func}`;
  }
}

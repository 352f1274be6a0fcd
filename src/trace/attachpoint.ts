// Splits attach point text (`uprobe:/bin/bash:readline`, `t:syscalls:sys_enter_*`, `i:s:1`) into
// provider, target and function the way bpftrace 0.17's AttachPointParser does, with its messages.
import type * as A from './ast.js';
import { newAttachPoint } from './grammar.js';
import { parseIntLiteral } from './lexer.js';

export interface AttachPointOptions {
  /** Positional parameters ($1 is params[0]). */
  params?: string[];
  /** -p PID: uprobe/usdt targets may be omitted. */
  pid?: number;
  /** Path of the executable of `pid` as seen from our mount namespace. */
  pidExecutable?: string;
  /** Resolves `libc`-style uprobe targets to a path (bpftrace uses bcc_procutils_which_so). */
  resolveLibrary?: (name: string, pid?: number) => string | undefined;
  /** Kernel modules that define a function, for `kfunc:func` without a module. */
  functionModules?: (func: string) => string[];
  listing?: boolean;
}

/** bpftrace's PROBE_LIST: canonical name, alias. Order matters for wildcard expansion. */
export const PROBE_TYPES: [string, string][] = [
  ['kprobe', 'k'], ['kretprobe', 'kr'], ['uprobe', 'u'], ['uretprobe', 'ur'], ['usdt', 'U'], ['BEGIN', 'BEGIN'], ['END', 'END'], ['tracepoint', 't'], ['profile', 'p'], ['interval', 'i'],
  ['software', 's'], ['hardware', 'h'], ['watchpoint', 'w'], ['asyncwatchpoint', 'aw'], ['kfunc', 'f'], ['kretfunc', 'fr'], ['iter', 'it'],
];

/** Canonical provider name for a name or alias, or undefined. */
export function canonicalProvider(name: string): string | undefined {
  for (const [n, a] of PROBE_TYPES) if (name === n || name === a) return n;
  return undefined;
}

export function hasWildcard(s: string): boolean {
  return s.includes('*') || (s.includes('[') && s.includes(']'));
}

/** Shell-style glob match with `*`, `?` and `[...]` (fnmatch without flags). */
export function globMatch(pattern: string, text: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const j = pattern.indexOf(']', i + 2);
      if (j < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, j);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 's').test(text);
}

const USERSPACE = new Set(['uprobe', 'uretprobe', 'usdt']);

function probeTypesMatching(pattern: string, userspace: boolean): string[] {
  const list = PROBE_TYPES.map(([n]) => n).filter((n) => {
    if (n.includes('ret')) return false;
    if (userspace) return USERSPACE.has(n);
    // Kernel listing in bpftrace leaves out the timer, watchpoint and special types (and kfunc
    // when the kernel lacks it; it is kept here and reported later).
    return !USERSPACE.has(n) && !['interval', 'profile', 'watchpoint', 'asyncwatchpoint', 'BEGIN', 'END'].includes(n);
  });
  return [...new Set(list.filter((n) => globMatch(pattern, n)))].sort();
}

type State = 'ok' | 'invalid' | 'skip' | 'new';

/** Fills in every attach point of the program; returns bpftrace's errors if any. */
export function parseAttachPoints(program: A.ProgramNode, opts: AttachPointOptions): A.Diagnostic[] {
  const diags: A.Diagnostic[] = [];
  for (const probe of program.probes) {
    const aps = probe.attachPoints;
    for (let i = 0; i < aps.length; i++) {
      const ap = aps[i];
      const p = new ApParser(ap, opts);
      const s = p.parse();
      if (s === 'invalid') {
        diags.push({ severity: 'ERROR', message: p.errs.join(''), loc: ap.loc });
      } else if (s === 'skip' || s === 'new') {
        aps.splice(i, 1);
        i--;
        if (s === 'new') aps.push(...p.newAttachPoints);
      }
    }
    probe.attachPoints = aps.filter((ap) => ap.provider !== '');
    if (probe.attachPoints.length === 0) diags.push({ severity: 'ERROR', message: 'No attach points for probe', loc: probe.loc });
  }
  return diags;
}

class ApParser {
  parts: string[] = [];
  errs: string[] = [];
  newAttachPoints: A.AttachPointNode[] = [];
  constructor(
    private ap: A.AttachPointNode,
    private opts: AttachPointOptions,
  ) {}

  private err(msg: string): 'invalid' {
    this.errs.push(`${msg}\n`);
    return 'invalid';
  }

  private param(i: number): string {
    const params = this.opts.params ?? [];
    return i >= 1 && i <= params.length ? params[i - 1] : '';
  }

  private toUint(s: string): bigint | undefined {
    try {
      return parseUnsigned(s);
    } catch (e) {
      this.errs.push((e as Error).message);
      return undefined;
    }
  }

  parse(): State {
    const s = this.lex();
    if (s !== 'ok') return s;
    const parts = this.parts;
    if (parts.length === 0) return this.err('Invalid attachpoint definition');
    if (parts[0] === '') {
      // An empty attach point, e.g. after a trailing comma.
      this.ap.provider = '';
      return 'ok';
    }
    let types: string[];
    if (hasWildcard(parts[0])) {
      const query = parts.length === 1 ? '*' : parts[0];
      const user = (this.opts.pid ?? 0) > 0 || (parts.length >= 2 && parts[1].includes('/'));
      types = probeTypesMatching(query, user);
    } else types = [parts[0]];
    if (types.length === 0) return this.err(`No probe type matched for ${parts[0]}`);
    if (types.length > 1) {
      for (const t of types) {
        let raw = this.ap.raw;
        if (parts.length > 1) raw = raw.slice(raw.indexOf(':') + 1);
        this.newAttachPoints.push(newAttachPoint(`${t}:${raw}`, this.ap.loc, true));
      }
      return 'new';
    }
    const provider = canonicalProvider(types[0]);
    if (!provider) return this.err(`Invalid probe type: ${parts[0]}`);
    this.ap.provider = provider;
    switch (provider) {
      case 'BEGIN':
      case 'END':
        if (parts.length === 2 && parts[1] === '*') parts.pop();
        if (parts.length !== 1) return this.err(`${provider} probe type requires 0 arguments`);
        return 'ok';
      case 'kprobe':
        return this.kprobe(true);
      case 'kretprobe':
        return this.kprobe(false);
      case 'uprobe':
        return this.uprobe(true, true);
      case 'uretprobe':
        return this.uprobe(false, true);
      case 'usdt':
        return this.usdt();
      case 'tracepoint':
        return this.tracepoint();
      case 'profile':
      case 'interval':
        return this.timer();
      case 'software':
      case 'hardware':
        return this.perfEvent();
      case 'watchpoint':
        return this.watchpoint(false);
      case 'asyncwatchpoint':
        return this.watchpoint(true);
      case 'kfunc':
      case 'kretfunc':
        return this.kfunc();
      case 'iter':
        return this.iter();
    }
    return 'ok';
  }

  private lex(): State {
    const raw = this.ap.raw;
    let inQuotes = false;
    let arg = '';
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i];
      if (c === ':' && !inQuotes) {
        this.parts.push(arg);
        arg = '';
      } else if (c === '"') inQuotes = !inQuotes;
      else if (inQuotes && c === '\\' && i + 1 < raw.length) {
        arg += raw[i + 1];
        i++;
      } else if (!inQuotes && c === '$') {
        let j = i + 1;
        while (j < raw.length && raw[j] !== '"' && raw[j] !== ':') j++;
        const idx = raw.slice(i + 1, j);
        const m = /^[0-9]+/.exec(idx);
        const used = m ? m[0].length : 0;
        if (used !== idx.length) {
          this.errs.push(`Found trailing text '${idx.slice(used)}' in positional parameter index. Try quoting the trailing text.\n`);
          return 'invalid';
        }
        arg += this.param(Number(idx));
        i = j - 1;
      } else arg += c;
    }
    this.parts.push(arg);
    return 'ok';
  }

  private offsetPart(text: string, allowOffset: boolean): State | { func: string; offset?: bigint } {
    const plus = [...text].filter((c) => c === '+').length;
    if (!plus) return { func: text };
    if (!allowOffset) return this.err('Offset not allowed');
    if (plus !== 1) return this.err('Cannot take more than one offset');
    const pieces = text.split('+').filter((x) => x !== '');
    if (pieces.length !== 2) return this.err('Invalid offset');
    const off = this.toUint(pieces[1]);
    if (off === undefined) return 'invalid';
    return { func: pieces[0], offset: BigInt.asIntN(64, off) };
  }

  private kprobe(allowOffset: boolean): State {
    const { ap, parts } = this;
    if (parts.length !== 2) {
      if (ap.ignoreInvalid) return 'skip';
      return this.err(`${ap.provider} probe type requires 1 argument`);
    }
    const r = this.offsetPart(parts[1], allowOffset);
    if (typeof r === 'string') return r;
    ap.func = r.func;
    if (r.offset !== undefined) ap.funcOffset = r.offset;
    if (ap.func.includes('*')) ap.needExpansion = true;
    return 'ok';
  }

  private uprobe(allowOffset: boolean, allowAbsAddr: boolean): State {
    const { ap, parts } = this;
    if (parts.length === 2 && (this.opts.pid ?? 0) > 0) {
      parts.push(parts[1]);
      parts[1] = this.opts.pidExecutable ?? `/proc/${this.opts.pid}/exe`;
    }
    if (parts.length !== 3) {
      if (ap.ignoreInvalid) return 'skip';
      return this.err(`${ap.provider} probe type requires 2 arguments`);
    }
    ap.target = '';
    if (!hasWildcard(parts[1]) && parts[1].startsWith('lib')) ap.target = this.opts.resolveLibrary?.(parts[1].slice(3), this.opts.pid) ?? '';
    if (!ap.target) ap.target = parts[1];
    const plus = parts[2].includes('+');
    if (plus) {
      const r = this.offsetPart(parts[2], allowOffset);
      if (typeof r === 'string') return r;
      ap.func = r.func;
      if (r.offset !== undefined) ap.funcOffset = r.offset;
    } else if (allowAbsAddr) {
      let addr: bigint | undefined;
      try {
        addr = parseUnsigned(parts[2]);
      } catch {
        addr = undefined;
      }
      if (addr !== undefined) {
        if (hasWildcard(ap.target)) return this.err('Cannot use wildcards with absolute address');
        ap.address = addr;
      } else {
        ap.address = 0n;
        ap.func = parts[2];
      }
    } else ap.func = parts[2];
    if (ap.target.includes('*') || ap.func.includes('*')) ap.needExpansion = true;
    return 'ok';
  }

  private usdt(): State {
    const { ap, parts } = this;
    if ((this.opts.pid ?? 0) > 0 && parts.length === 2) {
      parts.push(parts[1]);
      parts[1] = '';
    }
    if (parts.length !== 3 && parts.length !== 4) {
      if (ap.ignoreInvalid) return 'skip';
      return this.err(`${ap.provider} probe type requires 2 or 3 arguments`);
    }
    if (parts.length === 3) {
      ap.target = parts[1];
      ap.func = parts[2];
    } else {
      ap.target = parts[1];
      ap.ns = parts[2];
      ap.func = parts[3];
    }
    if (ap.target.includes('*') || ap.ns.includes('*') || ap.ns === '' || ap.func.includes('*') || (this.opts.pid ?? 0) > 0) ap.needExpansion = true;
    return 'ok';
  }

  private tracepoint(): State {
    const { ap, parts } = this;
    if (parts.length === 2 && hasWildcard(parts[1])) parts.splice(1, 0, '*');
    if (parts.length !== 3) {
      if (ap.ignoreInvalid) return 'skip';
      return this.err(`${ap.provider} probe type requires 2 arguments`);
    }
    ap.target = parts[1];
    ap.func = parts[2];
    if (ap.target.includes('*') || ap.func.includes('*')) ap.needExpansion = true;
    return 'ok';
  }

  private timer(): State {
    const { ap, parts } = this;
    if (parts.length !== 3) return this.err(`${ap.provider} probe type requires 2 arguments`);
    ap.target = parts[1];
    const f = this.toUint(parts[2]);
    if (f === undefined) return 'invalid';
    ap.freq = Number(BigInt.asIntN(32, f));
    return 'ok';
  }

  private perfEvent(): State {
    const { ap, parts } = this;
    if (parts.length !== 2 && parts.length !== 3) {
      if (ap.ignoreInvalid) return 'skip';
      return this.err(`${ap.provider} probe type requires 1 or 2 arguments`);
    }
    ap.target = parts[1];
    if (parts.length === 3 && parts[2] !== '*') {
      const f = this.toUint(parts[2]);
      if (f === undefined) return 'invalid';
      ap.freq = Number(BigInt.asIntN(32, f));
    }
    return 'ok';
  }

  private watchpoint(async: boolean): State {
    const { ap, parts } = this;
    if (parts.length !== 4) return this.err(`${ap.provider} probe type requires 3 arguments`);
    if (!parts[1].includes('+')) {
      const a = this.toUint(parts[1]);
      if (a === undefined) return 'invalid';
      ap.address = a;
    } else {
      const fa = parts[1].split('+').filter((x) => x !== '');
      if (fa.length !== 2) return this.err('Invalid function/address argument');
      ap.func = fa[0];
      if (ap.func.includes('*')) ap.needExpansion = true;
      if (fa[1].length <= 3 || !fa[1].startsWith('arg')) return this.err('Invalid function argument');
      const a = this.toUint(fa[1].slice(3));
      if (a === undefined) return 'invalid';
      ap.address = a;
    }
    const len = this.toUint(parts[2]);
    if (len === undefined) return 'invalid';
    ap.len = Number(len);
    ap.mode = parts[3];
    void async;
    return 'ok';
  }

  private kfunc(): State {
    const { ap, parts } = this;
    if (parts.length !== 2 && parts.length !== 3) {
      if (ap.ignoreInvalid) return 'skip';
      return this.err(`${ap.provider} probe type requires 1 or 2 arguments`);
    }
    if (parts.length === 3) {
      ap.target = parts[1];
      ap.func = parts[2];
    } else {
      ap.func = parts[1];
      if (!ap.func.includes('*')) {
        const mods = this.opts.functionModules?.(ap.func) ?? [];
        if (mods.length === 1) ap.target = mods[0];
        else if (mods.length > 1) {
          if (this.opts.listing) ap.target = '*';
          else {
            this.errs.push(`ambiguous attach point, please specify module containing the function '${ap.func}'`);
            return 'invalid';
          }
        }
      } else ap.target = '*';
    }
    if (ap.func.includes('*') || ap.target.includes('*')) ap.needExpansion = true;
    return 'ok';
  }

  private iter(): State {
    const { ap, parts } = this;
    if (parts.length !== 2 && parts.length !== 3) {
      if (ap.ignoreInvalid) return 'skip';
      return this.err(`${ap.provider} probe type takes 2 arguments (1 optional)`);
    }
    if (parts[1].includes('*')) {
      if (this.opts.listing) ap.needExpansion = true;
      else {
        if (ap.ignoreInvalid) return 'skip';
        return this.err(`${ap.provider} probe type does not support wildcards`);
      }
    }
    ap.func = parts[1];
    if (parts.length === 3) ap.target = parts[2];
    return 'ok';
  }
}

/** bpftrace's int_parser::to_uint for attach point numbers (e.g. `profile:hz:99`, offsets). */
const parseUnsigned = parseIntLiteral;

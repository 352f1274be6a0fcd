// pcap_compile(): filter expression text → classic BPF program, with libpcap's semantics.
import { ParseError } from '../../sys/errors.js';
import type { CbpfInsn } from '../insn.js';
import type { Arth, Node } from './ast.js';
import { parseFilter } from './parser.js';
import { generate, GenError } from './gencode.js';
import { optimizeIcode, OptimizeError, type Icode } from './optimize.js';
import { icodeToInsns, EmitError } from './emit.js';
import { type NameResolver, fileResolver } from './names.js';
import { type LinkTypeName, linkTypeFromName } from './linktypes.js';

export interface CompileFilterOptions {
  /** Link-layer header type: a name (`EN10MB`, `RAW`, `LINUX_SLL`, ...) or a DLT/LINKTYPE number. Default EN10MB. */
  linktype?: LinkTypeName | string | number;
  /** Bytes to accept per matching packet (the accept return value). Default 262144, as tcpdump. */
  snaplen?: number;
  /** Run libpcap's optimizer (tcpdump does unless -O). Default true. */
  optimize?: boolean;
  /** IPv4 netmask for "ip broadcast"; default 0xffffffff = unknown (then "ip broadcast" is an error). */
  netmask?: number;
  /** Name lookups; default reads /etc/hosts, services, protocols, networks and ethers (never DNS). */
  names?: NameResolver;
  /** Use the Linux VLAN ancillary loads, as libpcap does on a live capture socket. */
  vlanExtensions?: boolean;
  /** File name for error messages. */
  file?: string;
}

let defaultNames: NameResolver | undefined;

/**
 * Compiles a pcap-filter(7) expression. Throws ParseError whose column points at the offending
 * token or primitive (syntax errors and semantic errors alike).
 */
export function compileFilter(expr: string, opts: CompileFilterOptions = {}): CbpfInsn[] {
  const linktype = linkTypeFromName(opts.linktype ?? 'EN10MB');
  if (linktype === undefined) {
    throw new ParseError(`unsupported link-layer type ${String(opts.linktype)}`, { file: opts.file, line: 1, column: 1 });
  }
  const snaplen = opts.snaplen ?? 262144;
  if (snaplen === 0) throw new ParseError('snaplen of 0 rejects all packets', { file: opts.file, line: 1, column: 1 });
  const { root } = withPosition(expr, opts.file, undefined, () => parseFilter(expr));
  let current: Node | Arth | undefined;
  const names = opts.names ?? (defaultNames ??= fileResolver());
  const gen = withPosition(expr, opts.file, () => current, () =>
    generate(root, {
      linktype, snaplen, netmask: opts.netmask ?? 0xffffffff, names, vlanExtensions: opts.vlanExtensions,
    }, (n) => {
      current = n;
    }));
  const ic: Icode = { root: gen.root, curMark: 0 };
  // Block marks start at 0, so begin from a fresh mark value.
  ic.curMark = 1;
  if ((opts.optimize ?? true) && !gen.noOptimize) {
    withPosition(expr, opts.file, () => root ?? undefined, () => optimizeIcode(ic));
    const r = ic.root;
    if (r.s.code === 0x06 && r.s.k === 0) {
      throw new ParseError('expression rejects all packets', { file: opts.file, line: 1, column: 1, length: Math.max(1, expr.length) }, expr);
    }
  }
  return withPosition(expr, opts.file, undefined, () => icodeToInsns(ic, ic.root));
}

function withPosition<T>(src: string, file: string | undefined, where: (() => { pos: number; len: number } | undefined) | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ParseError) {
      if (file && !e.file) throw new ParseError(e.reason, { file, line: e.line, column: e.column }, src);
      throw e;
    }
    if (e instanceof GenError || e instanceof OptimizeError || e instanceof EmitError) {
      const at = where?.() ?? { pos: 0, len: Math.max(1, src.length) };
      throw new ParseError(e.message, { file, line: 1, column: at.pos + 1, length: at.len }, src);
    }
    throw e;
  }
}

// Attaching by section name, as libbpf's auto-attach does: the SEC() string says where, and
// options supply what a section cannot (an interface, a cgroup, a socket, a sampling rate).
import { classifySection } from '../elf/section-table.js';
import { NotSupportedError } from '../sys/errors.js';
import { resolveUprobeTarget } from '../symbols/uprobe-target.js';
import { Program } from '../program.js';
import type { Link } from './link.js';
import { attachTracepoint } from './tracepoint.js';
import { attachRawTracepoint, attachTracing } from './raw-tracepoint.js';
import { attachKprobe } from './kprobe.js';
import { attachUprobe } from './uprobe.js';
import { attachUsdt } from './usdt.js';
import { attachPerfSampling, type PerfSamplingOptions } from './perf-event.js';
import { attachXdp, type XdpOptions } from './xdp.js';
import { attachTc } from './tc.js';
import { attachSocketFilter } from './socket-filter.js';
import { attachCgroup } from './cgroup.js';
import { attachSockmap, type MapRef } from './sockmap.js';
import { attachFlowDissector } from './flow-dissector.js';
import { attachIter } from './iter.js';
import type { SocketRef } from './socket-filter.js';

export interface AttachOptions {
  /** Section name to interpret; defaults to the one the program was loaded from. */
  section?: string;
  /** xdp, tc, tcx: the network interface (name or index). */
  interface?: string | number;
  xdpMode?: XdpOptions['mode'];
  /** cgroup programs: the cgroup directory (or an open fd). */
  cgroup?: string | number;
  /** socket filters and sk_reuseport: the socket. */
  socket?: SocketRef;
  /** sk_msg / sk_skb: the sockmap or sockhash. */
  map?: MapRef;
  /** perf_event programs: how to sample. */
  sampling?: PerfSamplingOptions;
  /** uprobe/usdt: only this process. */
  pid?: number;
  cookie?: bigint;
}

function need<T>(value: T | undefined, what: string, section: string): T {
  if (value === undefined) throw new TypeError(`attaching ${section} needs the '${what}' option`);
  return value;
}

/** Attaches `program` where its section name says. */
export function attach(program: Program, opts: AttachOptions = {}): Link {
  const section = opts.section ?? program.section;
  if (!section) throw new TypeError('the program has no section name: pass { section } or use an attach function from bpfkit/link');
  const info = classifySection(section);
  if (info.programType !== 'unspec' && info.programType !== program.type) {
    throw new TypeError(`section ${section} is for ${info.programType} programs; this is a ${program.type} program`);
  }
  const target = info.target ?? '';
  const handler = info.def?.attach;
  switch (handler) {
    case 'tp': {
      const [cat, name] = target.split(/[/:]/);
      return attachTracepoint(program, need(cat, 'tracepoint category', section), need(name, 'tracepoint name', section), { cookie: opts.cookie });
    }
    case 'raw_tp':
      return attachRawTracepoint(program, target, { cookie: opts.cookie });
    case 'trace':
    case 'lsm':
      return attachTracing(program, { cookie: opts.cookie });
    case 'kprobe':
    case 'ksyscall': {
      const m = /^([^+]+)(?:\+(\d+|0x[0-9a-f]+))?$/i.exec(target);
      const func = handler === 'ksyscall' ? `__x64_sys_${target}` : need(m?.[1], 'function', section);
      return attachKprobe(program, func, { retprobe: /^k(ret|retsyscall)/.test(info.name), offset: m?.[2] ? Number(m[2]) : 0, cookie: opts.cookie });
    }
    case 'uprobe': {
      const m = /^(.*):([^:]+)$/.exec(target);
      if (!m) throw new TypeError(`${section}: expected uprobe/PATH:FUNCTION[+OFFSET]`);
      const t = resolveUprobeTarget(m[1], m[2], { pid: opts.pid });
      return attachUprobe(program, t.path, t.offset, { retprobe: info.name.startsWith('uretprobe'), pid: opts.pid, cookie: opts.cookie });
    }
    case 'usdt': {
      const m = /^(.*):([^:]+):([^:]+)$/.exec(target);
      if (!m) throw new TypeError(`${section}: expected usdt/PATH:PROVIDER:NAME`);
      return attachUsdt(program, m[1], m[2], m[3], { pid: opts.pid });
    }
    case 'iter':
      return attachIter(program);
    case 'kprobe_multi':
    case 'kprobe_session':
    case 'uprobe_multi':
    case 'tracing_multi':
      throw new NotSupportedError(`auto-attach of ${section}`, 'use attachKprobeMulti / attachUprobeMulti from bpfkit/link with explicit targets');
    default:
      break;
  }
  switch (program.type) {
    case 'xdp':
      return attachXdp(program, { interface: need(opts.interface, 'interface', section), mode: opts.xdpMode });
    case 'sched_cls': {
      const direction = /egress/.test(section) ? 'egress' : /ingress/.test(section) ? 'ingress' : undefined;
      return attachTc(program, { interface: need(opts.interface, 'interface', section), direction: need(direction, 'direction (use tc/ingress or tc/egress)', section), via: section.startsWith('tc/') || section === 'classifier' ? undefined : 'tcx' });
    }
    case 'socket_filter':
      return attachSocketFilter(program, need(opts.socket, 'socket', section));
    case 'cgroup_skb': case 'cgroup_sock': case 'cgroup_sock_addr': case 'cgroup_device': case 'cgroup_sysctl': case 'cgroup_sockopt': case 'sock_ops':
      return attachCgroup(program, { cgroup: need(opts.cgroup, 'cgroup', section), attachType: program.expectedAttachType as never });
    case 'sk_msg': case 'sk_skb':
      return attachSockmap(program, need(opts.map, 'map', section), { attachType: program.expectedAttachType as never });
    case 'flow_dissector':
      return attachFlowDissector(program);
    case 'perf_event':
      return attachPerfSampling(program, need(opts.sampling, 'sampling', section));
    default:
      throw new NotSupportedError(`auto-attach of ${section}`, `no attach rule for ${program.type} programs; use an attach function from bpfkit/link`);
  }
}

Program.attacher = (program, options) => attach(program, options as AttachOptions);

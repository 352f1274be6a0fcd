// Netfilter hooks (6.4+): a program as a netfilter hook function at a priority, as a bpf link.
import * as bpf from '../sys/bpf.js';
import { attachTypes, nfInetHooks, nfProtos } from '../sys/generated/kernel.js';
import { BpfLink } from './link.js';
import type { Program } from '../program.js';

export type NetfilterFamily = 'ipv4' | 'ipv6' | number;
export type NetfilterHook = 'prerouting' | 'local_in' | 'forward' | 'local_out' | 'postrouting' | number;

export interface NetfilterOptions {
  family: NetfilterFamily;
  hook: NetfilterHook;
  /** Order among the hook's functions (lower runs first); the kernel refuses the extremes. */
  priority: number;
  /** BPF_F_NETFILTER_IP_DEFRAG (1) asks for defragmented packets. */
  flags?: number;
}

const hooks: Record<string, number> = {
  prerouting: nfInetHooks.PRE_ROUTING,
  local_in: nfInetHooks.LOCAL_IN,
  forward: nfInetHooks.FORWARD,
  local_out: nfInetHooks.LOCAL_OUT,
  postrouting: nfInetHooks.POST_ROUTING,
};

export function attachNetfilter(program: Program, opts: NetfilterOptions): BpfLink {
  const pf = typeof opts.family === 'number' ? opts.family : opts.family === 'ipv4' ? nfProtos.IPV4 : nfProtos.IPV6;
  const hooknum = typeof opts.hook === 'number' ? opts.hook : hooks[opts.hook];
  if (hooknum === undefined) throw new TypeError(`unknown netfilter hook '${String(opts.hook)}'; valid: ${Object.keys(hooks).join(', ')}`);
  const fd = bpf.linkCreate({ progFd: program.fd.raw, targetFd: 0, attachType: attachTypes.netfilter }, (a) => {
    a.set('netfilter.pf', pf).set('netfilter.hooknum', hooknum).set('netfilter.priority', opts.priority).set('netfilter.flags', opts.flags ?? 0);
  });
  return new BpfLink(fd, 'netfilter');
}

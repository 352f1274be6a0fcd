// TCX (6.6+): tc programs as bpf links on a device's ingress or egress, without a qdisc.
import * as bpf from '../sys/bpf.js';
import { attachTypes } from '../sys/generated/kernel.js';
import { ifindex as resolveIfindex } from '../sys/netlink.js';
import { BpfLink } from './link.js';
import type { Program } from '../program.js';

export type TcDirection = 'ingress' | 'egress';

export interface TcxOptions {
  /** Interface name or index, in the calling thread's network namespace. */
  interface: string | number;
  direction: TcDirection;
  /** Fail with ESTALE unless the device's TCX program list is at this revision (from progQuery). */
  expectedRevision?: bigint;
}

export function attachTcx(program: Program, opts: TcxOptions): BpfLink {
  const index = resolveIfindex(opts.interface);
  const attachType = opts.direction === 'ingress' ? attachTypes.tcx_ingress : attachTypes.tcx_egress;
  const fd = bpf.linkCreate({ progFd: program.fd.raw, targetFd: index, attachType }, (a) => {
    if (opts.expectedRevision !== undefined) a.set('tcx.expected_revision', opts.expectedRevision);
  });
  return new BpfLink(fd, 'tcx');
}

// Programs attached to a network namespace: flow_dissector (and sk_lookup, the same mechanism).
// A netns bpf link first (5.8+), else BPF_PROG_ATTACH in the namespace (flow_dissector only).
import { closeSync } from 'node:fs';
import * as bpf from '../sys/bpf.js';
import type { Fd } from '../sys/fd.js';
import { BpfError } from '../sys/errors.js';
import { attachTypes } from '../sys/generated/kernel.js';
import { inNetns, netnsInode, openNetns, currentNetnsPath } from '../sys/netns.js';
import { BpfLink, cannotPin, type Link, type LinkInfo } from './link.js';
import { holdProgram } from './held.js';
import type { Program } from '../program.js';

export interface NetnsAttachOptions {
  /** The namespace: a path (/run/netns/NAME, /proc/PID/ns/net) or descriptor; default the calling thread's. */
  netns?: string | number;
  /** 'link' or 'prog_attach' to force one mechanism; default: link, falling back to PROG_ATTACH. */
  via?: 'link' | 'prog_attach';
}

function openNs(ref: string | number | undefined): number {
  return openNetns(typeof ref === 'number' ? `/proc/self/fd/${ref}` : ref ?? currentNetnsPath);
}

export function attachFlowDissector(program: Program, opts: NetnsAttachOptions = {}): Link {
  return attachNetns(program, attachTypes.flow_dissector, opts);
}

/** sk_lookup programs pick the socket for a new connection or datagram in a namespace (links only). */
export function attachSkLookup(program: Program, opts: Omit<NetnsAttachOptions, 'via'> = {}): Link {
  return attachNetns(program, attachTypes.sk_lookup, { ...opts, via: 'link' });
}

function attachNetns(program: Program, attachType: number, opts: NetnsAttachOptions): Link {
  const ns = openNs(opts.netns);
  let handedOver = false;
  try {
    if (opts.via !== 'prog_attach') {
      try {
        return new BpfLink(bpf.linkCreate({ progFd: program.fd.raw, targetFd: ns, attachType }), 'netns');
      } catch (e) {
        if (!(e instanceof BpfError) || opts.via === 'link' || e.code !== 'EINVAL') throw e;
      }
    }
    const prog = holdProgram(program);
    try {
      netnsProgAttach(ns, prog.raw, attachType);
    } catch (e) {
      prog.close();
      throw e;
    }
    handedOver = true;
    return new NetnsProgAttachment(ns, prog, attachType);
  } finally {
    if (!handedOver) closeSync(ns);
  }
}

// PROG_ATTACH and PROG_DETACH act on the caller's namespace (target_fd must be 0), so the
// thread goes there for the call.
function netnsProgAttach(ns: number, progFd: number, attachType: number): void {
  inNetns(ns, () => bpf.progAttach({ targetFd: 0, attachBpfFd: progFd, attachType }));
}

export class NetnsProgAttachment implements Link {
  readonly kind = 'prog_attach';
  readonly attachType: number;
  #ns: number;
  #prog: Fd;

  constructor(ns: number, prog: Fd, attachType: number) {
    this.#ns = ns;
    this.#prog = prog;
    this.attachType = attachType;
  }

  /** A namespace holds one program per attach type: attaching another replaces ours. */
  update(program: Program): void {
    const next = holdProgram(program);
    try {
      netnsProgAttach(this.#ns, next.raw, this.attachType);
    } catch (e) {
      next.close();
      throw e;
    }
    this.#prog.close();
    this.#prog = next;
  }

  info(): LinkInfo {
    const progId = bpf.objGetInfoByFd('prog', this.#prog.raw).get('id');
    return { id: 0, type: this.kind, progId, details: { netns_ino: netnsInode(this.#ns), attach_type: this.attachType === attachTypes.flow_dissector ? 'flow_dissector' : 'sk_lookup' } };
  }

  pin(): void {
    cannotPin(this.kind);
  }

  close(): void {
    if (this.#prog.closed) return;
    try {
      inNetns(this.#ns, () => bpf.progDetach({ targetFd: 0, attachBpfFd: this.#prog.raw, attachType: this.attachType }));
    } catch (e) {
      if (!(e instanceof BpfError) || e.code !== 'ENOENT') throw e;
    } finally {
      this.#prog.close();
      closeSync(this.#ns);
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

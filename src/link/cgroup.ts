// cgroup programs (skb, sock, sock_addr, sock_ops, device, sysctl, sockopt): a cgroup bpf link
// first (5.7+); else BPF_PROG_ATTACH on the cgroup directory with the multi/override/none
// semantics, undone by BPF_PROG_DETACH on close.
import { closeSync, openSync } from 'node:fs';
import * as bpf from '../sys/bpf.js';
import type { Fd } from '../sys/fd.js';
import { BpfError } from '../sys/errors.js';
import { macros } from '../sys/generated/kernel.js';
import { attachTypeName, attachTypeNumber, type AttachTypeName } from '../sys/names.js';
import { BpfLink, cannotPin, type Link, type LinkInfo } from './link.js';
import { holdProgram } from './held.js';
import type { Program } from '../program.js';

/**
 * multi: several programs per cgroup and attach type, all run (BPF_F_ALLOW_MULTI);
 * override: one program, which a descendant cgroup may override (BPF_F_ALLOW_OVERRIDE);
 * none: one program, which descendants cannot override.
 */
export type CgroupAttachFlag = 'multi' | 'override' | 'none';

export interface CgroupOptions {
  /** The cgroup v2 directory (path or open descriptor). */
  cgroup: string | number;
  /** Default: the program's expected attach type, or the only attach type of its program type. */
  attachType?: AttachTypeName | number;
  /** 'link' or 'prog_attach' to force one mechanism; default: link, falling back to PROG_ATTACH. */
  via?: 'link' | 'prog_attach';
  /** PROG_ATTACH semantics; 'override' and 'none' imply PROG_ATTACH (links are always multi). Default 'multi'. */
  flags?: CgroupAttachFlag;
}

// Program types with a single cgroup attach type; the others need it spelled out.
const onlyAttachType: Record<string, AttachTypeName> = {
  cgroup_sock: 'cgroup_inet_sock_create',
  sock_ops: 'cgroup_sock_ops',
  cgroup_device: 'cgroup_device',
  cgroup_sysctl: 'cgroup_sysctl',
};

function attachTypeFor(program: Program, given?: AttachTypeName | number): number {
  if (given !== undefined) return attachTypeNumber(given);
  if (program.expectedAttachType) return attachTypeNumber(program.expectedAttachType as AttachTypeName);
  const only = onlyAttachType[program.type];
  if (only) return attachTypeNumber(only);
  throw new TypeError(`a ${program.type} program needs an attachType for a cgroup (e.g. cgroup_inet_ingress, cgroup_inet4_connect)`);
}

const flagBits: Record<CgroupAttachFlag, number> = {
  multi: Number(macros.BPF_F_ALLOW_MULTI),
  override: Number(macros.BPF_F_ALLOW_OVERRIDE),
  none: 0,
};

/** A descriptor of our own on the cgroup directory (given by path, or by a descriptor we reopen). */
function openCgroup(cgroup: string | number): number {
  const path = typeof cgroup === 'number' ? `/proc/self/fd/${cgroup}` : cgroup;
  try {
    return openSync(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new BpfError(`opening cgroup ${cgroup}`, typeof err.errno === 'number' ? -err.errno : 2, err.code === 'ENOENT' ? 'no such cgroup directory' : err.message);
  }
}

export function attachCgroup(program: Program, opts: CgroupOptions): Link {
  const attachType = attachTypeFor(program, opts.attachType);
  const flags = opts.flags ?? 'multi';
  if (opts.via === 'link' && flags !== 'multi') throw new TypeError(`cgroup links always have multi semantics; '${flags}' needs via: 'prog_attach'`);
  const cgroupFd = openCgroup(opts.cgroup);
  let handedOver = false;
  try {
    if (opts.via !== 'prog_attach' && flags === 'multi') {
      try {
        // The link holds the cgroup itself; our descriptor can go.
        return new BpfLink(bpf.linkCreate({ progFd: program.fd.raw, targetFd: cgroupFd, attachType }), 'cgroup');
      } catch (e) {
        // EINVAL: no cgroup links on this kernel.
        if (!(e instanceof BpfError) || opts.via === 'link' || e.code !== 'EINVAL') throw e;
      }
    }
    const attachment = CgroupProgAttachment.attach(program, cgroupFd, attachType, flags);
    handedOver = true;
    return attachment;
  } finally {
    if (!handedOver) closeSync(cgroupFd);
  }
}

export class CgroupProgAttachment implements Link {
  readonly kind = 'prog_attach';
  readonly attachType: number;
  readonly flags: CgroupAttachFlag;
  #cgroupFd: number;
  #prog: Fd;

  private constructor(cgroupFd: number, prog: Fd, attachType: number, flags: CgroupAttachFlag) {
    this.#cgroupFd = cgroupFd;
    this.#prog = prog;
    this.attachType = attachType;
    this.flags = flags;
  }

  /** On success `cgroupFd` becomes the attachment's (closed by close()). */
  static attach(program: Program, cgroupFd: number, attachType: number, flags: CgroupAttachFlag): CgroupProgAttachment {
    const prog = holdProgram(program);
    try {
      bpf.progAttach({ targetFd: cgroupFd, attachBpfFd: prog.raw, attachType, attachFlags: flagBits[flags] });
    } catch (e) {
      prog.close();
      throw e;
    }
    return new CgroupProgAttachment(cgroupFd, prog, attachType, flags);
  }

  /** Swaps the program: BPF_F_REPLACE of ours in multi mode; attaching again replaces it otherwise. */
  update(program: Program): void {
    const next = holdProgram(program);
    try {
      if (this.flags === 'multi') {
        bpf.progAttach({ targetFd: this.#cgroupFd, attachBpfFd: next.raw, attachType: this.attachType, attachFlags: flagBits.multi | Number(macros.BPF_F_REPLACE), replaceBpfFd: this.#prog.raw });
      } else {
        bpf.progAttach({ targetFd: this.#cgroupFd, attachBpfFd: next.raw, attachType: this.attachType, attachFlags: flagBits[this.flags] });
      }
    } catch (e) {
      next.close();
      throw e;
    }
    this.#prog.close();
    this.#prog = next;
  }

  info(): LinkInfo {
    const progId = bpf.objGetInfoByFd('prog', this.#prog.raw).get('id');
    return { id: 0, type: this.kind, progId, details: { attach_type: attachTypeName(this.attachType), attach_flags: this.flags } };
  }

  pin(): void {
    cannotPin(this.kind);
  }

  close(): void {
    if (this.#prog.closed) return;
    try {
      bpf.progDetach({ targetFd: this.#cgroupFd, attachBpfFd: this.#prog.raw, attachType: this.attachType });
    } catch (e) {
      // ENOENT: someone detached or replaced it already.
      if (!(e instanceof BpfError) || e.code !== 'ENOENT') throw e;
    } finally {
      this.#prog.close();
      closeSync(this.#cgroupFd);
      this.#cgroupFd = -1;
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

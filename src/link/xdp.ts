// XDP on a network interface: a bpf link when the kernel has XDP links (5.9+), else the
// netlink interface (IFLA_XDP). Both attach in the calling thread's network namespace.
import * as bpf from '../sys/bpf.js';
import type { Fd } from '../sys/fd.js';
import { BpfError, NotSupportedError } from '../sys/errors.js';
import { attachTypes } from '../sys/generated/kernel.js';
import { getInterface, ifindex as resolveIfindex, queryXdp, setXdp, xdpFlags } from '../sys/netlink.js';
import { BpfLink, cannotPin, type Link, type LinkInfo } from './link.js';
import { HeldNetns, holdProgram } from './held.js';
import type { Program } from '../program.js';

/** generic: in the stack (any device); native: in the driver; offload: on the NIC (needs a program loaded for it). */
export type XdpMode = 'generic' | 'native' | 'offload';

export interface XdpOptions {
  /** Interface name or index, in the calling thread's network namespace. */
  interface: string | number;
  /** Default: the kernel's choice (native where the driver supports it, else generic). */
  mode?: XdpMode;
  /** 'link' or 'netlink' to force one mechanism; default: link, falling back to netlink. */
  via?: 'link' | 'netlink';
  /** netlink only: replace a program already attached in that mode instead of failing with EBUSY. */
  replace?: boolean;
}

const modeFlags: Record<XdpMode, number> = {
  generic: xdpFlags.skb_mode,
  native: xdpFlags.drv_mode,
  offload: xdpFlags.hw_mode,
};

// Errors after which the netlink interface may still work: no XDP links on this kernel.
const fallbackCodes = new Set(['EINVAL', 'EOPNOTSUPP', 'ENOTSUPP', 'ENOTSUP']);

export function attachXdp(program: Program, opts: XdpOptions): Link {
  const index = resolveIfindex(opts.interface);
  const flags = opts.mode ? modeFlags[opts.mode] : 0;
  if (opts.via !== 'netlink') {
    try {
      return new BpfLink(bpf.linkCreate({ progFd: program.fd.raw, targetFd: index, attachType: attachTypes.xdp, flags }), 'xdp');
    } catch (e) {
      if (!(e instanceof BpfError) || opts.via === 'link' || !fallbackCodes.has(e.code)) throw explain(e, opts, index, program);
    }
  }
  return XdpNetlinkAttachment.attach(program, index, flags, opts);
}

function explain(e: unknown, opts: XdpOptions, index: number, program: Program): unknown {
  if (!(e instanceof BpfError)) return e;
  const where = `XDP ${opts.mode ?? 'default'} mode on ${typeof opts.interface === 'string' ? opts.interface : `ifindex ${index}`}`;
  if (opts.mode === 'offload' && e.code === 'EINVAL') {
    // The kernel answers EINVAL both for a program not loaded for the device and for a device without offload.
    if (!bpf.objGetInfoByFd('prog', program.fd.raw).get('ifindex')) return new BpfError(where, e.errno, 'offload needs a program loaded for the device (Program.load with ifindex)');
    return new NotSupportedError(where, e.message);
  }
  if (e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUPP' || e.code === 'ENOTSUP') return new NotSupportedError(where, e.message);
  if (e.code === 'EBUSY') return new BpfError(where, e.errno, 'another XDP program is attached in this mode (detach it, or attach through netlink with replace)');
  if (e.code === 'EEXIST') return new BpfError(where, e.errno, 'an XDP program is already attached in another mode');
  return e;
}

/** A program set on a device through netlink: close() clears it, only if it is still ours. */
export class XdpNetlinkAttachment implements Link {
  readonly kind = 'netlink_xdp';
  readonly ifindex: number;
  readonly #flags: number;
  readonly #netns: HeldNetns;
  #prog: Fd;

  private constructor(ifindex: number, flags: number, prog: Fd, netns: HeldNetns) {
    this.ifindex = ifindex;
    this.#flags = flags;
    this.#prog = prog;
    this.#netns = netns;
  }

  static attach(program: Program, index: number, flags: number, opts: XdpOptions): XdpNetlinkAttachment {
    const prog = holdProgram(program);
    const netns = new HeldNetns();
    try {
      setXdp(index, prog.raw, flags | (opts.replace ? 0 : xdpFlags.update_if_noexist));
    } catch (e) {
      prog.close();
      netns.close();
      throw explain(e, opts, index, program);
    }
    return new XdpNetlinkAttachment(index, flags, prog, netns);
  }

  /** Swaps the program atomically, provided ours is still the one attached (XDP_FLAGS_REPLACE). */
  update(program: Program): void {
    const next = holdProgram(program);
    try {
      this.#netns.run(() => setXdp(this.ifindex, next.raw, this.#flags, this.#prog.raw));
    } catch (e) {
      next.close();
      throw e;
    }
    this.#prog.close();
    this.#prog = next;
  }

  info(): LinkInfo {
    const x = this.#netns.run(() => queryXdp(this.ifindex));
    const name = this.#netns.run(() => getInterface(this.ifindex).name);
    return { id: 0, type: this.kind, progId: x.progId || x.drvProgId || x.skbProgId || x.hwProgId, details: { ifindex: this.ifindex, devname: name, attached: x.attached } };
  }

  pin(): void {
    cannotPin(this.kind);
  }

  close(): void {
    if (this.#prog.closed) return;
    try {
      // ENOENT/EEXIST: the interface is gone or someone else replaced our program; nothing of ours to clear.
      this.#netns.run(() => setXdp(this.ifindex, -1, this.#flags, this.#prog.raw));
    } catch (e) {
      if (!(e instanceof BpfError) || !['ENODEV', 'EEXIST', 'ENOENT'].includes(e.code)) throw e;
    } finally {
      this.#prog.close();
      this.#netns.close();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

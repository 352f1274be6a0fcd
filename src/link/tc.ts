// tc programs (sched_cls) on a device: TCX links first; on kernels without TCX (before 6.6), or
// when asked, the classic way: a clsact qdisc and a cls_bpf filter in direct-action mode, made
// over netlink. The classic attachment removes its filter on close, and the clsact qdisc only
// if bpfkit created it and no filter is left on it.
import type { Fd } from '../sys/fd.js';
import { BpfError } from '../sys/errors.js';
import { addBpfFilter, addClsact, delClsact, delFilter, getInterface, ifindex as resolveIfindex, listFilters, tcParent, type TcFilter } from '../sys/netlink.js';
import { netnsInode } from '../sys/netns.js';
import { cannotPin, type Link, type LinkInfo } from './link.js';
import { HeldNetns, holdProgram } from './held.js';
import { attachTcx, type TcDirection } from './tcx.js';
import type { Program } from '../program.js';

export type { TcDirection };

export interface TcOptions {
  /** Interface name or index, in the calling thread's network namespace. */
  interface: string | number;
  direction: TcDirection;
  /** 'tcx' or 'netlink' (clsact + cls_bpf) to force one mechanism; default: TCX, falling back to netlink. */
  via?: 'tcx' | 'netlink';
  /** cls_bpf only: filter priority and handle (0: the kernel picks). */
  priority?: number;
  handle?: number;
  /** cls_bpf only: the filter's name in `tc filter show` (default: the program's name). */
  name?: string;
}

export function attachTc(program: Program, opts: TcOptions): Link {
  if (opts.via !== 'netlink') {
    try {
      return attachTcx(program, opts);
    } catch (e) {
      // EINVAL: this kernel does not know the TCX attach types.
      if (!(e instanceof BpfError) || opts.via === 'tcx' || e.code !== 'EINVAL') throw e;
    }
  }
  return TcFilterAttachment.attach(program, opts);
}

// clsact qdiscs bpfkit created, by namespace and device, with the number of our filters on them.
const ourQdiscs = new Map<string, number>();

/** A cls_bpf filter in direct-action mode on the clsact qdisc. */
export class TcFilterAttachment implements Link {
  readonly kind = 'tc';
  readonly direction: TcDirection;
  #filter: TcFilter;
  #prog: Fd;
  readonly #netns: HeldNetns;
  readonly #qdiscKey?: string;
  #closed = false;

  private constructor(filter: TcFilter, direction: TcDirection, prog: Fd, netns: HeldNetns, qdiscKey?: string) {
    this.#filter = filter;
    this.direction = direction;
    this.#prog = prog;
    this.#netns = netns;
    this.#qdiscKey = qdiscKey;
  }

  static attach(program: Program, opts: TcOptions): TcFilterAttachment {
    const index = resolveIfindex(opts.interface);
    const key = `${netnsInode()}:${index}`;
    const created = addClsact(index);
    if (created) ourQdiscs.set(key, 0);
    const ours = ourQdiscs.has(key);
    const prog = holdProgram(program);
    try {
      const filter = addBpfFilter({
        ifindex: index, parent: tcParent[opts.direction], progFd: prog.raw,
        name: opts.name ?? (program.name || 'bpfkit'), priority: opts.priority, handle: opts.handle,
      });
      if (ours) ourQdiscs.set(key, ourQdiscs.get(key)! + 1);
      return new TcFilterAttachment(filter, opts.direction, prog, new HeldNetns(), ours ? key : undefined);
    } catch (e) {
      prog.close();
      if (created) {
        ourQdiscs.delete(key);
        try { delClsact(index); } catch { /* the first error is the one to report */ }
      }
      throw e;
    }
  }

  get ifindex(): number {
    return this.#filter.ifindex;
  }

  get handle(): number {
    return this.#filter.handle;
  }

  get priority(): number {
    return this.#filter.priority;
  }

  /** Replaces the program of this filter in place (NLM_F_REPLACE on the same handle and priority). */
  update(program: Program): void {
    const next = holdProgram(program);
    try {
      const f = this.#filter;
      this.#filter = this.#netns.run(() => addBpfFilter({
        ifindex: f.ifindex, parent: f.parent, progFd: next.raw, name: program.name || f.name,
        priority: f.priority, handle: f.handle, protocol: f.protocol, replace: true,
      }));
    } catch (e) {
      next.close();
      throw e;
    }
    this.#prog.close();
    this.#prog = next;
  }

  info(): LinkInfo {
    const f = this.#filter;
    const current = this.#netns.run(() => listFilters(f.ifindex, f.parent)).find((x) => x.handle === f.handle && x.priority === f.priority);
    const devname = this.#netns.run(() => getInterface(f.ifindex).name);
    return {
      id: 0, type: this.kind, progId: current?.progId ?? 0,
      details: { ifindex: f.ifindex, devname, kind: `clsact/${this.direction}`, handle: f.handle, prio: f.priority, name: current?.name ?? '', direct_action: current?.directAction ?? false },
    };
  }

  pin(): void {
    cannotPin(this.kind);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#netns.run(() => {
        try {
          delFilter(this.#filter);
        } catch (e) {
          // ENOENT/EINVAL: the filter, its qdisc or the device is already gone.
          if (!(e instanceof BpfError) || !['ENOENT', 'EINVAL', 'ENODEV'].includes(e.code)) throw e;
        }
        this.#releaseQdisc();
      });
    } finally {
      this.#prog.close();
      this.#netns.close();
    }
  }

  #releaseQdisc(): void {
    const key = this.#qdiscKey;
    if (!key || !ourQdiscs.has(key)) return;
    const left = ourQdiscs.get(key)! - 1;
    ourQdiscs.set(key, left);
    if (left > 0) return;
    ourQdiscs.delete(key);
    const index = this.#filter.ifindex;
    // Someone else's filters keep the qdisc alive: deleting it would take them along.
    try {
      if (listFilters(index, tcParent.ingress).length || listFilters(index, tcParent.egress).length) return;
      delClsact(index);
    } catch (e) {
      if (!(e instanceof BpfError) || !['ENOENT', 'EINVAL', 'ENODEV'].includes(e.code)) throw e;
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

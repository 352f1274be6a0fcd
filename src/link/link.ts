// The one small interface every attachment satisfies, and BpfLink: attachments the kernel
// represents as a bpf_link (an fd that can be pinned, updated and inspected).
import * as bpf from '../sys/bpf.js';
import { Fd } from '../sys/fd.js';
import { NotSupportedError } from '../sys/errors.js';
import { attachTypeName, linkTypeName } from '../sys/names.js';
import type { Program } from '../program.js';

export interface LinkInfo {
  id: number;
  type: string;
  progId: number;
  /** Type-specific details with bpftool's field names where it has them (ifindex, attach_type, tp_name, …). */
  details: Record<string, string | number | bigint | boolean>;
}

/** An attached program. close() detaches (for pinned bpf links, the pin keeps it attached). */
export interface Link extends Disposable {
  /** The kind of attachment: a kernel link type ('xdp', 'tcx', 'perf_event', …) or a legacy mechanism ('netlink_xdp', 'tc', 'socket_filter', 'prog_attach', …). */
  readonly kind: string;
  close(): void;
  /** Detaches without blocking the event loop; links closed together detach in parallel. */
  closeAsync?(): Promise<void>;
  pin(path: string): void;
  info(): LinkInfo;
  /** Swaps in another program atomically where the kernel allows it. */
  update(program: Program): void;
}

/** A kernel bpf_link held by its fd. */
export class BpfLink implements Link {
  readonly fd: Fd;
  readonly kind: string;
  /** Extra descriptors the link depends on (e.g. the perf event under a perf_event link). */
  readonly #owned: Fd[];

  constructor(fd: Fd, kind?: string, owned: Fd[] = []) {
    this.fd = fd;
    this.#owned = owned;
    this.kind = kind ?? readInfo(fd.raw).type;
  }

  static fromPinned(path: string): BpfLink {
    return new BpfLink(bpf.objGet(path));
  }

  static fromId(id: number): BpfLink {
    return new BpfLink(bpf.getFdById('link', id));
  }

  info(): LinkInfo {
    return readInfo(this.fd.raw);
  }

  pin(path: string): void {
    bpf.objPin(this.fd.raw, path);
  }

  update(program: Program): void {
    bpf.linkUpdate(this.fd.raw, program.fd.raw);
  }

  /** Detaches the program even while other holders (pins, other fds) keep the link object alive. */
  detach(): void {
    bpf.linkDetach(this.fd.raw);
  }

  close(): void {
    this.fd.close();
    for (const fd of this.#owned) fd.close();
  }

  async closeAsync(): Promise<void> {
    await this.fd.closeAsync();
    await Promise.all(this.#owned.map((fd) => fd.closeAsync()));
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Reads BPF_OBJ_GET_INFO_BY_FD for a link, including the names behind pointer fields. */
export function readInfo(fd: number): LinkInfo {
  const name = Buffer.alloc(4096);
  const first = bpf.objGetInfoByFd('link', fd);
  const type = linkTypeName(first.get('type'));
  // Second call with buffers for the string fields of the link types that have them.
  const i = bpf.objGetInfoByFd('link', fd, (a) => {
    if (type === 'raw_tracepoint') a.ptr('raw_tracepoint.tp_name', name).set('raw_tracepoint.tp_name_len', name.length);
    if (type === 'iter') a.ptr('iter.target_name', name).set('iter.target_name_len', name.length);
  });
  const str = () => name.subarray(0, Math.max(0, name.indexOf(0))).toString();
  const details: LinkInfo['details'] = {};
  switch (type) {
    case 'raw_tracepoint': details.tp_name = str(); break;
    case 'tracing':
      details.attach_type = attachTypeName(i.get('tracing.attach_type'));
      details.target_obj_id = i.get('tracing.target_obj_id');
      details.target_btf_id = i.get('tracing.target_btf_id');
      break;
    case 'cgroup':
      details.cgroup_id = i.getBig('cgroup.cgroup_id');
      details.attach_type = attachTypeName(i.get('cgroup.attach_type'));
      break;
    case 'iter': details.target_name = str(); break;
    case 'netns':
      details.netns_ino = i.get('netns.netns_ino');
      details.attach_type = attachTypeName(i.get('netns.attach_type'));
      break;
    case 'xdp': details.ifindex = i.get('xdp.ifindex'); break;
    case 'tcx':
      details.ifindex = i.get('tcx.ifindex');
      details.attach_type = attachTypeName(i.get('tcx.attach_type'));
      break;
    case 'netfilter':
      details.pf = i.get('netfilter.pf');
      details.hooknum = i.get('netfilter.hooknum');
      details.prio = i.get('netfilter.priority');
      details.flags = i.get('netfilter.flags');
      break;
    case 'perf_event': details.event_type = i.get('perf_event.type'); break;
    case 'struct_ops': details.map_id = i.get('struct_ops.map_id'); break;
    default: break;
  }
  return { id: i.get('id'), type, progId: i.get('prog_id'), details };
}

/** Links that are not kernel objects cannot be pinned. */
export function cannotPin(kind: string): never {
  throw new NotSupportedError(`pinning a ${kind} attachment`, 'only bpf links (BPF_LINK_CREATE) can be pinned; this attachment is not one');
}

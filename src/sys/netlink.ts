// rtnetlink over AF_NETLINK: the requests bpfkit needs for attachments that are not bpf links
// (XDP on a device, the clsact qdisc, cls_bpf filters) and for naming interfaces. Requests are
// answered while sendto() runs, so a blocking read returns at once. The kernel's extended ack
// message (NLMSGERR_ATTR_MSG, "Exclusivity flag on, cannot modify.") is put into the BpfError.
import { readFileSync } from 'node:fs';
import { BpfError } from './errors.js';
import { Fd } from './fd.js';
import { ifla, iflaXdp, macros, nlmsgerrAttrs, rtmTypes, structLayouts, tcaAttrs, tcaBpf, xdpAttached } from './generated/kernel.js';
import { AF_NETLINK, SOCK_RAW, bind, recvfrom, sendto, setsockoptInt, socket, sockaddrNl } from './socket.js';

const m = (name: keyof typeof macros): number => Number(macros[name]);

const NLM_F_REQUEST = m('NLM_F_REQUEST');
const NLM_F_ACK = m('NLM_F_ACK');
const NLM_F_DUMP = m('NLM_F_DUMP');
const NLM_F_ECHO = m('NLM_F_ECHO');
const NLM_F_CREATE = m('NLM_F_CREATE');
const NLM_F_EXCL = m('NLM_F_EXCL');
const NLM_F_REPLACE = m('NLM_F_REPLACE');
const NLM_F_CAPPED = m('NLM_F_CAPPED');
const NLM_F_ACK_TLVS = m('NLM_F_ACK_TLVS');
const NLMSG_ERROR = m('NLMSG_ERROR');
const NLMSG_DONE = m('NLMSG_DONE');
const NLA_F_NESTED = m('NLA_F_NESTED');
const NLA_TYPE_MASK = ~(NLA_F_NESTED | 0x4000 /* NLA_F_NET_BYTEORDER */) & 0xffff;
const SOL_NETLINK = m('SOL_NETLINK');

const NLMSG_HDRLEN = structLayouts.nlmsghdr.size;
const IFINFOMSG = structLayouts.ifinfomsg;
const TCMSG = structLayouts.tcmsg;
const align4 = (n: number) => (n + 3) & ~3;

// ---- attributes ----

/** One netlink attribute: header, payload, padding to 4 bytes. */
export function nla(type: number, payload: Uint8Array): Buffer {
  const len = 4 + payload.length;
  const b = Buffer.alloc(align4(len));
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  b.set(payload, 4);
  return b;
}

export const nlaU8 = (type: number, v: number) => nla(type, Buffer.from([v & 0xff]));
export function nlaU32(type: number, v: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32LE(v >>> 0);
  return nla(type, p);
}
export function nlaS32(type: number, v: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeInt32LE(v);
  return nla(type, p);
}
export const nlaString = (type: number, s: string) => nla(type, Buffer.from(`${s}\0`));
export const nlaNested = (type: number, children: Buffer[]) => nla(type | NLA_F_NESTED, Buffer.concat(children));

/** Attributes of a message tail by type (flags masked off); a repeated type keeps the last one. */
export function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.set(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

const cstr = (b: Buffer | undefined): string | undefined => {
  if (!b) return undefined;
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString();
};

// ---- socket ----

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  /** The message after its nlmsghdr. */
  body: Buffer;
}

let nextSeq = (Date.now() & 0x7fffffff) >>> 0;

/** One NETLINK_ROUTE socket, with extended acks on and acks capped to the request header. */
export class RtNetlink implements Disposable {
  readonly fd: Fd;
  #buf = Buffer.alloc(64 * 1024);

  constructor() {
    this.fd = socket(AF_NETLINK, SOCK_RAW, m('NETLINK_ROUTE'));
    try {
      // Both are best effort: kernels before 4.12 have no extended acks and still work.
      try { setsockoptInt(this.fd.raw, SOL_NETLINK, m('NETLINK_EXT_ACK'), 1); } catch { /* older kernel */ }
      try { setsockoptInt(this.fd.raw, SOL_NETLINK, m('NETLINK_CAP_ACK'), 1); } catch { /* older kernel */ }
      bind(this.fd.raw, sockaddrNl());
    } catch (e) {
      this.fd.close();
      throw e;
    }
  }

  /**
   * Sends one request and returns the messages answering it: for a dump everything up to
   * NLMSG_DONE, otherwise whatever came before the ack (echoes). A negative ack throws a
   * BpfError named after `operation`, carrying the kernel's extended message when it sent one.
   */
  request(operation: string, type: number, flags: number, body: Buffer): NlMessage[] {
    const seq = (nextSeq = (nextSeq + 1) >>> 0);
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    const msg = Buffer.alloc(NLMSG_HDRLEN + body.length);
    msg.writeUInt32LE(msg.length, 0);
    msg.writeUInt16LE(type, 4);
    msg.writeUInt16LE(flags | NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK), 6);
    msg.writeUInt32LE(seq, 8);
    body.copy(msg, NLMSG_HDRLEN);
    sendto(this.fd.raw, msg, 0, sockaddrNl());
    const out: NlMessage[] = [];
    for (;;) {
      const n = recvfrom(this.fd.raw, this.#buf) ?? 0;
      let off = 0;
      while (off + NLMSG_HDRLEN <= n) {
        const len = this.#buf.readUInt32LE(off);
        if (len < NLMSG_HDRLEN || off + len > n) break;
        const reply: NlMessage = {
          type: this.#buf.readUInt16LE(off + 4),
          flags: this.#buf.readUInt16LE(off + 6),
          seq: this.#buf.readUInt32LE(off + 8),
          body: Buffer.from(this.#buf.subarray(off + NLMSG_HDRLEN, off + len)),
        };
        off += align4(len);
        if (reply.seq !== seq) continue; // a stray answer to an earlier request
        if (reply.type === NLMSG_ERROR) {
          const error = reply.body.readInt32LE(0);
          if (error === 0) return out;
          throw new BpfError(operation, -error, extackMessage(reply));
        }
        if (reply.type === NLMSG_DONE) {
          const error = reply.body.length >= 4 ? reply.body.readInt32LE(0) : 0;
          if (error < 0) throw new BpfError(operation, -error, extackMessage(reply, 4));
          return out;
        }
        out.push(reply);
      }
    }
  }

  close(): void {
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The kernel's explanation in an error ack (NLMSGERR_ATTR_MSG), if it gave one. */
function extackMessage(msg: NlMessage, tlvOffset?: number): string | undefined {
  if (!(msg.flags & NLM_F_ACK_TLVS)) return undefined;
  let off = tlvOffset;
  if (off === undefined) {
    // struct nlmsgerr, then the rest of the request unless the ack was capped to its header.
    off = structLayouts.nlmsgerr.size;
    if (!(msg.flags & NLM_F_CAPPED)) off += align4(msg.body.readUInt32LE(structLayouts.nlmsgerr.fields['msg.nlmsg_len'].off) - NLMSG_HDRLEN);
  }
  const text = cstr(parseAttrs(msg.body.subarray(off)).get(nlmsgerrAttrs.MSG));
  return text ? `kernel says: ${text.replace(/\.$/, '')}` : undefined;
}

function withSocket<T>(fn: (nl: RtNetlink) => T): T {
  const nl = new RtNetlink();
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}

// ---- links (network interfaces) ----

export type XdpAttachMode = 'none' | 'drv' | 'skb' | 'hw' | 'multi';

export interface XdpState {
  /** How programs are attached: in the driver, generic (skb), offloaded, or several at once. */
  attached: XdpAttachMode;
  /** The program when one mode is in use. */
  progId: number;
  skbProgId: number;
  drvProgId: number;
  hwProgId: number;
}

export interface NetInterface {
  index: number;
  name: string;
  flags: number;
  mtu: number;
  /** ifi_type: the device's ARPHRD_* hardware type (1 Ethernet, 772 loopback, 65534 none). */
  type: number;
  xdp: XdpState;
}

function ifinfomsg(index: number): Buffer {
  const b = Buffer.alloc(IFINFOMSG.size);
  b.writeInt32LE(index, IFINFOMSG.fields.ifi_index.off);
  return b;
}

const attachedNames = new Map<number, XdpAttachMode>(Object.entries(xdpAttached).map(([k, v]) => [v, k.toLowerCase() as XdpAttachMode]));

function parseLink(msg: NlMessage): NetInterface {
  const attrs = parseAttrs(msg.body.subarray(align4(IFINFOMSG.size)));
  const xdp = parseAttrs(attrs.get(ifla.XDP) ?? Buffer.alloc(0));
  const u32 = (b: Buffer | undefined) => (b && b.length >= 4 ? b.readUInt32LE(0) : 0);
  return {
    index: msg.body.readInt32LE(IFINFOMSG.fields.ifi_index.off),
    name: cstr(attrs.get(ifla.IFNAME)) ?? '',
    flags: msg.body.readUInt32LE(IFINFOMSG.fields.ifi_flags.off),
    mtu: u32(attrs.get(ifla.MTU)),
    type: msg.body.readUInt16LE(IFINFOMSG.fields.ifi_type.off),
    xdp: {
      attached: attachedNames.get(xdp.get(iflaXdp.ATTACHED)?.[0] ?? 0) ?? 'none',
      progId: u32(xdp.get(iflaXdp.PROG_ID)),
      skbProgId: u32(xdp.get(iflaXdp.SKB_PROG_ID)),
      drvProgId: u32(xdp.get(iflaXdp.DRV_PROG_ID)),
      hwProgId: u32(xdp.get(iflaXdp.HW_PROG_ID)),
    },
  };
}

/** An interface of the calling thread's network namespace, by name or index (RTM_GETLINK). */
export function getInterface(nameOrIndex: string | number): NetInterface {
  const byName = typeof nameOrIndex === 'string';
  const body = Buffer.concat([ifinfomsg(byName ? 0 : nameOrIndex), ...(byName ? [nlaString(ifla.IFNAME, nameOrIndex)] : [])]);
  try {
    const replies = withSocket((nl) => nl.request(`RTM_GETLINK ${nameOrIndex}`, rtmTypes.GETLINK, 0, body));
    const link = replies.find((r) => r.type === rtmTypes.NEWLINK);
    if (!link) throw new BpfError(`RTM_GETLINK ${nameOrIndex}`, 19, 'no answer for this interface');
    return parseLink(link);
  } catch (e) {
    if (e instanceof BpfError && e.code === 'ENODEV') throw new BpfError(`network interface ${nameOrIndex}`, 19, 'no such interface in this network namespace');
    throw e;
  }
}

/** Every interface of the calling thread's network namespace. */
export function listInterfaces(): NetInterface[] {
  return withSocket((nl) => nl.request('RTM_GETLINK dump', rtmTypes.GETLINK, NLM_F_DUMP, ifinfomsg(0)))
    .filter((r) => r.type === rtmTypes.NEWLINK).map(parseLink);
}

/** The index of an interface given by name (a number is returned as is). */
export function ifindex(nameOrIndex: string | number): number {
  if (typeof nameOrIndex === 'number') return nameOrIndex;
  if (/^\d+$/.test(nameOrIndex)) return Number(nameOrIndex);
  return getInterface(nameOrIndex).index;
}

/**
 * /sys/class/net/NAME/ifindex: no socket needed, but sysfs shows the namespace it was mounted
 * in, not necessarily the calling thread's; netlink (`ifindex`) is the authority.
 */
export function ifindexFromSysfs(name: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

// ---- XDP on a device (the pre-link interface, IFLA_XDP) ----

export const xdpFlags = {
  update_if_noexist: m('XDP_FLAGS_UPDATE_IF_NOEXIST'),
  skb_mode: m('XDP_FLAGS_SKB_MODE'),
  drv_mode: m('XDP_FLAGS_DRV_MODE'),
  hw_mode: m('XDP_FLAGS_HW_MODE'),
  replace: m('XDP_FLAGS_REPLACE'),
} as const;

/**
 * Sets (progFd ≥ 0) or clears (progFd = -1) the XDP program of an interface. With
 * `expectedFd`, the kernel changes it only if that program is the one attached (XDP_FLAGS_REPLACE).
 */
export function setXdp(index: number, progFd: number, flags = 0, expectedFd?: number): void {
  const xdp = [nlaS32(iflaXdp.FD, progFd)];
  if (expectedFd !== undefined) {
    flags |= xdpFlags.replace;
    xdp.push(nlaS32(iflaXdp.EXPECTED_FD, expectedFd));
  }
  if (flags) xdp.push(nlaU32(iflaXdp.FLAGS, flags));
  const body = Buffer.concat([ifinfomsg(index), nlaNested(ifla.XDP, xdp)]);
  const what = progFd < 0 ? 'clearing XDP' : 'setting XDP';
  withSocket((nl) => nl.request(`RTM_SETLINK (${what} on ifindex ${index})`, rtmTypes.SETLINK, 0, body));
}

export function queryXdp(index: number): XdpState {
  return getInterface(index).xdp;
}

// ---- tc: the clsact qdisc and cls_bpf filters ----

const TC_H_MAJ_MASK = m('TC_H_MAJ_MASK');
const TC_H_CLSACT = m('TC_H_CLSACT');
const tcHandle = (maj: number, min: number) => (((maj & TC_H_MAJ_MASK) | (min & m('TC_H_MIN_MASK'))) >>> 0);

/** Parents of filters on the clsact qdisc's two hooks. */
export const tcParent = {
  ingress: tcHandle(TC_H_CLSACT, m('TC_H_MIN_INGRESS')),
  egress: tcHandle(TC_H_CLSACT, m('TC_H_MIN_EGRESS')),
} as const;
export type TcDirection = keyof typeof tcParent;

const htons = (v: number) => ((v & 0xff) << 8) | ((v >> 8) & 0xff);

function tcmsg(ifindex: number, parent: number, handle = 0, info = 0): Buffer {
  const b = Buffer.alloc(TCMSG.size);
  b.writeInt32LE(ifindex, TCMSG.fields.tcm_ifindex.off);
  b.writeUInt32LE(handle >>> 0, TCMSG.fields.tcm_handle.off);
  b.writeUInt32LE(parent >>> 0, TCMSG.fields.tcm_parent.off);
  b.writeUInt32LE(info >>> 0, TCMSG.fields.tcm_info.off);
  return b;
}

export interface Qdisc {
  ifindex: number;
  kind: string;
  handle: number;
  parent: number;
}

export function listQdiscs(ifindex: number): Qdisc[] {
  return withSocket((nl) => nl.request('RTM_GETQDISC dump', rtmTypes.GETQDISC, NLM_F_DUMP, tcmsg(ifindex, 0)))
    .filter((r) => r.type === rtmTypes.NEWQDISC)
    .map((r) => ({
      ifindex: r.body.readInt32LE(TCMSG.fields.tcm_ifindex.off),
      handle: r.body.readUInt32LE(TCMSG.fields.tcm_handle.off),
      parent: r.body.readUInt32LE(TCMSG.fields.tcm_parent.off),
      kind: cstr(parseAttrs(r.body.subarray(align4(TCMSG.size))).get(tcaAttrs.KIND)) ?? '',
    }))
    .filter((q) => q.ifindex === ifindex);
}

export function hasClsact(ifindex: number): boolean {
  return listQdiscs(ifindex).some((q) => q.kind === 'clsact');
}

/** Adds the clsact qdisc; returns false when the interface already has one (someone else's). */
export function addClsact(ifindex: number): boolean {
  const body = Buffer.concat([tcmsg(ifindex, TC_H_CLSACT, tcHandle(TC_H_CLSACT, 0)), nlaString(tcaAttrs.KIND, 'clsact')]);
  try {
    withSocket((nl) => nl.request(`RTM_NEWQDISC clsact on ifindex ${ifindex}`, rtmTypes.NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, body));
    return true;
  } catch (e) {
    if (e instanceof BpfError && e.code === 'EEXIST' && hasClsact(ifindex)) return false;
    throw e;
  }
}

export function delClsact(ifindex: number): void {
  const body = Buffer.concat([tcmsg(ifindex, TC_H_CLSACT, tcHandle(TC_H_CLSACT, 0)), nlaString(tcaAttrs.KIND, 'clsact')]);
  withSocket((nl) => nl.request(`RTM_DELQDISC clsact on ifindex ${ifindex}`, rtmTypes.DELQDISC, 0, body));
}

export interface TcFilter {
  ifindex: number;
  parent: number;
  handle: number;
  priority: number;
  /** Ethernet protocol the filter matches (ETH_P_ALL = 3 for every packet). */
  protocol: number;
  kind: string;
  /** For cls_bpf filters: */
  progId?: number;
  name?: string;
  directAction?: boolean;
  tag?: string;
}

function parseFilter(r: NlMessage): TcFilter {
  const info = r.body.readUInt32LE(TCMSG.fields.tcm_info.off);
  const attrs = parseAttrs(r.body.subarray(align4(TCMSG.size)));
  const f: TcFilter = {
    ifindex: r.body.readInt32LE(TCMSG.fields.tcm_ifindex.off),
    parent: r.body.readUInt32LE(TCMSG.fields.tcm_parent.off),
    handle: r.body.readUInt32LE(TCMSG.fields.tcm_handle.off),
    priority: info >>> 16,
    protocol: htons(info & 0xffff),
    kind: cstr(attrs.get(tcaAttrs.KIND)) ?? '',
  };
  if (f.kind === 'bpf') {
    const o = parseAttrs(attrs.get(tcaAttrs.OPTIONS) ?? Buffer.alloc(0));
    const id = o.get(tcaBpf.ID);
    if (id) f.progId = id.readUInt32LE(0);
    f.name = cstr(o.get(tcaBpf.NAME));
    const flags = o.get(tcaBpf.FLAGS);
    f.directAction = flags ? (flags.readUInt32LE(0) & m('TCA_BPF_FLAG_ACT_DIRECT')) !== 0 : false;
    const tag = o.get(tcaBpf.TAG);
    if (tag) f.tag = tag.toString('hex');
  }
  return f;
}

export interface BpfFilterSpec {
  ifindex: number;
  parent: number;
  progFd: number;
  /** Shown by `tc filter show` (TCA_BPF_NAME). */
  name?: string;
  /** 0: the kernel picks one. */
  handle?: number;
  /** 0: the kernel picks one (below the lowest in use). */
  priority?: number;
  protocol?: number;
  /** The program's return value is the verdict (TC_ACT_*), no separate action: default true. */
  directAction?: boolean;
  /** Swap the program of an existing filter (same handle and priority) instead of adding one. */
  replace?: boolean;
}

/** Adds (or replaces) a cls_bpf filter and returns it as the kernel echoed it back, with its handle and priority. */
export function addBpfFilter(s: BpfFilterSpec): TcFilter {
  const protocol = s.protocol ?? m('ETH_P_ALL');
  const options = [nlaU32(tcaBpf.FD, s.progFd), nlaString(tcaBpf.NAME, s.name ?? 'bpfkit')];
  if (s.directAction ?? true) options.push(nlaU32(tcaBpf.FLAGS, m('TCA_BPF_FLAG_ACT_DIRECT')));
  const body = Buffer.concat([
    tcmsg(s.ifindex, s.parent, s.handle ?? 0, (((s.priority ?? 0) & 0xffff) << 16) | htons(protocol)),
    nlaString(tcaAttrs.KIND, 'bpf'),
    nlaNested(tcaAttrs.OPTIONS, options),
  ]);
  const flags = NLM_F_ECHO | NLM_F_CREATE | (s.replace ? NLM_F_REPLACE : NLM_F_EXCL);
  const replies = withSocket((nl) => nl.request(`RTM_NEWTFILTER bpf on ifindex ${s.ifindex}`, rtmTypes.NEWTFILTER, flags, body));
  const echoed = replies.find((r) => r.type === rtmTypes.NEWTFILTER);
  if (echoed) return parseFilter(echoed);
  // No echo (very old kernels): the request had better have named handle and priority.
  return { ifindex: s.ifindex, parent: s.parent, handle: s.handle ?? 0, priority: s.priority ?? 0, protocol, kind: 'bpf' };
}

export function delFilter(f: Pick<TcFilter, 'ifindex' | 'parent' | 'handle' | 'priority' | 'protocol'> & { kind?: string }): void {
  const body = Buffer.concat([tcmsg(f.ifindex, f.parent, f.handle, ((f.priority & 0xffff) << 16) | htons(f.protocol)), nlaString(tcaAttrs.KIND, f.kind ?? 'bpf')]);
  withSocket((nl) => nl.request(`RTM_DELTFILTER on ifindex ${f.ifindex}`, rtmTypes.DELTFILTER, 0, body));
}

/** Filters under one parent (e.g. tcParent.ingress). An interface without clsact has none. */
export function listFilters(ifindex: number, parent: number): TcFilter[] {
  try {
    return withSocket((nl) => nl.request('RTM_GETTFILTER dump', rtmTypes.GETTFILTER, NLM_F_DUMP, tcmsg(ifindex, parent)))
      .filter((r) => r.type === rtmTypes.NEWTFILTER).map(parseFilter)
      // Each filter is also reported once per chain head without options; keep the real ones.
      .filter((f) => f.handle !== 0);
  } catch (e) {
    if (e instanceof BpfError && e.code === 'EINVAL' && !hasClsact(ifindex)) return [];
    throw e;
  }
}

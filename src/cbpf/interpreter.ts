// Runs a classic BPF program the way the kernel does (net/core/filter.c after conversion to eBPF):
// a failed load ends the program with 0, division or modulo by a zero X returns 0, ALU is
// 32-bit unsigned, shifts by X use the low 5 bits, and loads at SKF_AD_OFF + n read socket-buffer
// metadata. The same engine runs seccomp filters, whose "packet" is struct seccomp_data read in
// host byte order (little endian on every architecture bpfkit runs on).
import {
  type CbpfInsn,
  BPF_MEMWORDS,
  SKF_AD_OFF,
  SKF_LL_OFF,
  SKF_NET_OFF,
  SKF_AD_PROTOCOL,
  SKF_AD_PKTTYPE,
  SKF_AD_IFINDEX,
  SKF_AD_NLATTR,
  SKF_AD_NLATTR_NEST,
  SKF_AD_MARK,
  SKF_AD_QUEUE,
  SKF_AD_HATYPE,
  SKF_AD_RXHASH,
  SKF_AD_CPU,
  SKF_AD_ALU_XOR_X,
  SKF_AD_VLAN_TAG,
  SKF_AD_VLAN_TAG_PRESENT,
  SKF_AD_PAY_OFFSET,
  SKF_AD_RANDOM,
  SKF_AD_VLAN_TPID,
} from './insn.js';

/** Socket-buffer metadata read by the ancillary loads (`ld #proto`, `ld #ifidx`, ...). All default to 0. */
export interface CbpfAncillary {
  /** skb->protocol in host order, e.g. 0x0800 for IPv4 (SKF_AD_PROTOCOL). */
  protocol?: number;
  /** skb->pkt_type: 0 host, 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing (SKF_AD_PKTTYPE). */
  pkttype?: number;
  ifindex?: number;
  mark?: number;
  /** skb->queue_mapping (SKF_AD_QUEUE). */
  queue?: number;
  /** dev->type, an ARPHRD_* value such as 1 for Ethernet (SKF_AD_HATYPE). */
  hatype?: number;
  rxhash?: number;
  cpu?: number;
  /** skb->vlan_tci (SKF_AD_VLAN_TAG). */
  vlanTag?: number;
  vlanTagPresent?: boolean;
  /** skb->vlan_proto in host order, e.g. 0x8100 (SKF_AD_VLAN_TPID). */
  vlanTpid?: number;
  /** Offset of the transport payload as the flow dissector finds it (SKF_AD_PAY_OFFSET). */
  payOffset?: number;
  /** Source of SKF_AD_RANDOM; defaults to Math.random. */
  random?: () => number;
}

export interface CbpfRunOptions {
  /**
   * The packet length the program sees through `ld len`/`ldx len` (skb->len, or the pcap wire
   * length). Defaults to packet.length. Bounds checks always use the captured bytes.
   */
  wirelen?: number;
  ancillary?: CbpfAncillary;
  /** Where the link-layer header starts in `packet`, for SKF_LL_OFF loads (default 0). */
  linkOffset?: number;
  /** Where the network header starts in `packet`, for SKF_NET_OFF loads (default 0; 14 for Ethernet). */
  netOffset?: number;
  /**
   * 'network' (default): packet loads are big endian, as for socket filters.
   * 'host': loads are little endian and there are no ancillary or negative-offset loads,
   * as for seccomp filters over struct seccomp_data (see runSeccomp).
   */
  byteOrder?: 'network' | 'host';
  /** Upper bound on executed instructions (classic programs only jump forward; this guards unvalidated input). */
  maxSteps?: number;
  /** Called before each instruction, for debugging. */
  trace?: (pc: number, a: number, x: number, insn: CbpfInsn) => void;
}

/** A program that cannot run: it falls off its end, has an unknown opcode, or loops past maxSteps. */
export class CbpfRuntimeError extends Error {
  readonly pc: number;
  constructor(pc: number, message: string) {
    super(`classic BPF instruction ${pc}: ${message}`);
    this.name = 'CbpfRuntimeError';
    this.pc = pc;
  }
}

// A failed load: the kernel ends the program with 0 (packet dropped / SECCOMP_RET_KILL_THREAD).
const LOAD_FAILED = -1;

/**
 * Runs `prog` over `packet` and returns the program's 32-bit unsigned result
 * (for a socket filter: the number of bytes to keep, 0 = drop).
 * Throws CbpfRuntimeError only for programs the kernel's checker would refuse
 * (see validateCbpf); every kernel-accepted program returns a number.
 */
export function runCbpf(prog: readonly CbpfInsn[], packet: Uint8Array, opts: CbpfRunOptions = {}): number {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const plen = packet.byteLength;
  const hostOrder = opts.byteOrder === 'host';
  const wirelen = (opts.wirelen ?? plen) >>> 0;
  const anc = opts.ancillary ?? {};
  const linkOffset = opts.linkOffset ?? 0;
  const netOffset = opts.netOffset ?? 0;
  // Forward-only programs run at most prog.length instructions; the bound only matters for
  // the backward jumps of unvalidated programs.
  const maxSteps = opts.maxSteps ?? Math.max(prog.length, 100_000);
  const trace = opts.trace;
  const mem = new Uint32Array(BPF_MEMWORDS);
  let a = 0;
  let x = 0;
  let steps = 0;

  // Reads `size` bytes at a signed 32-bit offset; returns LOAD_FAILED when out of bounds.
  const load = (offset: number, size: number): number => {
    let at: number;
    if (offset >= 0) {
      at = offset;
    } else if (hostOrder) {
      return LOAD_FAILED;
    } else if (offset >= SKF_NET_OFF) {
      at = netOffset + (offset - SKF_NET_OFF);
    } else if (offset >= SKF_LL_OFF) {
      at = linkOffset + (offset - SKF_LL_OFF);
    } else {
      return LOAD_FAILED;
    }
    if (at < 0 || at + size > plen) return LOAD_FAILED;
    if (size === 4) return view.getUint32(at, hostOrder);
    if (size === 2) return view.getUint16(at, hostOrder);
    return view.getUint8(at);
  };

  for (let pc = 0; ; pc++) {
    if (pc >= prog.length) throw new CbpfRuntimeError(pc, 'ran past the end of the program (no return)');
    if (++steps > maxSteps) throw new CbpfRuntimeError(pc, `exceeded ${maxSteps} steps`);
    const ins = prog[pc];
    const k = ins.k >>> 0;
    if (trace) trace(pc, a, x, ins);
    switch (ins.code) {
      // Loads into A.
      case 0x20: // ld [k]
      case 0x28: // ldh [k]
      case 0x30: { // ldb [k]
        const size = ins.code === 0x20 ? 4 : ins.code === 0x28 ? 2 : 1;
        const off = k | 0;
        if (!hostOrder && off >= SKF_AD_OFF && off < 0) {
          const r = ancillaryLoad(off - SKF_AD_OFF, a, x, packet, anc);
          if (r === LOAD_FAILED) return 0;
          a = r >>> 0;
          break;
        }
        const v = load(off, size);
        if (v === LOAD_FAILED) return 0;
        a = v;
        break;
      }
      case 0x40: // ld [x + k]
      case 0x48:
      case 0x50: {
        const size = ins.code === 0x40 ? 4 : ins.code === 0x48 ? 2 : 1;
        const v = load((x + k) | 0, size);
        if (v === LOAD_FAILED) return 0;
        a = v;
        break;
      }
      case 0x80: // ld #len
        a = wirelen;
        break;
      case 0x00: // ld #k
        a = k;
        break;
      case 0x60: // ld M[k]
        if (k >= BPF_MEMWORDS) throw new CbpfRuntimeError(pc, `scratch memory index ${k} out of range`);
        a = mem[k];
        break;
      // Loads into X.
      case 0x01: // ldx #k
        x = k;
        break;
      case 0x81: // ldx #len
        x = wirelen;
        break;
      case 0x61: // ldx M[k]
        if (k >= BPF_MEMWORDS) throw new CbpfRuntimeError(pc, `scratch memory index ${k} out of range`);
        x = mem[k];
        break;
      case 0xb1: { // ldxb 4*([k]&0xf)
        const v = load(k | 0, 1);
        if (v === LOAD_FAILED) return 0;
        x = (v & 0xf) << 2;
        break;
      }
      // Stores.
      case 0x02:
        if (k >= BPF_MEMWORDS) throw new CbpfRuntimeError(pc, `scratch memory index ${k} out of range`);
        mem[k] = a;
        break;
      case 0x03:
        if (k >= BPF_MEMWORDS) throw new CbpfRuntimeError(pc, `scratch memory index ${k} out of range`);
        mem[k] = x;
        break;
      // ALU on A with k or X.
      case 0x04: a = (a + k) >>> 0; break;
      case 0x0c: a = (a + x) >>> 0; break;
      case 0x14: a = (a - k) >>> 0; break;
      case 0x1c: a = (a - x) >>> 0; break;
      case 0x24: a = Math.imul(a, k) >>> 0; break;
      case 0x2c: a = Math.imul(a, x) >>> 0; break;
      case 0x34:
        if (k === 0) throw new CbpfRuntimeError(pc, 'division by constant zero');
        a = Math.floor(a / k) >>> 0;
        break;
      case 0x3c:
        if (x === 0) return 0;
        a = Math.floor(a / x) >>> 0;
        break;
      case 0x94:
        if (k === 0) throw new CbpfRuntimeError(pc, 'modulo by constant zero');
        a = a % k;
        break;
      case 0x9c:
        if (x === 0) return 0;
        a = a % x;
        break;
      case 0x44: a = (a | k) >>> 0; break;
      case 0x4c: a = (a | x) >>> 0; break;
      case 0x54: a = (a & k) >>> 0; break;
      case 0x5c: a = (a & x) >>> 0; break;
      case 0xa4: a = (a ^ k) >>> 0; break;
      case 0xac: a = (a ^ x) >>> 0; break;
      case 0x64:
        if (k >= 32) throw new CbpfRuntimeError(pc, `shift by ${k}`);
        a = (a << k) >>> 0;
        break;
      case 0x6c: a = (a << (x & 31)) >>> 0; break;
      case 0x74:
        if (k >= 32) throw new CbpfRuntimeError(pc, `shift by ${k}`);
        a = a >>> k;
        break;
      case 0x7c: a = a >>> (x & 31); break;
      case 0x84: a = -a >>> 0; break;
      // Jumps: offsets count from the next instruction.
      // A jump past the end wraps as a signed offset: the kernel refuses such programs, but
      // libpcap's protochain code relies on its own interpreter jumping backwards this way.
      case 0x05: pc = pc + k < prog.length ? pc + k : pc + (k | 0); break;
      case 0x15: pc += a === k ? ins.jt : ins.jf; break;
      case 0x1d: pc += a === x ? ins.jt : ins.jf; break;
      case 0x25: pc += a > k ? ins.jt : ins.jf; break;
      case 0x2d: pc += a > x ? ins.jt : ins.jf; break;
      case 0x35: pc += a >= k ? ins.jt : ins.jf; break;
      case 0x3d: pc += a >= x ? ins.jt : ins.jf; break;
      case 0x45: pc += (a & k) !== 0 ? ins.jt : ins.jf; break;
      case 0x4d: pc += (a & x) !== 0 ? ins.jt : ins.jf; break;
      // Returns.
      case 0x06: return k;
      case 0x16: return a;
      // Register moves.
      case 0x07: x = a; break;
      case 0x87: a = x; break;
      default:
        throw new CbpfRuntimeError(pc, `unknown opcode 0x${ins.code.toString(16)}`);
    }
  }
}

/**
 * Runs a seccomp filter over a struct seccomp_data (64 bytes: nr, arch, instruction_pointer,
 * args[6]); loads are host-endian 32-bit words. Returns the SECCOMP_RET_* action word.
 */
export function runSeccomp(prog: readonly CbpfInsn[], data: Uint8Array): number {
  return runCbpf(prog, data, { byteOrder: 'host' });
}

/** Builds the 64-byte struct seccomp_data for runSeccomp. */
export function seccompData(d: { nr: number; arch: number; instructionPointer?: bigint; args?: readonly (bigint | number)[] }): Uint8Array {
  const out = new Uint8Array(64);
  const v = new DataView(out.buffer);
  v.setInt32(0, d.nr, true);
  v.setUint32(4, d.arch >>> 0, true);
  v.setBigUint64(8, BigInt.asUintN(64, d.instructionPointer ?? 0n), true);
  (d.args ?? []).slice(0, 6).forEach((arg, i) => v.setBigUint64(16 + 8 * i, BigInt.asUintN(64, BigInt(arg)), true));
  return out;
}

function ancillaryLoad(which: number, a: number, x: number, pkt: Uint8Array, anc: CbpfAncillary): number {
  switch (which) {
    case SKF_AD_PROTOCOL: return (anc.protocol ?? 0) & 0xffff;
    case SKF_AD_PKTTYPE: return (anc.pkttype ?? 0) & 0x7;
    case SKF_AD_IFINDEX: return anc.ifindex ?? 0;
    case SKF_AD_NLATTR: return netlinkAttr(pkt, a, x, false);
    case SKF_AD_NLATTR_NEST: return netlinkAttr(pkt, a, x, true);
    case SKF_AD_MARK: return anc.mark ?? 0;
    case SKF_AD_QUEUE: return (anc.queue ?? 0) & 0xffff;
    case SKF_AD_HATYPE: return (anc.hatype ?? 0) & 0xffff;
    case SKF_AD_RXHASH: return anc.rxhash ?? 0;
    case SKF_AD_CPU: return anc.cpu ?? 0;
    case SKF_AD_ALU_XOR_X: return (a ^ x) >>> 0;
    case SKF_AD_VLAN_TAG: return (anc.vlanTag ?? 0) & 0xffff;
    case SKF_AD_VLAN_TAG_PRESENT: return anc.vlanTagPresent ? 1 : 0;
    case SKF_AD_PAY_OFFSET: return anc.payOffset ?? 0;
    case SKF_AD_RANDOM: return anc.random ? anc.random() >>> 0 : Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
    case SKF_AD_VLAN_TPID: return (anc.vlanTpid ?? 0) & 0xffff;
    default:
      // An unknown extension is an ordinary negative-offset load in the kernel, which
      // always falls outside the packet.
      return LOAD_FAILED;
  }
}

// bpf_skb_get_nlattr / bpf_skb_get_nlattr_nest: the offset of attribute type X among the
// netlink attributes at offset A (or inside the nested attribute at A), or 0.
function netlinkAttr(pkt: Uint8Array, a: number, x: number, nested: boolean): number {
  const len = pkt.byteLength;
  const NLA_HDRLEN = 4;
  if (len < NLA_HDRLEN || a > len - NLA_HDRLEN) return 0;
  const v = new DataView(pkt.buffer, pkt.byteOffset, len);
  let start = a;
  let rem = len - a;
  if (nested) {
    const nlaLen = v.getUint16(a, true);
    if (nlaLen > len - a) return 0;
    start = a + NLA_HDRLEN;
    rem = nlaLen - NLA_HDRLEN;
  }
  let pos = start;
  while (rem >= NLA_HDRLEN) {
    const nlaLen = v.getUint16(pos, true);
    if (nlaLen < NLA_HDRLEN || nlaLen > rem) break;
    if ((v.getUint16(pos + 2, true) & 0x3fff) === x) return pos;
    const step = (nlaLen + 3) & ~3;
    rem -= step;
    pos += step;
  }
  return 0;
}

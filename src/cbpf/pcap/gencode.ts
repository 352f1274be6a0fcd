// Code generation for filter expressions: the AST becomes libpcap's block graph, with the same
// blocks, statements, scratch-register choices and evaluation order as libpcap's gencode.c, so
// that after the same optimizer the program is the one tcpdump prints.
import {
  type Block, type Slist, newBlock, newStmt, sappend, genAnd, genOr, genNot,
} from './ir.js';
import {
  type Arth, type Node, type Other, type Qual,
  Q_HOST, Q_NET, Q_PORT, Q_GATEWAY, Q_PROTO, Q_PROTOCHAIN, Q_PORTRANGE,
  Q_LINK, Q_IP, Q_ARP, Q_RARP, Q_SCTP, Q_TCP, Q_UDP, Q_ICMP, Q_IGMP, Q_IGRP, Q_ATALK, Q_DECNET, Q_LAT,
  Q_SCA, Q_MOPRC, Q_MOPDL, Q_IPV6, Q_ICMPV6, Q_AH, Q_ESP, Q_PIM, Q_VRRP, Q_AARP, Q_ISO, Q_ESIS, Q_ISIS,
  Q_CLNP, Q_STP, Q_IPX, Q_NETBEUI, Q_ISIS_L1, Q_ISIS_L2, Q_ISIS_IIH, Q_ISIS_SNP, Q_ISIS_CSNP, Q_ISIS_PSNP,
  Q_ISIS_LSP, Q_RADIO, Q_CARP,
  Q_SRC, Q_DST, Q_OR, Q_AND, Q_ADDR1, Q_ADDR2, Q_ADDR3, Q_ADDR4, Q_RA, Q_TA, Q_DEFAULT, Q_UNDEF,
} from './ast.js';
import { type NameResolver, atoin, atodn, etherAton, parseIPv6 } from './names.js';
import {
  DLT_NULL, DLT_EN10MB, DLT_RAW, DLT_LOOP, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_IPV4, DLT_IPV6, DLT_PPP,
} from './linktypes.js';

/** A semantic error; the compiler attaches the position of the primitive being compiled. */
/**
 * `src and dst` and `src or dst` (the default) of a direction qualifier: the test for each
 * direction, source first, joined; undefined for a single direction.
 */
function bothDirections(dir: number, gen: (direction: number) => Block): Block | undefined {
  if (dir !== Q_AND && dir !== Q_OR && dir !== Q_DEFAULT) return undefined;
  const b0 = gen(Q_SRC);
  const b1 = gen(Q_DST);
  if (dir === Q_AND) genAnd(b0, b1);
  else genOr(b0, b1);
  return b1;
}

export class GenError extends Error {}

const fail = (msg: string): never => {
  throw new GenError(msg);
};

// Instruction pieces.
const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_MISC = 0x07;
const BPF_W = 0x00, BPF_H = 0x08, BPF_B = 0x10;
const BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_IND = 0x40, BPF_MEM = 0x60, BPF_LEN = 0x80, BPF_MSH = 0xa0;
const BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_MUL = 0x20, BPF_DIV = 0x30, BPF_OR = 0x40, BPF_AND = 0x50,
  BPF_LSH = 0x60, BPF_RSH = 0x70, BPF_NEG = 0x80, BPF_MOD = 0x90;
const BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40;
const BPF_K = 0x00, BPF_X = 0x08;
const BPF_TAX = 0x00, BPF_TXA = 0x80;
const JMP = (c: number) => c | BPF_JMP | BPF_K;
const BPF_MEMWORDS = 16;

const ETHERMTU = 1500;
const ETHERTYPE_IP = 0x0800, ETHERTYPE_ARP = 0x0806, ETHERTYPE_REVARP = 0x8035, ETHERTYPE_IPV6 = 0x86dd,
  ETHERTYPE_ATALK = 0x809b, ETHERTYPE_AARP = 0x80f3, ETHERTYPE_DN = 0x6003, ETHERTYPE_SCA = 0x6007,
  ETHERTYPE_LAT = 0x6004, ETHERTYPE_MOPDL = 0x6001, ETHERTYPE_MOPRC = 0x6002, ETHERTYPE_8021Q = 0x8100,
  ETHERTYPE_8021AD = 0x88a8, ETHERTYPE_8021QINQ = 0x9100, ETHERTYPE_MPLS = 0x8847, ETHERTYPE_PPPOED = 0x8863,
  ETHERTYPE_PPPOES = 0x8864, ETHERTYPE_TEB = 0x6558, ETHERTYPE_IPX = 0x8137, ETHERTYPE_NS = 0x0600;
const LLCSAP_IP = 0x06, LLCSAP_ISONS = 0xfe, LLCSAP_NETBEUI = 0xf0, LLCSAP_IPX = 0xe0, LLCSAP_8021D = 0x42,
  LLCSAP_SNAP = 0xaa;
const LINUX_SLL_P_802_3 = 0x0001, LINUX_SLL_P_802_2 = 0x0004, LINUX_SLL_OUTGOING = 4;
const ISO8473_CLNP = 0x81, ISO9542_ESIS = 0x82, ISO10589_ISIS = 0x83;
const ISIS_L1_LAN_IIH = 15, ISIS_L2_LAN_IIH = 16, ISIS_PTP_IIH = 17, ISIS_L1_LSP = 18, ISIS_L2_LSP = 20,
  ISIS_L1_CSNP = 24, ISIS_L2_CSNP = 25, ISIS_L1_PSNP = 26, ISIS_L2_PSNP = 27;
const IPPROTO_ICMP = 1, IPPROTO_IGMP = 2, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_IGRP = 9,
  IPPROTO_PIM = 103, IPPROTO_VRRP = 112, IPPROTO_CARP = 112, IPPROTO_ICMPV6 = 58, IPPROTO_AH = 51,
  IPPROTO_ESP = 50, IPPROTO_SCTP = 132, IPPROTO_FRAGMENT = 44, IPPROTO_HOPOPTS = 0, IPPROTO_ROUTING = 43,
  IPPROTO_DSTOPTS = 60, IPPROTO_NONE = 59;
const PROTO_UNDEF = -1;
const AF_INET = 2, AF_INET6 = 10;
const PPP_IP = 0x0021, PPP_IPV6 = 0x0057, PPP_DECNET = 0x0027, PPP_APPLE = 0x0029, PPP_NS = 0x0025,
  PPP_OSI = 0x0023, PPP_BRPDU = 0x0031, PPP_IPX = 0x002b, PPP_MPLS_UCAST = 0x0281;
const LLC_S_FMT = 1, LLC_U_FMT = 3, LLC_S_CMD_MASK = 0x0f, LLC_U_CMD_MASK = 0xef;
const LLC_S_SUBTYPES: Record<string, number> = { rr: 0x01, rnr: 0x05, rej: 0x09 };
const LLC_U_SUBTYPES: Record<string, number> = { ui: 0x03, ua: 0x63, disc: 0x43, dm: 0x0f, sabme: 0x6f, test: 0xe3, xid: 0xaf, frmr: 0x87 };
const GENEVE_PORT = 6081;
const VXLAN_PORT = 4789;
const SKF_AD_OFF = -0x1000, SKF_AD_PKTTYPE = 4, SKF_AD_IFINDEX = 8, SKF_AD_VLAN_TAG = 44, SKF_AD_VLAN_TAG_PRESENT = 48;
const PACKET_OUTGOING = 4;
const OFFSET_NOT_SET = 0xffffffff;

const enum OffRel {
  PACKET, LINKHDR, PREVLINKHDR, LLC, PREVMPLSHDR, LINKTYPE, LINKPL, LINKPL_NOSNAP, TRAN_IPV4, TRAN_IPV6,
}

interface AbsOffset {
  isVariable: boolean;
  constantPart: number;
  reg: number;
}

interface ArthValue {
  b: Block | null;
  s: Slist;
  regno: number;
}

const PROTO_NAMES: Record<number, string> = {
  [Q_LINK]: 'link', [Q_IP]: 'ip', [Q_ARP]: 'arp', [Q_RARP]: 'rarp', [Q_SCTP]: 'sctp', [Q_TCP]: 'tcp',
  [Q_UDP]: 'udp', [Q_ICMP]: 'icmp', [Q_IGMP]: 'igmp', [Q_IGRP]: 'igrp', [Q_ATALK]: 'atalk',
  [Q_DECNET]: 'decnet', [Q_LAT]: 'lat', [Q_SCA]: 'sca', [Q_MOPRC]: 'moprc', [Q_MOPDL]: 'mopdl',
  [Q_IPV6]: 'ip6', [Q_ICMPV6]: 'icmp6', [Q_AH]: 'ah', [Q_ESP]: 'esp', [Q_PIM]: 'pim', [Q_VRRP]: 'vrrp',
  [Q_AARP]: 'aarp', [Q_ISO]: 'iso', [Q_ESIS]: 'esis', [Q_ISIS]: 'isis', [Q_CLNP]: 'clnp', [Q_STP]: 'stp',
  [Q_IPX]: 'ipx', [Q_NETBEUI]: 'netbeui', [Q_ISIS_L1]: 'l1', [Q_ISIS_L2]: 'l2', [Q_ISIS_IIH]: 'iih',
  [Q_ISIS_SNP]: 'snp', [Q_ISIS_CSNP]: 'csnp', [Q_ISIS_PSNP]: 'psnp', [Q_ISIS_LSP]: 'lsp', [Q_RADIO]: 'radio',
  [Q_CARP]: 'carp',
};

const DLT_NAMES: Record<number, string> = {
  [DLT_NULL]: 'DLT_NULL', [DLT_EN10MB]: 'DLT_EN10MB', [DLT_RAW]: 'DLT_RAW', [DLT_LOOP]: 'DLT_LOOP',
  [DLT_LINUX_SLL]: 'DLT_LINUX_SLL', [DLT_LINUX_SLL2]: 'DLT_LINUX_SLL2', [DLT_IPV4]: 'DLT_IPV4', [DLT_IPV6]: 'DLT_IPV6', [DLT_PPP]: 'DLT_PPP',
};

const DESCRIPTIONS: Record<number, string> = {
  [DLT_NULL]: 'BSD loopback', [DLT_EN10MB]: 'Ethernet', [DLT_RAW]: 'Raw IP', [DLT_LOOP]: 'OpenBSD loopback',
  [DLT_LINUX_SLL]: 'Linux cooked v1', [DLT_LINUX_SLL2]: 'Linux cooked v2', [DLT_IPV4]: 'Raw IPv4',
  [DLT_IPV6]: 'Raw IPv6', [DLT_PPP]: 'PPP',
};

export interface GenOptions {
  linktype: number;
  snaplen: number;
  /** Netmask for "ip broadcast"; 0xffffffff means unknown (libpcap's PCAP_NETMASK_UNKNOWN). */
  netmask: number;
  names: NameResolver;
  /** Use the kernel's VLAN ancillary loads (as libpcap does on a live Linux socket). */
  vlanExtensions?: boolean;
}

/** Generates the block graph for `root` (null: accept everything). */
export function generate(root: Node | null, opts: GenOptions, onNode?: (n: Node | Arth) => void): { root: Block; noOptimize: boolean } {
  const g = new CodeGen(opts, onNode);
  return g.run(root);
}

class CodeGen {
  private linktype: number;
  private prevlinktype: number;
  private outermostlinktype: number;
  private offLinkhdr: AbsOffset = { isVariable: false, constantPart: 0, reg: -1 };
  private offPrevlinkhdr: AbsOffset = { isVariable: false, constantPart: 0, reg: -1 };
  private offOutermostlinkhdr: AbsOffset = { isVariable: false, constantPart: 0, reg: -1 };
  private offLinkpl: AbsOffset = { isVariable: false, constantPart: 0, reg: -1 };
  private offLinktype: AbsOffset = { isVariable: false, constantPart: 0, reg: -1 };
  private offNl = 0;
  private offNlNosnap = 0;
  private isEncap = false;
  private isVlanVloffset = false;
  private labelStackDepth = 0;
  private vlanStackDepth = 0;
  private noOptimize = false;
  private regused = new Array<boolean>(BPF_MEMWORDS).fill(false);
  private curreg = 0;

  constructor(private readonly opts: GenOptions, private readonly onNode?: (n: Node | Arth) => void) {
    this.linktype = this.prevlinktype = this.outermostlinktype = opts.linktype;
    this.initLinktype();
  }

  private initLinktype(): void {
    switch (this.linktype) {
      case DLT_EN10MB:
        this.offLinktype.constantPart = 12;
        this.offLinkpl.constantPart = 14;
        this.offNl = 0;
        this.offNlNosnap = 3;
        break;
      case DLT_NULL:
      case DLT_LOOP:
        this.offLinktype.constantPart = 0;
        this.offLinkpl.constantPart = 4;
        break;
      case DLT_RAW:
      case DLT_IPV4:
      case DLT_IPV6:
        this.offLinktype.constantPart = OFFSET_NOT_SET;
        this.offLinkpl.constantPart = 0;
        break;
      case DLT_LINUX_SLL:
        this.offLinktype.constantPart = 14;
        this.offLinkpl.constantPart = 16;
        break;
      case DLT_LINUX_SLL2:
        this.offLinktype.constantPart = 0;
        this.offLinkpl.constantPart = 20;
        break;
      default:
        fail(`unknown data link type ${this.linktype}`);
    }
    this.offOutermostlinkhdr = { ...this.offLinkhdr };
    this.offPrevlinkhdr = { ...this.offLinkhdr };
  }

  run(root: Node | null): { root: Block; noOptimize: boolean } {
    if (!root) return { root: newBlock(0x06, this.opts.snaplen), noOptimize: this.noOptimize };
    const p = this.node(root);
    this.insertComputeVloffsets(p.head);
    // finish_parse
    const accept = newBlock(0x06, this.opts.snaplen);
    const reject = newBlock(0x06, 0);
    backpatchAll(p, accept, reject);
    return { root: p.head, noOptimize: this.noOptimize };
  }

  private description(): string {
    return DESCRIPTIONS[this.linktype] ?? `DLT ${this.linktype}`;
  }

  // ---- AST walk, in the grammar's reduction order
  private node(n: Node): Block {
    switch (n.t) {
      case 'and': {
        const l = this.node(n.l);
        const r = this.node(n.r);
        genAnd(l, r);
        return r;
      }
      case 'or': {
        const l = this.node(n.l);
        const r = this.node(n.r);
        genOr(l, r);
        return r;
      }
      case 'not': {
        const b = this.node(n.e);
        genNot(b);
        return b;
      }
    }
    this.onNode?.(n);
    switch (n.t) {
      case 'scode':
        return this.genScode(n.name, n.q);
      case 'mcode':
        return this.genMcode(n.s1, n.s2, n.masklen, n.q);
      case 'ncode':
        if (n.hid) {
          if (n.q.addr === Q_PORT) fail("'port' modifier applied to ip host");
          if (n.q.addr === Q_PORTRANGE) fail("'portrange' modifier applied to ip host");
          if (n.q.addr === Q_PROTO) fail("'proto' modifier applied to ip host");
          if (n.q.addr === Q_PROTOCHAIN) fail("'protochain' modifier applied to ip host");
        }
        return this.genNcode(n.s, n.v, n.q);
      case 'mcode6':
        return this.genMcode6(n.s1, n.masklen, n.q);
      case 'ecode':
        return this.genEcode(n.s, n.q);
      case 'acode':
        return fail('aid supported only on ARCnet');
      case 'abbrev':
        return this.genProtoAbbrev(n.proto);
      case 'relation': {
        const a0 = this.arth(n.a0);
        const a1 = this.arth(n.a1);
        this.onNode?.(n);
        return this.genRelation(n.code, a0, a1, n.reversed);
      }
      case 'other':
        return this.other(n.o);
    }
  }

  private arth(a: Arth): ArthValue {
    switch (a.t) {
      case 'loadi':
        return this.genLoadi(a.v);
      case 'loadlen':
        return this.genLoadlen();
      case 'load': {
        const inst = this.arth(a.inst);
        this.onNode?.(a);
        return this.genLoad(a.proto, inst, a.size);
      }
      case 'arth': {
        const a0 = this.arth(a.a0);
        const a1 = this.arth(a.a1);
        this.onNode?.(a);
        return this.genArth(a.op, a0, a1);
      }
      case 'neg':
        return this.genNeg(this.arth(a.a));
    }
  }

  private other(o: Other): Block {
    switch (o.kind) {
      case 'broadcast': return this.genBroadcast(o.proto);
      case 'multicast': return this.genMulticast(o.proto);
      case 'less': {
        const b = this.genLen(BPF_JGT, o.n);
        genNot(b);
        return b;
      }
      case 'greater': return this.genLen(BPF_JGE, o.n);
      case 'byte': return this.genByteop(o.op, o.idx, o.val);
      case 'inbound': return this.genInbound(false);
      case 'outbound': return this.genInbound(true);
      case 'ifindex': return this.genIfindex(o.n);
      case 'vlan': return this.genVlan(o.n ?? 0, o.n !== undefined);
      case 'mpls': return this.genMpls(o.n ?? 0, o.n !== undefined);
      case 'pppoed': return this.genLinktype(ETHERTYPE_PPPOED);
      case 'pppoes': return this.genPppoes(o.n ?? 0, o.n !== undefined);
      case 'geneve': return this.genGeneve(o.n ?? 0, o.n !== undefined);
      case 'vxlan': return this.genVxlan(o.n ?? 0, o.n !== undefined);
      case 'llc': return this.genLlcSub(o.sub);
      case 'unsupported': return fail(o.message);
    }
  }

  // ---- registers
  private allocReg(): number {
    for (let n = BPF_MEMWORDS; --n >= 0;) {
      if (this.regused[this.curreg]) this.curreg = (this.curreg + 1) % BPF_MEMWORDS;
      else {
        this.regused[this.curreg] = true;
        return this.curreg;
      }
    }
    return fail('too many registers needed to evaluate expression');
  }
  private freeReg(n: number): void {
    this.regused[n] = false;
  }

  // ---- loads and comparisons
  private genAbsOffsetVarpart(off: AbsOffset): Slist | null {
    if (!off.isVariable) return null;
    if (off.reg === -1) off.reg = this.allocReg();
    return newStmt(BPF_LDX | BPF_MEM, off.reg);
  }

  private genLoadAbsoffsetrel(off: AbsOffset, offset: number, size: number): Slist {
    const s = this.genAbsOffsetVarpart(off);
    if (s) {
      sappend(s, newStmt(BPF_LD | BPF_IND | size, off.constantPart + offset));
      return s;
    }
    return newStmt(BPF_LD | BPF_ABS | size, off.constantPart + offset);
  }

  private genLoadA(offrel: OffRel, offset: number, size: number): Slist {
    switch (offrel) {
      case OffRel.PACKET: return newStmt(BPF_LD | BPF_ABS | size, offset);
      case OffRel.LINKHDR: return this.genLoadAbsoffsetrel(this.offLinkhdr, offset, size);
      case OffRel.PREVLINKHDR: return this.genLoadAbsoffsetrel(this.offPrevlinkhdr, offset, size);
      case OffRel.LLC: return this.genLoadAbsoffsetrel(this.offLinkpl, offset, size);
      case OffRel.PREVMPLSHDR: return this.genLoadAbsoffsetrel(this.offLinkpl, this.offNl - 4 + offset, size);
      case OffRel.LINKPL: return this.genLoadAbsoffsetrel(this.offLinkpl, this.offNl + offset, size);
      case OffRel.LINKPL_NOSNAP: return this.genLoadAbsoffsetrel(this.offLinkpl, this.offNlNosnap + offset, size);
      case OffRel.LINKTYPE: return this.genLoadAbsoffsetrel(this.offLinktype, offset, size);
      case OffRel.TRAN_IPV4: {
        const s = this.genLoadxIphdrlen();
        sappend(s, newStmt(BPF_LD | BPF_IND | size, this.offLinkpl.constantPart + this.offNl + offset));
        return s;
      }
      case OffRel.TRAN_IPV6: return this.genLoadAbsoffsetrel(this.offLinkpl, this.offNl + 40 + offset, size);
    }
  }

  private genLoadxIphdrlen(): Slist {
    const s = this.genAbsOffsetVarpart(this.offLinkpl);
    if (s) {
      sappend(s, newStmt(BPF_LD | BPF_IND | BPF_B, this.offLinkpl.constantPart + this.offNl));
      sappend(s, newStmt(BPF_ALU | BPF_AND | BPF_K, 0xf));
      sappend(s, newStmt(BPF_ALU | BPF_LSH | BPF_K, 2));
      sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_X));
      sappend(s, newStmt(BPF_MISC | BPF_TAX));
      return s;
    }
    return newStmt(BPF_LDX | BPF_MSH | BPF_B, this.offLinkpl.constantPart + this.offNl);
  }

  private genUncond(rsense: boolean): Block {
    const b = newBlock(JMP(BPF_JEQ));
    b.stmts = newStmt(BPF_LD | BPF_IMM, rsense ? 0 : 1);
    return b;
  }
  private genTrue(): Block {
    return this.genUncond(true);
  }
  private genFalse(): Block {
    return this.genUncond(false);
  }

  private genNcmp(offrel: OffRel, offset: number, size: number, mask: number, jtype: number, reverse: boolean, v: number): Block {
    const s = this.genLoadA(offrel, offset, size);
    if (mask >>> 0 !== 0xffffffff) sappend(s, newStmt(BPF_ALU | BPF_AND | BPF_K, mask));
    const b = newBlock(JMP(jtype), v);
    b.stmts = s;
    if (reverse && (jtype === BPF_JGT || jtype === BPF_JGE)) genNot(b);
    return b;
  }
  private genCmp(offrel: OffRel, offset: number, size: number, v: number): Block {
    return this.genNcmp(offrel, offset, size, 0xffffffff, BPF_JEQ, false, v);
  }
  private genCmpGt(offrel: OffRel, offset: number, size: number, v: number): Block {
    return this.genNcmp(offrel, offset, size, 0xffffffff, BPF_JGT, false, v);
  }
  private genCmpGe(offrel: OffRel, offset: number, size: number, v: number): Block {
    return this.genNcmp(offrel, offset, size, 0xffffffff, BPF_JGE, false, v);
  }
  private genCmpLt(offrel: OffRel, offset: number, size: number, v: number): Block {
    return this.genNcmp(offrel, offset, size, 0xffffffff, BPF_JGE, true, v);
  }
  private genCmpLe(offrel: OffRel, offset: number, size: number, v: number): Block {
    return this.genNcmp(offrel, offset, size, 0xffffffff, BPF_JGT, true, v);
  }
  private genMcmp(offrel: OffRel, offset: number, size: number, v: number, mask: number): Block {
    return this.genNcmp(offrel, offset, size, mask, BPF_JEQ, false, v);
  }

  private genBcmp(offrel: OffRel, offset: number, size: number, v: Uint8Array): Block {
    let b: Block | null = null;
    const and = (tmp: Block) => {
      if (b) genAnd(b, tmp);
      b = tmp;
    };
    while (size >= 4) {
      const p = size - 4;
      and(this.genCmp(offrel, offset + size - 4, BPF_W, ((v[p] << 24) | (v[p + 1] << 16) | (v[p + 2] << 8) | v[p + 3]) >>> 0));
      size -= 4;
    }
    while (size >= 2) {
      const p = size - 2;
      and(this.genCmp(offrel, offset + size - 2, BPF_H, (v[p] << 8) | v[p + 1]));
      size -= 2;
    }
    if (size > 0) and(this.genCmp(offrel, offset, BPF_B, v[0]));
    return b!;
  }

  // ---- link-layer type tests
  private genEtherLinktype(llProto: number): Block {
    let b0: Block, b1: Block;
    switch (llProto) {
      case LLCSAP_ISONS:
      case LLCSAP_IP:
      case LLCSAP_NETBEUI:
        b0 = this.genCmpGt(OffRel.LINKTYPE, 0, BPF_H, ETHERMTU);
        genNot(b0);
        b1 = this.genCmp(OffRel.LLC, 0, BPF_H, (llProto << 8) | llProto);
        genAnd(b0, b1);
        return b1;
      case LLCSAP_IPX:
        b0 = this.genCmp(OffRel.LLC, 0, BPF_B, LLCSAP_IPX);
        b1 = this.genCmp(OffRel.LLC, 0, BPF_H, 0xffff);
        genOr(b0, b1);
        b0 = this.genSnap(0x000000, ETHERTYPE_IPX);
        genOr(b0, b1);
        b0 = this.genCmpGt(OffRel.LINKTYPE, 0, BPF_H, ETHERMTU);
        genNot(b0);
        genAnd(b0, b1);
        b0 = this.genCmp(OffRel.LINKTYPE, 0, BPF_H, ETHERTYPE_IPX);
        genOr(b0, b1);
        return b1;
      case ETHERTYPE_ATALK:
      case ETHERTYPE_AARP:
        b0 = this.genCmpGt(OffRel.LINKTYPE, 0, BPF_H, ETHERMTU);
        genNot(b0);
        b1 = llProto === ETHERTYPE_ATALK ? this.genSnap(0x080007, ETHERTYPE_ATALK) : this.genSnap(0x000000, ETHERTYPE_AARP);
        genAnd(b0, b1);
        b0 = this.genCmp(OffRel.LINKTYPE, 0, BPF_H, llProto);
        genOr(b0, b1);
        return b1;
      default:
        if (llProto <= ETHERMTU) {
          b0 = this.genCmpGt(OffRel.LINKTYPE, 0, BPF_H, ETHERMTU);
          genNot(b0);
          b1 = this.genCmp(OffRel.LINKTYPE, 2, BPF_B, llProto);
          genAnd(b0, b1);
          return b1;
        }
        return this.genCmp(OffRel.LINKTYPE, 0, BPF_H, llProto);
    }
  }

  private genLoopbackLinktype(llProto: number): Block {
    // DLT_NULL carries the AF_ value in host byte order; libpcap compiles for a little-endian host.
    if (this.linktype === DLT_NULL) llProto = swap32(llProto);
    return this.genCmp(OffRel.LINKHDR, 0, BPF_W, llProto);
  }

  private genLinuxSllLinktype(llProto: number): Block {
    let b0: Block, b1: Block;
    switch (llProto) {
      case LLCSAP_ISONS:
      case LLCSAP_IP:
      case LLCSAP_NETBEUI:
        b0 = this.genCmp(OffRel.LINKTYPE, 0, BPF_H, LINUX_SLL_P_802_2);
        b1 = this.genCmp(OffRel.LLC, 0, BPF_H, (llProto << 8) | llProto);
        genAnd(b0, b1);
        return b1;
      case LLCSAP_IPX:
        b0 = this.genCmp(OffRel.LLC, 0, BPF_B, LLCSAP_IPX);
        b1 = this.genSnap(0x000000, ETHERTYPE_IPX);
        genOr(b0, b1);
        b0 = this.genCmp(OffRel.LINKTYPE, 0, BPF_H, LINUX_SLL_P_802_2);
        genAnd(b0, b1);
        b0 = this.genCmp(OffRel.LINKTYPE, 0, BPF_H, LINUX_SLL_P_802_3);
        genOr(b0, b1);
        b0 = this.genCmp(OffRel.LINKTYPE, 0, BPF_H, ETHERTYPE_IPX);
        genOr(b0, b1);
        return b1;
      case ETHERTYPE_ATALK:
      case ETHERTYPE_AARP:
        b0 = this.genCmp(OffRel.LINKTYPE, 0, BPF_H, LINUX_SLL_P_802_2);
        b1 = llProto === ETHERTYPE_ATALK ? this.genSnap(0x080007, ETHERTYPE_ATALK) : this.genSnap(0x000000, ETHERTYPE_AARP);
        genAnd(b0, b1);
        b0 = this.genCmp(OffRel.LINKTYPE, 0, BPF_H, llProto);
        genOr(b0, b1);
        return b1;
      default:
        if (llProto <= ETHERMTU) {
          b0 = this.genCmp(OffRel.LINKTYPE, 0, BPF_H, LINUX_SLL_P_802_2);
          b1 = this.genCmp(OffRel.LINKHDR, this.offLinkpl.constantPart, BPF_B, llProto);
          genAnd(b0, b1);
          return b1;
        }
        return this.genCmp(OffRel.LINKTYPE, 0, BPF_H, llProto);
    }
  }

  private genPrevlinkhdrCheck(): Block | null {
    if (this.isEncap) return this.genEncapLlCheck();
    return null;
  }

  private genLinktype(llProto: number): Block {
    if (this.labelStackDepth > 0) return this.genMplsLinktype(llProto);
    switch (this.linktype) {
      case DLT_EN10MB: {
        const b0 = !this.isEncap ? this.genPrevlinkhdrCheck() : null;
        const b1 = this.genEtherLinktype(llProto);
        if (b0) genAnd(b0, b1);
        return b1;
      }
      case DLT_LINUX_SLL:
        return this.genLinuxSllLinktype(llProto);
      case DLT_RAW:
        if (llProto === ETHERTYPE_IP) return this.genMcmp(OffRel.LINKHDR, 0, BPF_B, 0x40, 0xf0);
        if (llProto === ETHERTYPE_IPV6) return this.genMcmp(OffRel.LINKHDR, 0, BPF_B, 0x60, 0xf0);
        return this.genFalse();
      case DLT_IPV4:
        return llProto === ETHERTYPE_IP ? this.genTrue() : this.genFalse();
      case DLT_IPV6:
        return llProto === ETHERTYPE_IPV6 ? this.genTrue() : this.genFalse();
      case DLT_PPP:
        return this.genCmp(OffRel.LINKTYPE, 0, BPF_H, ethertypeToPpptype(llProto));
      case DLT_NULL:
      case DLT_LOOP:
        if (llProto === ETHERTYPE_IP) return this.genLoopbackLinktype(AF_INET);
        if (llProto === ETHERTYPE_IPV6) return this.genLoopbackLinktype(AF_INET6);
        return this.genFalse();
      default:
        if (this.offLinktype.constantPart !== OFFSET_NOT_SET) return this.genCmp(OffRel.LINKTYPE, 0, BPF_H, llProto);
        return fail(`${this.description()} link-layer type filtering not implemented`);
    }
  }

  private genSnap(orgcode: number, ptype: number): Block {
    const snap = Uint8Array.of(LLCSAP_SNAP, LLCSAP_SNAP, 0x03, (orgcode >> 16) & 0xff, (orgcode >> 8) & 0xff, orgcode & 0xff,
      (ptype >> 8) & 0xff, ptype & 0xff);
    return this.genBcmp(OffRel.LLC, 0, 8, snap);
  }

  private genLlcInternal(): Block {
    if (this.linktype === DLT_EN10MB) {
      const b0 = this.genCmpGt(OffRel.LINKTYPE, 0, BPF_H, ETHERMTU);
      genNot(b0);
      const b1 = this.genCmp(OffRel.LLC, 0, BPF_H, 0xffff);
      genNot(b1);
      genAnd(b0, b1);
      return b1;
    }
    return fail(`'llc' not supported for ${this.description()}`);
  }

  private genLlcSub(sub: string | undefined): Block {
    if (sub === undefined) return this.genLlcInternal();
    const lower = sub.toLowerCase();
    if (lower === 'i') {
      const b0 = this.genLlcInternal();
      const b1 = newBlock(JMP(BPF_JSET), 0x01);
      b1.stmts = this.genLoadA(OffRel.LLC, 2, BPF_B);
      genNot(b1);
      genAnd(b0, b1);
      return b1;
    }
    if (lower === 's' || lower === 'u') {
      const b0 = this.genLlcInternal();
      const b1 = this.genMcmp(OffRel.LLC, 2, BPF_B, lower === 's' ? LLC_S_FMT : LLC_U_FMT, 0x03);
      genAnd(b0, b1);
      return b1;
    }
    if (sub in LLC_S_SUBTYPES) {
      const b0 = this.genLlcInternal();
      const b1 = this.genMcmp(OffRel.LLC, 2, BPF_B, LLC_S_SUBTYPES[sub], LLC_S_CMD_MASK);
      genAnd(b0, b1);
      return b1;
    }
    if (sub in LLC_U_SUBTYPES) {
      const b0 = this.genLlcInternal();
      const b1 = this.genMcmp(OffRel.LLC, 2, BPF_B, LLC_U_SUBTYPES[sub], LLC_U_CMD_MASK);
      genAnd(b0, b1);
      return b1;
    }
    return fail(`unknown LLC type name "${sub}"`);
  }

  // ---- hosts and networks
  private dirQualError(dir: number, what: string): never {
    const names: Record<number, string> = {
      [Q_ADDR1]: "'addr1' and 'address1' are", [Q_ADDR2]: "'addr2' and 'address2' are",
      [Q_ADDR3]: "'addr3' and 'address3' are", [Q_ADDR4]: "'addr4' and 'address4' are",
      [Q_RA]: "'ra' is", [Q_TA]: "'ta' is",
    };
    return fail(`${names[dir] ?? 'this is'} not ${names[dir]?.endsWith('are') ? 'valid qualifiers' : 'a valid qualifier'} for ${what}`);
  }

  private genHostop(addr: number, mask: number, dir: number, llProto: number, srcOff: number, dstOff: number): Block {
    let offset: number;
    const both = bothDirections(dir, (d) => this.genHostop(addr, mask, d, llProto, srcOff, dstOff));
    if (both) return both;
    switch (dir) {
      case Q_SRC: offset = srcOff; break;
      case Q_DST: offset = dstOff; break;
      default:
        return this.dirQualError(dir, 'addresses other than 802.11 MAC addresses');
    }
    const b0 = this.genLinktype(llProto);
    const b1 = this.genMcmp(OffRel.LINKPL, offset, BPF_W, addr, mask);
    genAnd(b0, b1);
    return b1;
  }

  private genHostop6(addr: number[], mask: number[], dir: number, llProto: number, srcOff: number, dstOff: number): Block {
    let offset: number;
    const both = bothDirections(dir, (d) => this.genHostop6(addr, mask, d, llProto, srcOff, dstOff));
    if (both) return both;
    switch (dir) {
      case Q_SRC: offset = srcOff; break;
      case Q_DST: offset = dstOff; break;
      default:
        return this.dirQualError(dir, 'addresses other than 802.11 MAC addresses');
    }
    const b1 = this.genMcmp(OffRel.LINKPL, offset + 12, BPF_W, addr[3], mask[3]);
    let b0 = this.genMcmp(OffRel.LINKPL, offset + 8, BPF_W, addr[2], mask[2]);
    genAnd(b0, b1);
    b0 = this.genMcmp(OffRel.LINKPL, offset + 4, BPF_W, addr[1], mask[1]);
    genAnd(b0, b1);
    b0 = this.genMcmp(OffRel.LINKPL, offset + 0, BPF_W, addr[0], mask[0]);
    genAnd(b0, b1);
    b0 = this.genLinktype(llProto);
    genAnd(b0, b1);
    return b1;
  }

  private genEhostop(eaddr: Uint8Array, dir: number): Block {
    const both = bothDirections(dir, (d) => this.genEhostop(eaddr, d));
    if (both) return both;
    switch (dir) {
      case Q_SRC: return this.genBcmp(OffRel.LINKHDR, 6, 6, eaddr);
      case Q_DST: return this.genBcmp(OffRel.LINKHDR, 0, 6, eaddr);
    }
    const what: Record<number, string> = {
      [Q_ADDR1]: "'addr1' and 'address1' are", [Q_ADDR2]: "'addr2' and 'address2' are",
      [Q_ADDR3]: "'addr3' and 'address3' are", [Q_ADDR4]: "'addr4' and 'address4' are", [Q_RA]: "'ra' is", [Q_TA]: "'ta' is",
    };
    return fail(`${what[dir]} only supported on 802.11 with 802.11 headers`);
  }

  private genDnhostop(addr: number, dir: number): Block {
    let offsetSh: number, offsetLh: number;
    const both = bothDirections(dir, (d) => this.genDnhostop(addr, d));
    if (both) return both;
    switch (dir) {
      case Q_DST: offsetSh = 1; offsetLh = 7; break;
      case Q_SRC: offsetSh = 3; offsetLh = 15; break;
      default:
        return this.dirQualError(dir, 'addresses other than 802.11 MAC addresses');
    }
    // DECnet addresses are little endian on the wire; ntohs on a little-endian host swaps them.
    const a = swap16(addr & 0xffff);
    const b0 = this.genLinktype(ETHERTYPE_DN);
    let tmp = this.genMcmp(OffRel.LINKPL, 2, BPF_H, swap16(0x0681), swap16(0x07ff));
    const b1 = this.genCmp(OffRel.LINKPL, 2 + 1 + offsetLh, BPF_H, a);
    genAnd(tmp, b1);
    tmp = this.genMcmp(OffRel.LINKPL, 2, BPF_B, 0x06, 0x7);
    let b2 = this.genCmp(OffRel.LINKPL, 2 + offsetLh, BPF_H, a);
    genAnd(tmp, b2);
    genOr(b2, b1);
    tmp = this.genMcmp(OffRel.LINKPL, 2, BPF_H, swap16(0x0281), swap16(0x07ff));
    b2 = this.genCmp(OffRel.LINKPL, 2 + 1 + offsetSh, BPF_H, a);
    genAnd(tmp, b2);
    genOr(b2, b1);
    tmp = this.genMcmp(OffRel.LINKPL, 2, BPF_B, 0x02, 0x7);
    b2 = this.genCmp(OffRel.LINKPL, 2 + offsetSh, BPF_H, a);
    genAnd(tmp, b2);
    genOr(b2, b1);
    genAnd(b0, b1);
    return b1;
  }

  private genMplsLinktype(llProto: number): Block {
    if (llProto === ETHERTYPE_IP || llProto === ETHERTYPE_IPV6) {
      const b0 = this.genMcmp(OffRel.LINKPL, -2 >>> 0, BPF_B, 0x01, 0x01);
      const b1 = this.genMcmp(OffRel.LINKPL, 0, BPF_B, llProto === ETHERTYPE_IP ? 0x40 : 0x60, 0xf0);
      genAnd(b0, b1);
      return b1;
    }
    return fail('unsupported protocol over mpls');
  }

  private genHost(addr: number, mask: number, proto: number, dir: number, type: number): Block {
    const typestr = type === Q_NET ? 'net' : 'host';
    switch (proto) {
      case Q_DEFAULT: {
        let b0 = this.genHost(addr, mask, Q_IP, dir, type);
        if (this.labelStackDepth === 0) {
          const b1 = this.genHost(addr, mask, Q_ARP, dir, type);
          genOr(b0, b1);
          b0 = this.genHost(addr, mask, Q_RARP, dir, type);
          genOr(b1, b0);
        }
        return b0;
      }
      case Q_LINK: return fail(`link-layer modifier applied to ${typestr}`);
      case Q_IP: return this.genHostop(addr, mask, dir, ETHERTYPE_IP, 12, 16);
      case Q_RARP: return this.genHostop(addr, mask, dir, ETHERTYPE_REVARP, 14, 24);
      case Q_ARP: return this.genHostop(addr, mask, dir, ETHERTYPE_ARP, 14, 24);
      case Q_DECNET: return this.genDnhostop(addr, dir);
      case Q_ATALK: return fail('AppleTalk host filtering not implemented');
      case Q_LAT: return fail('LAT host filtering not implemented');
      case Q_SCA: return fail('SCA host filtering not implemented');
      case Q_MOPRC: return fail('MOPRC host filtering not implemented');
      case Q_MOPDL: return fail('MOPDL host filtering not implemented');
      case Q_IPV6: return fail("'ip6' modifier applied to ip host");
      case Q_AARP: return fail('AARP host filtering not implemented');
      case Q_ISO: return fail('ISO host filtering not implemented');
      case Q_IPX: return fail('IPX host filtering not implemented');
      default: return fail(`'${PROTO_NAMES[proto]}' modifier applied to ${typestr}`);
    }
  }

  private genHost6(addr: number[], mask: number[], proto: number, dir: number, type: number): Block {
    const typestr = type === Q_NET ? 'net' : 'host';
    switch (proto) {
      case Q_DEFAULT:
      case Q_IPV6:
        return this.genHostop6(addr, mask, dir, ETHERTYPE_IPV6, 8, 24);
      case Q_LINK: return fail(`link-layer modifier applied to ip6 ${typestr}`);
      case Q_ATALK: return fail(`AppleTalk modifier applied to ip6 ${typestr}`);
      default: return fail(`'${PROTO_NAMES[proto]}' modifier applied to ip6 ${typestr}`);
    }
  }

  // ---- protocols
  private genProtoAbbrev(proto: number): Block {
    let b0: Block, b1: Block;
    const orAll = (...vs: number[]) => {
      let acc = this.genProto(vs[0], Q_ISIS, Q_DEFAULT);
      for (let i = 1; i < vs.length; i++) {
        const b = this.genProto(vs[i], Q_ISIS, Q_DEFAULT);
        if (i === 1) {
          genOr(acc, b);
          acc = b;
        } else {
          genOr(b, acc);
        }
      }
      return acc;
    };
    switch (proto) {
      case Q_SCTP: return this.genProto(IPPROTO_SCTP, Q_DEFAULT, Q_DEFAULT);
      case Q_TCP: return this.genProto(IPPROTO_TCP, Q_DEFAULT, Q_DEFAULT);
      case Q_UDP: return this.genProto(IPPROTO_UDP, Q_DEFAULT, Q_DEFAULT);
      case Q_ICMP: return this.genProto(IPPROTO_ICMP, Q_IP, Q_DEFAULT);
      case Q_IGMP: return this.genProto(IPPROTO_IGMP, Q_IP, Q_DEFAULT);
      case Q_IGRP: return this.genProto(IPPROTO_IGRP, Q_IP, Q_DEFAULT);
      case Q_PIM: return this.genProto(IPPROTO_PIM, Q_DEFAULT, Q_DEFAULT);
      case Q_VRRP: return this.genProto(IPPROTO_VRRP, Q_IP, Q_DEFAULT);
      case Q_CARP: return this.genProto(IPPROTO_CARP, Q_IP, Q_DEFAULT);
      case Q_IP: return this.genLinktype(ETHERTYPE_IP);
      case Q_ARP: return this.genLinktype(ETHERTYPE_ARP);
      case Q_RARP: return this.genLinktype(ETHERTYPE_REVARP);
      case Q_LINK: return fail('link layer applied in wrong context');
      case Q_ATALK: return this.genLinktype(ETHERTYPE_ATALK);
      case Q_AARP: return this.genLinktype(ETHERTYPE_AARP);
      case Q_DECNET: return this.genLinktype(ETHERTYPE_DN);
      case Q_SCA: return this.genLinktype(ETHERTYPE_SCA);
      case Q_LAT: return this.genLinktype(ETHERTYPE_LAT);
      case Q_MOPDL: return this.genLinktype(ETHERTYPE_MOPDL);
      case Q_MOPRC: return this.genLinktype(ETHERTYPE_MOPRC);
      case Q_IPV6: return this.genLinktype(ETHERTYPE_IPV6);
      case Q_ICMPV6: return this.genProto(IPPROTO_ICMPV6, Q_IPV6, Q_DEFAULT);
      case Q_AH: return this.genProto(IPPROTO_AH, Q_DEFAULT, Q_DEFAULT);
      case Q_ESP: return this.genProto(IPPROTO_ESP, Q_DEFAULT, Q_DEFAULT);
      case Q_ISO: return this.genLinktype(LLCSAP_ISONS);
      case Q_ESIS: return this.genProto(ISO9542_ESIS, Q_ISO, Q_DEFAULT);
      case Q_ISIS: return this.genProto(ISO10589_ISIS, Q_ISO, Q_DEFAULT);
      case Q_ISIS_L1: return orAll(ISIS_L1_LAN_IIH, ISIS_PTP_IIH, ISIS_L1_LSP, ISIS_L1_CSNP, ISIS_L1_PSNP);
      case Q_ISIS_L2: return orAll(ISIS_L2_LAN_IIH, ISIS_PTP_IIH, ISIS_L2_LSP, ISIS_L2_CSNP, ISIS_L2_PSNP);
      case Q_ISIS_IIH: return orAll(ISIS_L1_LAN_IIH, ISIS_L2_LAN_IIH, ISIS_PTP_IIH);
      case Q_ISIS_LSP: return orAll(ISIS_L1_LSP, ISIS_L2_LSP);
      case Q_ISIS_SNP: return orAll(ISIS_L1_CSNP, ISIS_L2_CSNP, ISIS_L1_PSNP, ISIS_L2_PSNP);
      case Q_ISIS_CSNP: return orAll(ISIS_L1_CSNP, ISIS_L2_CSNP);
      case Q_ISIS_PSNP: return orAll(ISIS_L1_PSNP, ISIS_L2_PSNP);
      case Q_CLNP: return this.genProto(ISO8473_CLNP, Q_ISO, Q_DEFAULT);
      case Q_STP: return this.genLinktype(LLCSAP_8021D);
      case Q_IPX: return this.genLinktype(LLCSAP_IPX);
      case Q_NETBEUI: return this.genLinktype(LLCSAP_NETBEUI);
      case Q_RADIO: return fail("'radio' is not a valid protocol type");
    }
    void b0!;
    void b1!;
    return fail(`unknown protocol qualifier ${proto}`);
  }

  private genIpfrag(): Block {
    const b = newBlock(JMP(BPF_JSET), 0x1fff);
    b.stmts = this.genLoadA(OffRel.LINKPL, 6, BPF_H);
    genNot(b);
    return b;
  }

  private genPortop(port: number, proto: number, dir: number, v6: boolean, range?: number): Block {
    // For ports, IPv4 checks the fragment offset too; IPv6 only the next header.
    let b0: Block;
    if (v6) {
      b0 = this.genCmp(OffRel.LINKPL, 6, BPF_B, proto);
    } else {
      const tmp = this.genCmp(OffRel.LINKPL, 9, BPF_B, proto);
      b0 = this.genIpfrag();
      genAnd(tmp, b0);
    }
    const atom = (off: number): Block => {
      const rel = v6 ? OffRel.TRAN_IPV6 : OffRel.TRAN_IPV4;
      if (range === undefined) return this.genCmp(rel, off, BPF_H, port);
      let v1 = port;
      let v2 = range;
      if (v1 > v2) [v1, v2] = [v2, v1];
      const b1 = this.genCmpGe(rel, off, BPF_H, v1);
      const b2 = this.genCmpLe(rel, off, BPF_H, v2);
      genAnd(b1, b2);
      return b2;
    };
    let b1: Block;
    switch (dir) {
      case Q_SRC: b1 = atom(0); break;
      case Q_DST: b1 = atom(2); break;
      default: {
        const both = bothDirections(dir, (d) => atom(d === Q_SRC ? 0 : 2));
        if (!both) return this.dirQualError(dir, range === undefined ? 'ports' : 'port ranges');
        b1 = both;
      }
    }
    genAnd(b0, b1);
    return b1;
  }

  private genPort(port: number, ipProto: number, dir: number, v6: boolean, range?: number): Block {
    const b0 = this.genLinktype(v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP);
    let b1: Block;
    if (ipProto === PROTO_UNDEF) {
      let tmp = this.genPortop(port, IPPROTO_TCP, dir, v6, range);
      b1 = this.genPortop(port, IPPROTO_UDP, dir, v6, range);
      genOr(tmp, b1);
      tmp = this.genPortop(port, IPPROTO_SCTP, dir, v6, range);
      genOr(tmp, b1);
    } else {
      b1 = this.genPortop(port, ipProto, dir, v6, range);
    }
    genAnd(b0, b1);
    return b1;
  }

  private lookupProto(name: string, proto: number): number {
    switch (proto) {
      case Q_DEFAULT:
      case Q_IP:
      case Q_IPV6: {
        const v = this.opts.names.protocol(name);
        if (v === undefined) fail(`unknown ip proto '${name}'`);
        return v!;
      }
      case Q_LINK: {
        const v = ETHER_PROTOS[name] ?? LLC_PROTOS[name];
        if (v === undefined) fail(`unknown ether proto '${name}'`);
        return v;
      }
      case Q_ISO:
        if (name === 'esis') return ISO9542_ESIS;
        if (name === 'isis') return ISO10589_ISIS;
        if (name === 'clnp') return ISO8473_CLNP;
        return fail(`unknown osi proto '${name}'`);
      default:
        return PROTO_UNDEF;
    }
  }

  private checkProtoValue(v: number, proto: number): void {
    // Newer libpcap refuses values that cannot match; 1.10 silently compiled them.
    if ((proto === Q_DEFAULT || proto === Q_IP || proto === Q_IPV6) && v > 255) fail(`protocol number ${v} greater than maximum 255`);
    if (proto === Q_LINK && v > 0xffff) fail(`EtherType ${v} greater than maximum 65535`);
    if (proto === Q_LINK && v <= ETHERMTU && v > 255) fail(`LLC DSAP ${v} greater than maximum 255`);
    if (proto === Q_ISO && v > 255) fail(`ISO protocol ${v} greater than maximum 255`);
    if (proto === Q_ISIS && v > 31) fail(`IS-IS PDU type ${v} greater than maximum 31`);
  }

  private genProto(v: number, proto: number, dir: number): Block {
    if (dir !== Q_DEFAULT) fail("direction applied to 'proto'");
    let b0: Block, b1: Block, b2: Block;
    switch (proto) {
      case Q_DEFAULT:
        b0 = this.genProto(v, Q_IP, dir);
        b1 = this.genProto(v, Q_IPV6, dir);
        genOr(b0, b1);
        return b1;
      case Q_LINK:
        return this.genLinktype(v);
      case Q_IP:
        b0 = this.genLinktype(ETHERTYPE_IP);
        b1 = this.genCmp(OffRel.LINKPL, 9, BPF_B, v);
        genAnd(b0, b1);
        return b1;
      case Q_IPV6:
        b0 = this.genLinktype(ETHERTYPE_IPV6);
        b2 = this.genCmp(OffRel.LINKPL, 6, BPF_B, IPPROTO_FRAGMENT);
        b1 = this.genCmp(OffRel.LINKPL, 40, BPF_B, v);
        genAnd(b2, b1);
        b2 = this.genCmp(OffRel.LINKPL, 6, BPF_B, v);
        genOr(b2, b1);
        genAnd(b0, b1);
        return b1;
      case Q_ISO:
        b0 = this.genLinktype(LLCSAP_ISONS);
        b1 = this.genCmp(OffRel.LINKPL_NOSNAP, 0, BPF_B, v);
        genAnd(b0, b1);
        return b1;
      case Q_ISIS:
        b0 = this.genProto(ISO10589_ISIS, Q_ISO, Q_DEFAULT);
        b1 = this.genCmp(OffRel.LINKPL_NOSNAP, 4, BPF_B, v);
        genAnd(b0, b1);
        return b1;
      case Q_ARP: return fail('arp does not encapsulate another protocol');
      case Q_RARP: return fail('rarp does not encapsulate another protocol');
      case Q_ATALK: return fail('AppleTalk encapsulation is not specifiable');
      case Q_DECNET: return fail('DECNET encapsulation is not specifiable');
      case Q_LAT: return fail('LAT does not encapsulate another protocol');
      case Q_SCA: return fail('SCA does not encapsulate another protocol');
      case Q_MOPRC: return fail('MOPRC does not encapsulate another protocol');
      case Q_MOPDL: return fail('MOPDL does not encapsulate another protocol');
      case Q_CLNP: return fail("'clnp proto' is not supported");
      default: return fail(`'${PROTO_NAMES[proto]} proto' is bogus`);
    }
  }

  private genProtochain(v: number, proto: number): Block {
    // Allocated before the Q_DEFAULT split and, on that path, never freed: as libpcap does.
    const reg2 = this.allocReg();
    if (proto === Q_DEFAULT) {
      const b0 = this.genProtochain(v, Q_IP);
      const b = this.genProtochain(v, Q_IPV6);
      genOr(b0, b);
      return b;
    }
    if (proto !== Q_IP && proto !== Q_IPV6) fail("bad protocol applied for 'protochain'");
    if (this.offLinkpl.isVariable) fail("'protochain' not supported with variable length headers");
    this.noOptimize = true;
    const base = this.offLinkpl.constantPart + this.offNl;
    // The statements form a small loop over extension headers; jumps inside the list name their
    // target statements and are resolved to offsets when the program is laid out.
    const s: Slist[] = [];
    const add = (code: number, k = 0) => {
      const st = newStmt(code, k);
      s.push(st);
      return s.length - 1;
    };
    let b0: Block;
    if (proto === Q_IP) {
      b0 = this.genLinktype(ETHERTYPE_IP);
      add(BPF_LD | BPF_ABS | BPF_B, base + 9);
      add(BPF_LDX | BPF_MSH | BPF_B, base);
    } else {
      b0 = this.genLinktype(ETHERTYPE_IPV6);
      add(BPF_LD | BPF_ABS | BPF_B, base + 6);
      add(BPF_LDX | BPF_IMM, 40);
    }
    const again = s.length;
    const fix5 = add(BPF_JMP | BPF_JEQ | BPF_K, v);
    const fix2 = add(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_NONE);
    s[fix5].s.jf = s[fix2];
    let fix3 = -1;
    // Backward jumps are encoded as negative (wrapping) offsets, exactly as libpcap writes them.
    const jaBack = (at: number) => (again - at - 1) >>> 0;
    if (proto === Q_IPV6) {
      const v6start = s.length;
      add(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_HOPOPTS);
      s[fix2].s.jf = s[v6start];
      const d = add(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_DSTOPTS);
      s[d - 1].s.jf = s[d];
      const r = add(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ROUTING);
      s[r - 1].s.jf = s[r];
      const f = add(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_FRAGMENT);
      s[f - 1].s.jf = s[f];
      fix3 = f;
      const v6end = f;
      const v6advance = s.length;
      add(BPF_LD | BPF_IND | BPF_B, base);
      add(BPF_ST, reg2);
      add(BPF_LD | BPF_IND | BPF_B, base + 1);
      add(BPF_ALU | BPF_ADD | BPF_K, 1);
      add(BPF_ALU | BPF_MUL | BPF_K, 8);
      add(BPF_ALU | BPF_ADD | BPF_X, 0);
      add(BPF_MISC | BPF_TAX);
      add(BPF_LD | BPF_MEM, reg2);
      const ja = add(BPF_JMP | BPF_JA);
      s[ja].s.k = jaBack(ja);
      s[ja - 1].s.jf = s[ja];
      for (let j = v6start; j <= v6end; j++) s[j].s.jt = s[v6advance];
    } else {
      const nop = add(BPF_ALU | BPF_ADD | BPF_K, 0);
      s[fix2].s.jf = s[nop];
    }
    const ahcheck = add(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_AH);
    if (fix3 >= 0) s[fix3].s.jf = s[ahcheck];
    const fix4 = ahcheck;
    const t1 = add(BPF_MISC | BPF_TXA);
    s[t1 - 1].s.jt = s[t1];
    add(BPF_LD | BPF_IND | BPF_B, base);
    add(BPF_ST, reg2);
    const t2 = add(BPF_MISC | BPF_TXA);
    s[t2 - 1].s.jt = s[t2];
    add(BPF_ALU | BPF_ADD | BPF_K, 1);
    add(BPF_MISC | BPF_TAX);
    add(BPF_LD | BPF_IND | BPF_B, base);
    add(BPF_ALU | BPF_ADD | BPF_K, 2);
    add(BPF_ALU | BPF_MUL | BPF_K, 4);
    add(BPF_MISC | BPF_TAX);
    add(BPF_LD | BPF_MEM, reg2);
    const ja2 = add(BPF_JMP | BPF_JA);
    s[ja2].s.k = jaBack(ja2);
    const end = add(BPF_ALU | BPF_ADD | BPF_K, 0);
    s[fix2].s.jt = s[end];
    s[fix4].s.jf = s[end];
    s[fix5].s.jt = s[end];
    for (let i = 0; i < s.length - 1; i++) s[i].next = s[i + 1];
    const b = newBlock(JMP(BPF_JEQ), v);
    b.stmts = s[0];
    this.freeReg(reg2);
    genAnd(b0, b);
    return b;
  }

  // ---- identifiers
  private genScode(name: string, q: Qual): Block {
    const { proto, dir } = q;
    switch (q.addr) {
      case Q_NET: {
        let addr = this.opts.names.network(name) ?? 0;
        if (addr === 0) fail(`unknown network '${name}'`);
        let mask = 0xffffffff;
        while (addr && (addr & 0xff000000) === 0) {
          addr = (addr << 8) >>> 0;
          mask = (mask << 8) >>> 0;
        }
        return this.genHost(addr, mask, proto, dir, q.addr);
      }
      case Q_DEFAULT:
      case Q_HOST: {
        if (proto === Q_LINK) {
          if (this.linktype === DLT_EN10MB) {
            const eaddr = this.opts.names.ether(name);
            if (!eaddr) fail(`unknown ether host '${name}'`);
            const tmp = this.genPrevlinkhdrCheck();
            const b = this.genEhostop(eaddr!, dir);
            if (tmp) genAnd(tmp, b);
            return b;
          }
          return fail('only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name');
        }
        if (proto === Q_DECNET) return fail(`decnet name support not included, '${name}' cannot be translated\n`);
        const addrs = this.opts.names.host(name);
        if (addrs.length === 0) fail(`unknown host '${name}'`);
        let tproto = proto;
        let tproto6 = proto;
        if (this.offLinktype.constantPart === OFFSET_NOT_SET && tproto === Q_DEFAULT) {
          tproto = Q_IP;
          tproto6 = Q_IPV6;
        }
        let b: Block | null = null;
        for (const a of addrs) {
          let tmp: Block;
          if (a.family === 4) {
            if (tproto === Q_IPV6) continue;
            tmp = this.genHost(a.words[0], 0xffffffff, tproto, dir, q.addr);
          } else {
            // IPv4-only protocols skip a name's IPv6 addresses (newer libpcap; 1.10 gave an error).
            if (tproto6 === Q_IP || tproto6 === Q_ARP || tproto6 === Q_RARP) continue;
            tmp = this.genHost6(a.words, [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], tproto6, dir, q.addr);
          }
          if (b) genOr(b, tmp);
          b = tmp;
        }
        if (!b) fail(`unknown host '${name}'${proto === Q_DEFAULT ? '' : ' for specified address family'}`);
        return b!;
      }
      case Q_PORT:
      case Q_PORTRANGE: {
        const range = q.addr === Q_PORTRANGE;
        const what = range ? 'port in range' : 'port';
        if (proto !== Q_DEFAULT && proto !== Q_UDP && proto !== Q_TCP && proto !== Q_SCTP) fail(`illegal qualifier of '${range ? 'portrange' : 'port'}'`);
        let res: { port1: number; port2: number; proto: number } | undefined;
        if (range) {
          res = this.nameToPortrange(name);
          if (!res) fail(`unknown port in range '${name}'`);
        } else {
          const p = this.nameToPort(name);
          if (!p) fail(`unknown port '${name}'`);
          res = { port1: p!.port, port2: p!.port, proto: p!.proto };
        }
        let realProto = res!.proto;
        const want: Record<number, number> = { [Q_UDP]: IPPROTO_UDP, [Q_TCP]: IPPROTO_TCP, [Q_SCTP]: IPPROTO_SCTP };
        if (proto in want) {
          const pn: Record<number, string> = { [IPPROTO_UDP]: 'udp', [IPPROTO_TCP]: 'tcp', [IPPROTO_SCTP]: 'sctp' };
          if (realProto !== PROTO_UNDEF && realProto !== want[proto]) fail(`${what} '${name}' is ${pn[realProto]}`);
          realProto = want[proto];
        }
        for (const p of [res!.port1, res!.port2]) {
          if (p < 0) fail(`illegal port number ${p} < 0`);
          if (p > 65535) fail(`illegal port number ${p} > 65535`);
        }
        const b = this.genPort(res!.port1, realProto, dir, false, range ? res!.port2 : undefined);
        genOr(this.genPort(res!.port1, realProto, dir, true, range ? res!.port2 : undefined), b);
        return b;
      }
      case Q_GATEWAY:
        return this.genGateway(name, proto, dir);
      case Q_PROTO: {
        const real = this.lookupProto(name, proto);
        if (real >= 0) return this.genProto(real, proto, dir);
        return fail(`unknown protocol: ${name}`);
      }
      case Q_PROTOCHAIN: {
        const real = this.lookupProto(name, proto);
        if (real >= 0) return this.genProtochain(real, proto);
        return fail(`unknown protocol: ${name}`);
      }
      case Q_UNDEF:
        return fail('syntax error in filter expression');
    }
    return fail('syntax error in filter expression');
  }

  // "gateway NAME": the Ethernet address of NAME but none of its IPv4 addresses (a packet routed
  // through NAME). libpcap 1.10 left this out of IPv6-enabled builds; the shape is that of its
  // IPv4-only builds, which newer releases restored.
  private genGateway(name: string, proto: number, dir: number): Block {
    if (dir !== Q_DEFAULT) fail("direction applied to 'gateway'");
    if (proto !== Q_DEFAULT && proto !== Q_IP && proto !== Q_ARP && proto !== Q_RARP) fail(`'${PROTO_NAMES[proto]}' is not a valid qualifier for 'gateway'`);
    if (this.labelStackDepth) fail("'gateway' cannot be used within MPLS");
    if (this.isEncap) fail("'gateway' cannot be used within VXLAN or Geneve");
    if (this.linktype !== DLT_EN10MB) fail(`'gateway' not supported on ${DLT_NAMES[this.linktype] ?? this.description()}`);
    const eaddr = this.opts.names.ether(name);
    if (!eaddr) fail(`unknown Ethernet address for '${name}'`);
    const addrs = this.opts.names.host(name).filter((a) => a.family === 4).map((a) => a.words[0]).sort((a, b) => a - b);
    if (addrs.length === 0) fail(`unknown host '${name}'`);
    const b0 = this.genEhostop(eaddr!, Q_OR);
    // For each protocol carrying IPv4 addresses: that protocol, and none of the addresses.
    const protos: [number, number, number][] = [];
    if (proto === Q_DEFAULT || proto === Q_IP) protos.push([ETHERTYPE_IP, 12, 16]);
    if (proto === Q_DEFAULT || proto === Q_ARP) protos.push([ETHERTYPE_ARP, 14, 24]);
    if (proto === Q_DEFAULT || proto === Q_RARP) protos.push([ETHERTYPE_REVARP, 14, 24]);
    let acc: Block | null = null;
    for (const [ll, src, dst] of protos) {
      const lt = this.genLinktype(ll);
      let hb: Block | null = null;
      for (const a of addrs) {
        const s0 = this.genCmp(OffRel.LINKPL, src, BPF_W, a);
        const d0 = this.genCmp(OffRel.LINKPL, dst, BPF_W, a);
        genOr(s0, d0);
        if (hb) genOr(hb, d0);
        hb = d0;
      }
      genNot(hb!);
      genAnd(lt, hb!);
      if (acc) genOr(acc, hb!);
      acc = hb;
    }
    genAnd(b0, acc!);
    return acc!;
  }

  private nameToPort(name: string): { port: number; proto: number } | undefined {
    // getaddrinfo() takes a numeric service as is, for TCP and UDP alike.
    if (/^\d+$/.test(name)) return { port: Number(name), proto: PROTO_UNDEF };
    const tcp = this.opts.names.service(name, 'tcp');
    const udp = this.opts.names.service(name, 'udp');
    if (tcp !== undefined) return { port: tcp, proto: udp === tcp ? PROTO_UNDEF : IPPROTO_TCP };
    if (udp !== undefined) return { port: udp, proto: IPPROTO_UDP };
    if (name === 'nfs') return { port: 2049, proto: PROTO_UNDEF };
    return undefined;
  }

  private nameToPortrange(name: string): { port1: number; port2: number; proto: number } | undefined {
    const m = /^\s*([+-]?\d+)-([+-]?\d+)/.exec(name);
    if (m) return { port1: Number(m[1]), port2: Number(m[2]), proto: PROTO_UNDEF };
    const dash = name.indexOf('-');
    if (dash < 0) return undefined;
    const a = this.nameToPort(name.slice(0, dash));
    if (!a) return undefined;
    const b = this.nameToPort(name.slice(dash + 1));
    if (!b) return undefined;
    return { port1: a.port, port2: b.port, proto: a.proto !== b.proto ? PROTO_UNDEF : b.proto };
  }

  private genMcode(s1: string, s2: string | null, masklen: number, q: Qual): Block {
    const n1 = atoin(s1);
    if (n1.len < 0) fail(`invalid IPv4 address '${s1}'`);
    const n = n1.len === 32 ? n1.addr : (n1.addr << (32 - n1.len)) >>> 0;
    let m: number;
    if (s2 !== null) {
      const m1 = atoin(s2);
      if (m1.len < 0) fail(`invalid IPv4 address '${s2}'`);
      m = m1.len === 32 ? m1.addr : (m1.addr << (32 - m1.len)) >>> 0;
      if ((n & ~m) >>> 0 !== 0) fail(`non-network bits set in "${s1} mask ${s2}"`);
    } else {
      if (masklen > 32) fail('mask length must be <= 32');
      m = masklen === 0 ? 0 : (0xffffffff << (32 - masklen)) >>> 0;
      if ((n & ~m) >>> 0 !== 0) fail(`non-network bits set in "${s1}/${masklen}"`);
    }
    if (q.proto === Q_DECNET) fail("'decnet' is not a valid qualifier for 'net'");
    if (q.addr === Q_NET) return this.genHost(n, m, q.proto, q.dir, q.addr);
    return fail('Mask syntax for networks only');
  }

  private genNcode(s: string | null, v: number, q: Qual): Block {
    let proto = q.proto;
    const dir = q.dir;
    let vlen: number;
    if (q.proto === Q_DECNET) {
      // Only "decnet host AREA.NODE" exists (newer libpcap checks this strictly).
      if (q.addr !== Q_DEFAULT && q.addr !== Q_HOST) fail(`'decnet' is not a valid qualifier for '${ADDR_NAMES[q.addr] ?? 'this'}'`);
      if (s === null) fail(`invalid DECnet address '${v}'`);
    }
    if (s === null) vlen = 32;
    else if (q.proto === Q_DECNET) {
      const dn = atodn(s);
      if (dn === undefined) fail(`invalid DECnet address '${s}'`);
      v = dn!;
      vlen = 32;
    } else {
      const r = atoin(s);
      if (r.len < 0) fail(`invalid IPv4 address '${s}'`);
      v = r.addr;
      vlen = r.len;
    }
    switch (q.addr) {
      case Q_DEFAULT:
      case Q_HOST:
      case Q_NET: {
        if (proto === Q_DECNET) return this.genHost(v, 0, proto, dir, q.addr);
        if (proto === Q_LINK) return fail('illegal link layer address');
        let mask = 0xffffffff;
        if (s === null && q.addr === Q_NET) {
          while (v && (v & 0xff000000) === 0) {
            v = (v << 8) >>> 0;
            mask = (mask << 8) >>> 0;
          }
        } else if (vlen < 32) {
          v = (v << (32 - vlen)) >>> 0;
          mask = (mask << (32 - vlen)) >>> 0;
        }
        return this.genHost(v, mask, proto, dir, q.addr);
      }
      case Q_PORT:
      case Q_PORTRANGE: {
        const range = q.addr === Q_PORTRANGE;
        if (proto === Q_UDP) proto = IPPROTO_UDP;
        else if (proto === Q_TCP) proto = IPPROTO_TCP;
        else if (proto === Q_SCTP) proto = IPPROTO_SCTP;
        else if (proto === Q_DEFAULT) proto = PROTO_UNDEF;
        else fail(`illegal qualifier of '${range ? 'portrange' : 'port'}'`);
        if (v > 65535) fail(`illegal port number ${v} > 65535`);
        const b = this.genPort(v, proto, dir, false, range ? v : undefined);
        genOr(this.genPort(v, proto, dir, true, range ? v : undefined), b);
        return b;
      }
      case Q_GATEWAY:
        return fail("'gateway' requires a name");
      case Q_PROTO:
        this.checkProtoValue(v, proto);
        return this.genProto(v, proto, dir);
      case Q_PROTOCHAIN:
        this.checkProtoValue(v, proto);
        return this.genProtochain(v, proto);
      default:
        return fail('syntax error in filter expression');
    }
  }

  private genMcode6(s1: string, masklen: number, q: Qual): Block {
    const addr = parseIPv6(s1);
    if (!addr) fail(`invalid ip6 address ${s1}`);
    if (masklen > 128) fail('mask length must be <= 128');
    const mask = [0, 0, 0, 0];
    for (let i = 0; i < masklen; i++) mask[i >> 5] = (mask[i >> 5] | (0x80000000 >>> (i & 31))) >>> 0;
    if (addr!.some((w, i) => (w & ~mask[i]) >>> 0 !== 0)) fail(`non-network bits set in "${s1}/${masklen}"`);
    switch (q.addr) {
      case Q_DEFAULT:
      case Q_HOST:
        if (masklen !== 128) fail('Mask syntax for networks only');
        return this.genHost6(addr!, mask, q.proto, q.dir, q.addr);
      case Q_NET:
        return this.genHost6(addr!, mask, q.proto, q.dir, q.addr);
      default:
        return fail('invalid qualifier against IPv6 address');
    }
  }

  private genEcode(s: string, q: Qual): Block {
    if ((q.addr === Q_HOST || q.addr === Q_DEFAULT) && q.proto === Q_LINK) {
      const e = etherAton(s);
      if (this.linktype === DLT_EN10MB) {
        const tmp = this.genPrevlinkhdrCheck();
        const b = this.genEhostop(e, q.dir);
        if (tmp) genAnd(tmp, b);
        return b;
      }
      return fail('ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel');
    }
    return fail('ethernet address used in non-ether expression');
  }

  // ---- arithmetic
  private xferToX(a: ArthValue): Slist {
    return newStmt(BPF_LDX | BPF_MEM, a.regno);
  }
  private xferToA(a: ArthValue): Slist {
    return newStmt(BPF_LD | BPF_MEM, a.regno);
  }

  private genLoad(proto: number, inst: ArthValue, size: number): ArthValue {
    const regno = this.allocReg();
    this.freeReg(inst.regno);
    const sizeCode = size === 1 ? BPF_B : size === 2 ? BPF_H : size === 4 ? BPF_W : fail('data size must be 1, 2, or 4');
    let s: Slist;
    switch (proto) {
      case Q_RADIO:
        return fail('radio information not present in capture');
      case Q_LINK: {
        const v = this.genAbsOffsetVarpart(this.offLinkhdr);
        if (v) {
          s = v;
          sappend(s, this.xferToA(inst));
          sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_X));
          sappend(s, newStmt(BPF_MISC | BPF_TAX));
        } else s = this.xferToX(inst);
        sappend(s, newStmt(BPF_LD | BPF_IND | sizeCode, this.offLinkhdr.constantPart));
        sappend(inst.s, s);
        break;
      }
      case Q_IP: case Q_ARP: case Q_RARP: case Q_ATALK: case Q_DECNET: case Q_SCA: case Q_LAT: case Q_MOPRC:
      case Q_MOPDL: case Q_IPV6: {
        const v = this.genAbsOffsetVarpart(this.offLinkpl);
        if (v) {
          s = v;
          sappend(s, this.xferToA(inst));
          sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_X));
          sappend(s, newStmt(BPF_MISC | BPF_TAX));
        } else s = this.xferToX(inst);
        sappend(s, newStmt(BPF_LD | BPF_IND | sizeCode, this.offLinkpl.constantPart + this.offNl));
        sappend(inst.s, s);
        const b = this.genProtoAbbrev(proto);
        if (inst.b) genAnd(inst.b, b);
        inst.b = b;
        break;
      }
      case Q_SCTP: case Q_TCP: case Q_UDP: case Q_ICMP: case Q_IGMP: case Q_IGRP: case Q_PIM: case Q_VRRP:
      case Q_CARP: {
        s = this.genLoadxIphdrlen();
        sappend(s, this.xferToA(inst));
        sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_X));
        sappend(s, newStmt(BPF_MISC | BPF_TAX));
        sappend(s, newStmt(BPF_LD | BPF_IND | sizeCode, this.offLinkpl.constantPart + this.offNl));
        sappend(inst.s, s);
        const pa = this.genProtoAbbrev(proto);
        const b = this.genIpfrag();
        genAnd(pa, b);
        if (inst.b) genAnd(inst.b, b);
        genAnd(this.genProtoAbbrev(Q_IP), b);
        inst.b = b;
        break;
      }
      case Q_ICMPV6: {
        let b = this.genProtoAbbrev(Q_IPV6);
        if (inst.b) genAnd(inst.b, b);
        inst.b = b;
        b = this.genCmp(OffRel.LINKPL, 6, BPF_B, 58);
        if (inst.b) genAnd(inst.b, b);
        inst.b = b;
        const v = this.genAbsOffsetVarpart(this.offLinkpl);
        if (v) {
          s = v;
          sappend(s, this.xferToA(inst));
          sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_X));
          sappend(s, newStmt(BPF_MISC | BPF_TAX));
        } else s = this.xferToX(inst);
        sappend(s, newStmt(BPF_LD | BPF_IND | sizeCode, this.offLinkpl.constantPart + this.offNl + 40));
        sappend(inst.s, s);
        break;
      }
      default:
        return fail('unsupported index operation');
    }
    inst.regno = regno;
    sappend(inst.s, newStmt(BPF_ST, regno));
    return inst;
  }

  private genRelation(code: number, a0: ArthValue, a1: ArthValue, reversed: boolean): Block {
    const s0 = this.xferToX(a1);
    const s1 = this.xferToA(a0);
    let b: Block;
    if (code === BPF_JEQ) {
      const s2 = newStmt(BPF_ALU | BPF_SUB | BPF_X);
      b = newBlock(JMP(code));
      sappend(s1, s2);
    } else {
      b = newBlock(BPF_JMP | code | BPF_X);
    }
    if (reversed) genNot(b);
    sappend(s0, s1);
    sappend(a1.s, s0);
    sappend(a0.s, a1.s);
    b.stmts = a0.s;
    this.freeReg(a0.regno);
    this.freeReg(a1.regno);
    let tmp: Block | null;
    if (a0.b) {
      if (a1.b) {
        genAnd(a0.b, a1.b);
        tmp = a1.b;
      } else tmp = a0.b;
    } else tmp = a1.b;
    if (tmp) genAnd(tmp, b);
    return b;
  }

  private genLoadlen(): ArthValue {
    const regno = this.allocReg();
    const s = newStmt(BPF_LD | BPF_LEN);
    s.next = newStmt(BPF_ST, regno);
    return { b: null, s, regno };
  }

  private genLoadi(val: number): ArthValue {
    const reg = this.allocReg();
    const s = newStmt(BPF_LD | BPF_IMM, val);
    s.next = newStmt(BPF_ST, reg);
    return { b: null, s, regno: reg };
  }

  private genNeg(a: ArthValue): ArthValue {
    sappend(a.s, this.xferToA(a));
    sappend(a.s, newStmt(BPF_ALU | BPF_NEG));
    sappend(a.s, newStmt(BPF_ST, a.regno));
    return a;
  }

  private genArth(code: number, a0: ArthValue, a1: ArthValue): ArthValue {
    const isImm = a1.s.s.code === (BPF_LD | BPF_IMM);
    if (code === BPF_DIV && isImm && a1.s.s.k === 0) fail('division by zero');
    if (code === BPF_MOD && isImm && a1.s.s.k === 0) fail('modulus by zero');
    if ((code === BPF_LSH || code === BPF_RSH) && isImm && a1.s.s.k > 31) fail('shift by more than 31 bits');
    const s0 = this.xferToX(a1);
    const s1 = this.xferToA(a0);
    const s2 = newStmt(BPF_ALU | BPF_X | code);
    sappend(s1, s2);
    sappend(s0, s1);
    sappend(a1.s, s0);
    sappend(a0.s, a1.s);
    this.freeReg(a0.regno);
    this.freeReg(a1.regno);
    const st = newStmt(BPF_ST);
    a0.regno = this.allocReg();
    st.s.k = a0.regno;
    sappend(a0.s, st);
    // libpcap keeps only the left operand's protocol checks here (a1.b is dropped); so do we,
    // since the aim is the same program.
    return a0;
  }

  private genLen(jmp: number, n: number): Block {
    const b = newBlock(JMP(jmp), n);
    b.stmts = newStmt(BPF_LD | BPF_LEN);
    return b;
  }

  private genByteop(op: string, idx: number, val: number): Block {
    if (val > 255) fail(`byte argument ${val} greater than maximum 255`);
    switch (op) {
      case '=': return this.genCmp(OffRel.LINKHDR, idx, BPF_B, val);
      case '<': return this.genCmpLt(OffRel.LINKHDR, idx, BPF_B, val);
      case '>': return this.genCmpGt(OffRel.LINKHDR, idx, BPF_B, val);
    }
    // libpcap 1.10 forgot to load the byte here; later releases load it, and so do we.
    const s = this.genLoadA(OffRel.LINKHDR, idx, BPF_B);
    sappend(s, newStmt(BPF_ALU | (op === '|' ? BPF_OR : BPF_AND) | BPF_K, val));
    const b = newBlock(JMP(BPF_JEQ), 0);
    b.stmts = s;
    genNot(b);
    return b;
  }

  private genBroadcast(proto: number): Block {
    switch (proto) {
      case Q_DEFAULT:
      case Q_LINK:
        if (this.linktype === DLT_EN10MB) {
          const b1 = this.genPrevlinkhdrCheck();
          const b0 = this.genEhostop(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), Q_DST);
          if (b1) genAnd(b1, b0);
          return b0;
        }
        return fail('not a broadcast link');
      case Q_IP: {
        if (this.opts.netmask >>> 0 === 0xffffffff) fail("netmask not known, so 'ip broadcast' not supported");
        const b0 = this.genLinktype(ETHERTYPE_IP);
        const hostmask = ~this.opts.netmask >>> 0;
        const b1 = this.genMcmp(OffRel.LINKPL, 16, BPF_W, 0, hostmask);
        const b2 = this.genMcmp(OffRel.LINKPL, 16, BPF_W, hostmask, hostmask);
        genOr(b1, b2);
        genAnd(b0, b2);
        return b2;
      }
    }
    return fail('only link-layer/IP broadcast filters supported');
  }

  private genMacMulticast(offset: number): Block {
    const b0 = newBlock(JMP(BPF_JSET), 1);
    b0.stmts = this.genLoadA(OffRel.LINKHDR, offset, BPF_B);
    return b0;
  }

  private genMulticast(proto: number): Block {
    switch (proto) {
      case Q_DEFAULT:
      case Q_LINK:
        if (this.linktype === DLT_EN10MB) {
          const b1 = this.genPrevlinkhdrCheck();
          const b0 = this.genMacMulticast(0);
          if (b1) genAnd(b1, b0);
          return b0;
        }
        break;
      case Q_IP: {
        const b0 = this.genLinktype(ETHERTYPE_IP);
        const b1 = this.genCmpGe(OffRel.LINKPL, 16, BPF_B, 224);
        genAnd(b0, b1);
        return b1;
      }
      case Q_IPV6: {
        const b0 = this.genLinktype(ETHERTYPE_IPV6);
        const b1 = this.genCmp(OffRel.LINKPL, 24, BPF_B, 255);
        genAnd(b0, b1);
        return b1;
      }
    }
    return fail('link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel');
  }

  private genIfindex(ifindex: number): Block {
    if (this.linktype === DLT_LINUX_SLL2) return this.genCmp(OffRel.LINKHDR, 4, BPF_W, ifindex);
    // On a live Linux socket the kernel answers this through an ancillary load.
    return this.genCmp(OffRel.LINKHDR, (SKF_AD_OFF + SKF_AD_IFINDEX) >>> 0, BPF_W, ifindex);
  }

  private genInbound(outbound: boolean): Block {
    let b0: Block;
    switch (this.linktype) {
      case DLT_LINUX_SLL:
        b0 = this.genCmp(OffRel.LINKHDR, 0, BPF_H, LINUX_SLL_OUTGOING);
        break;
      case DLT_LINUX_SLL2:
        b0 = this.genCmp(OffRel.LINKHDR, 10, BPF_B, LINUX_SLL_OUTGOING);
        break;
      default:
        b0 = this.genCmp(OffRel.LINKHDR, (SKF_AD_OFF + SKF_AD_PKTTYPE) >>> 0, BPF_H, PACKET_OUTGOING);
    }
    if (!outbound) genNot(b0);
    return b0;
  }

  // ---- VLAN, MPLS, PPPoE, Geneve: these move the offsets of everything after them
  private genVlanTpidTest(): Block {
    const b0 = this.genLinktype(ETHERTYPE_8021Q);
    const b1 = this.genLinktype(ETHERTYPE_8021AD);
    genOr(b0, b1);
    const b2 = this.genLinktype(ETHERTYPE_8021QINQ);
    genOr(b1, b2);
    return b2;
  }

  private genVlanVidTest(vlan: number): Block {
    if (vlan > 0x0fff) fail(`VLAN tag ${vlan} greater than maximum 4095`);
    return this.genMcmp(OffRel.LINKPL, 0, BPF_H, vlan, 0x0fff);
  }

  private genVlanNoBpfExtensions(vlan: number, hasTag: boolean): Block {
    let b0 = this.genVlanTpidTest();
    if (hasTag) {
      const b1 = this.genVlanVidTest(vlan);
      genAnd(b0, b1);
      b0 = b1;
    }
    this.offLinkpl.constantPart += 4;
    this.offLinktype.constantPart += 4;
    return b0;
  }

  private genVlanVloffsetAdd(off: AbsOffset, v: number, s: Slist): void {
    off.isVariable = true;
    if (off.reg === -1) off.reg = this.allocReg();
    sappend(s, newStmt(BPF_LD | BPF_MEM, off.reg));
    sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_K, v));
    sappend(s, newStmt(BPF_ST, off.reg));
  }

  private genVlanBpfExtensions(vlan: number, hasTag: boolean): Block {
    let b0 = newBlock(JMP(BPF_JEQ), 1);
    b0.stmts = newStmt(BPF_LD | BPF_B | BPF_ABS, (SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT) >>> 0);
    const bTpid = this.genVlanTpidTest();
    const bVid = hasTag ? this.genVlanVidTest(vlan) : null;
    // Patch the TPID test so that a tag found in the packet moves the offsets by 4.
    this.isVlanVloffset = true;
    const head: Slist = newStmt(0);
    this.genVlanVloffsetAdd(this.offLinkpl, 4, head);
    this.genVlanVloffsetAdd(this.offLinktype, 4, head);
    sappend(head.next!, bTpid.head.stmts);
    bTpid.head.stmts = head.next;
    genOr(b0, bTpid);
    b0 = bTpid;
    if (bVid) {
      const s = newStmt(BPF_LD | BPF_B | BPF_ABS, (SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT) >>> 0);
      const sjeq = newStmt(JMP(BPF_JEQ), 1);
      sjeq.s.jf = bVid.stmts;
      sappend(s, sjeq);
      const s2 = newStmt(BPF_LD | BPF_B | BPF_ABS, (SKF_AD_OFF + SKF_AD_VLAN_TAG) >>> 0);
      sappend(s, s2);
      sjeq.s.jt = s2;
      let cnt = 0;
      for (let p = bVid.stmts; p; p = p.next) cnt++;
      sappend(s, newStmt(JMP(BPF_JA), cnt - 1));
      sappend(s, bVid.stmts);
      bVid.stmts = s;
      genAnd(b0, bVid);
      b0 = bVid;
    }
    return b0;
  }

  private genVlan(vlan: number, hasTag: boolean): Block {
    if (this.labelStackDepth > 0) fail('no VLAN match after MPLS');
    if (this.linktype !== DLT_EN10MB) fail(`no VLAN support for ${this.description()}`);
    let b0: Block;
    if (this.opts.vlanExtensions && this.vlanStackDepth === 0 && !this.offLinkhdr.isVariable &&
        this.offLinkhdr.constantPart === this.offOutermostlinkhdr.constantPart) {
      b0 = this.genVlanBpfExtensions(vlan, hasTag);
    } else {
      b0 = this.genVlanNoBpfExtensions(vlan, hasTag);
    }
    this.vlanStackDepth++;
    return b0;
  }

  private genMpls(label: number, hasLabel: boolean): Block {
    let b0: Block;
    if (this.labelStackDepth > 0) {
      b0 = this.genMcmp(OffRel.PREVMPLSHDR, 2, BPF_B, 0, 0x01);
    } else if (this.linktype === DLT_EN10MB) {
      b0 = this.genLinktype(ETHERTYPE_MPLS);
    } else if (this.linktype === DLT_PPP) {
      b0 = this.genLinktype(PPP_MPLS_UCAST);
    } else {
      return fail(`no MPLS support for ${this.description()}`);
    }
    if (hasLabel) {
      if (label > 0xfffff) fail(`MPLS label ${label} greater than maximum 1048575`);
      const b1 = this.genMcmp(OffRel.LINKPL, 0, BPF_W, (label << 12) >>> 0, 0xfffff000);
      genAnd(b0, b1);
      b0 = b1;
    }
    this.offNlNosnap += 4;
    this.offNl += 4;
    this.labelStackDepth++;
    return b0;
  }

  private pushLinkhdr(linktype: number, isVariable: boolean, constantPart: number, reg: number): void {
    this.prevlinktype = this.linktype;
    this.offPrevlinkhdr = { ...this.offLinkhdr };
    this.linktype = linktype;
    this.offLinkhdr = { isVariable, constantPart, reg };
    this.isEncap = false;
  }

  private genPppoes(sess: number, hasSess: boolean): Block {
    let b0 = this.genLinktype(ETHERTYPE_PPPOES);
    if (hasSess) {
      if (sess > 0xffff) fail(`PPPoE session number ${sess} greater than maximum 65535`);
      const b1 = this.genMcmp(OffRel.LINKPL, 0, BPF_W, sess, 0x0000ffff);
      genAnd(b0, b1);
      b0 = b1;
    }
    this.pushLinkhdr(DLT_PPP, this.offLinkpl.isVariable, this.offLinkpl.constantPart + this.offNl + 6, this.offLinkpl.reg);
    this.offLinktype = { ...this.offLinkhdr };
    this.offLinkpl.constantPart = this.offLinkhdr.constantPart + 2;
    this.offNl = 0;
    this.offNlNosnap = 0;
    return b0;
  }

  private genGeneveCheck(v6: boolean, vni: number, hasVni: boolean): Block {
    // Version 0: the top two bits of the first header byte are clear.
    return this.genTunnelHeaderCheck(v6, GENEVE_PORT, (rel) => this.genMcmp(rel, 8, BPF_B, 0, 0xc0), 'Geneve', vni, hasVni);
  }

  /**
   * UDP to the tunnel's port, the tunnel's own test of its first header byte, and the VNI (in the
   * header's bytes 4-6 for both geneve and vxlan) when one is given.
   */
  private genTunnelHeaderCheck(v6: boolean, port: number, first: (rel: OffRel) => Block, name: string, vni: number, hasVni: boolean): Block {
    let b0 = this.genPort(port, IPPROTO_UDP, Q_DST, v6);
    const rel = v6 ? OffRel.TRAN_IPV6 : OffRel.TRAN_IPV4;
    let b1 = first(rel);
    genAnd(b0, b1);
    b0 = b1;
    if (hasVni) {
      if (vni > 0xffffff) fail(`${name} VNI ${vni} greater than maximum 16777215`);
      b1 = this.genMcmp(rel, 12, BPF_W, (vni << 8) >>> 0, 0xffffff00);
      genAnd(b0, b1);
      b0 = b1;
    }
    return b0;
  }


  private genGeneve(vni: number, hasVni: boolean): Block {
    return this.genUdpEncap((v6) => this.genGeneveCheck(v6, vni, hasVni), () => this.genGeneveOffsets());
  }

  /**
   * A UDP tunnel (geneve, vxlan), libpcap's way: each IP version's header test leaves the IP
   * header length (plus any variable link prefix) in A, then `offsets` moves the link-layer
   * offsets past the UDP and tunnel headers to the inner frame.
   */
  private genUdpEncap(check: (v6: boolean) => Block, offsets: () => Slist): Block {
    // IPv4: leave the IP header length in A and X.
    let b0 = check(false);
    const s4 = this.genLoadxIphdrlen();
    sappend(s4, newStmt(BPF_MISC | BPF_TXA));
    let b1 = newBlock(BPF_JMP | BPF_JEQ | BPF_X);
    b1.stmts = s4;
    genAnd(b0, b1);
    b0 = b1;
    // IPv6: the fixed 40-byte header.
    const c6 = check(true);
    let s6 = this.genAbsOffsetVarpart(this.offLinkpl);
    if (s6) {
      sappend(s6, newStmt(BPF_LD | BPF_IMM, 40));
      sappend(s6, newStmt(BPF_ALU | BPF_ADD | BPF_X));
    } else {
      s6 = newStmt(BPF_LD | BPF_IMM, 40);
    }
    sappend(s6, newStmt(BPF_MISC | BPF_TAX));
    b1 = newBlock(BPF_JMP | BPF_JEQ | BPF_X);
    b1.stmts = s6;
    genAnd(c6, b1);
    genOr(b0, b1);
    b0 = b1;
    const s = offsets();
    b1 = this.genTrue();
    sappend(s, b1.stmts);
    b1.stmts = s;
    genAnd(b0, b1);
    this.isEncap = true;
    return b1;
  }

  private genGeneveOffsets(): Slist {
    const s = newStmt(BPF_ALU | BPF_ADD | BPF_K, this.offLinkpl.constantPart + this.offNl + 8);
    sappend(s, newStmt(BPF_MISC | BPF_TAX));
    sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_K, 2));
    this.inRegister(this.offLinktype);
    sappend(s, newStmt(BPF_ST, this.offLinktype.reg));
    sappend(s, newStmt(BPF_LD | BPF_IND | BPF_B, 0));
    sappend(s, newStmt(BPF_ALU | BPF_AND | BPF_K, 0x3f));
    sappend(s, newStmt(BPF_ALU | BPF_MUL | BPF_K, 4));
    sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_K, 8));
    sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_X));
    this.pushLinkhdr(DLT_EN10MB, true, 0, this.allocReg());
    sappend(s, newStmt(BPF_ST, this.offLinkhdr.reg));
    this.noOptimize = true;
    sappend(s, newStmt(BPF_LD | BPF_IND | BPF_H, 2));
    sappend(s, newStmt(BPF_LDX | BPF_MEM, this.offLinkhdr.reg));
    const sProto = newStmt(JMP(BPF_JEQ), ETHERTYPE_TEB);
    sappend(s, sProto);
    const txa = newStmt(BPF_MISC | BPF_TXA);
    sappend(s, txa);
    sProto.s.jt = txa;
    sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_K, 12));
    sappend(s, newStmt(BPF_ST, this.offLinktype.reg));
    sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_K, 2));
    sappend(s, newStmt(BPF_MISC | BPF_TAX));
    this.inRegister(this.offLinkpl);
    const stx = newStmt(BPF_STX, this.offLinkpl.reg);
    sappend(s, stx);
    sProto.s.jf = stx;
    this.offNl = 0;
    return s;
  }

  // VXLAN (RFC 7348): UDP to port 4789, an 8-byte header whose first byte has the I flag (and
  // nothing else) set and whose bytes 4-6 are the VNI, then always an Ethernet frame.
  private genVxlanCheck(v6: boolean, vni: number, hasVni: boolean): Block {
    // The I flag, and no other, in the first header byte.
    return this.genTunnelHeaderCheck(v6, VXLAN_PORT, (rel) => this.genCmp(rel, 8, BPF_B, 0x08), 'VXLAN', vni, hasVni);
  }


  private genVxlan(vni: number, hasVni: boolean): Block {
    return this.genUdpEncap((v6) => this.genVxlanCheck(v6, vni, hasVni), () => this.genVxlanOffsets());
  }

  private genVxlanOffsets(): Slist {
    // A holds the IP header length: add the link prefix, UDP header and VXLAN header.
    const s = newStmt(BPF_ALU | BPF_ADD | BPF_K, this.offLinkpl.constantPart + this.offNl + 8);
    sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_K, 8));
    this.pushLinkhdr(DLT_EN10MB, true, 0, this.allocReg());
    sappend(s, newStmt(BPF_ST, this.offLinkhdr.reg));
    // The inner EtherType is the link type; two bytes on starts the inner payload.
    sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_K, 12));
    this.inRegister(this.offLinktype);
    sappend(s, newStmt(BPF_ST, this.offLinktype.reg));
    sappend(s, newStmt(BPF_ALU | BPF_ADD | BPF_K, 2));
    sappend(s, newStmt(BPF_MISC | BPF_TAX));
    this.inRegister(this.offLinkpl);
    sappend(s, newStmt(BPF_STX, this.offLinkpl.reg));
    this.offNl = 0;
    return s;
  }

  /** From now on the offset is wholly in a new scratch register (a tunnel's inner headers). */
  private inRegister(off: AbsOffset): void {
    off.reg = this.allocReg();
    off.isVariable = true;
    off.constantPart = 0;
  }

  private genEncapLlCheck(): Block {
    const s = newStmt(BPF_LD | BPF_MEM, this.offLinkhdr.reg);
    sappend(s, newStmt(BPF_LDX | BPF_MEM, this.offLinkpl.reg));
    const b0 = newBlock(BPF_JMP | BPF_JEQ | BPF_X);
    b0.stmts = s;
    genNot(b0);
    return b0;
  }

  private insertComputeVloffsets(b: Block): void {
    if (this.offLinkpl.reg !== -1 && this.offLinkhdr.isVariable && this.offLinkhdr.reg === -1) {
      this.offLinkhdr.reg = this.allocReg();
    }
    if (!this.isVlanVloffset) return;
    if (this.offLinkpl.reg === -1) this.offLinkpl.reg = this.allocReg();
    if (this.offLinktype.reg === -1) this.offLinktype.reg = this.allocReg();
    const s = newStmt(BPF_LD | BPF_W | BPF_IMM, 0);
    sappend(s, newStmt(BPF_ST, this.offLinkpl.reg));
    sappend(s, newStmt(BPF_ST, this.offLinktype.reg));
    sappend(s, b.stmts);
    b.stmts = s;
  }
}

// finish_parse(): open true branches accept, open false branches reject.
function backpatchAll(p: Block, accept: Block, reject: Block): void {
  const patch = (list: Block | null, target: Block) => {
    while (list) {
      let next: Block | null;
      if (!list.sense) {
        next = list.et.succ;
        list.et.succ = target;
      } else {
        next = list.ef.succ;
        list.ef.succ = target;
      }
      list = next;
    }
  };
  patch(p, accept);
  p.sense = !p.sense;
  patch(p, reject);
}

const ADDR_NAMES: Record<number, string> = {
  [Q_HOST]: 'host', [Q_NET]: 'net', [Q_PORT]: 'port', [Q_GATEWAY]: 'gateway', [Q_PROTO]: 'proto',
  [Q_PROTOCHAIN]: 'protochain', [Q_PORTRANGE]: 'portrange',
};

const ETHER_PROTOS: Record<string, number> = {
  aarp: ETHERTYPE_AARP, arp: ETHERTYPE_ARP, atalk: ETHERTYPE_ATALK, decnet: ETHERTYPE_DN, ip: ETHERTYPE_IP,
  ip6: ETHERTYPE_IPV6, lat: ETHERTYPE_LAT, loopback: 0x9000, mopdl: ETHERTYPE_MOPDL, moprc: ETHERTYPE_MOPRC,
  rarp: ETHERTYPE_REVARP, sca: ETHERTYPE_SCA,
  // Names added after libpcap 1.10.
  lldp: 0x88cc, slow: 0x8809,
};
const LLC_PROTOS: Record<string, number> = { iso: LLCSAP_ISONS, stp: LLCSAP_8021D, ipx: LLCSAP_IPX, netbeui: LLCSAP_NETBEUI };

function ethertypeToPpptype(p: number): number {
  switch (p) {
    case ETHERTYPE_IP: return PPP_IP;
    case ETHERTYPE_IPV6: return PPP_IPV6;
    case ETHERTYPE_DN: return PPP_DECNET;
    case ETHERTYPE_ATALK: return PPP_APPLE;
    case ETHERTYPE_NS: return PPP_NS;
    case LLCSAP_ISONS: return PPP_OSI;
    case LLCSAP_8021D: return PPP_BRPDU;
    case LLCSAP_IPX: return PPP_IPX;
    default: return p;
  }
}

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | ((v >>> 24) & 0xff)) >>> 0;
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

// Keep the unused-name checker quiet about opcodes listed for completeness.
void BPF_JA; void BPF_STX; void BPF_NEG; void BPF_MOD; void BPF_DIV; void BPF_SUB; void BPF_MUL;

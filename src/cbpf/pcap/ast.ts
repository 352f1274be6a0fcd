// The parse of a filter expression. Nodes keep the qualifiers that libpcap's grammar hands from
// one primitive to the next ("host a or b" gives "b" the qualifiers of "host a"), so that code
// generation can run in the grammar's reduction order.

// Address qualifiers (gencode.h Q_HOST...).
export const Q_HOST = 1, Q_NET = 2, Q_PORT = 3, Q_GATEWAY = 4, Q_PROTO = 5, Q_PROTOCHAIN = 6, Q_PORTRANGE = 7;
// Protocol qualifiers.
export const Q_LINK = 1, Q_IP = 2, Q_ARP = 3, Q_RARP = 4, Q_SCTP = 5, Q_TCP = 6, Q_UDP = 7, Q_ICMP = 8,
  Q_IGMP = 9, Q_IGRP = 10, Q_ATALK = 11, Q_DECNET = 12, Q_LAT = 13, Q_SCA = 14, Q_MOPRC = 15, Q_MOPDL = 16,
  Q_IPV6 = 17, Q_ICMPV6 = 18, Q_AH = 19, Q_ESP = 20, Q_PIM = 21, Q_VRRP = 22, Q_AARP = 23, Q_ISO = 24,
  Q_ESIS = 25, Q_ISIS = 26, Q_CLNP = 27, Q_STP = 28, Q_IPX = 29, Q_NETBEUI = 30, Q_ISIS_L1 = 31,
  Q_ISIS_L2 = 32, Q_ISIS_IIH = 33, Q_ISIS_SNP = 34, Q_ISIS_CSNP = 35, Q_ISIS_PSNP = 36, Q_ISIS_LSP = 37,
  Q_RADIO = 38, Q_CARP = 39;
// Direction qualifiers.
export const Q_SRC = 1, Q_DST = 2, Q_OR = 3, Q_AND = 4, Q_ADDR1 = 5, Q_ADDR2 = 6, Q_ADDR3 = 7, Q_ADDR4 = 8,
  Q_RA = 9, Q_TA = 10;
export const Q_DEFAULT = 0;
export const Q_UNDEF = 255;

export interface Qual {
  addr: number;
  proto: number;
  dir: number;
}

export const QERR: Qual = { addr: Q_UNDEF, proto: Q_UNDEF, dir: Q_UNDEF };

/** Where a node came from in the expression (0-based offset, length), for error carets. */
export interface Span {
  pos: number;
  len: number;
}

export type Arth =
  | ({ t: 'loadi'; v: number } & Span)
  | ({ t: 'loadlen' } & Span)
  | ({ t: 'load'; proto: number; inst: Arth; size: number } & Span)
  | ({ t: 'arth'; op: number; a0: Arth; a1: Arth } & Span)
  | ({ t: 'neg'; a: Arth } & Span);

export type Other =
  | { kind: 'broadcast' | 'multicast'; proto: number }
  | { kind: 'less' | 'greater'; n: number }
  | { kind: 'byte'; idx: number; op: string; val: number }
  | { kind: 'inbound' | 'outbound' }
  | { kind: 'ifindex'; n: number }
  | { kind: 'vlan' | 'mpls' | 'pppoes' | 'geneve' | 'vxlan'; n?: number }
  | { kind: 'pppoed' }
  | { kind: 'llc'; sub?: string }
  | { kind: 'unsupported'; what: string; message: string };

export type Node =
  | ({ t: 'and' | 'or'; l: Node; r: Node } & Span)
  | ({ t: 'not'; e: Node } & Span)
  | ({ t: 'scode'; name: string; q: Qual } & Span)
  | ({ t: 'mcode'; s1: string; s2: string | null; masklen: number; q: Qual } & Span)
  | ({ t: 'ncode'; s: string | null; v: number; q: Qual; hid: boolean } & Span)
  | ({ t: 'mcode6'; s1: string; masklen: number; q: Qual } & Span)
  | ({ t: 'ecode'; s: string; q: Qual } & Span)
  | ({ t: 'acode'; s: string; q: Qual } & Span)
  | ({ t: 'abbrev'; proto: number } & Span)
  | ({ t: 'relation'; code: number; a0: Arth; a1: Arth; reversed: boolean } & Span)
  | ({ t: 'other'; o: Other } & Span);

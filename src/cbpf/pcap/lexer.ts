// Tokens of the pcap-filter language, split the way libpcap's scanner splits them: at each
// position the longest match wins and, on a tie, the rule listed first (keywords before names,
// Ethernet addresses before numbers before dotted addresses before plain names).
import { ParseError } from '../../sys/errors.js';

export type TokenKind =
  | 'KW' // a keyword; `text` is its canonical name (e.g. 'LINK' for ether/fddi/ppp...)
  | 'NUM'
  | 'ID'
  | 'HID' // dotted IPv4 (1 to 4 parts)
  | 'HID6'
  | 'EID' // Ethernet address
  | 'AID' // ARCnet address ($xx)
  | 'OP' // one of + - * / % : [ ] ! < > ( ) & | ^ = >= <= != << >>
  | 'EOF';

export interface Token {
  kind: TokenKind;
  /** Keyword name, operator, or the identifier/address text (backslash removed). */
  text: string;
  /** Numeric value for NUM. */
  value: number;
  /** 0-based offset of the token in the expression, and its length. */
  pos: number;
  len: number;
}

// Keyword spelling → token name (grammar terminal).
const KEYWORDS: Record<string, string> = {
  dst: 'DST', src: 'SRC',
  link: 'LINK', ether: 'LINK', ppp: 'LINK', slip: 'LINK', fddi: 'LINK', tr: 'LINK', wlan: 'LINK',
  arp: 'ARP', rarp: 'RARP', ip: 'IP', sctp: 'SCTP', tcp: 'TCP', udp: 'UDP', icmp: 'ICMP', igmp: 'IGMP',
  igrp: 'IGRP', pim: 'PIM', vrrp: 'VRRP', carp: 'CARP', radio: 'RADIO',
  ip6: 'IPV6', icmp6: 'ICMPV6', ah: 'AH', esp: 'ESP',
  atalk: 'ATALK', aarp: 'AARP', decnet: 'DECNET', lat: 'LAT', sca: 'SCA', moprc: 'MOPRC', mopdl: 'MOPDL',
  iso: 'ISO', esis: 'ESIS', 'es-is': 'ESIS', isis: 'ISIS', 'is-is': 'ISIS', l1: 'L1', l2: 'L2', iih: 'IIH',
  lsp: 'LSP', snp: 'SNP', csnp: 'CSNP', psnp: 'PSNP', clnp: 'CLNP', stp: 'STP', ipx: 'IPX', netbeui: 'NETBEUI',
  host: 'HOST', net: 'NET', mask: 'NETMASK', port: 'PORT', portrange: 'PORTRANGE', proto: 'PROTO',
  protochain: 'PROTOCHAIN', gateway: 'GATEWAY',
  type: 'TYPE', subtype: 'SUBTYPE', direction: 'DIR', dir: 'DIR', address1: 'ADDR1', addr1: 'ADDR1',
  address2: 'ADDR2', addr2: 'ADDR2', address3: 'ADDR3', addr3: 'ADDR3', address4: 'ADDR4', addr4: 'ADDR4',
  ra: 'RA', ta: 'TA',
  less: 'LESS', greater: 'GREATER', byte: 'CBYTE', broadcast: 'TK_BROADCAST', multicast: 'TK_MULTICAST',
  and: 'AND', or: 'OR', not: '!',
  len: 'LEN', length: 'LEN', inbound: 'INBOUND', outbound: 'OUTBOUND', ifindex: 'IFINDEX',
  vlan: 'VLAN', mpls: 'MPLS', pppoed: 'PPPOED', pppoes: 'PPPOES', geneve: 'GENEVE', vxlan: 'VXLAN',
  lane: 'LANE', llc: 'LLC', metac: 'METAC', bcc: 'BCC', oam: 'OAM', oamf4: 'OAMF4', oamf4ec: 'OAMF4EC',
  oamf4sc: 'OAMF4SC', sc: 'SC', ilmic: 'ILMIC', vpi: 'VPI', vci: 'VCI', connectmsg: 'CONNECTMSG',
  metaconnect: 'METACONNECT',
  on: 'PF_IFNAME', ifname: 'PF_IFNAME', rset: 'PF_RSET', ruleset: 'PF_RSET', rnr: 'PF_RNR', rulenum: 'PF_RNR',
  srnr: 'PF_SRNR', subrulenum: 'PF_SRNR', reason: 'PF_REASON', action: 'PF_ACTION',
  fisu: 'FISU', lssu: 'LSSU', lsu: 'LSSU', msu: 'MSU', hfisu: 'HFISU', hlssu: 'HLSSU', hmsu: 'HMSU',
  sio: 'SIO', opc: 'OPC', dpc: 'DPC', sls: 'SLS', hsio: 'HSIO', hopc: 'HOPC', hdpc: 'HDPC', hsls: 'HSLS',
};

// Named constants the scanner turns into numbers (icmptype, tcp-syn, ...).
const NAMED_NUMBERS: Record<string, number> = {
  icmptype: 0, icmpcode: 1, 'icmp-echoreply': 0, 'icmp-unreach': 3, 'icmp-sourcequench': 4, 'icmp-redirect': 5,
  'icmp-echo': 8, 'icmp-routeradvert': 9, 'icmp-routersolicit': 10, 'icmp-timxceed': 11, 'icmp-paramprob': 12,
  'icmp-tstamp': 13, 'icmp-tstampreply': 14, 'icmp-ireq': 15, 'icmp-ireqreply': 16, 'icmp-maskreq': 17,
  'icmp-maskreply': 18,
  icmp6type: 0, icmp6code: 1, 'icmp6-destinationunreach': 1, 'icmp6-packettoobig': 2, 'icmp6-timeexceeded': 3,
  'icmp6-parameterproblem': 4, 'icmp6-echo': 128, 'icmp6-echoreply': 129, 'icmp6-multicastlistenerquery': 130,
  'icmp6-multicastlistenerreportv1': 131, 'icmp6-multicastlistenerdone': 132, 'icmp6-routersolicit': 133,
  'icmp6-routeradvert': 134, 'icmp6-neighborsolicit': 135, 'icmp6-neighboradvert': 136, 'icmp6-redirect': 137,
  'icmp6-routerrenum': 138, 'icmp6-nodeinformationquery': 139, 'icmp6-nodeinformationresponse': 140,
  'icmp6-ineighbordiscoverysolicit': 141, 'icmp6-ineighbordiscoveryadvert': 142,
  'icmp6-multicastlistenerreportv2': 143, 'icmp6-homeagentdiscoveryrequest': 144,
  'icmp6-homeagentdiscoveryreply': 145, 'icmp6-mobileprefixsolicit': 146, 'icmp6-mobileprefixadvert': 147,
  'icmp6-certpathsolicit': 148, 'icmp6-certpathadvert': 149, 'icmp6-multicastrouteradvert': 151,
  'icmp6-multicastroutersolicit': 152, 'icmp6-multicastrouterterm': 153,
  tcpflags: 13, 'tcp-fin': 0x01, 'tcp-syn': 0x02, 'tcp-rst': 0x04, 'tcp-push': 0x08, 'tcp-ack': 0x10,
  'tcp-urg': 0x20, 'tcp-ece': 0x40, 'tcp-cwr': 0x80,
};

const B = '[0-9A-Fa-f][0-9A-Fa-f]?';
const B2 = '[0-9A-Fa-f]{4}';
const W = '[0-9A-Fa-f]{1,4}';
const N = '(?:0[Xx][0-9A-Fa-f]+|[0-9]+)';
const V4 = `${N}\\.${N}\\.${N}\\.${N}`;

// The IPv6 forms of the scanner: 8 groups, or fewer around one "::", optionally ending in a dotted quad.
function v6Forms(): RegExp[] {
  const forms: string[] = [`${W}(?::${W}){7}`];
  const groups = (n: number) => Array.from({ length: n }, () => W).join(':');
  for (let total = 7; total >= 0; total--) {
    for (let before = 0; before <= total; before++) {
      const after = total - before;
      forms.push(`${before ? groups(before) : ''}::${after ? groups(after) : ''}`);
    }
  }
  forms.push(`${groups(6)}:${V4}`);
  for (let total = 5; total >= 0; total--) {
    for (let before = 0; before <= total; before++) {
      const after = total - before;
      forms.push(`${before ? groups(before) : ''}::${after ? groups(after) + ':' : ''}${V4}`);
    }
  }
  return forms.map((f) => new RegExp(f, 'y'));
}

interface Rule {
  re: RegExp | RegExp[];
  make: (text: string) => Omit<Token, 'pos' | 'len'> | { error: string };
  /** Every match has a ':' among hex digits, dots and colons (IPv6 forms): skipped when none follows. */
  colon?: boolean;
}

const KEYWORD_RE = new RegExp(
  Object.keys({ ...KEYWORDS, ...NAMED_NUMBERS })
    .sort((a, b) => b.length - a.length)
    .map((k) => k.replace(/[-.]/g, '\\$&'))
    .join('|'),
  'y',
);

// Rules in the scanner's order. Keywords and named numbers are tried as one (they never tie with
// each other), then the punctuation, then the address/number/name patterns.
const RULES: Rule[] = [
  {
    re: KEYWORD_RE,
    make: (t) => (t in KEYWORDS ? { kind: 'KW', text: KEYWORDS[t], value: 0 } : { kind: 'NUM', text: t, value: NAMED_NUMBERS[t] }),
  },
  { re: /&&/y, make: () => ({ kind: 'KW', text: 'AND', value: 0 }) },
  { re: /\|\|/y, make: () => ({ kind: 'KW', text: 'OR', value: 0 }) },
  { re: /[+\-*/%:[\]!<>()&|^=]/y, make: (t) => (t === '!' ? { kind: 'KW', text: '!', value: 0 } : { kind: 'OP', text: t, value: 0 }) },
  { re: />=|<=|!=|==|<<|>>/y, make: (t) => ({ kind: 'OP', text: t === '==' ? '=' : t, value: 0 }) },
  { re: new RegExp(`\\$${B}`, 'y'), make: (t) => ({ kind: 'AID', text: t, value: 0 }) },
  {
    re: [
      new RegExp(`${B}:${B}:${B}:${B}:${B}:${B}`, 'y'),
      new RegExp(`${B}-${B}-${B}-${B}-${B}-${B}`, 'y'),
      new RegExp(`${B}\\.${B}\\.${B}\\.${B}\\.${B}\\.${B}`, 'y'),
      new RegExp(`${B2}\\.${B2}\\.${B2}`, 'y'),
      new RegExp(`${B2}${B2}${B2}`, 'y'),
    ],
    make: (t) => ({ kind: 'EID', text: t, value: 0 }),
  },
  { re: new RegExp(N, 'y'), make: numberToken },
  {
    re: [new RegExp(`${N}\\.${N}`, 'y'), new RegExp(`${N}\\.${N}\\.${N}`, 'y'), new RegExp(V4, 'y')],
    make: (t) => ({ kind: 'HID', text: t, value: 0 }),
  },
  { re: v6Forms(), make: (t) => ({ kind: 'HID6', text: t, value: 0 }), colon: true },
  { re: new RegExp(`${B}:+(?:${B}:+)+`, 'y'), make: (t) => ({ error: `bogus ethernet address ${t}` }), colon: true },
  { re: /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y, make: (t) => ({ kind: 'ID', text: t, value: 0 }) },
  { re: /\\[^ !()\n\t]+/y, make: (t) => ({ kind: 'ID', text: t.slice(1), value: 0 }) },
];

// stou(): decimal, 0x hex or 0-prefixed octal, refusing anything over 32 bits.
function numberToken(t: string): Omit<Token, 'pos' | 'len'> | { error: string } {
  let v: number;
  if (/^0[xX]/.test(t)) {
    const digits = t.slice(2).replace(/^0+/, '');
    if (digits.length > 8) return { error: `number ${t} overflows 32 bits` };
    v = parseInt(digits || '0', 16);
  } else if (t.startsWith('0') && t.length > 1) {
    if (/[89]/.test(t)) return { error: `number ${t} contains non-octal digit` };
    v = parseInt(t, 8);
  } else {
    v = Number(t);
  }
  if (v > 0xffffffff) return { error: `number ${t} overflows 32 bits` };
  return { kind: 'NUM', text: t, value: v };
}

function longest(re: RegExp | RegExp[], src: string, at: number): string | undefined {
  let best: string | undefined;
  for (const r of Array.isArray(re) ? re : [re]) {
    r.lastIndex = at;
    const m = r.exec(src);
    if (m && (best === undefined || m[0].length > best.length)) best = m[0];
  }
  return best;
}

/** Splits a filter expression into tokens; the last one is EOF. Throws ParseError on a bad character or number. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    let bestText: string | undefined;
    let bestRule: Rule | undefined;
    // The IPv6 forms are most of the patterns; they cannot match without a ':' ahead.
    let colon = false;
    for (let j = i; j < src.length; j++) {
      const ch = src.charCodeAt(j);
      if (ch === 0x3a) {
        colon = true;
        break;
      }
      const hexOrDot = (ch >= 0x30 && ch <= 0x39) || (ch >= 0x41 && ch <= 0x46) || (ch >= 0x61 && ch <= 0x66) || ch === 0x2e;
      if (!hexOrDot) break;
    }
    for (const rule of RULES) {
      if (rule.colon && !colon) continue;
      const t = longest(rule.re, src, i);
      if (t !== undefined && t.length > 0 && (bestText === undefined || t.length > bestText.length)) {
        bestText = t;
        bestRule = rule;
      }
    }
    if (!bestRule || bestText === undefined) {
      throw new ParseError(`can't parse filter expression: syntax error (unexpected character '${c}')`, { line: 1, column: i + 1 }, src);
    }
    const made = bestRule.make(bestText);
    if ('error' in made) throw new ParseError(made.error, { line: 1, column: i + 1, length: bestText.length }, src);
    out.push({ ...made, pos: i, len: bestText.length });
    i += bestText.length;
  }
  out.push({ kind: 'EOF', text: '', value: 0, pos: src.length, len: 0 });
  return out;
}

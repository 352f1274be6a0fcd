// Parser for libpcap's filter grammar (grammar.y), as recursive descent with backtracking where
// the LALR grammar decides by later tokens ("and 80" is a port number, "and 80 = x" a relation).
// It builds an AST and leaves all meaning (and all semantic errors) to the code generator.
import { ParseError } from '../../sys/errors.js';
import { type Token, tokenize } from './lexer.js';
import {
  type Arth, type Node, type Other, type Qual, type Span, QERR,
  Q_DEFAULT, Q_HOST, Q_NET, Q_PORT, Q_PORTRANGE, Q_GATEWAY, Q_PROTO, Q_PROTOCHAIN,
  Q_SRC, Q_DST, Q_OR, Q_AND, Q_ADDR1, Q_ADDR2, Q_ADDR3, Q_ADDR4, Q_RA, Q_TA,
  Q_LINK, Q_IP, Q_ARP, Q_RARP, Q_SCTP, Q_TCP, Q_UDP, Q_ICMP, Q_IGMP, Q_IGRP, Q_PIM, Q_VRRP, Q_CARP,
  Q_ATALK, Q_AARP, Q_DECNET, Q_LAT, Q_SCA, Q_MOPDL, Q_MOPRC, Q_IPV6, Q_ICMPV6, Q_AH, Q_ESP, Q_ISO,
  Q_ESIS, Q_ISIS, Q_ISIS_L1, Q_ISIS_L2, Q_ISIS_IIH, Q_ISIS_LSP, Q_ISIS_SNP, Q_ISIS_PSNP, Q_ISIS_CSNP,
  Q_CLNP, Q_STP, Q_IPX, Q_NETBEUI, Q_RADIO,
} from './ast.js';

// BPF ALU and jump operation codes used in the AST.
const BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_MUL = 0x20, BPF_DIV = 0x30, BPF_OR = 0x40, BPF_AND = 0x50,
  BPF_LSH = 0x60, BPF_RSH = 0x70, BPF_MOD = 0x90, BPF_XOR = 0xa0;
const BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30;

export const PNAMES: Record<string, number> = {
  LINK: Q_LINK, IP: Q_IP, ARP: Q_ARP, RARP: Q_RARP, SCTP: Q_SCTP, TCP: Q_TCP, UDP: Q_UDP, ICMP: Q_ICMP,
  IGMP: Q_IGMP, IGRP: Q_IGRP, PIM: Q_PIM, VRRP: Q_VRRP, CARP: Q_CARP, ATALK: Q_ATALK, AARP: Q_AARP,
  DECNET: Q_DECNET, LAT: Q_LAT, SCA: Q_SCA, MOPDL: Q_MOPDL, MOPRC: Q_MOPRC, IPV6: Q_IPV6, ICMPV6: Q_ICMPV6,
  AH: Q_AH, ESP: Q_ESP, ISO: Q_ISO, ESIS: Q_ESIS, ISIS: Q_ISIS, L1: Q_ISIS_L1, L2: Q_ISIS_L2, IIH: Q_ISIS_IIH,
  LSP: Q_ISIS_LSP, SNP: Q_ISIS_SNP, PSNP: Q_ISIS_PSNP, CSNP: Q_ISIS_CSNP, CLNP: Q_CLNP, STP: Q_STP,
  IPX: Q_IPX, NETBEUI: Q_NETBEUI, RADIO: Q_RADIO,
};
const DQUALS: Record<string, number> = { SRC: Q_SRC, DST: Q_DST, ADDR1: Q_ADDR1, ADDR2: Q_ADDR2, ADDR3: Q_ADDR3, ADDR4: Q_ADDR4, RA: Q_RA, TA: Q_TA };
const AQUALS: Record<string, number> = { HOST: Q_HOST, NET: Q_NET, PORT: Q_PORT, PORTRANGE: Q_PORTRANGE };
const BINOPS: Record<string, { op: number; prec: number }> = {
  '|': { op: BPF_OR, prec: 1 }, '&': { op: BPF_AND, prec: 2 }, '<<': { op: BPF_LSH, prec: 3 }, '>>': { op: BPF_RSH, prec: 3 },
  '+': { op: BPF_ADD, prec: 4 }, '-': { op: BPF_SUB, prec: 4 }, '*': { op: BPF_MUL, prec: 5 }, '/': { op: BPF_DIV, prec: 5 },
};
// '%' and '^' have no declared precedence in grammar.y, so bison always shifts them: they take
// everything to their right as the right operand.
const LOOSE_BINOPS: Record<string, number> = { '%': BPF_MOD, '^': BPF_XOR };
const UMINUS_PREC = 6;
const RELOPS: Record<string, { code: number; reversed: boolean }> = {
  '>': { code: BPF_JGT, reversed: false }, '>=': { code: BPF_JGE, reversed: false }, '=': { code: BPF_JEQ, reversed: false },
  '<=': { code: BPF_JGT, reversed: true }, '<': { code: BPF_JGE, reversed: true }, '!=': { code: BPF_JEQ, reversed: true },
};
// Grammar terminals for ATM, MTP, PF and 802.11 primitives: parsed so that libpcap's "not on this
// link type" errors come out, never compiled for the link types bpfkit supports.
const ATM_MTP_WORDS: Record<string, string> = {
  LANE: 'lane', METAC: 'metac', BCC: 'bcc', OAMF4EC: 'oamf4ec', OAMF4SC: 'oamf4sc', SC: 'sc', ILMIC: 'ilmic',
  OAM: 'oam', OAMF4: 'oamf4', CONNECTMSG: 'connectmsg', METACONNECT: 'metaconnect',
  FISU: 'fisu', LSSU: 'lssu', MSU: 'msu', HFISU: 'hfisu', HLSSU: 'hlssu', HMSU: 'hmsu',
};
const FIELD_WORDS: Record<string, string> = {
  VPI: 'vpi', VCI: 'vci', SIO: 'sio', OPC: 'opc', DPC: 'dpc', SLS: 'sls', HSIO: 'hsio', HOPC: 'hopc', HDPC: 'hdpc', HSLS: 'hsls',
};

/** Raised inside the parser to backtrack; turned into a ParseError at the top. */
class Fail {
  constructor(readonly at: number) {}
}

export interface ParseResult {
  /** null for an empty expression (accept every packet). */
  root: Node | null;
  source: string;
}

/** Parses a filter expression; throws ParseError (with the column of the offending token) on a syntax error. */
export function parseFilter(source: string): ParseResult {
  const p = new Parser(source, tokenize(source));
  return { root: p.parseProg(), source };
}

class Parser {
  private i = 0;
  private furthest = 0;

  constructor(private readonly src: string, private readonly toks: Token[]) {}

  parseProg(): Node | null {
    if (this.peek().kind === 'EOF') return null;
    try {
      const { node } = this.expr(QERR);
      if (this.peek().kind !== 'EOF') this.fail();
      return node;
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      const tok = this.toks[Math.min(this.furthest, this.toks.length - 1)];
      const what = tok.kind === 'EOF' ? 'end of expression' : `'${this.src.slice(tok.pos, tok.pos + tok.len)}'`;
      throw new ParseError(`can't parse filter expression: syntax error (unexpected ${what})`, {
        line: 1, column: tok.pos + 1, length: Math.max(1, tok.len),
      }, this.src);
    }
  }

  // ---- token helpers
  private peek(ahead = 0): Token {
    return this.toks[Math.min(this.i + ahead, this.toks.length - 1)];
  }
  private isKw(name: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'KW' && t.text === name;
  }
  private isOp(op: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'OP' && t.text === op;
  }
  private next(): Token {
    const t = this.peek();
    this.i++;
    return t;
  }
  private fail(): never {
    this.furthest = Math.max(this.furthest, this.i);
    throw new Fail(this.i);
  }
  private expectOp(op: string): Token {
    if (!this.isOp(op)) this.fail();
    return this.next();
  }
  private expectKind(kind: Token['kind']): Token {
    if (this.peek().kind !== kind) this.fail();
    return this.next();
  }
  private span(start: number): Span {
    const a = this.toks[start];
    const b = this.toks[Math.max(start, this.i - 1)];
    return { pos: a.pos, len: Math.max(1, b.pos + b.len - a.pos) };
  }
  /** Tries each alternative from the same position; the first that parses wins. */
  private alt<T>(...fns: (() => T)[]): T {
    const start = this.i;
    for (const fn of fns) {
      try {
        return fn();
      } catch (e) {
        if (!(e instanceof Fail)) throw e;
        this.i = start;
      }
    }
    this.fail();
  }

  // ---- expressions: expr (and|or) (term|id) ...
  private expr(prevQ: Qual): { node: Node; q: Qual } {
    const start = this.i;
    let { node, q } = this.term(prevQ);
    while (this.isKw('AND') || this.isKw('OR')) {
      const op = this.next().text === 'AND' ? 'and' : 'or';
      const qBefore = q;
      const rhs = this.alt(() => this.term(qBefore), () => this.id(qBefore));
      node = { t: op, l: node, r: rhs.node, ...this.span(start) };
      q = rhs.q;
    }
    return { node, q };
  }

  private term(prevQ: Qual): { node: Node; q: Qual } {
    const start = this.i;
    if (this.isKw('!')) {
      this.next();
      const inner = this.term(prevQ);
      return { node: { t: 'not', e: inner.node, ...this.span(start) }, q: inner.q };
    }
    return this.rterm(prevQ);
  }

  private rterm(prevQ: Qual): { node: Node; q: Qual } {
    const start = this.i;
    const t = this.peek();
    if (this.isOp('(')) {
      return this.alt(
        () => this.relation(),
        () => {
          this.next();
          const inner = this.expr(prevQ);
          this.expectOp(')');
          // "paren expr ')'": the result carries the qualifiers from before the parenthesis.
          return { node: inner.node, q: prevQ };
        },
      );
    }
    if (t.kind === 'NUM' || this.isOp('-') || this.isKw('LEN')) return this.relation();
    if (t.kind === 'KW') {
      const pname = PNAMES[t.text];
      if (pname !== undefined) {
        const n1 = this.peek(1);
        if (n1.kind === 'OP' && n1.text === '[') return this.relation();
        if (this.startsHeadAfterPqual(1)) return this.headId();
        if (n1.kind === 'KW' && (n1.text === 'TK_BROADCAST' || n1.text === 'TK_MULTICAST')) {
          this.next();
          this.next();
          return this.other(start, { kind: n1.text === 'TK_BROADCAST' ? 'broadcast' : 'multicast', proto: pname });
        }
        if (n1.kind === 'KW' && (n1.text === 'TYPE' || n1.text === 'SUBTYPE' || n1.text === 'DIR')) {
          this.next();
          return this.p80211(start);
        }
        this.next();
        return { node: { t: 'abbrev', proto: pname, ...this.span(start) }, q: QERR };
      }
      if (this.startsHeadAfterPqual(0)) return this.headId();
      return this.otherKeyword(start);
    }
    this.fail();
  }

  /** True when the token at `ahead` starts the rest of a head (dqual, aqual, proto, protochain, gateway). */
  private startsHeadAfterPqual(ahead: number): boolean {
    const t = this.peek(ahead);
    return t.kind === 'KW' && (t.text in DQUALS || t.text in AQUALS || t.text === 'PROTO' || t.text === 'PROTOCHAIN' || t.text === 'GATEWAY');
  }

  private headId(): { node: Node; q: Qual } {
    let proto = Q_DEFAULT;
    const t = this.peek();
    if (t.kind === 'KW' && PNAMES[t.text] !== undefined) {
      proto = PNAMES[t.text];
      this.next();
    }
    let dir = Q_DEFAULT;
    let addr = Q_DEFAULT;
    const d = this.peek();
    if (d.kind === 'KW' && d.text in DQUALS) {
      this.next();
      dir = DQUALS[d.text];
      // "src or dst" / "src and dst" are one direction qualifier.
      if ((d.text === 'SRC' || d.text === 'DST') && (this.isKw('OR') || this.isKw('AND'))) {
        const other = d.text === 'SRC' ? 'DST' : 'SRC';
        if (this.isKw(other, 1)) {
          dir = this.isKw('OR') ? Q_OR : Q_AND;
          this.next();
          this.next();
        }
      }
      const a = this.peek();
      if (a.kind === 'KW' && a.text in AQUALS) {
        this.next();
        addr = AQUALS[a.text];
      }
    } else if (d.kind === 'KW' && d.text in AQUALS) {
      this.next();
      addr = AQUALS[d.text];
    } else if (this.isKw('PROTO')) {
      this.next();
      addr = Q_PROTO;
    } else if (this.isKw('PROTOCHAIN')) {
      this.next();
      addr = Q_PROTOCHAIN;
    } else if (this.isKw('GATEWAY')) {
      this.next();
      addr = Q_GATEWAY;
    } else {
      this.fail();
    }
    const q: Qual = { addr, proto, dir };
    return this.id(q);
  }

  // ---- id: the operand of a qualifier, inheriting qualifiers from what came before.
  private id(prevQ: Qual): { node: Node; q: Qual } {
    const start = this.i;
    const t = this.peek();
    if (this.isKw('!')) {
      this.next();
      const inner = this.id(prevQ);
      return { node: { t: 'not', e: inner.node, ...this.span(start) }, q: inner.q };
    }
    if (this.isOp('(')) {
      // "paren pid ')'" or "paren pnum ')'": both mean the same here.
      this.next();
      let { node, q } = this.pidItem(prevQ);
      while (this.isKw('AND') || this.isKw('OR')) {
        const op = this.next().text === 'AND' ? 'and' : 'or';
        const rhs = this.id(q);
        node = { t: op, l: node, r: rhs.node, ...this.span(start) };
        q = rhs.q;
      }
      this.expectOp(')');
      return { node, q };
    }
    if (t.kind === 'NUM') {
      this.next();
      return { node: { t: 'ncode', s: null, v: t.value, q: prevQ, hid: false, ...this.span(start) }, q: prevQ };
    }
    return this.nid(prevQ);
  }

  private pidItem(prevQ: Qual): { node: Node; q: Qual } {
    const start = this.i;
    if (this.isKw('!')) return this.id(prevQ);
    if (this.peek().kind === 'NUM' || this.isOp('(')) {
      // qid: pnum, possibly parenthesized.
      const v = this.pnum();
      return { node: { t: 'ncode', s: null, v, q: prevQ, hid: false, ...this.span(start) }, q: prevQ };
    }
    return this.nid(prevQ);
  }

  private pnum(): number {
    if (this.isOp('(')) {
      this.next();
      const v = this.pnum();
      this.expectOp(')');
      return v;
    }
    return this.expectKind('NUM').value;
  }

  private nid(prevQ: Qual): { node: Node; q: Qual } {
    const start = this.i;
    const t = this.next();
    const q = prevQ;
    switch (t.kind) {
      case 'ID':
        return { node: { t: 'scode', name: t.text, q, ...this.span(start) }, q };
      case 'HID':
        if (this.isOp('/')) {
          this.next();
          const n = this.expectKind('NUM').value;
          return { node: { t: 'mcode', s1: t.text, s2: null, masklen: n, q, ...this.span(start) }, q };
        }
        if (this.isKw('NETMASK')) {
          this.next();
          const m = this.expectKind('HID');
          return { node: { t: 'mcode', s1: t.text, s2: m.text, masklen: 0, q, ...this.span(start) }, q };
        }
        return { node: { t: 'ncode', s: t.text, v: 0, q, hid: true, ...this.span(start) }, q };
      case 'HID6':
        if (this.isOp('/')) {
          this.next();
          const n = this.expectKind('NUM').value;
          return { node: { t: 'mcode6', s1: t.text, masklen: n, q, ...this.span(start) }, q };
        }
        return { node: { t: 'mcode6', s1: t.text, masklen: 128, q, ...this.span(start) }, q };
      case 'EID':
        return { node: { t: 'ecode', s: t.text, q, ...this.span(start) }, q };
      case 'AID':
        return { node: { t: 'acode', s: t.text, q, ...this.span(start) }, q };
      default:
        this.i--;
        this.fail();
    }
  }

  // ---- "other" primitives
  private other(start: number, o: Other): { node: Node; q: Qual } {
    return { node: { t: 'other', o, ...this.span(start) }, q: QERR };
  }

  private optPnum(): number | undefined {
    if (this.peek().kind === 'NUM') return this.next().value;
    if (this.isOp('(')) {
      const save = this.i;
      try {
        return this.pnum();
      } catch (e) {
        if (!(e instanceof Fail)) throw e;
        this.i = save;
      }
    }
    return undefined;
  }

  private otherKeyword(start: number): { node: Node; q: Qual } {
    const t = this.next();
    switch (t.text) {
      case 'TK_BROADCAST':
        return this.other(start, { kind: 'broadcast', proto: Q_DEFAULT });
      case 'TK_MULTICAST':
        return this.other(start, { kind: 'multicast', proto: Q_DEFAULT });
      case 'LESS':
        return this.other(start, { kind: 'less', n: this.expectKind('NUM').value });
      case 'GREATER':
        return this.other(start, { kind: 'greater', n: this.expectKind('NUM').value });
      case 'CBYTE': {
        const idx = this.expectKind('NUM').value;
        const opTok = this.peek();
        if (opTok.kind !== 'OP' || !['&', '|', '<', '>', '='].includes(opTok.text)) this.fail();
        this.next();
        const val = this.expectKind('NUM').value;
        return this.other(start, { kind: 'byte', idx, op: opTok.text, val });
      }
      case 'INBOUND':
        return this.other(start, { kind: 'inbound' });
      case 'OUTBOUND':
        return this.other(start, { kind: 'outbound' });
      case 'IFINDEX':
        return this.other(start, { kind: 'ifindex', n: this.expectKind('NUM').value });
      case 'VLAN':
      case 'MPLS':
      case 'PPPOES':
      case 'GENEVE':
      case 'VXLAN': {
        const kind = t.text.toLowerCase() as 'vlan' | 'mpls' | 'pppoes' | 'geneve' | 'vxlan';
        const n = this.optPnum();
        return this.other(start, n === undefined ? { kind } : { kind, n });
      }
      case 'PPPOED':
        return this.other(start, { kind: 'pppoed' });
      case 'LLC': {
        if (this.peek().kind === 'ID') return this.other(start, { kind: 'llc', sub: this.next().text });
        if (this.isKw('PF_RNR')) {
          this.next();
          return this.other(start, { kind: 'llc', sub: 'rnr' });
        }
        return this.other(start, { kind: 'llc' });
      }
      case 'PF_IFNAME':
      case 'PF_RSET':
        this.expectKind('ID');
        return this.other(start, { kind: 'unsupported', what: t.text, message: pfMessage(t.text) });
      case 'PF_RNR':
      case 'PF_SRNR':
        this.expectKind('NUM');
        return this.other(start, { kind: 'unsupported', what: t.text, message: pfMessage(t.text) });
      case 'PF_REASON':
        if (this.peek().kind !== 'NUM' && this.peek().kind !== 'ID') this.fail();
        this.next();
        return this.other(start, { kind: 'unsupported', what: t.text, message: pfMessage(t.text) });
      case 'PF_ACTION':
        this.expectKind('ID');
        return this.other(start, { kind: 'unsupported', what: t.text, message: pfMessage(t.text) });
      case 'TYPE':
      case 'SUBTYPE':
      case 'DIR':
        this.i--;
        return this.p80211(start);
    }
    if (t.text in ATM_MTP_WORDS) {
      const word = ATM_MTP_WORDS[t.text];
      const mtp = /SU$/.test(t.text);
      return this.other(start, {
        kind: 'unsupported', what: word,
        message: mtp ? `'${word}' supported only on MTP2` : `'${word}' supported only on SUNATM`,
      });
    }
    if (t.text in FIELD_WORDS) {
      const word = FIELD_WORDS[t.text];
      // atmvalue / mtp3value: NUM, relop NUM, irelop NUM, or a parenthesized list.
      const r = this.peek();
      if (r.kind === 'OP' && r.text in RELOPS) {
        this.next();
        this.expectKind('NUM');
      } else if (r.kind === 'NUM') {
        this.next();
      } else if (this.isOp('(')) {
        this.next();
        this.expectKind('NUM');
        while (this.isKw('OR')) {
          this.next();
          this.expectKind('NUM');
        }
        this.expectOp(')');
      } else {
        this.fail();
      }
      const atm = t.text === 'VPI' || t.text === 'VCI';
      return this.other(start, {
        kind: 'unsupported', what: word,
        message: atm ? `'${word}' supported only on SUNATM` : `'${word}' supported only on MTP2`,
      });
    }
    this.i--;
    this.fail();
  }

  private p80211(start: number): { node: Node; q: Qual } {
    const t = this.next();
    const operand = () => {
      const k = this.peek().kind;
      if (k !== 'NUM' && k !== 'ID') this.fail();
      this.next();
    };
    if (t.text === 'TYPE') {
      operand();
      if (this.isKw('SUBTYPE')) {
        this.next();
        operand();
      }
    } else {
      operand();
    }
    return this.other(start, {
      kind: 'unsupported', what: t.text.toLowerCase(),
      message: '802.11 link-layer types supported only on 802.11',
    });
  }

  // ---- arithmetic: arth relop arth
  private relation(): { node: Node; q: Qual } {
    const start = this.i;
    const a0 = this.arth(0);
    const r = this.peek();
    if (r.kind !== 'OP' || !(r.text in RELOPS)) this.fail();
    this.next();
    const a1 = this.arth(0);
    const { code, reversed } = RELOPS[r.text];
    return { node: { t: 'relation', code, a0, a1, reversed, ...this.span(start) }, q: QERR };
  }

  private arth(minPrec: number): Arth {
    const start = this.i;
    let left = this.arthPrimary();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'OP') break;
      if (t.text in LOOSE_BINOPS) {
        this.next();
        const right = this.arth(0);
        left = { t: 'arth', op: LOOSE_BINOPS[t.text], a0: left, a1: right, ...this.span(start) };
        continue;
      }
      const b = BINOPS[t.text];
      if (!b || b.prec < minPrec) break;
      this.next();
      const right = this.arth(b.prec + 1);
      left = { t: 'arth', op: b.op, a0: left, a1: right, ...this.span(start) };
    }
    return left;
  }

  private arthPrimary(): Arth {
    const start = this.i;
    const t = this.peek();
    if (t.kind === 'NUM') {
      this.next();
      return { t: 'loadi', v: t.value, ...this.span(start) };
    }
    if (this.isKw('LEN')) {
      this.next();
      return { t: 'loadlen', ...this.span(start) };
    }
    if (this.isOp('-')) {
      this.next();
      const a = this.arth(UMINUS_PREC);
      return { t: 'neg', a, ...this.span(start) };
    }
    if (this.isOp('(')) {
      this.next();
      const a = this.arth(0);
      this.expectOp(')');
      return a;
    }
    if (t.kind === 'KW' && PNAMES[t.text] !== undefined && this.isOp('[', 1)) {
      this.next();
      this.next();
      const inst = this.arth(0);
      let size = 1;
      if (this.isOp(':')) {
        this.next();
        size = this.expectKind('NUM').value;
      }
      this.expectOp(']');
      return { t: 'load', proto: PNAMES[t.text], inst, size, ...this.span(start) };
    }
    this.fail();
  }
}

function pfMessage(word: string): string {
  const names: Record<string, string> = {
    PF_IFNAME: 'ifname', PF_RSET: 'ruleset', PF_RNR: 'rnr', PF_SRNR: 'srnr', PF_REASON: 'reason', PF_ACTION: 'action',
  };
  return `${names[word] ?? word} supported only on PF linktype`;
}

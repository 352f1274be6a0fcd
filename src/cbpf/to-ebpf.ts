// Classic BPF → eBPF for XDP and tc, in the manner of the kernel's own conversion
// (net/core/filter.c bpf_convert_filter): A and X become 32-bit subregisters, M[] lives on the
// stack, and each instruction turns into a few eBPF ones. The kernel's conversion keeps the
// socket-buffer loads as helper calls; here the program reads packet memory directly, so every
// load carries its own bounds check against data_end, and a failed check ends the program the
// way a failed classic load does: with 0, "no match".
//
// tcpdump's meaning of a filter's result is kept: nonzero means the expression matched. An XDP
// program drops what matches (XDP_DROP) and passes the rest (XDP_PASS); a tc program answers
// TC_ACT_SHOT or TC_ACT_OK. Both verdicts can be changed.
import { ProgramBuilder, Reg, type Instruction, type JmpOp, type Size } from '../asm/index.js';
import { helperIds, macros, structLayouts, xdpActions } from '../sys/generated/kernel.js';
import {
  type CbpfInsn,
  BPF_MEMWORDS,
  SKF_AD_OFF,
  SKF_AD_PROTOCOL,
  SKF_AD_PKTTYPE,
  SKF_AD_IFINDEX,
  SKF_AD_MARK,
  SKF_AD_QUEUE,
  SKF_AD_RXHASH,
  SKF_AD_CPU,
  SKF_AD_ALU_XOR_X,
  SKF_AD_VLAN_TAG,
  SKF_AD_VLAN_TAG_PRESENT,
  SKF_AD_RANDOM,
  SKF_AD_VLAN_TPID,
} from './insn.js';

export type EbpfTarget = 'xdp' | 'tc';

export interface CbpfToEbpfOptions {
  /** Return value when the classic program returns nonzero. Default XDP_DROP / TC_ACT_SHOT. */
  onMatch?: number;
  /** Return value when it returns 0. Default XDP_PASS / TC_ACT_OK. */
  onNoMatch?: number;
}

/** A classic program this translation cannot express (backward jumps, loads XDP has no data for). */
export class CbpfTranslateError extends Error {
  readonly pc: number;
  constructor(pc: number, message: string) {
    super(`classic BPF instruction ${pc}: ${message}`);
    this.name = 'CbpfTranslateError';
    this.pc = pc;
  }
}

// Register plan. r6..r9 survive helper calls, so the machine state lives there.
const A = 6;
const X = 7;
const DATA = 8;
const DATA_END = 9;
const FP = 10;
// Scratch: r1..r5 (clobbered by the few helper calls, which is fine).
const T1 = 2;
const T2 = 3;
const T3 = 4;
// Stack: M[0..15] at fp-64..fp-4, the context pointer at fp-72.
const MEM_BASE = -4 * BPF_MEMWORDS;
const CTX_SLOT = MEM_BASE - 8;
// The verifier's limit on constant packet offsets (MAX_PACKET_OFF).
const MAX_PACKET_OFF = 0xffff;

const skb = structLayouts.__sk_buff.fields;
const xdp = structLayouts.xdp_md.fields;

/** Default verdicts for a target. */
export function ebpfVerdicts(target: EbpfTarget): { onMatch: number; onNoMatch: number } {
  return target === 'xdp'
    ? { onMatch: xdpActions.drop, onNoMatch: xdpActions.pass }
    : { onMatch: Number(macros.TC_ACT_SHOT), onNoMatch: Number(macros.TC_ACT_OK) };
}

/**
 * Translates a classic packet filter (as `compileFilter` or `tcpdump -dd` make) into an XDP
 * (`xdp`) or tc classifier (`tc`, for cls_bpf direct-action and TCX) program. The classic
 * program's packet offsets are taken from the start of the frame, so it must be compiled for
 * the device's link type (EN10MB for Ethernet and veth).
 */
export function cbpfToEbpf(prog: readonly CbpfInsn[], target: EbpfTarget, opts: CbpfToEbpfOptions = {}): Instruction[] {
  return cbpfToEbpfBuilder(prog, target, opts).link();
}

/** The same, as a builder (for callers that append more code or want the labels). */
export function cbpfToEbpfBuilder(prog: readonly CbpfInsn[], target: EbpfTarget, opts: CbpfToEbpfOptions = {}): ProgramBuilder {
  if (prog.length === 0) throw new CbpfTranslateError(0, 'empty program');
  const verdicts = { ...ebpfVerdicts(target), ...opts };
  const b = new ProgramBuilder();
  const L = (i: number) => `c${i}`;
  const NOMATCH = 'nomatch';
  const MATCH = 'match';

  // Prologue: context on the stack, packet pointers in r8/r9, A = X = 0 as classic BPF starts.
  if (target === 'tc') {
    // Classic loads may reach past the linear part of an skb; pull the whole packet in first.
    // A failed pull leaves what is linear, and the bounds checks below still hold.
    b.mov64(A, new Reg(1));
    b.ldx(4, 2, 1, skb.len.off);
    b.call(helperIds.skb_pull_data);
    b.mov64(1, new Reg(A));
    b.stx(8, FP, CTX_SLOT, 1);
    b.ldx(4, DATA, 1, skb.data.off);
    b.ldx(4, DATA_END, 1, skb.data_end.off);
  } else {
    b.stx(8, FP, CTX_SLOT, 1);
    b.ldx(4, DATA, 1, xdp.data.off);
    b.ldx(4, DATA_END, 1, xdp.data_end.off);
  }
  b.mov32(A, 0);
  b.mov32(X, 0);
  // M[] words the program reads are zeroed, so that the verifier sees them initialized on
  // every path (the classic checker already proved each is stored before it is read).
  const used = new Set<number>();
  for (const ins of prog) if (ins.code === 0x60 || ins.code === 0x61) used.add(ins.k);
  for (const k of [...used].sort((p, q) => p - q)) {
    if (k >= BPF_MEMWORDS) throw new CbpfTranslateError(prog.findIndex((i) => (i.code === 0x60 || i.code === 0x61) && i.k === k), `scratch memory index ${k} out of range`);
    b.st(4, FP, MEM_BASE + 4 * k, 0);
  }

  const target32 = (pc: number, off: number): string => {
    const to = pc + 1 + off;
    if (to >= prog.length) throw new CbpfTranslateError(pc, `jump to ${to} is past the end of the program`);
    return L(to);
  };
  const memSlot = (pc: number, k: number): number => {
    if (k >= BPF_MEMWORDS) throw new CbpfTranslateError(pc, `scratch memory index ${k} out of range`);
    return MEM_BASE + 4 * k;
  };
  // dst = big-endian `size` bytes at data + k, or no match when the packet is shorter.
  const loadAbs = (dst: number, k: number, size: 1 | 2 | 4): void => {
    if (k < 0 || k + size > MAX_PACKET_OFF) {
      // Beyond any packet the verifier lets us address: the classic load fails.
      b.ja(NOMATCH);
      return;
    }
    b.mov64(T1, new Reg(DATA));
    b.add64(T1, k);
    b.mov64(T2, new Reg(T1));
    b.add64(T2, size);
    b.jgt(T2, new Reg(DATA_END), NOMATCH);
    loadAt(dst, T1, size);
  };
  const loadAt = (dst: number, ptr: number, size: 1 | 2 | 4): void => {
    b.ldx(size as Size, dst, ptr, 0);
    if (size > 1) b.endian('be', dst, (size * 8) as 16 | 32);
  };
  const ancillary = (pc: number, which: number): void => {
    if (which === SKF_AD_ALU_XOR_X) {
      b.alu(32, 'xor', A, new Reg(X));
      return;
    }
    if (which === SKF_AD_CPU || which === SKF_AD_RANDOM) {
      b.call(which === SKF_AD_CPU ? helperIds.get_smp_processor_id : helperIds.get_prandom_u32);
      b.mov32(A, new Reg(0));
      return;
    }
    if (target === 'xdp') throw new CbpfTranslateError(pc, `the ancillary load SKF_AD_OFF+${which} reads socket-buffer metadata, which XDP programs do not have`);
    const field: Record<number, [number, boolean]> = {
      [SKF_AD_PROTOCOL]: [skb.protocol.off, true],
      [SKF_AD_PKTTYPE]: [skb.pkt_type.off, false],
      [SKF_AD_IFINDEX]: [skb.ifindex.off, false],
      [SKF_AD_MARK]: [skb.mark.off, false],
      [SKF_AD_QUEUE]: [skb.queue_mapping.off, false],
      [SKF_AD_RXHASH]: [skb.hash.off, false],
      [SKF_AD_VLAN_TAG]: [skb.vlan_tci.off, false],
      [SKF_AD_VLAN_TAG_PRESENT]: [skb.vlan_present.off, false],
      [SKF_AD_VLAN_TPID]: [skb.vlan_proto.off, true],
    };
    const f = field[which];
    if (!f) throw new CbpfTranslateError(pc, `the ancillary load SKF_AD_OFF+${which} has no __sk_buff equivalent`);
    b.ldx(8, 1, FP, CTX_SLOT);
    b.ldx(4, A, 1, f[0]);
    // __sk_buff carries these two in network byte order; classic BPF hands them over in host order.
    if (f[1]) b.endian('be', A, 16);
  };

  for (let pc = 0; pc < prog.length; pc++) {
    const ins = prog[pc];
    const k = ins.k >>> 0;
    const imm = k | 0;
    b.label(L(pc));
    switch (ins.code) {
      case 0x20: case 0x28: case 0x30: { // ld[bhw] [k]
        const size = ins.code === 0x20 ? 4 : ins.code === 0x28 ? 2 : 1;
        if (imm < 0 && imm >= SKF_AD_OFF) ancillary(pc, imm - SKF_AD_OFF);
        else if (imm < 0) throw new CbpfTranslateError(pc, `negative packet offset ${imm} (SKF_NET_OFF/SKF_LL_OFF loads) is not supported`);
        else loadAbs(A, k, size);
        break;
      }
      case 0x40: case 0x48: case 0x50: { // ld[bhw] [x + k]
        const size = ins.code === 0x40 ? 4 : ins.code === 0x48 ? 2 : 1;
        // The offset is X + k in 32 bits; anything past the verifier's packet range fails as
        // the classic load would (negative offsets included: they wrap to huge values here).
        b.mov32(T1, new Reg(X));
        b.add32(T1, imm);
        b.jgt(T1, MAX_PACKET_OFF - size, NOMATCH);
        b.add64(T1, new Reg(DATA));
        b.mov64(T2, new Reg(T1));
        b.add64(T2, size);
        b.jgt(T2, new Reg(DATA_END), NOMATCH);
        loadAt(A, T1, size);
        break;
      }
      case 0xb1: // ldxb 4*([k]&0xf)
        loadAbs(X, k, 1);
        b.alu(32, 'and', X, 0xf);
        b.alu(32, 'lsh', X, 2);
        break;
      case 0x80: case 0x81: { // ld/ldx #len
        const dst = ins.code === 0x80 ? A : X;
        if (target === 'tc') {
          b.ldx(8, 1, FP, CTX_SLOT);
          b.ldx(4, dst, 1, skb.len.off);
        } else {
          // data_end - data: the frame's length (pointer difference, allowed to privileged loaders).
          b.mov64(dst, new Reg(DATA_END));
          b.sub64(dst, new Reg(DATA));
          b.mov32(dst, new Reg(dst));
        }
        break;
      }
      case 0x00: b.mov32(A, imm); break;
      case 0x01: b.mov32(X, imm); break;
      case 0x60: b.ldx(4, A, FP, memSlot(pc, k)); break;
      case 0x61: b.ldx(4, X, FP, memSlot(pc, k)); break;
      case 0x02: b.stx(4, FP, memSlot(pc, k), A); break;
      case 0x03: b.stx(4, FP, memSlot(pc, k), X); break;
      case 0x07: b.mov32(X, new Reg(A)); break;
      case 0x87: b.mov32(A, new Reg(X)); break;
      case 0x84: b.neg(32, A); break;
      case 0x04: b.alu(32, 'add', A, imm); break;
      case 0x0c: b.alu(32, 'add', A, new Reg(X)); break;
      case 0x14: b.alu(32, 'sub', A, imm); break;
      case 0x1c: b.alu(32, 'sub', A, new Reg(X)); break;
      case 0x24: b.alu(32, 'mul', A, imm); break;
      case 0x2c: b.alu(32, 'mul', A, new Reg(X)); break;
      case 0x44: b.alu(32, 'or', A, imm); break;
      case 0x4c: b.alu(32, 'or', A, new Reg(X)); break;
      case 0x54: b.alu(32, 'and', A, imm); break;
      case 0x5c: b.alu(32, 'and', A, new Reg(X)); break;
      case 0xa4: b.alu(32, 'xor', A, imm); break;
      case 0xac: b.alu(32, 'xor', A, new Reg(X)); break;
      case 0x34: case 0x94: // div/mod by k: unsigned 32-bit, as eBPF's alu32
        if (k === 0) throw new CbpfTranslateError(pc, 'division by constant zero');
        // eBPF's alu32 immediate is sign-extended then truncated: the low 32 bits are k itself.
        b.alu(32, ins.code === 0x34 ? 'div' : 'mod', A, imm);
        break;
      case 0x3c: case 0x9c: // by X: classic returns 0 when X is 0, eBPF would go on with 0 or A
        b.jmp('jeq', X, 0, NOMATCH, 32);
        b.alu(32, ins.code === 0x3c ? 'div' : 'mod', A, new Reg(X));
        break;
      case 0x64: case 0x74:
        if (k >= 32) throw new CbpfTranslateError(pc, `shift by ${k}`);
        b.alu(32, ins.code === 0x64 ? 'lsh' : 'rsh', A, imm);
        break;
      case 0x6c: case 0x7c:
        // Shift counts use the low five bits of X, as the JITs' 32-bit shifts do.
        b.mov32(T3, new Reg(X));
        b.alu(32, 'and', T3, 31);
        b.alu(32, ins.code === 0x6c ? 'lsh' : 'rsh', A, new Reg(T3));
        break;
      case 0x05: { // ja
        if (imm < 0 || pc + 1 + k >= prog.length) throw new CbpfTranslateError(pc, 'backward or out-of-range jump');
        b.ja(L(pc + 1 + k));
        break;
      }
      case 0x15: case 0x1d: case 0x25: case 0x2d: case 0x35: case 0x3d: case 0x45: case 0x4d: {
        const ops: Record<number, JmpOp> = { 0x10: 'jeq', 0x20: 'jgt', 0x30: 'jge', 0x40: 'jset' };
        const op = ops[ins.code & 0xf0];
        const src = ins.code & 0x08 ? new Reg(X) : imm;
        const jt = target32(pc, ins.jt);
        const jf = target32(pc, ins.jf);
        if (ins.jt === ins.jf) {
          b.ja(jt);
        } else {
          b.jmp(op, A, src, jt, 32);
          if (ins.jf !== 0) b.ja(jf);
        }
        break;
      }
      case 0x06: // ret #k
        b.mov64(0, k !== 0 ? verdicts.onMatch : verdicts.onNoMatch);
        b.exit();
        break;
      case 0x16: // ret a
        b.jmp('jeq', A, 0, NOMATCH, 32);
        b.ja(MATCH);
        break;
      default:
        throw new CbpfTranslateError(pc, `opcode 0x${ins.code.toString(16)} is not a socket-filter instruction`);
    }
  }
  // The shared exits, only when something jumps there (the verifier refuses unreachable code).
  const jumpsTo = (name: string) => b.insns.some((i) => i.ref?.kind === 'label' && i.ref.name === name);
  if (jumpsTo(MATCH)) b.label(MATCH).mov64(0, verdicts.onMatch).exit();
  if (jumpsTo(NOMATCH)) b.label(NOMATCH).mov64(0, verdicts.onNoMatch).exit();
  return b;
}

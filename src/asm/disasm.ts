// Instructions as text. The default flavour prints what `bpftool prog dump xlated` prints (the
// kernel's kernel/bpf/disasm.c plus bpftool's callbacks for calls and ld_imm64), character for
// character; 'llvm' prints llvm-objdump's spelling; 'ubpf' the bpf_conformance/ubpf assembler's.
import { type Instruction, isLdImm64, ldImm64Value, slotIndex } from './instruction.js';
import { encode } from './encode.js';
import { type HelperTable, defaultHelpers, helperNames } from './helpers.js';
import * as o from './opcode.js';

export type Flavour = 'bpftool' | 'llvm' | 'ubpf';

export interface DisasmOptions {
  flavour?: Flavour;
  /** bpftool's `opcodes`: after each instruction, a line with its bytes. llvm: bytes before the text. */
  opcodes?: boolean;
  /** Prefix each line with the slot number (bpftool `   0: (b7) `, llvm `       0:\t`). Default true. */
  lineNumbers?: boolean;
  /** Helper id → name (or name → id) table; default: this kernel's, generated. */
  helpers?: HelperTable | ReadonlyMap<number, string>;
  /**
   * Names a call the way bpftool's cb_call does (e.g. from /proc/kallsyms for xlated programs);
   * return undefined to fall back to the kernel's own naming.
   */
  callName?: (insn: Instruction, slot: number) => string | undefined;
  /**
   * Spell the few instructions bpftool's text cannot carry (ld_imm64 of a BTF id or map index,
   * callx, kfunc offsets) in forms the assembler reads back to the same bytes.
   */
  lossless?: boolean;
  /** llvm flavour: print 32-bit loads/stores with w registers (llvm-objdump --mattr=+alu32). */
  alu32?: boolean;
  /**
   * bpftool flavour: print as a bpftool built from an older kernel's disasm.c does. '7.1' is
   * Debian's bpftool 7.1 (Linux 6.1): it predates cpu v4 (sdiv, movsx, bswap, sign-extending
   * loads, gotol), may_goto, gotox, arena casts, per-CPU address moves and load-acquire, and
   * prints those as other instructions or as BUG_ lines. Default: the current kernel's.
   */
  compat?: '7.1';
}

const ldst: Record<number, string> = { [o.BPF_W]: 'u32', [o.BPF_H]: 'u16', [o.BPF_B]: 'u8', [o.BPF_DW]: 'u64' };
const ldsx: Record<number, string> = { [o.BPF_W]: 's32', [o.BPF_H]: 's16', [o.BPF_B]: 's8' };
// A missing entry prints as glibc prints a NULL %s, as the kernel's table lookups would.
const aluOp: Record<number, string> = {
  [o.BPF_ADD]: '+=', [o.BPF_SUB]: '-=', [o.BPF_MUL]: '*=', [o.BPF_DIV]: '/=', [o.BPF_OR]: '|=', [o.BPF_AND]: '&=',
  [o.BPF_LSH]: '<<=', [o.BPF_RSH]: '>>=', [o.BPF_NEG]: 'neg', [o.BPF_MOD]: '%=', [o.BPF_XOR]: '^=', [o.BPF_MOV]: '=',
  [o.BPF_ARSH]: 's>>=', [o.BPF_END]: 'endian',
};
const atomicName: Record<number, string> = { [o.BPF_ADD]: 'add', [o.BPF_AND]: 'and', [o.BPF_OR]: 'or', [o.BPF_XOR]: 'xor' };
const jmpOp: Record<number, string> = {
  [o.BPF_JA]: 'jmp', [o.BPF_JEQ]: '==', [o.BPF_JGT]: '>', [o.BPF_JLT]: '<', [o.BPF_JGE]: '>=', [o.BPF_JLE]: '<=',
  [o.BPF_JSET]: '&', [o.BPF_JNE]: '!=', [o.BPF_JSGT]: 's>', [o.BPF_JSLT]: 's<', [o.BPF_JSGE]: 's>=', [o.BPF_JSLE]: 's<=',
  [o.BPF_CALL]: 'call', [o.BPF_EXIT]: 'exit',
};
const NULL = '(null)';

const signed = (v: number): string => (v >= 0 ? `+${v}` : `${v}`);
const hex = (v: number | bigint): string => `0x${v.toString(16)}`;
const hex2 = (code: number): string => code.toString(16).padStart(2, '0');
const u32 = (v: number): number => v >>> 0;

interface Ctx {
  names: ReadonlyMap<number, string>;
  opts: DisasmOptions;
  slot: number;
}

function nameTable(h: DisasmOptions['helpers']): ReadonlyMap<number, string> {
  if (h instanceof Map && [...h.keys()].every((k) => typeof k === 'number')) return h as ReadonlyMap<number, string>;
  return helperNames((h as HelperTable | undefined) ?? defaultHelpers);
}

/** The kernel's __func_get_name, with `callName` standing in for bpftool's cb_call. */
function callTarget(insn: Instruction, c: Ctx, fallback: string): string {
  if (insn.src === 0 && insn.imm >= 0 && c.names.has(insn.imm)) return c.names.get(insn.imm)!;
  const cb = c.opts.callName?.(insn, c.slot);
  if (cb !== undefined) return cb;
  if (insn.src === o.BPF_PSEUDO_CALL) return signed(insn.imm);
  if (insn.src === o.BPF_PSEUDO_KFUNC_CALL) return 'kernel-function';
  return fallback;
}

/** bpftool's print_imm for ld_imm64. */
function immName(insn: Instruction, c: Ctx): string {
  const lossless = c.opts.lossless;
  switch (insn.src) {
    case o.BPF_PSEUDO_MAP_FD:
      if (lossless && insn.imm2) break;
      return `map[id:${u32(insn.imm)}]`;
    case o.BPF_PSEUDO_MAP_VALUE:
      return `map[id:${u32(insn.imm)}][0]+${u32(insn.imm2 ?? 0)}`;
    case o.BPF_PSEUDO_MAP_IDX_VALUE:
      return `map[idx:${u32(insn.imm)}]+${u32(insn.imm2 ?? 0)}`;
    case o.BPF_PSEUDO_FUNC:
      if (lossless && insn.imm2) break;
      return `subprog[${signed(insn.imm)}]`;
    case o.BPF_PSEUDO_MAP_IDX:
      if (lossless && !insn.imm2) return `map[idx:${u32(insn.imm)}]`;
      break;
    case o.BPF_PSEUDO_BTF_ID:
      if (lossless && !insn.imm2) return `btf_id[${u32(insn.imm)}]`;
      break;
  }
  if (lossless && insn.src !== 0) return `${hex(ldImm64Value(insn))} ll src=${insn.src}`;
  return hex(ldImm64Value(insn));
}

/** One instruction as kernel/bpf/disasm.c prints it, including the `(xx) ` opcode. */
function formatKernel(insn: Instruction, c: Ctx): string {
  const { code, dst, src, off, imm } = insn;
  const klass = o.cls(code);
  const p = `(${hex2(code)}) `;
  const old = c.opts.compat === '7.1';
  if (klass === o.BPF_ALU || klass === o.BPF_ALU64) {
    const w = klass === o.BPF_ALU ? 'w' : 'r';
    const operation = o.op(code);
    if (operation === o.BPF_END) {
      if (klass === o.BPF_ALU64) return old ? `BUG_alu64_${hex2(code)}` : `${p}r${dst} = bswap${imm} r${dst}`;
      return `${p}r${dst} = ${o.srcBit(code) === o.BPF_TO_BE ? 'be' : 'le'}${imm} r${dst}`;
    }
    if (operation === o.BPF_NEG) return `${p}${w}${dst} = -${w}${dst}`;
    if (!old && code === (o.BPF_ALU64 | o.BPF_MOV | o.BPF_X) && off === o.BPF_ADDR_SPACE_CAST) {
      return `${p}r${dst} = addr_space_cast(r${src}, ${u32(imm) >>> 16}, ${imm & 0xffff})`;
    }
    if (!old && code === (o.BPF_ALU64 | o.BPF_MOV | o.BPF_X) && off === -1) return `${p}r${dst} = &(void __percpu *)(r${src})`;
    const sdiv = !old && (operation === o.BPF_DIV || operation === o.BPF_MOD) && off === 1;
    const opText = sdiv ? (operation === o.BPF_DIV ? 's/=' : 's%=') : aluOp[operation] ?? NULL;
    if (o.srcBit(code) === o.BPF_X) {
      const sx = !old && operation === o.BPF_MOV && (off === 8 || off === 16 || off === 32) ? `(s${off})` : '';
      return `${p}${w}${dst} ${opText} ${sx}${w}${src}`;
    }
    return `${p}${w}${dst} ${opText} ${imm}`;
  }
  if (klass === o.BPF_STX) {
    const m = o.mode(code);
    const sz = ldst[o.size(code)];
    const dw = o.size(code) === o.BPF_DW ? '64' : '';
    if (m === o.BPF_MEM) return `${p}*(${sz} *)(r${dst} ${signed(off)}) = r${src}`;
    if (m === o.BPF_ATOMIC) {
      if (imm === o.BPF_ADD || imm === o.BPF_AND || imm === o.BPF_OR || imm === o.BPF_XOR) {
        return `${p}lock *(${sz} *)(r${dst} ${signed(off)}) ${aluOp[imm]} r${src}`;
      }
      if ((imm & o.BPF_FETCH) && atomicName[imm & ~o.BPF_FETCH] !== undefined) {
        return `${p}r${src} = atomic${dw}_fetch_${atomicName[imm & ~o.BPF_FETCH]}((${sz} *)(r${dst} ${signed(off)}), r${src})`;
      }
      if (imm === o.BPF_CMPXCHG) return `${p}r0 = atomic${dw}_cmpxchg((${sz} *)(r${dst} ${signed(off)}), r0, r${src})`;
      if (imm === o.BPF_XCHG) return `${p}r${src} = atomic${dw}_xchg((${sz} *)(r${dst} ${signed(off)}), r${src})`;
      if (old) return `BUG_${hex2(code)}`;
      if (imm === o.BPF_LOAD_ACQ) return `${p}r${dst} = load_acquire((${sz} *)(r${src} ${signed(off)}))`;
      if (imm === o.BPF_STORE_REL) return `${p}store_release((${sz} *)(r${dst} ${signed(off)}), r${src})`;
    }
    return `BUG_${hex2(code)}`;
  }
  if (klass === o.BPF_ST) {
    if (o.mode(code) === o.BPF_MEM) return `${p}*(${ldst[o.size(code)]} *)(r${dst} ${signed(off)}) = ${imm}`;
    if (o.mode(code) === 0xc0) return `${p}nospec`;
    return `BUG_st_${hex2(code)}`;
  }
  if (klass === o.BPF_LDX) {
    const m = o.mode(code);
    const sz = m === o.BPF_MEM ? ldst[o.size(code)] : m === o.BPF_MEMSX && !old ? ldsx[o.size(code)] : undefined;
    if (sz === undefined) return `BUG_ldx_${hex2(code)}`;
    return `${p}r${dst} = *(${sz} *)(r${src} ${signed(off)})`;
  }
  if (klass === o.BPF_LD) {
    const m = o.mode(code);
    if (m === o.BPF_ABS) return `${p}r0 = *(${ldst[o.size(code)]} *)skb[${imm}]`;
    if (m === o.BPF_IND) return `${p}r0 = *(${ldst[o.size(code)]} *)skb[r${src} + ${imm}]`;
    if (m === o.BPF_IMM && o.size(code) === o.BPF_DW) return `${p}r${dst} = ${immName(insn, c)}`;
    return `BUG_ld_${hex2(code)}`;
  }
  // BPF_JMP and BPF_JMP32
  const w = klass === o.BPF_JMP32 ? 'w' : 'r';
  const operation = o.op(code);
  if (operation === o.BPF_CALL) {
    if (c.opts.lossless && code === (o.BPF_JMP | o.BPF_CALL | o.BPF_X) && src === 0 && off === 0 && imm === 0) return `${p}callx r${dst}`;
    if (src === o.BPF_PSEUDO_CALL) return `${p}call pc${callTarget(insn, c, '')}`;
    const name = callTarget(insn, c, 'unknown');
    if (c.opts.lossless && src === o.BPF_PSEUDO_KFUNC_CALL && off !== 0) return `${p}call ${name}#${imm} off=${off}`;
    return `${p}call ${name}#${imm}`;
  }
  if (code === (o.BPF_JMP | o.BPF_JA)) return `${p}goto pc${signed(off)}`;
  if (!old && code === (o.BPF_JMP | o.BPF_JA | o.BPF_X)) return `${p}gotox r${dst}`;
  if (!old && code === (o.BPF_JMP | o.BPF_JCOND) && src === o.BPF_MAY_GOTO) return `${p}may_goto pc${signed(off)}`;
  if (!old && code === (o.BPF_JMP32 | o.BPF_JA)) return `${p}gotol pc${signed(imm)}`;
  if (code === (o.BPF_JMP | o.BPF_EXIT)) return `${p}exit`;
  const cmp = jmpOp[operation] ?? NULL;
  if (o.srcBit(code) === o.BPF_X) return `${p}if ${w}${dst} ${cmp} ${w}${src} goto pc${signed(off)}`;
  return `${p}if ${w}${dst} ${cmp} ${hex(u32(imm))} goto pc${signed(off)}`;
}

const memLlvm = (reg: number, off: number): string => `r${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`;

/** One instruction in llvm-objdump's spelling (LLVM 14, plus the cpu v4 forms of later LLVM). */
function formatLlvm(insn: Instruction, c: Ctx): string {
  const { code, dst, src, off, imm } = insn;
  const klass = o.cls(code);
  const operation = o.op(code);
  const x = o.srcBit(code) === o.BPF_X;
  const unknown = '<unknown>';
  if (klass === o.BPF_ALU || klass === o.BPF_ALU64) {
    const w = klass === o.BPF_ALU ? 'w' : 'r';
    if (operation === o.BPF_END) return `r${dst} = ${klass === o.BPF_ALU64 ? 'bswap' : x ? 'be' : 'le'}${imm} r${dst}`;
    if (operation === o.BPF_NEG) return `${w}${dst} = -${w}${dst}`;
    if (code === (o.BPF_ALU64 | o.BPF_MOV | o.BPF_X) && off === o.BPF_ADDR_SPACE_CAST) {
      return `r${dst} = addr_space_cast(r${src}, ${u32(imm) >>> 16}, ${imm & 0xffff})`;
    }
    // No llvm spelling: the kernel's.
    if (code === (o.BPF_ALU64 | o.BPF_MOV | o.BPF_X) && off === -1) return `r${dst} = &(void __percpu *)(r${src})`;
    const sdiv = (operation === o.BPF_DIV || operation === o.BPF_MOD) && off === 1;
    const opText = sdiv ? (operation === o.BPF_DIV ? 's/=' : 's%=') : aluOp[operation];
    if (opText === undefined || opText === 'neg' || opText === 'endian') return unknown;
    if (x) {
      const sx = operation === o.BPF_MOV && (off === 8 || off === 16 || off === 32) ? `(s${off})` : '';
      return `${w}${dst} ${opText} ${sx}${w}${src}`;
    }
    return `${w}${dst} ${opText} ${imm}`;
  }
  const narrow = o.size(code) !== o.BPF_DW;
  const alu32 = c.opts.alu32 && narrow ? 'w' : 'r';
  if (klass === o.BPF_LDX) {
    const m = o.mode(code);
    const sz = m === o.BPF_MEM ? ldst[o.size(code)] : m === o.BPF_MEMSX ? ldsx[o.size(code)] : undefined;
    if (sz === undefined) return unknown;
    return `${m === o.BPF_MEM ? alu32 : 'r'}${dst} = *(${sz} *)(${memLlvm(src, off)})`;
  }
  if (klass === o.BPF_ST) {
    if (o.mode(code) !== o.BPF_MEM) return unknown;
    return `*(${ldst[o.size(code)]} *)(${memLlvm(dst, off)}) = ${imm}`;
  }
  if (klass === o.BPF_STX) {
    const m = o.mode(code);
    const sz = ldst[o.size(code)];
    if (m === o.BPF_MEM) return `*(${sz} *)(${memLlvm(dst, off)}) = ${alu32}${src}`;
    if (m !== o.BPF_ATOMIC) return unknown;
    const rw = narrow ? 'w' : 'r';
    if (imm === o.BPF_ADD || imm === o.BPF_AND || imm === o.BPF_OR || imm === o.BPF_XOR) {
      return `lock *(${sz} *)(${memLlvm(dst, off)}) ${aluOp[imm]} ${imm === o.BPF_ADD ? alu32 : rw}${src}`;
    }
    if ((imm & o.BPF_FETCH) && atomicName[imm & ~o.BPF_FETCH] !== undefined) {
      return `${rw}${src} = atomic_fetch_${atomicName[imm & ~o.BPF_FETCH]}((${sz} *)(${memLlvm(dst, off)}), ${rw}${src})`;
    }
    if (imm === o.BPF_XCHG) return narrow ? `w${src} = xchg32_32(${memLlvm(dst, off)}, w${src})` : `r${src} = xchg_64(${memLlvm(dst, off)}, r${src})`;
    if (imm === o.BPF_CMPXCHG) {
      return narrow ? `w0 = cmpxchg32_32(${memLlvm(dst, off)}, w0, w${src})` : `r0 = cmpxchg_64(${memLlvm(dst, off)}, r0, r${src})`;
    }
    if (imm === o.BPF_LOAD_ACQ) return `${rw}${dst} = load_acquire((${sz} *)(${memLlvm(src, off)}))`;
    if (imm === o.BPF_STORE_REL) return `store_release((${sz} *)(${memLlvm(dst, off)}), ${rw}${src})`;
    return unknown;
  }
  if (klass === o.BPF_LD) {
    const m = o.mode(code);
    if (m === o.BPF_ABS) return `r0 = *(${ldst[o.size(code)]} *)skb[${imm}]`;
    if (m === o.BPF_IND) return imm === 0 || !c.opts.lossless ? `r0 = *(${ldst[o.size(code)]} *)skb[r${src}]` : `r0 = *(${ldst[o.size(code)]} *)skb[r${src} + ${imm}]`;
    if (isLdImm64(insn)) {
      if (c.opts.lossless && insn.src !== 0) return `r${dst} = ${immName(insn, c)}`;
      return `r${dst} = ${BigInt.asIntN(64, ldImm64Value(insn))} ll`;
    }
    return unknown;
  }
  const w = klass === o.BPF_JMP32 ? 'w' : 'r';
  if (operation === o.BPF_CALL) {
    if (klass !== o.BPF_JMP) return unknown;
    if (x) return `callx r${dst}`;
    if (c.opts.lossless && src === o.BPF_PSEUDO_CALL) return `call pc${signed(imm)}`;
    if (c.opts.lossless && src === o.BPF_PSEUDO_KFUNC_CALL) return `call kernel-function#${imm}${off ? ` off=${off}` : ''}`;
    return `call ${imm}`;
  }
  if (code === (o.BPF_JMP | o.BPF_JA)) return `goto ${signed(off)}`;
  if (code === (o.BPF_JMP32 | o.BPF_JA)) return `gotol ${signed(imm)}`;
  if (code === (o.BPF_JMP | o.BPF_JA | o.BPF_X)) return `gotox r${dst}`;
  if (code === (o.BPF_JMP | o.BPF_EXIT)) return 'exit';
  if (code === (o.BPF_JMP | o.BPF_JCOND) && src === o.BPF_MAY_GOTO) return `may_goto ${signed(off)}`;
  const cmp = jmpOp[operation];
  if (cmp === undefined || operation === o.BPF_JA || operation === o.BPF_EXIT) return unknown;
  return `if ${w}${dst} ${cmp} ${x ? `${w}${src}` : imm} goto ${signed(off)}`;
}

const ubpfAlu: Record<number, string> = {
  [o.BPF_ADD]: 'add', [o.BPF_SUB]: 'sub', [o.BPF_MUL]: 'mul', [o.BPF_DIV]: 'div', [o.BPF_OR]: 'or', [o.BPF_AND]: 'and',
  [o.BPF_LSH]: 'lsh', [o.BPF_RSH]: 'rsh', [o.BPF_NEG]: 'neg', [o.BPF_MOD]: 'mod', [o.BPF_XOR]: 'xor', [o.BPF_MOV]: 'mov',
  [o.BPF_ARSH]: 'arsh',
};
const ubpfJmp: Record<number, string> = {
  [o.BPF_JEQ]: 'jeq', [o.BPF_JGT]: 'jgt', [o.BPF_JGE]: 'jge', [o.BPF_JSET]: 'jset', [o.BPF_JNE]: 'jne', [o.BPF_JSGT]: 'jsgt',
  [o.BPF_JSGE]: 'jsge', [o.BPF_JLT]: 'jlt', [o.BPF_JLE]: 'jle', [o.BPF_JSLT]: 'jslt', [o.BPF_JSLE]: 'jsle',
};
const ubpfSize: Record<number, string> = { [o.BPF_W]: 'w', [o.BPF_H]: 'h', [o.BPF_B]: 'b', [o.BPF_DW]: 'dw' };
const memUbpf = (reg: number, off: number): string => `[%r${reg}${off < 0 ? '-' : '+'}${Math.abs(off)}]`;

/** One instruction in the bpf_conformance/ubpf assembler's dialect, or undefined if it has no spelling there. */
function formatUbpf(insn: Instruction): string | undefined {
  const { code, dst, src, off, imm } = insn;
  const klass = o.cls(code);
  const operation = o.op(code);
  const x = o.srcBit(code) === o.BPF_X;
  if (klass === o.BPF_ALU || klass === o.BPF_ALU64) {
    const sfx = klass === o.BPF_ALU ? '32' : '';
    if (operation === o.BPF_END) {
      if (src || off) return undefined;
      return `${klass === o.BPF_ALU64 ? 'bswap' : x ? 'be' : 'le'}${imm} %r${dst}`;
    }
    if (operation === o.BPF_NEG) return src || off || imm || x ? undefined : `neg${sfx} %r${dst}`;
    let name = ubpfAlu[operation];
    if (name === undefined) return undefined;
    if ((operation === o.BPF_DIV || operation === o.BPF_MOD) && off === 1) name = `s${name}`;
    else if (operation === o.BPF_MOV && x && (off === 8 || off === 16 || (off === 32 && klass === o.BPF_ALU64))) name = `movsx${off}${klass === o.BPF_ALU ? '32' : '64'}`;
    else if (off !== 0) return undefined;
    if (name.startsWith('movsx')) return imm ? undefined : `${name} %r${dst}, %r${src}`;
    return x ? (imm ? undefined : `${name}${sfx} %r${dst}, %r${src}`) : src ? undefined : `${name}${sfx} %r${dst}, ${imm}`;
  }
  const sz = ubpfSize[o.size(code)];
  if (klass === o.BPF_LDX) {
    const m = o.mode(code);
    if (imm || (m !== o.BPF_MEM && !(m === o.BPF_MEMSX && o.size(code) !== o.BPF_DW))) return undefined;
    return `ldx${m === o.BPF_MEMSX ? 's' : ''}${sz} %r${dst}, ${memUbpf(src, off)}`;
  }
  if (klass === o.BPF_ST) return o.mode(code) === o.BPF_MEM && !src ? `st${sz} ${memUbpf(dst, off)}, ${imm}` : undefined;
  if (klass === o.BPF_STX) {
    const m = o.mode(code);
    if (m === o.BPF_MEM) return imm ? undefined : `stx${sz} ${memUbpf(dst, off)}, %r${src}`;
    if (m !== o.BPF_ATOMIC || (o.size(code) !== o.BPF_W && o.size(code) !== o.BPF_DW)) return undefined;
    const sfx = o.size(code) === o.BPF_W ? '32' : '';
    if (imm === o.BPF_XCHG) return `lock xchg${sfx} ${memUbpf(dst, off)}, %r${src}`;
    if (imm === o.BPF_CMPXCHG) return `lock cmpxchg${sfx} ${memUbpf(dst, off)}, %r${src}`;
    const name = atomicName[imm & ~o.BPF_FETCH];
    if (name === undefined || (imm & ~0xf1) !== 0) return undefined;
    return `lock ${imm & o.BPF_FETCH ? 'fetch ' : ''}${name}${sfx} ${memUbpf(dst, off)}, %r${src}`;
  }
  if (klass === o.BPF_LD) {
    if (!isLdImm64(insn) || src !== 0 || off !== 0) return undefined;
    return `lddw %r${dst}, ${hex(ldImm64Value(insn))}`;
  }
  if (code === (o.BPF_JMP | o.BPF_JA)) return dst || src || imm ? undefined : `ja ${signed(off)}`;
  if (code === (o.BPF_JMP32 | o.BPF_JA)) return dst || src || off ? undefined : `ja32 ${signed(imm)}`;
  if (code === (o.BPF_JMP | o.BPF_EXIT)) return dst || src || off || imm ? undefined : 'exit';
  if (code === (o.BPF_JMP | o.BPF_CALL | o.BPF_X)) return src || off || imm ? undefined : `call %r${dst}`;
  if (code === (o.BPF_JMP | o.BPF_CALL)) {
    if (dst || off) return undefined;
    if (src === o.BPF_HELPER_CALL) return `call ${imm}`;
    if (src === o.BPF_PSEUDO_CALL) return `call local ${signed(imm)}`;
    if (src === o.BPF_PSEUDO_KFUNC_CALL) return `call runtime ${imm}`;
    return undefined;
  }
  const name = ubpfJmp[operation];
  if (name === undefined || (klass !== o.BPF_JMP && klass !== o.BPF_JMP32)) return undefined;
  const sfx = klass === o.BPF_JMP32 ? '32' : '';
  return x ? (imm ? undefined : `${name}${sfx} %r${dst}, %r${src}, ${signed(off)}`) : src ? undefined : `${name}${sfx} %r${dst}, ${imm}, ${signed(off)}`;
}

/** One instruction's text in the chosen flavour (bpftool's includes the `(xx) ` opcode). */
export function formatInstruction(insn: Instruction, opts: DisasmOptions = {}, slot = 0): string {
  const c: Ctx = { names: nameTable(opts.helpers), opts, slot };
  return formatWith(insn, c);
}

function formatWith(insn: Instruction, c: Ctx): string {
  switch (c.opts.flavour ?? 'bpftool') {
    case 'llvm':
      return formatLlvm(insn, c);
    case 'ubpf':
      return formatUbpf(insn) ?? `.raw ${Array.from(encode([insn]), hex2).join(' ')}`;
    default:
      return formatKernel(insn, c);
  }
}

/** bpftool's fprint_hex of one or two slots as one line (two slots are joined by one space). */
function bytesLine(insn: Instruction): string {
  return Array.from(encode([insn]), hex2).join(' ');
}

/**
 * The whole listing, one line per instruction (ld_imm64 takes one line; numbers are slots),
 * ending in a newline: exactly `bpftool prog dump xlated` (with `opcodes` if asked) for the
 * bpftool flavour, minus the BTF function and source-line annotations bpftool adds from BTF.
 */
export function disassemble(insns: readonly Instruction[], opts: DisasmOptions = {}): string {
  const c: Ctx = { names: nameTable(opts.helpers), opts, slot: 0 };
  const at = slotIndex(insns);
  const numbers = opts.lineNumbers ?? true;
  const flavour = opts.flavour ?? 'bpftool';
  let out = '';
  for (let i = 0; i < insns.length; i++) {
    c.slot = at[i];
    const text = formatWith(insns[i], c);
    if (flavour === 'bpftool') {
      // printf("% 4d: ") pads to four columns including the blank the space flag adds.
      out += numbers ? `${(' ' + at[i]).padStart(4)}: ${text}\n` : `${text}\n`;
      if (opts.opcodes) out += `       ${bytesLine(insns[i])}\n`;
    } else if (flavour === 'llvm') {
      const head = numbers ? `${String(at[i]).padStart(8)}:\t` : '';
      out += opts.opcodes ? `${head}${bytesLine(insns[i])}\t${text}\n` : `${head}${text}\n`;
    } else {
      out += `${text}\n`;
    }
  }
  return out;
}

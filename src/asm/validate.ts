// What RFC 9669 calls invalid: opcodes it does not define and fields an opcode does not use that
// are not zero ("Unused fields must be set to zero"). The kernel verifier applies the same rules
// (with its own messages); bpf_conformance's negative tests check runtimes do too. Kernel-only
// extensions beyond the RFC (addr_space_cast, may_goto, gotox, load-acquire/store-release) are
// accepted where the kernel documents them as instructions, except addr_space_cast, whose
// offset collides with the RFC rule for mov.
import { type Instruction, slotIndex } from './instruction.js';
import * as o from './opcode.js';

export interface Problem {
  /** Index in the instruction array. */
  index: number;
  /** Slot (8-byte unit) of the instruction. */
  slot: number;
  reason: string;
}

/** Why `insn` is invalid, or undefined if it is a valid instruction. */
export function checkInstruction(insn: Instruction): string | undefined {
  const { code, dst, src, off, imm } = insn;
  const c = o.cls(code);
  const zero = (what: Record<string, number>): string | undefined => {
    for (const [name, v] of Object.entries(what)) if (v !== 0) return `${name} must be 0 (is ${v})`;
    return undefined;
  };
  const reg = (name: string, r: number): string | undefined => (r > 10 ? `invalid ${name} register r${r}` : undefined);
  const hex = `0x${code.toString(16).padStart(2, '0')}`;

  switch (c) {
    case o.BPF_ALU:
    case o.BPF_ALU64: {
      const alu64 = c === o.BPF_ALU64;
      const x = o.srcBit(code) === o.BPF_X;
      const operation = o.op(code);
      const r = reg('destination', dst);
      if (r) return r;
      switch (operation) {
        case o.BPF_ADD:
        case o.BPF_SUB:
        case o.BPF_MUL:
        case o.BPF_OR:
        case o.BPF_AND:
        case o.BPF_LSH:
        case o.BPF_RSH:
        case o.BPF_XOR:
        case o.BPF_ARSH:
          return x ? reg('source', src) ?? zero({ offset: off, imm: imm }) : zero({ src, offset: off });
        case o.BPF_DIV:
        case o.BPF_MOD:
          if (off !== 0 && off !== 1) return `offset of div/mod must be 0 (unsigned) or 1 (signed), is ${off}`;
          return x ? reg('source', src) ?? zero({ imm }) : zero({ src });
        case o.BPF_NEG:
          if (x) return `neg takes no source operand (opcode ${hex})`;
          return zero({ src, offset: off, imm });
        case o.BPF_MOV:
          if (!x) return zero({ src, offset: off });
          // off=1 (addr_space_cast, arena programs) is a kernel extension RFC 9669 does not define.
          if (off !== 0 && off !== 8 && off !== 16 && !(alu64 && off === 32)) return `offset of mov must be 0, 8, 16${alu64 ? ' or 32' : ''} (is ${off})`;
          return reg('source', src) ?? zero({ imm });
        case o.BPF_END:
          if (alu64 && o.srcBit(code) !== 0) return `opcode ${hex} is not defined (bswap has no byte-order bit)`;
          if (imm !== 16 && imm !== 32 && imm !== 64) return `byte swap width must be 16, 32 or 64 (is ${imm})`;
          return zero({ src, offset: off });
        default:
          return `opcode ${hex} is not defined`;
      }
    }
    case o.BPF_JMP:
    case o.BPF_JMP32: {
      const jmp32 = c === o.BPF_JMP32;
      const x = o.srcBit(code) === o.BPF_X;
      const operation = o.op(code);
      switch (operation) {
        case o.BPF_JA:
          if (x) return jmp32 ? `opcode ${hex} is not defined` : reg('destination', dst) ?? zero({ src, offset: off, imm });
          return jmp32 ? zero({ dst, src, offset: off }) : zero({ dst, src, imm });
        case o.BPF_CALL:
          if (jmp32) return `opcode ${hex} is not defined`;
          if (x) return reg('destination', dst) ?? zero({ src, offset: off, imm });
          if (src > o.BPF_PSEUDO_KFUNC_CALL) return `call source ${src} is not defined`;
          return src === o.BPF_PSEUDO_KFUNC_CALL ? zero({ dst }) : zero({ dst, offset: off });
        case o.BPF_EXIT:
          if (jmp32 || x) return `opcode ${hex} is not defined`;
          return zero({ dst, src, offset: off, imm });
        case o.BPF_JCOND:
          if (jmp32 || x) return `opcode ${hex} is not defined`;
          if (src !== o.BPF_MAY_GOTO) return `jcond source ${src} is not defined`;
          return zero({ dst, imm });
        case o.BPF_JEQ:
        case o.BPF_JGT:
        case o.BPF_JGE:
        case o.BPF_JSET:
        case o.BPF_JNE:
        case o.BPF_JSGT:
        case o.BPF_JSGE:
        case o.BPF_JLT:
        case o.BPF_JLE:
        case o.BPF_JSLT:
        case o.BPF_JSLE:
          return reg('destination', dst) ?? (x ? reg('source', src) ?? zero({ imm }) : zero({ src }));
        default:
          return `opcode ${hex} is not defined`;
      }
    }
    case o.BPF_LD: {
      const m = o.mode(code);
      if (code === o.LD_IMM64) {
        if (src > o.BPF_PSEUDO_MAP_IDX_VALUE) return `ld_imm64 source ${src} is not defined`;
        if (src === o.BPF_PSEUDO_MAP_FD || src === o.BPF_PSEUDO_MAP_IDX || src === o.BPF_PSEUDO_BTF_ID || src === o.BPF_PSEUDO_FUNC) {
          if ((insn.imm2 ?? 0) !== 0) return `second imm of ld_imm64 with source ${src} must be 0`;
        }
        return reg('destination', dst) ?? zero({ offset: off });
      }
      if ((m === o.BPF_ABS || m === o.BPF_IND) && o.size(code) !== o.BPF_DW) {
        return m === o.BPF_ABS ? zero({ dst, src, offset: off }) : reg('source', src) ?? zero({ dst, offset: off });
      }
      return `opcode ${hex} is not defined`;
    }
    case o.BPF_LDX: {
      const m = o.mode(code);
      if (m === o.BPF_MEM || (m === o.BPF_MEMSX && o.size(code) !== o.BPF_DW)) {
        return reg('destination', dst) ?? reg('source', src) ?? zero({ imm });
      }
      return `opcode ${hex} is not defined`;
    }
    case o.BPF_ST:
      if (o.mode(code) !== o.BPF_MEM) return `opcode ${hex} is not defined`;
      return reg('destination', dst) ?? zero({ src });
    case o.BPF_STX: {
      const m = o.mode(code);
      if (m === o.BPF_MEM) return reg('destination', dst) ?? reg('source', src) ?? zero({ imm });
      if (m !== o.BPF_ATOMIC) return `opcode ${hex} is not defined`;
      const r = reg('destination', dst) ?? reg('source', src);
      if (r) return r;
      const wide = o.size(code) === o.BPF_W || o.size(code) === o.BPF_DW;
      if (imm === o.BPF_LOAD_ACQ || imm === o.BPF_STORE_REL) return undefined;
      if (!wide) return `atomic ${imm.toString(16)} needs a 32- or 64-bit size`;
      if (atomicOps.has(imm)) return undefined;
      return `atomic operation 0x${(imm >>> 0).toString(16)} is not defined`;
    }
  }
  return `opcode ${hex} is not defined`;
}

const atomicOps = new Set([
  o.BPF_ADD, o.BPF_OR, o.BPF_AND, o.BPF_XOR,
  o.BPF_ADD | o.BPF_FETCH, o.BPF_OR | o.BPF_FETCH, o.BPF_AND | o.BPF_FETCH, o.BPF_XOR | o.BPF_FETCH,
  o.BPF_XCHG, o.BPF_CMPXCHG,
]);

/** Every invalid instruction in the program, plus jumps that leave it or land inside an ld_imm64. */
export function validate(insns: readonly Instruction[]): Problem[] {
  const problems: Problem[] = [];
  const at = slotIndex(insns);
  const total = at[insns.length];
  const starts = new Set(at.slice(0, insns.length));
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i];
    const why = checkInstruction(insn);
    if (why) {
      problems.push({ index: i, slot: at[i], reason: why });
      continue;
    }
    const target = jumpTarget(insn, at[i]);
    if (target !== undefined && (target < 0 || target >= total || !starts.has(target))) {
      problems.push({ index: i, slot: at[i], reason: `jump to slot ${target} is ${target < 0 || target >= total ? 'out of the program' : 'inside an ld_imm64'}` });
    }
  }
  return problems;
}

/** The slot an instruction at `slot` jumps or calls to, if it is a pc-relative transfer. */
export function jumpTarget(insn: Instruction, slot: number): number | undefined {
  const c = o.cls(insn.code);
  if (insn.code === o.LD_IMM64) return insn.src === o.BPF_PSEUDO_FUNC ? slot + 1 + insn.imm : undefined;
  if (c !== o.BPF_JMP && c !== o.BPF_JMP32) return undefined;
  const operation = o.op(insn.code);
  if (operation === o.BPF_EXIT) return undefined;
  if (operation === o.BPF_CALL) return insn.src === o.BPF_PSEUDO_CALL && o.srcBit(insn.code) === 0 ? slot + 1 + insn.imm : undefined;
  if (operation === o.BPF_JA && o.srcBit(insn.code) === o.BPF_X) return undefined;
  if (insn.code === (o.BPF_JMP32 | o.BPF_JA)) return slot + 1 + insn.imm;
  return slot + 1 + insn.off;
}

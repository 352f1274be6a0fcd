// Output forms of a compiled filter: the kernel's bytes, a C array, readable pseudo-code.
import { type CbpfInsn, encodeCbpf, BPF_RET, BPF_JMP, BPF_JA, BPF_LD, BPF_ALU } from '../insn.js';
import { AUDIT_ARCH } from './generated/syscalls.js';
import { actionFromValue, formatAction } from './policy.js';

/** struct sock_filter[] in host byte order, ready for SECCOMP_SET_MODE_FILTER. */
export function filterBytes(insns: readonly CbpfInsn[]): Buffer {
  return encodeCbpf(insns);
}

const hex = (n: number, w = 8) => `0x${(n >>> 0).toString(16).padStart(w, '0')}`;

/** A C initializer for `struct sock_filter filter[]`. */
export function filterC(insns: readonly CbpfInsn[], name = 'filter'): string {
  const lines = insns.map((i) => `\t{ ${hex(i.code, 2)}, ${i.jt}, ${i.jf}, ${hex(i.k)} },`);
  return [
    '#include <linux/filter.h>',
    '',
    `static struct sock_filter ${name}[] = {`,
    ...lines,
    '};',
    '',
    `static struct sock_fprog ${name}_prog = {`,
    `\t.len = sizeof(${name}) / sizeof(${name}[0]),`,
    `\t.filter = ${name},`,
    '};',
    '',
  ].join('\n');
}

const auditNames = new Map<number, string>(Object.entries(AUDIT_ARCH).map(([k, v]) => [v as number, k]));

function field(k: number): string {
  if (k === 0) return 'nr';
  if (k === 4) return 'arch';
  if (k === 8) return 'instruction_pointer';
  if (k === 12) return 'instruction_pointer >> 32';
  if (k >= 16 && k < 64) {
    const arg = Math.floor((k - 16) / 8);
    return `args[${arg}]${(k - 16) % 8 ? '.word1' : '.word0'}`;
  }
  return `[${k}]`;
}

/**
 * One line per instruction: `0007: if (A >= 0x3c) goto 0012 else goto 0008  # nr >= exit`.
 * Words of a 64-bit argument are shown by position (word0 at the lower address).
 */
export function filterPseudo(insns: readonly CbpfInsn[], comments: readonly string[] = []): string {
  const w = String(insns.length).length < 4 ? 4 : String(insns.length).length;
  const at = (n: number) => String(n).padStart(w, '0');
  return insns
    .map((ins, pc) => {
      const cls = ins.code & 0x07;
      const op = ins.code & 0xf0;
      let text: string;
      if (cls === BPF_RET) {
        text = (ins.code & 0x18) === 0x10 ? 'return A' : `return ${formatAction(actionFromValue(ins.k))}`;
      } else if (cls === BPF_LD && (ins.code & 0xe0) === 0x20) {
        text = `A = ${field(ins.k)}`;
      } else if (cls === BPF_ALU && op === 0x50) {
        text = `A &= ${hex(ins.k)}`;
      } else if (cls === BPF_JMP && op === BPF_JA) {
        text = `goto ${at(pc + 1 + ins.k)}`;
      } else if (cls === BPF_JMP) {
        const sym = op === 0x10 ? '==' : op === 0x20 ? '>' : op === 0x30 ? '>=' : '&';
        const k = auditNames.has(ins.k) && op === 0x10 ? `AUDIT_ARCH_${auditNames.get(ins.k)}` : hex(ins.k);
        text = `if (A ${sym} ${k}) goto ${at(pc + 1 + ins.jt)} else goto ${at(pc + 1 + ins.jf)}`;
      } else {
        text = `code=${hex(ins.code, 2)} jt=${ins.jt} jf=${ins.jf} k=${hex(ins.k)}`;
      }
      const note = comments[pc] ? `  # ${comments[pc]}` : '';
      return `${at(pc)}: ${text}${note}`;
    })
    .join('\n') + '\n';
}

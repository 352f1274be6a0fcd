// The kernel's checks on a classic program before it runs (net/core/filter.c bpf_check_classic
// and check_load_and_stores; kernel/seccomp.c seccomp_check_filter for seccomp). A program that
// passes here is one the kernel accepts, and one runCbpf runs without throwing.
import {
  type CbpfInsn,
  BPF_MAXINSNS,
  BPF_MEMWORDS,
  SKF_AD_OFF,
  SKF_AD_MAX,
} from './insn.js';

/** One reason the kernel would refuse the program; `pc` is the instruction index (-1: the whole program). */
export interface CbpfProblem {
  pc: number;
  message: string;
}

export interface CbpfValidateOptions {
  /** 'socket' (default): bpf_check_classic. 'seccomp': seccomp_check_filter first, then bpf_check_classic. */
  mode?: 'socket' | 'seccomp';
}

/** Thrown by assertValidCbpf: the kernel would answer EINVAL. */
export class CbpfValidationError extends Error {
  readonly problems: CbpfProblem[];
  constructor(problems: CbpfProblem[]) {
    const first = problems[0];
    super(`invalid classic BPF program: ${first.pc >= 0 ? `instruction ${first.pc}: ` : ''}${first.message}` +
      (problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''));
    this.name = 'CbpfValidationError';
    this.problems = problems;
  }
}

// chk_code_allowed: the opcodes a socket filter may use.
const ALLOWED = new Set<number>([
  // ALU: add sub mul div mod and or xor lsh rsh with k and x, neg.
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac,
  0x64, 0x6c, 0x74, 0x7c, 0x84,
  // Loads.
  0x20, 0x28, 0x30, 0x80, 0x40, 0x48, 0x50, 0x00, 0x60, 0x81, 0xb1, 0x01, 0x61,
  // Stores, misc, returns.
  0x02, 0x03, 0x07, 0x87, 0x06, 0x16,
  // Jumps.
  0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d,
]);

// seccomp_check_filter: the subset seccomp allows (no packet loads beyond seccomp_data words, no mod,
// no ldxb msh, no indirect loads).
const SECCOMP_ALLOWED = new Set<number>([
  0x20, 0x80, 0x81, 0x06, 0x16,
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x64, 0x6c, 0x74, 0x7c, 0x84,
  0x00, 0x01, 0x07, 0x87, 0x60, 0x61, 0x02, 0x03,
  0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d,
]);

const SECCOMP_DATA_SIZE = 64;

const isCondJump = (code: number) => (code & 0x07) === 0x05 && code !== 0x05;

/** Returns every reason the kernel would refuse `prog` (empty when it is accepted). */
export function checkCbpf(prog: readonly CbpfInsn[], opts: CbpfValidateOptions = {}): CbpfProblem[] {
  const problems: CbpfProblem[] = [];
  const flen = prog.length;
  if (flen === 0 || flen > BPF_MAXINSNS) {
    return [{ pc: -1, message: `program length ${flen} is outside 1..${BPF_MAXINSNS}` }];
  }
  let insns: readonly CbpfInsn[] = prog;
  if (opts.mode === 'seccomp') {
    // seccomp rewrites length loads into constants before the generic check runs.
    const rewritten: CbpfInsn[] = [];
    for (let pc = 0; pc < flen; pc++) {
      const ins = prog[pc];
      if (!SECCOMP_ALLOWED.has(ins.code)) {
        problems.push({ pc, message: `opcode 0x${ins.code.toString(16)} is not allowed in a seccomp filter` });
      } else if (ins.code === 0x20 && ((ins.k >>> 0) >= SECCOMP_DATA_SIZE || (ins.k & 3) !== 0)) {
        problems.push({ pc, message: `load offset ${ins.k >>> 0} is not an aligned word inside struct seccomp_data` });
      }
      if (ins.code === 0x80) rewritten.push({ code: 0x00, jt: 0, jf: 0, k: SECCOMP_DATA_SIZE });
      else if (ins.code === 0x81) rewritten.push({ code: 0x01, jt: 0, jf: 0, k: SECCOMP_DATA_SIZE });
      else if (ins.code === 0x20) rewritten.push({ code: 0x00, jt: 0, jf: 0, k: 0 }); // a seccomp load; never ancillary
      else rewritten.push(ins);
    }
    if (problems.length) return problems;
    insns = rewritten;
  }

  for (let pc = 0; pc < flen; pc++) {
    const ins = insns[pc];
    const k = ins.k >>> 0;
    if (!ALLOWED.has(ins.code)) {
      problems.push({ pc, message: `unknown or disallowed opcode 0x${ins.code.toString(16).padStart(2, '0')}` });
      continue;
    }
    switch (ins.code) {
      case 0x34:
      case 0x94:
        if (k === 0) problems.push({ pc, message: 'division by constant zero' });
        break;
      case 0x64:
      case 0x74:
        if (k >= 32) problems.push({ pc, message: `shift by ${k} (must be < 32)` });
        break;
      case 0x60:
      case 0x61:
      case 0x02:
      case 0x03:
        if (k >= BPF_MEMWORDS) problems.push({ pc, message: `scratch memory index ${k} (must be < ${BPF_MEMWORDS})` });
        break;
      case 0x05:
        if (k >= flen - pc - 1) problems.push({ pc, message: `jump offset ${k} leaves the program` });
        break;
      case 0x20:
      case 0x28:
      case 0x30: {
        const off = k | 0;
        if (off >= SKF_AD_OFF && off < 0) {
          const which = off - SKF_AD_OFF;
          if (which >= SKF_AD_MAX || which % 4 !== 0) {
            problems.push({ pc, message: `unknown ancillary load SKF_AD_OFF+${which}` });
          }
        }
        break;
      }
      default:
        if (isCondJump(ins.code) && (pc + ins.jt + 1 >= flen || pc + ins.jf + 1 >= flen)) {
          problems.push({ pc, message: `jump target (jt ${ins.jt}, jf ${ins.jf}) leaves the program` });
        }
    }
  }
  const last = insns[flen - 1];
  if (last.code !== 0x06 && last.code !== 0x16) {
    problems.push({ pc: flen - 1, message: 'the last instruction must be a return' });
  }
  if (problems.length) return problems;
  return checkLoadsAndStores(insns);
}

// check_load_and_stores: a scratch-memory word must be stored on every path before it is loaded.
// Mirrors the kernel's forward pass exactly, including its conservatism.
function checkLoadsAndStores(prog: readonly CbpfInsn[]): CbpfProblem[] {
  const flen = prog.length;
  const masks = new Uint16Array(flen).fill(0xffff);
  let memvalid = 0;
  for (let pc = 0; pc < flen; pc++) {
    memvalid &= masks[pc];
    const ins = prog[pc];
    const k = ins.k >>> 0;
    switch (ins.code) {
      case 0x02:
      case 0x03:
        memvalid |= 1 << k;
        break;
      case 0x60:
      case 0x61:
        if (!(memvalid & (1 << k))) return [{ pc, message: `M[${k}] may be read before it is written` }];
        break;
      case 0x05:
        masks[pc + 1 + k] &= memvalid;
        memvalid = 0xffff;
        break;
      default:
        if (isCondJump(ins.code)) {
          masks[pc + 1 + ins.jt] &= memvalid;
          masks[pc + 1 + ins.jf] &= memvalid;
          memvalid = 0xffff;
        }
    }
  }
  return [];
}

/** True when the kernel would accept `prog`. */
export function isValidCbpf(prog: readonly CbpfInsn[], opts: CbpfValidateOptions = {}): boolean {
  return checkCbpf(prog, opts).length === 0;
}

/** Throws CbpfValidationError, naming the first bad instruction, when the kernel would refuse `prog`. */
export function assertValidCbpf(prog: readonly CbpfInsn[], opts: CbpfValidateOptions = {}): void {
  const problems = checkCbpf(prog, opts);
  if (problems.length) throw new CbpfValidationError(problems);
}

// Running a compiled filter on a system call, with the classic-BPF interpreter.
import type { CbpfInsn } from '../insn.js';
import { runCbpf } from '../interpreter.js';
import { archTable, syscallNumber, type SyscallArch } from './arch.js';
import { actionFromValue, type SeccompAction } from './policy.js';

export interface SyscallInput {
  arch: SyscallArch;
  /** A name in the architecture's table, or a number. */
  syscall: string | number;
  args?: ReadonlyArray<bigint | number>;
  instructionPointer?: bigint;
}

/**
 * struct seccomp_data as the filter of a process of `arch` sees it. The interpreter reads
 * host-endian (little-endian) words, so for big-endian architectures each 32-bit word is
 * placed where a big-endian kernel would put it: the high half of an argument first.
 * Arguments of 32-bit architectures are 32 bits wide; the kernel zero-extends them.
 */
export function seccompDataFor(input: { arch: SyscallArch; nr: number; args?: ReadonlyArray<bigint | number>; instructionPointer?: bigint }): Uint8Array {
  const t = archTable(input.arch);
  const out = new Uint8Array(64);
  const v = new DataView(out.buffer);
  v.setUint32(0, input.nr >>> 0, true);
  v.setUint32(4, t.audit >>> 0, true);
  const put64 = (off: number, x: bigint) => {
    const hi = Number((x >> 32n) & 0xffffffffn);
    const lo = Number(x & 0xffffffffn);
    v.setUint32(off, t.endian === 'big' ? hi : lo, true);
    v.setUint32(off + 4, t.endian === 'big' ? lo : hi, true);
  };
  put64(8, BigInt.asUintN(64, input.instructionPointer ?? 0n));
  (input.args ?? []).slice(0, 6).forEach((a, i) => {
    let x = BigInt.asUintN(64, BigInt(a));
    if (t.bits === 32) x &= 0xffffffffn;
    put64(16 + 8 * i, x);
  });
  return out;
}

export interface SimulationResult {
  /** The SECCOMP_RET_* word the filter returned. */
  value: number;
  action: SeccompAction;
  /** Instructions executed. */
  steps: number;
}

/** Resolves a system call name or number on `arch`; throws for a name the table lacks. */
export function resolveSyscall(arch: SyscallArch, syscall: string | number): number {
  if (typeof syscall === 'number') return syscall >>> 0;
  if (/^-?\d+$|^0x[0-9a-f]+$/i.test(syscall)) return Number(syscall) >>> 0;
  const nr = syscallNumber(arch, syscall);
  if (nr === undefined) throw new Error(`unknown system call '${syscall}' on ${arch}`);
  return nr;
}

/** Evaluates the filter for one call. */
export function simulateSeccomp(prog: readonly CbpfInsn[], input: SyscallInput): SimulationResult {
  const nr = resolveSyscall(input.arch, input.syscall);
  const data = seccompDataFor({ arch: input.arch, nr, args: input.args, instructionPointer: input.instructionPointer });
  let steps = 0;
  const value = runCbpf(prog, data, { byteOrder: 'host', trace: () => void steps++ });
  return { value, action: actionFromValue(value), steps };
}

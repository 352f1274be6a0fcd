// What the code generator must know about the place a program runs: its program type (which
// decides the context layout) and, for some providers, per-attach-point facts (tracepoint format,
// USDT argument specs, the probe's name for the `probe` builtin).
import type { TracepointFormat } from '../../sys/tracefs.js';
import { kernelPtRegsOffsets, type UsdtArgSpec, type PtRegsOffsets } from '../../symbols/usdt.js';

export type TraceProgType = 'raw_tracepoint' | 'tracepoint' | 'perf_event' | 'kprobe' | 'tracing';

export interface ProbeTarget {
  /** Canonical provider of the attach point(s) this program serves. */
  provider: string;
  progType: TraceProgType;
  /** Index into resources.probeNames for the `probe` builtin (-1 when unknown). */
  probeIndex: number;
  /** Tracepoint programs that read `args`: the format of the one tracepoint this program serves. */
  tracepoint?: TracepointFormat;
  /** Tracepoint category: pointers of syscalls:* arguments are user pointers. */
  category?: string;
  /** USDT programs: argument specs of the location(s) this program serves. */
  usdtArgs?: UsdtArgSpec[];
  /** Function name, when one program serves exactly one function (kprobe/uprobe func builtin fallback). */
  func?: string;
}

/** The program type each provider compiles to. */
export function progTypeOf(provider: string): TraceProgType {
  switch (provider) {
    case 'BEGIN':
    case 'END':
    case 'rawtracepoint':
      return 'raw_tracepoint';
    case 'tracepoint':
      return 'tracepoint';
    case 'profile':
    case 'interval':
    case 'software':
    case 'hardware':
    case 'watchpoint':
    case 'asyncwatchpoint':
      return 'perf_event';
    case 'kfunc':
    case 'kretfunc':
    case 'iter':
      return 'tracing';
    default:
      // kprobe, kretprobe, uprobe, uretprobe, usdt
      return 'kprobe';
  }
}

/** x86-64 struct pt_regs (an ABI: arch/x86/include/uapi/asm/ptrace.h), used when BTF is not needed. */
const X86_64_PT_REGS: [string, number][] = [
  ['r15', 0], ['r14', 8], ['r13', 16], ['r12', 24], ['bp', 32], ['bx', 40], ['r11', 48], ['r10', 56], ['r9', 64], ['r8', 72],
  ['ax', 80], ['cx', 88], ['dx', 96], ['si', 104], ['di', 112], ['orig_ax', 120], ['ip', 128], ['cs', 136], ['flags', 144],
  ['sp', 152], ['ss', 160],
];

/** pt_regs offsets: x86-64's fixed UAPI layout (decoding kernel BTF costs ~100 ms of start-up), else from kernel BTF. */
export function ptRegs(): PtRegsOffsets {
  return process.arch === 'x64' ? new Map(X86_64_PT_REGS) : kernelPtRegsOffsets();
}

/** The pt_regs fields holding function arguments 0..5 (System V AMD64). */
export const ARG_REGS = ['di', 'si', 'dx', 'cx', 'r8', 'r9'];

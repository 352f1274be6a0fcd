// The uprobe that arms a watchpoint on a function argument (bpftrace's "watchpoint setup probe"):
// it reports the address the function received to the runtime, which places the hardware
// breakpoint. Unless the watchpoint is async it first stops the task (SIGSTOP), so that the
// breakpoint is in place before the function touches the memory; the runtime resumes it.
import { constants } from 'node:os';
import { ProgramBuilder } from '../../asm/builder.js';
import { R0, R1, R2, R3, R4, R6, R7, R10 } from '../../asm/instruction.js';
import { RecordKind } from './layout.js';
import { ARG_REGS, ptRegs } from './target.js';

export function watchpointSetupProgram(id: number, arg: number, async: boolean, ringbuf: string): ProgramBuilder {
  const reg = ARG_REGS[arg];
  const off = reg === undefined ? undefined : ptRegs().get(reg);
  if (off === undefined) throw new Error(`watchpoint: arg${arg} is not passed in a register`);
  const b = new ProgramBuilder();
  b.mov64(R6, R1);
  if (!async) b.mov64(R1, constants.signals.SIGSTOP).call('send_signal');
  b.ldx(8, R7, R6, off);
  b.st(4, R10, -16, RecordKind.watchpointAttach).st(4, R10, -12, id).stx(8, R10, -8, R7);
  b.ldMap(R1, ringbuf).mov64(R2, R10).add64(R2, -16).mov64(R3, 16).mov64(R4, 0).call('ringbuf_output');
  b.mov64(R0, 0).exit();
  return b;
}

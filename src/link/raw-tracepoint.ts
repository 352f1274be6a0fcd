// Raw tracepoints (raw_tp/NAME) and BTF-typed tracepoints (tp_btf/NAME).
import * as bpf from '../sys/bpf.js';
import { BpfError, NotSupportedError } from '../sys/errors.js';
import { attachTypes } from '../sys/generated/kernel.js';
import { BpfLink, type Link } from './link.js';
import type { Program } from '../program.js';

export function attachRawTracepoint(program: Program, name: string, opts: { cookie?: bigint } = {}): Link {
  return new BpfLink(bpf.rawTracepointOpen(name, program.fd.raw, opts.cookie ?? 0n), 'raw_tracepoint');
}

/**
 * Attaches a program loaded with a BTF target (tp_btf, fentry, fexit, fmod_ret, lsm, freplace):
 * the target was fixed at load time, so no name is passed here.
 */
export function attachTracing(program: Program, opts: { cookie?: bigint } = {}): Link {
  if (program.type === 'lsm') {
    return new BpfLink(bpf.linkCreate({ progFd: program.fd.raw, targetFd: 0, attachType: attachTypes.lsm_mac }), 'tracing');
  }
  try {
    return new BpfLink(bpf.rawTracepointOpen(undefined, program.fd.raw, opts.cookie ?? 0n), 'tracing');
  } catch (e) {
    if (e instanceof BpfError && (e.code === 'ENOTSUPP' || e.code === 'ENOTSUP')) throw new NotSupportedError(`${program.expectedAttachType ?? program.type} attachment`, e.message);
    throw e;
  }
}

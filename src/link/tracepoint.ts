// Tracepoints: a perf event of type tracepoint carrying the program (libbpf's SEC("tp/...")).
import { perfEventOpen } from '../sys/perf.js';
import { tracepointId } from '../sys/tracefs.js';
import { attachPerfEvent } from './perf-attach.js';
import type { Link } from './link.js';
import type { Program } from '../program.js';

export function attachTracepoint(program: Program, category: string, name: string, opts: { cookie?: bigint } = {}): Link {
  const id = tracepointId(category, name);
  // One event on CPU 0 with pid -1: the program runs for the tracepoint on every CPU.
  const event = perfEventOpen({ type: 'tracepoint', config: id }, -1, 0);
  return attachPerfEvent(program, event, opts);
}

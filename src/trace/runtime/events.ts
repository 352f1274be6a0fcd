// What a running script produces, as typed events; the CLI formats them like bpftrace, the library
// hands them to the caller.
import type { MapSnapshot, OutputFormat, Value } from '../output/format.js';
import { formatAttachedProbes, formatMap, formatMaps, formatMessage, formatValue } from '../output/format.js';
import type { SizedType } from '../types.js';

export type TraceEvent =
  | { type: 'attached_probes'; probes: number }
  /** Text a printf/time/cat/join/system call produced (join: without its trailing newline). */
  | { type: 'printf' | 'time' | 'cat' | 'join' | 'system'; text: string }
  /** print() of a non-map value. */
  | { type: 'value'; valueType: SizedType; value: Value }
  /** print(@map) during the run, or every map at exit (`atExit`). */
  | { type: 'map'; snapshot: MapSnapshot; top?: number; div?: number; atExit: boolean }
  /** Exit-time map dump starts (bpftrace prints two newlines here). */
  | { type: 'exiting' }
  | { type: 'lost_events'; events: number }
  /** A runtime message bpftrace prints as is (text) or as {"type": KIND, "data": TEXT} (json). */
  | { type: 'message'; kind: string; text: string }
  /** A helper failed (-k/-kk); `text` is bpftrace's warning, with the script line and a marker. */
  | { type: 'helper_error'; helper: string; retcode: number; line: number; column: number; text: string };

/** bpftrace's text or NDJSON rendering of one event. */
export function renderEvent(e: TraceEvent, fmt: OutputFormat): string {
  switch (e.type) {
    case 'attached_probes':
      return formatAttachedProbes(e.probes, fmt);
    case 'printf':
    case 'time':
    case 'cat':
    case 'join':
      return formatMessage(e.type, e.text, fmt);
    case 'system':
      return fmt === 'json' ? formatMessage('syscall', e.text, fmt) : e.text;
    case 'value':
      return formatValue(e.valueType, e.value, fmt);
    case 'map':
      return formatMap(e.snapshot, fmt, { top: e.top, div: e.div });
    case 'exiting':
      return '\n\n';
    case 'message':
      return fmt === 'json' ? `{"type": "${e.kind}", "data": "${e.text.replace(/["\\]/g, '\\$&')}"}\n` : `${e.text}\n`;
    case 'helper_error':
      return fmt === 'json' ? `{"type": "helper_error", "helper": "${e.helper}", "retcode": ${e.retcode}, "line": ${e.line}, "col": ${e.column}}\n` : e.text;
    case 'lost_events':
      return fmt === 'json' ? `{"type": "lost_events", "data": {"events": ${e.events}}}\n` : `Lost ${e.events} events\n`;
  }
}

export { formatMaps };

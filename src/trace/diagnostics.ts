// Errors and warnings printed the way bpftrace 0.17 prints them (src/log.cpp):
//   stdin:1:9-12: ERROR: Unknown function: foo
//   BEGIN { foo(); }
//           ~~~
// A range spanning lines prints only `file:L1-L2: ERROR: msg`.
import { ParseError } from '../sys/errors.js';
import type { Diagnostic, Loc } from './ast.js';

/** One diagnostic as bpftrace prints it, with a trailing newline. */
export function formatDiagnostic(d: Diagnostic, source: string, file = 'stdin'): string {
  let msg = d.message;
  if (msg.endsWith('\n')) msg = msg.slice(0, -1);
  if (d.raw) return `${msg}\n`;
  if (!d.loc) return `${d.severity}: ${msg}\n`;
  const l = d.loc;
  const prefix = file ? `${file}:` : '';
  if (l.line < l.endLine) return `${prefix}${l.line}-${l.endLine}: ${d.severity}: ${msg}\n`;
  let out = `${prefix}${l.line}:${l.column}-${l.endColumn}: ${d.severity}: ${msg}\n`;
  const src = sourceLine(source, l.line - 1);
  if (src === '') return out;
  out += src.replace(/\t/g, '    ') + '\n';
  let marker = '';
  for (let x = 0; x < src.length && x < l.endColumn - 1; x++) {
    const c = x < l.column - 1 ? ' ' : '~';
    marker += src[x] === '\t' ? c.repeat(4) : c;
  }
  return out + marker + '\n';
}

// Log::get_source_line: the Nth line (0-based) as std::getline splits it, '' past the end.
function sourceLine(source: string, n: number): string {
  const lines = source.split('\n');
  if (n >= lines.length) return '';
  // getline on the last, unterminated line still yields it; a final '\n' adds no extra line.
  if (n === lines.length - 1 && lines[n] === '') return '';
  return lines[n];
}

/**
 * A script bpftrace would reject, with every diagnostic of the failing stage. `message` is exactly
 * the text bpftrace prints on stderr (without its unrelated RLIMIT warning).
 */
export class TraceError extends ParseError {
  readonly diagnostics: Diagnostic[];
  readonly text: string;
  constructor(diagnostics: Diagnostic[], source: string, file = 'stdin') {
    const first = diagnostics.find((d) => d.severity === 'ERROR' && d.loc) ?? diagnostics[0];
    const loc: Loc | undefined = first?.loc;
    super(first?.message ?? 'error', { file, line: loc?.line ?? 1, column: loc?.column ?? 1, length: loc ? Math.max(1, loc.endColumn - loc.column) : 1 }, source);
    this.name = 'TraceError';
    this.diagnostics = diagnostics;
    this.text = diagnostics.map((d) => formatDiagnostic(d, source, file)).join('');
    this.message = this.text.replace(/\n$/, '');
  }
}

/** The warnings of a checked program as bpftrace prints them on stderr. */
export function formatWarnings(warnings: Diagnostic[], source: string, file = 'stdin'): string {
  const bytes = toBinary(source);
  // Messages hold script text as bytes, like the tree (see ast.ts).
  return fromBinary(warnings.map((d) => formatDiagnostic(d, bytes, file)).join(''));
}

/** A JS string whose code units are the UTF-8 bytes of `s` (bpftrace counts columns in bytes). */
export function toBinary(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
export function fromBinary(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

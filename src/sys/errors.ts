// The one error model of bpfkit (DESIGN.md): every failure a user can hit is one of these.
import { constants } from 'node:os';
import { strerrorTexts } from './generated/strerror.js';

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}
// Kernel-internal codes that leak to user space from bpf() and are missing from libuv's table.
errnoNames.set(524, 'ENOTSUPP');
errnoNames.set(512, 'ERESTARTSYS');

/** glibc's text for an errno value, as strerror() gives it (bpftool and bpftrace print these). */
export function strerror(errno: number): string {
  return (errno > 0 && strerrorTexts[errno]) || `Unknown error ${errno}`;
}

/** The name of an errno value, e.g. 1 → 'EPERM'. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** A system call failed. `code` is the errno name, `operation` what bpfkit was doing. */
export class BpfError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly operation: string;
  constructor(operation: string, errno: number, message?: string) {
    const code = errnoName(errno);
    super(`${operation}: ${message ?? defaultMessage(code)} (${code})`);
    this.name = 'BpfError';
    this.code = code;
    this.errno = errno;
    this.operation = operation;
  }
}

function defaultMessage(code: string): string {
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return 'permission denied: run as root, or grant CAP_BPF (plus CAP_PERFMON for tracing, CAP_NET_ADMIN for networking)';
    case 'ENOENT':
      return 'no such entry';
    case 'EEXIST':
      return 'the entry already exists';
    case 'E2BIG':
      return 'argument too big for this kernel (a field it does not know is set, or a map is full)';
    case 'EINVAL':
      return 'invalid argument';
    case 'EBADF':
      return 'bad file descriptor (the object was closed?)';
    case 'ENOMEM':
      return 'out of memory';
    case 'ENOSPC':
      return 'no space left';
    case 'EBUSY':
      return 'resource busy';
    case 'ENOTSUPP':
    case 'EOPNOTSUPP':
      return 'operation not supported';
    default:
      return 'system call failed';
  }
}

/** The verifier rejected a program. `log` is the whole verifier log. */
export class VerifierError extends Error {
  readonly log: string;
  readonly code: string;
  readonly errno: number;
  readonly summary: string[];
  readonly truncated: boolean;
  constructor(programName: string, errno: number, log: string, truncated = false) {
    const summary = summarizeVerifierLog(log);
    const head = `program ${programName || '(unnamed)'} rejected by the verifier (${errnoName(errno)})`;
    super(summary.length ? `${head}:\n  ${summary.join('\n  ')}` : head);
    this.name = 'VerifierError';
    this.log = log;
    this.code = errnoName(errno);
    this.errno = errno;
    this.summary = summary;
    this.truncated = truncated;
  }
}

/**
 * The lines of a verifier log that explain a rejection: the last error line and,
 * when the log has them, the source line (`; ...`) and instruction right before it.
 */
export function summarizeVerifierLog(log: string): string[] {
  const lines = log.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0);
  // The verifier ends with statistics lines; the reason comes just before them.
  let end = lines.length;
  while (end > 0 && /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|-- END PROG LOAD LOG --)/.test(lines[end - 1])) end--;
  if (end === 0) return [];
  // The reason is every line after the last instruction the verifier printed (often two).
  let insn = end - 1;
  while (insn >= 0 && !/^\d+: \(/.test(lines[insn])) insn--;
  const reasonStart = insn >= 0 && end - insn - 1 <= 4 ? insn + 1 : end - 1;
  const out: string[] = [];
  for (let i = (insn >= 0 ? insn : end) - 1; i >= 0 && i >= end - 16; i--) {
    if (lines[i].startsWith('; ')) {
      out.push(lines[i]);
      break;
    }
  }
  if (insn >= 0 && reasonStart === insn + 1) out.push(lines[insn].replace(/\s+;.*$/, ''));
  out.push(...lines.slice(reasonStart, end));
  return out;
}

/** The running kernel lacks a feature; found by trying it. */
export class NotSupportedError extends Error {
  readonly feature: string;
  constructor(feature: string, detail?: string) {
    super(`${feature} is not supported by this kernel${detail ? `: ${detail}` : ''}`);
    this.name = 'NotSupportedError';
    this.feature = feature;
  }
}

export interface SourcePosition {
  file?: string;
  line: number; // 1-based
  column: number; // 1-based
  length?: number;
}

/** Bad input text or bytes, with the spot: `file:line:column`, the source line and a caret. */
export class ParseError extends Error {
  readonly file?: string;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  readonly sourceLine?: string;
  constructor(reason: string, pos: SourcePosition, source?: string) {
    const sourceLine = source?.split('\n')[pos.line - 1];
    const where = `${pos.file ?? '<input>'}:${pos.line}:${pos.column}`;
    let text = `${where}: ${reason}`;
    if (sourceLine !== undefined) {
      const caret = ' '.repeat(Math.max(0, pos.column - 1)) + '^' + '~'.repeat(Math.max(0, (pos.length ?? 1) - 1));
      text += `\n${sourceLine}\n${caret}`;
    }
    super(text);
    this.name = 'ParseError';
    this.file = pos.file;
    this.line = pos.line;
    this.column = pos.column;
    this.reason = reason;
    this.sourceLine = sourceLine;
  }
}

/** True for errors that are the user's to fix (no stack trace belongs in front of them). */
export function isUserError(e: unknown): e is BpfError | VerifierError | NotSupportedError | ParseError {
  return e instanceof BpfError || e instanceof VerifierError || e instanceof NotSupportedError || e instanceof ParseError;
}

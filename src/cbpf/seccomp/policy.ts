// The seccomp policy model: what a filter decides, independent of how it is written down.
import { constants } from 'node:os';
import type { SourcePosition } from '../../sys/errors.js';
import { SECCOMP } from './generated/syscalls.js';
import type { SyscallArch } from './arch.js';

export type SeccompAction =
  | { kind: 'allow' }
  | { kind: 'errno'; errno: number }
  | { kind: 'kill_process' }
  | { kind: 'kill_thread' }
  | { kind: 'trap'; data?: number }
  | { kind: 'log' }
  | { kind: 'trace'; data: number }
  | { kind: 'user_notif' };

/** Comparison of one system call argument (64-bit, unsigned) with a constant. */
export type ArgOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked_eq';

export interface ArgCondition {
  /** Argument index 0..5. */
  arg: number;
  op: ArgOp;
  /** Compared value, as an unsigned 64-bit number. For masked_eq: (arg & mask) == (value & mask). */
  value: bigint;
  mask?: bigint;
}

export interface SeccompRule {
  /** System call name, or a number used as is on every architecture. */
  syscall: string | number;
  action: SeccompAction;
  /** All must hold (a conjunction); empty: the rule always matches. */
  conditions: ArgCondition[];
  /** Only on these architectures (default: every architecture of the policy). */
  arches?: SyscallArch[];
  /** Where the rule was written, for messages. */
  source?: SourcePosition;
}

/**
 * A filter: for each system call the rules naming it are tried in order and the first whose
 * conditions all hold decides; a call no rule decides gets `defaultAction`. A call made
 * through an architecture (calling convention) not in `architectures` gets `badArchAction`.
 */
export interface SeccompPolicy {
  defaultAction: SeccompAction;
  badArchAction: SeccompAction;
  architectures: SyscallArch[];
  rules: SeccompRule[];
  /** Filter flags asked for by the profile (OCI `flags`). */
  flags: { log?: boolean; tsync?: boolean; specAllow?: boolean };
  /** Things skipped while loading (unknown system call names, rules for other kernels). */
  warnings: string[];
}

const U64 = (1n << 64n) - 1n;

/** The SECCOMP_RET_* word for an action. */
export function actionValue(a: SeccompAction): number {
  switch (a.kind) {
    case 'allow':
      return SECCOMP.RET_ALLOW;
    case 'errno':
      return (SECCOMP.RET_ERRNO | (a.errno & SECCOMP.RET_DATA)) >>> 0;
    case 'kill_process':
      return SECCOMP.RET_KILL_PROCESS;
    case 'kill_thread':
      return SECCOMP.RET_KILL_THREAD;
    case 'trap':
      return (SECCOMP.RET_TRAP | ((a.data ?? 0) & SECCOMP.RET_DATA)) >>> 0;
    case 'log':
      return SECCOMP.RET_LOG;
    case 'trace':
      return (SECCOMP.RET_TRACE | (a.data & SECCOMP.RET_DATA)) >>> 0;
    case 'user_notif':
      return SECCOMP.RET_USER_NOTIF;
  }
}

/** The action a SECCOMP_RET_* word stands for (the kernel's reading of it). */
export function actionFromValue(v: number): SeccompAction {
  const full = (v & SECCOMP.RET_ACTION_FULL) >>> 0;
  const data = v & SECCOMP.RET_DATA;
  switch (full) {
    case SECCOMP.RET_KILL_PROCESS:
      return { kind: 'kill_process' };
    case SECCOMP.RET_KILL_THREAD:
      return { kind: 'kill_thread' };
    case SECCOMP.RET_TRAP:
      return data ? { kind: 'trap', data } : { kind: 'trap' };
    case SECCOMP.RET_ERRNO:
      return { kind: 'errno', errno: data };
    case SECCOMP.RET_USER_NOTIF:
      return { kind: 'user_notif' };
    case SECCOMP.RET_TRACE:
      return { kind: 'trace', data };
    case SECCOMP.RET_LOG:
      return { kind: 'log' };
    case SECCOMP.RET_ALLOW:
      return { kind: 'allow' };
    default:
      // The kernel treats an unknown action as KILL_PROCESS.
      return { kind: 'kill_process' };
  }
}

/** `ALLOW`, `ERRNO(1)`, `TRACE(7)`, `KILL_PROCESS` ... */
export function formatAction(a: SeccompAction): string {
  switch (a.kind) {
    case 'errno':
      return `ERRNO(${a.errno})`;
    case 'trace':
      return `TRACE(${a.data})`;
    case 'trap':
      return a.data ? `TRAP(${a.data})` : 'TRAP';
    default:
      return a.kind.toUpperCase();
  }
}

export function sameAction(a: SeccompAction, b: SeccompAction): boolean {
  return actionValue(a) === actionValue(b);
}

const errnoByName = constants.errno as Record<string, number>;

/**
 * Parses an action: ALLOW, ERRNO(n|EPERM), KILL_PROCESS, KILL_THREAD (KILL), TRAP, LOG, TRACE(n),
 * USER_NOTIF (NOTIFY); libseccomp's SCMP_ACT_ prefix is accepted. Returns an error message
 * instead of throwing so callers can point at the spot.
 */
export function parseAction(text: string): SeccompAction | string {
  const m = /^\s*(?:SCMP_ACT_)?([A-Za-z_]+)\s*(?:\(\s*([^)]*?)\s*\))?\s*$/.exec(text);
  if (!m) return `bad action '${text}' (expected e.g. ALLOW, ERRNO(EPERM), KILL_PROCESS, TRAP, LOG, TRACE(1), USER_NOTIF)`;
  const name = m[1].toUpperCase();
  const arg = m[2];
  const num = (what: string): number | string => {
    if (arg === undefined || arg === '') return `${name} needs ${what}, e.g. ${name}(1)`;
    if (/^E[A-Z0-9]+$/.test(arg) && errnoByName[arg] !== undefined) return errnoByName[arg];
    const n = Number(arg);
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) return `${name}(${arg}): expected ${what} in 0..65535`;
    return n;
  };
  const noArg = (a: SeccompAction): SeccompAction | string => (arg === undefined ? a : `${name} takes no argument`);
  switch (name) {
    case 'ALLOW':
      return noArg({ kind: 'allow' });
    case 'ERRNO': {
      const n = num('an errno number or name');
      return typeof n === 'string' ? n : { kind: 'errno', errno: n };
    }
    case 'KILL_PROCESS':
      return noArg({ kind: 'kill_process' });
    case 'KILL':
    case 'KILL_THREAD':
      return noArg({ kind: 'kill_thread' });
    case 'TRAP':
      if (arg === undefined) return { kind: 'trap' };
      {
        const n = num('a number');
        return typeof n === 'string' ? n : { kind: 'trap', data: n };
      }
    case 'LOG':
      return noArg({ kind: 'log' });
    case 'TRACE': {
      const n = num('a number for the tracer');
      return typeof n === 'string' ? n : { kind: 'trace', data: n };
    }
    case 'USER_NOTIF':
    case 'NOTIFY':
      return noArg({ kind: 'user_notif' });
    default:
      return `unknown action '${m[1]}' (expected ALLOW, ERRNO(n), KILL_PROCESS, KILL_THREAD, TRAP, LOG, TRACE(n) or USER_NOTIF)`;
  }
}

/** A 64-bit unsigned value from a number, bigint or numeric string (negative numbers wrap, as in C). */
export function toU64(v: unknown): bigint | undefined {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number') {
    if (!Number.isInteger(v) || !Number.isSafeInteger(v)) return undefined;
    b = BigInt(v);
  } else if (typeof v === 'string') {
    const s = v.trim();
    if (!/^-?(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|\d+)$/.test(s)) return undefined;
    b = s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
  } else return undefined;
  if (b < -(1n << 63n) || b > U64) return undefined;
  return BigInt.asUintN(64, b);
}

const OP_TEXT: Record<ArgOp, string> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=', masked_eq: '&' };

export function formatCondition(c: ArgCondition): string {
  const hex = (b: bigint) => `0x${b.toString(16)}`;
  if (c.op === 'masked_eq') return `arg${c.arg} & ${hex(c.mask ?? 0n)} == ${hex(c.value)}`;
  return `arg${c.arg} ${OP_TEXT[c.op]} ${hex(c.value)}`;
}

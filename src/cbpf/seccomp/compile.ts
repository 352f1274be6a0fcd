// Policy → classic BPF seccomp filter.
//
// Shape of the output:
//   A = arch; if (A == first arch) fall into its block, else try the next arch ...; none: bad-arch action
//   per arch (one block per AUDIT_ARCH value; x86_64 and x32 share one, told apart by nr's X32 bit):
//     A = nr; a binary decision tree of `jge` over the intervals of the number space that share
//     one outcome (runs of allowed calls collapse into one interval), shaped to minimize the
//     mean number of comparisons over the architecture's known system calls;
//     leaves jump to a shared `ret`, or to the argument checks of one system call.
//   argument checks compare 64-bit values on 32-bit words, high word first.
import { type CbpfInsn, BPF_JMP, BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_K, BPF_RET, BPF_LD, BPF_W, BPF_ABS, BPF_ALU, BPF_AND, BPF_MAXINSNS } from '../insn.js';
import { checkCbpf } from '../validate.js';
import { archTable, syscallNumber, syscallName, X32_SYSCALL_BIT, type SyscallArch } from './arch.js';
import { Label, Program } from './asm.js';
import { actionValue, formatAction, formatCondition, type ArgCondition, type SeccompAction, type SeccompPolicy } from './policy.js';

export interface CompiledFilter {
  insns: CbpfInsn[];
  /** One note per instruction for the pseudo-code listing (may be empty). */
  comments: string[];
  policy: SeccompPolicy;
}

const LD = BPF_LD | BPF_W | BPF_ABS;
const RET = BPF_RET | BPF_K;
const U32 = 0xffffffffn;
const OFF_NR = 0;
const OFF_ARCH = 4;

/** A condition as it applies on one architecture: 32-bit ones see only the low word. */
interface Cond extends ArgCondition {
  wide: boolean;
  bigEndian: boolean;
}

interface RuleCode {
  action: SeccompAction;
  conds: Cond[];
}

/** What happens to one system call number on one architecture. */
type Outcome = { kind: 'ret'; action: SeccompAction } | { kind: 'rules'; rules: RuleCode[]; otherwise: SeccompAction; what: string };

interface Interval {
  start: number; // inclusive
  end: number; // exclusive, up to 2^32
  outcome: Outcome;
  key: string;
  weight: number;
}

const outcomeKey = (o: Outcome): string =>
  o.kind === 'ret'
    ? `ret:${actionValue(o.action)}`
    : `rules:${actionValue(o.otherwise)}:` +
      o.rules.map((r) => `${actionValue(r.action)}[${r.conds.map((c) => `${c.arg}${c.op}${c.value}/${c.mask ?? ''}/${c.wide}`).join(',')}]`).join(';');

/** The outcomes of the numbers that some rule names, on one architecture. */
function outcomesFor(policy: SeccompPolicy, arch: SyscallArch): Map<number, Outcome> {
  const table = archTable(arch);
  const lists = new Map<number, Array<{ action: SeccompAction; conds: ArgCondition[] }>>();
  const names = new Map<number, string>();
  for (const rule of policy.rules) {
    if (rule.arches && !rule.arches.includes(arch)) continue;
    const nr = typeof rule.syscall === 'number' ? rule.syscall >>> 0 : syscallNumber(arch, rule.syscall);
    if (nr === undefined) continue;
    if (!lists.has(nr)) lists.set(nr, []);
    lists.get(nr)!.push({ action: rule.action, conds: rule.conditions });
    names.set(nr, typeof rule.syscall === 'number' ? String(rule.syscall) : rule.syscall);
  }
  const out = new Map<number, Outcome>();
  for (const [nr, list] of lists) {
    let otherwise = policy.defaultAction;
    const rules: RuleCode[] = [];
    for (const r of list) {
      const narrowed = r.conds.map((c) => narrow(c, table.bits === 64, table.endian === 'big'));
      if (narrowed.includes(false)) continue; // can never match
      const conds = narrowed.filter((c): c is Cond => typeof c !== 'boolean');
      if (conds.length === 0) {
        otherwise = r.action; // an unconditional rule decides; later rules are never reached
        break;
      }
      rules.push({ action: r.action, conds });
    }
    // Trailing rules that give the same answer as falling through change nothing.
    while (rules.length && actionValue(rules[rules.length - 1].action) === actionValue(otherwise)) rules.pop();
    out.set(nr, rules.length ? { kind: 'rules', rules, otherwise, what: names.get(nr)! } : { kind: 'ret', action: otherwise });
  }
  return out;
}

/** The condition on this architecture; `true` when it always holds, `false` when never. */
function narrow(c: ArgCondition, wide: boolean, bigEndian: boolean): Cond | boolean {
  let value = c.value;
  let mask = c.mask;
  if (!wide) {
    value &= U32;
    if (mask !== undefined) mask &= U32;
  }
  const max = wide ? (1n << 64n) - 1n : U32;
  switch (c.op) {
    case 'masked_eq':
      // As libseccomp (and so runc) read it: (arg & mask) == (value & mask).
      value &= mask!;
      if (mask === 0n) return true;
      break;
    case 'ge':
      if (value === 0n) return true;
      break;
    case 'lt':
      if (value === 0n) return false;
      break;
    case 'le':
      if (value === max) return true;
      break;
    case 'gt':
      if (value === max) return false;
      break;
  }
  return { ...c, value, mask, wide, bigEndian };
}

/** Builds the filter. Throws when the result would exceed the kernel's 4096 instructions. */
export function compilePolicy(policy: SeccompPolicy): CompiledFilter {
  if (!policy.architectures.length) throw new Error('seccomp policy lists no architecture');
  const p = new Program();
  // Architectures sharing an AUDIT_ARCH value share a block.
  const groups: Array<{ audit: number; arches: SyscallArch[] }> = [];
  for (const a of policy.architectures) {
    const audit = archTable(a).audit;
    const g = groups.find((x) => x.audit === audit);
    if (g) g.arches.push(a);
    else groups.push({ audit, arches: [a] });
  }
  const bad = new Label();
  const badRet = () => {
    p.mark(bad);
    p.emit({ code: RET, k: actionValue(policy.badArchAction), comment: `architecture not in the policy: ${formatAction(policy.badArchAction)}` });
  };
  p.emit({ code: LD, k: OFF_ARCH, comment: 'arch' });
  const first = groups[0];
  const restDispatch = new Label();
  const firstLabel = new Label();
  p.emit({ code: BPF_JMP | BPF_JEQ | BPF_K, k: first.audit, jt: firstLabel, jf: groups.length > 1 ? restDispatch : bad, comment: archComment(first) });
  p.mark(firstLabel);
  emitGroup(p, policy, first);
  const labels = groups.map(() => new Label());
  if (groups.length > 1) {
    p.mark(restDispatch);
    for (let i = 1; i < groups.length; i++) {
      const next = new Label();
      p.emit({ code: BPF_JMP | BPF_JEQ | BPF_K, k: groups[i].audit, jt: labels[i], jf: i === groups.length - 1 ? bad : next, comment: archComment(groups[i]) });
      p.mark(next);
    }
  }
  badRet();
  for (let i = 1; i < groups.length; i++) {
    p.mark(labels[i]);
    emitGroup(p, policy, groups[i]);
  }
  const { insns, comments } = p.assemble();
  if (insns.length > BPF_MAXINSNS) throw new Error(`seccomp filter needs ${insns.length} instructions; the kernel allows ${BPF_MAXINSNS}`);
  const problems = checkCbpf(insns, { mode: 'seccomp' });
  if (problems.length) throw new Error(`internal error: generated seccomp filter is invalid: ${problems[0].pc}: ${problems[0].message}`);
  return { insns, comments, policy };
}

function archComment(g: { arches: SyscallArch[] }): string {
  return `arch ${g.arches.join('/')}`;
}

function emitGroup(p: Program, policy: SeccompPolicy, g: { audit: number; arches: SyscallArch[] }): void {
  // The number space of this AUDIT_ARCH value, split between its ABIs.
  const regions: Array<{ start: number; end: number; arch: SyscallArch | null }> = [];
  const x64 = g.arches.includes('x86_64');
  const x32 = g.arches.includes('x32');
  if (x64 || x32) {
    regions.push({ start: 0, end: X32_SYSCALL_BIT, arch: x64 ? 'x86_64' : null });
    regions.push({ start: X32_SYSCALL_BIT, end: 0xffffffff, arch: x32 ? 'x32' : null });
    // nr -1 is "no system call" (a tracer skipping one), not an x32 call.
    regions.push({ start: 0xffffffff, end: 2 ** 32, arch: x64 ? 'x86_64' : x32 ? 'x32' : null });
  } else {
    regions.push({ start: 0, end: 2 ** 32, arch: g.arches[0] });
  }
  const badOutcome: Outcome = { kind: 'ret', action: policy.badArchAction };
  const intervals: Interval[] = [];
  const push = (start: number, end: number, outcome: Outcome, weight: number) => {
    const key = outcome.kind === 'ret' && outcome === badOutcome ? `ret:${actionValue(outcome.action)}` : outcomeKey(outcome);
    const last = intervals[intervals.length - 1];
    if (last && last.key === key && last.end === start) {
      last.end = end;
      last.weight += weight;
    } else intervals.push({ start, end, outcome, key, weight });
  };
  for (const r of regions) {
    if (!r.arch) {
      push(r.start, r.end, badOutcome, 0);
      continue;
    }
    const known = Object.values(archTable(r.arch).syscalls) as number[];
    // x32 processes are rare; their calls should not deepen the tree for x86_64 ones.
    const unit = r.arch === 'x32' && x64 ? 0.01 : 1;
    const knownIn = (s: number, e: number) => known.filter((n) => n >= s && n < e).length * unit;
    const outcomes = [...outcomesFor(policy, r.arch)].filter(([nr]) => nr >= r.start && nr < r.end).sort((a, b) => a[0] - b[0]);
    const dflt: Outcome = { kind: 'ret', action: policy.defaultAction };
    let at = r.start;
    for (const [nr, o] of outcomes) {
      if (nr > at) push(at, nr, dflt, knownIn(at, nr));
      push(nr, nr + 1, o, Math.max(knownIn(nr, nr + 1), unit));
      at = nr + 1;
    }
    if (at < r.end) push(at, r.end, dflt, knownIn(at, r.end));
  }

  const rets = new Map<number, Label>();
  const retLabel = (a: SeccompAction) => {
    const v = actionValue(a);
    if (!rets.has(v)) rets.set(v, new Label());
    return rets.get(v)!;
  };
  const blocks = new Map<string, { label: Label; outcome: Extract<Outcome, { kind: 'rules' }> }>();
  const leafLabel = (iv: Interval): Label => {
    if (iv.outcome.kind === 'ret') return retLabel(iv.outcome.action);
    if (!blocks.has(iv.key)) blocks.set(iv.key, { label: new Label(), outcome: iv.outcome });
    return blocks.get(iv.key)!.label;
  };

  const arch = g.arches[0];
  const nameOf = (nr: number) => {
    const a = x32 && nr >= X32_SYSCALL_BIT ? 'x32' : arch;
    return syscallName(a, nr) ?? String(nr);
  };
  if (intervals.length === 1) {
    p.emit({ code: BPF_JMP | BPF_JA, k: 0, jt: leafLabel(intervals[0]) });
  } else {
    p.emit({ code: LD, k: OFF_NR, comment: 'nr' });
    emitTree(p, intervals, leafLabel, nameOf);
  }
  for (const { label, outcome } of blocks.values()) {
    p.mark(label);
    emitRules(p, outcome, retLabel);
  }
  for (const [v, label] of rets) {
    p.mark(label);
    p.emit({ code: RET, k: v });
  }
}

/**
 * Optimal alphabetic tree over the intervals (each comparison costs one instruction; a leaf
 * costs the same wherever it sits), by dynamic programming with Knuth's bound on the root.
 */
function emitTree(p: Program, iv: Interval[], leafLabel: (i: Interval) => Label, nameOf: (nr: number) => string): void {
  const n = iv.length;
  // A floor on every weight keeps never-seen ranges from sinking arbitrarily deep.
  const w = iv.map((x) => x.weight + 1e-3);
  const prefix = [0];
  for (const x of w) prefix.push(prefix[prefix.length - 1] + x);
  const W = (i: number, j: number) => prefix[j + 1] - prefix[i];
  const cost: Float64Array[] = [];
  const root: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    cost.push(new Float64Array(n));
    root.push(new Int32Array(n));
    root[i][i] = i;
  }
  for (let len = 2; len <= n; len++) {
    for (let i = 0; i + len - 1 < n; i++) {
      const j = i + len - 1;
      // Split point s: left = i..s-1, right = s..j.
      const lo = Math.max(i + 1, len > 2 ? root[i][j - 1] : i + 1);
      const hi = Math.min(j, len > 2 ? Math.max(root[i + 1][j], i + 1) : j);
      let best = Infinity;
      let bestS = i + 1;
      for (let s = lo; s <= hi; s++) {
        const c = cost[i][s - 1] + cost[s][j];
        if (c < best) {
          best = c;
          bestS = s;
        }
      }
      cost[i][j] = best + W(i, j);
      root[i][j] = bestS;
    }
  }
  const emit = (i: number, j: number, label: Label | null) => {
    if (label) p.mark(label);
    const s = root[i][j];
    const sub = (a: number, b: number): { label: Label; later: boolean } =>
      a === b ? { label: leafLabel(iv[a]), later: false } : { label: new Label(), later: true };
    const left = sub(i, s - 1);
    const right = sub(s, j);
    p.emit({ code: BPF_JMP | BPF_JGE | BPF_K, k: iv[s].start, jt: right.label, jf: left.label, comment: `nr >= ${nameOf(iv[s].start)}` });
    if (left.later) emit(i, s - 1, left.label);
    if (right.later) emit(s, j, right.label);
  };
  emit(0, n - 1, null);
}

function emitRules(p: Program, o: Extract<Outcome, { kind: 'rules' }>, retLabel: (a: SeccompAction) => Label): void {
  o.rules.forEach((r, ri) => {
    const last = ri === o.rules.length - 1;
    const fail = last ? retLabel(o.otherwise) : new Label();
    r.conds.forEach((c, ci) => {
      const ok = ci === r.conds.length - 1 ? retLabel(r.action) : new Label();
      emitCond(p, c, ok, fail, `${o.what}: ${formatCondition(c)}`);
      if (ci !== r.conds.length - 1) p.mark(ok);
    });
    if (!last) p.mark(fail);
  });
}

const J = (op: number) => BPF_JMP | op | BPF_K;

/** Emits code that goes to `ok` when the condition holds and to `fail` otherwise. */
function emitCond(p: Program, c: Cond, ok: Label, fail: Label, note: string): void {
  const base = 16 + 8 * c.arg;
  const loOff = c.bigEndian ? base + 4 : base;
  const hiOff = c.bigEndian ? base : base + 4;
  const vLo = Number(c.value & U32);
  const vHi = Number((c.value >> 32n) & U32);
  const mLo = Number((c.mask ?? 0n) & U32);
  const mHi = Number(((c.mask ?? 0n) >> 32n) & U32);

  // The low-word test, or a fixed answer when the high word alone decides.
  const lowWord = (yes: Label, no: Label) => {
    p.emit({ code: LD, k: loOff, comment: `${note} (low word)` });
    switch (c.op) {
      case 'eq':
        return p.emit({ code: J(BPF_JEQ), k: vLo, jt: yes, jf: no });
      case 'ne':
        return p.emit({ code: J(BPF_JEQ), k: vLo, jt: no, jf: yes });
      case 'gt':
        return p.emit({ code: J(BPF_JGT), k: vLo, jt: yes, jf: no });
      case 'ge':
        return p.emit({ code: J(BPF_JGE), k: vLo, jt: yes, jf: no });
      case 'lt':
        return p.emit({ code: J(BPF_JGE), k: vLo, jt: no, jf: yes });
      case 'le':
        return p.emit({ code: J(BPF_JGT), k: vLo, jt: no, jf: yes });
      case 'masked_eq':
        return maskedWord(p, mLo, vLo, yes, no);
    }
  };
  // Static answers for the low word on ranges where it cannot matter.
  const lowAlways = (): boolean | null => {
    switch (c.op) {
      case 'gt':
        return vLo === 0xffffffff ? false : null;
      case 'ge':
        return vLo === 0 ? true : null;
      case 'lt':
        return vLo === 0 ? false : null;
      case 'le':
        return vLo === 0xffffffff ? true : null;
      case 'masked_eq':
        return mLo === 0 ? vLo === 0 : null;
      default:
        return null;
    }
  };

  if (!c.wide) return lowWord(ok, fail);

  const la = lowAlways();
  const low = la === true ? ok : la === false ? fail : new Label();
  const hiNote = `${note} (high word)`;
  switch (c.op) {
    case 'eq':
      p.emit({ code: LD, k: hiOff, comment: hiNote });
      p.emit({ code: J(BPF_JEQ), k: vHi, jt: low, jf: fail });
      break;
    case 'ne':
      p.emit({ code: LD, k: hiOff, comment: hiNote });
      p.emit({ code: J(BPF_JEQ), k: vHi, jt: low, jf: ok });
      break;
    case 'gt':
    case 'ge':
      p.emit({ code: LD, k: hiOff, comment: hiNote });
      if (vHi === 0xffffffff) p.emit({ code: J(BPF_JEQ), k: vHi, jt: low, jf: fail });
      else if (vHi === 0) p.emit({ code: J(BPF_JEQ), k: 0, jt: low, jf: ok });
      else {
        const eq = new Label();
        p.emit({ code: J(BPF_JGT), k: vHi, jt: ok, jf: eq });
        p.mark(eq);
        p.emit({ code: J(BPF_JEQ), k: vHi, jt: low, jf: fail });
      }
      break;
    case 'lt':
    case 'le':
      p.emit({ code: LD, k: hiOff, comment: hiNote });
      if (vHi === 0) p.emit({ code: J(BPF_JEQ), k: 0, jt: low, jf: fail });
      else if (vHi === 0xffffffff) p.emit({ code: J(BPF_JEQ), k: vHi, jt: low, jf: ok });
      else {
        const eq = new Label();
        p.emit({ code: J(BPF_JGT), k: vHi, jt: fail, jf: eq });
        p.mark(eq);
        p.emit({ code: J(BPF_JEQ), k: vHi, jt: low, jf: ok });
      }
      break;
    case 'masked_eq':
      if (mHi !== 0) {
        p.emit({ code: LD, k: hiOff, comment: hiNote });
        maskedWord(p, mHi, vHi, low, fail);
      } else if (la !== null) {
        // Neither word needs a test.
        p.emit({ code: BPF_JMP | BPF_JA, k: 0, jt: low });
      }
      break;
  }
  if (la === null) {
    if (c.op === 'masked_eq' && mHi === 0) {
      lowWord(ok, fail);
      return;
    }
    p.mark(low);
    lowWord(ok, fail);
  }
}

/** (A & mask) == value on one word, A already loaded. */
function maskedWord(p: Program, mask: number, value: number, yes: Label, no: Label): void {
  if (mask === 0xffffffff) return p.emit({ code: J(BPF_JEQ), k: value, jt: yes, jf: no });
  if (value === 0) return p.emit({ code: J(BPF_JSET), k: mask, jt: no, jf: yes });
  if (value === mask && (mask & (mask - 1)) === 0) return p.emit({ code: J(BPF_JSET), k: mask, jt: yes, jf: no });
  p.emit({ code: BPF_ALU | BPF_AND | BPF_K, k: mask });
  p.emit({ code: J(BPF_JEQ), k: value, jt: yes, jf: no });
}

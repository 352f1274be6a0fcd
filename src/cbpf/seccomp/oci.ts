// OCI runtime-spec seccomp profiles (config.json `linux.seccomp`) and Docker's profile format,
// which adds archMap and per-rule includes/excludes. Read the way Docker and runc read them:
// archMap picks the native architecture and its sub-architectures; includes/excludes select
// rules by the native Go architecture name, the capability set and the kernel version; a rule
// naming the same argument index twice becomes one rule per condition (runc's reading).
import { release } from 'node:os';
import type { Node } from 'yaml';
import { archByName, nativeArch, syscallNumber, type SyscallArch } from './arch.js';
import { toU64, type ArgCondition, type ArgOp, type SeccompAction, type SeccompPolicy, type SeccompRule } from './policy.js';
import type { DocReader } from './yamlnode.js';

export interface OciLoadOptions {
  /** The architecture the container runs as (default: this machine's). */
  nativeArch?: SyscallArch;
  /** Capabilities of the container, for includes/excludes.caps (default: Docker's default set). */
  caps?: readonly string[];
  /** Kernel version for includes.minKernel (default: the running kernel). */
  kernelVersion?: string;
}

/** The capabilities Docker grants a container by default (moby oci/caps/defaults.go). */
export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

// Go's GOARCH for our architectures: the names Docker's includes/excludes.arches use.
const GOARCH: Record<SyscallArch, string> = {
  x86_64: 'amd64', x86: '386', x32: 'x32', aarch64: 'arm64', arm: 'arm', riscv64: 'riscv64', s390x: 's390x', ppc64le: 'ppc64le',
};

const OPS: Record<string, ArgOp> = {
  SCMP_CMP_NE: 'ne', SCMP_CMP_LT: 'lt', SCMP_CMP_LE: 'le', SCMP_CMP_EQ: 'eq', SCMP_CMP_GE: 'ge', SCMP_CMP_GT: 'gt', SCMP_CMP_MASKED_EQ: 'masked_eq',
};

const EPERM = 1;

function versionAtLeast(have: string, want: string): boolean {
  const p = (s: string) => (s.match(/\d+/g) ?? []).slice(0, 3).map(Number);
  const a = p(have);
  const b = p(want);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

function ociAction(doc: DocReader, node: Node | null, errnoRet: number | undefined, what: string): SeccompAction {
  const name = doc.string(node, what);
  switch (name) {
    case 'SCMP_ACT_ALLOW':
      return { kind: 'allow' };
    case 'SCMP_ACT_ERRNO':
      return { kind: 'errno', errno: errnoRet ?? EPERM };
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return { kind: 'kill_thread' };
    case 'SCMP_ACT_KILL_PROCESS':
      return { kind: 'kill_process' };
    case 'SCMP_ACT_TRAP':
      return { kind: 'trap' };
    case 'SCMP_ACT_TRACE':
      return { kind: 'trace', data: errnoRet ?? EPERM };
    case 'SCMP_ACT_LOG':
      return { kind: 'log' };
    case 'SCMP_ACT_NOTIFY':
      return { kind: 'user_notif' };
    default:
      throw doc.error(node, `unknown ${what} '${name}' (expected SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG or SCMP_ACT_NOTIFY)`);
  }
}

function errnoOf(doc: DocReader, node: Node | null): number | undefined {
  const v = doc.scalar(node, 'errnoRet');
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw doc.error(node, 'errnoRet must be an integer 0..65535');
  return n;
}

export function ociToPolicy(doc: DocReader, opts: OciLoadOptions): SeccompPolicy {
  const native = opts.nativeArch ?? nativeArch();
  const goarch = GOARCH[native];
  const caps = new Set(opts.caps ?? DOCKER_DEFAULT_CAPS);
  const kernel = opts.kernelVersion ?? release();
  const warnings: string[] = [];
  const top = new Map(doc.entries(doc.root, 'a seccomp profile').map((e) => [e.key, e] as const));

  const defaultErrno = errnoOf(doc, top.get('defaultErrnoRet')?.value ?? null);
  const defaultAction = ociAction(doc, top.get('defaultAction')!.value, defaultErrno, 'defaultAction');

  let architectures: SyscallArch[] = [];
  const addArch = (node: Node, text: string) => {
    const a = archByName(text);
    if (!a) warnings.push(`${doc.pos(node).line}: architecture ${text} is not supported; skipped`);
    else if (!architectures.includes(a)) architectures.push(a);
  };
  const archList = top.get('architectures')?.value;
  if (archList && doc.isList(archList)) for (const { text, node } of doc.strings(archList, 'architectures')) addArch(node, text);
  const archMap = top.get('archMap')?.value;
  if (!architectures.length && archMap && doc.isList(archMap)) {
    for (const entry of doc.items(archMap, 'archMap')) {
      const fields = new Map(doc.entries(entry, 'an archMap entry').map((e) => [e.key, e.value] as const));
      const main = fields.get('architecture');
      if (!main || archByName(doc.string(main, 'architecture')) !== native) continue;
      addArch(main, doc.string(main, 'architecture'));
      for (const s of doc.strings(fields.get('subArchitectures') ?? null, 'subArchitectures')) addArch(s.node, s.text);
    }
  }
  if (!architectures.length) architectures = [native];

  const flags: SeccompPolicy['flags'] = {};
  for (const f of doc.strings(top.get('flags')?.value ?? null, 'flags')) {
    if (f.text === 'SECCOMP_FILTER_FLAG_LOG') flags.log = true;
    else if (f.text === 'SECCOMP_FILTER_FLAG_TSYNC') flags.tsync = true;
    else if (f.text === 'SECCOMP_FILTER_FLAG_SPEC_ALLOW') flags.specAllow = true;
    else throw doc.error(f.node, `unknown flag '${f.text}'`);
  }

  const rules: SeccompRule[] = [];
  const unknown = new Set<string>();
  const sys = top.get('syscalls')?.value;
  for (const entry of sys ? doc.items(sys, 'syscalls') : []) {
    const f = new Map(doc.entries(entry, 'a syscalls entry').map((e) => [e.key, e] as const));
    const known = ['names', 'name', 'action', 'errnoRet', 'args', 'includes', 'excludes', 'comment'];
    for (const [k, e] of f) if (!known.includes(k)) throw doc.error(e.keyNode, `unknown key '${k}' in a syscalls entry (expected ${known.join(', ')})`);
    if (!f.has('action')) throw doc.error(entry, 'syscalls entry without action');
    if (!selected(doc, f.get('includes')?.value ?? null, f.get('excludes')?.value ?? null, goarch, caps, kernel)) continue;
    const act = ociAction(doc, f.get('action')!.value, errnoOf(doc, f.get('errnoRet')?.value ?? null), 'action');
    const conds: ArgCondition[] = [];
    for (const a of f.get('args')?.value ? doc.items(f.get('args')!.value, 'args') : []) conds.push(ociArg(doc, a));
    // runc: a repeated argument index means "any of these" — one rule per condition.
    const indexes = conds.map((c) => c.arg);
    const groups = indexes.length !== new Set(indexes).size ? conds.map((c) => [c]) : [conds];
    const names = [...doc.strings(f.get('names')?.value ?? null, 'names'), ...doc.strings(f.get('name')?.value ?? null, 'name')];
    if (!names.length) throw doc.error(entry, 'syscalls entry without names');
    for (const { text, node } of names) {
      if (!architectures.some((a) => syscallNumber(a, text) !== undefined)) {
        unknown.add(text);
        continue;
      }
      for (const g of groups) rules.push({ syscall: text, action: act, conditions: g, source: doc.pos(node) });
    }
  }
  if (unknown.size) warnings.push(`system calls unknown on ${architectures.join(', ')} were skipped: ${[...unknown].join(', ')}`);
  return { defaultAction, badArchAction: { kind: 'kill_process' }, architectures, rules, flags, warnings };
}

function ociArg(doc: DocReader, node: Node): ArgCondition {
  let index: number | undefined;
  let value: bigint | undefined;
  let valueTwo = 0n;
  let op: ArgOp | undefined;
  for (const e of doc.entries(node, 'an args entry')) {
    const v = doc.scalar(e.value, e.key);
    if (e.key === 'index') {
      index = Number(v);
      if (!Number.isInteger(index) || index < 0 || index > 5) throw doc.error(e.value, 'index must be 0..5');
    } else if (e.key === 'value' || e.key === 'valueTwo') {
      const u = toU64(v);
      if (u === undefined) throw doc.error(e.value, `${e.key} must be an unsigned 64-bit integer`);
      if (e.key === 'value') value = u;
      else valueTwo = u;
    } else if (e.key === 'op') {
      op = OPS[String(v)];
      if (!op) throw doc.error(e.value, `unknown op '${String(v)}' (expected ${Object.keys(OPS).join(', ')})`);
    } else {
      throw doc.error(e.keyNode, `unknown key '${e.key}' in an args entry (expected index, value, valueTwo, op)`);
    }
  }
  if (index === undefined || value === undefined || !op) throw doc.error(node, 'args entry needs index, value and op');
  // SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the datum.
  if (op === 'masked_eq') return { arg: index, op, mask: value, value: valueTwo };
  return { arg: index, op, value };
}

function selected(doc: DocReader, inc: Node | null, exc: Node | null, goarch: string, caps: Set<string>, kernel: string): boolean {
  const read = (n: Node | null) => {
    const out = { arches: [] as string[], caps: [] as string[], minKernel: undefined as string | undefined };
    if (!n || !doc.isMapping(n)) return out;
    for (const e of doc.entries(n, 'includes/excludes')) {
      if (e.key === 'arches') out.arches = doc.strings(e.value, 'arches').map((s) => s.text);
      else if (e.key === 'caps') out.caps = doc.strings(e.value, 'caps').map((s) => s.text);
      else if (e.key === 'minKernel') out.minKernel = doc.string(e.value, 'minKernel');
    }
    return out;
  };
  const i = read(inc);
  const x = read(exc);
  if (x.arches.includes(goarch)) return false;
  if (i.arches.length && !i.arches.includes(goarch)) return false;
  if (x.caps.some((c) => caps.has(c))) return false;
  if (i.caps.length && !i.caps.every((c) => caps.has(c))) return false;
  if (i.minKernel && !versionAtLeast(kernel, i.minKernel)) return false;
  if (x.minKernel && versionAtLeast(kernel, x.minKernel)) return false;
  return true;
}

// Policy files: bpfkit's own YAML/JSON schema, or an OCI runtime-spec / Docker seccomp profile
// (recognized by its `defaultAction` key; see oci.ts).
//
// bpfkit schema:
//   default: ERRNO(EPERM)          # required: the action for calls no rule decides
//   badArch: KILL_PROCESS          # optional: calls through other architectures (default KILL_PROCESS)
//   architectures: [x86_64, x86]   # optional: default the native one; x86_64 also spelled amd64 ...
//   flags: [log, tsync]            # optional: filter flags (log, tsync, spec_allow)
//   rules:                         # tried in order; for a call, the first that matches decides
//     - syscall: socket            # or `syscalls: [a, b]`; a number is taken as is
//       action: ERRNO(EAFNOSUPPORT)
//       args: ["arg0 == 10"]       # all must hold: argN OP VALUE, OP one of == != < <= > >=,
//                                  # or `argN & MASK == VALUE`; also {arg: 0, op: '==', value: 10}
//       arches: [x86_64]           # optional: only on these architectures
//   allow: [read, write]           # shorthand: ALLOW rules, tried after `rules`
//   <action>: [names]              # likewise for any action key, e.g. `ERRNO(EPERM): [ptrace]`
// Values are unsigned 64-bit; negative numbers wrap as in C; on 32-bit architectures only the
// low 32 bits of a value are compared (their arguments are 32 bits wide).
import { readFileSync } from 'node:fs';
import type { Node } from 'yaml';
import { ParseError } from '../../sys/errors.js';
import { archByName, nativeArch, syscallNumber, ARCH_NAMES, type SyscallArch } from './arch.js';
import { parseAction, toU64, type ArgCondition, type ArgOp, type SeccompAction, type SeccompPolicy, type SeccompRule } from './policy.js';
import { DocReader } from './yamlnode.js';
import { ociToPolicy, type OciLoadOptions } from './oci.js';

export interface PolicyLoadOptions extends OciLoadOptions {
  /** Name used in messages. */
  file?: string;
}

/** Parses policy text (YAML or JSON, bpfkit or OCI/Docker format). Throws ParseError. */
export function parsePolicy(text: string, opts: PolicyLoadOptions = {}): SeccompPolicy {
  const doc = new DocReader(text, opts.file);
  if (!doc.root) throw new ParseError('empty policy', { file: opts.file, line: 1, column: 1 }, text);
  const keys = doc.entries(doc.root, 'a policy').map((e) => e.key);
  if (keys.includes('defaultAction')) return ociToPolicy(doc, opts);
  return bpfkitToPolicy(doc, opts);
}

export function loadPolicy(path: string, opts: Omit<PolicyLoadOptions, 'file'> = {}): SeccompPolicy {
  return parsePolicy(readFileSync(path, 'utf8'), { ...opts, file: path });
}

function action(doc: DocReader, node: Node | null, what: string): SeccompAction {
  const a = parseAction(doc.string(node, what));
  if (typeof a === 'string') throw doc.error(node, a);
  return a;
}

export function parseArches(doc: DocReader, node: Node | null): SyscallArch[] {
  const out: SyscallArch[] = [];
  for (const { text, node: n } of doc.strings(node, 'architectures')) {
    const a = archByName(text);
    if (!a) throw doc.error(n, `unknown architecture '${text}' (known: ${ARCH_NAMES.join(', ')})`);
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

const OPS: Record<string, ArgOp> = { '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };

function condition(doc: DocReader, node: Node): ArgCondition {
  if (doc.isMapping(node)) {
    let arg: number | undefined;
    let op: string | undefined;
    let value: bigint | undefined;
    let mask: bigint | undefined;
    for (const e of doc.entries(node, 'an argument condition')) {
      if (e.key === 'arg' || e.key === 'index') {
        const v = doc.scalar(e.value, 'arg');
        arg = typeof v === 'bigint' || typeof v === 'number' ? Number(v) : NaN;
        if (!Number.isInteger(arg) || arg < 0 || arg > 5) throw doc.error(e.value, 'arg must be an argument index 0..5');
      } else if (e.key === 'op') {
        op = doc.string(e.value, 'op');
      } else if (e.key === 'value' || e.key === 'mask') {
        const v = toU64(doc.scalar(e.value, e.key));
        if (v === undefined) throw doc.error(e.value, `${e.key} must be an integer that fits in 64 bits`);
        if (e.key === 'value') value = v;
        else mask = v;
      } else {
        throw doc.error(e.keyNode, `unknown key '${e.key}' in an argument condition (expected arg, op, value, mask)`);
      }
    }
    if (arg === undefined) throw doc.error(node, 'argument condition without arg');
    if (value === undefined) throw doc.error(node, 'argument condition without value');
    if (op === '&' || op === 'masked_eq' || op === '&==') {
      if (mask === undefined) throw doc.error(node, 'a masked condition needs mask');
      return { arg, op: 'masked_eq', mask, value };
    }
    const o = OPS[op ?? '=='] ?? (Object.values(OPS).includes(op as ArgOp) ? (op as ArgOp) : undefined);
    if (!o) throw doc.error(node, `unknown op '${op}' (expected == != < <= > >= or &)`);
    if (mask !== undefined) throw doc.error(node, `mask only goes with op '&'`);
    return { arg, op: o, value };
  }
  const text = doc.string(node, 'an argument condition');
  const num = '(-?(?:0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|\\d+))';
  const masked = new RegExp(`^\\s*arg([0-5])\\s*&\\s*${num}\\s*==\\s*${num}\\s*$`).exec(text);
  if (masked) return { arg: Number(masked[1]), op: 'masked_eq', mask: toU64(masked[2])!, value: toU64(masked[3])! };
  const plain = new RegExp(`^\\s*arg([0-5])\\s*(==|!=|<=|>=|<|>)\\s*${num}\\s*$`).exec(text);
  if (plain) {
    const v = toU64(plain[3]);
    if (v === undefined) throw doc.error(node, `value ${plain[3]} does not fit in 64 bits`);
    return { arg: Number(plain[1]), op: OPS[plain[2]], value: v };
  }
  throw doc.error(node, `bad argument condition '${text}' (expected e.g. "arg0 == 10", "arg1 & 0xff == 4")`);
}

function bpfkitToPolicy(doc: DocReader, opts: PolicyLoadOptions): SeccompPolicy {
  let defaultAction: SeccompAction | undefined;
  let badArchAction: SeccompAction = { kind: 'kill_process' };
  let architectures: SyscallArch[] | undefined;
  const flags: SeccompPolicy['flags'] = {};
  const pending: Array<{ nameNode: Node; name: string | number; rule: Omit<SeccompRule, 'syscall'> }> = [];
  const tail: typeof pending = [];

  const names = (node: Node | null, what: string) =>
    doc.strings(node, what).map(({ text, node: n }) => ({ name: /^-?\d+$/.test(text) ? Number(text) >>> 0 : text, node: n }));

  for (const e of doc.entries(doc.root, 'a policy')) {
    switch (e.key) {
      case 'default':
      case 'defaultAction':
        defaultAction = action(doc, e.value, 'default');
        break;
      case 'badArch':
      case 'badArchAction':
        badArchAction = action(doc, e.value, 'badArch');
        break;
      case 'architectures':
      case 'arches':
        architectures = parseArches(doc, e.value);
        break;
      case 'flags':
        for (const f of doc.strings(e.value, 'flags')) {
          const k = f.text.toLowerCase().replace(/^seccomp_filter_flag_/, '');
          if (k === 'log') flags.log = true;
          else if (k === 'tsync') flags.tsync = true;
          else if (k === 'spec_allow') flags.specAllow = true;
          else throw doc.error(f.node, `unknown flag '${f.text}' (expected log, tsync or spec_allow)`);
        }
        break;
      case 'rules':
        for (const r of doc.items(e.value, 'rules')) {
          let act: SeccompAction | undefined;
          let conds: ArgCondition[] = [];
          let arches: SyscallArch[] | undefined;
          let sys: Array<{ name: string | number; node: Node }> = [];
          for (const f of doc.entries(r, 'a rule')) {
            if (f.key === 'syscall' || f.key === 'syscalls' || f.key === 'names' || f.key === 'name') sys = sys.concat(names(f.value, f.key));
            else if (f.key === 'action') act = action(doc, f.value, 'action');
            else if (f.key === 'args') conds = doc.items(f.value, 'args').map((c) => condition(doc, c));
            else if (f.key === 'arches' || f.key === 'architectures') arches = parseArches(doc, f.value);
            else throw doc.error(f.keyNode, `unknown key '${f.key}' in a rule (expected syscall, syscalls, action, args, arches)`);
          }
          if (!sys.length) throw doc.error(r, 'rule names no system call (add `syscall: NAME`)');
          if (!act) throw doc.error(r, 'rule has no action (add e.g. `action: ALLOW`)');
          for (const s of sys) pending.push({ nameNode: s.node, name: s.name, rule: { action: act, conditions: conds, arches, source: doc.pos(s.node) } });
        }
        break;
      default: {
        // `allow: [...]` or `<ACTION>: [...]` shorthand.
        const a = parseAction(e.key === 'allow' ? 'ALLOW' : e.key);
        if (typeof a === 'string') {
          throw doc.error(e.keyNode, `unknown key '${e.key}' (expected default, badArch, architectures, flags, rules, allow or an action name)`);
        }
        for (const s of names(e.value, e.key)) tail.push({ nameNode: s.node, name: s.name, rule: { action: a, conditions: [], source: doc.pos(s.node) } });
      }
    }
  }
  if (!defaultAction) throw doc.error(doc.root, 'policy has no default action (add `default: ERRNO(EPERM)` or `default: KILL_PROCESS`)');
  const arches = architectures && architectures.length ? architectures : [opts.nativeArch ?? nativeArch()];
  const rules: SeccompRule[] = [];
  for (const p of [...pending, ...tail]) {
    if (typeof p.name === 'string') {
      const on = (p.rule.arches ?? arches).filter((a) => syscallNumber(a, p.name as string) !== undefined);
      if (!on.length) throw doc.error(p.nameNode, `unknown system call '${p.name}' on ${(p.rule.arches ?? arches).join(', ')}`);
    }
    rules.push({ syscall: p.name, ...p.rule });
  }
  return { defaultAction, badArchAction, architectures: arches, rules, flags, warnings: [] };
}

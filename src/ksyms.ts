// .ksyms externs, resolved against the running kernel as libbpf's bpf_object__resolve_externs
// does: a typed variable or a kfunc by its BTF id in the kernel's BTF (types checked for
// compatibility), a typeless symbol by its address in /proc/kallsyms; weak externs the kernel
// lacks resolve to 0, and calls to them are poisoned so that only reachable calls fail.
import { kallsyms } from './symbols/kallsyms.js';
import { BpfError, NotSupportedError } from './sys/errors.js';
import { BPF_PSEUDO_BTF_ID, BPF_PSEUDO_KFUNC_CALL, OP_CALL } from './elf/insn.js';
import { essentialName, typesAreCompat, type Btf } from './btf/index.js';
import type { CollectionSpec, ExternSpec } from './elf/index.js';

/** libbpf's POISON_CALL_KFUNC_BASE: the verifier reports "invalid func unknown#2002000NNN". */
export const POISON_CALL_KFUNC_BASE = 2002000000;
const ESRCH = 3;
const EINVAL = 22;

export type KsymResolution =
  /** A kernel VAR or FUNC by BTF id (vmlinux: btf object fd 0). */
  | { kind: 'btf'; btfId: number }
  /** A typeless symbol's address, or 0 for a weak extern the kernel lacks. */
  | { kind: 'address'; address: bigint }
  /** A weak kfunc the kernel lacks. */
  | { kind: 'missing' };

/** Address lookup of kernel symbols; undefined when absent, throws when ambiguous. */
export type KallsymsLookup = (name: string) => bigint | undefined;

/** A symbol's address in /proc/kallsyms; an error when the name has several. */
export function kallsymsAddress(name: string): bigint | undefined {
  const all = kallsyms().addresses(name);
  if (all.length > 1) throw new BpfError(`resolving extern ${name}`, EINVAL, `'${name}' has several addresses in /proc/kallsyms, so the typeless extern is ambiguous`);
  return all[0];
}

/** Resolves every .ksyms extern of a spec; `kernel` is vmlinux BTF (module BTF is not searched). */
export function resolveKsyms(spec: CollectionSpec, kernel: () => Btf, kallsyms: KallsymsLookup = kallsymsAddress): Map<string, KsymResolution> {
  const out = new Map<string, KsymResolution>();
  for (const e of spec.externs) {
    if (e.kind !== 'ksym') continue;
    out.set(e.name, resolveOne(spec, e, kernel, kallsyms));
  }
  return out;
}

function resolveOne(spec: CollectionSpec, e: ExternSpec, kernel: () => Btf, kallsyms: KallsymsLookup): KsymResolution {
  const local = spec.btf;
  const name = essentialName(e.name);
  const typeless = !local || e.localType === undefined || (!e.func && local.resolve(e.localType) === 0);
  if (typeless) {
    if (e.func) throw new BpfError(`resolving extern ${e.name}`, EINVAL, 'a kfunc extern needs BTF (compile with -g)');
    const addr = kallsyms(name);
    if (addr !== undefined) return { kind: 'address', address: addr };
    if (e.weak) return { kind: 'address', address: 0n };
    throw new NotSupportedError(`kernel symbol ${name}`, `'${e.name}' is not in /proc/kallsyms (declare it __weak to allow its absence)`);
  }
  const btf = kernel();
  const what = e.func ? 'func' : 'var';
  const target = btf.find(name, e.func ? 'func' : 'var');
  if (!target) {
    if (e.weak) return e.func ? { kind: 'missing' } : { kind: 'address', address: 0n };
    throw new NotSupportedError(`kernel ${what} ${name}`, `extern '${e.name}' is not in the kernel's BTF (declare it __weak to allow its absence)`);
  }
  const targetType = (target as { type: number }).type;
  const lt = e.func ? e.localType! : local.resolve(e.localType!);
  const tt = e.func ? targetType : btf.resolve(targetType);
  if (!typesAreCompat(local, lt, btf, tt)) {
    throw new BpfError(`resolving extern ${e.name}`, ESRCH,
      `the object declares ${what} '${e.name}' with a type incompatible with the kernel's [${target.id}]`);
  }
  return { kind: 'btf', btfId: target.id };
}

/** Patches one instruction (a call, or the first slot of an ld_imm64) that refers to an extern. */
export function patchKsymInsn(insns: Buffer, insn: number, call: boolean, r: KsymResolution, externIndex: number): void {
  const at = insn * 8;
  if (call) {
    if (r.kind === 'btf') {
      insns[at + 1] = BPF_PSEUDO_KFUNC_CALL << 4;
      insns.writeInt16LE(0, at + 2); // btf fd index: 0 is vmlinux
      insns.writeInt32LE(r.btfId, at + 4);
      return;
    }
    // an invalid helper call: harmless when unreachable, a clear verifier error when not
    insns[at] = OP_CALL;
    insns[at + 1] = 0;
    insns.writeInt16LE(0, at + 2);
    insns.writeInt32LE(POISON_CALL_KFUNC_BASE + externIndex, at + 4);
    return;
  }
  if (r.kind === 'btf') {
    insns[at + 1] = (insns[at + 1] & 0x0f) | (BPF_PSEUDO_BTF_ID << 4);
    insns.writeInt32LE(r.btfId, at + 4);
    insns.writeInt32LE(0, at + 12); // btf object fd: 0 is vmlinux
    return;
  }
  const addr = r.kind === 'address' ? r.address : 0n;
  insns[at + 1] &= 0x0f;
  insns.writeUInt32LE(Number(addr & 0xffffffffn), at + 4);
  insns.writeUInt32LE(Number((addr >> 32n) & 0xffffffffn), at + 12);
}

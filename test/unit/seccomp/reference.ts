// A direct reading of a policy's meaning, written without the compiler's machinery, to check
// compiled filters against: first matching rule for the call wins, else the default; a
// foreign architecture gets the bad-arch action; 32-bit ABIs compare low 32 bits.
import { archTable, syscallNumber, X32_SYSCALL_BIT, type SeccompAction, type SeccompPolicy, type SyscallArch } from '../../../src/cbpf/seccomp/index.js';

export function referenceAction(policy: SeccompPolicy, arch: SyscallArch, nr: number, args: readonly bigint[]): SeccompAction {
  if (!policy.architectures.includes(arch)) return policy.badArchAction;
  // On x86_64 the x32 bit says which ABI made the call (nr -1 excepted).
  if (arch === 'x86_64' && nr >= X32_SYSCALL_BIT && nr !== 0xffffffff && !policy.architectures.includes('x32')) return policy.badArchAction;
  if (arch === 'x32' && nr < X32_SYSCALL_BIT && !policy.architectures.includes('x86_64')) return policy.badArchAction;
  const effective: SyscallArch = arch === 'x86_64' && nr >= X32_SYSCALL_BIT && nr !== 0xffffffff ? 'x32' : arch === 'x32' && nr < X32_SYSCALL_BIT ? 'x86_64' : arch;
  const wide = archTable(effective).bits === 64;
  const w = (v: bigint) => (wide ? BigInt.asUintN(64, v) : v & 0xffffffffn);
  for (const r of policy.rules) {
    if (r.arches && !r.arches.includes(effective)) continue;
    const rnr = typeof r.syscall === 'number' ? r.syscall >>> 0 : syscallNumber(effective, r.syscall);
    if (rnr !== nr) continue;
    const holds = r.conditions.every((c) => {
      const a = w(args[c.arg] ?? 0n);
      const v = w(c.value);
      switch (c.op) {
        case 'eq': return a === v;
        case 'ne': return a !== v;
        case 'lt': return a < v;
        case 'le': return a <= v;
        case 'gt': return a > v;
        case 'ge': return a >= v;
        case 'masked_eq': return (a & w(c.mask!)) === (v & w(c.mask!));
      }
    });
    if (holds) return r.action;
  }
  return policy.defaultAction;
}

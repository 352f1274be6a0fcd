// The verifier refuses unreachable instructions; code after exit()/return/break is generated
// anyway (it keeps the generator simple), so drop whatever no path reaches before linking.
import { ProgramBuilder } from '../../asm/builder.js';
import * as o from '../../asm/opcode.js';

export function pruneUnreachable(b: ProgramBuilder): ProgramBuilder {
  const n = b.insns.length;
  const reach = new Uint8Array(n);
  const work = [0];
  const targetOf = (i: number): number | undefined => {
    const ref = b.insns[i].ref;
    if (ref?.kind === 'label') return b.labels.get(ref.name);
    return undefined;
  };
  while (work.length) {
    const i = work.pop()!;
    if (i >= n || reach[i]) continue;
    reach[i] = 1;
    const insn = b.insns[i];
    const cls = insn.code & 0x07;
    const op = insn.code & 0xf0;
    if (cls === o.BPF_JMP || cls === o.BPF_JMP32) {
      if (op === o.BPF_EXIT) continue;
      if (op === o.BPF_CALL) {
        work.push(i + 1);
        if (insn.src === o.BPF_PSEUDO_CALL) {
          const t = targetOf(i);
          if (t !== undefined) work.push(t);
        }
        continue;
      }
      const t = targetOf(i);
      if (t === undefined && insn.ref === undefined) {
        // A numeric offset (not produced by the tracing generator): keep everything reachable from it.
        work.push(i + 1 + insn.off);
      } else if (t !== undefined) work.push(t);
      if (op !== o.BPF_JA) work.push(i + 1);
      continue;
    }
    work.push(i + 1);
  }
  if (reach.every((x) => x === 1)) return b;
  const out = new ProgramBuilder();
  const newIndex = new Int32Array(n + 1);
  let k = 0;
  for (let i = 0; i < n; i++) {
    newIndex[i] = k;
    if (reach[i]) k++;
  }
  newIndex[n] = k;
  for (let i = 0; i < n; i++) if (reach[i]) out.insns.push({ ...b.insns[i] }), out.positions.push(b.positions[i]);
  for (const [name, idx] of b.labels) out.labels.set(name, newIndex[idx]);
  return out;
}

// From the kernel's aggregation to folded stacks: read the counts map (key → samples or ns), fetch
// each stack id once from the stack_trace map, symbolize, and fold as
//   comm;user outermost;…;user innermost;kernel outermost;…;kernel innermost VALUE
// (the kernel ran on behalf of the user code, so its frames sit on top). Kernel frames end in `_[k]`
// and JIT frames in `_[j]` unless `annotate` is false — flamegraph.pl's convention, which colours
// them apart; the suffixes are part of the name, so search for `_\[k\]` finds the kernel.
import type { BpfMap } from '../map.js';
import type { Frame, Symbolizer } from '../symbols/resolver.js';
import { stackAddresses } from '../symbols/resolver.js';
import { foldFrameName, mergeFolded, type FoldedStack } from '../viz/folded.js';
import { NO_STACK, STACK_KEY } from './programs.js';

const EFAULT = 14;
const EEXIST = 17;

export interface StackCountEntry {
  tgid: number;
  kernelStackId: number;
  userStackId: number;
  comm: string;
  value: bigint;
}

export function decodeStackKey(key: Buffer, value: Buffer): StackCountEntry {
  const end = key.indexOf(0, STACK_KEY.comm);
  const commEnd = end < 0 || end > STACK_KEY.comm + STACK_KEY.commSize ? STACK_KEY.comm + STACK_KEY.commSize : end;
  return {
    tgid: key.readUInt32LE(STACK_KEY.tgid),
    kernelStackId: key.readInt32LE(STACK_KEY.kernelStackId),
    userStackId: key.readInt32LE(STACK_KEY.userStackId),
    comm: key.toString('latin1', STACK_KEY.comm, commEnd),
    value: value.readBigUInt64LE(0),
  };
}

export function readStackCounts(counts: BpfMap): StackCountEntry[] {
  const out: StackCountEntry[] = [];
  for (const [k, v] of counts.entries()) out.push(decodeStackKey(k, v));
  return out;
}

/** What could not be collected, in the profile's unit. */
export interface StackErrors {
  /** Kernel stacks lost to a full or colliding stack map (bpf_get_stackid -EEXIST / -ENOMEM). */
  kernelStacksLost: number;
  /** User stacks lost the same way. */
  userStacksLost: number;
}

export interface FoldOptions {
  symbolizer: Symbolizer;
  /** `_[k]`/`_[j]` suffixes (default true). */
  annotate?: boolean;
  /** Converts a raw value (samples, ns) to the output unit; 0 drops the stack. */
  scale?: (raw: bigint) => number;
}

function frameName(f: Frame, annotate: boolean): string {
  let name = f.name;
  if (name === undefined) {
    // No symbol: name the module, as perf does, so unknown frames of one library group together.
    const mod = f.module?.split('/').pop();
    name = mod ? `[${mod}]` : '[unknown]';
  }
  name = foldFrameName(name);
  if (!annotate) return name;
  return f.kind === 'kernel' ? `${name}_[k]` : f.kind === 'jit' ? `${name}_[j]` : name;
}

export function foldStackCounts(entries: readonly StackCountEntry[], stacks: BpfMap, opts: FoldOptions): { stacks: FoldedStack[]; errors: StackErrors; total: number } {
  const annotate = opts.annotate ?? true;
  const scale = opts.scale ?? ((v: bigint) => Number(v));
  const ips = new Map<number, bigint[] | undefined>();
  const addresses = (id: number): bigint[] | undefined => {
    if (!ips.has(id)) {
      const raw = stacks.lookup(id);
      ips.set(id, raw ? stackAddresses(raw) : undefined);
    }
    return ips.get(id);
  };
  const errors: StackErrors = { kernelStacksLost: 0, userStacksLost: 0 };
  const out: FoldedStack[] = [];
  let total = 0;
  for (const e of entries) {
    const value = scale(e.value);
    if (!(value > 0)) continue;
    total += value;
    const frames = [foldFrameName(e.comm || '[unknown]')];
    if (e.userStackId >= 0) {
      const a = addresses(e.userStackId);
      if (a) for (const f of opts.symbolizer.userStack(e.tgid, a).reverse()) frames.push(frameName(f, annotate));
      else frames.push('[missing user stack]');
    } else if (e.userStackId !== NO_STACK && e.userStackId !== -EFAULT) {
      // -EFAULT: there is no user stack (a kernel thread); anything else is a lost stack.
      errors.userStacksLost += value;
      frames.push(e.userStackId === -EEXIST ? '[lost user stack]' : '[missing user stack]');
    }
    if (e.kernelStackId >= 0) {
      const a = addresses(e.kernelStackId);
      if (a) for (const f of opts.symbolizer.kernelStack(a).reverse()) frames.push(frameName(f, annotate));
      else frames.push('[missing kernel stack]');
    } else if (e.kernelStackId !== NO_STACK && e.kernelStackId !== -EFAULT) {
      errors.kernelStacksLost += value;
      frames.push(e.kernelStackId === -EEXIST ? '[lost kernel stack]' : '[missing kernel stack]');
    }
    out.push({ frames, value });
  }
  return { stacks: mergeFolded(out), errors, total };
}

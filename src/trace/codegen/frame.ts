// Where a probe program keeps values: 8-byte integer slots on the BPF stack, and everything larger
// (strings, tuples, map keys, records) in a per-CPU array map used as scratch memory, so that the
// 512-byte stack limit only bounds the number of live integers. Both are addressed by constant
// offsets, which is what the verifier checks most easily.
//
// Stack: fp-8 holds the context pointer, fp-16 the scratch base pointer, fp-24 the scratch map's
// key; the rest is handed out downwards. Temporaries are released per statement (mark/reset).

export type Space = 'stack' | 'scratch';

export interface Mem {
  space: Space;
  /** Stack: negative offset from r10. Scratch: offset from the scratch base. */
  off: number;
}

export const CTX_SLOT = -8;
export const SCRATCH_SLOT = -16;
export const SCRATCH_KEY_SLOT = -24;
const STACK_RESERVED = 24;
export const MAX_STACK = 512;
/** A per-CPU array value may be up to 32 KiB (PCPU_MIN_UNIT_SIZE); keep some room. */
export const MAX_SCRATCH = 30 * 1024;

export interface FrameMark {
  stack: number;
  scratch: number;
}

export class Frame {
  /** Bytes of stack in use below fp (grows). */
  private stack = STACK_RESERVED;
  private scratch = 0;
  stackHigh = STACK_RESERVED;
  scratchHigh = 0;

  /** An 8-byte integer slot; falls back to scratch memory when the stack is full. */
  slot(): Mem {
    if (this.stack + 8 <= MAX_STACK) {
      this.stack += 8;
      this.stackHigh = Math.max(this.stackHigh, this.stack);
      return { space: 'stack', off: -this.stack };
    }
    return this.bytes(8);
  }

  /** `size` bytes of scratch memory, 8-byte aligned. */
  bytes(size: number): Mem {
    const off = this.scratch;
    this.scratch += roundUp8(Math.max(size, 1));
    if (this.scratch > MAX_SCRATCH) throw new RangeError(`the probe needs more than ${MAX_SCRATCH} bytes of scratch memory`);
    this.scratchHigh = Math.max(this.scratchHigh, this.scratch);
    return { space: 'scratch', off };
  }

  mark(): FrameMark {
    return { stack: this.stack, scratch: this.scratch };
  }

  reset(m: FrameMark): void {
    this.stack = m.stack;
    this.scratch = m.scratch;
  }
}

export function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

export function at(m: Mem, delta: number): Mem {
  return { space: m.space, off: m.off + delta };
}

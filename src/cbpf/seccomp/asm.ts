// A small classic-BPF assembler for generated code: instructions jump to labels, redundant
// loads of the accumulator are dropped, and conditional jumps farther than 255 instructions
// get a nearby stand-in (a copy of the `ret` they aim at, or a `ja` trampoline).
import { type CbpfInsn, BPF_JMP, BPF_JA, BPF_RET, BPF_LD, BPF_W, BPF_ABS, BPF_ALU, BPF_K, BPF_AND } from '../insn.js';

export class Label {
  private static next = 0;
  readonly id = Label.next++;
}

export interface IrInsn {
  code: number;
  k: number;
  /** Conditional jumps: both targets; `ja`: jt only. */
  jt?: Label;
  jf?: Label;
  comment?: string;
}

type Item = IrInsn | { mark: Label };

const isMark = (x: Item): x is { mark: Label } => 'mark' in x;
const isRet = (code: number) => (code & 0x07) === BPF_RET;
const isJa = (code: number) => code === (BPF_JMP | BPF_JA);
const isCond = (code: number) => (code & 0x07) === BPF_JMP && !isJa(code);
const LD_ABS = BPF_LD | BPF_W | BPF_ABS;
const AND_K = BPF_ALU | BPF_AND | BPF_K;

export class Program {
  private items: Item[] = [];

  mark(label: Label): void {
    this.items.push({ mark: label });
  }

  emit(insn: IrInsn): void {
    this.items.push(insn);
  }

  /**
   * Drops `ld [k]` when every path into it already holds that word in A (all jumps go
   * forward, so one pass in layout order sees every predecessor first).
   */
  private dropRedundantLoads(): void {
    const UNREACHED = Symbol('unreached');
    type State = string | null | typeof UNREACHED;
    const meet = (a: State, b: State): State => (a === UNREACHED ? b : b === UNREACHED ? a : a === b ? a : null);
    const atLabel = new Map<Label, State>();
    const out: Item[] = [];
    let state: State = null; // program entry: A is 0, but nothing relies on it
    for (const it of this.items) {
      if (isMark(it)) {
        state = meet(state, atLabel.get(it.mark) ?? UNREACHED);
        out.push(it);
        continue;
      }
      if (it.code === LD_ABS && state === `w${it.k}`) continue;
      out.push(it);
      if (it.code === LD_ABS) state = `w${it.k}`;
      else if (it.code === AND_K) state = state === null || state === UNREACHED ? null : `${state}&${it.k}`;
      else if ((it.code & 0x07) === BPF_ALU || (it.code & 0x07) === BPF_LD || it.code === 0x87) state = null;
      if (isCond(it.code) || isJa(it.code)) {
        for (const l of [it.jt, it.jf]) if (l) atLabel.set(l, meet(atLabel.get(l) ?? UNREACHED, state));
        state = UNREACHED;
      } else if (isRet(it.code)) {
        state = UNREACHED;
      }
    }
    this.items = out;
  }

  /** Resolves labels to offsets, inserting stand-ins for jumps that are too long. */
  assemble(): { insns: CbpfInsn[]; comments: string[] } {
    this.dropRedundantLoads();
    for (;;) {
      const { insns, index, labelAt } = this.layout();
      let fixed = false;
      for (let i = 0; i < insns.length && !fixed; i++) {
        const ins = insns[i];
        if (!isCond(ins.code)) continue;
        for (const which of ['jt', 'jf'] as const) {
          const target = ins[which]!;
          const at = labelAt.get(target);
          if (at === undefined) throw new Error(`seccomp assembler: label ${target.id} never placed`);
          const off = at - i - 1;
          if (off < 0) throw new Error('seccomp assembler: backward jump');
          if (off <= 255) continue;
          const dest = insns[at];
          // A `ret` identical to the target within reach serves as well.
          let near = -1;
          if (dest && isRet(dest.code)) {
            for (let j = i + 1; j <= Math.min(i + 256, insns.length - 1); j++) {
              if (isRet(insns[j].code) && insns[j].code === dest.code && insns[j].k === dest.k) {
                near = j;
                break;
              }
            }
          }
          const label = new Label();
          if (near >= 0) {
            this.items.splice(index[near], 0, { mark: label });
          } else {
            const standIn: IrInsn = dest && isRet(dest.code) ? { code: dest.code, k: dest.k, comment: dest.comment } : { code: BPF_JMP | BPF_JA, k: 0, jt: target };
            this.items.splice(index[i] + 1, 0, { mark: label }, standIn);
          }
          ins[which] = label;
          fixed = true;
          break;
        }
      }
      if (fixed) continue;
      const out: CbpfInsn[] = [];
      const comments: string[] = [];
      insns.forEach((ins, i) => {
        if (isJa(ins.code)) {
          out.push({ code: ins.code, jt: 0, jf: 0, k: labelAt.get(ins.jt!)! - i - 1 });
        } else if (isCond(ins.code)) {
          out.push({ code: ins.code, jt: labelAt.get(ins.jt!)! - i - 1, jf: labelAt.get(ins.jf!)! - i - 1, k: ins.k >>> 0 });
        } else {
          out.push({ code: ins.code, jt: 0, jf: 0, k: ins.k >>> 0 });
        }
        comments.push(ins.comment ?? '');
      });
      return { insns: out, comments };
    }
  }

  private layout(): { insns: IrInsn[]; index: number[]; labelAt: Map<Label, number> } {
    const insns: IrInsn[] = [];
    const index: number[] = [];
    const labelAt = new Map<Label, number>();
    this.items.forEach((it, n) => {
      if (isMark(it)) labelAt.set(it.mark, insns.length);
      else {
        insns.push(it);
        index.push(n);
      }
    });
    return { insns, index, labelAt };
  }
}

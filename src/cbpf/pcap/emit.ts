// Lays the block graph out as a classic BPF array the way libpcap's icode_to_fcode does: blocks
// are placed from the end backwards (false successor first), and a branch farther than 255
// instructions gets an extra `ja`.
import type { CbpfInsn } from '../insn.js';
import { type Block, type Slist, NOP, JT, JF } from './ir.js';
import type { Icode } from './optimize.js';

export class EmitError extends Error {}

const BPF_JMP = 0x05;
const BPF_JA = 0x00;

function slength(s: Slist | null): number {
  let n = 0;
  for (; s; s = s.next) if (s.s.code !== NOP) n++;
  return n;
}

export function icodeToInsns(ic: Icode, root: Block): CbpfInsn[] {
  // Placement: post-order, false successor first, each block just below the ones already
  // placed (offsets count down from the end). libpcap restarts the whole layout whenever a
  // branch turns out to need a long jump; blocks placed earlier never move when a later one
  // grows, so re-placing just that block gives the same layout without the restarts.
  ic.curMark += 1;
  const order: Block[] = [];
  let tail = 0;
  const stack: { b: Block; state: number }[] = [];
  const enter = (b: Block | null) => {
    if (!b || b.mark === ic.curMark) return;
    b.mark = ic.curMark;
    stack.push({ b, state: 0 });
  };
  enter(root);
  while (stack.length) {
    const f = stack[stack.length - 1];
    if (f.state === 0) {
      f.state = 1;
      enter(JF(f.b));
      continue;
    }
    if (f.state === 1) {
      f.state = 2;
      enter(JT(f.b));
      continue;
    }
    stack.pop();
    const p = f.b;
    const slen = slength(p.stmts);
    for (;;) {
      p.offset = tail - (slen + 1 + p.longjt + p.longjf);
      const jt = JT(p);
      if (!jt) break;
      if (jt.offset - (p.offset + slen) - 1 >= 256 && p.longjt === 0) {
        p.longjt++;
        continue;
      }
      if (JF(p)!.offset - (p.offset + slen) - 1 >= 256 && p.longjf === 0) {
        p.longjf++;
        continue;
      }
      break;
    }
    tail = p.offset;
    order.push(p);
  }
  const n = -tail;
  for (const p of order) p.offset += n;
  const out: CbpfInsn[] = Array.from({ length: n }, () => ({ code: 0, jt: 0, jf: 0, k: 0 }));
  for (const p of order) emitBlock(p, out);
  return out;
}

function emitBlock(p: Block, out: CbpfInsn[]): void {

  const slen = slength(p.stmts);
  let dst = p.offset;

  // Statement-level jumps (protochain, geneve) name their targets; find them by position.
  const offset: Slist[] = [];
  for (let src = p.stmts, off = 0; off < slen && src; off++, src = src.next) offset[off] = src;

  let off = 0;
  for (let src = p.stmts; src; src = src.next) {
    if (src.s.code === NOP) continue;
    const ins = out[dst];
    ins.code = src.s.code;
    ins.k = src.s.k >>> 0;
    const isCond = (src.s.code & 0x07) === BPF_JMP && src.s.code !== (BPF_JMP | BPF_JA);
    // libpcap leaves a jump in the second-to-last slot unresolved; so do we.
    if (isCond && off !== slen - 2) {
      if (!src.s.jt || !src.s.jf) throw new EmitError(`no jmp destination for block-local relative jump: off=${off}`);
      let jt = 0;
      let jf = 0;
      for (let i = 0; i < slen; i++) {
        if (offset[i] === src.s.jt) {
          if (jt) throw new EmitError(`multiple matches for block-local relative jump: off=${off}`);
          if (i - off - 1 >= 256) throw new EmitError(`out-of-range jump for block-local relative jump: off=${off}`);
          ins.jt = i - off - 1;
          jt++;
        }
        if (offset[i] === src.s.jf) {
          if (jf) throw new EmitError(`multiple matches for block-local relative jump: off=${off}`);
          if (i - off - 1 >= 256) throw new EmitError(`out-of-range jump for block-local relative jump: off=${off}`);
          ins.jf = i - off - 1;
          jf++;
        }
      }
      if (!jt || !jf) throw new EmitError(`no destination found for block-local relative jump: off=${off}`);
    }
    dst++;
    off++;
  }

  const ins = out[dst];
  ins.code = p.s.code;
  ins.k = p.s.k >>> 0;
  const jtB = JT(p);
  if (jtB) {
    let extrajmps = 0;
    let o = jtB.offset - (p.offset + slen) - 1;
    if (o >= 256) {
      ins.jt = extrajmps;
      extrajmps++;
      out[dst + extrajmps].code = BPF_JMP | BPF_JA;
      out[dst + extrajmps].k = o - extrajmps;
    } else ins.jt = o;
    o = JF(p)!.offset - (p.offset + slen) - 1;
    if (o >= 256) {
      ins.jf = extrajmps;
      extrajmps++;
      out[dst + extrajmps].code = BPF_JMP | BPF_JA;
      out[dst + extrajmps].k = o - extrajmps;
    } else ins.jf = o;
  }
}

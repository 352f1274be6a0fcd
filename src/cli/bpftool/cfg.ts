// `prog dump xlated ... visual`: the control-flow graph as Graphviz DOT, laid out as bpftool
// does: one dashed cluster per function (split at bpf-to-bpf call targets), basic blocks split at
// jump targets and after conditional jumps, ENTRY/EXIT diamonds, fall-through and jump edges.
import { BPF_CALL, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_PSEUDO_CALL } from '../../asm/opcode.js';

const LD_IMM64 = 0x18;

interface Slot {
  code: number;
  src: number;
  off: number;
}

interface Block {
  idx: number;
  head: number;
  tail: number;
  succs: { dst: Block }[];
}

interface Func {
  idx: number;
  start: number;
  end: number;
  blocks: Block[];
}

const isJmp = (code: number) => (code & 7) === BPF_JMP || (code & 7) === BPF_JMP32;
const op = (code: number) => code & 0xf0;

function slotsOf(xlated: Buffer): Slot[] {
  const out: Slot[] = [];
  for (let at = 0; at + 8 <= xlated.length; at += 8) {
    out.push({ code: xlated[at], src: xlated[at + 1] >> 4, off: xlated.readInt16LE(at + 2) });
  }
  return out;
}

function insertSorted(list: number[], v: number): void {
  if (!list.includes(v)) {
    list.push(v);
    list.sort((a, b) => a - b);
  }
}

function build(slots: Slot[]): Func[] {
  // Functions start at 0 and at every pseudo-call target, numbered in discovery order.
  const starts: { start: number; idx: number }[] = [{ start: 0, idx: 0 }];
  slots.forEach((s, i) => {
    if (s.code === (BPF_JMP | BPF_CALL) && s.src === BPF_PSEUDO_CALL) {
      const t = i + s.off + 1;
      if (!starts.some((f) => f.start === t)) starts.push({ start: t, idx: starts.length });
    }
  });
  starts.sort((a, b) => a.start - b.start);
  const funcs: Func[] = starts.map((f, k) => ({ idx: f.idx, start: f.start, end: (starts[k + 1]?.start ?? slots.length) - 1, blocks: [] }));
  for (const f of funcs) {
    const heads = [f.start];
    for (let i = f.start; i <= f.end; i++) {
      const s = slots[i];
      if (!isJmp(s.code) || op(s.code) === BPF_EXIT || op(s.code) === BPF_CALL) continue;
      insertSorted(heads, i + s.off + 1);
      if (op(s.code) !== BPF_JA) insertSorted(heads, i + 1);
    }
    const blocks: Block[] = heads.map((h, k) => ({ idx: k + 2, head: h, tail: (heads[k + 1] ?? f.end + 1) - 1, succs: [] }));
    const entry: Block = { idx: 0, head: -1, tail: -1, succs: [] };
    const exit: Block = { idx: 1, head: -1, tail: -1, succs: [] };
    entry.succs.push({ dst: blocks[0] });
    const byHead = (h: number) => blocks.find((b) => b.head === h);
    blocks.forEach((b, k) => {
      const next = blocks[k + 1] ?? exit;
      const s = slots[b.tail];
      if (!isJmp(s.code) || op(s.code) === BPF_EXIT) {
        b.succs.push({ dst: next });
      } else if (op(s.code) === BPF_JA) {
        const t = byHead(b.tail + s.off + 1);
        if (t) b.succs.push({ dst: t });
      } else {
        b.succs.push({ dst: next });
        const t = byHead(b.tail + s.off + 1);
        if (t) b.succs.push({ dst: t });
      }
    });
    f.blocks = [entry, ...blocks, exit];
  }
  return funcs;
}

/** DOT escaping of one instruction line as bpftool's graph printer does it (64-byte buffer). */
function graphText(line: string): string {
  const cut = `${line}\n`.slice(0, 63);
  let out = '';
  for (const ch of cut) {
    if (ch === '\n') out += '\\l\\\n';
    else if (ch === '<' || ch === '>' || ch === '|' || ch === '&') out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/**
 * The DOT text for xlated bytes. `format(slot)` returns the text of the instruction starting at
 * that slot (e.g. "(b7) r0 = 0"); the second slot of an ld_imm64 is not printed.
 */
export function xlatedToDot(xlated: Buffer, format: (slot: number) => string): string {
  const slots = slotsOf(xlated);
  let out = 'digraph "DOT graph for eBPF program" {\n';
  for (const f of build(slots).sort((a, b) => a.start - b.start)) {
    out += `subgraph "cluster_${f.idx}" {\n\tstyle="dashed";\n\tcolor="black";\n\tlabel="func_${f.idx} ()";\n`;
    for (const b of f.blocks) {
      const special = b.idx === 0 || b.idx === 1;
      out += `\tfn_${f.idx}_bb_${b.idx} [shape=${special ? 'Mdiamond' : 'record'},style=filled,label="`;
      if (b.idx === 0) out += 'ENTRY';
      else if (b.idx === 1) out += 'EXIT';
      else {
        const parts: string[] = [];
        for (let i = b.head; i <= b.tail; i++) {
          if (isSecondHalf(slots, b.head, i)) continue;
          parts.push(`${(' ' + (i - f.start)).padStart(4)}: ${graphText(format(i))}`);
        }
        out += `{${parts.join(' | ')}}`;
      }
      out += '"];\n\n';
    }
    for (const b of f.blocks) {
      for (const e of b.succs) {
        out += `\tfn_${f.idx}_bb_${b.idx}:s -> fn_${f.idx}_bb_${e.dst.idx}:n [style="solid,bold", color=black, weight=10, constraint=true];\n`;
      }
    }
    out += `\tfn_${f.idx}_bb_0:s -> fn_${f.idx}_bb_1:n [style="invis", constraint=true];\n`;
    out += '}\n';
  }
  return out + '}\n';
}

/** Whether slot `i` is the second slot of an ld_imm64 that starts inside [head, i). */
function isSecondHalf(slots: Slot[], head: number, i: number): boolean {
  let k = head;
  while (k < i) {
    if (slots[k].code === LD_IMM64) {
      if (k + 1 === i) return true;
      k += 2;
    } else k++;
  }
  return false;
}

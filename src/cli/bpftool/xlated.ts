// `prog dump xlated`: the kernel's translated instructions printed by src/asm's disassembler,
// with bpftool's additions: helper calls named from /proc/kallsyms (xlated calls carry
// addresses relative to __bpf_call_base), BTF function signatures, `; source` lines, opcodes.
import { readFileSync } from 'node:fs';
import { decode, formatInstruction, slotIndex, type Instruction } from '../../asm/index.js';
import { BPF_PSEUDO_CALL } from '../../asm/opcode.js';
import type { Btf } from '../../btf/btf.js';
import { readString } from '../../btf/decode.js';
import type { Ctx } from './core.js';
import { fprintHex, hexJson } from './hex.js';
import { typeOnly } from './btf-value.js';

export interface Kallsyms {
  base?: bigint;
  byAddr: Map<bigint, string>;
}

let kallsymsCache: Kallsyms | undefined;

/** /proc/kallsyms by address (zero addresses, i.e. kptr_restrict, are left out as bpftool does). */
export function kallsyms(): Kallsyms {
  if (kallsymsCache) return kallsymsCache;
  const byAddr = new Map<bigint, string>();
  let base: bigint | undefined;
  let text = '';
  try {
    text = readFileSync('/proc/kallsyms', 'utf8');
  } catch {
    // no symbols: calls print as addresses
  }
  for (const line of text.split('\n')) {
    const sp1 = line.indexOf(' ');
    const sp2 = line.indexOf(' ', sp1 + 1);
    if (sp1 < 0 || sp2 < 0) continue;
    const addr = BigInt(`0x${line.slice(0, sp1)}`);
    const rest = line.slice(sp2 + 1);
    const tab = rest.indexOf('\t');
    const name = tab < 0 ? rest : rest.slice(0, tab);
    if (name === '__bpf_call_base') base = addr;
    if (addr !== 0n && !byAddr.has(addr)) byAddr.set(addr, name);
  }
  kallsymsCache = { base: base || undefined, byAddr };
  return kallsymsCache;
}

/** bpftool's print_call callback for the disassembler. */
export function callNamer(jitedKsyms: bigint[]): (insn: Instruction) => string | undefined {
  const ks = kallsyms();
  return (insn) => {
    let addr = BigInt.asUintN(64, (ks.base ?? 0n) + BigInt(insn.imm));
    if (insn.src === BPF_PSEUDO_CALL && insn.imm >= 0 && insn.imm < jitedKsyms.length) addr = jitedKsyms[insn.imm];
    const sym = ks.byAddr.get(addr);
    if (insn.src === BPF_PSEUDO_CALL) {
      const off = insn.off >= 0 ? `+${insn.off}` : `${insn.off}`;
      if (!jitedKsyms.length) return off;
      return sym ? `${off}#${sym}` : `${off}#0x${addr.toString(16)}`;
    }
    return sym ?? `0x${addr.toString(16)}`;
  };
}

export interface FuncInfo {
  insnOff: number;
  typeId: number;
}

export interface LineInfo {
  insnOff: number;
  fileNameOff: number;
  lineOff: number;
  lineCol: number;
}

export interface XlatedDump {
  xlated: Buffer;
  jitedKsyms: bigint[];
  btf?: Btf;
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
}

function str(btf: Btf, off: number): string {
  return readString(btf.allStrings(), off);
}

/** bpf_prog_linfo__lfind: the last line record at or before `insn` among those not printed yet. */
function lfind(lines: LineInfo[], insn: number, skip: number): LineInfo | undefined {
  if (skip >= lines.length || insn < lines[skip].insnOff) return undefined;
  let k = skip;
  while (k + 1 < lines.length && lines[k + 1].insnOff <= insn) k++;
  return lines[k];
}

function lineText(btf: Btf, l: LineInfo, linum: boolean): string {
  const line = str(btf, l.lineOff).replace(/^\s+/, '');
  if (!linum) return line;
  return `${line} [file:${str(btf, l.fileNameOff)} line_num:${l.lineCol >>> 10} line_col:${l.lineCol & 0x3ff}]`;
}

/**
 * Which kernel disassembler to imitate: bpftool 7.1's (Linux 6.1: newer instructions print as
 * older ones, e.g. a per-CPU address move as `r0 = r0`), unless BPFKIT_DISASM=current asks for
 * the running kernel's spelling.
 */
const compat = process.env.BPFKIT_DISASM === 'current' ? undefined : '7.1' as const;

/** One instruction's text as bpftool prints it (no slot number, no newline). */
export function instructionText(insn: Instruction, slot: number, call: (i: Instruction) => string | undefined): string {
  return formatInstruction(insn, { callName: call, compat }, slot);
}

function walk(d: XlatedDump, each: (insn: Instruction, slot: number, func: string | undefined, line: LineInfo | undefined) => void): void {
  const insns = decode(d.xlated);
  const at = slotIndex(insns);
  let f = 0;
  let skip = 0;
  insns.forEach((insn, k) => {
    const slot = at[k];
    let func: string | undefined;
    if (d.btf && f < d.funcInfo.length && d.funcInfo[f].insnOff === slot) {
      func = typeOnly(d.btf, d.funcInfo[f].typeId);
      f++;
    }
    let line: LineInfo | undefined;
    if (d.btf && d.lineInfo.length) {
      line = lfind(d.lineInfo, slot, skip);
      if (line) skip++;
    }
    each(insn, slot, func, line);
  });
}

export function dumpXlatedPlain(ctx: Ctx, d: XlatedDump, opts: { opcodes: boolean; linum: boolean }): void {
  const call = callNamer(d.jitedKsyms);
  walk(d, (insn, slot, func, line) => {
    if (func) ctx.print(`${func}:\n`);
    if (line && d.btf) ctx.print(`; ${lineText(d.btf, line, opts.linum)}\n`);
    ctx.print(`${(' ' + slot).padStart(4)}: ${instructionText(insn, slot, call)}\n`);
    if (opts.opcodes) {
      const n = insn.code === 0x18 ? 16 : 8;
      const raw = d.xlated.subarray(slot * 8, slot * 8 + n);
      ctx.print(`       ${fprintHex(raw.subarray(0, 8))}${n === 16 ? ` ${fprintHex(raw.subarray(8))}` : ''}\n`);
    }
  });
}

export function dumpXlatedJson(ctx: Ctx, d: XlatedDump, opts: { opcodes: boolean; linum: boolean }): void {
  const call = callNamer(d.jitedKsyms);
  const jw = ctx.jw;
  jw.startArray();
  walk(d, (insn, slot, func, line) => {
    jw.startObject();
    if (func) jw.stringField('proto', func);
    if (line && d.btf) {
      const src = str(d.btf, line.lineOff);
      jw.stringField('src', src.replace(/^\s+/, ''));
      if (opts.linum) {
        jw.stringField('file', str(d.btf, line.fileNameOff));
        if (line.lineCol >>> 10) jw.intField('line_num', line.lineCol >>> 10);
        if (line.lineCol & 0x3ff) jw.intField('line_col', line.lineCol & 0x3ff);
      }
    }
    jw.stringField('disasm', instructionText(insn, slot, call));
    if (opts.opcodes) {
      const raw = d.xlated.subarray(slot * 8);
      jw.name('opcodes').startObject();
      jw.name('code').raw(`"0x${raw[0].toString(16).padStart(2, '0')}"`);
      jw.name('src_reg').raw(`"0x${(raw[1] >> 4).toString(16)}"`);
      jw.name('dst_reg').raw(`"0x${(raw[1] & 15).toString(16)}"`);
      jw.name('off');
      hexJson(ctx, raw.subarray(2, 4));
      jw.name('imm');
      hexJson(ctx, raw.subarray(4, insn.code === 0x18 ? 16 : 8));
      jw.endObject();
    }
    jw.endObject();
  });
  jw.endArray();
}

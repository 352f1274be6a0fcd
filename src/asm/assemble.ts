// Text → instructions. Lines hold an optional label (`name:`), a statement and a comment.
// The kernel dialect also reads listings as bpftool and the verifier print them: a leading slot
// number and `(xx)` opcode are accepted (the opcode is checked), `opcodes` byte lines are checked
// against the instruction above, and BTF annotations (`int f(void * ctx):`) are skipped.
import { ParseError } from '../sys/errors.js';
import { ProgramBuilder, type LinkOptions } from './builder.js';
import { Cursor } from './cursor.js';
import { decode, encode } from './encode.js';
import { formatInstruction } from './disasm.js';
import { type Instruction } from './instruction.js';
import * as o from './opcode.js';
import { parseKernelStatement } from './parse-kernel.js';
import { parseUbpfStatement } from './parse-ubpf.js';

export type Syntax = 'kernel' | 'llvm' | 'ubpf';

export interface AssembleOptions extends LinkOptions {
  /** 'kernel' (verifier/bpftool pseudo-C, default), 'llvm' (the same, read as llvm-mc does), 'ubpf'. */
  syntax?: Syntax;
  /** File name for error messages. */
  file?: string;
}

/** Where a comment starts: `;` or `//` anywhere, `#` at the start or after a blank (`call f#1` is no comment). */
function commentStart(line: string, syntax: Syntax): number {
  let end = line.length;
  const semi = line.indexOf(';');
  if (semi >= 0) end = Math.min(end, semi);
  const slashes = line.indexOf('//');
  if (slashes >= 0) end = Math.min(end, slashes);
  for (let i = 0; i < end; i++) {
    if (line[i] === '#' && (syntax === 'ubpf' || i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) {
      end = i;
      break;
    }
  }
  return end;
}

const labelRe = /^\s*([A-Za-z_.$][\w.$]*)\s*:/;
const listingPrefixRe = /^\s*\d+:\s*(?:\(([0-9a-fA-F]{2})\))?/;
const opcodeBytesRe = /^\s*(?:[0-9a-f]{2} ){7}[0-9a-f]{2}(?: (?:[0-9a-f]{2} ){7}[0-9a-f]{2})?\s*$/;
const btfFuncRe = /\)\s*:\s*$/;

/**
 * Parses assembly text into a builder (references unresolved), for callers that link later or
 * append more code. `assemble()` is this plus link().
 */
export function parse(text: string, opts: AssembleOptions = {}): ProgramBuilder {
  const syntax = opts.syntax ?? 'kernel';
  const b = new ProgramBuilder();
  b.source = text;
  const lines = text.split('\n');
  const callsByName: number[] = [];
  let firstExit = -1;
  let lastStatement = '';
  for (let ln = 0; ln < lines.length; ln++) {
    const raw = lines[ln].replace(/\r$/, '');
    const ctx = { file: opts.file, source: text, line: ln + 1 };
    if (syntax !== 'ubpf' && opcodeBytesRe.test(raw)) {
      checkBytes(raw, b, ctx.line, opts.file, text, lastStatement);
      continue;
    }
    const end = commentStart(raw, syntax);
    if (syntax !== 'ubpf' && btfFuncRe.test(raw.slice(0, end)) && !/^\s*\d+:/.test(raw)) continue;
    const c = new Cursor(raw, ctx, end);
    let prefix: number | undefined;
    if (syntax !== 'ubpf') {
      const m = listingPrefixRe.exec(raw.slice(0, end));
      if (m) {
        c.i = m[0].length;
        if (m[1]) prefix = parseInt(m[1], 16);
      }
    }
    for (;;) {
      const m = labelRe.exec(raw.slice(c.i, end));
      if (!m || (syntax !== 'ubpf' && /^\s*[rw]\d+\s*$/.test(m[1]))) break;
      b.at({ file: opts.file, line: ln + 1, column: c.i + raw.slice(c.i).indexOf(m[1]) + 1, length: m[1].length });
      b.label(m[1]);
      c.i += m[0].length;
    }
    if (c.atEnd()) continue;
    const column = c.i + 1;
    lastStatement = raw.slice(c.i, end).trim();
    b.at({ file: opts.file, line: ln + 1, column, length: end - c.i });
    const parsed = syntax === 'ubpf' ? parseUbpfStatement(c) : parseKernelStatement(c, { llvm: syntax === 'llvm', prefix });
    if (parsed.callByName) callsByName.push(b.insns.length);
    if (syntax === 'ubpf' && firstExit < 0 && parsed.insn.code === (o.BPF_JMP | o.BPF_EXIT)) firstExit = b.insns.length;
    b.emit(parsed.insn);
  }
  // `call NAME` is a bpf-to-bpf call when NAME labels a subprogram, else a helper call.
  for (const i of callsByName) {
    const insn = b.insns[i];
    if (insn.ref && b.labels.has(insn.ref.name)) {
      insn.src = o.BPF_PSEUDO_CALL;
      insn.ref = { kind: 'label', name: insn.ref.name };
    }
  }
  // bpf_conformance: `exit` names the first exit instruction unless a label says otherwise.
  if (syntax === 'ubpf' && firstExit >= 0 && !b.labels.has('exit')) b.labels.set('exit', firstExit);
  return b;
}

/**
 * A bytes line (bpftool's `opcodes`) must match the instruction above it. Where that listing's
 * text cannot carry every field (an older bpftool prints a per-CPU move `r0 = &(void __percpu *)(r0)`
 * as `r0 = r0`), the bytes are taken, provided they print as the text did.
 */
function checkBytes(raw: string, b: ProgramBuilder, line: number, file: string | undefined, text: string, statement: string): void {
  const prev = b.insns[b.insns.length - 1];
  const pos = { file, line, column: raw.search(/\S/) + 1, length: raw.trim().length };
  if (!prev) throw new ParseError('opcode bytes before any instruction', pos, text);
  if (prev.ref) return; // symbolic until linked
  const want = Array.from(encode([prev]), (v) => v.toString(16).padStart(2, '0')).join(' ');
  if (raw.trim() === want) return;
  const bytes = Buffer.from(raw.trim().split(/\s+/).map((h) => parseInt(h, 16)));
  let decoded: Instruction[] = [];
  try {
    decoded = decode(bytes);
  } catch {
    // fall through to the mismatch error
  }
  if (decoded.length === 1) {
    const spelled = (compat?: '7.1'): string => formatInstruction(decoded[0], { compat }).replace(/^\([0-9a-f]{2}\) /, '');
    if (spelled() === statement || spelled('7.1') === statement) {
      b.insns[b.insns.length - 1] = decoded[0];
      return;
    }
  }
  throw new ParseError(`bytes do not match the instruction above, which encodes as ${want}`, pos, text);
}

/** Assembles text into linked instructions. */
export function assemble(text: string, opts: AssembleOptions = {}): Instruction[] {
  return parse(text, opts).link(opts);
}

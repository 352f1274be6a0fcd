// Runs the bpf_conformance suite (../shared/peer/bpf_conformance) through bpfkit's assembler.
//
//   node --import tsx scripts/conformance/bpf-conformance.ts [--dir DIR] [--negative DIR] [-v]
//
// Step 1 (here): every test in tests/ must assemble (ubpf syntax) or decode (`-- raw`) into valid
// instructions; every test in negative/ must be rejected with a message, except the ones whose
// failure only shows when the program runs (they assemble; they are reported as skipped).
// Step 2 (`--run`, to come with Program.testRun): loadCase() already returns what a run needs:
// the instructions, the `-- mem` bytes and the expected `-- result` or `-- error`.
import { peerDir } from '../paths.js';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { assemble, decode, encode, validate, type Instruction } from '../../src/asm/index.js';
import { ParseError } from '../../src/sys/errors.js';

export interface ConformanceCase {
  file: string;
  name: string;
  insns: Instruction[];
  /** The `-- mem` bytes: the program's context memory (r1 points at it, r2 is its length). */
  memory: Buffer;
  /** The `-- result` value (r0 at exit), as an unsigned 64-bit value. */
  expected?: bigint;
  /** The `-- error` text the runtime is expected to report. */
  expectedError?: string;
}

/** A test file that cannot be turned into a program, with the reason. */
export class CaseRejected extends Error {
  constructor(readonly file: string, message: string) {
    super(message);
    this.name = 'CaseRejected';
  }
}

type Section = 'none' | 'asm' | 'result' | 'mem' | 'raw' | 'error' | 'ignore';

/**
 * Parses a .data file the way bpf_conformance's test parser does (sections introduced by `--`,
 * `#` comments), then assembles or decodes it. Throws CaseRejected or ParseError.
 */
export function loadCase(file: string, opts: { prefer?: 'asm' | 'raw' } = {}): ConformanceCase {
  const text = readFileSync(file, 'utf8');
  const sections: Record<Exclude<Section, 'none' | 'ignore'>, string[]> = { asm: [], result: [], mem: [], raw: [], error: [] };
  const asmLines: string[] = [];
  let state: Section = 'none';
  let errorSection = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/\r$/, '');
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    if (line.includes('--')) {
      const d = line.slice(line.indexOf('--') + 2).trim();
      if (d === 'asm') state = 'asm';
      else if (d === 'result') state = 'result';
      else if (d === 'mem') state = 'mem';
      else if (d === 'raw') state = 'raw';
      else if (d === 'error') {
        state = 'error';
        errorSection = true;
      }
      else if (d === 'no register offset' || d === 'c') state = 'ignore';
      else throw new CaseRejected(file, `${basename(file)}:${i + 1}: unknown directive '${line.trim()}'`);
      if (state === 'asm') asmLines.length = 0;
      continue;
    }
    // Keep asm line numbers true to the file, so assembler errors point at the right line.
    if (state === 'asm') asmLines[i] = line;
    else if (state !== 'none' && state !== 'ignore' && line.trim() !== '') sections[state].push(line.trim());
  }
  // An empty `-- error` section still says the program must fail.
  const expectedError = errorSection ? sections.error[sections.error.length - 1] ?? '' : undefined;
  const resultText = sections.result[sections.result.length - 1];

  let insns: Instruction[];
  const hasAsm = asmLines.some((l) => l !== undefined && l.trim() !== '');
  if (sections.raw.length && !(opts.prefer === 'asm' && hasAsm)) {
    insns = decode(rawBytes(file, sections.raw), { strict: true, file });
  } else {
    const source = Array.from({ length: lines.length }, (_, i) => asmLines[i] ?? '').join('\n');
    insns = assemble(source, { syntax: 'ubpf', file });
    const problems = validate(insns);
    if (problems.length) throw new CaseRejected(file, `${basename(file)}: instruction ${problems[0].index}: ${problems[0].reason}`);
  }
  if (insns.length === 0) throw new CaseRejected(file, `${basename(file)}: no instructions`);
  if (expectedError === undefined && resultText === undefined) throw new CaseRejected(file, `${basename(file)}: no -- result or -- error section`);
  let expected: bigint | undefined;
  if (resultText !== undefined) {
    try {
      expected = BigInt.asUintN(64, BigInt(resultText));
    } catch {
      throw new CaseRejected(file, `${basename(file)}: bad result '${resultText}'`);
    }
  }

  const memory = Buffer.from(sections.mem.join(' ').split(/\s+/).filter(Boolean).map((b) => parseInt(b, 16)));
  return { file, name: basename(file, '.data'), insns, memory, expected, expectedError };
}

/** `-- raw`: 0x-prefixed 64-bit words (one instruction each, host order) or lines of byte pairs. */
function rawBytes(file: string, lines: string[]): Buffer {
  const out: number[] = [];
  for (const tok of lines.join(' ').split(/\s+/).filter(Boolean)) {
    if (/^0x[0-9a-f]{1,16}$/i.test(tok)) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(tok));
      out.push(...b);
    } else if (/^[0-9a-f]{2}$/i.test(tok)) {
      out.push(parseInt(tok, 16));
    } else {
      throw new CaseRejected(file, `${basename(file)}: bad raw token '${tok}'`);
    }
  }
  return Buffer.from(out);
}

export interface StepResult {
  passed: string[];
  failed: { name: string; message: string }[];
  /** Negative cases whose failure only a run can show: they assemble. */
  runOnly: string[];
}

export function dataFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.data')).sort().map((f) => join(dir, f));
}

/** Assembles every positive test: a pass is a valid program that encodes to whole slots. */
export function assembleSuite(dir: string): StepResult {
  const r: StepResult = { passed: [], failed: [], runOnly: [] };
  for (const f of dataFiles(dir)) {
    try {
      const c = loadCase(f);
      if (encode(c.insns).length % 8 !== 0) throw new Error('encoding is not whole slots');
      r.passed.push(c.name);
    } catch (e) {
      r.failed.push({ name: basename(f), message: (e as Error).message });
    }
  }
  return r;
}

/** Every negative test must be rejected with a message (a pass), or is run-only. */
export function negativeSuite(dir: string): StepResult & { messages: Map<string, string> } {
  const r = { passed: [] as string[], failed: [] as { name: string; message: string }[], runOnly: [] as string[], messages: new Map<string, string>() };
  for (const f of dataFiles(dir)) {
    const name = basename(f);
    try {
      loadCase(f);
      r.runOnly.push(name);
    } catch (e) {
      if (!(e instanceof CaseRejected || e instanceof ParseError)) {
        r.failed.push({ name, message: `crashed: ${(e as Error).stack}` });
        continue;
      }
      const message = e.message.split('\n')[0];
      if (!message) r.failed.push({ name, message: 'rejected without a message' });
      else {
        r.passed.push(name);
        r.messages.set(name, message);
      }
    }
  }
  return r;
}

function main(argv: string[]): number {
  const peer = join(peerDir, 'bpf_conformance');
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string', default: join(peer, 'tests') },
      negative: { type: 'string', default: join(peer, 'negative') },
      verbose: { type: 'boolean', short: 'v', default: false },
    },
  });
  const pos = assembleSuite(values.dir!);
  console.log(`assembly: ${pos.passed.length} passed, ${pos.failed.length} failed (${values.dir})`);
  for (const f of pos.failed) console.log(`  FAIL ${f.name}: ${f.message.split('\n')[0]}`);
  const neg = negativeSuite(values.negative!);
  console.log(`negative: ${neg.passed.length} rejected, ${neg.failed.length} failed, ${neg.runOnly.length} need a run to fail (${values.negative})`);
  for (const f of neg.failed) console.log(`  FAIL ${f.name}: ${f.message}`);
  for (const n of neg.runOnly) console.log(`  RUN-ONLY ${n}: assembles; its expected failure shows only when it runs`);
  if (values.verbose) for (const [n, m] of neg.messages) console.log(`  rejected ${n}: ${m}`);
  const failed = pos.failed.length + neg.failed.length;
  console.log(`${pos.passed.length + neg.passed.length} passed, ${failed} failed, ${neg.runOnly.length} skipped`);
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = main(process.argv.slice(2));
}

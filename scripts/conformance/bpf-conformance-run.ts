// Runs every bpf_conformance test the kernel accepts in the kernel (BPF_PROG_TEST_RUN) and
// compares r0 with the test's `-- result`. Needs root.
//
//   node dist/scripts/conformance/bpf-conformance-run.js [--dir DIR] [-v]
//
// The harness gives the program what the suite promises — r1 points at the `-- mem` bytes and r2
// holds their length — by prepending two instructions that load the address of an array map's
// value (the memory) and the length. Exits of the main program become jumps to an epilogue that
// stores the 64-bit r0 in a second map, since a test run returns only 32 bits.
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { peerDir } from '../paths.js';
import { loadCase, CaseRejected, type ConformanceCase } from './bpf-conformance.js';
import { assemble, encode } from '../../src/asm/index.js';
import { BpfMap } from '../../src/map.js';
import { Program } from '../../src/program.js';
import { VerifierError, BpfError, ParseError } from '../../src/sys/errors.js';

export type Outcome =
  | { status: 'passed' }
  | { status: 'failed'; reason: string }
  | { status: 'unloadable'; reason: string };

const LD_IMM64 = 0x18;
const CALL = 0x85;
const EXIT = 0x95;
const JA = 0x05;

/** Slots where subprograms start: targets of bpf-to-bpf calls. */
function subprogramStarts(code: Buffer): number[] {
  const starts: number[] = [];
  for (let slot = 0; slot < code.length / 8; slot++) {
    const op = code[slot * 8];
    if (op === CALL && code[slot * 8 + 1] >> 4 === 1) starts.push(slot + 1 + code.readInt32LE(slot * 8 + 4));
    if (op === LD_IMM64) slot++;
  }
  return starts;
}

export function harness(c: ConformanceCase, memFd: number, resultFd: number): Buffer {
  const maps = { mem: memFd, result: resultFd };
  const prologue = encode(assemble(`r1 = map[mem][0]+0\nr2 = ${c.memory.length}`, { maps }));
  const body = Buffer.from(encode(c.insns));
  const epilogue = encode(assemble('r1 = map[result][0]+0\n*(u64 *)(r1 +0) = r0\nr0 = 0\nexit', { maps }));
  const slots = body.length / 8;
  const extra = epilogue.length / 8;
  // The epilogue goes right after the main function: a jump may not leave its function.
  const mainEnd = Math.min(slots, ...subprogramStarts(body).filter((s) => s > 0));
  for (let slot = 0; slot < slots; slot++) {
    const at = slot * 8;
    const op = body[at];
    const src = body[at + 1] >> 4;
    if (slot < mainEnd && op === EXIT) {
      body.fill(0, at, at + 8);
      body[at] = JA;
      body.writeInt16LE(mainEnd - (slot + 1), at + 2);
    } else if ((op === CALL && src === 1) || (op === LD_IMM64 && src === 4)) {
      // Calls and function addresses that cross the inserted epilogue move by its length.
      const target = slot + 1 + body.readInt32LE(at + 4);
      if (slot < mainEnd && target >= mainEnd) body.writeInt32LE(body.readInt32LE(at + 4) + extra, at + 4);
      if (slot >= mainEnd && target < mainEnd) body.writeInt32LE(body.readInt32LE(at + 4) - extra, at + 4);
    }
    if (op === LD_IMM64) slot++;
  }
  return Buffer.concat([prologue, body.subarray(0, mainEnd * 8), epilogue, body.subarray(mainEnd * 8)]);
}

export function runCase(c: ConformanceCase): Outcome {
  using mem = BpfMap.create({ type: 'array', keySize: 4, valueSize: Math.max(8, c.memory.length), maxEntries: 1 });
  using result = BpfMap.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  if (c.memory.length) {
    const value = Buffer.alloc(mem.valueSize);
    c.memory.copy(value);
    mem.update(0, value);
  }
  let prog: Program;
  try {
    prog = Program.load({ type: 'socket_filter', instructions: harness(c, mem.fd.raw, result.fd.raw), name: 'conformance' });
  } catch (e) {
    if (e instanceof VerifierError) return { status: c.expectedError !== undefined ? 'passed' : 'unloadable', reason: e.summary.at(-1) ?? e.message };
    if (e instanceof BpfError) return { status: 'unloadable', reason: e.message };
    throw e;
  }
  try {
    prog.testRun({ data: Buffer.alloc(64) });
    const r0 = result.lookup(0)!.readBigUInt64LE(0);
    if (c.expectedError !== undefined) return { status: 'failed', reason: `expected the error '${c.expectedError}', the kernel ran it and returned 0x${r0.toString(16)}` };
    if (r0 === c.expected) return { status: 'passed' };
    return { status: 'failed', reason: `r0 = 0x${r0.toString(16)}, expected 0x${(c.expected ?? 0n).toString(16)}` };
  } finally {
    prog.close();
  }
}

export interface RunReport {
  passed: string[];
  failed: { name: string; reason: string }[];
  unloadable: { name: string; reason: string }[];
}

export function runSuite(dir: string): RunReport {
  const report: RunReport = { passed: [], failed: [], unloadable: [] };
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.data')).sort()) {
    const name = basename(f, '.data');
    let c: ConformanceCase;
    try {
      c = loadCase(join(dir, f));
    } catch (e) {
      if (e instanceof CaseRejected || e instanceof ParseError) {
        report.failed.push({ name, reason: `does not assemble: ${e.message.split('\n')[0]}` });
        continue;
      }
      throw e;
    }
    const o = runCase(c);
    if (o.status === 'passed') report.passed.push(name);
    else report[o.status].push({ name, reason: o.reason });
  }
  return report;
}

function main(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string', default: join(peerDir, 'bpf_conformance', 'tests') }, verbose: { type: 'boolean', short: 'v', default: false } } });
  const r = runSuite(values.dir!);
  for (const f of r.failed) console.log(`  FAIL ${f.name}: ${f.reason}`);
  const why = new Map<string, string[]>();
  for (const u of r.unloadable) why.set(u.reason, [...(why.get(u.reason) ?? []), u.name]);
  for (const [reason, names] of [...why].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  not loadable (${names.length}): ${reason}${values.verbose ? `\n    ${names.join(' ')}` : ''}`);
  }
  console.log(`${r.passed.length} passed, ${r.failed.length} failed, ${r.unloadable.length} not loadable by the kernel`);
  return r.failed.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = main(process.argv.slice(2));
}

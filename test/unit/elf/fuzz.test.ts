// Robustness: mutated copies of the fixture objects must parse or fail with a ParseError —
// never another exception, never a hang (every loop in the parsers is bounded by the input size)
// and never a huge allocation (counts are checked against the buffer before anything is allocated).
import { mulberry32 } from '../../../scripts/prng.js';
import { fixturesDir } from '../../helpers/env.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { CollectionSpec } from '../../../src/elf/collection.js';
import { ElfFile } from '../../../src/elf/reader.js';
import { btfToC } from '../../../src/btf/c-dump.js';
import { btfToRaw } from '../../../src/btf/raw-dump.js';
import { encodeBtf } from '../../../src/btf/encode.js';
import { ParseError } from '../../../src/sys/errors.js';

const dir = `${fixturesDir}bpf/build/`;
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.o')).sort().map((f) => ({ name: f, buf: readFileSync(dir + f) }));
const TOTAL = 10_000;

const prng = mulberry32;

/** Byte ranges worth aiming at: ELF header, section headers, symbol table, .BTF, .BTF.ext, relocations. */
function hotRanges(buf: Buffer): [number, number][] {
  const out: [number, number][] = [[0, 64]];
  const elf = ElfFile.parse(buf);
  const shoff = Number(buf.readBigUInt64LE(40));
  out.push([shoff, buf.length]);
  for (const s of elf.sections) {
    if (['.BTF', '.BTF.ext', '.symtab', '.maps', 'maps'].includes(s.name) || s.type === 9 || (s.flags & 4) !== 0) out.push([s.offset, s.offset + s.size]);
  }
  return out.filter(([a, b]) => b > a);
}

const INTERESTING = [0, 1, 2, 7, 8, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 24, 64];

function mutate(src: Buffer, rnd: () => number, hot: [number, number][]): Buffer {
  const pick = (n: number) => Math.floor(rnd() * n);
  const b = Buffer.from(src);
  const where = () => {
    if (rnd() < 0.7) {
      const [a, e] = hot[pick(hot.length)];
      return a + pick(e - a);
    }
    return pick(b.length);
  };
  switch (pick(4)) {
    case 0: // truncation
      return b.subarray(0, pick(b.length));
    case 1: // bit flips
      for (let i = 1 + pick(8); i > 0; i--) {
        const at = where();
        b[at] ^= 1 << pick(8);
      }
      return b;
    case 2: { // a bad offset or count: an interesting 32-bit value at an aligned spot
      const at = where() & ~3;
      if (at + 4 <= b.length) b.writeUInt32LE(rnd() < 0.8 ? INTERESTING[pick(INTERESTING.length)] : Math.floor(rnd() * 2 ** 32), at);
      return b;
    }
    default: { // a bad 64-bit offset or size
      const at = where() & ~7;
      if (at + 8 <= b.length) b.writeBigUInt64LE(rnd() < 0.5 ? BigInt(pick(b.length * 2)) : 0xffffffffffffffffn, at);
      return b;
    }
  }
}

test(`${TOTAL} mutated fixtures give ParseErrors only`, () => {
  const rnd = prng(0x5eed);
  const hots = fixtures.map((f) => hotRanges(f.buf));
  let failures = 0;
  let parsed = 0;
  for (let i = 0; i < TOTAL; i++) {
    const k = i % fixtures.length;
    const input = mutate(fixtures[k].buf, rnd, hots[k]);
    try {
      const spec = CollectionSpec.fromBuffer(input, { name: 'fuzz', file: `${fixtures[k].name}#${i}` });
      if (spec.btf) {
        btfToRaw(spec.btf);
        btfToC(spec.btf);
        encodeBtf(spec.btf);
      }
      parsed++;
    } catch (e) {
      if (!(e instanceof ParseError)) {
        assert.fail(`case ${i} (${fixtures[k].name}) threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack}`);
      }
      failures++;
    }
  }
  assert.equal(parsed + failures, TOTAL);
  // Both outcomes must occur, or the mutations are not exercising the parser.
  assert.ok(failures > TOTAL / 10, `only ${failures} mutations were rejected`);
  assert.ok(parsed > TOTAL / 20, `only ${parsed} mutations parsed`);
});

// Property tests: mutated text only ever raises ParseError (never another exception, never a
// hang: a hang would time the test out); random bytes decode or raise ParseError, and what
// decodes re-encodes to the same bytes and prints in every flavour.
import { mulberry32 } from '../../../scripts/prng.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, decode, disassemble, encode, formatInstruction, type Syntax } from '../../../src/asm/index.js';
import { ParseError } from '../../../src/sys/errors.js';
import { table } from './table.js';

const rng = mulberry32;

const alphabet = ' \t\n\r+-*/()[]<>=:;,#%&|^!_.0123456789abcdefrwxsulpgotcmkiLqz\u00e9\u0000';
const flavourFor: Record<Syntax, 'bpftool' | 'llvm' | 'ubpf'> = { kernel: 'bpftool', llvm: 'llvm', ubpf: 'ubpf' };

function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const ch = alphabet[Math.floor(r() * alphabet.length)];
    switch (Math.floor(r() * 5)) {
      case 0: s = s.slice(0, at) + s.slice(at + 1); break;
      case 1: s = s.slice(0, at) + ch + s.slice(at); break;
      case 2: s = s.slice(0, at) + ch + s.slice(at + 1); break;
      case 3: { const from = Math.floor(r() * s.length); s = s.slice(0, at) + s.slice(from, from + 1 + Math.floor(r() * 8)) + s.slice(at); break; }
      default: s = s.slice(0, at) + '9'.repeat(1 + Math.floor(r() * 30)) + s.slice(at);
    }
  }
  return s;
}

for (const syntax of ['kernel', 'llvm', 'ubpf'] as Syntax[]) {
  test(`mutated ${syntax} text raises only ParseError`, { timeout: 120_000 }, () => {
    const seed = 0x5eed + syntax.length;
    const r = rng(seed);
    const lines = table().map((row) => formatInstruction(row.insn, { flavour: flavourFor[syntax], lossless: true }).replace(/^\([0-9a-f]{2}\) /, ''))
      .filter((l) => !l.startsWith('.raw'));
    let ok = 0;
    let rejected = 0;
    for (let i = 0; i < 4000; i++) {
      const base = Array.from({ length: 1 + Math.floor(r() * 3) }, () => lines[Math.floor(r() * lines.length)]);
      if (r() < 0.3) base.splice(Math.floor(r() * base.length), 0, 'l1:');
      const text = mutate(base.join('\n'), r);
      try {
        const insns = assemble(text, { syntax, maps: new Map() });
        encode(insns);
        ok++;
      } catch (e) {
        if (!(e instanceof ParseError)) assert.fail(`seed ${seed} case ${i}: ${JSON.stringify(text)} threw ${(e as Error).stack}`);
        assert.ok(e.line >= 1 && e.column >= 1, `bad position in ${e.message}`);
        rejected++;
      }
    }
    assert.ok(ok > 100 && rejected > 100, `ok ${ok}, rejected ${rejected}: mutations should land on both sides`);
  });
}

test('random bytes decode (and round-trip and print) or raise ParseError', { timeout: 120_000 }, () => {
  const seed = 0xb17e5;
  const r = rng(seed);
  let decoded = 0;
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(r() * 8) * 8 + (r() < 0.1 ? Math.floor(r() * 8) : 0);
    const bytes = Buffer.from(Array.from({ length: len }, () => (r() < 0.3 ? 0 : Math.floor(r() * 256))));
    if (r() < 0.2 && len >= 16) bytes[len - 16] = 0x18; // exercise broken ld_imm64 pairs
    for (const strict of [false, true]) {
      try {
        const insns = decode(bytes, { strict });
        assert.ok(encode(insns).equals(bytes), `seed ${seed} case ${i}: re-encoding differs`);
        for (const flavour of ['bpftool', 'llvm', 'ubpf'] as const) disassemble(insns, { flavour, opcodes: true });
        disassemble(insns, { compat: '7.1' });
        decoded++;
      } catch (e) {
        if (!(e instanceof ParseError)) assert.fail(`seed ${seed} case ${i}: ${bytes.toString('hex')} threw ${(e as Error).stack}`);
      }
    }
  }
  assert.ok(decoded > 1000);
});

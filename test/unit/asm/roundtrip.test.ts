// disasm(asm(text)) == text and asm(disasm(bytes)) == bytes over a table covering every opcode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, checkInstruction, decode, disassemble, encode, formatInstruction, type Flavour, type Syntax } from '../../../src/asm/index.js';
import { opcodesIn, table } from './table.js';

const rows = table();

/** The opcode bytes RFC 9669's appendix lists, built from its class/op tables. */
function rfcOpcodes(): number[] {
  const out: number[] = [];
  for (const klass of [0x04, 0x07]) {
    for (let op = 0x00; op <= 0xc0; op += 0x10) {
      out.push(klass | op);
      if (op !== 0x80) out.push(klass | op | 0x08);
    }
  }
  out.push(0xd4, 0xdc, 0xd7);
  out.push(0x05, 0x85, 0x95, 0x06);
  for (const op of [0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0xa, 0xb, 0xc, 0xd]) out.push((op << 4) | 0x05, (op << 4) | 0x0d, (op << 4) | 0x06, (op << 4) | 0x0e);
  out.push(0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50);
  out.push(0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91);
  out.push(0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb);
  return out;
}

test('the table covers every opcode RFC 9669 defines, and all its RFC rows are valid', () => {
  const have = opcodesIn(rows);
  const missing = rfcOpcodes().filter((c) => !have.has(c)).map((c) => c.toString(16));
  assert.deepEqual(missing, []);
  for (const r of rows) if (!r.extension) assert.equal(checkInstruction(r.insn), undefined, JSON.stringify(r.insn));
});

test('encode/decode round trip in both byte orders', () => {
  const insns = rows.map((r) => r.insn);
  for (const endian of ['little', 'big'] as const) {
    const bytes = encode(insns, { endian });
    assert.equal(bytes.length % 8, 0);
    assert.deepEqual(decode(bytes, { endian }), insns);
    assert.ok(encode(decode(bytes, { endian }), { endian }).equals(bytes));
  }
});

test('big-endian swaps the register nibbles and the byte order of off and imm', () => {
  // r1 = r2 (mov64 reg), off 0x0102, imm 0x03040506: layout from the RFC's two encodings.
  const insn = { code: 0xbf, dst: 1, src: 2, off: 0x0102, imm: 0x03040506 };
  assert.deepEqual([...encode([insn], { endian: 'little' })], [0xbf, 0x21, 0x02, 0x01, 0x06, 0x05, 0x04, 0x03]);
  assert.deepEqual([...encode([insn], { endian: 'big' })], [0xbf, 0x12, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06]);
});

const flavours: [Flavour, Syntax][] = [['bpftool', 'kernel'], ['llvm', 'llvm'], ['ubpf', 'ubpf']];

for (const [flavour, syntax] of flavours) {
  test(`asm(disasm(bytes)) == bytes and disasm(asm(text)) == text, ${flavour} flavour`, () => {
    let checked = 0;
    for (const r of rows) {
      const text = formatInstruction(r.insn, { flavour, lossless: true });
      if (flavour === 'ubpf' && text.startsWith('.raw')) continue; // no spelling in that dialect
      const stripped = flavour === 'bpftool' ? text.replace(/^\([0-9a-f]{2}\) /, '') : text;
      let back;
      try {
        back = assemble(stripped, { syntax });
      } catch (e) {
        assert.fail(`${flavour}: '${stripped}' does not assemble: ${(e as Error).message}`);
      }
      assert.ok(encode(back).equals(encode([r.insn])), `${flavour}: '${stripped}' assembles to ${encode(back).toString('hex')}, want ${encode([r.insn]).toString('hex')}`);
      assert.equal(formatInstruction(back[0], { flavour, lossless: true }), text);
      checked++;
    }
    assert.ok(checked > (flavour === 'ubpf' ? 150 : 190), `only ${checked} rows checked`);
  });
}

test('bpftool spelling equals the lossless one except for the rows bpftool cannot carry', () => {
  for (const r of rows) {
    const exact = formatInstruction(r.insn);
    const lossless = formatInstruction(r.insn, { lossless: true });
    if (r.lossy) assert.notEqual(exact, lossless);
    else assert.equal(exact, lossless, JSON.stringify(r.insn));
  }
});

test('whole listings round trip, with slot numbers and opcodes lines', () => {
  const insns = rows.map((r) => r.insn);
  for (const opcodes of [false, true]) {
    const text = disassemble(insns, { lossless: true, opcodes });
    const back = assemble(text);
    assert.ok(encode(back).equals(encode(insns)));
    assert.equal(disassemble(back, { lossless: true, opcodes }), text);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { assemble, decode, disassemble, encode, type Instruction } from '../../../src/asm/index.js';
import { ParseError } from '../../../src/sys/errors.js';
import { needFile, peerDir } from '../../helpers/env.js';

const hex = (insns: Instruction[]): string => encode(insns).toString('hex');

test('the issue examples encode as llvm-objdump shows them', () => {
  // Expected bytes are llvm-mc 14's for the same statements (llvm-objdump -d of its object).
  const cases: [string, string][] = [
    ['r0 = 1', 'b700000001000000'],
    ['w0 = w1', 'bc10000000000000'],
    ['r1 += r2', '0f21000000000000'],
    ['if r1 > 0x5 goto pc+3', '2501030005000000'],
    ['if w1 s< -1 goto +2', 'c6010200ffffffff'],
    ['*(u32 *)(r10 -4) = r1', '631afcff00000000'],
    ['r0 = *(u8 *)(r1 +0)', '7110000000000000'],
    ['lock *(u64 *)(r1 +0) += r2', 'db21000000000000'],
    ['r0 = atomic_fetch_add((u64 *)(r1 +0), r0)', 'db01000001000000'],
    ['r0 = 0x1122334455667788 ll', '1800000088776655000000004433221100'.slice(0, 32)],
    ['exit', '9500000000000000'],
    ['r0 = *(u16 *)skb[r1]', '4810000000000000'],
    ['r0 = xchg_64(r1 + 0, r0)', 'db010000e1000000'],
    ['w2 = xchg32_32(r3 + 0, w2)', 'c3230000e1000000'],
    ['r0 = cmpxchg_64(r1 + 0, r0, r2)', 'db210000f1000000'],
    ['w0 = cmpxchg32_32(r3 + 0, w0, w4)', 'c3430000f1000000'],
    ['lock *(u32 *)(r3 + 0) |= w4', 'c343000040000000'],
    ['r0 = be16 r0', 'dc00000010000000'],
    ['r0 = -r0', '8700000000000000'],
  ];
  for (const [text, want] of cases) assert.equal(hex(assemble(text)), want, text);
  assert.equal(hex(assemble('call bpf_map_lookup_elem#1')), '8500000001000000');
  assert.equal(hex(assemble('r1 = map[id:5]')), '18110000050000000000000000000000');
});

test('labels, goto label and comments of every kind', () => {
  const insns = assemble(`
    ; a comment
    // another
    # and another
    start: r0 = 0          ; trailing
    if r1 == 0 goto out    // trailing
    r0 = 1                 # trailing
    goto start
  out:
    exit
  `);
  assert.equal(disassemble(insns, { lineNumbers: false }), [
    '(b7) r0 = 0', '(15) if r1 == 0x0 goto pc+2', '(b7) r0 = 1', '(05) goto pc-4', '(95) exit', '',
  ].join('\n'));
});

test('call NAME is a bpf-to-bpf call to a label, else a helper by name', () => {
  const insns = assemble(`
    call sub
    call bpf_ktime_get_ns
    call map_lookup_elem
    exit
  sub:
    r0 = 0
    exit`);
  assert.deepEqual(insns.slice(0, 3).map((i) => [i.src, i.imm]), [[1, 3], [0, 5], [0, 1]]);
  assert.throws(() => assemble('call no_such_helper_here'), /unknown helper 'no_such_helper_here'/);
});

test('ld_imm64 forms: constants, maps by id, index and name, map values, subprogs, BTF ids', () => {
  const insns = assemble(`
    r1 = map[id:7]
    r2 = map[id:7][0]+16
    r3 = map[idx:2]
    r4 = map[idx:2]+8
    r5 = map[events]
    r6 = map[globals][0]+4
    r7 = subprog[f]
    r8 = btf_id[99]
    r9 = 0xffffffff
    r0 = -1 ll
    exit
  f:
    exit`, { maps: { events: 11, globals: 12 } });
  assert.deepEqual(insns.slice(0, 10).map((i) => [i.dst, i.src, i.imm, i.imm2]), [
    [1, 1, 7, 0], [2, 2, 7, 16], [3, 5, 2, 0], [4, 6, 2, 8], [5, 1, 11, 0], [6, 2, 12, 4], [7, 4, 8, 0], [8, 3, 99, 0], [9, 0, -1, 0], [0, 0, -1, -1],
  ]);
  // Decimal that fits is a mov; hex (as bpftool prints ld_imm64) is an ld_imm64; llvm reads hex as a mov.
  assert.equal(assemble('r1 = 5')[0].code, 0xb7);
  assert.equal(assemble('r1 = 0x5')[0].code, 0x18);
  assert.equal(assemble('r1 = 0x5', { syntax: 'llvm' })[0].code, 0xb7);
  assert.equal(assemble('   3: (b7) r1 = 0x5')[0].code, 0xb7, 'the opcode prefix decides');
});

test('errors are ParseErrors with line, column and a caret', () => {
  const cases: [string, number, number, RegExp][] = [
    ['r0 = 1\nr11 = 2\n', 2, 1, /invalid register r11/],
    ['r0 = 1\n  if r1 >> 3 goto +1', 2, 10, /expected a register or a constant|comparison/],
    ['w0 = 0x100000000', 1, 6, /out of 32-bit range/],
    ['goto +40000', 1, 6, /out of 16-bit range/],
    ['  frobnicate r1', 1, 3, /unknown instruction/],
    ['r0 = *(u128 *)(r1 +0)', 1, 8, /expected a size/],
    ['w0 += r1', 1, 7, /mixes w and r registers/],
    ['goto nowhere\nexit', 1, 1, /undefined label 'nowhere'/],
    ['x: exit\nx: exit', 2, 1, /label 'x' is defined twice/],
    ['   0: (b7) r0 = r1', 1, 12, /opcode \(b7\) does not match/],
  ];
  for (const [text, line, column, re] of cases) {
    let err: unknown;
    try {
      assemble(text, { file: 't.s' });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ParseError, `${JSON.stringify(text)}: ${String(err)}`);
    assert.match(err.message, re, text);
    assert.equal(err.line, line, `${text}: ${err.message}`);
    assert.equal(err.column, column, `${text}: ${err.message}`);
    const lines = err.message.split('\n');
    assert.match(lines[0], new RegExp(`^t\\.s:${line}:${column}: `));
    assert.equal(lines[2].indexOf('^'), column - 1);
  }
  const ubpf = (() => {
    try {
      assemble('mov %r0, 1\nldxq %r0, %r1', { syntax: 'ubpf' });
    } catch (e) {
      return e as ParseError;
    }
  })();
  assert.ok(ubpf instanceof ParseError);
  assert.equal(ubpf.line, 2);
  assert.match(ubpf.message, /invalid mnemonic: ldxq/);
});

test('ubpf dialect: conformance spellings', () => {
  const insns = assemble(`
    mov %r0, 1
    add32 %r0, %r1
    jeq %r1, 0x5, +3
    ldxw %r0, [%r1+4]
    stxdw [%r10-8], %r1
    lddw %r0, 0x1122334455667788
    be16 %r0
    lock fetch add32 [%r10-4], %r1
    call 1
    call local f
    call %r2
    ja exit
    exit
  f:
    exit`, { syntax: 'ubpf' });
  assert.equal(hex(insns.slice(0, 4)), 'b700000001000000' + '0c10000000000000' + '1501030005000000' + '6110040000000000');
  assert.equal(insns[6].code, 0xdc);
  assert.deepEqual([insns[7].code, insns[7].imm], [0xc3, 0x01]);
  assert.deepEqual([insns[9].src, insns[9].imm], [1, 3]);
  assert.deepEqual([insns[10].code, insns[10].dst], [0x8d, 2]);
  assert.equal(insns[11].off, 0, '`exit` labels the first exit');
});

test('bpftool listings from the peer data reassemble to the same text and bytes', (t) => {
  const dir = join(peerDir, 'bpftool/live-7.1.0');
  if (!needFile(t, dir)) return;
  for (const id of ['581', '582']) {
    const opcodesFile = join(dir, `prog_xlated_opcodes_${id}.txt`);
    if (!existsSync(opcodesFile)) continue;
    const text = readFileSync(opcodesFile, 'utf8');
    const insns = assemble(text); // checks every bytes line against its instruction
    // bpftool named helper calls from /proc/kallsyms on the machine that dumped them; give the same names back.
    const names = new Map<number, string>();
    for (const m of text.matchAll(/call ([^#\s]+)#(-?\d+)/g)) names.set(Number(m[2]), m[1]);
    const callName = (i: Instruction): string | undefined => names.get(i.imm);
    assert.equal(disassemble(insns, { opcodes: true, callName, compat: '7.1' }), text);
    const plain = readFileSync(join(dir, `prog_xlated_${id}.txt`), 'utf8');
    assert.equal(disassemble(insns, { callName, compat: '7.1' }), plain.split('\n').filter((l) => /^\s*\d+: /.test(l)).join('\n') + '\n');
    assert.ok(encode(decode(encode(insns))).equals(encode(insns)));
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { encodeUsdtSpec, kernelPtRegsOffsets, parseUsdtArg, parseUsdtArgs, ptRegsOffsetsFromBtf, USDT_SPEC_SIZE } from '../../../src/symbols/usdt.js';
import { ParseError } from '../../../src/sys/errors.js';
import type { BtfType } from '../../../src/btf/types.js';
import { needFile } from '../../helpers/env.js';

// A pt_regs shaped like x86-64's, members in the kernel's order, with a union as on 6.x kernels.
const types: BtfType[] = [
  { id: 0, kind: 'void', name: '' },
  { id: 1, kind: 'int', name: 'long unsigned int', size: 8, bits: 64, offset: 0, signed: false, char: false, bool: false },
  { id: 2, kind: 'union', name: '', size: 8, members: [{ name: 'cs', type: 1, bitOffset: 0, bitfieldSize: 0 }, { name: 'csx', type: 1, bitOffset: 0, bitfieldSize: 0 }] },
  {
    id: 3, kind: 'struct', name: 'pt_regs', size: 168,
    members: ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', '', 'flags', 'sp', 'ss']
      .map((name, i) => ({ name, type: name === '' ? 2 : 1, bitOffset: i * 64, bitfieldSize: 0 })),
  },
];
const regs = ptRegsOffsetsFromBtf(types);

test('pt_regs offsets come from BTF, unions flattened', () => {
  assert.equal(regs.get('r15'), 0);
  assert.equal(regs.get('di'), 14 * 8);
  assert.equal(regs.get('cs'), 17 * 8);
  assert.equal(regs.get('sp'), 19 * 8);
});

test('argument specs: registers, dereferences and constants, with size and sign', () => {
  assert.deepEqual(parseUsdtArg('-4@%edi', regs), { type: 'reg', size: 4, signed: true, reg: 'edi', regOffset: 112, valOffset: 0n, bitshift: 32, text: '-4@%edi' });
  assert.deepEqual(parseUsdtArg('8@-8(%rbp)', regs), { type: 'reg_deref', size: 8, signed: false, reg: 'rbp', regOffset: 32, valOffset: -8n, bitshift: 0, text: '8@-8(%rbp)' });
  assert.deepEqual(parseUsdtArg('4@$5', regs), { type: 'const', size: 4, signed: false, regOffset: 0, valOffset: 5n, bitshift: 32, text: '4@$5' });
  assert.equal(parseUsdtArg('8@(%rsp)', regs).valOffset, 0n);
  assert.equal(parseUsdtArg('-1@%al', regs).regOffset, 80);
  assert.equal(parseUsdtArg('2@%r9w', regs).regOffset, 64);
  assert.equal(parseUsdtArg('-8@$-9223372036854775808', regs).valOffset, -9223372036854775808n);
  assert.equal(parseUsdtArgs('', regs).length, 0);
  assert.deepEqual(parseUsdtArgs('-4@%esi  -4@-24(%rbp) 2@%ax', regs).map((a) => a.type), ['reg', 'reg_deref', 'reg']);
});

test('forms libbpf does not support are reported with the reason', () => {
  assert.throws(() => parseUsdtArg('8@(%rax,%rdx,8)', regs), (e: unknown) => e instanceof ParseError && /base\+index\*scale/.test(e.message));
  assert.throws(() => parseUsdtArg('-1@c8(%rip)', regs), /\(%rip\) addressing is not supported/);
  assert.throws(() => parseUsdtArg('3@%eax', regs), /size 3/);
  assert.throws(() => parseUsdtArg('4@%xmm0', regs), /unsupported register/);
  assert.throws(() => parseUsdtArgs('4@%eax 4@%bogus', regs, 'a.out'), (e: unknown) => e instanceof ParseError && e.column === 8 && e.file === 'a.out');
  assert.throws(() => parseUsdtArgs(Array(13).fill('4@$1').join(' '), regs), /more than 12/);
});

test('the spec encodes as libbpf\'s struct __bpf_usdt_spec', () => {
  const b = encodeUsdtSpec(parseUsdtArgs('-4@%edi 8@-8(%rbp)', regs), 0x1122n);
  assert.equal(b.length, USDT_SPEC_SIZE);
  assert.equal(b.readBigUInt64LE(0), 0n);
  assert.equal(b.readUInt32LE(8), 1); // reg
  assert.equal(b.readInt16LE(12), 112);
  assert.equal(b[14], 1);
  assert.equal(b.readInt8(15), 32);
  assert.equal(b.readBigInt64LE(16), -8n);
  assert.equal(b.readUInt32LE(24), 2); // reg_deref
  assert.equal(b.readBigUInt64LE(192), 0x1122n);
  assert.equal(b.readInt16LE(200), 2);
});

test('the running kernel\'s pt_regs has every x86-64 register', (t) => {
  if (!needFile(t, '/sys/kernel/btf/vmlinux') || process.arch !== 'x64') return;
  const k = kernelPtRegsOffsets();
  for (const r of ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'ip', 'r8', 'r15']) assert.equal(typeof k.get(r), 'number', r);
  // Every offset is a distinct 8-byte slot inside the 168-byte struct.
  const offs = ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'ip'].map((r) => k.get(r)!);
  assert.equal(new Set(offs).size, offs.length);
  assert.ok(offs.every((o) => o % 8 === 0 && o < 168));
  assert.ok(existsSync('/sys/kernel/btf/vmlinux'));
});

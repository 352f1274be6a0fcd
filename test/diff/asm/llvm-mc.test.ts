// Our assembler against llvm-mc (Debian's LLVM): the same llvm-syntax text must give the same
// .text bytes, and our llvm flavour must print what llvm-objdump prints for those bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, disassemble, encode } from '../../../src/asm/index.js';
import { needTool } from '../../helpers/env.js';

/** Statements llvm-mc 14 accepts, covering its whole BPF instruction set. */
function corpus(): string[] {
  const lines: string[] = [];
  // llvm-mc 14's parser rejects `%=` (it lexes % as a register prefix), so mod is covered elsewhere.
  const ops = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', '^=', '=', 's>>='];
  ops.forEach((op, i) => {
    lines.push(`r${i % 10} ${op} r${(i * 3 + 1) % 11}`, `w${(i + 4) % 10} ${op} w${(i * 7) % 11}`);
    lines.push(`r${(i + 2) % 10} ${op} ${[0, 1, -1, 42, 2147483647, -2147483648][i % 6]}`, `w${(i + 5) % 10} ${op} ${[7, -9, 65535][i % 3]}`);
  });
  lines.push('r3 = -r3', 'w4 = -w4');
  for (const bits of [16, 32, 64]) lines.push(`r1 = be${bits} r1`, `r2 = le${bits} r2`);
  const cmps = ['==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<='];
  cmps.forEach((c, i) => {
    lines.push(`if r${i} ${c} r${10 - i} goto +${i}`, `if r${(i + 1) % 10} ${c} ${i * 1000 - 3} goto -${i + 1}`);
    lines.push(`if w${i} ${c} w${(i + 2) % 11} goto +${i * 7}`, `if w${(i + 3) % 10} ${c} ${-i} goto +0`);
  });
  lines.push('goto +5', 'goto -1', 'goto +32767', 'goto -32768', 'call 1', 'call 12', 'exit');
  for (const [sz, i] of [['u8', 0], ['u16', 1], ['u32', 2], ['u64', 3]] as const) {
    lines.push(`r${i} = *(${sz} *)(r${i + 1} + ${i * 8})`, `r${i + 4} = *(${sz} *)(r10 - ${8 << i})`);
    lines.push(`*(${sz} *)(r10 - ${16 + i}) = r${i + 1}`, `*(${sz} *)(r${i + 1} + 32767) = r9`);
  }
  lines.push('lock *(u64 *)(r1 + 0) += r2', 'lock *(u32 *)(r10 - 8) += r3');
  lines.push('r0 = *(u8 *)skb[1]', 'r0 = *(u16 *)skb[-4]', 'r0 = *(u32 *)skb[1000]');
  lines.push('r0 = *(u8 *)skb[r1]', 'r0 = *(u16 *)skb[r9]', 'r0 = *(u32 *)skb[r7]');
  lines.push('r0 = 0x1122334455667788 ll', 'r9 = -1 ll', 'r1 = 0 ll', 'r5 = 4294967296 ll');
  return lines;
}

test('bytes equal llvm-mc -triple bpfel; llvm flavour equals llvm-objdump -d', (t) => {
  if (!needTool(t, 'llvm-mc') || !needTool(t, 'llvm-objcopy') || !needTool(t, 'llvm-objdump')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-llvm-'));
  try {
    const lines = corpus();
    const src = lines.join('\n') + '\n';
    writeFileSync(join(dir, 'c.s'), src);
    execFileSync('llvm-mc', ['-triple', 'bpfel', '-filetype=obj', join(dir, 'c.s'), '-o', join(dir, 'c.o')]);
    execFileSync('llvm-objcopy', ['-O', 'binary', '--only-section=.text', join(dir, 'c.o'), join(dir, 'c.bin')]);
    const theirs = readFileSync(join(dir, 'c.bin'));
    const ours = assemble(src, { syntax: 'llvm' });
    assert.equal(ours.length, lines.length);
    assert.equal(encode(ours).toString('hex'), theirs.toString('hex'));

    // llvm-objdump: "   N:\t<bytes>\t<text>" plus " <.text+0x..>" after jumps.
    const dump = execFileSync('llvm-objdump', ['-d', join(dir, 'c.o')], { encoding: 'utf8' });
    const texts = dump.split('\n').filter((l) => /^\s+\d+:\t/.test(l)).map((l) => l.split('\t')[2].replace(/ <[^<>]*>$/, ''));
    const mine = disassemble(ours, { flavour: 'llvm', lineNumbers: false }).trimEnd().split('\n');
    assert.deepEqual(mine, texts);

    // And the big-endian target: the register nibbles swap.
    execFileSync('llvm-mc', ['-triple', 'bpfeb', '-filetype=obj', join(dir, 'c.s'), '-o', join(dir, 'be.o')]);
    execFileSync('llvm-objcopy', ['-O', 'binary', '--only-section=.text', join(dir, 'be.o'), join(dir, 'be.bin')]);
    assert.equal(encode(ours, { endian: 'big' }).toString('hex'), readFileSync(join(dir, 'be.bin')).toString('hex'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as asmMain } from '../../../src/cli/asm.js';
import { main as disasmMain } from '../../../src/cli/disasm.js';

async function run(fn: (argv: string[]) => Promise<number>, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const so = process.stdout.write.bind(process.stdout);
  const se = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => (out.push(typeof c === 'string' ? c : Buffer.from(c).toString('latin1')), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => (err.push(String(c)), true)) as typeof process.stderr.write;
  try {
    return { code: await fn(argv), out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = so;
    process.stderr.write = se;
  }
}

test('bpfkit asm and disasm: file to bytes to listing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-asm-'));
  try {
    writeFileSync(join(dir, 'p.s'), 'r0 = 42\nexit\n');
    const a = await run(asmMain, [join(dir, 'p.s'), '-o', join(dir, 'p.bin')]);
    assert.equal(a.code, 0, a.err);
    assert.equal(readFileSync(join(dir, 'p.bin')).toString('hex'), 'b7000000' + '2a000000' + '9500000000000000');
    const d = await run(disasmMain, [join(dir, 'p.bin')]);
    assert.equal(d.out, '   0: (b7) r0 = 42\n   1: (95) exit\n');
    const o = await run(disasmMain, [join(dir, 'p.bin'), '--opcodes']);
    assert.equal(o.out, '   0: (b7) r0 = 42\n       b7 00 00 00 2a 00 00 00\n   1: (95) exit\n       95 00 00 00 00 00 00 00\n');
    writeFileSync(join(dir, 'u.s'), 'mov %r0, 42\nexit\n');
    const h = await run(asmMain, ['--hex', '--syntax', 'ubpf', join(dir, 'u.s')]);
    assert.equal(h.out, 'b7 00 00 00 2a 00 00 00\n95 00 00 00 00 00 00 00\n');
    writeFileSync(join(dir, 'p.hex'), h.out);
    const l = await run(disasmMain, ['--hex', '--flavour', 'llvm', join(dir, 'p.hex')]);
    assert.equal(l.out, '       0:\tr0 = 42\n       1:\texit\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bpfkit asm: a syntax error is one message with a caret, exit code 1, no stack', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-asm-'));
  try {
    writeFileSync(join(dir, 'bad.s'), 'r0 = 1\nr0 =+ r12\n');
    const r = await run(asmMain, [join(dir, 'bad.s')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /bad\.s:2:\d+: /);
    assert.match(r.err, /\n\s*\^/);
    assert.doesNotMatch(r.err, /\n\s+at /);
    const d = await run(disasmMain, [join(dir, 'bad.s')]);
    assert.equal(d.code, 1);
    assert.match(d.err, /not a whole number of 8-byte instructions/);
    assert.equal((await run(asmMain, ['--syntax', 'x86', join(dir, 'bad.s')])).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Kallsyms, parseKallsyms } from '../../../src/symbols/kallsyms.js';
import { need, needFile } from '../../helpers/env.js';

const TEXT = [
  'ffffffff81000000 T _text',
  'ffffffff81000000 T startup_64',
  'ffffffff81001000 t helper',
  'ffffffff81002000 D some_data',
  'ffffffffc0a00000 t mod_fn\t[mymod]',
  'ffffffffc0a00100 t bpf_prog_abc_handler\t[bpf]',
  '',
].join('\n');

test('parses names, types and modules of /proc/kallsyms lines', () => {
  const syms = parseKallsyms(TEXT);
  assert.equal(syms.length, 6);
  assert.deepEqual(syms[4], { addr: 0xffffffffc0a00000n, name: 'mod_fn', type: 't', module: 'mymod' });
  assert.equal(syms[0].module, undefined);
});

test('looks up the nearest preceding symbol with its offset, and names to addresses', () => {
  const k = Kallsyms.fromText(TEXT);
  assert.deepEqual(k.lookup(0xffffffff81001010n), { name: 'helper', offset: 0x10, module: undefined, addr: 0xffffffff81001000n });
  assert.equal(k.lookup(0xffffffffc0a00004n)?.module, 'mymod');
  assert.equal(k.lookup(0xffffffffc0a00104n)?.name, 'bpf_prog_abc_handler');
  assert.equal(k.lookup(0x1000n), undefined);
  assert.equal(k.address('helper'), 0xffffffff81001000n);
  assert.equal(k.address('nope'), undefined);
});

test('all-zero addresses (no privilege) are reported as restricted, not resolved', () => {
  const k = Kallsyms.fromText('0000000000000000 T _text\n0000000000000000 t helper\n');
  assert.equal(k.restricted, true);
  assert.equal(k.lookup(0x10n), undefined);
  assert.equal(k.address('helper'), undefined);
});

test('the running kernel: a symbol resolves to itself at offset 0 and inside itself', (t) => {
  if (!needFile(t, '/proc/kallsyms')) return;
  const k = Kallsyms.read();
  if (!need(t, !k.restricted, 'kallsyms addresses visible (root)')) return;
  // Take a text symbol straight from the file, independently of our parser's order.
  const line = readFileSync('/proc/kallsyms', 'latin1').split('\n').find((l) => / T vfs_read$/.test(l));
  assert.ok(line, 'vfs_read in /proc/kallsyms');
  const addr = BigInt('0x' + line.split(' ')[0]);
  assert.equal(k.address('vfs_read'), addr);
  const hit = k.lookup(addr + 4n);
  assert.ok(hit);
  assert.equal(hit.addr <= addr + 4n, true);
  assert.equal(BigInt(hit.offset), addr + 4n - hit.addr);
});

// The cBPF → eBPF translation, without a kernel: what it refuses, and the shape of its output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleCbpf, compileFilter } from '../../../src/cbpf/index.js';
import { cbpfToEbpf, CbpfTranslateError, ebpfVerdicts } from '../../../src/cbpf/to-ebpf.js';
import { disassemble, validate } from '../../../src/asm/index.js';

test('verdicts: XDP_DROP/XDP_PASS and TC_ACT_SHOT/TC_ACT_OK', () => {
  assert.deepEqual(ebpfVerdicts('xdp'), { onMatch: 1, onNoMatch: 2 });
  assert.deepEqual(ebpfVerdicts('tc'), { onMatch: 2, onNoMatch: 0 });
});

test('every packet load is bounds-checked against data_end before it reads', () => {
  const insns = cbpfToEbpf(compileFilter('ip and tcp port 8080'), 'xdp');
  assert.deepEqual(validate(insns), []);
  const text = disassemble(insns);
  const loads = text.split('\n').filter((l) => /= \*\(u(8|16|32) \*\)\(r2 \+0\)/.test(l)).length;
  const checks = text.split('\n').filter((l) => /if r3 > r9 goto/.test(l)).length;
  assert.ok(loads > 3);
  assert.equal(checks, loads);
  // Both verdicts are reachable returns.
  assert.match(text, /r0 = 1\n.*exit/);
  assert.match(text, /r0 = 2\n.*exit/);
});

test('division by X guards against zero as classic BPF does (the program returns 0)', () => {
  const insns = cbpfToEbpf(assembleCbpf('ldx #0\nld #10\ndiv x\nret a'), 'xdp');
  assert.match(disassemble(insns), /if w7 == 0x0 goto/);
});

test('refused: backward jumps, socket metadata in XDP', () => {
  // A jump whose target lies past the end (what a backward jump looks like in 32 bits).
  assert.throws(() => cbpfToEbpf([{ code: 0x05, jt: 0, jf: 0, k: 0xfffffffe }, { code: 0x06, jt: 0, jf: 0, k: 0 }], 'xdp'), CbpfTranslateError);
  const vlan = compileFilter('vlan 10', { vlanExtensions: true });
  assert.throws(() => cbpfToEbpf(vlan, 'xdp'), /XDP programs do not have/);
  // tc has __sk_buff, so the same program translates.
  assert.ok(cbpfToEbpf(vlan, 'tc').length > 10);
});

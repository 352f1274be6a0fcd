// bpf_conformance in the kernel: every test the verifier accepts returns the expected r0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runSuite, runCase } from '../../../scripts/conformance/bpf-conformance-run.js';
import { loadCase, negativeSuite } from '../../../scripts/conformance/bpf-conformance.js';
import { needRoot, needFile, peerDir } from '../../helpers/env.js';

test('bpf_conformance tests run in the kernel return their -- result', (t) => {
  const dir = join(peerDir, 'bpf_conformance', 'tests');
  if (!needRoot(t) || !needFile(t, dir)) return;
  const r = runSuite(dir);
  assert.deepEqual(r.failed, []);
  assert.ok(r.passed.length >= 300, `${r.passed.length} passed`);
  // What the kernel refuses, it refuses for reasons of its own: constant shifts out of range and
  // the callx opcode it does not implement.
  for (const u of r.unloadable) assert.match(u.reason, /invalid shift|unknown opcode 8d/, `${u.name}: ${u.reason}`);
  t.diagnostic(`${r.passed.length} passed, ${r.failed.length} failed, ${r.unloadable.length} not loadable by the kernel`);
});

test('the negative tests that assemble fail when the kernel runs them', (t) => {
  const dir = join(peerDir, 'bpf_conformance', 'negative');
  if (!needRoot(t) || !needFile(t, dir)) return;
  const neg = negativeSuite(dir);
  assert.deepEqual([...neg.runOnly].sort(), ['error.data', 'incorrect_return_value_high_bits.data']);
  for (const name of neg.runOnly) {
    const c = loadCase(join(dir, name));
    const o = runCase(c);
    // `error` expects a failure: the verifier refuses it (r0 is never set). The other's expected
    // result is wrong on purpose: the run shows the mismatch.
    if (c.expectedError !== undefined) assert.equal(o.status, 'passed', `${name}: ${JSON.stringify(o)}`);
    else assert.equal(o.status, 'failed', `${name}: ${JSON.stringify(o)}`);
  }
});

// bpf_conformance in the kernel: every test the verifier accepts returns the expected r0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runSuite } from '../../../scripts/conformance/bpf-conformance-run.js';
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

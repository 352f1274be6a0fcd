import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { runConformance, defaultTestsDir } from '../../../scripts/conformance/libseccomp.js';
import { need } from '../../helpers/env.js';

test('libseccomp bpf-sim vectors: every expressed row gives libseccomp\'s action', (t) => {
  if (!need(t, existsSync(defaultTestsDir), `needs ${defaultTestsDir}`)) return;
  const r = runConformance();
  assert.deepEqual(r.failures, []);
  assert.equal(r.failed, 0);
  // The rows of the filters expressed so far in test/fixtures/seccomp (raise as more are added).
  assert.ok(r.passed >= 451, `${r.passed} passed`);
});

// bpf_conformance (../shared/peer): every ISA test assembles; every negative is rejected with a
// message, except the two whose failure only a run can show (they are valid programs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assembleSuite, loadCase, negativeSuite } from '../../../scripts/conformance/bpf-conformance.js';
import { encode } from '../../../src/asm/index.js';
import { needFile, peerDir } from '../../helpers/env.js';

const root = join(peerDir, 'bpf_conformance');

test('all 313 bpf_conformance tests assemble into valid programs', (t) => {
  if (!needFile(t, join(root, 'tests'))) return;
  const r = assembleSuite(join(root, 'tests'));
  assert.deepEqual(r.failed, []);
  assert.equal(r.passed.length, 313);
});

test('the test with both -- asm and -- raw assembles to exactly its raw bytes', (t) => {
  if (!needFile(t, join(root, 'tests/lddw.data'))) return;
  const c = loadCase(join(root, 'tests/lddw.data'), { prefer: 'asm' });
  const raw = loadCase(join(root, 'tests/lddw.data'), { prefer: 'raw' });
  assert.ok(encode(c.insns).equals(encode(raw.insns)));
  assert.equal(encode(c.insns).toString('hex'), '18000000887766550000000044332211' + '9500000000000000');
  assert.equal(c.expected, 0x1122334455667788n);
});

test('the 60 negative tests are rejected with a message, or need a run', (t) => {
  if (!needFile(t, join(root, 'negative'))) return;
  const r = negativeSuite(join(root, 'negative'));
  assert.deepEqual(r.failed, []);
  assert.equal(r.passed.length + r.runOnly.length, 60);
  // These two are valid programs: one returns a value other than its -- result, the other
  // expects the runtime to fail on `or %r0, %r10`. Only executing them shows the failure.
  assert.deepEqual(r.runOnly.sort(), ['error.data', 'incorrect_return_value_high_bits.data']);
  for (const [name, message] of r.messages) assert.ok(message.length > 10, `${name}: '${message}'`);
  assert.match(r.messages.get('invalid_register.data')!, /invalid register/i);
  assert.match(r.messages.get('invalid_lock.data')!, /invalid number of operands for lock/i);
  assert.match(r.messages.get('unused-exit-imm.data')!, /imm must be 0/);
});

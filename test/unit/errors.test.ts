import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfError, ParseError, summarizeVerifierLog, errnoName } from '../../src/sys/errors.js';

test('errno names come from the system table', () => {
  assert.equal(errnoName(1), 'EPERM');
  assert.equal(errnoName(17), 'EEXIST');
  assert.equal(errnoName(524), 'ENOTSUPP');
});

test('EPERM talks about privilege, not RLIMIT_MEMLOCK', () => {
  const e = new BpfError('BPF_MAP_CREATE', 1);
  assert.equal(e.code, 'EPERM');
  assert.match(e.message, /root|CAP_BPF/);
  assert.doesNotMatch(e.message, /MEMLOCK/i);
});

test('ParseError points at the spot with a caret', () => {
  const e = new ParseError('unexpected token', { file: 'a.bt', line: 2, column: 5 }, 'first\nabc def\n');
  assert.equal(e.message, 'a.bt:2:5: unexpected token\nabc def\n    ^');
});

test('verifier summary keeps the reason and the source line', () => {
  const log = [
    'func#0 @0',
    '0: R1=ctx() R10=fp0',
    '; return *(int *)(p + 100); @ t.c:7',
    '0: (61) r0 = *(u32 *)(r1 +100)',
    'invalid bpf_context access off=100 size=4',
    'processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ].join('\n');
  assert.deepEqual(summarizeVerifierLog(log), [
    '; return *(int *)(p + 100); @ t.c:7',
    '0: (61) r0 = *(u32 *)(r1 +100)',
    'invalid bpf_context access off=100 size=4',
  ]);
});

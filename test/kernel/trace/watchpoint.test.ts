// Watchpoints (hardware breakpoints through perf) in `bpfkit trace`: on an absolute address, on a
// function's pointer argument (a uprobe arms the breakpoint while the task is stopped), removed
// by unwatch(), and the message when the CPU's debug registers run out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needRoot } from '../../helpers/env.js';
import { bpfkitTrace, buildTestprog } from './cli.js';

test('watchpoint on an address the -c program writes', (t) => {
  if (!needRoot(t)) return;
  const bin = buildTestprog('watchpoint');
  const r = bpfkitTrace(['-e', 'watchpoint:0x10000000:8:w { printf("hit %s\\n", probe); exit() }', '-c', bin], { timeoutMs: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^hit watchpoint:${bin}:268435456:8:w$`, 'm'));
});

test('watchpoint on a function argument fires on the write, and unwatch() removes it', (t) => {
  if (!needRoot(t)) return;
  const bin = buildTestprog('watchpoint_unwatch');
  const script = `uprobe:${bin}:increment { @addr = (uint64)arg0; }
watchpoint:increment+arg0:4:w { @count++; unwatch(@addr); }
END { printf("count=%d\\n", @count); clear(@addr); clear(@count); }`;
  const r = bpfkitTrace(['-e', script, '-c', bin], { timeoutMs: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  // One write in increment(); the four after unwatch() are not seen.
  assert.match(r.stdout, /^count=1$/m);
});

test('more watched addresses than debug registers: bpftrace\'s message, the rest keep working', (t) => {
  if (!needRoot(t)) return;
  const bin = buildTestprog('watchpoint_func_wildcard');
  const r = bpfkitTrace(['-e', 'watchpoint:increment_*+arg0:4:w { @[probe] = count(); }', '-c', bin], { timeoutMs: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Attaching 21 probes\.\.\.$/m);
  assert.match(r.stdout, /You are out of watchpoint registers/);
  const hits = [...r.stdout.matchAll(/^@\[watchpoint:.*:increment_(\d+):4:w\]: 1$/gm)].map((m) => Number(m[1]));
  assert.ok(hits.length >= 1 && hits.length <= 4, `x86 has four debug registers: ${hits.join(',')}`);
});

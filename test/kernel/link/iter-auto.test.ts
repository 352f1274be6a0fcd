// Iterators, and attaching by section name (libbpf's auto-attach).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { Program, Collection } from '../../../src/index.js';
import { attachIter, readIter } from '../../../src/link/index.js';
import { assemble } from '../../../src/asm/index.js';
import { kernelBtf } from '../../../src/btf/index.js';
import { NotSupportedError } from '../../../src/sys/errors.js';
import { needRoot, fixturesDir } from '../../helpers/env.js';

test('a task iterator writes one line per task', (t) => {
  if (!needRoot(t)) return;
  const target = kernelBtf().find('bpf_iter_task', 'func');
  assert.ok(target);
  // For each task: bpf_seq_write(meta->seq, "x\n", 2)
  using prog = Program.load({ type: 'tracing', expectedAttachType: 'trace_iter', attachBtfId: target.id, instructions: assemble(`
    r6 = *(u64 *)(r1 +0)
    r7 = *(u64 *)(r1 +8)
    if r7 == 0 goto out
    r1 = *(u64 *)(r6 +0)
    r2 = ${0x0a78}
    *(u16 *)(r10 -8) = r2
    r2 = r10
    r2 += -8
    r3 = 2
    call bpf_seq_write
  out:
    r0 = 0
    exit`) });
  using link = attachIter(prog);
  const lines = readIter(link).toString().split('\n').filter(Boolean);
  assert.ok(lines.every((l) => l === 'x'));
  // Every thread of every process, within what changed while we counted.
  const threads = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).reduce((n, pid) => {
    try { return n + readdirSync(`/proc/${pid}/task`).length; } catch { return n; }
  }, 0);
  assert.ok(Math.abs(lines.length - threads) <= 20, `${lines.length} lines for about ${threads} tasks`);
  assert.equal(link.info().type, 'iter');
});

test('Program.attach() follows the section name', (t) => {
  if (!needRoot(t)) return;
  using coll = Collection.load(`${fixturesDir}bpf/build/hello.bpf.o`);
  const prog = coll.programs.hello;
  assert.equal(prog.section, 'tracepoint/syscalls/sys_enter_execve');
  using link = prog.attach();
  const info = link.info();
  assert.equal(info.type, 'perf_event');
  assert.equal(info.progId, prog.info().id);
  assert.equal(spawnSync('/bin/true').status, 0);
  assert.ok(prog.info().runCnt >= 0n);
  assert.throws(() => prog.attach({ section: 'xdp' }), /section xdp is for xdp programs; this is a tracepoint program/);
  using xdp = Program.load({ type: 'xdp', instructions: assemble('r0 = 2\nexit'), section: 'xdp' });
  assert.throws(() => xdp.attach(), /needs the 'interface' option/);
  using kp = Program.load({ type: 'kprobe', instructions: assemble('r0 = 0\nexit'), section: 'kprobe/do_nanosleep' });
  assert.throws(() => kp.attach(), NotSupportedError);
});

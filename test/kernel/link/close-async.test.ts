// Links detached with closeAsync (on libuv's pool threads, so several wait for the kernel at
// once): afterwards the programs no longer run, the links are gone from the kernel and no
// descriptor is left open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BpfMap } from '../../../src/map.js';
import { Program } from '../../../src/program.js';
import { assemble } from '../../../src/asm/index.js';
import { attachTracepoint } from '../../../src/link/tracepoint.js';
import { attachPerfSampling, closeAll } from '../../../src/link/index.js';
import { openFdCount } from '../../../src/sys/fd.js';
import * as bpf from '../../../src/sys/bpf.js';
import { needRoot } from '../../helpers/env.js';

// counter[0]++ each time the program runs.
const source = `
  r1 = 0
  *(u32 *)(r10 -4) = r1
  r1 = map[counter]
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = 1
  lock *(u64 *)(r0 +0) += r1
out:
  r0 = 0
  exit
`;

function linkIds(): number[] {
  const ids: number[] = [];
  for (let id = bpf.getNextId('link', 0); id !== undefined; id = bpf.getNextId('link', id)) ids.push(id);
  return ids;
}

test('closeAll detaches a tracepoint and a per-CPU sampling link together', async (t) => {
  if (!needRoot(t)) return;
  const before = openFdCount();
  const counter = BpfMap.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  const load = (type: 'tracepoint' | 'perf_event') => Program.load({ type, instructions: assemble(source, { maps: { counter: counter.fd.raw } }) });
  const tp = load('tracepoint');
  const pe = load('perf_event');
  try {
    const idsBefore = new Set(linkIds());
    const links = [attachTracepoint(tp, 'syscalls', 'sys_enter_getppid'), attachPerfSampling(pe, { frequency: 1000 })];
    assert.ok(linkIds().filter((id) => !idsBefore.has(id)).length >= 2, 'the links exist');
    process.ppid;
    await new Promise((r) => setTimeout(r, 50));
    const running = counter.lookup(0)!.readBigUInt64LE(0);
    assert.ok(running > 0n, 'the programs ran');
    await closeAll(links);
    assert.deepEqual(linkIds().filter((id) => !idsBefore.has(id)), [], 'no link left in the kernel');
    const after = counter.lookup(0)!.readBigUInt64LE(0);
    process.ppid;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(counter.lookup(0)!.readBigUInt64LE(0), after, 'nothing runs any more');
  } finally {
    tp.close();
    pe.close();
    counter.close();
  }
  assert.equal(openFdCount(), before);
});

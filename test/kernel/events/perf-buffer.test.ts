// The perf buffer reader against samples written with bpf_perf_event_output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { BpfMap } from '../../../src/map.js';
import { Program } from '../../../src/program.js';
import { PerfBuffer } from '../../../src/events/perf-buffer.js';
import { possibleCpus } from '../../../src/sys/cpus.js';
import { assemble } from '../../../src/asm/index.js';
import { needRoot } from '../../helpers/env.js';

// r6 = ctx; seq = counter[0]++; bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &seq, 8)
const source = `
  r6 = r1
  r1 = 0
  *(u32 *)(r10 -4) = r1
  r1 = map[counter]
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = 1
  r1 = atomic_fetch_add((u64 *)(r0 +0), r1)
  *(u64 *)(r10 -16) = r1
  r1 = r6
  r2 = map[events]
  r3 = 0xffffffff ll
  r4 = r10
  r4 += -16
  r5 = 8
  call bpf_perf_event_output
  if r0 == 0 goto out
  r1 = 0
  *(u32 *)(r10 -4) = r1
  r1 = map[counter]
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = 1
  lock *(u64 *)(r0 +8) += r1
out:
  r0 = 0
  exit
`;

function setup() {
  const events = BpfMap.create({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: possibleCpus().length });
  const counter = BpfMap.create({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 });
  const prog = Program.load({ type: 'socket_filter', instructions: assemble(source, { maps: { events: events.fd.raw, counter: counter.fd.raw } }) });
  const failed = () => counter.lookup(0)!.readBigUInt64LE(8);
  return { events, prog, failed, close: () => { prog.close(); counter.close(); events.close(); } };
}

test('a perf buffer delivers 1,000,000 samples with none lost at a paced rate', async (t) => {
  if (!needRoot(t)) return;
  const { events, prog, close } = setup();
  const pb = new PerfBuffer(events, { pagesPerCpu: 256 });
  try {
    let sum = 0n;
    pb.on((d) => { sum += d.readBigUInt64LE(0); });
    const total = 1_000_000;
    const chunk = 20_000;
    for (let sent = 0; sent < total; sent += chunk) {
      prog.testRun({ data: Buffer.alloc(64), repeat: chunk });
      while (pb.received + pb.lost < sent + chunk) await tick();
    }
    assert.equal(pb.lost, 0);
    assert.equal(pb.received, total);
    assert.equal(sum, (BigInt(total) * BigInt(total - 1)) / 2n, 'every sequence number arrived once');
  } finally {
    pb.close();
    close();
  }
});

test('when flooded, lost samples are counted', (t) => {
  if (!needRoot(t)) return;
  const { events, prog, failed, close } = setup();
  const pb = new PerfBuffer(events, { pagesPerCpu: 1 });
  try {
    prog.testRun({ data: Buffer.alloc(64), repeat: 10_000 });
    const n = pb.poll(() => {});
    assert.ok(n > 0 && n < 10_000, `received ${n}`);
    // Every sample either arrived or failed in the program (bpf_perf_event_output returned an error).
    assert.equal(BigInt(n) + failed(), 10_000n);
    // The kernel reports the loss in a PERF_RECORD_LOST as soon as the ring has room again.
    prog.testRun({ data: Buffer.alloc(64), repeat: 1 });
    pb.poll(() => {});
    assert.equal(BigInt(pb.lost), failed());
  } finally {
    pb.close();
    close();
  }
});

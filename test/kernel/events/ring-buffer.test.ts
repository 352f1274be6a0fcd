// The ring buffer reader against records written by a program in the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { BpfMap } from '../../../src/map.js';
import { Program } from '../../../src/program.js';
import { RingBuffer } from '../../../src/events/ring-buffer.js';
import { assemble } from '../../../src/asm/index.js';
import { needRoot } from '../../helpers/env.js';

// Each run writes one 8-byte record holding a sequence number taken from a counter map;
// when the ring is full the program counts the drop instead.
const source = `
  r6 = map[counter]
  r1 = 0
  *(u32 *)(r10 -4) = r1
  r1 = r6
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r7 = r0
  r1 = 1
  r1 = atomic_fetch_add((u64 *)(r7 +0), r1)
  *(u64 *)(r10 -16) = r1
  r1 = map[events]
  r2 = r10
  r2 += -16
  r3 = 8
  r4 = 0
  call bpf_ringbuf_output
  if r0 == 0 goto out
  r1 = 1
  lock *(u64 *)(r7 +8) += r1
out:
  r0 = 0
  exit
`;

function setup(ringSize: number) {
  const events = BpfMap.create({ type: 'ringbuf', maxEntries: ringSize });
  const counter = BpfMap.create({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 });
  const prog = Program.load({ type: 'socket_filter', instructions: assemble(source, { maps: { events: events.fd.raw, counter: counter.fd.raw } }) });
  const dropped = () => counter.lookup(0)!.readBigUInt64LE(8);
  const close = () => { prog.close(); counter.close(); events.close(); };
  return { events, prog, dropped, close };
}

test('a ring buffer delivers 1,000,000 records in order with none lost at a paced rate', async (t) => {
  if (!needRoot(t)) return;
  const { events, prog, dropped, close } = setup(1 << 20);
  const rb = new RingBuffer(events);
  try {
    let next = 0n;
    let bad = 0;
    rb.on((r) => {
      if (r.readBigUInt64LE(0) !== next) bad++;
      next++;
    });
    const total = 1_000_000;
    const chunk = 20_000; // 20k × 16 bytes fits in the 1 MiB ring: the pace never overruns the reader
    for (let sent = 0; sent < total; sent += chunk) {
      prog.testRun({ data: Buffer.alloc(64), repeat: chunk });
      while (rb.received < sent + chunk) await tick();
    }
    assert.equal(rb.received, total);
    assert.equal(next, BigInt(total));
    assert.equal(bad, 0, 'records out of order');
    assert.equal(dropped(), 0n);
  } finally {
    rb.close();
    close();
  }
});

test('when flooded, the losses are counted and what arrived is intact', (t) => {
  if (!needRoot(t)) return;
  const { events, prog, dropped, close } = setup(4096);
  const rb = new RingBuffer(events);
  try {
    prog.testRun({ data: Buffer.alloc(64), repeat: 10_000 });
    const seen: bigint[] = [];
    const n = rb.poll((r) => seen.push(r.readBigUInt64LE(0)));
    // A record is reserved only while the ring has more than its size free (the kernel keeps
    // producer - consumer <= size - 1), so 4096 bytes hold 255 records of 16 bytes; the rest were dropped.
    assert.equal(n, Math.floor((4096 - 1) / 16));
    assert.deepEqual(seen.slice(0, 3), [0n, 1n, 2n]);
    assert.equal(BigInt(n) + dropped(), 10_000n);
    assert.equal(rb.poll(() => {}), 0);
  } finally {
    rb.close();
    close();
  }
});

test('the async iterator yields copies and ends on close()', async (t) => {
  if (!needRoot(t)) return;
  const { events, prog, close } = setup(4096);
  const rb = new RingBuffer(events);
  try {
    prog.testRun({ data: Buffer.alloc(64), repeat: 3 });
    const got: bigint[] = [];
    for await (const r of rb) {
      got.push(r.readBigUInt64LE(0));
      if (got.length === 3) rb.close();
    }
    assert.deepEqual(got, [0n, 1n, 2n]);
  } finally {
    rb.close();
    close();
  }
});

// Objects built by clang (test/fixtures/bpf) loaded with Collection, triggered, and observed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, existsSync } from 'node:fs';
import { Collection, setVariable } from '../../../src/collection.js';
import { CollectionSpec } from '../../../src/elf/index.js';
import { VerifierError } from '../../../src/sys/errors.js';
import { attachTracepoint } from '../../../src/link/tracepoint.js';
import { RingBuffer } from '../../../src/events/ring-buffer.js';
import { TracePipe } from '../../../src/events/trace-pipe.js';
import { needRoot, fixturesDir } from '../../helpers/env.js';

const obj = (name: string) => `${fixturesDir}bpf/build/${name}.bpf.o`;
const u32 = (b: Buffer) => b.readUInt32LE(0);

test('chapter 2 hello world: bpf_printk on execve shows up in trace_pipe', async (t) => {
  if (!needRoot(t)) return;
  using coll = Collection.load(obj('hello'));
  using pipe = new TracePipe();
  using link = attachTracepoint(coll.programs.hello, 'syscalls', 'sys_enter_execve');
  void link;
  const child = spawnSync('/bin/true');
  assert.equal(child.status, 0);
  const deadline = setTimeout(() => pipe.close(), 10_000);
  let found;
  for await (const line of pipe) {
    if (line.message.includes('Hello, BPF World!')) {
      found = line;
      break;
    }
  }
  clearTimeout(deadline);
  assert.ok(found, 'no hello line in trace_pipe within 10 s');
  assert.ok(found.pid > 0);
});

test('chapter 3 maps in both definition styles are created as declared; pins are reused', (t) => {
  if (!needRoot(t)) return;
  const pinPath = `/sys/fs/bpf/bpfkit_test_coll_${process.pid}`;
  mkdirSync(pinPath, { recursive: true });
  try {
    const spec = CollectionSpec.fromFile(obj('maps'));
    using first = Collection.load(spec, { pinPath });
    for (const [name, ms] of Object.entries(spec.maps)) {
      const info = first.maps[name].info();
      assert.equal(info.typeId, ms.typeNumber, name);
      assert.equal(info.keySize, ms.keySize, name);
      assert.equal(info.valueSize, ms.valueSize, name);
      assert.equal(info.maxEntries, ms.maxEntries, name);
    }
    assert.equal(first.maps.legacy_counts.info().type, 'hash');
    assert.ok(first.maps.btf_events.info().btfId > 0, 'BTF-defined maps carry BTF');
    assert.ok(existsSync(`${pinPath}/pinned_array`));
    first.maps.pinned_array.update(0, Buffer.alloc(first.maps.pinned_array.valueSize, 7));
    using second = Collection.load(obj('maps'), { pinPath });
    assert.equal(second.maps.pinned_array.info().id, first.maps.pinned_array.info().id, 'the pinned map is reused');
    assert.equal(second.maps.pinned_array.lookup(0)![0], 7);
  } finally {
    rmSync(pinPath, { recursive: true, force: true });
  }
});

test('globals: .rodata set before load, .data/.bss read after a run', (t) => {
  if (!needRoot(t)) return;
  const spec = CollectionSpec.fromFile(obj('globals'));
  const threshold = Buffer.alloc(4);
  threshold.writeInt32LE(10);
  setVariable(spec, 'threshold', threshold);
  using coll = Collection.load(spec);
  const packet = Buffer.alloc(64);
  for (let i = 0; i < 3; i++) assert.equal(coll.programs.count_xdp.testRun({ data: packet }).retval, 2 /* XDP_PASS */);
  assert.equal(coll.variables.counter.get().readInt32LE(0), 7 + 3);
  assert.equal(coll.variables.total.get().readBigUInt64LE(0), 3n * 64n);
  assert.equal(coll.variables.hits.get().readInt32LE(0), 3, 'len 64 > threshold 10, 64 & 3 = 0');
  assert.equal(coll.variables.foo_value.get().readInt32LE(0), 99 + 3 * 'h'.charCodeAt(0));
  assert.equal(coll.variables.threshold.get().readInt32LE(0), 10);
  assert.throws(() => coll.variables.threshold.set(threshold), /read-only/);
  const zero = Buffer.alloc(4);
  coll.variables.counter.set(zero);
  coll.programs.count_xdp.testRun({ data: packet });
  assert.equal(coll.variables.counter.get().readInt32LE(0), 1);
});

test('CO-RE: task_struct fields read through relocations match the process', async (t) => {
  if (!needRoot(t)) return;
  using coll = Collection.load(obj('core'));
  using rb = new RingBuffer(coll.maps.events);
  using link = attachTracepoint(coll.programs.handle_exec, 'sched', 'sched_process_exec');
  void link;
  const child = spawnSync('/bin/true');
  assert.equal(child.status, 0);
  const events: { pid: number; ppid: number; comm: string; flags: bigint }[] = [];
  rb.poll((r) => events.push({ pid: r.readInt32LE(0), ppid: r.readInt32LE(4), comm: r.subarray(8, 24).toString().replace(/\0.*$/s, ''), flags: r.readBigUInt64LE(24) }));
  const mine = events.find((e) => e.pid === child.pid);
  assert.ok(mine, `no event for pid ${child.pid} among ${events.length}`);
  assert.equal(mine.ppid, process.pid);
  assert.equal(mine.comm, 'true');
  // The flag bits mix every relocation kind; test/diff/btf/core.test.ts compares each value with libbpf's.
});

test('subprograms: static and global functions work from two programs', (t) => {
  if (!needRoot(t)) return;
  using coll = Collection.load(obj('subprogs'));
  coll.programs.xdp_sub.testRun({ data: Buffer.alloc(60) });
  assert.equal(coll.maps.results.lookup(0)!.readBigUInt64LE(0), 3600n);
  const r = coll.programs.sock_sub.testRun({ data: Buffer.alloc(70) });
  assert.equal(r.retval, 1);
  // A socket program sees the packet after its 14-byte Ethernet header: skb->len is 56.
  assert.equal(coll.maps.results.lookup(1)!.readBigUInt64LE(0), 56n * 56n);
});

test('tail calls: declared slots are filled, and a jump runs the target', (t) => {
  if (!needRoot(t)) return;
  using coll = Collection.load(obj('tailcall'));
  const table = coll.maps.jump_table;
  assert.equal(u32(table.lookup(0)!), coll.programs.tail_a.info().id);
  assert.equal(u32(table.lookup(3)!), coll.programs.tail_b.info().id);
  // test runs come in on lo (ifindex 1): slot 1 is empty, so the call falls through.
  assert.equal(coll.programs.entry.testRun({ data: Buffer.alloc(64) }).retval, 0 /* XDP_ABORTED */);
  table.update(1, coll.programs.tail_b);
  assert.equal(coll.programs.entry.testRun({ data: Buffer.alloc(64) }).retval, 1 /* XDP_DROP */);
  const reached = coll.variables.reached.get();
  assert.deepEqual([reached.readInt32LE(0), reached.readInt32LE(4), reached.readInt32LE(8)], [2, 0, 1]);
});

test('an out-of-bounds access is refused with the C source line', (t) => {
  if (!needRoot(t)) return;
  assert.throws(() => Collection.load(obj('oob')), (e: unknown) =>
    e instanceof VerifierError && e.summary.some((l) => /oob\.bpf\.c:\d+/.test(l)) && /invalid access to map value/.test(e.message));
});

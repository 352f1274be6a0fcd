// Tracing attach points against real triggers: tracepoints, perf sampling, uprobes, USDT,
// and the mechanisms this kernel lacks (kprobes, fentry), which must say so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { BpfMap } from '../../../src/map.js';
import { Program } from '../../../src/program.js';
import { NotSupportedError } from '../../../src/sys/errors.js';
import { assemble } from '../../../src/asm/index.js';
import { attachTracepoint } from '../../../src/link/tracepoint.js';
import { attachPerfSampling } from '../../../src/link/perf-event.js';
import { attachUprobe } from '../../../src/link/uprobe.js';
import { attachKprobe } from '../../../src/link/kprobe.js';
import { attachUsdt } from '../../../src/link/usdt.js';
import { resolveUprobeTarget } from '../../../src/symbols/uprobe-target.js';
import { kernelBtf } from '../../../src/btf/index.js';
import { needRoot, needTool, fixturesDir } from '../../helpers/env.js';

// counts[tgid]++ for the current process.
const countByTgid = `
  call bpf_get_current_pid_tgid
  r0 >>= 32
  *(u32 *)(r10 -4) = r0
  r1 = map[counts]
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 != 0 goto bump
  r1 = 1
  *(u64 *)(r10 -16) = r1
  r1 = map[counts]
  r2 = r10
  r2 += -4
  r3 = r10
  r3 += -16
  r4 = 1
  call bpf_map_update_elem
  goto out
bump:
  r1 = 1
  lock *(u64 *)(r0 +0) += r1
out:
  r0 = 0
  exit
`;

function counter(type: 'tracepoint' | 'perf_event' | 'kprobe') {
  const counts = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1024 });
  const prog = Program.load({ type, instructions: assemble(countByTgid, { maps: { counts: counts.fd.raw } }) });
  const count = (pid: number) => counts.lookup(pid)?.readBigUInt64LE(0) ?? 0n;
  return { counts, prog, count, close: () => { prog.close(); counts.close(); } };
}

function compile(name: string, dir: string): string {
  const out = join(dir, name);
  execFileSync('cc', ['-O1', '-g', '-o', out, `${fixturesDir}c/${name}.c`]);
  return out;
}

test('a tracepoint on execve counts each spawned process once', (t) => {
  if (!needRoot(t)) return;
  const c = counter('tracepoint');
  try {
    using link = attachTracepoint(c.prog, 'syscalls', 'sys_enter_execve');
    void link;
    const pids = Array.from({ length: 5 }, () => spawnSync('/bin/true').pid!);
    for (const pid of pids) assert.equal(c.count(pid), 1n, `pid ${pid}`);
  } finally {
    c.close();
  }
});

test('perf sampling at 99 Hz sees a busy process about 99 times a second', async (t) => {
  if (!needRoot(t)) return;
  const c = counter('perf_event');
  try {
    using link = attachPerfSampling(c.prog, { frequency: 99 });
    void link;
    const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 1500; while (Date.now() < end);']);
    await once(child, 'exit');
    const n = Number(c.count(child.pid!));
    // 1.5 s of one busy CPU at 99 Hz is about 148 samples (start-up is not busy).
    assert.ok(n >= 60 && n <= 200, `${n} samples`);
  } finally {
    c.close();
  }
});

test('a uprobe and a uretprobe time a function of a test binary', (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-uprobe-'));
  const start = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 64 });
  const stats = BpfMap.create({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 });
  const maps = { start: start.fd.raw, stats: stats.fd.raw };
  // entry: start[tid] = now
  const entry = Program.load({ type: 'kprobe', instructions: assemble(`
    call bpf_get_current_pid_tgid
    *(u32 *)(r10 -4) = r0
    call bpf_ktime_get_ns
    *(u64 *)(r10 -16) = r0
    r1 = map[start]
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 0
    call bpf_map_update_elem
    r0 = 0
    exit`, { maps }) });
  // return: stats.count++, stats.total += now - start[tid]
  const ret = Program.load({ type: 'kprobe', instructions: assemble(`
    call bpf_get_current_pid_tgid
    *(u32 *)(r10 -4) = r0
    r1 = map[start]
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r6 = *(u64 *)(r0 +0)
    call bpf_ktime_get_ns
    r0 -= r6
    r7 = r0
    r1 = 0
    *(u32 *)(r10 -8) = r1
    r1 = map[stats]
    r2 = r10
    r2 += -8
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 +0) += r1
    lock *(u64 *)(r0 +8) += r7
  out:
    r0 = 0
    exit`, { maps }) });
  try {
    const bin = compile('uprobe-target', dir);
    const target = resolveUprobeTarget(bin, 'work');
    using l1 = attachUprobe(entry, target.path, target.offset);
    using l2 = attachUprobe(ret, target.path, target.offset, { retprobe: true });
    void l1; void l2;
    assert.equal(spawnSync(bin, ['10']).status, 0);
    const s = stats.lookup(0)!;
    assert.equal(s.readBigUInt64LE(0), 10n, 'calls');
    const meanMs = Number(s.readBigUInt64LE(8)) / 10 / 1e6;
    assert.ok(meanMs >= 10 && meanMs < 200, `mean ${meanMs} ms`);
  } finally {
    entry.close(); ret.close(); start.close(); stats.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a USDT probe with a semaphore fires only while attached', async (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-usdt-'));
  const c = counter('kprobe');
  try {
    const bin = compile('usdt-target', dir);
    // Not attached: the semaphore is 0 and the program fires nothing.
    assert.equal(spawnSync(bin, ['5']).status, 0);
    using link = attachUsdt(c.prog, bin, 'bpfkit', 'tick');
    assert.equal(link.probes.length, 1);
    assert.ok(link.probes[0].semaphoreOffset > 0);
    const child = spawn(bin, ['5']);
    const [code] = await once(child, 'exit');
    assert.equal(code, 5, 'the semaphore was raised by the kernel');
    assert.equal(c.count(child.pid!), 5n);
  } finally {
    c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kprobes are reported as missing on this kernel, with no probe left behind', (t) => {
  if (!needRoot(t)) return;
  const c = counter('kprobe');
  try {
    assert.throws(() => attachKprobe(c.prog, 'do_nanosleep'), (e: unknown) => e instanceof NotSupportedError && /kprobe/.test(e.message));
    assert.throws(() => attachKprobe(c.prog, 'do_nanosleep', { retprobe: true }), NotSupportedError);
  } finally {
    c.close();
  }
});

test('fentry programs are reported as missing on this kernel', (t) => {
  if (!needRoot(t)) return;
  const target = kernelBtf().find('do_nanosleep', 'func');
  assert.ok(target);
  assert.throws(
    () => Program.load({ type: 'tracing', expectedAttachType: 'trace_fentry', attachBtfId: target.id, instructions: assemble('r0 = 0\nexit') }),
    (e: unknown) => e instanceof NotSupportedError && /fentry/.test(e.message),
  );
});

test('USDT arguments are read in BPF C with include/bpfkit/usdt.bpf.h', async (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-usdt-args-'));
  const { Collection } = await import('../../../src/collection.js');
  using coll = Collection.load(`${fixturesDir}bpf/build/usdt.bpf.o`);
  try {
    const bin = compile('usdt-target', dir);
    using link = attachUsdt(coll.programs.on_tick, bin, 'bpfkit', 'tick', { specs: coll.maps.bpfkit_usdt_specs });
    void link;
    const child = spawn(bin, ['5']);
    const [code] = await once(child, 'exit');
    assert.equal(code, 5);
    assert.equal(coll.variables.calls.get().readBigUInt64LE(0), 5n);
    assert.equal(coll.variables.arg_count.get().readInt32LE(0), 1);
    assert.equal(coll.variables.sum.get().readBigInt64LE(0), 0n + 1n + 2n + 3n + 4n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

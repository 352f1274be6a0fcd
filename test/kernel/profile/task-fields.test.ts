// The programs read the current task's pid, tgid and comm from task_struct (offsets from the kernel's
// BTF) instead of calling helpers. On this kernel that form must load (no silent fallback), and it
// must key samples exactly as the helper form does: per thread name, per process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachPerfSampling } from '../../../src/link/perf-event.js';
import { foldStackCounts, readStackCounts, type StackCountEntry } from '../../../src/profile/collect.js';
import { offcpuProgramText, profileProgramText, type StackProgramOptions } from '../../../src/profile/programs.js';
import { schedSwitchOffsets } from '../../../src/profile/offcpu.js';
import { closeMaps, createMaps, loadProgram, type SessionMaps } from '../../../src/profile/session.js';
import { currentTaskLayout } from '../../../src/profile/task.js';
import { BpfMap } from '../../../src/map.js';
import { Symbolizer } from '../../../src/symbols/resolver.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { Workloads } from './workloads.js';

// Two threads spinning in the same function under different names.
const THREADS_C = `
#define _GNU_SOURCE
#include <pthread.h>
volatile unsigned long sink;
void __attribute__((noinline)) spin(unsigned long n) { for (unsigned long i = 0; i < n; i++) sink += i; }
static void *worker(void *arg) { (void)arg; pthread_setname_np(pthread_self(), "worker"); for (;;) spin(1000000); return 0; }
int main(void) { pthread_t t; pthread_create(&t, 0, worker, 0); for (;;) spin(1000000); }
`;

test('the task_struct layout is known here and both programs load with it', (t) => {
  if (!needRoot(t)) return;
  const task = currentTaskLayout();
  assert.ok(task, 'kernel BTF gives task_struct pid, tgid and comm');
  assert.ok(task.comm % 8 === 0 && task.pid % 4 === 0 && task.tgid % 4 === 0);
  const maps = createMaps({ pid: 1 }, { start: () => BpfMap.create({ type: 'hash', keySize: 4, valueSize: 40, maxEntries: 16, name: 'start' }) });
  try {
    loadProgram('perf_event', 'bpfkit_profile', profileProgramText({ stacks: 'both', includeIdle: false, task }), maps).close();
    loadProgram('perf_event', 'bpfkit_profile', profileProgramText({ stacks: 'user', includeIdle: true, tgid: 1, task }), maps).close();
    loadProgram('tracepoint', 'bpfkit_offcpu', offcpuProgramText({ stacks: 'both', includeIdle: false, task, ...schedSwitchOffsets() }), maps).close();
  } finally {
    closeMaps(maps);
  }
});

function byComm(entries: StackCountEntry[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of entries) m.set(e.comm, (m.get(e.comm) ?? 0) + Number(e.value));
  return m;
}

test('task_struct reads and helpers key the same samples: each thread by its own name', async (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const task = currentTaskLayout();
  assert.ok(task);
  const w = new Workloads();
  const sessions: { maps: SessionMaps; close: () => void }[] = [];
  try {
    const bin = w.compile('threads', THREADS_C);
    const pid = w.start(bin).pid!;
    await new Promise((r) => setTimeout(r, 100)); // the worker names itself
    const opts: StackProgramOptions = { stacks: 'user', includeIdle: false, tgid: pid };
    // Both forms attached at once, so they sample the same run.
    for (const form of [task, undefined]) {
      const maps = createMaps({ pid });
      const program = loadProgram('perf_event', 'bpfkit_profile', profileProgramText({ ...opts, task: form }), maps);
      const link = attachPerfSampling(program, { frequency: 499 });
      sessions.push({ maps, close: () => { link.close(); program.close(); closeMaps(maps); } });
    }
    await new Promise((r) => setTimeout(r, 1500));
    const symbolizer = new Symbolizer();
    symbolizer.process(pid);
    const results = sessions.map((s) => {
      const entries = readStackCounts(s.maps.counts);
      return { entries, comms: byComm(entries), folded: foldStackCounts(entries, s.maps.stacks, { symbolizer, annotate: false }) };
    });
    const [viaTask, viaHelpers] = results;
    for (const r of results) {
      assert.ok(r.entries.length > 0);
      assert.ok(r.entries.every((e) => e.tgid === pid), 'only the process, by tgid');
      assert.deepEqual([...r.comms.keys()].sort(), ['threads', 'worker'], 'the main thread and the worker, by their own names');
      for (const s of r.folded.stacks) assert.ok(s.frames.includes('spin') || s.value <= 2, s.frames.join(';'));
    }
    const share = (m: Map<string, number>) => (m.get('worker') ?? 0) / [...m.values()].reduce((a, b) => a + b, 0);
    const a = share(viaTask.comms);
    const b = share(viaHelpers.comms);
    assert.ok(Math.abs(a - b) < 0.15, `the worker's share: ${a.toFixed(2)} (task_struct) vs ${b.toFixed(2)} (helpers)`);
  } finally {
    for (const s of sessions) s.close();
    w.dispose();
  }
});

test('idle samples are dropped by pid 0, or kept as swapper', async (t) => {
  if (!needRoot(t)) return;
  const task = currentTaskLayout();
  assert.ok(task);
  const w = new Workloads();
  // Something sure to run while we sample: on a quiet machine every sample may be idle.
  const busy = w.start('/bin/sh', ['-c', 'while :; do :; done']);
  try {
    for (const includeIdle of [false, true]) {
      const maps = createMaps({});
      try {
        const program = loadProgram('perf_event', 'bpfkit_profile', profileProgramText({ stacks: 'kernel', includeIdle, task }), maps);
        const link = attachPerfSampling(program, { frequency: 199 });
        await new Promise((r) => setTimeout(r, 700));
        link.close();
        program.close();
        const entries = readStackCounts(maps.counts);
        assert.ok(entries.some((e) => e.tgid === busy.pid), 'the busy shell was sampled');
        const idle = entries.filter((e) => e.tgid === 0);
        if (!includeIdle) assert.equal(idle.length, 0, 'no idle samples');
        else for (const e of idle) assert.match(e.comm, /^swapper\/\d+$/);
        // Every other sample names a task: the tgid and comm loads read the right fields.
        for (const e of entries.filter((x) => x.tgid !== 0)) assert.ok(e.comm.length > 0 && e.comm.length <= 15, JSON.stringify(e.comm));
      } finally {
        closeMaps(maps);
      }
    }
  } finally {
    w.dispose();
  }
});


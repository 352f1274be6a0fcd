// CPU and off-CPU profiles against programs whose weights are known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { profile } from '../../../src/profile/profile.js';
import { offcpu } from '../../../src/profile/offcpu.js';
import { main as profileCli } from '../../../src/cli/profile.js';
import { main as offcpuCli } from '../../../src/cli/offcpu.js';
import { parseFolded } from '../../../src/viz/folded.js';
import { perfMapPath } from '../../../src/symbols/perf-map.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { BUSY_C, HOT_JS, SLEEPER_C, Workloads, weightOf } from './workloads.js';

function openFds(): string[] {
  return readdirSync('/proc/self/fd').sort();
}

test('a C program with 3:1 busy functions profiles in that proportion (±10%)', async (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const w = new Workloads();
  try {
    const child = w.start(w.compile('busy', BUSY_C));
    const fdsBefore = openFds();
    const p = await profile({ pid: child.pid!, frequency: 999, duration: 3 });
    assert.deepEqual(openFds(), fdsBefore, 'every map, program and perf event was closed');
    assert.equal(p.unit, 'samples');
    const hot = weightOf(p.stacks, 'hot');
    const cold = weightOf(p.stacks, 'cold');
    assert.ok(hot + cold > 500, `enough samples (${hot} + ${cold})`);
    const ratio = hot / cold;
    assert.ok(Math.abs(ratio / 3 - 1) <= 0.1, `hot:cold = ${ratio.toFixed(2)}, expected 3 ± 10%`);
    // Every stack is the program's: the pid filter ran in the kernel.
    for (const s of p.stacks) assert.equal(s.frames[0], 'busy');
    // User frames come outermost first, as folded stacks are written.
    const top = p.stacks.reduce((a, b) => (b.value > a.value ? b : a));
    const i = top.frames.indexOf('main');
    assert.ok(i > 0 && top.frames.indexOf('hot') === i + 1 && top.frames.indexOf('spin') === i + 2, top.frames.join(';'));
    assert.equal(p.total, p.stacks.reduce((s, x) => s + x.value, 0));
  } finally {
    w.dispose();
  }
});

test('a Node process run with --perf-basic-prof shows its hot JavaScript function by name', async (t) => {
  if (!needRoot(t)) return;
  const w = new Workloads();
  let pid: number | undefined;
  try {
    const child = w.start(process.execPath, ['--perf-basic-prof', w.script('hot.js', HOT_JS)]);
    pid = child.pid!;
    // Let V8 compile the function (its JIT code is named in /tmp/perf-PID.map once compiled).
    await new Promise((r) => setTimeout(r, 1000));
    const p = await profile({ pid, frequency: 499, duration: 2 });
    const js = p.stacks.filter((s) => s.frames.some((f) => f.includes('hotJsFunction')));
    assert.ok(js.length > 0, `hotJsFunction appears in the stacks:\n${p.stacks.slice(0, 10).map((s) => s.frames.join(';')).join('\n')}`);
    assert.ok(js.some((s) => s.frames.some((f) => f.includes('hotJsFunction') && f.endsWith('_[j]'))), 'marked as a JIT frame');
    const hot = weightOf(p.stacks, /hotJsFunction/);
    const cold = weightOf(p.stacks, /coldJsFunction/);
    assert.ok(hot > cold, `the hot function is hotter (${hot} vs ${cold})`);
  } finally {
    w.dispose();
    if (pid !== undefined) rmSync(perfMapPath(pid), { force: true });
  }
});

test('kernel-only stacks hold kernel frames only', async (t) => {
  if (!needRoot(t)) return;
  const w = new Workloads();
  try {
    // A process that lives in read()/write() system calls.
    const child = w.start('/bin/dd', ['if=/dev/zero', 'of=/dev/null', 'bs=1']);
    const p = await profile({ pid: child.pid!, frequency: 499, duration: 1, stacks: 'kernel' });
    assert.ok(p.total > 0);
    let kernelFrames = 0;
    for (const s of p.stacks) {
      assert.equal(s.frames[0], 'dd');
      for (const f of s.frames.slice(1)) {
        // A stack whose slot in the stack map was taken by another one (bpf_get_stackid's
        // EEXIST, more likely on a busy machine) is counted under a marker instead of frames.
        if (f === '[lost kernel stack]') continue;
        assert.ok(f.endsWith('_[k]'), `kernel frame ${f}`);
        kernelFrames++;
      }
    }
    assert.ok(kernelFrames > 0);
    assert.ok(weightOf(p.stacks, /^(ksys_read|ksys_write|vfs_read|vfs_write|__x64_sys_(read|write))_\[k\]$/) > 0, 'the system calls are there');
  } finally {
    w.dispose();
  }
});

test('a profile stopped by its AbortSignal returns what it has', async (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const w = new Workloads();
  try {
    const child = w.start(w.compile('busy', BUSY_C));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    const p = await profile({ pid: child.pid!, frequency: 999, signal: ac.signal, stacks: 'user', annotate: false });
    assert.ok(weightOf(p.stacks, 'spin') > 0);
    await assert.rejects(profile({ frequency: 99 }), TypeError, 'no duration and no signal is refused');
  } finally {
    w.dispose();
  }
});

test('off-CPU time follows the stacks tasks slept in: 30 ms vs 10 ms sleeps (3:1 ±10%)', async (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const w = new Workloads();
  try {
    const child = w.start(w.compile('sleeper', SLEEPER_C));
    const fdsBefore = openFds();
    const p = await offcpu({ pid: child.pid!, duration: 2 });
    assert.deepEqual(openFds(), fdsBefore);
    assert.equal(p.unit, 'us');
    const long = weightOf(p.stacks, 'long_wait');
    const short = weightOf(p.stacks, 'short_wait');
    assert.ok(long > 0 && short > 0, `${long} / ${short}`);
    assert.ok(Math.abs(long / short / 3 - 1) <= 0.1, `long:short = ${(long / short).toFixed(2)}`);
    // Nearly all of the 2 s was spent asleep (off CPU), and it is counted in microseconds.
    assert.ok(long + short > 1_000_000 && long + short <= 2_100_000, `${long + short} us`);
    assert.ok(weightOf(p.stacks, /^schedule_\[k\]$/) > 0, 'the kernel side shows the switch');
  } finally {
    w.dispose();
  }
});

test('bpfkit profile -c CMD and bpfkit offcpu -p PID write what the extension says', async (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const w = new Workloads();
  try {
    const busy = w.compile('busy', BUSY_C);
    const folded = join(w.dir, 'out.folded');
    assert.equal(await profileCli(['-c', `${busy} 120`, '-F', '999', '--user', '--no-annotate', '-o', folded]), 0);
    const stacks = parseFolded(readFileSync(folded, 'utf8'));
    const ratio = weightOf(stacks, 'hot') / weightOf(stacks, 'cold');
    assert.ok(ratio > 2 && ratio < 4, `hot:cold ${ratio}`);
    // The command's process starts as the `sh` that execs it, so a sample may land before the exec.
    assert.ok(stacks.every((s) => s.frames[0] === 'busy' || s.frames[0] === 'sh'), 'only the command was profiled');

    const sleeper = w.start(w.compile('sleeper', SLEEPER_C));
    const svg = join(w.dir, 'off.svg');
    assert.equal(await offcpuCli(['-p', String(sleeper.pid), '-d', '1', '-o', svg]), 0);
    const text = readFileSync(svg, 'utf8');
    assert.ok(text.includes('<svg') && text.includes('data-n="long_wait"'));
    assert.ok(text.includes('data-unit="us"'));

    assert.equal(await profileCli(['-p', '999999999', '-d', '1']), 1, 'a missing process is an error');
    assert.equal(await profileCli(['-d', '1', '-o', join(w.dir, 'x.png')]), 1, 'an unknown extension is an error');
    assert.ok(!existsSync(join(w.dir, 'x.png')));
  } finally {
    w.dispose();
  }
});

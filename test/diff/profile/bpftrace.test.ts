// The same workload profiled at once by bpfkit and by bpftrace 0.17
// (`profile:hz:99 /pid == PID/ { @[ustack] = count(); }`, folded here): the same top stacks, in the
// same proportions (±10 percentage points).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { profile } from '../../../src/profile/profile.js';
import { mergeFolded, type FoldedStack } from '../../../src/viz/folded.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { BUSY_C, Workloads } from '../../kernel/profile/workloads.js';

/** bpftrace prints a ustack-keyed map as `@[\n    func+off\n    ...\n]: COUNT`, innermost first. */
function foldBpftraceStacks(out: string): FoldedStack[] {
  const stacks: FoldedStack[] = [];
  for (const m of out.matchAll(/@\[\n([\s\S]*?)\]: (\d+)/g)) {
    const frames = m[1].split('\n').map((l) => l.trim()).filter(Boolean).map((f) => f.replace(/\+\d+$/, '')).reverse();
    stacks.push({ frames, value: Number(m[2]) });
  }
  return mergeFolded(stacks);
}

function shares(stacks: FoldedStack[]): Map<string, number> {
  const total = stacks.reduce((s, x) => s + x.value, 0);
  return new Map(stacks.map((s) => [s.frames.join(';'), s.value / total]));
}

function top(stacks: FoldedStack[], n: number): string[] {
  return [...stacks].sort((a, b) => b.value - a.value).slice(0, n).map((s) => s.frames.join(';'));
}

test('folded user stacks agree with bpftrace profile:hz:99 { @[ustack] = count(); }', async (t) => {
  if (!needRoot(t) || !needTool(t, 'cc') || !needTool(t, 'bpftrace')) return;
  const w = new Workloads();
  let bt: ChildProcess | undefined;
  try {
    const pid = w.start(w.compile('busy', BUSY_C)).pid!;
    bt = spawn('bpftrace', ['-e', `profile:hz:99 /pid == ${pid}/ { @[ustack] = count(); } interval:s:4 { exit(); }`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    bt.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    bt.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => bt!.once('exit', (code) => resolve(code)));
    // Start ours once bpftrace is sampling, so both see the same stretch of the run.
    while (!out.includes('Attaching')) {
      if (bt.exitCode !== null) assert.fail(`bpftrace exited: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const ours = await profile({ pid, frequency: 99, duration: 3, stacks: 'user', annotate: false });
    assert.equal(await exited, 0, out);
    bt = undefined;

    const theirs = foldBpftraceStacks(out);
    // Our stacks start with the command name; bpftrace's ustack has no such frame.
    const mine = mergeFolded(ours.stacks.map((s) => ({ frames: s.frames.slice(1), value: s.value })));
    assert.ok(theirs.length > 0 && mine.length > 0);
    assert.deepEqual(new Set(top(mine, 2)), new Set(top(theirs, 2)), 'the same two hottest stacks');
    const a = shares(mine);
    const b = shares(theirs);
    for (const key of top(theirs, 2)) {
      assert.ok(Math.abs((a.get(key) ?? 0) - (b.get(key) ?? 0)) <= 0.1, `${key}: ${a.get(key)} vs ${b.get(key)}`);
    }
  } finally {
    if (bt?.pid !== undefined && bt.exitCode === null) process.kill(bt.pid, 'SIGKILL');
    w.dispose();
  }
});

// Claim: profiling a program with `bpfkit profile` costs it no more than profiling it with bpftrace
// (`profile:hz:N /pid == PID/ { @[ustack] = count(); }`: user stacks of one process, counted in the
// kernel; bpfkit does the same with `--user -p PID`), at 99 Hz and 999 Hz.
//  1. Throughput: overhead = 1 - (throughput while profiled ÷ throughput alone) of a CPU-bound C
//     program, in work per CPU second of the program (the sampling interrupt and the BPF program
//     are charged to the task they interrupt), in interleaved rounds (alone, bpfkit, bpftrace);
//     medians, with the range over rounds. At 99 Hz both overheads are a fraction of a percent,
//     below the noise of a shared machine, hence:
//  2. In-kernel cost per sample, paired: both profilers attached to the same run of the workload
//     at once (which one attaches first alternates), so both see the same tasks on the same CPUs
//     under the same load; BPF_ENABLE_STATS run time ÷ run count of each program over that run.
//     Taken one after the other instead, the figure swings by 2× between runs: most of a run's
//     time at 99 Hz is cache and TLB misses, which depend on what else ran on the CPU, and each
//     profiler also runs for every other task it samples and filters out, a share that follows
//     the load. The ratio is pooled over the rounds (Σ time ÷ Σ runs, each side); the per-round
//     range is shown. Even paired, the 99 Hz ratio moves by about ±10% between runs of the bench
//     here (which of the two timers fires first after a cold spell varies): run it more than once.
// Usage (root): node dist/bench/profile.js [--rounds 3] [--seconds 2] [--pair-rounds 8] [--pair-seconds 4]
// Prints the paired ratio (bpfkit ÷ bpftrace) of the in-kernel cost per sample at 99 Hz last.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profile } from '../src/profile/profile.js';
import { enableStats } from '../src/sys/bpf.js';
import { statsTypes } from '../src/sys/generated/kernel.js';

const WORK_C = `
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
volatile unsigned long sink;
void __attribute__((noinline)) leaf(unsigned long n) { for (unsigned long i = 0; i < n; i++) sink += i; }
void __attribute__((noinline)) mid(void) { leaf(20000); }
/* CPU time, not wall time: other load on a shared machine takes the CPU away but does not change
   the work done per CPU second; the profiler's interrupts and BPF runs do (they are charged here). */
static double now(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  double secs = atof(argv[1]);
  raise(SIGSTOP); /* the profiler attaches, then continues us */
  double end = now() + secs;
  unsigned long units = 0;
  while (now() < end) { for (int i = 0; i < 50; i++) mid(); units++; }
  printf("%.1f\\n", units / secs);
  return 0;
}
`;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const ROUNDS = arg('--rounds', 3);
const SECONDS = arg('--seconds', 2);
const PAIR_ROUNDS = arg('--pair-rounds', 8);
const PAIR_SECONDS = arg('--pair-seconds', 4);

const live = new Set<ChildProcess>();
function track(c: ChildProcess): ChildProcess {
  live.add(c);
  c.once('exit', () => live.delete(c));
  return c;
}

function state(pid: number): string {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return '?';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the workload stopped; returns it and a promise of its throughput (units/s). */
async function startWork(bin: string, seconds: number): Promise<{ child: ChildProcess; result: Promise<number> }> {
  const child = track(spawn(bin, [String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const result = new Promise<number>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`workload exited ${code}`)))));
  result.catch(() => {}); // killed on the way out of a failed round: not a second failure
  while (state(child.pid!) !== 'T') await sleep(2);
  return { child, result };
}

interface ProgStat { id: number; type: string; name: string; run_time_ns?: number; run_cnt?: number }
interface RunStat { ns: number; runs: number }
function progs(): ProgStat[] {
  return JSON.parse(execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' })) as ProgStat[];
}
function runStat(p: ProgStat | undefined): RunStat {
  return { ns: p?.run_time_ns ?? 0, runs: p?.run_cnt ?? 0 };
}
const minus = (a: RunStat, b: RunStat): RunStat => ({ ns: a.ns - b.ns, runs: a.runs - b.runs });
const perRun = (s: RunStat) => (s.runs ? s.ns / s.runs : NaN);

// Programs are told apart from other users' (a test suite running beside the bench loads the same
// programs, bpftrace's included) by the process holding them: the prog_id of its fds.
function progIdsHeldBy(pid: number): Set<number> {
  const ids = new Set<number>();
  let fds: string[] = [];
  try { fds = readdirSync(`/proc/${pid}/fdinfo`); } catch { return ids; }
  for (const fd of fds) {
    try {
      const m = /^prog_id:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1'));
      if (m) ids.add(Number(m[1]));
    } catch { /* closed meanwhile */ }
  }
  return ids;
}
interface Running { id: number; stop: () => Promise<void> }
const byId = (ps: ProgStat[], id: number) => runStat(ps.find((p) => p.id === id));

/** bpfkit's profile of `pid`, the way `bpfkit profile -p PID -F HZ --user` runs it. */
async function startBpfkit(pid: number, hz: number, before: Set<number>): Promise<Running> {
  const ac = new AbortController();
  let started!: () => void;
  const attached = new Promise<void>((r) => { started = r; });
  const done = profile({ pid, frequency: hz, signal: ac.signal, stacks: 'user', onStart: () => started() });
  const stop = async () => { ac.abort(); await done; };
  await Promise.race([attached, done]);
  const held = progIdsHeldBy(process.pid);
  const mine = progs().filter((p) => held.has(p.id) && !before.has(p.id) && p.name === 'bpfkit_profile');
  if (mine.length !== 1) {
    await stop();
    throw new Error(`expected one new bpfkit_profile program, found ${mine.length}`);
  }
  return { id: mine[0].id, stop };
}

/**
 * bpftrace doing the same. It prints "Attaching" before it attaches, so it counts as attached
 * once its program has run (every CPU's event fires within 1/hz s).
 */
async function startBpftrace(pid: number, hz: number): Promise<Running> {
  const bt = track(spawn('bpftrace', ['-e', `profile:hz:${hz} /pid == ${pid}/ { @[ustack] = count(); }`], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  bt.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  bt.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<void>((resolve) => bt.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (bt.exitCode !== null || Date.now() > deadline) throw new Error(`bpftrace did not start: ${out}${err}`);
    if (out.includes('Attaching')) {
      const held = progIdsHeldBy(bt.pid!);
      const p = progs().find((x) => held.has(x.id) && x.type === 'perf_event');
      if (p && (p.run_cnt ?? 0) > 0) {
        const stop = async () => {
          if (bt.exitCode !== null || bt.signalCode !== null) throw new Error(`bpftrace exited while profiling (${bt.exitCode ?? bt.signalCode}): ${err.trim()}`);
          // bpftrace 0.17 now and then misses a SIGINT (it stays in epoll_wait): ask again, then kill.
          for (let i = 0; i < 10 && bt.exitCode === null && bt.signalCode === null; i++) {
            process.kill(bt.pid!, 'SIGINT');
            await Promise.race([exited, sleep(1000)]);
          }
          if (bt.exitCode === null && bt.signalCode === null) process.kill(bt.pid!, 'SIGKILL');
          await exited;
        };
        return { id: p.id, stop };
      }
    }
    await sleep(5);
  }
}

async function alone(bin: string): Promise<number> {
  const w = await startWork(bin, SECONDS);
  process.kill(w.child.pid!, 'SIGCONT');
  return w.result;
}

async function withBpfkit(bin: string, hz: number): Promise<{ rate: number; ns: RunStat }> {
  const w = await startWork(bin, SECONDS);
  const kit = await startBpfkit(w.child.pid!, hz, new Set(progs().map((p) => p.id)));
  const t0 = byId(progs(), kit.id);
  process.kill(w.child.pid!, 'SIGCONT');
  const rate = await w.result;
  const ns = minus(byId(progs(), kit.id), t0);
  await kit.stop();
  return { rate, ns };
}

async function withBpftrace(bin: string, hz: number): Promise<{ rate: number; ns: RunStat }> {
  const w = await startWork(bin, SECONDS);
  const bt = await startBpftrace(w.child.pid!, hz);
  const t0 = byId(progs(), bt.id);
  process.kill(w.child.pid!, 'SIGCONT');
  const rate = await w.result;
  const ns = minus(byId(progs(), bt.id), t0);
  await bt.stop();
  return { rate, ns };
}

/** One paired round: both attached to one run of the workload; each one's runs and run time. */
async function paired(bin: string, hz: number, bpfkitFirst: boolean): Promise<{ kit: RunStat; bt: RunStat }> {
  const w = await startWork(bin, PAIR_SECONDS);
  const pid = w.child.pid!;
  const before = new Set(progs().map((p) => p.id));
  let kit: Running | undefined;
  let bt: Running | undefined;
  try {
    if (bpfkitFirst) kit = await startBpfkit(pid, hz, before);
    bt = await startBpftrace(pid, hz);
    if (!bpfkitFirst) kit = await startBpfkit(pid, hz, before);
    const ps0 = progs();
    const k0 = byId(ps0, kit!.id);
    const b0 = byId(ps0, bt.id);
    process.kill(pid, 'SIGCONT');
    await w.result;
    const ps1 = progs();
    return { kit: minus(byId(ps1, kit!.id), k0), bt: minus(byId(ps1, bt.id), b0) };
  } finally {
    await kit?.stop();
    await bt?.stop();
  }
}

function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const range = (xs: number[], f: (x: number) => string) => `${f(Math.min(...xs))}..${f(Math.max(...xs))}`;
const pooled = (xs: RunStat[]) => perRun(xs.reduce((a, b) => ({ ns: a.ns + b.ns, runs: a.runs + b.runs }), { ns: 0, runs: 0 }));
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-bench-profile-'));
  const stats = enableStats(statsTypes.run_time);
  try {
    writeFileSync(join(dir, 'work.c'), WORK_C);
    const bin = join(dir, 'work');
    execFileSync('cc', ['-O0', '-fno-omit-frame-pointer', '-o', bin, join(dir, 'work.c')]);
    const rates = [99, 999];

    console.log(`1. throughput: ${SECONDS} CPU-seconds of C, ${ROUNDS} interleaved rounds (alone, bpfkit, bpftrace) per rate; median [range] of the per-round overhead`);
    for (const hz of rates) {
      const oKit: number[] = [];
      const oBt: number[] = [];
      const nKit: RunStat[] = [];
      const nBt: RunStat[] = [];
      const base: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const b = await alone(bin);
        const k = await withBpfkit(bin, hz);
        const t = await withBpftrace(bin, hz);
        base.push(b);
        oKit.push(1 - k.rate / b);
        oBt.push(1 - t.rate / b);
        nKit.push(k.ns);
        nBt.push(t.ns);
      }
      console.log(`  ${String(hz).padStart(3)} Hz  alone ${median(base).toFixed(0)} u/cpu-s   overhead: bpfkit ${pct(median(oKit))} [${range(oKit, pct)}]  bpftrace ${pct(median(oBt))} [${range(oBt, pct)}]`);
      console.log(`          BPF ns/run taken apart (noisy): bpfkit ${pooled(nKit).toFixed(0)} [${range(nKit.map(perRun), (x) => x.toFixed(0))}]  bpftrace ${pooled(nBt).toFixed(0)} [${range(nBt.map(perRun), (x) => x.toFixed(0))}]`);
    }

    console.log(`2. in-kernel cost per sample, paired: ${PAIR_ROUNDS} rounds of ${PAIR_SECONDS} CPU-seconds per rate, both profilers attached at once`);
    const headline: Record<number, number> = {};
    for (const hz of rates) {
      const kit: RunStat[] = [];
      const bt: RunStat[] = [];
      for (let r = 0; r < PAIR_ROUNDS; r++) {
        const x = await paired(bin, hz, r % 2 === 0);
        kit.push(x.kit);
        bt.push(x.bt);
      }
      const ratios = kit.map((k, i) => perRun(k) / perRun(bt[i]));
      headline[hz] = pooled(kit) / pooled(bt);
      const runs = kit.reduce((s, k) => s + k.runs, 0);
      console.log(`  ${String(hz).padStart(3)} Hz  ns/run: bpfkit ${pooled(kit).toFixed(0)}  bpftrace ${pooled(bt).toFixed(0)}  (${runs} runs each)   ratio ${headline[hz].toFixed(3)}, per round median ${median(ratios).toFixed(3)} [${range(ratios, (x) => x.toFixed(3))}]`);
    }
    console.log(`ratio (bpfkit ÷ bpftrace, in-kernel cost per sample, paired): 999 Hz ${headline[999].toFixed(2)}; 99 Hz ${headline[99].toFixed(2)}`);
  } finally {
    for (const c of live) if (c.pid !== undefined && c.exitCode === null) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } }
    stats.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

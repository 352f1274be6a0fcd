// Claim: `bpfkit trace` starts faster than bpftrace 0.17 and uses no more memory.
// Each script is run by both tools in one run (N times each, alternating; medians):
//   1. BEGIN { exit(); }                                   launch → exit
//   2. tracepoint:syscalls:sys_enter_openat { @[comm] = count(); } interval:s:1 { exit(); }
//                                                          launch → exit, less the 1 s the script waits
//   3. tracepoint:syscalls:sys_enter_getppid /pid == $1/ { printf("live\n"); exit(); }
//      while this process calls getppid() every millisecond: launch → the first event printed,
//      i.e. until the probe is really attached and firing.
// Also printed: launch → the `Attaching N probes...` line. Both tools print it once the program is
// compiled, before loading it; bpfkit's Node.js start-up alone (~45 ms) is longer than bpftrace's
// whole time to that line, so that measure is reported, not claimed.
// Peak RSS is /usr/bin/time's maximum resident set size of the whole process.
// Usage: node dist/bench/trace-startup.js [--runs 5]   (after `npm run build`: bpfkit runs as
// installed, the bundled dist/cli/bpfkit.js)
// Prints the ratios (bpfkit ÷ bpftrace) last.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

interface Sample {
  attachMs: number;
  liveMs: number;
  exitMs: number;
  rssKb: number;
}

function measure(argv: string[], live?: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('/usr/bin/time', ['-f', '@@RSS %M', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let attachMs = NaN;
    let liveMs = NaN;
    p.stdout.on('data', (d: Buffer) => {
      const now = performance.now() - t0;
      out += d.toString();
      if (Number.isNaN(attachMs) && out.includes('Attaching')) attachMs = now;
      if (live && Number.isNaN(liveMs) && out.includes(live)) liveMs = now;
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => {
      const exitMs = performance.now() - t0;
      const m = /@@RSS (\d+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`${argv.join(' ')} failed (${code}): ${err}`));
      resolve({ attachMs, liveMs, exitMs, rssKb: Number(m[1]) });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Script {
  name: string;
  args: string[];
  /** The measure that counts for this script. */
  metric: 'exit' | 'exit-1s' | 'live';
  live?: string;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 5;
  const root = repoRoot();
  const bundled = join(root, 'dist/cli/bpfkit.js');
  if (!existsSync(bundled)) throw new Error(`${bundled} is missing: run npm run build`);
  const bpfkit = [process.execPath, bundled, 'trace'];
  // Something for script 3 to see: getppid() every millisecond from this process.
  const trigger = setInterval(() => process.ppid, 1);
  const scripts: Script[] = [
    { name: 'BEGIN { exit(); }', args: ['-e', 'BEGIN { exit(); }'], metric: 'exit' },
    { name: 'openat count + interval:s:1 (less the 1 s wait)', args: ['-e', 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); } interval:s:1 { exit(); }'], metric: 'exit-1s' },
    { name: 'launch → first event (getppid tracepoint)', args: ['-e', 'tracepoint:syscalls:sys_enter_getppid /pid == $1/ { printf("live\\n"); exit(); }', String(process.pid)], metric: 'live', live: 'live\n' },
  ];
  console.log(`bpfkit: ${bundled}; ${runs} runs each, medians`);
  const ratios: { name: string; time: number; rss: number; attach: number }[] = [];
  for (const s of scripts) {
    const ours: Sample[] = [];
    const theirs: Sample[] = [];
    for (let r = 0; r < runs; r++) {
      ours.push(await measure([...bpfkit, ...s.args], s.live));
      theirs.push(await measure(['bpftrace', ...s.args], s.live));
    }
    const pick = (x: Sample) => (s.metric === 'live' ? x.liveMs : s.metric === 'exit-1s' ? x.exitMs - 1000 : x.exitMs);
    const summary = (xs: Sample[]) => ({ time: median(xs.map(pick)), attach: median(xs.map((x) => x.attachMs)), exit: median(xs.map((x) => x.exitMs)), rss: median(xs.map((x) => x.rssKb)) });
    const o = summary(ours);
    const t = summary(theirs);
    console.log(`\n${s.name}`);
    for (const [who, v] of [['bpfkit  ', o], ['bpftrace', t]] as const) {
      console.log(`  ${who}: ${s.metric} ${v.time.toFixed(0)} ms (range ${Math.min(...(who === 'bpfkit  ' ? ours : theirs).map(pick)).toFixed(0)}–${Math.max(...(who === 'bpfkit  ' ? ours : theirs).map(pick)).toFixed(0)}), Attaching line ${v.attach.toFixed(0)} ms, exit ${v.exit.toFixed(0)} ms, peak RSS ${(v.rss / 1024).toFixed(1)} MiB`);
    }
    ratios.push({ name: s.name, time: o.time / t.time, rss: o.rss / t.rss, attach: o.attach / t.attach });
  }
  clearInterval(trigger);
  console.log('\nratio bpfkit ÷ bpftrace (goal: time ≤ 0.5, memory ≤ 1.0; the Attaching line is reported only):');
  for (const r of ratios) console.log(`  ${r.name}: time ${r.time.toFixed(2)}x, peak RSS ${r.rss.toFixed(2)}x (Attaching line ${r.attach.toFixed(2)}x)`);
}

await main();

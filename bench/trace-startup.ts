// Claim: `bpfkit trace` starts faster than bpftrace 0.17 and uses no more memory.
//   Two scripts, each run by both tools in one run (N times, median):
//     BEGIN { exit(); }
//     tracepoint:syscalls:sys_enter_openat { @[comm] = count(); } interval:s:1 { exit(); }
//   measured: wall time from launch to the `Attaching N probes...` line, wall time to exit, and
//   peak RSS (/usr/bin/time's maximum resident set size of the whole process).
// Usage: node --import tsx bench/trace-startup.ts [--runs 5] [--dist DIR (a tsc outDir)]
//   bpfkit runs from dist/ when built (npm run build / npx tsc -p .), else from the sources via tsx
//   (which adds the TypeScript transpiler's start-up to every run; the output says which).
// Prints the ratios (bpfkit ÷ bpftrace) last.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Sample {
  attachMs: number;
  exitMs: number;
  rssKb: number;
}

function measure(argv: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // GNU time reports the child's peak RSS on stderr after it exits.
    const p = spawn('/usr/bin/time', ['-f', '@@RSS %M', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let attachMs = NaN;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (Number.isNaN(attachMs) && out.includes('Attaching')) attachMs = performance.now() - t0;
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => {
      const exitMs = performance.now() - t0;
      const m = /@@RSS (\d+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`${argv.join(' ')} failed (${code}): ${err}`));
      resolve({ attachMs, exitMs, rssKb: Number(m[1]) });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 5;
  const d = process.argv.indexOf('--dist');
  const dist = d >= 0 ? join(process.argv[d + 1], 'src/cli/main.js') : join(root, 'dist/src/cli/main.js');
  const fromDist = existsSync(dist);
  const bpfkit = fromDist ? [process.execPath, dist, 'trace'] : [process.execPath, '--import', 'tsx', join(root, 'src/cli/main.ts'), 'trace'];
  const scripts = ['BEGIN { exit(); }', 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); } interval:s:1 { exit(); }'];
  console.log(`bpfkit from ${fromDist ? 'dist/' : 'sources via tsx'}; ${runs} runs each, medians`);
  const ratios: { attach: number; exit: number; rss: number }[] = [];
  for (const script of scripts) {
    const ours: Sample[] = [];
    const theirs: Sample[] = [];
    for (let r = 0; r < runs; r++) {
      // Alternate so that both see the same machine load.
      ours.push(await measure([...bpfkit, '-e', script]));
      theirs.push(await measure(['bpftrace', '-e', script]));
    }
    const o = { attach: median(ours.map((s) => s.attachMs)), exit: median(ours.map((s) => s.exitMs)), rss: median(ours.map((s) => s.rssKb)) };
    const t = { attach: median(theirs.map((s) => s.attachMs)), exit: median(theirs.map((s) => s.exitMs)), rss: median(theirs.map((s) => s.rssKb)) };
    console.log(`\n${script}`);
    console.log(`  bpfkit:   attach ${o.attach.toFixed(0)} ms, exit ${o.exit.toFixed(0)} ms, peak RSS ${(o.rss / 1024).toFixed(1)} MiB`);
    console.log(`  bpftrace: attach ${t.attach.toFixed(0)} ms, exit ${t.exit.toFixed(0)} ms, peak RSS ${(t.rss / 1024).toFixed(1)} MiB`);
    ratios.push({ attach: o.attach / t.attach, exit: o.exit / t.exit, rss: o.rss / t.rss });
  }
  console.log('\nratio bpfkit ÷ bpftrace (goal: time ≤ 0.5, memory ≤ 1.0):');
  ratios.forEach((r, k) => console.log(`  script ${k + 1}: time to attach ${r.attach.toFixed(2)}x, time to exit ${r.exit.toFixed(2)}x, peak RSS ${r.rss.toFixed(2)}x`));
}

await main();

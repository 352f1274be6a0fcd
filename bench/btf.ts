// Parse the kernel's BTF and write vmlinux.h: bpfkit vs `bpftool btf dump file … format c`, in one run.
// Each tool runs as its own process under /usr/bin/time (for peak RSS), timed here:
//   - the command users run, `bpfkit btf dump file PATH format c` (dist/cli/bpfkit.js, Node's
//     start-up included) against bpftool's process: the ratio printed last;
//   - a child that times only the work (read + decode + C dump + write) in-process, without
//     Node's start-up and module loading: what the library costs once loaded.
// Rounds alternate between the tools; medians are printed.
// Run (after npm run build): node dist/bench/btf.js [PATH] [ROUNDS]
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf } from '../src/btf/btf.js';
import { btfToC } from '../src/btf/c-dump.js';

if (process.argv[2] === '--child') {
  const [, , , path, out] = process.argv;
  const t0 = performance.now();
  const btf = Btf.fromBuffer(readFileSync(path), { file: path });
  const t1 = performance.now();
  writeFileSync(out, btfToC(btf));
  const t2 = performance.now();
  process.stderr.write(`WORK ${(t2 - t0).toFixed(1)} ${(t1 - t0).toFixed(1)}\n`);
  process.exit(0);
}

const path = process.argv[2] ?? '/sys/kernel/btf/vmlinux';
const rounds = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'bpfkit-bench-btf-'));
const self = new URL(import.meta.url).pathname;
// Compiled, the child needs no TypeScript loader (tsx's hooks would cost it time while it works).
const childNode = self.endsWith('.ts') ? [process.execPath, '--import', 'tsx'] : [process.execPath];
const cli = new URL(self.endsWith('.ts') ? '../dist/cli/bpfkit.js' : '../cli/bpfkit.js', import.meta.url).pathname;

interface Run { wall: number; rssKb: number; work?: number; parse?: number }
const commandRuns: Run[] = [];

function timed(cmd: string[], outFile: string): { run: Run; stderr: string } {
  const fd = openSync(outFile, 'w');
  try {
    // Wall time measured here to the microsecond (time's %e rounds to 10 ms); time gives peak RSS.
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', ...cmd], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
    const m = /TIME ([\d.]+) (\d+)/.exec(r.stderr);
    if (!m) throw new Error(`no timing from /usr/bin/time: ${r.stderr}`);
    return { run: { wall, rssKb: Number(m[2]) }, stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const ours: Run[] = [];
  const theirs: Run[] = [];
  for (let i = 0; i < rounds; i++) {
    const b = timed(['bpftool', 'btf', 'dump', 'file', path, 'format', 'c'], join(dir, 'bpftool.h'));
    theirs.push(b.run);
    const outFile = join(dir, 'bpfkit.h');
    commandRuns.push(timed([process.execPath, cli, 'btf', 'dump', 'file', path, 'format', 'c'], join(dir, 'cli.h')).run);
    const o = timed([...childNode, self, '--child', path, outFile], join(dir, 'child.out'));
    const w = /WORK ([\d.]+) ([\d.]+)/.exec(o.stderr)!;
    ours.push({ ...o.run, work: Number(w[1]), parse: Number(w[2]) });
  }
  const a = readFileSync(join(dir, 'bpfkit.h'), 'utf8');
  const b = readFileSync(join(dir, 'bpftool.h'), 'utf8');
  const wBpftool = median(theirs.map((r) => r.wall));
  const wOurs = median(ours.map((r) => r.wall));
  const work = median(ours.map((r) => r.work!));
  console.log(`input: ${path}, ${rounds} rounds; headers: bpfkit ${a.length} bytes, bpftool ${b.length} bytes, ${a === b ? 'identical' : 'differing'}`);
  console.log(`bpftool  process: ${wBpftool.toFixed(0)} ms, peak RSS ${(median(theirs.map((r) => r.rssKb)) / 1024).toFixed(0)} MiB`);
  const wCli = median(commandRuns.map((r) => r.wall));
  console.log(`bpfkit   command: ${wCli.toFixed(0)} ms (bpfkit btf dump …, Node start-up included), peak RSS ${(median(commandRuns.map((r) => r.rssKb)) / 1024).toFixed(0)} MiB`);
  console.log(`bpfkit   child:   ${wOurs.toFixed(0)} ms, of which work ${work.toFixed(0)} ms (decode ${median(ours.map((r) => r.parse!)).toFixed(0)} ms, C dump and write the rest)`);
  console.log(`ratio (bpfkit work in-process / bpftool process): ${(work / wBpftool).toFixed(2)}`);
  console.log(`ratio (bpfkit command / bpftool command): ${(wCli / wBpftool).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

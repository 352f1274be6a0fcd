// Claim: BpfMap's single operations run at ≥ 0.7× the speed of C making the same bpf() calls,
// and a batch dump of a 100k-entry hash at ≥ 0.8×. Both sides use the same maps in one run.
// Run: npm run build && node dist/bench/map-ops.js   (as root)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfMap } from '../src/map.js';

const N = Number(process.env.N ?? 1_000_000);
const ENTRIES = 100_000;
const dir = mkdtempSync(join(tmpdir(), 'bpfkit-bench-'));
const src = new URL('../../bench/c/map-ops.c', import.meta.url).pathname;
const bin = join(dir, 'map-ops');
execFileSync('cc', ['-O2', '-o', bin, src]);

using small = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1024 });
using big = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: ENTRIES });
for (let k = 0; k < 1024; k++) small.update(k, BigInt(k));
const keys = Array.from({ length: ENTRIES }, (_, i) => i);
big.updateBatch(keys, keys.map((k) => BigInt(k)));
const pinSmall = `/sys/fs/bpf/bpfkit_bench_small_${process.pid}`;
const pinBig = `/sys/fs/bpf/bpfkit_bench_big_${process.pid}`;
small.pin(pinSmall);
big.pin(pinBig);

function bpfkitRun(): [number, number, number] {
  const keyBufs = Array.from({ length: 1024 }, (_, i) => { const b = Buffer.alloc(4); b.writeUInt32LE(i); return b; });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) small.lookup(keyBufs[i & 1023]);
  const t1 = process.hrtime.bigint();
  const value = Buffer.alloc(8);
  for (let i = 0; i < N; i++) {
    value.writeUInt32LE(i);
    small.update(keyBufs[i & 1023], value);
  }
  const t2 = process.hrtime.bigint();
  const { count } = big.lookupBatchRaw({ batchSize: 4096 });
  const t3 = process.hrtime.bigint();
  if (count !== ENTRIES) throw new Error(`batch dump returned ${count} entries`);
  const s = (a: bigint, b: bigint) => Number(b - a) / 1e9;
  return [N / s(t0, t1), N / s(t1, t2), ENTRIES / s(t2, t3)];
}

try {
  bpfkitRun(); // warm up the JIT
  const ours = bpfkitRun();
  const [cl, cu, cb, ctotal] = execFileSync(bin, [pinSmall, String(N), pinBig], { encoding: 'utf8' }).trim().split(' ').map(Number);
  if (ctotal !== ENTRIES) throw new Error(`C batch dump returned ${ctotal} entries`);
  const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M/s`;
  console.log(`lookup:      bpfkit ${fmt(ours[0])}  C ${fmt(cl)}  ratio ${(ours[0] / cl).toFixed(2)} (goal >= 0.7)`);
  console.log(`update:      bpfkit ${fmt(ours[1])}  C ${fmt(cu)}  ratio ${(ours[1] / cu).toFixed(2)} (goal >= 0.7)`);
  console.log(`batch dump:  bpfkit ${fmt(ours[2])}  C ${fmt(cb)}  ratio ${(ours[2] / cb).toFixed(2)} (goal >= 0.8)`);
  console.log(`ratio (bpfkit / C, lowest of the three): ${Math.min(ours[0] / cl, ours[1] / cu, ours[2] / cb).toFixed(2)}`);
} finally {
  rmSync(pinSmall, { force: true });
  rmSync(pinBig, { force: true });
  rmSync(dir, { recursive: true, force: true });
}

// Claim: bpfkit compiles big tcpdump filters much faster than libpcap, into programs no longer.
//   compile time of "host 10.0.0.1 or host 10.0.0.2 or ..." (100, 500, 1000 hosts): bpfkit's
//   compileFilter vs `tcpdump -d -y EN10MB` (libpcap), in one run;
//   mean instruction count over the TESTrun corpus vs libpcap 1.10.3's optimized programs.
// Usage: node --import tsx bench/filter.ts [--hosts 100,500,1000]
// Prints the ratio (bpfkit ÷ libpcap) of the 500-host compile time last.
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { compileFilter } from '../src/cbpf/index.js';

function hostList(n: number): string {
  return Array.from({ length: n }, (_, i) => `host 10.0.${i >> 8}.${i & 255}`).join(' or ');
}

function timeBpfkit(expr: string): { ms: number; insns: number } {
  const t0 = performance.now();
  const prog = compileFilter(expr);
  return { ms: performance.now() - t0, insns: prog.length };
}

function timeTcpdump(expr: string): { ms: number; insns: number } {
  const t0 = performance.now();
  const r = spawnSync('tcpdump', ['-d', '-y', 'EN10MB', expr], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`tcpdump failed: ${r.stderr}`);
  return { ms, insns: r.stdout.split('\n').filter(Boolean).length };
}

function findPeer(): string | undefined {
  for (const rel of ['../../shared/peer/', '../../../shared/peer/']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(p, 'libpcap'))) return p;
  }
  return undefined;
}

function main(): void {
  const arg = process.argv.indexOf('--hosts');
  const sizes = arg >= 0 ? process.argv[arg + 1].split(',').map(Number) : [100, 500, 1000];
  // Warm the JIT so the first size is not charged for it (libpcap is native code).
  for (let i = 0; i < 3; i++) compileFilter(hostList(50));

  const ratios = new Map<number, number>();
  console.log('hosts  bpfkit ms  libpcap ms  ratio   insns (bpfkit/libpcap)');
  for (const n of sizes) {
    const expr = hostList(n);
    const ours = timeBpfkit(expr);
    const theirs = timeTcpdump(expr);
    const ratio = ours.ms / theirs.ms;
    ratios.set(n, ratio);
    console.log(`${String(n).padStart(5)}  ${ours.ms.toFixed(0).padStart(9)}  ${theirs.ms.toFixed(0).padStart(10)}  ${ratio.toFixed(3).padStart(5)}   ${ours.insns}/${theirs.insns}`);
  }

  const peer = findPeer();
  if (peer) {
    const oracle = JSON.parse(readFileSync(join(peer, 'libpcap/oracle-libpcap-1.10.3/TESTrun.inputs.compiled.json'), 'utf8'));
    const types = new Set(['EN10MB', 'RAW', 'LINUX_SLL', 'LINUX_SLL2', 'NULL', 'LOOP', 'IPV4', 'IPV6']);
    let ours = 0;
    let theirs = 0;
    let count = 0;
    for (const a of oracle.accept) {
      if (!types.has(a.DLT) || !a.optimize || !a.lines) continue;
      const netmask = a.netmask ? a.netmask.split('.').reduce((x: number, y: string) => (x * 256 + Number(y)) >>> 0, 0) : 0xffffffff;
      try {
        ours += compileFilter(a.expr, { linktype: a.DLT, snaplen: a.snaplen, netmask }).length;
      } catch {
        continue;
      }
      theirs += a.lines.length;
      count++;
    }
    console.log(`mean instructions over ${count} corpus filters: bpfkit ${(ours / count).toFixed(2)}, libpcap ${(theirs / count).toFixed(2)}, ratio ${(ours / theirs).toFixed(3)}`);
  }
  const key = ratios.has(500) ? 500 : sizes[sizes.length - 1];
  console.log(`ratio (bpfkit ÷ libpcap) compile time at ${key} hosts: ${ratios.get(key)!.toFixed(3)}`);
}

main();

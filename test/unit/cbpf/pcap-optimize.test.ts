// The optimizer's data structures (dominator trees, value tables) against plain definitions,
// and big filters, whose programs the fast paths (fold index, remembered stretches) shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomTree } from '../../../src/cbpf/pcap/domtree.js';
import { TripleTable } from '../../../src/cbpf/pcap/triple-table.js';
import { Chains, type Variant } from '../../../src/cbpf/pcap/chains.js';
import type { Block } from '../../../src/cbpf/pcap/ir.js';
import { compileFilter, runCbpf } from '../../../src/cbpf/index.js';
import { mulberry32 } from '../../../scripts/prng.js';
import { syntheticEthernet } from '../../../scripts/conformance/libpcap.js';

test('DomTree.lca is the deepest common ancestor, also far down long chains', () => {
  const rand = mulberry32(7);
  for (const size of [2, 10, 200, 3000]) {
    const t = new DomTree(size);
    const parent = new Int32Array(size);
    t.setRoot(0);
    parent[0] = 0;
    for (let v = 1; v < size; v++) {
      // Mostly chains (the shape of big filters), sometimes a jump back up.
      parent[v] = rand() < 0.8 ? v - 1 : Math.floor(rand() * v);
      t.setParent(v, parent[v]);
    }
    const ancestors = (v: number) => {
      const out = [v];
      while (v !== 0) out.push((v = parent[v]));
      return out;
    };
    for (let i = 0; i < 300; i++) {
      const a = Math.floor(rand() * size);
      const b = Math.floor(rand() * size);
      const inB = new Set(ancestors(b));
      const want = ancestors(a).find((x) => inB.has(x));
      assert.equal(t.lca(a, b), want, `size ${size}: lca(${a}, ${b})`);
      assert.equal(t.depth[a], ancestors(a).length - 1);
    }
  }
});

test('TripleTable behaves as a map keyed by three 32-bit numbers, across growth and clear', () => {
  const rand = mulberry32(11);
  const t = new TripleTable(4);
  for (let round = 0; round < 3; round++) {
    const ref = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      // Few distinct values per part, so that keys collide in two parts out of three.
      const a = Math.floor(rand() * 40) * 0x01000193;
      const b = Math.floor(rand() * 40) >>> 0;
      const c = rand() < 0.5 ? 0 : 0xffffffff - Math.floor(rand() * 40);
      const key = `${a >>> 0},${b},${c >>> 0}`;
      if (rand() < 0.6) {
        const v = 1 + Math.floor(rand() * 1e6);
        t.set(a, b, c, v);
        ref.set(key, v);
      }
      assert.equal(t.get(a, b, c), ref.get(key) ?? 0, key);
    }
    assert.equal(t.size, ref.size);
    t.clear();
    assert.equal(t.size, 0);
    for (const key of ref.keys()) {
      const [a, b, c] = key.split(',').map(Number);
      assert.equal(t.get(a, b, c), 0);
    }
  }
});

test('Chains: remembered stretches stay true to the graph while successors are rewritten', () => {
  const rand = mulberry32(3);
  const n = 400;
  // Successors only point to higher ids (a DAG); few targets and A values, so keys repeat and
  // long same-key stretches form.
  const blocks = Array.from({ length: n }, (_, id) => {
    const val = new Uint32Array(18);
    val[16] = 1 + Math.floor(rand() * 2);
    return { id, val, et: { succ: null }, ef: { succ: null } } as unknown as Block;
  });
  const target = (x: number) => {
    if (x >= n - 3 || rand() < 0.02) return null;
    return blocks[rand() < 0.9 ? x + 1 : x + 1 + Math.floor(rand() * (n - x - 1))];
  };
  for (const b of blocks) {
    b.ef.succ = target(b.id);
    b.et.succ = b.ef.succ ? blocks[n - 1 - Math.floor(rand() * 2)] : null;
  }
  const pre = Int32Array.from({ length: n }, () => Math.floor(rand() * 1000));
  const reached = Int32Array.from({ length: n }, () => (rand() < 0.95 ? 7 : 0));
  const chains = new Chains(n);
  chains.begin(blocks, pre, reached, 7);
  const succ = (v: Variant, x: number) => (v ? chains.succT[x] : chains.succF[x]);
  const key = (v: Variant, x: number) => `${v ? chains.succF[x] : chains.succT[x]},${chains.aval[x]}`;
  for (let step = 0; step < 4000; step++) {
    if (rand() < 0.3) {
      // Rewrite a successor, as a pullup does, keeping the graph a DAG.
      const x = Math.floor(rand() * (n - 3));
      const t = rand() < 0.5;
      const y = rand() < 0.1 ? -1 : x + 1 + Math.floor(rand() * Math.min(5, n - x - 1));
      if (t) blocks[x].et.succ = y < 0 ? null : blocks[y];
      else blocks[x].ef.succ = y < 0 ? null : blocks[y];
      chains.setSucc(x, t, y);
      continue;
    }
    const v: Variant = rand() < 0.5 ? 0 : 1;
    const d = Math.floor(rand() * n);
    chains.run(v, d);
    // Walk the stretch by hand: same key all along, last is the block before skip.
    let x = d;
    let mn = 0x7fffffff;
    let mx = -1;
    for (;;) {
      assert.equal(key(v, x), key(v, d), `step ${step}: block ${x} in the stretch of ${d} has another key`);
      if (reached[x] === 7) {
        mn = Math.min(mn, pre[x]);
        mx = Math.max(mx, pre[x]);
      }
      if (x === chains.last[v][d]) break;
      x = succ(v, x);
      assert.ok(x >= 0, `step ${step}: the stretch of ${d} runs off the graph`);
    }
    assert.equal(chains.skip[v][d], succ(v, x), `step ${step}: skip of ${d}`);
    assert.equal(chains.min[v][d], mn, `step ${step}: min of ${d}`);
    assert.equal(chains.max[v][d], mx, `step ${step}: max of ${d}`);
  }
});

const ipv4Frame = (src: number[], dst: number[]) =>
  Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, ...src, ...dst,
    0, 80, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
const arpFrame = (spa: number[], tpa: number[]) =>
  Uint8Array.from([255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1,
    2, 0, 0, 0, 0, 1, ...spa, 0, 0, 0, 0, 0, 0, ...tpa]);

test('a filter of 600 hosts matches exactly those hosts, as source, destination or ARP address', () => {
  const n = 600;
  const addr = (i: number) => [10, 0, i >> 8, i & 255];
  const prog = compileFilter(Array.from({ length: n }, (_, i) => `host ${addr(i).join('.')}`).join(' or '));
  const other = [10, 0, 9, 9];
  for (let i = 0; i < n + 40; i++) {
    const want = i < n;
    assert.equal(runCbpf(prog, ipv4Frame(addr(i), other)) !== 0, want, `ip src ${addr(i).join('.')}`);
    assert.equal(runCbpf(prog, ipv4Frame(other, addr(i))) !== 0, want, `ip dst ${addr(i).join('.')}`);
    assert.equal(runCbpf(prog, arpFrame(other, addr(i))) !== 0, want, `arp tpa ${addr(i).join('.')}`);
  }
  assert.equal(runCbpf(prog, ipv4Frame(other, other)), 0);
});

test('optimized and unoptimized big filters agree on every packet of a corpus', () => {
  const frames = syntheticEthernet();
  const list = (n: number, f: (i: number) => string, op = ' or ') => Array.from({ length: n }, (_, i) => f(i)).join(op);
  const exprs = [
    list(120, (i) => `port ${i * 7}`),
    list(80, (i) => `not host 10.${i}.0.1`, ' and '),
    list(40, (i) => `(src net 10.${i}.0.0/16 and tcp dst port ${i + 1})`),
    list(30, (i) => `(udp port ${i + 50} or ip6 host fe80::${i + 1})`),
    list(25, (i) => `(tcp[13] & ${1 << (i % 8)} != 0 and portrange ${i}-${i + 30})`),
  ];
  for (const expr of exprs) {
    const a = compileFilter(expr);
    const b = compileFilter(expr, { optimize: false });
    assert.ok(a.length < b.length, 'the optimizer shrinks the program');
    // The unoptimized program loads fields the optimized one may skip; compare on whole frames.
    for (const f of frames) assert.equal(runCbpf(a, f) !== 0, runCbpf(b, f) !== 0, `${expr.slice(0, 60)}...`);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFlameTree, layoutFlameTree, type FlameNode } from '../../../src/viz/flame-tree.js';
import { renderFlameGraph, frameColor } from '../../../src/viz/flamegraph-svg.js';
import { renderFlameGraphHtml } from '../../../src/viz/flamegraph-html.js';
import { flameGraphScript } from '../../../src/viz/flamegraph-script.js';
import { stackFormatOf, renderStacks } from '../../../src/viz/output.js';
import { parseFolded, totalValue, type FoldedStack } from '../../../src/viz/folded.js';
import { checkWellFormed } from './xml-check.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

function randomStacks(seed: number, n: number): FoldedStack[] {
  const r = rng(seed);
  const names = ['main', 'run', 'parse', 'emit', 'read', 'write', 'sys_read_[k]', 'JS:*hot_[j]', 'a<b>&"c"'];
  return Array.from({ length: n }, () => ({
    frames: ['proc', ...Array.from({ length: 1 + Math.floor(r() * 6) }, () => names[Math.floor(r() * names.length)])],
    value: 1 + Math.floor(r() * 50),
  }));
}

interface SvgFrame { name: string; x: number; v: number; d: number; rectX: number; width: number }

function svgFrames(svg: string): SvgFrame[] {
  const re = /<g class="frame" data-n="([^"]*)" data-x="([\d.]+)" data-v="([\d.]+)" data-d="(\d+)"><title>[^<]*<\/title><rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g;
  const out: SvgFrame[] = [];
  for (const m of svg.matchAll(re)) out.push({ name: m[1], x: +m[2], v: +m[3], d: +m[4], rectX: +m[5], width: +m[6] });
  return out;
}

test('tree values add up: every node is its self value plus its children', () => {
  const stacks = randomStacks(7, 300);
  const root = buildFlameTree(stacks);
  assert.equal(root.value, totalValue(stacks));
  const check = (n: FlameNode): void => {
    let sum = n.self;
    for (const c of n.children.values()) { sum += c.value; check(c); }
    assert.equal(sum, n.value, n.name);
  };
  check(root);
});

test('layout nests children inside their parent, side by side', () => {
  const { rects } = layoutFlameTree(buildFlameTree(randomStacks(11, 200)));
  // Rects are in depth-first order: a rect's parent is the nearest earlier rect one level down.
  const parents: typeof rects = [];
  for (const r of rects) {
    parents.length = r.depth;
    if (r.depth > 0) {
      const p = parents[r.depth - 1];
      assert.ok(r.x >= p.x && r.x + r.value <= p.x + p.value, `${r.name} inside ${p.name}`);
    }
    parents[r.depth] = r;
  }
  const siblings = new Map<string, [number, number][]>();
  for (const r of rects) {
    const key = `${r.depth}`;
    const list = siblings.get(key) ?? [];
    for (const [a, b] of list) assert.ok(r.x >= b || r.x + r.value <= a, 'no two frames of one level overlap');
    list.push([r.x, r.x + r.value]);
    siblings.set(key, list);
  }
});

test('frame widths are proportional to their values; the hot function is three times the cold one', () => {
  const stacks = parseFolded('p;main;hot;spin 300\np;main;cold;spin 100\np;main 4\n');
  const svg = renderFlameGraph(stacks, { width: 1200 });
  const frames = svgFrames(svg);
  const hot = frames.find((f) => f.name === 'hot')!;
  const cold = frames.find((f) => f.name === 'cold')!;
  const all = frames.find((f) => f.d === 0)!;
  assert.equal(all.v, 404);
  assert.ok(Math.abs(hot.width / cold.width - 3) < 0.01);
  assert.ok(Math.abs(all.width - 1180) < 0.01, 'the root spans the width less the margins');
  for (const f of frames) assert.ok(Math.abs(f.width - (f.v / 404) * 1180) < 0.01, f.name);
  // Children sit on the parent's left edge, in name order: cold before hot.
  assert.ok(cold.rectX < hot.rectX);
});

test('the SVG is well-formed, escapes names, and carries its script and controls', () => {
  const stacks = randomStacks(3, 100);
  const svg = renderFlameGraph(stacks, { title: 'T & <title>', subtitle: 'sub' });
  checkWellFormed(svg);
  assert.ok(svg.includes('data-n="a&lt;b&gt;&amp;&quot;c&quot;"'));
  assert.ok(!svg.includes('a<b>'));
  for (const cls of ['details', 'reset-zoom', 'search-btn', 'matched']) assert.ok(svg.includes(`class="${cls}`) || svg.includes(`${cls}"`), cls);
  assert.ok(!flameGraphScript.includes(']]>'), 'the script can sit in CDATA');
  assert.ok(svg.startsWith('<?xml'));
  // The script is plain JavaScript: it compiles.
  assert.doesNotThrow(() => new Function(flameGraphScript));
});

test('frames narrower than minWidth pixels are left out with their children', () => {
  const stacks: FoldedStack[] = [{ frames: ['p', 'big'], value: 100000 }, { frames: ['p', 'tiny', 'child'], value: 1 }];
  const names = (svg: string) => svgFrames(svg).map((f) => f.name);
  assert.ok(!names(renderFlameGraph(stacks, { minWidth: 0.1 })).includes('tiny'));
  const all = names(renderFlameGraph(stacks, { minWidth: 0 }));
  assert.ok(all.includes('tiny') && all.includes('child'));
});

test('colours: stable per function, kernel and JIT frames in their own hues', () => {
  assert.equal(frameColor('foo'), frameColor('foo'));
  const rgb = (s: string) => s.match(/\d+/g)!.map(Number);
  for (const n of ['vfs_read_[k]', 'do_syscall_64_[k]']) {
    const [r, g, b] = rgb(frameColor(n));
    assert.ok(r >= 215 && g >= 120 && g <= 180 && b <= 20, `kernel orange ${n}`);
  }
  for (const n of ['JS:*hot_[j]', 'Builtins_Call_[j]']) {
    const [r, g, b] = rgb(frameColor(n));
    assert.ok(g > r && g > b, `JIT green ${n}`);
  }
  const [r, , b] = rgb(frameColor('x', 'io'));
  assert.ok(b > r, 'off-CPU blues');
});

test('the HTML page inlines the SVG under a search box', () => {
  const html = renderFlameGraphHtml(randomStacks(5, 50), { title: 'CPU <x>' });
  checkWellFormed(html, { html: true });
  assert.equal(html.match(/<svg /g)?.length, 1);
  assert.ok(!html.includes('<?xml'), 'no XML prolog inside HTML');
  assert.ok(html.includes('id="flamegraph-search"'));
  assert.ok(html.includes('data-embedded'));
  assert.ok(html.includes('<title>CPU &lt;x&gt;</title>'));
});

test('the output format follows the file extension', () => {
  assert.equal(stackFormatOf('a.folded'), 'folded');
  assert.equal(stackFormatOf('/x/y.SVG'), 'svg');
  assert.equal(stackFormatOf('p.html'), 'html');
  assert.equal(stackFormatOf('p.png'), undefined);
  const stacks = parseFolded('a;b 2\n');
  assert.equal(renderStacks(stacks, 'folded'), 'a;b 2\n');
  assert.ok(renderStacks(stacks, 'svg').includes('<svg'));
  assert.ok(renderStacks(stacks, 'html').startsWith('<!DOCTYPE html>'));
});

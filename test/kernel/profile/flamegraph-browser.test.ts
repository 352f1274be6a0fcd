// The flame graph of a real profile, opened in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core): it renders, the hot function's frame is the widest of its level on screen,
// clicking zooms, Search highlights, and the HTML page's search box filters as you type.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profile } from '../../../src/profile/profile.js';
import { renderFlameGraph } from '../../../src/viz/flamegraph-svg.js';
import { renderFlameGraphHtml } from '../../../src/viz/flamegraph-html.js';
import { need, needRoot, needTool } from '../../helpers/env.js';
import { BUSY_C, Workloads, weightOf } from './workloads.js';

// Browser globals used inside page.evaluate callbacks (they run in Chromium); declared here, in this
// module only, because the project compiles without the DOM library.
interface BrowserElement {
  getBoundingClientRect(): { x: number; y: number; width: number; height: number };
  getAttribute(name: string): string | null;
  parentNode: BrowserElement & { style: { display: string } };
}
interface BrowserCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { drawImage(img: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
declare const document: { querySelector(selector: string): unknown; querySelectorAll(selector: string): Iterable<BrowserElement> };
declare const Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };

// The few playwright-core calls used here, typed locally so the test compiles without the package.
interface Locator {
  click(): Promise<void>;
  getAttribute(name: string): Promise<string | null>;
  textContent(): Promise<string | null>;
  evaluate<R>(fn: (el: BrowserElement) => R): Promise<R>;
  fill(text: string): Promise<void>;
}
interface Dialog { accept(text?: string): Promise<void> }
interface Page {
  goto(url: string): Promise<unknown>;
  locator(selector: string): Locator;
  screenshot(opts?: { path?: string }): Promise<Buffer>;
  evaluate<R, A>(fn: (arg: A) => R, arg: A): Promise<R>;
  once(event: 'dialog', fn: (d: Dialog) => void): void;
  on(event: 'pageerror', fn: (e: Error) => void): void;
  setContent(html: string): Promise<void>;
}
interface Context { newPage(): Promise<Page>; close(): Promise<void> }
interface Playwright {
  chromium: { launchPersistentContext(dir: string, opts: Record<string, unknown>): Promise<Context> };
}

async function loadPlaywright(t: TestContext): Promise<Playwright | undefined> {
  const name = 'playwright-core';
  try {
    return (await import(name)) as Playwright;
  } catch {
    need(t, false, 'needs the playwright-core package (npm install playwright-core)');
    return undefined;
  }
}

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Pixel colours of a PNG, decoded by the browser itself in a blank page. */
async function pixelsOf(page: Page, png: Buffer, points: { x: number; y: number }[]): Promise<{ frameShare: number; magenta: number; at: number[][] }> {
  await page.setContent('<canvas></canvas>');
  return page.evaluate(async ({ data, points }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const c = document.querySelector('canvas') as BrowserCanvas;
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, img.width, img.height).data;
    let warm = 0;
    let magenta = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i] >= 200 && px[i + 2] <= 60) warm++;
      if (px[i] === 230 && px[i + 1] === 0 && px[i + 2] === 230) magenta++;
    }
    const at = points.map((p) => {
      const i = (Math.round(p.y) * img.width + Math.round(p.x)) * 4;
      return [px[i], px[i + 1], px[i + 2]];
    });
    return { frameShare: warm / (px.length / 4), magenta, at };
  }, { data: png.toString('base64'), points });
}

async function box(page: Page, name: string): Promise<{ x: number; y: number; width: number; visible: boolean }> {
  return page.locator(`g.frame[data-n="${name}"] rect`).evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { x: r.x, y: r.y + r.height / 2, width: r.width, visible: el.parentNode.style.display !== 'none' };
  });
}

test('the SVG flame graph renders in Chromium; zoom and search work', async (t) => {
  if (!needRoot(t) || !needTool(t, 'cc') || !needTool(t, 'chromium')) return;
  const pw = await loadPlaywright(t);
  if (!pw) return;
  const w = new Workloads();
  const profileDir = mkdtempSync(join(tmpdir(), 'bpfkit-chromium-'));
  let ctx: Context | undefined;
  try {
    const child = w.start(w.compile('busy', BUSY_C));
    const p = await profile({ pid: child.pid!, frequency: 999, duration: 2 });
    w.dispose();
    const svgPath = join(profileDir, 'cpu.svg');
    const htmlPath = join(profileDir, 'cpu.html');
    writeFileSync(svgPath, renderFlameGraph(p.stacks, { title: 'busy' }));
    writeFileSync(htmlPath, renderFlameGraphHtml(p.stacks, { title: 'busy' }));

    ctx = await pw.chromium.launchPersistentContext(join(profileDir, 'user-data'), {
      executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 400 },
    });
    const page = await ctx.newPage();
    const errors: Error[] = [];
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(`file://${svgPath}`);

    // Rendered: the screenshot is mostly frame colours where frames are, and the hot frame's
    // pixels are its fill.
    const hot = await box(page, 'hot');
    const cold = await box(page, 'cold');
    const shot = await page.screenshot({ path: join(profileDir, 'cpu.png') });
    const fill = await page.locator('g.frame[data-n="hot"] rect').getAttribute('fill');
    const scratch = await ctx.newPage();
    const seen = await pixelsOf(scratch, shot, [{ x: hot.x + hot.width / 2, y: hot.y }]);
    assert.ok(seen.frameShare > 0.05, `frames are drawn (${(seen.frameShare * 100).toFixed(1)}% of pixels)`);
    assert.equal(`rgb(${seen.at[0].join(',')})`, fill, 'the hot frame is painted with its colour');

    // The hot frame is the widest of its level (the functions main calls).
    const level = await page.locator('g.frame[data-n="hot"]').getAttribute('data-d');
    const widths = await page.evaluate((d) => [...document.querySelectorAll(`g.frame[data-d="${d}"] rect`)].map((r) => ({
      name: r.parentNode.getAttribute('data-n'), width: r.getBoundingClientRect().width })), level);
    const widest = widths.reduce((a, b) => (b.width > a.width ? b : a));
    assert.equal(widest.name, 'hot', JSON.stringify(widths));
    assert.ok(Math.abs(hot.width / cold.width / 3 - 1) < 0.1, `hot is ~3× cold on screen (${(hot.width / cold.width).toFixed(2)})`);

    // Click to zoom: cold fills the width, hot is hidden, main is drawn as a faded ancestor.
    await page.locator('g.frame[data-n="cold"] rect').click();
    const zoomed = await box(page, 'cold');
    const all = await box(page, 'all');
    assert.ok(Math.abs(zoomed.width - all.width) < 1, `zoomed cold spans the graph (${zoomed.width} vs ${all.width})`);
    assert.equal((await box(page, 'hot')).visible, false);
    assert.match((await page.locator('g.frame[data-n="main"]').getAttribute('class')) ?? '', /parent/);
    await page.locator('.reset-zoom').click();
    const back = await box(page, 'hot');
    assert.ok(back.visible && Math.abs(back.width - hot.width) < 0.5, 'Reset Zoom restores the layout');

    // Search: the prompt takes a regular expression; matches turn magenta and their share shows.
    page.once('dialog', (d) => { void d.accept('^hot$'); });
    await page.locator('.search-btn').click();
    assert.equal(await page.locator('g.frame[data-n="hot"] rect').getAttribute('fill'), 'rgb(230,0,230)');
    assert.notEqual(await page.locator('g.frame[data-n="cold"] rect').getAttribute('fill'), 'rgb(230,0,230)');
    const share = (100 * weightOf(p.stacks, 'hot')) / p.total;
    assert.equal(await page.locator('.matched').textContent(), `Matched: ${share.toFixed(2)}%`);
    const searched = await pixelsOf(scratch, await page.screenshot(), []);
    assert.ok(searched.magenta > 100, 'the highlight is on screen');

    // The HTML page: typing in its search box highlights as you type.
    await page.goto(`file://${htmlPath}`);
    await page.locator('#flamegraph-search').fill('col');
    assert.equal(await page.locator('g.frame[data-n="cold"] rect').getAttribute('fill'), 'rgb(230,0,230)');
    assert.notEqual(await page.locator('g.frame[data-n="hot"] rect').getAttribute('fill'), 'rgb(230,0,230)');
    await page.locator('g.frame[data-n="hot"] rect').click();
    assert.equal((await box(page, 'cold')).visible, false, 'zoom works in the page too');
    assert.deepEqual(errors.map((e) => e.message), [], 'no script errors');
  } finally {
    await ctx?.close();
    w.dispose();
    rmSync(profileDir, { recursive: true, force: true });
  }
});

// A self-contained interactive flame graph in one SVG file: the frames, their colours, and a small
// script (hover for details, click to zoom, Search to highlight, Reset Zoom). It follows the look and
// conventions of flamegraph.pl — root at the bottom, alphabetical siblings, `_[k]` kernel and `_[j]`
// JIT frames coloured apart — but is our own drawing and code.
import { buildFlameTree, layoutFlameTree } from './flame-tree.js';
import { flameGraphScript } from './flamegraph-script.js';
import { escapeXml, num } from './xml.js';
import type { FoldedStack } from './folded.js';

export type FlamePalette = 'hot' | 'io' | 'mem';

export interface FlameGraphOptions {
  title?: string;
  subtitle?: string;
  /** Image width in pixels (default 1200). */
  width?: number;
  /** Height of one frame (default 16). */
  frameHeight?: number;
  fontSize?: number;
  /** Frames narrower than this many pixels are left out (default 0.1, as flamegraph.pl). */
  minWidth?: number;
  /** What the values count (default 'samples'; off-CPU graphs use 'us'). */
  unit?: string;
  /** 'hot' for CPU (default), 'io' (blues) for off-CPU time, 'mem' (greens). */
  palette?: FlamePalette;
  /** Name of the bottom frame (default 'all'). */
  rootName?: string;
  /** For an SVG placed inside an HTML page: no XML prolog, no keyboard shortcut of its own. */
  embedded?: boolean;
}

const FONT_WIDTH = 0.59; // average glyph width / font size for Verdana, as flamegraph.pl assumes

/** A stable number in [0, 1) from a string (FNV-1a), so a function keeps its colour across graphs. */
function hash01(s: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 0x100000000;
}

/** The fill of a frame: kernel orange, JIT green, native warm (or blues/greens by palette). */
export function frameColor(name: string, palette: FlamePalette = 'hot'): string {
  // Colour by function, not by module or annotation, so the same function keeps its hue.
  const base = name.replace(/_\[[kjiw]\]$/, '');
  const v1 = hash01(base, 1);
  const v2 = hash01(base, 2);
  let r: number, g: number, b: number;
  if (palette === 'io') {
    r = 80 + 60 * v1; g = 80 + 60 * v1; b = 190 + 55 * v2;
  } else if (palette === 'mem') {
    r = 0; g = 190 + 50 * v2; b = 210 * v1;
  } else if (name.endsWith('_[k]')) {
    r = 215 + 40 * v1; g = 120 + 60 * v2; b = 20 * v1;
  } else if (name.endsWith('_[j]')) {
    r = 50 + 60 * v1; g = 170 + 60 * v2; b = 50 + 60 * v1;
  } else {
    r = 205 + 50 * v2; g = 230 * v1; b = 55 * v2;
  }
  return `rgb(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
}

function label(name: string, width: number, fontSize: number): string {
  const n = Math.floor((width - 6) / (fontSize * FONT_WIDTH));
  if (n < 3) return '';
  return name.length <= n ? name : `${name.slice(0, n - 2)}..`;
}

function fmtValue(v: number): string {
  return (Math.round(v * 100) / 100).toLocaleString('en-US');
}

export function renderFlameGraph(stacks: Iterable<FoldedStack>, opts: FlameGraphOptions = {}): string {
  const width = opts.width ?? 1200;
  const fh = opts.frameHeight ?? 16;
  const fontSize = opts.fontSize ?? 12;
  const unit = opts.unit ?? 'samples';
  const palette = opts.palette ?? 'hot';
  const title = opts.title ?? 'Flame Graph';
  const xpad = 10;
  const ypadTop = fontSize * 3 + (opts.subtitle ? fontSize * 1.5 : 0);
  const ypadBottom = fontSize * 2 + 10;

  const root = buildFlameTree(stacks, opts.rootName ?? 'all');
  const total = root.value;
  const usable = width - 2 * xpad;
  const scale = total > 0 ? usable / total : 0;
  const minValue = total > 0 ? (opts.minWidth ?? 0.1) / scale : 0;
  const { rects, maxDepth } = layoutFlameTree(root, minValue);
  const height = (maxDepth + 1) * fh + ypadTop + ypadBottom;

  const out: string[] = [];
  if (!opts.embedded) {
    out.push('<?xml version="1.0" standalone="no"?>\n');
    out.push('<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n');
  }
  out.push(
    `<svg version="1.1" class="flamegraph" width="${width}" height="${num(height)}" viewBox="0 0 ${width} ${num(height)}" ` +
      `xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
      `data-width="${width}" data-xpad="${xpad}" data-total="${total}" data-unit="${escapeXml(unit)}" ` +
      `data-font-width="${num(fontSize * FONT_WIDTH)}"${opts.embedded ? ' data-embedded=""' : ''}>\n`,
  );
  out.push(
    '<defs><linearGradient id="fg-background" y1="0" y2="1" x1="0" x2="0">' +
      '<stop stop-color="#eeeeee" offset="5%"/><stop stop-color="#eeeeb0" offset="95%"/></linearGradient></defs>\n',
  );
  out.push(
    `<style type="text/css">` +
      `text { font-family: Verdana, sans-serif; font-size: ${fontSize}px; fill: rgb(0,0,0); }` +
      ` .title { font-size: ${fontSize + 5}px; }` +
      ` .button { cursor: pointer; fill: rgb(40,40,160); }` +
      ` .button:hover { text-decoration: underline; }` +
      ` g.frame { cursor: pointer; }` +
      ` g.frame text { pointer-events: none; }` +
      ` g.frame:hover rect { stroke: black; stroke-width: 0.5; }` +
      ` g.parent { opacity: 0.5; }` +
      `</style>\n`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${num(height)}" fill="url(#fg-background)"/>\n`);
  out.push(`<text class="title" x="${width / 2}" y="${fontSize * 2}" text-anchor="middle">${escapeXml(title)}</text>\n`);
  if (opts.subtitle) {
    out.push(`<text class="subtitle" x="${width / 2}" y="${num(fontSize * 3.5)}" text-anchor="middle" fill="rgb(160,160,160)">${escapeXml(opts.subtitle)}</text>\n`);
  }
  out.push(`<text class="details" x="${xpad}" y="${num(height - fontSize / 2 - 2)}"> </text>\n`);
  out.push(`<text class="button reset-zoom" x="${xpad}" y="${fontSize * 2}" style="display:none">Reset Zoom</text>\n`);
  out.push(`<text class="button search-btn" x="${width - xpad}" y="${fontSize * 2}" text-anchor="end">Search</text>\n`);
  out.push(`<text class="matched" x="${width - xpad}" y="${num(height - fontSize / 2 - 2)}" text-anchor="end"> </text>\n`);

  out.push('<g class="frames">\n');
  for (const r of rects) {
    const x = xpad + r.x * scale;
    const w = r.value * scale;
    const y = height - ypadBottom - (r.depth + 1) * fh;
    const fill = r.depth === 0 ? 'rgb(200,200,200)' : frameColor(r.name, palette);
    const pct = total > 0 ? ((100 * r.value) / total).toFixed(2) : '0.00';
    const name = escapeXml(r.name);
    out.push(
      `<g class="frame" data-n="${name}" data-x="${r.x}" data-v="${r.value}" data-d="${r.depth}">` +
        `<title>${name} (${fmtValue(r.value)} ${escapeXml(unit)}, ${pct}%)</title>` +
        `<rect x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${fh - 1}" fill="${fill}" rx="2" ry="2"/>` +
        `<text x="${num(x + 3)}" y="${num(y + fh - 5)}">${escapeXml(label(r.name, w, fontSize))}</text></g>\n`,
    );
  }
  out.push('</g>\n');
  out.push(`<script type="text/ecmascript"><![CDATA[${flameGraphScript}]]></script>\n`);
  out.push('</svg>\n');
  return out.join('');
}

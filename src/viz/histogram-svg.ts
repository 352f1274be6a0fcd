// A histogram as an SVG bar chart laid out like bpftrace's text form: one row per bucket, the bucket
// label on the left, a bar proportional to the count, and the count on the right. Hovering a bar
// shows its count and share (a <title>, so no script is needed).
import { escapeXml, num } from './xml.js';
import type { Histogram } from './histogram.js';

export interface HistogramSvgOptions {
  title?: string;
  /** What the values measure, shown under the title (e.g. 'usecs', 'bytes'). */
  unit?: string;
  /** Image width in pixels (default 800). */
  width?: number;
  /** Height of one bar row (default 18). */
  rowHeight?: number;
  fontSize?: number;
  /** Bar fill (default a blue). */
  color?: string;
}

export function renderHistogramSvg(hist: Histogram, opts: HistogramSvgOptions = {}): string {
  const width = opts.width ?? 800;
  const rowH = opts.rowHeight ?? 18;
  const fontSize = opts.fontSize ?? 12;
  const color = opts.color ?? 'rgb(70,110,190)';
  const buckets = hist.buckets();
  const total = hist.total;
  const maxCount = buckets.reduce((m, b) => Math.max(m, b.count), 0);
  const charW = fontSize * 0.6;
  const labelW = Math.max(6, ...buckets.map((b) => b.label.length)) * charW + 12;
  const countW = Math.max(4, ...buckets.map((b) => String(b.count).length)) * charW + 12;
  const top = (opts.title ? fontSize * 2.5 : fontSize) + (opts.unit ? fontSize * 1.4 : 0);
  const barX = 10 + labelW;
  const barMax = Math.max(20, width - barX - countW - 10);
  const height = top + Math.max(1, buckets.length) * rowH + fontSize;

  const out: string[] = [];
  out.push(
    `<svg version="1.1" class="histogram" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${num(height)}" ` +
      `viewBox="0 0 ${width} ${num(height)}" data-kind="${hist.kind}" data-total="${total}">\n`,
  );
  out.push(`<style type="text/css">text { font-family: Menlo, Consolas, monospace; font-size: ${fontSize}px; fill: rgb(30,30,30); } .title { font-family: Verdana, sans-serif; font-size: ${fontSize + 4}px; } g.bucket:hover rect { fill-opacity: 0.75; }</style>\n`);
  out.push(`<rect x="0" y="0" width="${width}" height="${num(height)}" fill="white"/>\n`);
  if (opts.title) out.push(`<text class="title" x="${width / 2}" y="${num(fontSize * 1.8)}" text-anchor="middle">${escapeXml(opts.title)}</text>\n`);
  if (opts.unit) out.push(`<text class="unit" x="10" y="${num(top - fontSize * 0.4)}" fill="rgb(120,120,120)">${escapeXml(opts.unit)}</text>\n`);
  if (buckets.length === 0) {
    out.push(`<text x="10" y="${num(top + rowH * 0.7)}">(no values)</text>\n`);
  }
  buckets.forEach((b, i) => {
    const y = top + i * rowH;
    const w = maxCount > 0 ? (b.count / maxCount) * barMax : 0;
    const pct = total > 0 ? ((100 * b.count) / total).toFixed(2) : '0.00';
    out.push(
      `<g class="bucket" data-index="${b.index}" data-count="${b.count}">` +
        `<title>${escapeXml(b.label)}: ${b.count} (${pct}%)</title>` +
        `<text x="${num(barX - 8)}" y="${num(y + rowH * 0.72)}" text-anchor="end">${escapeXml(b.label)}</text>` +
        `<rect x="${num(barX)}" y="${num(y + 2)}" width="${num(w)}" height="${rowH - 4}" fill="${color}"/>` +
        `<text x="${num(barX + barMax + 8)}" y="${num(y + rowH * 0.72)}">${b.count}</text></g>\n`,
    );
  });
  out.push('</svg>\n');
  return out.join('');
}

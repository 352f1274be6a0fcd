// Stacks to a file, the format chosen by the file's extension: .folded (or .txt), .svg, .html.
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { formatFolded, type FoldedStack } from './folded.js';
import { renderFlameGraph, type FlameGraphOptions } from './flamegraph-svg.js';
import { renderFlameGraphHtml } from './flamegraph-html.js';

export type StackFormat = 'folded' | 'svg' | 'html';

/** The format for a path, or undefined for an extension we do not write. */
export function stackFormatOf(path: string): StackFormat | undefined {
  switch (extname(path).toLowerCase()) {
    case '.folded':
    case '.txt':
    case '.collapsed':
      return 'folded';
    case '.svg':
      return 'svg';
    case '.html':
    case '.htm':
      return 'html';
    default:
      return undefined;
  }
}

export function renderStacks(stacks: readonly FoldedStack[], format: StackFormat, opts: FlameGraphOptions = {}): string {
  if (format === 'folded') return formatFolded(stacks);
  if (format === 'svg') return renderFlameGraph(stacks, opts);
  return renderFlameGraphHtml(stacks, opts);
}

/** Writes stacks to `path` in the format its extension names; a TypeError for an unknown extension. */
export function writeStacks(path: string, stacks: readonly FoldedStack[], opts: FlameGraphOptions = {}): StackFormat {
  const format = stackFormatOf(path);
  if (!format) throw new TypeError(`cannot tell the output format from '${path}': use a .folded, .svg or .html file name`);
  writeFileSync(path, renderStacks(stacks, format, opts));
  return format;
}

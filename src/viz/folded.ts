// Folded stacks: one line per distinct stack, `root;caller;callee VALUE`, the format Brendan Gregg's
// stackcollapse scripts write and flamegraph.pl, inferno and speedscope read. The value is a sample
// count for CPU profiles and a time (microseconds) for off-CPU profiles.
import { ParseError } from '../sys/errors.js';

export interface FoldedStack {
  /** Outermost frame first. */
  frames: string[];
  value: number;
}

/** Frame names may not hold the separators of the format: ';' between frames, a newline between stacks. */
export function foldFrameName(name: string): string {
  return name.replace(/;/g, ':').replace(/[\r\n]/g, ' ');
}

/** Parses folded text. Blank lines and `#` comments are skipped; the value is the last blank-separated word. */
export function parseFolded(text: string, file?: string): FoldedStack[] {
  const out: FoldedStack[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^(.*\S)\s+(\d+(?:\.\d+)?)\s*$/.exec(line);
    if (!m) {
      throw new ParseError('a folded stack line is "frame;frame;... COUNT"', { file, line: i + 1, column: line.length + 1 }, text);
    }
    out.push({ frames: m[1].split(';'), value: Number(m[2]) });
  }
  return out;
}

/** Adds up equal stacks. */
export function mergeFolded(stacks: Iterable<FoldedStack>): FoldedStack[] {
  const byKey = new Map<string, FoldedStack>();
  for (const s of stacks) {
    const key = s.frames.join(';');
    const cur = byKey.get(key);
    if (cur) cur.value += s.value;
    else byKey.set(key, { frames: s.frames.slice(), value: s.value });
  }
  return [...byKey.values()];
}

/** Folded text, stacks merged and sorted by their text (as stackcollapse prints them), one per line. */
export function formatFolded(stacks: Iterable<FoldedStack>): string {
  const merged = mergeFolded(stacks).filter((s) => s.value > 0);
  const lines = merged.map((s) => ({ key: s.frames.map(foldFrameName).join(';'), value: s.value }));
  lines.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return lines.map((l) => `${l.key} ${l.value}\n`).join('');
}

/** The sum of all values. */
export function totalValue(stacks: Iterable<FoldedStack>): number {
  let t = 0;
  for (const s of stacks) t += s.value;
  return t;
}

/**
 * For each frame name: the value of the stacks it appears in (counted once per stack, so recursion
 * does not count twice) — its "inclusive" weight, what the width of its frames adds up to.
 */
export function inclusiveByName(stacks: Iterable<FoldedStack>): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of stacks) {
    for (const name of new Set(s.frames)) out.set(name, (out.get(name) ?? 0) + s.value);
  }
  return out;
}

/** For each leaf frame name: the value of the stacks ending in it ("self" weight). */
export function selfByName(stacks: Iterable<FoldedStack>): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of stacks) {
    const leaf = s.frames[s.frames.length - 1];
    if (leaf !== undefined) out.set(leaf, (out.get(leaf) ?? 0) + s.value);
  }
  return out;
}

/** Strips the flame-graph type annotations (`_[k]` kernel, `_[j]` JIT, `_[i]` inlined, `_[w]` waker). */
export function stripAnnotation(frame: string): string {
  return frame.replace(/_\[[kjiw]\]$/, '');
}

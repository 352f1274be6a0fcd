// The header preprocessor of `bpfkit trace` (src/trace/headers.ts) on mangled input: directives
// cut short, unbalanced conditionals, runaway macro recursion, garbage expressions. It must end
// quickly with macros or with a TraceError, never hang or throw anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectMacros } from '../../../src/trace/headers.js';
import { TraceError } from '../../../src/trace/diagnostics.js';

const SEED = [
  '#define A 1', '#define B (A + 2)', '#if defined(A) && B > 2', '#define C B', '#elif X(1, 2)', '#define D 4',
  '#else', '#define E ((1 << 3) | 5)', '#endif', '#ifdef C', '#undef A', '#endif', '#define F(x) ((x) * 2)',
  '#if F(3) == 6 ? 1 : 0', '#define G F(', '#endif', '#define SELF SELF', '#if SELF', '#endif',
].join('\n');

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

test('10,000 mangled definition blocks end with macros or a TraceError', () => {
  const r = rng(7);
  const pieces = ['#', 'if', 'ifdef', 'elif', 'else', 'endif', 'define', '(', ')', '((', '?', ':', '&&', '||', 'defined', '1', '0x', '<<', 'A', 'B', 'F(', '\n', ' ', '/*', '*/', '\\\n', '#include "', '#include <'];
  for (let i = 0; i < 10_000; i++) {
    let text = SEED;
    const edits = 1 + Math.floor(r() * 6);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(r() * text.length);
      const roll = r();
      if (roll < 0.4) text = text.slice(0, at) + pieces[Math.floor(r() * pieces.length)] + text.slice(at);
      else if (roll < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 8));
      else text = text.slice(0, at);
    }
    try {
      const macros = collectMacros({ cDefinitions: text, includeDirs: [] });
      assert.ok(macros instanceof Map);
    } catch (e) {
      assert.ok(e instanceof TraceError, `unexpected ${(e as Error).name}: ${(e as Error).message} for ${JSON.stringify(text)}`);
    }
  }
});

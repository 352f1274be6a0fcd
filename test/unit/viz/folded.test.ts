import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFolded, inclusiveByName, mergeFolded, parseFolded, selfByName, stripAnnotation, totalValue } from '../../../src/viz/folded.js';
import { ParseError } from '../../../src/sys/errors.js';

// Lines as FlameGraph's stackcollapse-perf.pl writes them (frames may hold spaces, brackets, colons).
const sample = [
  'node;LazyCompile:*hot /tmp/a.js:3;Builtins_Call_[j] 7',
  'busy;__libc_start_call_main;main;hot;spin 30',
  'busy;__libc_start_call_main;main;cold;spin 10',
  'busy;__libc_start_call_main;main;hot;spin 5',
  'swapper/0;secondary_startup_64_[k];cpu_idle_[k] 2',
].join('\n');

test('parse then format merges equal stacks and sorts lines', () => {
  const stacks = parseFolded(sample);
  assert.equal(stacks.length, 5);
  assert.deepEqual(stacks[0].frames, ['node', 'LazyCompile:*hot /tmp/a.js:3', 'Builtins_Call_[j]']);
  const text = formatFolded(stacks);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 4, 'the two hot;spin stacks merged');
  assert.deepEqual(lines, [...lines].sort(), 'sorted');
  assert.ok(lines.includes('busy;__libc_start_call_main;main;hot;spin 35'));
  assert.deepEqual(parseFolded(text).map((s) => s.value).reduce((a, b) => a + b), totalValue(stacks));
  assert.equal(formatFolded(parseFolded(text)), text, 'formatting is a fixed point');
});

test('frame names cannot break the format', () => {
  const text = formatFolded([{ frames: ['a;b', 'line\nbreak'], value: 3 }]);
  assert.deepEqual(parseFolded(text), [{ frames: ['a:b', 'line break'], value: 3 }]);
});

test('a malformed line is a ParseError with its position', () => {
  assert.throws(() => parseFolded('a;b 1\nno-count-here\n', 'x.folded'), (e: unknown) => {
    assert.ok(e instanceof ParseError);
    assert.equal(e.line, 2);
    assert.equal(e.file, 'x.folded');
    return true;
  });
});

test('inclusive and self weights', () => {
  const stacks = mergeFolded(parseFolded(sample + '\nbusy;main;main;spin 4'));
  const incl = inclusiveByName(stacks);
  assert.equal(incl.get('hot'), 35);
  assert.equal(incl.get('main'), 49, 'recursion (main;main) counts once per stack');
  const self = selfByName(stacks);
  assert.equal(self.get('spin'), 49);
  assert.equal(stripAnnotation('cpu_idle_[k]'), 'cpu_idle');
  assert.equal(stripAnnotation('Builtins_Call_[j]'), 'Builtins_Call');
  assert.equal(stripAnnotation('plain'), 'plain');
});

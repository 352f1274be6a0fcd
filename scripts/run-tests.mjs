#!/usr/bin/env node
// Runs the compiled tests with node's test runner: unit, kernel and diff suites, or the ones named.
// Kernel tests touch shared kernel state (namespaces, tracefs), so files run one at a time there.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'kernel', 'diff'];

function collect(dir) {
  let out = [];
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (e.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = suites.flatMap((s) => collect(join(root, 'dist', 'test', s)));
if (files.length === 0) {
  console.error(`no test files found for ${suites.join(', ')}; did the build run?`);
  process.exit(1);
}
const serial = suites.some((s) => s !== 'unit');
const args = ['--test', '--test-reporter=spec', `--test-concurrency=${serial ? 1 : 2}`, ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);

// What a test needs from the machine. Missing needs skip with a reason, except under CI=true,
// where CI runs as root with every oracle installed, so a missing need is a failure.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

export const inCI = process.env.CI === 'true';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when the need is met. Otherwise skips the test (and returns false),
 * or under CI=true throws so the test fails.
 */
export function need(t: TestContext, ok: boolean, reason: string): boolean {
  if (ok) return true;
  if (inCI) throw new Error(`CI requires: ${reason}`);
  t.skip(reason);
  return false;
}

export function needRoot(t: TestContext): boolean {
  return need(t, isRoot(), 'needs root');
}

export function needTool(t: TestContext, tool: string): boolean {
  return need(t, hasTool(tool), `needs ${tool} installed`);
}

export function needFile(t: TestContext, path: string): boolean {
  return need(t, existsSync(path), `needs ${path}`);
}

import { repoRoot as root, peerDir as peer, fixturesDir as fixtures } from '../../scripts/paths.js';

/** The repository root, with a trailing slash. */
export const repoRoot = `${root}/`;
/** Test fixtures live in the source tree (test/fixtures), also when the tests run compiled from dist/. */
export const fixturesDir = `${fixtures}/`;
/** The shared peer test data, beside the repository. */
export const peerDir = `${peer}/`;

// Where things are, whether code runs from the sources (tsx) or compiled in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== '/' && !(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src')))) dir = dirname(dir);
  return dir;
}

/** The repository root (the folder with package.json and src/). */
export const repoRoot = findRoot();
/** Peer test data from ../shared/peer (override with BPFKIT_PEER_DIR). */
export const peerDir = process.env.BPFKIT_PEER_DIR ?? join(repoRoot, '..', 'shared', 'peer');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');

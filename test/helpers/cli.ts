// How the tests start the bpfkit command as a real process: compiled, they run the bundled tool
// that package.json's `bin` installs (dist/cli/bpfkit.js, made by scripts/bundle.mjs), so the
// shipped file is what is tested; from the sources they run src/cli/main.ts through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** node arguments (after the node binary) that run `bpfkit`. */
export function bpfkitArgv(): string[] {
  if (fileURLToPath(import.meta.url).endsWith('.ts')) {
    return ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))];
  }
  const bundled = fileURLToPath(new URL('../../cli/bpfkit.js', import.meta.url));
  if (!existsSync(bundled)) throw new Error(`${bundled} is missing: run \`npm run build\` (tsc, then scripts/bundle.mjs)`);
  return [bundled];
}

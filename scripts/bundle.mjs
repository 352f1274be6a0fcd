#!/usr/bin/env node
// Bundles the command-line tool into dist/cli/ after tsc: the dispatcher (bpfkit.js) and one
// self-contained file per command group, instead of ~90 ES modules resolved and compiled on every
// start. Loading those modules was a third of `bpfkit trace`'s start-up (bench/trace-startup.ts);
// one file per group measured faster than shared chunks. The library (dist/src) stays unbundled.
// The input is tsc's output, so the tool runs exactly the code that was type-checked and tested.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/cli`;
const cliDir = 'dist/src/cli';
const groupSource = /^\.\/([a-z-]+)\.js$/;
// Each group module is a file in src/cli exporting main(); helpers there (tcpdump-args.ts…) are
// bundled into the groups that use them.
const entryPoints = { bpfkit: `${cliDir}/main.js`, launcher: 'dist/src/cbpf/seccomp/launcher.js' };
const groupNames = [];
for (const f of readdirSync(`${root}${cliDir}`)) {
  const m = /^([a-z-]+)\.js$/.exec(f);
  if (m && m[1] !== 'main' && readFileSync(`${root}${cliDir}/${f}`, 'utf8').includes('export async function main(')) {
    entryPoints[m[1]] = `${cliDir}/${f}`;
    groupNames.push(m[1]);
  }
}

// The dispatcher loads a group with `import('./trace.js')`: keep those imports as they are, so
// they reach the group's own bundle beside it.
const groupsExternal = {
  name: 'groups-external',
  setup(b) {
    b.onResolve({ filter: groupSource }, (args) => {
      const m = groupSource.exec(args.path);
      if (args.importer.endsWith(`${cliDir}/main.js`) && m && groupNames.includes(m[1])) return { path: args.path, external: true };
      return undefined;
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints,
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  plugins: [groupsExternal],
  logLevel: 'warning',
});

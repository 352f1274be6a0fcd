#!/usr/bin/env node
// bpfkit: one binary, command groups in the grammar users know from bpftool, bpftrace and tcpdump.
import { isUserError } from '../sys/errors.js';

interface Group {
  /** A literal import() per group, so that the bundler (scripts/bundle.mjs) can follow it. */
  load: () => Promise<{ main(argv: string[]): Promise<number> }>;
  summary: string;
}

const groups: Record<string, Group> = {
  trace: { load: () => import('./trace.js'), summary: 'run a bpftrace program (-e PROGRAM | FILE)' },
  prog: { load: () => import('./prog.js'), summary: 'inspect and manage programs (bpftool prog)' },
  map: { load: () => import('./map.js'), summary: 'inspect and manage maps (bpftool map)' },
  btf: { load: () => import('./btf.js'), summary: 'inspect BTF (bpftool btf)' },
  link: { load: () => import('./link.js'), summary: 'inspect and manage links (bpftool link)' },
  net: { load: () => import('./net.js'), summary: 'XDP and tc programs on interfaces (bpftool net)' },
  cgroup: { load: () => import('./cgroup.js'), summary: 'cgroup programs (bpftool cgroup)' },
  feature: { load: () => import('./feature.js'), summary: 'what this kernel supports (bpftool feature)' },
  perf: { load: () => import('./perf.js'), summary: 'programs attached to perf events (bpftool perf)' },
  batch: { load: () => import('./batch.js'), summary: 'run commands from a file (bpftool batch)' },
  asm: { load: () => import('./asm.js'), summary: 'assemble eBPF text into bytes' },
  disasm: { load: () => import('./disasm.js'), summary: 'disassemble eBPF bytes' },
  filter: { load: () => import('./filter.js'), summary: 'compile a tcpdump filter expression (tcpdump -d)' },
  capture: { load: () => import('./capture.js'), summary: 'capture packets with a filter (tcpdump)' },
  seccomp: { load: () => import('./seccomp.js'), summary: 'compile, simulate and enforce seccomp policies' },
  profile: { load: () => import('./profile.js'), summary: 'sample stacks into a flame graph' },
  offcpu: { load: () => import('./offcpu.js'), summary: 'off-CPU time by stack' },
  demo: { load: () => import('./demo.js'), summary: 'create a map, fill it and print it' },
};

function usage(): string {
  const width = Math.max(...Object.keys(groups).map((k) => k.length));
  return [
    'Usage: bpfkit COMMAND [ARGS...]',
    '',
    'Commands:',
    ...Object.entries(groups).map(([k, g]) => `  ${k.padEnd(width)}  ${g.summary}`),
    '',
    'Run `bpfkit COMMAND help` for the arguments of a command.',
  ].join('\n');
}

// bpftool's habits: options before the object (`bpfkit -j prog show`) and abbreviated object
// words matched in bpftool's order (`bpfkit p s` = `bpfkit prog show`).
const bpftoolObjects = ['batch', 'prog', 'map', 'link', 'cgroup', 'perf', 'net', 'feature', 'btf'];
const bpftoolOptions = /^(-[jpfnd]+|--(json|pretty|bpffs|nomount|debug))$/;

function bpftoolStyle(argv: string[]): string[] {
  let k = 0;
  while (k < argv.length && bpftoolOptions.test(argv[k])) k++;
  if (k >= argv.length) return argv;
  const word = argv[k];
  if (k === 0 && groups[word]) return argv;
  const name = bpftoolObjects.includes(word) ? word : groups[word] ? undefined : bpftoolObjects.find((o) => o.startsWith(word));
  if (!name) return argv;
  return [name, ...argv.slice(0, k), ...argv.slice(k + 1)];
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = bpftoolStyle(argv);
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === 'version') {
    console.log('bpfkit 0.1.0');
    return 0;
  }
  const group = groups[name];
  if (!group) {
    console.error(`bpfkit: unknown command '${name}'\n\n${usage()}`);
    return 1;
  }
  const mod = await group.load();
  return mod.main(rest);
}

function report(e: unknown): number {
  if (isUserError(e)) {
    console.error(`Error: ${e.message}`);
    return 1;
  }
  if (e instanceof TypeError && !(e as Error).stack?.includes('/node_modules/')) {
    // Argument errors from the library are for the user too.
    console.error(`Error: ${e.message}`);
    return 1;
  }
  console.error(e);
  return 2;
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${(await import('node:fs')).realpathSync(process.argv[1])}`).href;
if (isEntry) {
  // `bpfkit ... | head` closes our stdout early: stop quietly, as other Unix tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e) => { process.exitCode = report(e); },
  );
}

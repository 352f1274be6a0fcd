#!/usr/bin/env node
// bpfkit: one binary, command groups in the grammar users know from bpftool, bpftrace and tcpdump.
import { isUserError } from '../sys/errors.js';

interface Group {
  module: string;
  summary: string;
}

const groups: Record<string, Group> = {
  trace: { module: './trace.js', summary: 'run a bpftrace program (-e PROGRAM | FILE)' },
  prog: { module: './prog.js', summary: 'inspect and manage programs (bpftool prog)' },
  map: { module: './map.js', summary: 'inspect and manage maps (bpftool map)' },
  btf: { module: './btf.js', summary: 'inspect BTF (bpftool btf)' },
  link: { module: './link.js', summary: 'inspect and manage links (bpftool link)' },
  net: { module: './net.js', summary: 'XDP and tc programs on interfaces (bpftool net)' },
  cgroup: { module: './cgroup.js', summary: 'cgroup programs (bpftool cgroup)' },
  feature: { module: './feature.js', summary: 'what this kernel supports (bpftool feature)' },
  perf: { module: './perf.js', summary: 'programs attached to perf events (bpftool perf)' },
  batch: { module: './batch.js', summary: 'run commands from a file (bpftool batch)' },
  asm: { module: './asm.js', summary: 'assemble eBPF text into bytes' },
  disasm: { module: './disasm.js', summary: 'disassemble eBPF bytes' },
  filter: { module: './filter.js', summary: 'compile a tcpdump filter expression (tcpdump -d)' },
  capture: { module: './capture.js', summary: 'capture packets with a filter (tcpdump)' },
  seccomp: { module: './seccomp.js', summary: 'compile, simulate and enforce seccomp policies' },
  profile: { module: './profile.js', summary: 'sample stacks into a flame graph' },
  offcpu: { module: './offcpu.js', summary: 'off-CPU time by stack' },
  demo: { module: './demo.js', summary: 'create a map, fill it and print it' },
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
  let mod: { main(argv: string[]): Promise<number> };
  try {
    mod = await import(group.module);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(group.module.slice(2))) {
      console.error(`bpfkit ${name}: not available in this build yet`);
      return 1;
    }
    throw e;
  }
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

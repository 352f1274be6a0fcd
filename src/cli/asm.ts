// bpfkit asm FILE [--syntax kernel|llvm|ubpf] [-o OUT] [--hex] [--endian little|big] [--map NAME=FD]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { assemble, encode, type Syntax } from '../asm/index.js';
import { isUserError } from '../sys/errors.js';

const USAGE = `usage: bpfkit asm FILE [--syntax kernel|llvm|ubpf] [-o OUT] [--hex] [--endian little|big] [--map NAME=FD]...
  Assembles eBPF text (FILE, or - for stdin) into raw instruction bytes.
  --syntax  kernel: the verifier/bpftool pseudo-C (default); llvm: the same read as llvm-mc does;
            ubpf: the ubpf/bpf_conformance dialect (mov r0, 1)
  --hex     print one 8-byte slot per line in hex instead of raw bytes
  --map     resolve map[NAME] / NAME ll references to this fd or id`;

export async function main(argv: string[]): Promise<number> {
  let values: { syntax?: string; output?: string; hex?: boolean; endian?: string; map?: string[]; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        syntax: { type: 'string', default: 'kernel' },
        output: { type: 'string', short: 'o' },
        hex: { type: 'boolean', default: false },
        endian: { type: 'string', default: 'little' },
        map: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`bpfkit asm: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help || positionals[0] === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`bpfkit asm: expected one input file\n${USAGE}\n`);
    return 2;
  }
  const syntax = values.syntax as Syntax;
  if (!['kernel', 'llvm', 'ubpf'].includes(syntax)) {
    process.stderr.write(`bpfkit asm: unknown syntax '${values.syntax}' (kernel, llvm or ubpf)\n`);
    return 2;
  }
  if (values.endian !== 'little' && values.endian !== 'big') {
    process.stderr.write(`bpfkit asm: --endian is little or big\n`);
    return 2;
  }
  const maps = new Map<string, number>();
  for (const m of values.map ?? []) {
    const eq = /^([^=]+)=(\d+)$/.exec(m);
    if (!eq) {
      process.stderr.write(`bpfkit asm: --map takes NAME=FD, got '${m}'\n`);
      return 2;
    }
    maps.set(eq[1], Number(eq[2]));
  }
  const file = positionals[0];
  try {
    const text = readFileSync(file === '-' ? 0 : file, 'utf8');
    const insns = assemble(text, { syntax, file: file === '-' ? '<stdin>' : file, maps });
    const bytes = encode(insns, { endian: values.endian });
    const out = values.hex ? Buffer.from(hexLines(bytes)) : bytes;
    if (values.output) writeFileSync(values.output, out);
    else process.stdout.write(out);
    return 0;
  } catch (e) {
    if (isUserError(e) || (e as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`bpfkit asm: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

function hexLines(bytes: Buffer): string {
  let s = '';
  for (let at = 0; at < bytes.length; at += 8) s += Array.from(bytes.subarray(at, at + 8), (b) => b.toString(16).padStart(2, '0')).join(' ') + '\n';
  return s;
}

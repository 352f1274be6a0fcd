// bpfkit disasm FILE [--opcodes] [--flavour bpftool|llvm|ubpf] [--hex] [--endian little|big]
// bpfkit disasm --elf OBJ --section NAME [...]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decode, disassemble, type Flavour } from '../asm/index.js';
import { ElfFile } from '../elf/reader.js';
import { ParseError, isUserError } from '../sys/errors.js';

const USAGE = `usage: bpfkit disasm FILE [--opcodes] [--flavour bpftool|llvm|ubpf] [--hex] [--endian little|big] [--lossless] [--compat 7.1]
       bpfkit disasm --elf OBJ --section NAME [same options]
  Prints eBPF instructions as \`bpftool prog dump xlated\` does (default), as llvm-objdump does, or in the
  ubpf dialect. FILE holds raw instruction bytes (- for stdin), or hex text with --hex.
  --opcodes   print each instruction's bytes (bpftool's \`opcodes\`)
  --lossless  spell the few instructions bpftool's text cannot carry so that \`bpfkit asm\` gives them back
  --compat 7.1  print as bpftool 7.1 (Linux 6.1's disassembler) does`;

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        opcodes: { type: 'boolean', default: false },
        flavour: { type: 'string', default: 'bpftool' },
        hex: { type: 'boolean', default: false },
        endian: { type: 'string' },
        lossless: { type: 'boolean', default: false },
        compat: { type: 'string' },
        elf: { type: 'string' },
        section: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`bpfkit disasm: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help || positionals[0] === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const flavour = values.flavour as Flavour;
  if (!['bpftool', 'llvm', 'ubpf'].includes(flavour)) {
    process.stderr.write(`bpfkit disasm: unknown flavour '${flavour}' (bpftool, llvm or ubpf)\n`);
    return 2;
  }
  if (values.compat !== undefined && values.compat !== '7.1') {
    process.stderr.write(`bpfkit disasm: --compat takes 7.1\n`);
    return 2;
  }
  if (values.endian !== undefined && values.endian !== 'little' && values.endian !== 'big') {
    process.stderr.write(`bpfkit disasm: --endian is little or big\n`);
    return 2;
  }
  if (values.elf ? positionals.length !== 0 || !values.section : positionals.length !== 1) {
    process.stderr.write(`bpfkit disasm: give FILE, or --elf OBJ with --section NAME\n${USAGE}\n`);
    return 2;
  }
  try {
    let bytes: Uint8Array;
    let endian = values.endian as 'little' | 'big' | undefined;
    let file: string;
    if (typeof values.elf === 'string') {
      file = values.elf;
      const elf = ElfFile.parse(readFileSync(file), file);
      const sec = elf.sectionByName(values.section as string);
      if (!sec) throw new ParseError(`no section '${values.section}' (sections: ${elf.sections.map((s) => s.name).filter(Boolean).join(', ')})`, { file, line: 1, column: 1 });
      bytes = sec.data;
      endian ??= elf.littleEndian ? 'little' : 'big';
    } else {
      file = positionals[0];
      const raw = readFileSync(file === '-' ? 0 : file);
      bytes = values.hex ? fromHex(raw.toString('utf8'), file) : raw;
    }
    const insns = decode(bytes, { endian: endian ?? 'little', file });
    process.stdout.write(disassemble(insns, {
      flavour,
      opcodes: values.opcodes as boolean,
      lossless: values.lossless as boolean,
      compat: values.compat as '7.1' | undefined,
    }));
    return 0;
  } catch (e) {
    if (isUserError(e) || (e as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`bpfkit disasm: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

/** Hex text: pairs of digits, blanks and newlines ignored, `#` comments allowed. */
function fromHex(text: string, file: string): Buffer {
  const lines = text.split('\n');
  const out: number[] = [];
  lines.forEach((line, i) => {
    const body = line.replace(/#.*/, '');
    for (const m of body.matchAll(/\S+/g)) {
      const tok = m[0].replace(/^0x/i, '');
      if (!/^([0-9a-fA-F]{2})+$/.test(tok)) throw new ParseError(`'${m[0]}' is not hex bytes`, { file, line: i + 1, column: (m.index ?? 0) + 1, length: m[0].length }, text);
      for (let k = 0; k < tok.length; k += 2) out.push(parseInt(tok.slice(k, k + 2), 16));
    }
  });
  return Buffer.from(out);
}

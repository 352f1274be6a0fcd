// bpfkit filter: compile a tcpdump expression and print the classic BPF program the way
// `tcpdump -d` / `-dd` / `-ddd` does.
//   bpfkit filter [-d|-dd|-ddd] [-O] [-y LINKTYPE] [-s SNAPLEN] [-F FILE] [EXPR...]
//   bpfkit filter --ebpf xdp|tc [-o FILE] [EXPR...]: the same program as eBPF, bpftool's text or raw bytes
import { scanTcpdumpArgs, UsageError } from './tcpdump-args.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { isUserError } from '../sys/errors.js';
import { compileFilter, dumpCbpf, SUPPORTED_LINKTYPES, type CbpfDumpFormat } from '../cbpf/index.js';
import { cbpfToEbpf, CbpfTranslateError } from '../cbpf/to-ebpf.js';
import { disassemble, encode } from '../asm/index.js';

const USAGE = `usage: bpfkit filter [-d|-dd|-ddd] [-O] [-y LINKTYPE] [-s SNAPLEN] [-F FILE] [--ebpf xdp|tc [-o FILE]] EXPR...
  -d       print the program as tcpdump -d does (the default)
  -dd      print it as a C array of struct sock_filter
  -ddd     print it as decimal numbers, the count first
  -O       do not run the optimizer
  -y TYPE  link-layer type: ${SUPPORTED_LINKTYPES.join(', ')} (default EN10MB)
  -s LEN   snapshot length returned for matching packets (default 262144)
  -F FILE  read the expression from FILE
  --ebpf xdp|tc  emit the filter as an eBPF program instead: XDP drops what the expression
           matches (XDP_DROP) and passes the rest (XDP_PASS); tc answers TC_ACT_SHOT / TC_ACT_OK.
           Printed as bpftool prints xlated code; compile for the device's link type (-y)
  -o FILE  with --ebpf: write the raw instructions (8 bytes each, little endian) to FILE`;

interface FilterArgs {
  dumps: number;
  optimize: boolean;
  linktype: string;
  snaplen: number;
  file?: string;
  ebpf?: 'xdp' | 'tc';
  output?: string;
  words: string[];
}


function parseArgs(argv: string[]): FilterArgs | 'help' {
  const a: FilterArgs = { dumps: 0, optimize: true, linktype: 'EN10MB', snaplen: 262144, words: [] };
  const words = scanTcpdumpArgs(argv, {
    long(arg, next) {
      if (arg !== '--ebpf' && !arg.startsWith('--ebpf=')) return false;
      const v = arg.includes('=') ? arg.slice(7) : next();
      if (v !== 'xdp' && v !== 'tc') throw new UsageError('--ebpf takes xdp or tc');
      a.ebpf = v;
      return true;
    },
    short(c, value) {
      switch (c) {
        case 'd': a.dumps++; break;
        case 'O': a.optimize = false; break;
        case 'y': a.linktype = value(); break;
        case 's': {
          const v = value();
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0) throw new UsageError(`invalid snaplen ${v}`);
          a.snaplen = n === 0 ? 262144 : n;
          break;
        }
        case 'F': a.file = value(); break;
        case 'o': a.output = value(); break;
        default: throw new UsageError(`unknown option -${c}`);
      }
    },
  });
  if (words === 'help') return 'help';
  a.words = words;
  return a;
}

export async function main(argv: string[]): Promise<number> {
  let args: FilterArgs | 'help';
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bpfkit filter: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    let expr: string;
    let file: string | undefined;
    if (args.file) {
      // tcpdump ignores '#' comments in -F files.
      expr = readFileSync(args.file, 'utf8').split('\n').map((l) => l.replace(/#.*/, '')).join(' ').trim();
      file = args.file;
    } else {
      // tcpdump joins the words of the expression with single spaces.
      expr = args.words.join(' ');
    }
    const prog = compileFilter(expr, {
      linktype: args.linktype, snaplen: args.snaplen, optimize: args.optimize, netmask: 0, file,
    });
    if (args.ebpf) {
      const insns = cbpfToEbpf(prog, args.ebpf);
      if (args.output) writeFileSync(args.output, encode(insns));
      else process.stdout.write(disassemble(insns));
      return 0;
    }
    if (args.output) throw new UsageError('-o goes with --ebpf');
    const format: CbpfDumpFormat = args.dumps >= 3 ? 'ddd' : args.dumps === 2 ? 'dd' : 'd';
    process.stdout.write(dumpCbpf(prog, format));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bpfkit filter: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (isUserError(e) || e instanceof CbpfTranslateError) {
      process.stderr.write(`bpfkit filter: ${e.message}\n`);
      return 1;
    }
    if (e instanceof Error && (e as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`bpfkit filter: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

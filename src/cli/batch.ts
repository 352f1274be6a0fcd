// `bpfkit batch file FILE`: bpftool's batch mode — one command per line (`prog show`, `map dump id 3`,
// ...), `#` comments, `\` continuation lines, quoted words; stops at the first failing command.
import { readFileSync } from 'node:fs';
import { Args, BIN, CliError, Ctx, HELP_SPEC_OPTIONS, exitStatus, isPrefix, parseCommandLine, report, select, type CommandTable, type Handler } from './bpftool/core.js';
import { progCommands } from './prog.js';
import { mapCommands } from './map.js';
import { linkCommands } from './link.js';
import { cgroupCommands } from './cgroup.js';
import { perfCommands } from './perf.js';
import { netCommands } from './net.js';
import { featureCommands } from './feature.js';
import { btfCommands } from './btf.js';
import { reason } from './bpftool/strerror.js';

function topHelp(ctx: Ctx): number {
  return ctx.helpText(
    `Usage: ${BIN} [OPTIONS] OBJECT { COMMAND | help }\n` +
    `       ${BIN} batch file FILE\n` +
    `       ${BIN} version\n` +
    '\n' +
    '       OBJECT := { prog | map | link | cgroup | perf | net | feature | btf }\n' +
    `       ${HELP_SPEC_OPTIONS} |\n` +
    '                    {-V|--version} }\n',
  );
}

const sub = (t: CommandTable): Handler => (ctx, args) => select(ctx, t, args);

/** Splits one batch line into words (bpftool's make_args): blanks separate, quotes group. */
export function splitArgs(line: string, lineNo: number): string[] {
  const words: string[] = [];
  let i = 0;
  const ws = ' \t\r\n';
  while (i < line.length) {
    while (i < line.length && ws.includes(line[i])) i++;
    if (i >= line.length) break;
    if (line[i] === "'" || line[i] === '"') {
      const q = line[i++];
      const end = line.indexOf(q, i);
      if (end < 0) throw new CliError(`unterminated quoted string in command ${lineNo}`);
      words.push(line.slice(i, end));
      i = end + 1;
    } else {
      let j = i;
      while (j < line.length && !ws.includes(line[j])) j++;
      words.push(line.slice(i, j));
      i = j + 1;
    }
  }
  return words;
}

/** Lines of a batch file with comments removed and continuation lines joined. */
export function batchLines(text: string): string[] {
  const raw = text.split('\n');
  const out: string[] = [];
  for (let k = 0; k < raw.length; k++) {
    let line = raw[k].replace(/#.*$/, '');
    while (line.endsWith('\\')) {
      k++;
      if (k >= raw.length) throw new CliError(`missing continuation line on command ${out.length}`);
      line = line.slice(0, -1) + raw[k].replace(/#.*$/, '');
    }
    out.push(line);
  }
  return out;
}

async function doBatch(ctx: Ctx, args: Args): Promise<number> {
  if (args.length < 2) throw new CliError('too few parameters for batch');
  if (args.length > 2) throw new CliError('too many parameters for batch');
  if (!isPrefix(args.cur, 'file')) throw new CliError(`expected 'file', got: ${args.cur}`);
  args.next();
  const file = args.cur!;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new CliError(`Can't open file (${file}): ${reason(e)}`);
  }
  if (ctx.json) ctx.jw.startArray();
  let n = 0;
  let err = 0;
  try {
    for (const line of batchLines(text)) {
      const words = splitArgs(line, n);
      if (!words.length) continue;
      if (ctx.json) {
        ctx.jw.startObject().name('command').startArray();
        for (const w of words) ctx.jw.string(w);
        ctx.jw.endArray().name('output');
      }
      try {
        err = await select(ctx, topCommands, new Args(words));
      } catch (e) {
        err = report(ctx, e);
      }
      if (ctx.json) ctx.jw.endObject();
      if (err) return err;
      n++;
    }
  } finally {
    if (ctx.json) ctx.jw.endArray();
  }
  if (!ctx.json) ctx.print(`processed ${n} commands\n`);
  return 0;
}

export const topCommands: CommandTable = {
  object: '',
  commands: [
    ['help', topHelp], ['batch', doBatch], ['prog', sub(progCommands)], ['map', sub(mapCommands)], ['link', sub(linkCommands)],
    ['cgroup', sub(cgroupCommands)], ['perf', sub(perfCommands)], ['net', sub(netCommands)], ['feature', sub(featureCommands)],
    ['btf', sub(btfCommands)],
  ],
  help: topHelp,
};

/** `bpfkit batch ...` (main.ts strips the word `batch`). */
export async function main(argv: string[]): Promise<number> {
  const cl = parseCommandLine(argv);
  const ctx = new Ctx(cl.opts);
  ctx.help = topHelp;
  let ret: number;
  try {
    ret = cl.error ? (ctx.err(cl.error), -1) : await doBatch(ctx, new Args(cl.words));
  } catch (e) {
    ret = report(ctx, e);
  }
  if (ctx.json) ctx.print('\n');
  await ctx.flush();
  return exitStatus(ret);
}

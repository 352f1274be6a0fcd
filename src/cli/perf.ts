// `bpfkit perf`: bpftool's perf command — every program attached through a perf event
// (tracepoints, kprobes, uprobes, raw tracepoints), found with BPF_TASK_FD_QUERY on each
// descriptor of each process under /proc.
import { openSync, closeSync } from 'node:fs';
import * as bpf from '../sys/bpf.js';
import { Args, BIN, CliError, Ctx, HELP_SPEC_OPTIONS, runObject, type CommandTable } from './bpftool/core.js';
import { readdirOrder } from './bpftool/objects.js';
import { errnoOf, strerror } from './bpftool/strerror.js';

// enum bpf_task_fd_type
const RAW_TRACEPOINT = 0;
const TRACEPOINT = 1;
const KPROBE = 2;
const KRETPROBE = 3;
const UPROBE = 4;
const URETPROBE = 5;
const ENOTSUPP = 524;

/** The query on a descriptor that is no perf event fails with ENOTSUPP where the kernel has it. */
function querySupported(): void {
  const fd = openSync('/', 'r');
  try {
    bpf.taskFdQuery(process.pid, fd);
  } catch (e) {
    const n = errnoOf(e) ?? 0;
    if (n === ENOTSUPP) return;
    process.stderr.write('HINT: non root or kernel doesn\'t support TASK_FD_QUERY\n');
    throw new CliError(`perf_query_support: ${strerror(n)}`);
  } finally {
    closeSync(fd);
  }
}

async function doShow(ctx: Ctx, _args: Args): Promise<number> {
  querySupported();
  const jw = ctx.jw;
  if (ctx.json) jw.startArray();
  try {
    for (const p of readdirOrder('/proc')) {
      if (!/^\d+$/.test(p.name)) continue;
      let fds;
      try {
        fds = readdirOrder(`/proc/${p.name}/fd`);
      } catch {
        continue;
      }
      const pid = Number(p.name);
      for (const f of fds) {
        if (!/^\d+$/.test(f.name)) continue;
        const fd = Number(f.name);
        let r;
        try {
          r = bpf.taskFdQuery(pid, fd);
        } catch {
          continue;
        }
        const off = r.probeOffset;
        if (ctx.json) {
          jw.startObject().intField('pid', pid).intField('fd', fd).uintField('prog_id', r.progId);
          switch (r.fdType) {
            case RAW_TRACEPOINT: jw.stringField('fd_type', 'raw_tracepoint').stringField('tracepoint', r.name); break;
            case TRACEPOINT: jw.stringField('fd_type', 'tracepoint').stringField('tracepoint', r.name); break;
            case KPROBE: case KRETPROBE:
              jw.stringField('fd_type', r.fdType === KPROBE ? 'kprobe' : 'kretprobe');
              if (r.name) jw.stringField('func', r.name).uintField('offset', off);
              else jw.uintField('addr', r.probeAddr);
              break;
            case UPROBE: case URETPROBE:
              jw.stringField('fd_type', r.fdType === UPROBE ? 'uprobe' : 'uretprobe').stringField('filename', r.name).uintField('offset', off);
              break;
            default: break;
          }
          jw.endObject();
          continue;
        }
        let s = `pid ${pid}  fd ${fd}: prog_id ${r.progId}  `;
        switch (r.fdType) {
          case RAW_TRACEPOINT: s += `raw_tracepoint  ${r.name}\n`; break;
          case TRACEPOINT: s += `tracepoint  ${r.name}\n`; break;
          case KPROBE: case KRETPROBE: {
            const k = r.fdType === KPROBE ? 'kprobe' : 'kretprobe';
            s += r.name ? `${k}  func ${r.name}  offset ${off}\n` : `${k}  addr ${r.probeAddr}\n`;
            break;
          }
          case UPROBE: case URETPROBE:
            s += `${r.fdType === UPROBE ? 'uprobe' : 'uretprobe'}  filename ${r.name}  offset ${off}\n`;
            break;
          default: break;
        }
        ctx.print(s);
      }
    }
  } finally {
    if (ctx.json) jw.endArray();
  }
  return 0;
}

function help(ctx: Ctx): number {
  process.stderr.write(
    `Usage: ${BIN} perf { show | list }\n` +
    `       ${BIN} perf help }\n` +
    '\n' +
    `       ${HELP_SPEC_OPTIONS} }\n`,
  );
  void ctx;
  return 0;
}

export const perfCommands: CommandTable = {
  object: 'perf',
  commands: [['show', doShow], ['list', doShow], ['help', help]],
  help,
};

export async function main(argv: string[]): Promise<number> {
  return runObject(perfCommands, argv);
}

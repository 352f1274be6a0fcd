// `bpfkit btf`: bpftool's btf command — show/list the kernel's BTF objects (with the programs and
// maps that use them) and dump BTF from a file, a BTF id, a map or a program, raw or as C.
import { btfFromFile } from '../btf/file.js';
import { btfToC } from '../btf/c-dump.js';
import { btfToRaw, formatBtfType } from '../btf/raw-dump.js';
import { kernelBtf } from '../btf/kernel.js';
import type { Btf } from '../btf/btf.js';
import * as bpf from '../sys/bpf.js';
import type { Fd } from '../sys/fd.js';
import { Args, BIN, CliError, Ctx, HELP_SPEC_MAP, HELP_SPEC_OPTIONS, HELP_SPEC_PROGRAM, UsageError, runObject, type CommandTable } from './bpftool/core.js';
import { btfById, btfObject, ids, info, mapFd, openId, parseUnsigned, progFd } from './bpftool/objects.js';
import { errnoOf, reason, strerror } from './bpftool/strerror.js';

const SYSFS_VMLINUX = '/sys/kernel/btf/vmlinux';

// ---- dump ----

function dumpRaw(ctx: Ctx, btf: Btf, roots: number[]): void {
  if (ctx.json) throw new CliError('JSON output for raw BTF dumps is not supported by bpfkit yet');
  if (!roots.length) {
    ctx.print(btfToRaw(btf));
    return;
  }
  for (const id of roots) ctx.print(`${formatBtfType(btf, btf.type(id))}\n`);
}

function dumpC(ctx: Ctx, btf: Btf): void {
  if (ctx.json) throw new CliError('JSON output for C-syntax dump is not supported', -95);
  ctx.print(btfToC(btf));
}

async function doDump(ctx: Ctx, args: Args): Promise<number> {
  if (args.length < 2) throw new UsageError();
  const src = args.take();
  let btf: Btf | undefined;
  let btfId: number | undefined;
  const roots: number[] = [];
  let fd: Fd | undefined;
  try {
    if ('map'.startsWith(src)) {
      if (args.length < 2) throw new UsageError();
      fd = mapFd(args);
      const i = info('map', fd);
      btfId = i.get('btf_id');
      const key = i.get('btf_key_type_id');
      const value = i.get('btf_value_type_id');
      if (!args.empty && 'key'.startsWith(args.cur!)) {
        roots.push(key);
        args.next();
      } else if (!args.empty && 'value'.startsWith(args.cur!)) {
        roots.push(value);
        args.next();
      } else if (!args.empty && 'all'.startsWith(args.cur!)) {
        args.next();
      } else if (!args.empty && 'kv'.startsWith(args.cur!)) {
        roots.push(key, value);
        args.next();
      } else roots.push(key, value);
    } else if ('prog'.startsWith(src)) {
      if (args.length < 2) throw new UsageError();
      fd = progFd(args);
      btfId = info('prog', fd).get('btf_id');
    } else if ('id'.startsWith(src)) {
      btfId = parseUnsigned(args.cur);
      if (btfId === undefined) throw new CliError(`can't parse ${args.cur} as ID`);
      args.next();
    } else if ('file'.startsWith(src)) {
      const path = args.cur!;
      // Module BTF under /sys/kernel/btf is split over vmlinux, as bpftool assumes.
      const isModule = path.startsWith('/sys/kernel/btf/') && path !== SYSFS_VMLINUX;
      try {
        btf = btfFromFile(path, isModule ? { base: kernelBtf() } : {});
      } catch (e) {
        const n = errnoOf(e);
        throw new CliError(`failed to load BTF from ${path}: ${n !== undefined ? strerror(n) : (e as Error).message}`);
      }
      args.next();
    } else {
      throw new CliError(`unrecognized BTF source specifier: '${src}'`);
    }
  } finally {
    fd?.close();
  }
  let format = 'raw';
  while (!args.empty) {
    if ('format'.startsWith(args.cur!)) {
      args.next();
      if (args.empty) throw new CliError("expecting value for 'format' option\n", -22);
      if (args.cur !== 'c' && args.cur !== 'raw') throw new CliError(`unrecognized format specifier: '${args.cur}', possible values: raw, c`, -22);
      format = args.take();
    } else {
      throw new CliError(`unrecognized option: '${args.cur}'`, -22);
    }
  }
  if (!btf) {
    try {
      btf = btfById(btfId ?? 0);
    } catch (e) {
      throw new CliError(`get btf by id (${btfId}): ${reason(e)}`);
    }
  }
  if (format === 'c') dumpC(ctx, btf);
  else dumpRaw(ctx, btf, roots.filter((r) => r !== undefined));
  return 0;
}

// ---- show ----

/** BTF id → ids of the programs (or maps) that use it, in id order. */
function users(kind: 'prog' | 'map'): Map<number, number[]> {
  const table = new Map<number, number[]>();
  for (const id of ids(kind)) {
    const fd = openId(kind, id);
    if (!fd) continue;
    try {
      const btfId = info(kind, fd).get('btf_id');
      if (!btfId) continue;
      const l = table.get(btfId);
      if (l) l.push(id);
      else table.set(btfId, [id]);
    } finally {
      fd.close();
    }
  }
  return table;
}

function showBtf(ctx: Ctx, fd: Fd, progs: Map<number, number[]>, maps: Map<number, number[]>): void {
  let o;
  try {
    o = btfObject(fd);
  } catch (e) {
    throw new CliError(`can't get BTF object info: ${reason(e)}`);
  }
  // bpftool's hashmap lists the entries of a key newest first.
  const p = [...(progs.get(o.id) ?? [])].reverse();
  const m = [...(maps.get(o.id) ?? [])].reverse();
  if (ctx.json) {
    const jw = ctx.jw.startObject().uintField('id', o.id).uintField('size', o.size);
    jw.name('prog_ids').startArray();
    for (const x of p) jw.uint(x);
    jw.endArray().name('map_ids').startArray();
    for (const x of m) jw.uint(x);
    jw.endArray().boolField('kernel', o.kernel);
    if (o.name) jw.stringField('name', o.name);
    jw.endObject();
    return;
  }
  let s = `${o.id}: ${o.kernel ? `name [${o.name}]  ` : o.name ? `name ${o.name}  ` : 'name <anon>  '}size ${o.size}B`;
  if (p.length) s += `  prog_ids ${p.join(',')}`;
  if (m.length) s += `  map_ids ${m.join(',')}`;
  ctx.print(`${s}\n`);
}

async function doShow(ctx: Ctx, args: Args): Promise<number> {
  let fd: Fd | undefined;
  if (args.length === 2) {
    if (!args.is('id')) throw new CliError(`expected 'id', got: '${args.cur}'?`);
    args.next();
    const id = parseUnsigned(args.cur);
    if (id === undefined) throw new CliError(`can't parse ${args.cur} as ID`);
    args.next();
    try {
      fd = bpf.getFdById('btf', id);
    } catch (e) {
      throw new CliError(`can't get BTF object by id (${id}): ${reason(e)}`);
    }
  }
  try {
    if (!args.empty) throw new CliError(`what is '${args.cur}'?`);
    const progs = users('prog');
    const maps = users('map');
    if (fd) {
      showBtf(ctx, fd, progs, maps);
      return 0;
    }
    if (ctx.json) ctx.jw.startArray();
    try {
      for (const id of ids('btf')) {
        const f = openId('btf', id);
        if (!f) continue;
        try {
          showBtf(ctx, f, progs, maps);
        } finally {
          f.close();
        }
      }
    } finally {
      if (ctx.json) ctx.jw.endArray();
    }
    return 0;
  } finally {
    fd?.close();
  }
}

function help(ctx: Ctx): number {
  return ctx.helpText(
    `Usage: ${BIN} btf { show | list } [id BTF_ID]\n` +
    `       ${BIN} btf dump BTF_SRC [format FORMAT]\n` +
    `       ${BIN} btf help\n` +
    '\n' +
    '       BTF_SRC := { id BTF_ID | prog PROG | map MAP [{key | value | kv | all}] | file FILE }\n' +
    '       FORMAT  := { raw | c }\n' +
    `       ${HELP_SPEC_MAP}\n` +
    `       ${HELP_SPEC_PROGRAM}\n` +
    `       ${HELP_SPEC_OPTIONS} }\n`,
  );
}

export const btfCommands: CommandTable = {
  object: 'btf',
  commands: [['show', doShow], ['list', doShow], ['help', help], ['dump', doDump]],
  help,
};

export async function main(argv: string[]): Promise<number> {
  return runObject(btfCommands, argv);
}

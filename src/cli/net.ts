// `bpfkit net`: bpftool's net command — XDP programs on interfaces, tc (cls_bpf) filters and the
// flow dissector of this network namespace; attach/detach of XDP by mode.
import { openSync, closeSync } from 'node:fs';
import * as bpf from '../sys/bpf.js';
import { attachTypes } from '../sys/generated/kernel.js';
import { listInterfaces, listQdiscs, listFilters, setXdp, xdpFlags, tcParent, ifindex as ifindexOf, type NetInterface } from '../sys/netlink.js';
import { Args, BIN, CliError, Ctx, HELP_SPEC_OPTIONS, HELP_SPEC_PROGRAM, isPrefix, runObject, type CommandTable } from './bpftool/core.js';
import { progFd } from './bpftool/objects.js';
import { errnoOf, strerror } from './bpftool/strerror.js';

const modes = ['xdp', 'xdpgeneric', 'xdpdrv', 'xdpoffload'] as const;
type Mode = (typeof modes)[number];
const TC_H_ROOT = 0xffffffff;

function parseMode(word: string | undefined): Mode | undefined {
  return modes.find((m) => isPrefix(word, m));
}

function parseDev(args: Args): number {
  if (!args.is('dev')) throw new CliError(`expected 'dev', got: '${args.cur}'?`);
  args.next();
  const name = args.cur ?? '';
  let idx = 0;
  try {
    idx = ifindexOf(name);
  } catch {
    idx = 0;
  }
  if (!idx) throw new CliError(`invalid devname ${name}`);
  args.next();
  return idx;
}

function flowDissectorId(): number {
  let fd: number;
  try {
    fd = openSync('/proc/self/ns/net', 'r');
  } catch (e) {
    throw new CliError(`can't open /proc/self/ns/net: ${strerror(errnoOf(e) ?? 0)}`);
  }
  try {
    const r = bpf.progQuery({ targetFd: fd, attachType: attachTypes.flow_dissector, max: 1 });
    return r.progIds.length === 1 ? r.progIds[0] : 0;
  } catch (e) {
    if (errnoOf(e) === 22) return 0;
    throw new CliError(`can't query prog: ${strerror(errnoOf(e) ?? 0)}`);
  } finally {
    closeSync(fd);
  }
}

function xdpEntry(ctx: Ctx, dev: NetInterface): void {
  const x = dev.xdp;
  if (x.attached === 'none') return;
  const jw = ctx.jw;
  if (ctx.json) jw.startObject().stringField('devname', dev.name).uintField('ifindex', dev.index);
  else ctx.print(`${dev.name}(${dev.index})`);
  const one = (mode: string, id: number, object: boolean) => {
    if (ctx.json) {
      if (object) jw.startObject();
      jw.stringField('mode', mode).uintField('id', id);
      if (object) jw.endObject();
    } else ctx.print(` ${mode} id ${id}`);
  };
  if (x.attached === 'multi') {
    if (ctx.json) jw.name('multi_attachments').startArray();
    if (x.skbProgId) one('generic', x.skbProgId, true);
    if (x.drvProgId) one('driver', x.drvProgId, true);
    if (x.hwProgId) one('offload', x.hwProgId, true);
    if (ctx.json) jw.endArray();
  } else {
    one(x.attached === 'drv' ? 'driver' : x.attached === 'skb' ? 'generic' : 'offload', x.progId, false);
  }
  if (ctx.json) jw.endObject();
  else ctx.print('\n');
}

function tcEntries(ctx: Ctx, dev: NetInterface): void {
  const dump = (parent: number, kind: string) => {
    for (const f of listFilters(dev.index, parent)) {
      if (f.kind !== 'bpf') continue;
      if (ctx.json) {
        const jw = ctx.jw.startObject();
        if (dev.name) jw.stringField('devname', dev.name);
        jw.uintField('ifindex', dev.index).stringField('kind', kind);
        if (f.name !== undefined) jw.stringField('name', f.name);
        if (f.progId !== undefined) jw.uintField('id', f.progId);
        jw.endObject();
      } else {
        ctx.print(`${dev.name}(${dev.index}) ${kind}${f.name !== undefined ? ` ${f.name}` : ''}${f.progId !== undefined ? ` id ${f.progId}` : ''}\n`);
      }
    }
  };
  for (const q of listQdiscs(dev.index)) {
    if (q.kind === 'clsact' || q.handle === 0) continue;
    dump(q.handle, q.kind);
  }
  dump(TC_H_ROOT, 'root');
  dump(tcParent.ingress, 'clsact/ingress');
  dump(tcParent.egress, 'clsact/egress');
}

async function doShow(ctx: Ctx, args: Args): Promise<number> {
  let filter = -1;
  if (args.length === 2) filter = parseDev(args);
  else if (!args.empty) throw new CliError(`what is '${args.cur}'?`);
  const fdId = flowDissectorId();
  const devs = listInterfaces().filter((d) => filter < 0 || d.index === filter);
  const jw = ctx.jw;
  if (ctx.json) jw.startArray().startObject().name('xdp').startArray();
  else ctx.print('xdp:\n');
  for (const d of devs) xdpEntry(ctx, d);
  if (ctx.json) jw.endArray().name('tc').startArray();
  else ctx.print('\ntc:\n');
  for (const d of devs) tcEntries(ctx, d);
  if (ctx.json) jw.endArray().name('flow_dissector').startArray();
  else ctx.print('\nflow_dissector:\n');
  if (fdId) {
    if (ctx.json) jw.uintField('id', fdId);
    else ctx.print(`id ${fdId}`);
  }
  if (ctx.json) jw.endArray().endObject().endArray();
  else ctx.print('\n');
  return 0;
}

function xdpModeFlags(mode: Mode): number {
  if (mode === 'xdpgeneric') return xdpFlags.skb_mode;
  if (mode === 'xdpdrv') return xdpFlags.drv_mode;
  if (mode === 'xdpoffload') return xdpFlags.hw_mode;
  return 0;
}

async function doAttach(ctx: Ctx, args: Args): Promise<number> {
  args.require(5);
  const mode = parseMode(args.cur);
  if (!mode) throw new CliError(`invalid net attach/detach type: ${args.cur}`, -22);
  args.next();
  const prog = progFd(args);
  try {
    const idx = parseDev(args);
    let overwrite = false;
    if (!args.empty) {
      if (args.is('overwrite')) overwrite = true;
      else throw new CliError(`expected 'overwrite', got: '${args.cur}'?`, -22);
    }
    try {
      setXdp(idx, prog.raw, (overwrite ? 0 : xdpFlags.update_if_noexist) | xdpModeFlags(mode));
    } catch (e) {
      throw new CliError(`interface ${mode} attach failed: ${strerror(errnoOf(e) ?? 0)}`, -(errnoOf(e) ?? 22));
    }
  } finally {
    prog.close();
  }
  if (ctx.json) ctx.jw.null();
  return 0;
}

async function doDetach(ctx: Ctx, args: Args): Promise<number> {
  args.require(3);
  const mode = parseMode(args.cur);
  if (!mode) throw new CliError(`invalid net attach/detach type: ${args.cur}`, -22);
  args.next();
  const idx = parseDev(args);
  try {
    setXdp(idx, -1, xdpModeFlags(mode));
  } catch (e) {
    throw new CliError(`interface ${mode} detach failed: ${strerror(errnoOf(e) ?? 0)}`, -(errnoOf(e) ?? 22));
  }
  if (ctx.json) ctx.jw.null();
  return 0;
}

function help(ctx: Ctx): number {
  return ctx.helpText(
    `Usage: ${BIN} net { show | list } [dev <devname>]\n` +
    `       ${BIN} net attach ATTACH_TYPE PROG dev <devname> [ overwrite ]\n` +
    `       ${BIN} net detach ATTACH_TYPE dev <devname>\n` +
    `       ${BIN} net help\n` +
    '\n' +
    `       ${HELP_SPEC_PROGRAM}\n` +
    '       ATTACH_TYPE := { xdp | xdpgeneric | xdpdrv | xdpoffload }\n' +
    `       ${HELP_SPEC_OPTIONS} }\n` +
    '\n' +
    'Note: Only xdp and tc attachments are supported now.\n' +
    `      For progs attached to cgroups, use "${BIN} cgroup"\n` +
    '      to dump program attachments. For program types\n' +
    '      sk_{filter,skb,msg,reuseport} and lwt/seg6, please\n' +
    '      consult iproute2.\n',
  );
}

export const netCommands: CommandTable = {
  object: 'net',
  commands: [['show', doShow], ['list', doShow], ['attach', doAttach], ['detach', doDetach], ['help', help]],
  help,
};

export async function main(argv: string[]): Promise<number> {
  return runObject(netCommands, argv);
}

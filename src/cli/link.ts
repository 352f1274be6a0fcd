// `bpfkit link`: bpftool's link command — show (with the type-specific fields bpftool 7.1 prints,
// plus the ifindex/attach type of link kinds newer than it: xdp, tcx, netkit, netfilter,
// sockmap), pin and detach.
import * as bpf from '../sys/bpf.js';
import type { Fd } from '../sys/fd.js';
import type { Attr } from '../sys/attr.js';
import { attachTypeName, linkTypeName, progTypeName } from '../sys/names.js';
import { Args, BIN, CliError, Ctx, HELP_SPEC_LINK, HELP_SPEC_OPTIONS, runObject, type CommandTable } from './bpftool/core.js';
import { cString, info, linkFd, showObjects } from './bpftool/objects.js';
import { doPin } from './bpftool/pin.js';
import { reason, strerror, errnoOf } from './bpftool/strerror.js';

type Field = [name: string, value: string | number | bigint];

function named(n: number, table: (n: number) => string): string | number {
  const s = table(n);
  return s === String(n) ? n : s;
}

/** The fields after id/type/prog_id, in bpftool's order, for JSON and for text. */
function details(i: Attr, name: Buffer): { json: Field[]; plain: string } {
  const type = linkTypeName(i.get('type'));
  const json: Field[] = [];
  let plain = '';
  const attach = (n: number) => {
    const a = named(n, attachTypeName);
    json.push(['attach_type', a]);
    plain += typeof a === 'string' ? `attach_type ${a}  ` : `attach_type ${a}  `;
  };
  switch (type) {
    case 'raw_tracepoint': {
      const tp = cString(name);
      json.push(['tp_name', tp]);
      plain += `\n\ttp '${tp}'  `;
      break;
    }
    case 'tracing': {
      const fd = bpf.getFdById('prog', i.get('prog_id'));
      let pt: string | number;
      try {
        pt = named(info('prog', fd).get('type'), progTypeName);
      } finally {
        fd.close();
      }
      json.push(['prog_type', pt]);
      plain += `\n\tprog_type ${pt}  `;
      attach(i.get('tracing.attach_type'));
      break;
    }
    case 'cgroup':
      json.push(['cgroup_id', i.getBig('cgroup.cgroup_id')]);
      plain += `\n\tcgroup_id ${i.getBig('cgroup.cgroup_id')}  `;
      attach(i.get('cgroup.attach_type'));
      break;
    case 'iter': {
      const target = cString(name);
      json.push(['target_name', target]);
      plain += `target_name ${target}  `;
      if (target === 'bpf_map_elem' || target === 'bpf_sk_storage_map') {
        json.push(['map_id', i.get('iter.map.map_id')]);
        plain += `map_id ${i.get('iter.map.map_id')}  `;
      }
      break;
    }
    case 'netns':
      json.push(['netns_ino', i.get('netns.netns_ino')]);
      plain += `\n\tnetns_ino ${i.get('netns.netns_ino')}  `;
      attach(i.get('netns.attach_type'));
      break;
    case 'xdp':
      json.push(['ifindex', i.get('xdp.ifindex')]);
      plain += `\n\tifindex ${i.get('xdp.ifindex')}  `;
      break;
    case 'tcx':
    case 'netkit':
      json.push(['ifindex', i.get(`${type}.ifindex`)]);
      plain += `\n\tifindex ${i.get(`${type}.ifindex`)}  `;
      attach(i.get(`${type}.attach_type`));
      break;
    case 'netfilter':
      json.push(['pf', i.get('netfilter.pf')], ['hook', i.get('netfilter.hooknum')], ['prio', i.get('netfilter.priority') | 0], ['flags', i.get('netfilter.flags')]);
      plain += `\n\tpf ${i.get('netfilter.pf')}  hook ${i.get('netfilter.hooknum')}  prio ${i.get('netfilter.priority') | 0}  flags ${i.get('netfilter.flags')}  `;
      break;
    case 'sockmap':
      json.push(['map_id', i.get('sockmap.map_id')]);
      plain += `\n\tmap_id ${i.get('sockmap.map_id')}  `;
      attach(i.get('sockmap.attach_type'));
      break;
    default:
      break;
  }
  return { json, plain };
}

function showLink(ctx: Ctx, fd: Fd, pins: Map<number, string[]> | undefined): void {
  const name = Buffer.alloc(256);
  let i: Attr;
  try {
    const first = info('link', fd);
    const type = linkTypeName(first.get('type'));
    i = info('link', fd, (a) => {
      if (type === 'raw_tracepoint') a.ptr('raw_tracepoint.tp_name', name).set('raw_tracepoint.tp_name_len', name.length);
      if (type === 'iter') a.ptr('iter.target_name', name).set('iter.target_name_len', name.length);
    });
  } catch (e) {
    throw new CliError(`can't get link info: ${reason(e)}`);
  }
  const id = i.get('id');
  const type = named(i.get('type'), linkTypeName);
  const d = details(i, name);
  if (ctx.json) {
    const jw = ctx.jw.startObject().uintField('id', id);
    if (typeof type === 'string') jw.stringField('type', type);
    else jw.uintField('type', type);
    jw.uintField('prog_id', i.get('prog_id'));
    for (const [k, v] of d.json) {
      if (typeof v === 'string') jw.stringField(k, v);
      else jw.uintField(k, v);
    }
    if (pins && pins.size) {
      jw.name('pinned').startArray();
      for (const p of pins.get(id) ?? []) jw.string(p);
      jw.endArray();
    }
    jw.endObject();
    return;
  }
  let s = `${id}: ${typeof type === 'string' ? `${type}  ` : `type ${type}  `}prog ${i.get('prog_id')}  ${d.plain}`;
  if (pins && pins.size) for (const p of pins.get(id) ?? []) s += `\n\tpinned ${p}`;
  ctx.print(`${s}\n`);
}

async function doShow(ctx: Ctx, args: Args): Promise<number> {
  return showObjects(ctx, args, 'link', (a) => [linkFd(a)], (fd, pins) => showLink(ctx, fd, pins));
}

async function doPinCmd(ctx: Ctx, args: Args): Promise<number> {
  args.require(3);
  const fd = linkFd(args);
  try {
    doPin(ctx, fd, args.cur ?? '');
  } finally {
    fd.close();
  }
  if (ctx.json) ctx.jw.null();
  return 0;
}

async function doDetach(ctx: Ctx, args: Args): Promise<number> {
  if (args.length !== 2) throw new CliError('link specifier is invalid or missing\n', 1);
  let fd: Fd;
  try {
    fd = linkFd(args);
  } catch (e) {
    if (e instanceof CliError) throw new CliError(e.message, 1);
    throw e;
  }
  try {
    bpf.linkDetach(fd.raw);
  } catch (e) {
    throw new CliError(`failed link detach: ${strerror(errnoOf(e) ?? 0)}`, 1);
  } finally {
    fd.close();
  }
  if (ctx.json) ctx.jw.null();
  return 0;
}

function help(ctx: Ctx): number {
  return ctx.helpText(
    `Usage: ${BIN} link { show | list }   [LINK]\n` +
    `       ${BIN} link pin        LINK  FILE\n` +
    `       ${BIN} link detach     LINK\n` +
    `       ${BIN} link help\n` +
    '\n' +
    `       ${HELP_SPEC_LINK}\n` +
    `       ${HELP_SPEC_OPTIONS} |\n` +
    '                    {-f|--bpffs} | {-n|--nomount} }\n',
  );
}

export const linkCommands: CommandTable = {
  object: 'link',
  commands: [['show', doShow], ['list', doShow], ['help', help], ['pin', doPinCmd], ['detach', doDetach]],
  help,
};

export async function main(argv: string[]): Promise<number> {
  return runObject(linkCommands, argv);
}

// `bpfkit cgroup`: bpftool's cgroup command — programs attached to one cgroup (show) or to every
// cgroup of the v2 hierarchy (tree), and attach/detach that stay in place after bpfkit exits.
import { closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as bpf from '../sys/bpf.js';
import { attachTypes } from '../sys/generated/kernel.js';
import { attachTypeName } from '../sys/names.js';
import { cgroup2Root } from '../sys/mounts.js';
import { kernelBtf } from '../btf/kernel.js';
import { Args, BIN, CliError, Ctx, HELP_SPEC_OPTIONS, HELP_SPEC_PROGRAM, isPrefix, runObject, type CommandTable } from './bpftool/core.js';
import { btfObject, info, openId, progFd, progFullName, readdirOrder } from './bpftool/objects.js';
import { errnoOf, reason } from './bpftool/strerror.js';

const EINVAL = 22;
const BPF_F_QUERY_EFFECTIVE = 1;
const BPF_F_ALLOW_OVERRIDE = 1;
const BPF_F_ALLOW_MULTI = 2;
const allAttachTypes = Object.values(attachTypes) as number[];
const maxAttachType = Math.max(...allAttachTypes);

/** bpftool's traditional short names for cgroup attach types, accepted as prefixes. */
const inputNames: Record<string, number> = {
  ingress: attachTypes.cgroup_inet_ingress, egress: attachTypes.cgroup_inet_egress,
  sock_create: attachTypes.cgroup_inet_sock_create, sock_release: attachTypes.cgroup_inet_sock_release,
  sock_ops: attachTypes.cgroup_sock_ops, device: attachTypes.cgroup_device,
  bind4: attachTypes.cgroup_inet4_bind, bind6: attachTypes.cgroup_inet6_bind,
  connect4: attachTypes.cgroup_inet4_connect, connect6: attachTypes.cgroup_inet6_connect,
  post_bind4: attachTypes.cgroup_inet4_post_bind, post_bind6: attachTypes.cgroup_inet6_post_bind,
  getpeername4: attachTypes.cgroup_inet4_getpeername, getpeername6: attachTypes.cgroup_inet6_getpeername,
  getsockname4: attachTypes.cgroup_inet4_getsockname, getsockname6: attachTypes.cgroup_inet6_getsockname,
  sendmsg4: attachTypes.cgroup_udp4_sendmsg, sendmsg6: attachTypes.cgroup_udp6_sendmsg,
  sysctl: attachTypes.cgroup_sysctl, recvmsg4: attachTypes.cgroup_udp4_recvmsg, recvmsg6: attachTypes.cgroup_udp6_recvmsg,
  getsockopt: attachTypes.cgroup_getsockopt, setsockopt: attachTypes.cgroup_setsockopt,
};

function parseAttachType(word: string): number | undefined {
  const exact = (attachTypes as Record<string, number>)[word];
  if (exact !== undefined) return exact;
  for (let t = 0; t <= maxAttachType; t++) {
    const short = Object.entries(inputNames).find(([, v]) => v === t)?.[0] ?? attachTypeName(t);
    if (isPrefix(word, short)) return t;
  }
  return undefined;
}

interface State {
  effective: boolean;
  vmlinuxId?: number;
}

function vmlinuxBtfId(objId: number): number | undefined {
  try {
    const fd = bpf.getFdById('btf', objId);
    try {
      const o = btfObject(fd);
      return o.kernel && o.name === 'vmlinux' ? o.id : undefined;
    } finally {
      fd.close();
    }
  } catch {
    return undefined;
  }
}

function showProg(ctx: Ctx, st: State, id: number, attachType: number, flags: string | undefined, level: number): void {
  const fd = openId('prog', id);
  if (!fd) return;
  try {
    const i = info('prog', fd);
    const name = progFullName(i, fd);
    const objId = i.get('attach_btf_obj_id');
    const btfId = i.get('attach_btf_id');
    // As bpftool: the vmlinux BTF id is learnt from the first program that has one; until then it
    // is 0, which matches programs without an attach target (and names them after type 0, "").
    if (!st.vmlinuxId && objId) st.vmlinuxId = vmlinuxBtfId(objId) ?? 0;
    let btfName: string | undefined;
    if ((st.vmlinuxId ?? 0) === objId) {
      try {
        const k = kernelBtf();
        if (btfId < k.typeCount) btfName = k.type(btfId).name;
      } catch {
        // no kernel BTF: no name
      }
    }
    const at = attachTypeName(attachType);
    const known = at !== String(attachType);
    if (ctx.json) {
      const jw = ctx.jw.startObject().uintField('id', i.get('id'));
      if (known) jw.stringField('attach_type', at);
      else jw.uintField('attach_type', attachType);
      if (!st.effective) jw.stringField('attach_flags', flags ?? '');
      jw.stringField('name', name);
      if (btfName !== undefined) jw.stringField('attach_btf_name', btfName);
      jw.uintField('attach_btf_obj_id', objId).uintField('attach_btf_id', btfId).endObject();
      return;
    }
    let s = `${level ? '    ' : ''}${String(i.get('id')).padEnd(8)} ${known ? at.padEnd(15) : `type ${String(attachType).padEnd(10)}`}`;
    s += st.effective ? ` ${name.padEnd(15)}` : ` ${(flags ?? '').padEnd(15)} ${name.padEnd(15)}`;
    if (btfName !== undefined) s += ` ${btfName.padEnd(15)}`;
    else if (btfId) s += ` attach_btf_obj_id=${objId} attach_btf_id=${btfId}`;
    ctx.print(`${s}\n`);
  } finally {
    fd.close();
  }
}

function flagsString(f: number): string {
  switch (f) {
    case BPF_F_ALLOW_MULTI: return 'multi';
    case BPF_F_ALLOW_OVERRIDE: return 'override';
    case 0: return '';
    default: return `unknown(${f.toString(16)})`;
  }
}

/** Programs of one attach type on a cgroup; false when the kernel refuses the query. */
function showProgs(ctx: Ctx, st: State, cg: number, type: number, level: number): boolean {
  let r;
  try {
    r = bpf.progQuery({ targetFd: cg, attachType: type, queryFlags: st.effective ? BPF_F_QUERY_EFFECTIVE : 0, max: 1024 });
  } catch {
    return false;
  }
  r.progIds.forEach((id, k) => showProg(ctx, st, id, type, st.effective ? undefined : flagsString(r.progAttachFlags[k] || r.attachFlags), level));
  return true;
}

function isCgroupType(t: number): boolean {
  const n = attachTypeName(t);
  return n.startsWith('cgroup_') || n === 'lsm_cgroup';
}

/** Whether any program is attached to the cgroup (any attach type); throws on real errors. */
function hasPrograms(cg: number, effective: boolean): boolean {
  for (let t = 0; t <= maxAttachType; t++) {
    try {
      if (bpf.progQuery({ targetFd: cg, attachType: t, queryFlags: effective ? BPF_F_QUERY_EFFECTIVE : 0, max: 1024 }).progIds.length) return true;
    } catch (e) {
      // Attach types of other objects (tcx, netkit: a device) fail in their own ways on a cgroup.
      if (errnoOf(e) !== EINVAL && isCgroupType(t)) throw e;
    }
  }
  return false;
}

function parseEffective(args: Args, st: State): void {
  while (!args.empty) {
    if (args.is('effective')) {
      if (st.effective) throw new CliError(`duplicated argument: ${args.cur}`);
      st.effective = true;
      args.next();
    } else throw new CliError(`expected no more arguments, 'effective', got: '${args.cur}'?`);
  }
}

async function doShow(ctx: Ctx, args: Args): Promise<number> {
  args.require(1);
  const path = args.take();
  const st: State = { effective: false };
  parseEffective(args, st);
  let cg: number;
  try {
    cg = openSync(path, 'r');
  } catch {
    throw new CliError(`can't open cgroup ${path}`);
  }
  try {
    let has: boolean;
    try {
      has = hasPrograms(cg, st.effective);
    } catch (e) {
      throw new CliError(`can't query bpf programs attached to ${path}: ${reason(e)}`);
    }
    if (!has) return 0;
    if (ctx.json) ctx.jw.startArray();
    else ctx.print(st.effective ? `${'ID'.padEnd(8)} ${'AttachType'.padEnd(15)} ${'Name'.padEnd(15)}\n` : `${'ID'.padEnd(8)} ${'AttachType'.padEnd(15)} ${'AttachFlags'.padEnd(15)} ${'Name'.padEnd(15)}\n`);
    let ok = false;
    for (let t = 0; t <= maxAttachType; t++) if (showProgs(ctx, st, cg, t, 0)) ok = true;
    if (ctx.json) ctx.jw.endArray();
    return ok ? 0 : -1;
  } finally {
    closeSync(cg);
  }
}

/** nftw(root, FTW_MOUNT) in pre-order: each directory, then its subdirectories in readdir order. */
function walkCgroups(root: string, fn: (path: string, level: number) => void): void {
  const dev = statSync(root).dev;
  const visit = (path: string, level: number) => {
    fn(path, level);
    for (const e of readdirOrder(path)) {
      if (!e.dir) continue;
      const p = join(path, e.name);
      try {
        if (statSync(p).dev !== dev) continue;
      } catch {
        continue;
      }
      visit(p, level + 1);
    }
  };
  visit(root, 0);
}

async function doShowTree(ctx: Ctx, args: Args): Promise<number> {
  const st: State = { effective: false };
  let root: string;
  if (args.empty) {
    const r = cgroup2Root();
    if (!r) throw new CliError("cgroup v2 isn't mounted");
    root = r;
  } else {
    root = args.take();
    parseEffective(args, st);
  }
  if (ctx.json) ctx.jw.startArray();
  else ctx.print(`CgroupPath\n${st.effective ? `${'ID'.padEnd(8)} ${'AttachType'.padEnd(15)} ${'Name'.padEnd(15)}` : `${'ID'.padEnd(8)} ${'AttachType'.padEnd(15)} ${'AttachFlags'.padEnd(15)} ${'Name'.padEnd(15)}`}\n`);
  try {
    walkCgroups(root, (path, level) => {
      let cg: number;
      try {
        cg = openSync(path, 'r');
      } catch (e) {
        throw new CliError(`can't open cgroup ${path}: ${reason(e)}`);
      }
      try {
        let has: boolean;
        try {
          has = hasPrograms(cg, st.effective);
        } catch (e) {
          throw new CliError(`can't query bpf programs attached to ${path}: ${reason(e)}`);
        }
        if (!has) return;
        if (ctx.json) ctx.jw.startObject().stringField('cgroup', path).name('programs').startArray();
        else ctx.print(`${path}\n`);
        for (let t = 0; t <= maxAttachType; t++) showProgs(ctx, st, cg, t, level);
        if (ctx.json) ctx.jw.endArray().endObject();
      } finally {
        closeSync(cg);
      }
    });
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`can't iterate over ${root}: ${reason(e)}`);
  } finally {
    if (ctx.json) ctx.jw.endArray();
  }
  return 0;
}

async function attachDetach(ctx: Ctx, args: Args, detach: boolean): Promise<number> {
  if (args.length < 4) throw new CliError(`too few parameters for cgroup ${detach ? 'detach' : 'attach'}`);
  const path = args.take();
  let cg: number;
  try {
    cg = openSync(path, 'r');
  } catch {
    throw new CliError(`can't open cgroup ${path}`);
  }
  try {
    const type = parseAttachType(args.take());
    if (type === undefined) throw new CliError('invalid attach type');
    const prog = progFd(args);
    try {
      let flags = 0;
      if (!detach) {
        for (const w of args.rest()) {
          if (isPrefix(w, 'multi')) flags |= BPF_F_ALLOW_MULTI;
          else if (isPrefix(w, 'override')) flags |= BPF_F_ALLOW_OVERRIDE;
          else throw new CliError(`unknown option: ${w}`);
        }
      }
      try {
        if (detach) bpf.progDetach({ targetFd: cg, attachBpfFd: prog.raw, attachType: type });
        else bpf.progAttach({ targetFd: cg, attachBpfFd: prog.raw, attachType: type, attachFlags: flags });
      } catch {
        throw new CliError(detach ? 'failed to detach program' : 'failed to attach program');
      }
    } finally {
      prog.close();
    }
  } finally {
    closeSync(cg);
  }
  if (ctx.json) ctx.jw.null();
  return 0;
}

function help(ctx: Ctx): number {
  const names = Object.keys(attachTypes).filter((n) => n.startsWith('cgroup_') || n === 'lsm_cgroup');
  return ctx.helpText(
    `Usage: ${BIN} cgroup { show | list } CGROUP [**effective**]\n` +
    `       ${BIN} cgroup tree [CGROUP_ROOT] [**effective**]\n` +
    `       ${BIN} cgroup attach CGROUP ATTACH_TYPE PROG [ATTACH_FLAGS]\n` +
    `       ${BIN} cgroup detach CGROUP ATTACH_TYPE PROG\n` +
    `       ${BIN} cgroup help\n` +
    '\n' +
    `       ${HELP_SPEC_PROGRAM}\n` +
    `       ATTACH_TYPE := { ${names.join(' |\n                        ')} }\n` +
    '       ATTACH_FLAGS := { multi | override }\n' +
    `       ${HELP_SPEC_OPTIONS} }\n`,
  );
}

export const cgroupCommands: CommandTable = {
  object: 'cgroup',
  commands: [
    ['show', doShow], ['list', doShow], ['tree', doShowTree],
    ['attach', (c, a) => attachDetach(c, a, false)], ['detach', (c, a) => attachDetach(c, a, true)], ['help', help],
  ],
  help,
};

export async function main(argv: string[]): Promise<number> {
  return runObject(cgroupCommands, argv);
}

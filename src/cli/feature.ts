// `bpfkit feature probe [kernel] [full] [macros [prefix P]]`: bpftool's report of what the kernel
// supports, with every verdict found by trying (src/features) — so program types, helpers and
// attach points are right on kernels where version- or config-based guesses are wrong.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { Args, BIN, CliError, Ctx, HELP_SPEC_OPTIONS, runObject, type CommandTable } from './bpftool/core.js';
import { kernelMapTypes, kernelProgTypes, knownHelpers, probeAttach, probeHelper, probeMapType, probeMisc, probeProgType } from '../features/probe.js';

const configOptions = [
  'CONFIG_BPF', 'CONFIG_BPF_SYSCALL', 'CONFIG_HAVE_EBPF_JIT', 'CONFIG_BPF_JIT', 'CONFIG_BPF_JIT_ALWAYS_ON',
  'CONFIG_DEBUG_INFO_BTF', 'CONFIG_DEBUG_INFO_BTF_MODULES', 'CONFIG_CGROUPS', 'CONFIG_CGROUP_BPF',
  'CONFIG_CGROUP_NET_CLASSID', 'CONFIG_SOCK_CGROUP_DATA', 'CONFIG_BPF_EVENTS', 'CONFIG_KPROBE_EVENTS',
  'CONFIG_UPROBE_EVENTS', 'CONFIG_TRACING', 'CONFIG_FTRACE_SYSCALLS', 'CONFIG_FUNCTION_ERROR_INJECTION',
  'CONFIG_BPF_KPROBE_OVERRIDE', 'CONFIG_NET', 'CONFIG_XDP_SOCKETS', 'CONFIG_LWTUNNEL_BPF', 'CONFIG_NET_ACT_BPF',
  'CONFIG_NET_CLS_BPF', 'CONFIG_NET_CLS_ACT', 'CONFIG_NET_SCH_INGRESS', 'CONFIG_XFRM', 'CONFIG_IP_ROUTE_CLASSID',
  'CONFIG_IPV6_SEG6_BPF', 'CONFIG_BPF_LIRC_MODE2', 'CONFIG_BPF_STREAM_PARSER', 'CONFIG_NETFILTER_XT_MATCH_BPF',
  'CONFIG_BPFILTER', 'CONFIG_BPFILTER_UMH', 'CONFIG_TEST_BPF', 'CONFIG_HZ',
];

interface Out {
  ctx: Ctx;
  /** undefined: plain text; a string: C macros with this prefix. */
  prefix: string | undefined;
}

function startSection(o: Out, json: string, plain: string, macro: string): void {
  if (o.ctx.json) o.ctx.jw.name(json).startObject();
  else o.ctx.print(`${o.prefix !== undefined ? macro : plain}\n`);
}

function endSection(o: Out): void {
  if (o.ctx.json) o.ctx.jw.endObject();
  else o.ctx.print('\n');
}

function boolFeature(o: Out, feat: string, plain: string, define: string, res: boolean): void {
  if (o.ctx.json) o.ctx.jw.boolField(feat, res);
  else if (o.prefix !== undefined) o.ctx.print(`#define ${o.prefix}${res ? '' : 'NO_'}HAVE_${define}\n`);
  else o.ctx.print(`${plain} is ${res ? '' : 'NOT '}available\n`);
}

function readProc(path: string): number {
  try {
    return Number.parseInt(readFileSync(path, 'utf8'), 10);
  } catch {
    return -1;
  }
}

const procfsTexts: [key: string, path: string, texts: Record<number, string>, unknown: string][] = [
  ['unprivileged_bpf_disabled', '/proc/sys/kernel/unprivileged_bpf_disabled', {
    0: 'bpf() syscall for unprivileged users is enabled', 1: 'bpf() syscall restricted to privileged users (without recovery)',
    2: 'bpf() syscall restricted to privileged users (admin can change)', [-1]: 'Unable to retrieve required privileges for bpf() syscall',
  }, 'bpf() syscall restriction has unknown value'],
  ['bpf_jit_enable', '/proc/sys/net/core/bpf_jit_enable', {
    0: 'JIT compiler is disabled', 1: 'JIT compiler is enabled', 2: 'JIT compiler is enabled with debugging traces in kernel logs',
    [-1]: 'Unable to retrieve JIT-compiler status',
  }, 'JIT-compiler status has unknown value'],
  ['bpf_jit_harden', '/proc/sys/net/core/bpf_jit_harden', {
    0: 'JIT compiler hardening is disabled', 1: 'JIT compiler hardening is enabled for unprivileged users',
    2: 'JIT compiler hardening is enabled for all users', [-1]: 'Unable to retrieve JIT hardening status',
  }, 'JIT hardening status has unknown value'],
  ['bpf_jit_kallsyms', '/proc/sys/net/core/bpf_jit_kallsyms', {
    0: 'JIT compiler kallsyms exports are disabled', 1: 'JIT compiler kallsyms exports are enabled for root',
    [-1]: 'Unable to retrieve JIT kallsyms export status',
  }, 'JIT kallsyms exports status has unknown value'],
];

/** The kernel's build configuration, from /boot/config-$(uname -r) or /proc/config.gz. */
function kernelConfig(ctx: Ctx): Map<string, string> | undefined {
  let text: string | undefined;
  for (const path of [`/boot/config-${release()}`, '/proc/config.gz']) {
    if (!existsSync(path)) continue;
    try {
      const raw = readFileSync(path);
      text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
      break;
    } catch {
      // try the next one
    }
  }
  if (text === undefined) {
    ctx.info('skipping kernel config, can\'t open file: No such file or directory');
    return undefined;
  }
  const lines = text.split('\n');
  if (lines[1] !== '# Automatically generated file; DO NOT EDIT.') {
    ctx.info('skipping kernel config, can\'t find correct file');
    return undefined;
  }
  const values = new Map<string, string>();
  for (const l of lines) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(l);
    if (m && !values.has(m[1])) values.set(m[1], m[2]);
  }
  return values;
}

function systemConfig(o: Out): void {
  const { ctx } = o;
  startSection(o, 'system_config', 'Scanning system configuration...', '/*** Misc kernel config items ***/');
  if (o.prefix === undefined) {
    for (const [key, path, texts, unknown] of procfsTexts) {
      const v = readProc(path);
      if (ctx.json) ctx.jw.intField(key, v);
      else ctx.print(`${texts[v] ?? `${unknown} ${v}`}\n`);
    }
    const limit = readProc('/proc/sys/net/core/bpf_jit_limit');
    if (ctx.json) ctx.jw.intField('bpf_jit_limit', limit);
    else ctx.print(limit === -1 ? 'Unable to retrieve global memory limit for JIT compiler for unprivileged users\n' : `Global memory limit for JIT compiler for unprivileged users is ${limit} bytes\n`);
  }
  const config = kernelConfig(ctx);
  for (const name of configOptions) {
    // Macros only carry the values BPF C code uses (CONFIG_HZ).
    if (o.prefix !== undefined && name !== 'CONFIG_HZ') continue;
    const value = config?.get(name);
    if (ctx.json) {
      // bpftool's number test never matches a line without its newline: values are strings.
      if (value === undefined) ctx.jw.nullField(name);
      else ctx.jw.stringField(name, value);
    } else if (o.prefix !== undefined) {
      ctx.print(value !== undefined ? `#define ${o.prefix}${name} ${value}\n` : `/* ${o.prefix}${name} is not set */\n`);
    } else {
      ctx.print(value !== undefined ? `${name} is set to ${value}\n` : `${name} is not set\n`);
    }
  }
  endSection(o);
}

async function doProbe(ctx: Ctx, args: Args): Promise<number> {
  let target: 'kernel' | undefined;
  let full = false;
  let prefix: string | undefined;
  while (!args.empty) {
    if (args.is('kernel')) {
      if (target) throw new CliError('component to probe already specified');
      target = 'kernel';
      args.next();
    } else if (args.is('dev')) {
      throw new CliError('probing offload devices is not supported by bpfkit');
    } else if (args.is('full')) {
      full = true;
      args.next();
    } else if (args.is('macros') && prefix === undefined) {
      prefix = '';
      args.next();
    } else if (args.is('prefix')) {
      if (prefix === undefined) throw new CliError("'prefix' argument can only be use after 'macros'");
      if (prefix !== '') throw new CliError("'prefix' already defined");
      args.next();
      args.require(1);
      prefix = args.take();
    } else if (args.is('unprivileged')) {
      throw new CliError('unprivileged probing is not supported by bpfkit');
    } else {
      throw new CliError(`expected no more arguments, 'kernel', 'dev', 'macros' or 'prefix', got: '${args.cur}'?`);
    }
  }
  if (process.getuid?.() !== 0) throw new CliError('full feature probing requires root (CAP_SYS_ADMIN)');
  const o: Out = { ctx, prefix: ctx.json ? undefined : prefix };
  const jw = ctx.jw;
  if (ctx.json) jw.startObject();
  systemConfig(o);

  startSection(o, 'syscall_config', 'Scanning system call availability...', '/*** System call availability ***/');
  boolFeature(o, 'have_bpf_syscall', 'bpf() syscall', 'BPF_SYSCALL', true);
  endSection(o);

  startSection(o, 'program_types', 'Scanning eBPF program types...', '/*** eBPF program types ***/');
  const progs = kernelProgTypes();
  for (const t of progs) boolFeature(o, `have_${t}_prog_type`, `eBPF program_type ${t}`, `${t.toUpperCase()}_PROG_TYPE`, probeProgType(t));
  endSection(o);

  startSection(o, 'map_types', 'Scanning eBPF map types...', '/*** eBPF map types ***/');
  for (const t of kernelMapTypes()) boolFeature(o, `have_${t}_map_type`, `eBPF map_type ${t}`, `${t.toUpperCase()}_MAP_TYPE`, probeMapType(t));
  endSection(o);

  startSection(o, 'helpers', 'Scanning eBPF helper functions...', '/*** eBPF helper functions ***/');
  if (o.prefix !== undefined) {
    const p = o.prefix;
    ctx.print(`/*\n * Use ${p}HAVE_PROG_TYPE_HELPER(prog_type_name, helper_name)\n * to determine if <helper_name> is available for <prog_type_name>,\n` +
      ` * e.g.\n *\t#if ${p}HAVE_PROG_TYPE_HELPER(xdp, bpf_redirect)\n *\t\t// do stuff with this helper\n *\t#elif\n *\t\t// use a workaround\n *\t#endif\n */\n` +
      `#define ${p}HAVE_PROG_TYPE_HELPER(prog_type, helper)\t\\\n\t${p}BPF__PROG_TYPE_ ## prog_type ## __HELPER_ ## helper\n`);
  }
  const noisy = new Set(['bpf_trace_printk', 'bpf_trace_vprintk', 'bpf_probe_write_user']);
  const helpers = knownHelpers().filter((h) => full || !noisy.has(h.name));
  for (const t of progs) {
    const supported = probeProgType(t);
    if (ctx.json) jw.name(`${t}_available_helpers`).startArray();
    else if (o.prefix === undefined) ctx.print(`eBPF helpers supported for program type ${t}:`);
    let any = false;
    for (const h of helpers) {
      const res = supported && probeHelper(t, h.id);
      any ||= res;
      if (ctx.json) {
        if (res) jw.string(h.name);
      } else if (o.prefix !== undefined) ctx.print(`#define ${o.prefix}BPF__PROG_TYPE_${t}__HELPER_${h.name} ${res ? 1 : 0}\n`);
      else if (res) ctx.print(`\n\t- ${h.name}`);
    }
    if (ctx.json) jw.endArray();
    else if (o.prefix === undefined) {
      ctx.print('\n');
      if (!any) ctx.print(supported ? '\tCould not determine which helpers are available\n' : '\tProgram type not supported\n');
    }
  }
  endSection(o);

  startSection(o, 'misc', 'Scanning miscellaneous eBPF features...', '/*** eBPF misc features ***/');
  const misc = probeMisc();
  boolFeature(o, 'have_large_insn_limit', 'Large program size limit', 'LARGE_INSN_LIMIT', misc.have_large_insn_limit);
  boolFeature(o, 'have_bounded_loops', 'Bounded loop support', 'BOUNDED_LOOPS', misc.have_bounded_loops);
  boolFeature(o, 'have_v2_isa_extension', 'ISA extension v2', 'V2_ISA_EXTENSION', misc.have_v2_isa_extension);
  boolFeature(o, 'have_v3_isa_extension', 'ISA extension v3', 'V3_ISA_EXTENSION', misc.have_v3_isa_extension);
  endSection(o);

  // Beyond bpftool: whether programs can actually be attached (a type may load where its hook is missing).
  startSection(o, 'attach', 'Scanning attachment points...', '/*** Attachment points ***/');
  const at = await probeAttach();
  boolFeature(o, 'have_tracepoint_attach', 'Tracepoint attachment', 'TRACEPOINT_ATTACH', at.have_tracepoint_attach);
  boolFeature(o, 'have_raw_tracepoint_attach', 'Raw tracepoint attachment', 'RAW_TRACEPOINT_ATTACH', at.have_raw_tracepoint_attach);
  boolFeature(o, 'have_tp_btf_attach', 'BTF tracepoint (tp_btf) attachment', 'TP_BTF_ATTACH', at.have_tp_btf_attach);
  boolFeature(o, 'have_kprobe_attach', 'Kprobe attachment', 'KPROBE_ATTACH', at.have_kprobe_attach);
  boolFeature(o, 'have_uprobe_attach', 'Uprobe attachment', 'UPROBE_ATTACH', at.have_uprobe_attach);
  boolFeature(o, 'have_fentry_attach', 'Fentry attachment', 'FENTRY_ATTACH', at.have_fentry_attach);
  endSection(o);

  if (ctx.json) jw.endObject();
  return 0;
}

function help(ctx: Ctx): number {
  return ctx.helpText(
    `Usage: ${BIN} feature probe [COMPONENT] [full] [macros [prefix PREFIX]]\n` +
    `       ${BIN} feature help\n` +
    '\n' +
    '       COMPONENT := { kernel }\n' +
    `       ${HELP_SPEC_OPTIONS} }\n`,
  );
}

export const featureCommands: CommandTable = {
  object: 'feature',
  commands: [['probe', doProbe], ['help', help]],
  help,
};

export async function main(argv: string[]): Promise<number> {
  return runObject(featureCommands, argv);
}

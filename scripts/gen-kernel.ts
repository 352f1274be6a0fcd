// Generates src/sys/generated/kernel.ts: every kernel number bpfkit uses.
//
// Enumerations and struct layouts come from the running kernel's BTF
// (/sys/kernel/btf/vmlinux); macros that BTF cannot carry (ioctl numbers,
// socket options, netlink flags) come from the UAPI headers, evaluated by
// compiling a tiny C program. The output is committed; rerun with `npm run gen`.
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBtf } from '../src/btf/decode.js';
import type { BtfType } from '../src/btf/types.js';

const vmlinux = process.env.BTF ?? '/sys/kernel/btf/vmlinux';
const outFile = new URL('../src/sys/generated/kernel.ts', import.meta.url).pathname;

const btf = decodeBtf(readFileSync(vmlinux), { file: vmlinux });
const types = btf.types;

function enumByName(name: string): Extract<BtfType, { kind: 'enum' | 'enum64' }> {
  const t = types.find((x) => (x.kind === 'enum' || x.kind === 'enum64') && x.name === name);
  if (!t || (t.kind !== 'enum' && t.kind !== 'enum64')) throw new Error(`enum ${name} not in ${vmlinux}`);
  return t;
}

/** The enum (named or anonymous) that has an enumerator called `member`. */
function enumWithMember(member: string): Extract<BtfType, { kind: 'enum' | 'enum64' }> {
  const t = types.find((x) => (x.kind === 'enum' || x.kind === 'enum64') && x.values.some((v) => v.name === member));
  if (!t || (t.kind !== 'enum' && t.kind !== 'enum64')) throw new Error(`no enum has ${member}`);
  return t;
}

/** name → value, with `prefix` stripped and lower-cased; `__MAX` sentinels dropped. */
function table(e: Extract<BtfType, { kind: 'enum' | 'enum64' }>, prefix: string, keepCase = false): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of e.values) {
    if (v.name.startsWith('__') || v.name.endsWith('_MAX') && !v.name.startsWith(prefix)) continue;
    if (!v.name.startsWith(prefix)) continue;
    let key = v.name.slice(prefix.length);
    if (!keepCase) key = key.toLowerCase();
    if (key === 'max' || key.startsWith('max_')) continue;
    out[key] = Number(v.value);
  }
  return out;
}

function structByName(name: string, kind: 'struct' | 'union' = 'struct'): Extract<BtfType, { kind: 'struct' | 'union' }> {
  const t = types.find((x) => x.kind === kind && x.name === name);
  if (!t || (t.kind !== 'struct' && t.kind !== 'union')) throw new Error(`${kind} ${name} not in ${vmlinux}`);
  return t;
}

function resolve(id: number): BtfType {
  let t = types[id];
  while (t && (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag')) t = types[t.type];
  return t;
}

function sizeOf(id: number): number {
  const t = resolve(id);
  switch (t.kind) {
    case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'float': return t.size;
    case 'ptr': return 8;
    case 'array': return t.nelems * sizeOf(t.type);
    default: return 0;
  }
}

export interface Field { off: number; size: number; bitOff?: number; bits?: number }

/** Flattens a struct: anonymous members merge in, named aggregates become `name.member`. */
function flatten(t: Extract<BtfType, { kind: 'struct' | 'union' }>, base: number, prefix: string, out: Record<string, Field>): void {
  for (const m of t.members) {
    const mt = resolve(m.type);
    const bitOffset = base + m.bitOffset;
    if (m.bitfieldSize) {
      const unit = sizeOf(m.type);
      const off = Math.floor(bitOffset / (unit * 8)) * unit;
      out[prefix + m.name] = { off, size: unit, bitOff: bitOffset - off * 8, bits: m.bitfieldSize };
      continue;
    }
    if ((mt.kind === 'struct' || mt.kind === 'union') && m.name === '') {
      flatten(mt, bitOffset, prefix, out);
      continue;
    }
    out[prefix + m.name] = { off: bitOffset / 8, size: sizeOf(m.type) };
    if (mt.kind === 'struct' || mt.kind === 'union') flatten(mt, bitOffset, `${prefix}${m.name}.`, out);
  }
}

interface Layout { size: number; fields: Record<string, Field> }

function layoutOf(t: Extract<BtfType, { kind: 'struct' | 'union' }>): Layout {
  const fields: Record<string, Field> = {};
  flatten(t, 0, '', fields);
  return { size: t.size, fields };
}

// union bpf_attr: one anonymous or named struct per command family.
const attr = structByName('bpf_attr', 'union');
const attrLayouts: Record<string, Layout> = {};
// The anonymous ones are known by their first member (the kernel never renames these).
const anonymousByFirstMember: Record<string, string> = {
  map_type: 'map_create',
  map_fd: 'map_elem',
  prog_type: 'prog_load',
  pathname: 'obj',
  target_fd: 'prog_attach',
  start_id: 'get_id',
  btf: 'btf_load',
};
for (const m of attr.members) {
  const mt = resolve(m.type);
  if (mt.kind !== 'struct') continue;
  let name = m.name;
  if (!name) {
    const layout = layoutOf(mt);
    const first = Object.keys(layout.fields)[0];
    name = anonymousByFirstMember[first];
    if (!name) continue;
  }
  attrLayouts[name] = layoutOf(mt);
}
for (const required of [...Object.values(anonymousByFirstMember), 'batch', 'test', 'info', 'query', 'raw_tracepoint', 'task_fd_query', 'link_create', 'link_update', 'link_detach', 'enable_stats', 'iter_create', 'prog_bind_map']) {
  if (!attrLayouts[required]) throw new Error(`bpf_attr has no struct for ${required}`);
}

const structs: Record<string, Layout> = {};
for (const name of ['bpf_prog_info', 'bpf_map_info', 'bpf_btf_info', 'bpf_link_info', 'perf_event_attr', 'perf_event_mmap_page',
  'perf_event_header', 'bpf_stack_build_id', '__sk_buff', 'xdp_md', 'bpf_sock_addr', 'bpf_func_info', 'bpf_line_info',
  'bpf_core_relo', 'bpf_insn', 'seccomp_data', 'sock_fprog', 'ifinfomsg', 'tcmsg', 'nlmsghdr', 'nlattr', 'nlmsgerr',
  'sockaddr_nl', 'sockaddr_ll', 'bpf_prog_load_opts', 'bpf_cgroup_dev_ctx', 'bpf_sysctl', 'bpf_sock', 'bpf_sock_ops',
  'tpacket_stats']) {
  const t = types.find((x) => x.kind === 'struct' && x.name === name);
  if (t && t.kind === 'struct') structs[name] = layoutOf(t);
}
for (const required of ['bpf_prog_info', 'bpf_map_info', 'bpf_btf_info', 'bpf_link_info', 'perf_event_attr', 'perf_event_mmap_page']) {
  if (!structs[required]) throw new Error(`struct ${required} not in BTF`);
}

const enums = {
  bpfCmd: table(enumByName('bpf_cmd'), 'BPF_'),
  mapTypes: table(enumByName('bpf_map_type'), 'BPF_MAP_TYPE_'),
  progTypes: table(enumByName('bpf_prog_type'), 'BPF_PROG_TYPE_'),
  attachTypes: table(enumByName('bpf_attach_type'), 'BPF_'),
  linkTypes: table(enumByName('bpf_link_type'), 'BPF_LINK_TYPE_'),
  helperIds: table(enumByName('bpf_func_id'), 'BPF_FUNC_', true),
  mapFlags: table(enumWithMember('BPF_F_NO_PREALLOC'), 'BPF_F_'),
  updateFlags: { any: 0, noexist: 1, exist: 2, lock: 4, ...{} } as Record<string, number>,
  statsTypes: table(enumByName('bpf_stats_type'), 'BPF_STATS_'),
  perfTypes: table(enumByName('perf_type_id'), 'PERF_TYPE_'),
  perfSwIds: table(enumByName('perf_sw_ids'), 'PERF_COUNT_SW_'),
  perfHwIds: table(enumByName('perf_hw_id'), 'PERF_COUNT_HW_'),
  perfSampleFormat: table(enumByName('perf_event_sample_format'), 'PERF_SAMPLE_'),
  perfRecordTypes: table(enumByName('perf_event_type'), 'PERF_RECORD_'),
  xdpActions: table(enumByName('xdp_action'), 'XDP_'),
  ifla: table(enumWithMember('IFLA_XDP'), 'IFLA_', true),
  iflaXdp: table(enumWithMember('IFLA_XDP_FD'), 'IFLA_XDP_', true),
  tcaAttrs: table(enumWithMember('TCA_KIND'), 'TCA_', true),
  tcaBpf: table(enumWithMember('TCA_BPF_FD'), 'TCA_BPF_', true),
  rtmTypes: table(enumWithMember('RTM_NEWLINK'), 'RTM_', true),
  nlmsgerrAttrs: table(enumWithMember('NLMSGERR_ATTR_MSG'), 'NLMSGERR_ATTR_', true),
  xdpAttached: table(enumWithMember('XDP_ATTACHED_SKB'), 'XDP_ATTACHED_', true),
  nfProtos: table(enumWithMember('NFPROTO_IPV4'), 'NFPROTO_', true),
  nfInetHooks: table(enumWithMember('NF_INET_LOCAL_IN'), 'NF_INET_', true),
  ipProtos: table(enumWithMember('IPPROTO_ICMP'), 'IPPROTO_', true),
  btfKinds: {} as Record<string, number>,
};
// Update flags are an anonymous enum in bpf.h: BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK.
{
  const e = enumWithMember('BPF_NOEXIST');
  const m: Record<string, number> = {};
  for (const v of e.values) m[v.name.replace(/^BPF_(F_)?/, '').toLowerCase()] = Number(v.value);
  enums.updateFlags = m;
}
delete (enums as Record<string, unknown>).btfKinds;

// Flag enumerators (anonymous enums of BPF_F_*) keyed by their full name.
const bpfFlags: Record<string, string> = {};
for (const t of types) {
  if (t.kind !== 'enum' && t.kind !== 'enum64') continue;
  for (const v of t.values) if (v.name.startsWith('BPF_F_') || v.name.startsWith('BPF_SK_') || v.name.startsWith('BPF_TCX_') || v.name.startsWith('BPF_RB_') || v.name.startsWith('BPF_RINGBUF_')) bpfFlags[v.name] = `0x${BigInt.asUintN(64, v.value).toString(16)}`;
}

// Macros, evaluated by the C compiler over the UAPI headers.
const macros = [
  'PERF_EVENT_IOC_ENABLE', 'PERF_EVENT_IOC_DISABLE', 'PERF_EVENT_IOC_SET_BPF', 'PERF_EVENT_IOC_RESET',
  'PERF_EVENT_IOC_PERIOD', 'PERF_EVENT_IOC_SET_OUTPUT', 'PERF_EVENT_IOC_QUERY_BPF', 'PERF_EVENT_IOC_PAUSE_OUTPUT',
  'PERF_FLAG_FD_CLOEXEC', 'PERF_FLAG_FD_NO_GROUP', 'PERF_MAX_STACK_DEPTH',
  'BPF_OBJ_NAME_LEN', 'BPF_TAG_SIZE', 'BPF_PSEUDO_MAP_FD', 'BPF_PSEUDO_MAP_VALUE', 'BPF_PSEUDO_MAP_IDX',
  'BPF_PSEUDO_MAP_IDX_VALUE', 'BPF_PSEUDO_BTF_ID', 'BPF_PSEUDO_FUNC', 'BPF_PSEUDO_CALL', 'BPF_PSEUDO_KFUNC_CALL',
  'BPF_F_ALLOW_OVERRIDE', 'BPF_F_ALLOW_MULTI', 'BPF_F_REPLACE', 'BPF_F_BEFORE', 'BPF_F_AFTER', 'BPF_F_ID', 'BPF_F_LINK',
  'BPF_F_STRICT_ALIGNMENT', 'BPF_F_ANY_ALIGNMENT', 'BPF_F_TEST_RND_HI32', 'BPF_F_TEST_STATE_FREQ', 'BPF_F_SLEEPABLE',
  'BPF_F_XDP_HAS_FRAGS', 'BPF_F_XDP_DEV_BOUND_ONLY', 'BPF_F_TEST_RUN_ON_CPU', 'BPF_F_TEST_XDP_LIVE_FRAMES', 'BPF_F_QUERY_EFFECTIVE',
  'BPF_BUILD_ID_SIZE', 'BPF_RINGBUF_BUSY_BIT', 'BPF_RINGBUF_DISCARD_BIT', 'BPF_RINGBUF_HDR_SZ',
  'XDP_FLAGS_UPDATE_IF_NOEXIST', 'XDP_FLAGS_SKB_MODE', 'XDP_FLAGS_DRV_MODE', 'XDP_FLAGS_HW_MODE', 'XDP_FLAGS_REPLACE',
  'SO_ATTACH_FILTER', 'SO_DETACH_FILTER', 'SO_ATTACH_BPF', 'SO_DETACH_BPF', 'SO_ATTACH_REUSEPORT_CBPF',
  'SO_ATTACH_REUSEPORT_EBPF', 'SO_REUSEPORT', 'SO_LOCK_FILTER', 'SOL_SOCKET', 'SO_RCVBUF', 'SO_TIMESTAMP',
  'AF_NETLINK', 'AF_PACKET', 'AF_INET', 'AF_INET6', 'AF_UNIX', 'PF_PACKET', 'SOCK_RAW', 'SOCK_DGRAM', 'SOCK_STREAM',
  'SOCK_CLOEXEC', 'SOCK_NONBLOCK', 'ETH_P_ALL', 'ETH_P_IP', 'ETH_P_IPV6', 'NETLINK_ROUTE', 'NETLINK_EXT_ACK',
  'NETLINK_GET_STRICT_CHK', 'SOL_NETLINK', 'SOL_PACKET', 'PACKET_ADD_MEMBERSHIP', 'PACKET_MR_PROMISC', 'PACKET_AUXDATA',
  'NLM_F_REQUEST', 'NLM_F_MULTI', 'NLM_F_ACK', 'NLM_F_ECHO', 'NLM_F_DUMP', 'NLM_F_REPLACE', 'NLM_F_EXCL',
  'NLM_F_CREATE', 'NLM_F_APPEND', 'NLM_F_ACK_TLVS', 'NLM_F_CAPPED',
  'NLMSG_ERROR', 'NLMSG_DONE', 'NLMSG_NOOP', 'NLA_F_NESTED', 'TC_H_ROOT', 'TC_H_CLSACT', 'TC_H_INGRESS',
  'TC_H_MIN_INGRESS', 'TC_H_MIN_EGRESS', 'TC_H_MAJ_MASK', 'TC_H_MIN_MASK', 'TCA_BPF_FLAG_ACT_DIRECT',
  'TC_ACT_OK', 'TC_ACT_SHOT', 'TC_ACT_UNSPEC', 'TC_ACT_PIPE', 'TC_ACT_REDIRECT',
  'SECCOMP_SET_MODE_STRICT', 'SECCOMP_SET_MODE_FILTER', 'SECCOMP_GET_ACTION_AVAIL', 'SECCOMP_GET_NOTIF_SIZES',
  'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_NEW_LISTENER',
  'SECCOMP_RET_KILL_PROCESS', 'SECCOMP_RET_KILL_THREAD', 'SECCOMP_RET_TRAP', 'SECCOMP_RET_ERRNO',
  'SECCOMP_RET_USER_NOTIF', 'SECCOMP_RET_TRACE', 'SECCOMP_RET_LOG', 'SECCOMP_RET_ALLOW', 'SECCOMP_RET_ACTION_FULL',
  'SECCOMP_RET_DATA', 'PR_SET_NO_NEW_PRIVS', 'PR_GET_NO_NEW_PRIVS', 'PR_SET_SECCOMP', 'PR_SET_NAME', 'PR_SET_PDEATHSIG',
  'CLONE_NEWNET', 'CLONE_NEWNS', 'CLONE_NEWPID', 'CLONE_NEWCGROUP', 'CLONE_NEWUSER',
  'PROT_READ', 'PROT_WRITE', 'MAP_SHARED', 'MAP_PRIVATE', 'O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_CLOEXEC', 'O_DIRECTORY',
  'AUDIT_ARCH_X86_64', 'AUDIT_ARCH_I386', 'AUDIT_ARCH_AARCH64', 'AUDIT_ARCH_ARM', 'AUDIT_ARCH_RISCV64',
  'AUDIT_ARCH_S390X', 'AUDIT_ARCH_PPC64LE', 'AUDIT_ARCH_PPC64', 'AUDIT_ARCH_MIPS', 'AUDIT_ARCH_MIPSEL',
  'AUDIT_ARCH_LOONGARCH64', '__X32_SYSCALL_BIT',
  'SKF_AD_OFF', 'SKF_NET_OFF', 'SKF_LL_OFF', 'FIONCLEX',
  'SO_DETACH_REUSEPORT_BPF', 'MSG_DONTWAIT', 'MSG_PEEK', 'MSG_TRUNC', 'SO_ERROR', 'SO_RCVTIMEO', 'SO_SNDTIMEO', 'SO_BINDTODEVICE', 'SOL_IP', 'IFNAMSIZ', 'ETH_HLEN',
  'NETLINK_CAP_ACK', 'TCA_CLS_FLAGS_SKIP_HW', 'TCA_CLS_FLAGS_SKIP_SW', 'BPF_F_NETFILTER_IP_DEFRAG',
  'PACKET_STATISTICS', 'PACKET_HOST', 'PACKET_OUTGOING', 'SIOCGSTAMPNS', 'ARPHRD_ETHER', 'ARPHRD_LOOPBACK', 'ARPHRD_NONE',
];
const headers = ['linux/bpf.h', 'linux/perf_event.h', 'linux/if_link.h', 'linux/netlink.h', 'linux/rtnetlink.h',
  'linux/pkt_sched.h', 'linux/pkt_cls.h', 'linux/if_ether.h', 'linux/if_packet.h', 'linux/seccomp.h', 'linux/audit.h',
  'linux/filter.h', 'sys/socket.h', 'sys/prctl.h', 'sys/mman.h', 'fcntl.h', 'sched.h', 'asm/unistd.h', 'sys/ioctl.h',
  'linux/sockios.h', 'linux/if_arp.h', 'linux/hw_breakpoint.h'];
// Enum constants of the UAPI headers (no #ifdef can test them; the header defines them all).
const enumConstants = ['HW_BREAKPOINT_R', 'HW_BREAKPOINT_W', 'HW_BREAKPOINT_RW', 'HW_BREAKPOINT_X'];
function evalMacros(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-gen-'));
  try {
    const c = [
      '#define _GNU_SOURCE',
      ...headers.map((h) => `#include <${h}>`),
      '#include <stdio.h>',
      'int main(void) {',
      // A macro newer than the installed headers is left out (and reported), not guessed.
      ...macros.map((m) => `#ifdef ${m}\n  printf("%s %llu\\n", "${m}", (unsigned long long)(${m}));\n#else\n  fprintf(stderr, "not in the installed headers: %s\\n", "${m}");\n#endif`),
      ...enumConstants.map((m) => `  printf("%s %llu\\n", "${m}", (unsigned long long)(${m}));`),
      '  return 0;',
      '}',
    ].join('\n');
    writeFileSync(join(dir, 'm.c'), c);
    execFileSync('cc', ['-I', process.env.UAPI_INCLUDE ?? '/usr/include', '-o', join(dir, 'm'), join(dir, 'm.c')], { stdio: ['ignore', 'ignore', 'inherit'] });
    const out = execFileSync(join(dir, 'm'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const values: Record<string, string> = {};
    for (const line of out.trim().split('\n')) {
      const [name, value] = line.split(' ');
      values[name] = `0x${BigInt(value).toString(16)}`;
    }
    return values;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const macroValues = evalMacros();

function objectLiteral(o: Record<string, number | string>, indent = '  '): string {
  return `{\n${Object.entries(o).map(([k, v]) => `${indent}${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${v},`).join('\n')}\n}`;
}

function layoutLiteral(l: Layout): string {
  const fields = Object.entries(l.fields).map(([k, f]) => {
    const extra = f.bits !== undefined ? `, bitOff: ${f.bitOff}, bits: ${f.bits}` : '';
    return `    ${JSON.stringify(k)}: { off: ${f.off}, size: ${f.size}${extra} },`;
  });
  return `{ size: ${l.size}, fields: {\n${fields.join('\n')}\n  } }`;
}

const release = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
let text = `// GENERATED by scripts/gen-kernel.ts from ${vmlinux} (kernel ${release}) and the UAPI headers.\n// Do not edit: run \`npm run gen\`.\n/* eslint-disable */\n\n`;
for (const [name, values] of Object.entries(enums)) {
  const typeName = name[0].toUpperCase() + name.slice(1).replace(/s$/, '');
  text += `export const ${name} = ${objectLiteral(values)} as const;\nexport type ${typeName}Name = keyof typeof ${name};\n\n`;
}
text += `/** BPF_F_* and related flag enumerators, by full name. */\nexport const bpfFlags = ${objectLiteral(Object.fromEntries(Object.entries(bpfFlags).map(([k, v]) => [k, `${v}n`])))} as const;\n\n`;
text += `/** Macros from the UAPI headers (bigint: some exceed 2^53). */\nexport const macros = ${objectLiteral(Object.fromEntries(Object.entries(macroValues).map(([k, v]) => [k, `${v}n`])))} as const;\n\n`;
text += `export interface Field { off: number; size: number; bitOff?: number; bits?: number }\nexport interface Layout { size: number; fields: Record<string, Field> }\n\n`;
text += `/** union bpf_attr, one layout per command family. */\nexport const attrLayouts = {\n${Object.entries(attrLayouts).map(([k, l]) => `  ${k}: ${layoutLiteral(l)},`).join('\n')}\n} as const satisfies Record<string, Layout>;\n\n`;
text += `/** Kernel structs, flattened: anonymous members merged, nested ones as 'outer.inner'. */\nexport const structLayouts = {\n${Object.entries(structs).map(([k, l]) => `  ${k}: ${layoutLiteral(l)},`).join('\n')}\n} as const satisfies Record<string, Layout>;\n`;
mkdirSync(new URL('.', `file://${outFile}`).pathname, { recursive: true });
writeFileSync(outFile, text);
console.log(`wrote ${outFile}: ${Object.values(enums).reduce((n, e) => n + Object.keys(e).length, 0)} enumerators, ${Object.keys(macroValues).length} macros, ${Object.keys(attrLayouts).length} attr layouts, ${Object.keys(structs).length} structs`);

// glibc's strerror() texts, which bpftool and bpftrace print ("No such file or directory"); Node
// only knows libuv's. Taken from the C library by running strerror() for every errno value.
function strerrorTexts(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-gen-'));
  try {
    writeFileSync(join(dir, 's.c'), '#include <stdio.h>\n#include <string.h>\nint main(void) { for (int i = 0; i < 134; i++) printf("%s\\n", strerror(i)); return 0; }\n');
    execFileSync('cc', ['-o', join(dir, 's'), join(dir, 's.c')]);
    return execFileSync(join(dir, 's'), { encoding: 'utf8' }).replace(/\n$/, '').split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const strerrorFile = new URL('../src/sys/generated/strerror.ts', import.meta.url).pathname;
const texts = strerrorTexts();
writeFileSync(strerrorFile, `// GENERATED by scripts/gen-kernel.ts from the C library's strerror(). Do not edit: run \`npm run gen\`.\n\n/** strerror(errno) of glibc, indexed by errno. */\nexport const strerrorTexts: readonly string[] = ${JSON.stringify(texts, null, 2)};\n`);
console.log(`wrote ${strerrorFile}: ${texts.length} errno texts`);

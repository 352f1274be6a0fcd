// libbpf's SEC() table (section_defs[] in libbpf src/libbpf.c), kept in one place and in libbpf's
// order: the first matching row wins. Program and attach types are the kernel's enum names,
// lower case, without the BPF_PROG_TYPE_ / BPF_ prefix.
//
// Matching rules (libbpf sec_def_matches): a row ending in '/' matches any name with that prefix;
// a row ending in '+' matches the exact name or the name followed by '/' and anything;
// any other row matches the exact name only. A leading '?' on a section name marks the program
// as not auto-loaded and is not part of the match.

/** libbpf's sec_def_flags. */
export type SectionFlag = 'attachable' | 'attachable_opt' | 'attach_btf' | 'sleepable' | 'xdp_frags' | 'usdt' | 'exp_attach_opt';

export interface SectionDef {
  /** The pattern as libbpf writes it, e.g. 'kprobe+', 'cgroup/connect4'. */
  sec: string;
  programType: string;
  /** Expected attach type; undefined where libbpf passes 0. */
  attachType: string | undefined;
  flags: readonly SectionFlag[];
  /** libbpf's auto-attach handler (attach_<name>), when the section has one. */
  attach: string | undefined;
}

type Row = [string, string, string | undefined, SectionFlag[], string | undefined];

const ROWS: Row[] = [
  ['socket', 'socket_filter', undefined, [], undefined],
  ['sk_reuseport/migrate', 'sk_reuseport', 'sk_reuseport_select_or_migrate', ['attachable'], undefined],
  ['sk_reuseport', 'sk_reuseport', 'sk_reuseport_select', ['attachable'], undefined],
  ['kprobe+', 'kprobe', undefined, [], 'kprobe'],
  ['uprobe+', 'kprobe', undefined, [], 'uprobe'],
  ['uprobe.s+', 'kprobe', undefined, ['sleepable'], 'uprobe'],
  ['kretprobe+', 'kprobe', undefined, [], 'kprobe'],
  ['uretprobe+', 'kprobe', undefined, [], 'uprobe'],
  ['uretprobe.s+', 'kprobe', undefined, ['sleepable'], 'uprobe'],
  ['kprobe.multi+', 'kprobe', 'trace_kprobe_multi', [], 'kprobe_multi'],
  ['kretprobe.multi+', 'kprobe', 'trace_kprobe_multi', [], 'kprobe_multi'],
  ['kprobe.session+', 'kprobe', 'trace_kprobe_session', [], 'kprobe_session'],
  ['uprobe.multi+', 'kprobe', 'trace_uprobe_multi', [], 'uprobe_multi'],
  ['uretprobe.multi+', 'kprobe', 'trace_uprobe_multi', [], 'uprobe_multi'],
  ['uprobe.session+', 'kprobe', 'trace_uprobe_session', [], 'uprobe_multi'],
  ['uprobe.multi.s+', 'kprobe', 'trace_uprobe_multi', ['sleepable'], 'uprobe_multi'],
  ['uretprobe.multi.s+', 'kprobe', 'trace_uprobe_multi', ['sleepable'], 'uprobe_multi'],
  ['uprobe.session.s+', 'kprobe', 'trace_uprobe_session', ['sleepable'], 'uprobe_multi'],
  ['ksyscall+', 'kprobe', undefined, [], 'ksyscall'],
  ['kretsyscall+', 'kprobe', undefined, [], 'ksyscall'],
  ['usdt+', 'kprobe', undefined, ['usdt'], 'usdt'],
  ['usdt.s+', 'kprobe', undefined, ['usdt', 'sleepable'], 'usdt'],
  ['tc/ingress', 'sched_cls', 'tcx_ingress', [], undefined],
  ['tc/egress', 'sched_cls', 'tcx_egress', [], undefined],
  ['tcx/ingress', 'sched_cls', 'tcx_ingress', [], undefined],
  ['tcx/egress', 'sched_cls', 'tcx_egress', [], undefined],
  ['tc', 'sched_cls', undefined, [], undefined],
  ['classifier', 'sched_cls', undefined, [], undefined],
  ['action', 'sched_act', undefined, [], undefined],
  ['netkit/primary', 'sched_cls', 'netkit_primary', [], undefined],
  ['netkit/peer', 'sched_cls', 'netkit_peer', [], undefined],
  ['tracepoint+', 'tracepoint', undefined, [], 'tp'],
  ['tp+', 'tracepoint', undefined, [], 'tp'],
  ['tracepoint.s+', 'tracepoint', undefined, ['sleepable'], 'tp'],
  ['tp.s+', 'tracepoint', undefined, ['sleepable'], 'tp'],
  ['raw_tracepoint+', 'raw_tracepoint', undefined, [], 'raw_tp'],
  ['raw_tp+', 'raw_tracepoint', undefined, [], 'raw_tp'],
  ['raw_tracepoint.s+', 'raw_tracepoint', undefined, ['sleepable'], 'raw_tp'],
  ['raw_tp.s+', 'raw_tracepoint', undefined, ['sleepable'], 'raw_tp'],
  ['raw_tracepoint.w+', 'raw_tracepoint_writable', undefined, [], 'raw_tp'],
  ['raw_tp.w+', 'raw_tracepoint_writable', undefined, [], 'raw_tp'],
  ['tp_btf+', 'tracing', 'trace_raw_tp', ['attach_btf'], 'trace'],
  ['tp_btf.s+', 'tracing', 'trace_raw_tp', ['attach_btf', 'sleepable'], 'trace'],
  ['fentry+', 'tracing', 'trace_fentry', ['attach_btf'], 'trace'],
  ['fmod_ret+', 'tracing', 'modify_return', ['attach_btf'], 'trace'],
  ['fexit+', 'tracing', 'trace_fexit', ['attach_btf'], 'trace'],
  ['fentry.s+', 'tracing', 'trace_fentry', ['attach_btf', 'sleepable'], 'trace'],
  ['fmod_ret.s+', 'tracing', 'modify_return', ['attach_btf', 'sleepable'], 'trace'],
  ['fexit.s+', 'tracing', 'trace_fexit', ['attach_btf', 'sleepable'], 'trace'],
  ['fsession+', 'tracing', 'trace_fsession', ['attach_btf'], 'trace'],
  ['fsession.s+', 'tracing', 'trace_fsession', ['attach_btf', 'sleepable'], 'trace'],
  ['fsession.multi+', 'tracing', 'trace_fsession_multi', [], 'tracing_multi'],
  ['fsession.multi.s+', 'tracing', 'trace_fsession_multi', ['sleepable'], 'tracing_multi'],
  ['fentry.multi+', 'tracing', 'trace_fentry_multi', [], 'tracing_multi'],
  ['fexit.multi+', 'tracing', 'trace_fexit_multi', [], 'tracing_multi'],
  ['fentry.multi.s+', 'tracing', 'trace_fentry_multi', ['sleepable'], 'tracing_multi'],
  ['fexit.multi.s+', 'tracing', 'trace_fexit_multi', ['sleepable'], 'tracing_multi'],
  ['freplace+', 'ext', undefined, ['attach_btf'], 'trace'],
  ['lsm+', 'lsm', 'lsm_mac', ['attach_btf'], 'lsm'],
  ['lsm.s+', 'lsm', 'lsm_mac', ['attach_btf', 'sleepable'], 'lsm'],
  ['lsm_cgroup+', 'lsm', 'lsm_cgroup', ['attach_btf'], undefined],
  ['iter+', 'tracing', 'trace_iter', ['attach_btf'], 'iter'],
  ['iter.s+', 'tracing', 'trace_iter', ['attach_btf', 'sleepable'], 'iter'],
  ['syscall', 'syscall', undefined, ['sleepable'], undefined],
  ['xdp.frags/devmap', 'xdp', 'xdp_devmap', ['xdp_frags'], undefined],
  ['xdp/devmap', 'xdp', 'xdp_devmap', ['attachable'], undefined],
  ['xdp.frags/cpumap', 'xdp', 'xdp_cpumap', ['xdp_frags'], undefined],
  ['xdp/cpumap', 'xdp', 'xdp_cpumap', ['attachable'], undefined],
  ['xdp.frags', 'xdp', 'xdp', ['xdp_frags'], undefined],
  ['xdp', 'xdp', 'xdp', ['attachable_opt'], undefined],
  ['perf_event', 'perf_event', undefined, [], undefined],
  ['lwt_in', 'lwt_in', undefined, [], undefined],
  ['lwt_out', 'lwt_out', undefined, [], undefined],
  ['lwt_xmit', 'lwt_xmit', undefined, [], undefined],
  ['lwt_seg6local', 'lwt_seg6local', undefined, [], undefined],
  ['sockops', 'sock_ops', 'cgroup_sock_ops', ['attachable_opt'], undefined],
  ['sk_skb/stream_parser', 'sk_skb', 'sk_skb_stream_parser', ['attachable_opt'], undefined],
  ['sk_skb/stream_verdict', 'sk_skb', 'sk_skb_stream_verdict', ['attachable_opt'], undefined],
  ['sk_skb/verdict', 'sk_skb', 'sk_skb_verdict', ['attachable_opt'], undefined],
  ['sk_skb', 'sk_skb', undefined, [], undefined],
  ['sk_msg', 'sk_msg', 'sk_msg_verdict', ['attachable_opt'], undefined],
  ['lirc_mode2', 'lirc_mode2', 'lirc_mode2', ['attachable_opt'], undefined],
  ['flow_dissector', 'flow_dissector', 'flow_dissector', ['attachable_opt'], undefined],
  ['cgroup_skb/ingress', 'cgroup_skb', 'cgroup_inet_ingress', ['attachable_opt'], undefined],
  ['cgroup_skb/egress', 'cgroup_skb', 'cgroup_inet_egress', ['attachable_opt'], undefined],
  ['cgroup/skb', 'cgroup_skb', undefined, [], undefined],
  ['cgroup/sock_create', 'cgroup_sock', 'cgroup_inet_sock_create', ['attachable'], undefined],
  ['cgroup/sock_release', 'cgroup_sock', 'cgroup_inet_sock_release', ['attachable'], undefined],
  ['cgroup/sock', 'cgroup_sock', 'cgroup_inet_sock_create', ['attachable_opt'], undefined],
  ['cgroup/post_bind4', 'cgroup_sock', 'cgroup_inet4_post_bind', ['attachable'], undefined],
  ['cgroup/post_bind6', 'cgroup_sock', 'cgroup_inet6_post_bind', ['attachable'], undefined],
  ['cgroup/bind4', 'cgroup_sock_addr', 'cgroup_inet4_bind', ['attachable'], undefined],
  ['cgroup/bind6', 'cgroup_sock_addr', 'cgroup_inet6_bind', ['attachable'], undefined],
  ['cgroup/connect4', 'cgroup_sock_addr', 'cgroup_inet4_connect', ['attachable'], undefined],
  ['cgroup/connect6', 'cgroup_sock_addr', 'cgroup_inet6_connect', ['attachable'], undefined],
  ['cgroup/connect_unix', 'cgroup_sock_addr', 'cgroup_unix_connect', ['attachable'], undefined],
  ['cgroup/sendmsg4', 'cgroup_sock_addr', 'cgroup_udp4_sendmsg', ['attachable'], undefined],
  ['cgroup/sendmsg6', 'cgroup_sock_addr', 'cgroup_udp6_sendmsg', ['attachable'], undefined],
  ['cgroup/sendmsg_unix', 'cgroup_sock_addr', 'cgroup_unix_sendmsg', ['attachable'], undefined],
  ['cgroup/recvmsg4', 'cgroup_sock_addr', 'cgroup_udp4_recvmsg', ['attachable'], undefined],
  ['cgroup/recvmsg6', 'cgroup_sock_addr', 'cgroup_udp6_recvmsg', ['attachable'], undefined],
  ['cgroup/recvmsg_unix', 'cgroup_sock_addr', 'cgroup_unix_recvmsg', ['attachable'], undefined],
  ['cgroup/getpeername4', 'cgroup_sock_addr', 'cgroup_inet4_getpeername', ['attachable'], undefined],
  ['cgroup/getpeername6', 'cgroup_sock_addr', 'cgroup_inet6_getpeername', ['attachable'], undefined],
  ['cgroup/getpeername_unix', 'cgroup_sock_addr', 'cgroup_unix_getpeername', ['attachable'], undefined],
  ['cgroup/getsockname4', 'cgroup_sock_addr', 'cgroup_inet4_getsockname', ['attachable'], undefined],
  ['cgroup/getsockname6', 'cgroup_sock_addr', 'cgroup_inet6_getsockname', ['attachable'], undefined],
  ['cgroup/getsockname_unix', 'cgroup_sock_addr', 'cgroup_unix_getsockname', ['attachable'], undefined],
  ['cgroup/sysctl', 'cgroup_sysctl', 'cgroup_sysctl', ['attachable'], undefined],
  ['cgroup/getsockopt', 'cgroup_sockopt', 'cgroup_getsockopt', ['attachable'], undefined],
  ['cgroup/setsockopt', 'cgroup_sockopt', 'cgroup_setsockopt', ['attachable'], undefined],
  ['cgroup/dev', 'cgroup_device', 'cgroup_device', ['attachable_opt'], undefined],
  ['struct_ops+', 'struct_ops', undefined, [], undefined],
  ['struct_ops.s+', 'struct_ops', undefined, ['sleepable'], undefined],
  ['sk_lookup', 'sk_lookup', 'sk_lookup', ['attachable'], undefined],
  ['netfilter', 'netfilter', 'netfilter', [], undefined],
];

export const SECTION_DEFS: readonly SectionDef[] = ROWS.map(([sec, programType, attachType, flags, attach]) =>
  Object.freeze({ sec, programType, attachType, flags: Object.freeze(flags), attach }),
);

export function sectionDefMatches(def: SectionDef, name: string): boolean {
  const pat = def.sec;
  const last = pat[pat.length - 1];
  if (last === '/') return name.startsWith(pat);
  if (last === '+') {
    const stem = pat.slice(0, -1);
    if (!name.startsWith(stem)) return false;
    return name.length === stem.length || name[stem.length] === '/';
  }
  return name === pat;
}

export interface SectionInfo {
  def: SectionDef | undefined;
  programType: string;
  attachType: string | undefined;
  sleepable: boolean;
  xdpFrags: boolean;
  /** False when the section name starts with '?' (libbpf: autoload off). */
  autoload: boolean;
  /** The section name without a leading '?'. */
  name: string;
  /** What follows the first '/' for prefix-style rows (the probe target, tracepoint, BTF name…). */
  target: string | undefined;
}

/** Classifies a program section name as libbpf does; unknown names give programType 'unspec'. */
export function classifySection(sectionName: string): SectionInfo {
  const autoload = !sectionName.startsWith('?');
  const name = autoload ? sectionName : sectionName.slice(1);
  const def = SECTION_DEFS.find((d) => sectionDefMatches(d, name));
  const slash = name.indexOf('/');
  const prefixStyle = def !== undefined && (def.sec.endsWith('+') || def.sec.endsWith('/'));
  return {
    def,
    programType: def ? def.programType : 'unspec',
    attachType: def?.attachType,
    sleepable: def ? def.flags.includes('sleepable') : false,
    xdpFrags: def ? def.flags.includes('xdp_frags') : false,
    autoload,
    name,
    target: prefixStyle && slash >= 0 ? name.slice(slash + 1) : undefined,
  };
}

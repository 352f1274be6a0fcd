import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySection, SECTION_DEFS } from '../../../src/elf/section-table.js';
import { progTypes, attachTypes } from '../../../src/sys/generated/kernel.js';

test('every row names a program type and attach type the kernel knows (or libbpf knows newer ones)', () => {
  // libbpf's table can be ahead of this kernel (e.g. fsession); everything else must exist here.
  const newer = new Set(['trace_fsession', 'trace_fsession_multi', 'trace_fentry_multi', 'trace_fexit_multi']);
  for (const d of SECTION_DEFS) {
    assert.ok(d.programType in progTypes, `${d.sec}: program type ${d.programType}`);
    if (d.attachType && !newer.has(d.attachType)) assert.ok(d.attachType in attachTypes, `${d.sec}: attach type ${d.attachType}`);
  }
});

test('section names classify as libbpf does', () => {
  const cases: [string, string, string | undefined, string | undefined][] = [
    ['socket', 'socket_filter', undefined, undefined],
    ['xdp', 'xdp', 'xdp', undefined],
    ['xdp.frags', 'xdp', 'xdp', undefined],
    ['xdp/devmap', 'xdp', 'xdp_devmap', undefined],
    ['tc/ingress', 'sched_cls', 'tcx_ingress', undefined],
    ['tcx/egress', 'sched_cls', 'tcx_egress', undefined],
    ['classifier', 'sched_cls', undefined, undefined],
    ['tc', 'sched_cls', undefined, undefined],
    ['tracepoint/syscalls/sys_enter_execve', 'tracepoint', undefined, 'syscalls/sys_enter_execve'],
    ['tp/sched/sched_switch', 'tracepoint', undefined, 'sched/sched_switch'],
    ['raw_tp/sched_switch', 'raw_tracepoint', undefined, 'sched_switch'],
    ['raw_tracepoint.w/x', 'raw_tracepoint_writable', undefined, 'x'],
    ['tp_btf/sched_switch', 'tracing', 'trace_raw_tp', 'sched_switch'],
    ['kprobe/do_unlinkat', 'kprobe', undefined, 'do_unlinkat'],
    ['kretprobe/do_unlinkat', 'kprobe', undefined, 'do_unlinkat'],
    ['kprobe.multi/vfs_*', 'kprobe', 'trace_kprobe_multi', 'vfs_*'],
    ['uprobe//bin/bash:readline', 'kprobe', undefined, '/bin/bash:readline'],
    ['usdt', 'kprobe', undefined, undefined],
    ['perf_event', 'perf_event', undefined, undefined],
    ['cgroup_skb/ingress', 'cgroup_skb', 'cgroup_inet_ingress', undefined],
    ['cgroup/connect4', 'cgroup_sock_addr', 'cgroup_inet4_connect', undefined],
    ['cgroup/sock', 'cgroup_sock', 'cgroup_inet_sock_create', undefined],
    ['sk_msg', 'sk_msg', 'sk_msg_verdict', undefined],
    ['sk_skb/stream_parser', 'sk_skb', 'sk_skb_stream_parser', undefined],
    ['sk_skb', 'sk_skb', undefined, undefined],
    ['flow_dissector', 'flow_dissector', 'flow_dissector', undefined],
    ['fentry/do_unlinkat', 'tracing', 'trace_fentry', 'do_unlinkat'],
    ['fexit/do_unlinkat', 'tracing', 'trace_fexit', 'do_unlinkat'],
    ['lsm/file_open', 'lsm', 'lsm_mac', 'file_open'],
    ['iter/task', 'tracing', 'trace_iter', 'task'],
    ['struct_ops/dctcp_init', 'struct_ops', undefined, 'dctcp_init'],
    ['syscall', 'syscall', undefined, undefined],
    ['netfilter', 'netfilter', 'netfilter', undefined],
    ['sk_lookup', 'sk_lookup', 'sk_lookup', undefined],
    ['freplace/func', 'ext', undefined, 'func'],
  ];
  for (const [name, type, attach, target] of cases) {
    const c = classifySection(name);
    assert.equal(c.programType, type, name);
    assert.equal(c.attachType, attach, name);
    assert.equal(c.target, target, name);
  }
});

test('sleepable and frags forms, autoload marker, non-matching names', () => {
  assert.equal(classifySection('fentry.s/x').sleepable, true);
  assert.equal(classifySection('lsm.s/file_open').sleepable, true);
  assert.equal(classifySection('uprobe.s/x').sleepable, true);
  assert.equal(classifySection('syscall').sleepable, true);
  assert.equal(classifySection('fentry/x').sleepable, false);
  assert.equal(classifySection('xdp.frags').xdpFrags, true);
  assert.equal(classifySection('xdp').xdpFrags, false);
  const q = classifySection('?xdp');
  assert.equal(q.autoload, false);
  assert.equal(q.programType, 'xdp');
  // '+' rows need an exact name or a '/' separator; exact rows need the exact name
  assert.equal(classifySection('kprobeX').programType, 'unspec');
  assert.equal(classifySection('socket/foo').programType, 'unspec');
  assert.equal(classifySection('xdp_foo').programType, 'unspec');
  // the first matching row wins: 'tc/ingress' before the bare 'tc' row
  assert.equal(classifySection('tc/ingress').attachType, 'tcx_ingress');
});

// `bpfkit feature probe -j`: bpftool's keys, and verdicts checked by independent tries with the
// library (loading and attaching), including the ones bpftool 7.1 gets wrong on this kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../../src/asm/index.js';
import { BpfMap } from '../../../src/map.js';
import { Program } from '../../../src/program.js';
import { kernelBtf } from '../../../src/btf/kernel.js';
import { attachKprobe, attachTracepoint, attachTracing } from '../../../src/link/index.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { bpfkit, bpftool } from './cli.js';

type Report = Record<string, Record<string, unknown>>;

/** Whether `fn` succeeds; the library's errors mean no. */
function works(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

test('feature probe -j: bpftool\'s sections and keys, verdicts confirmed by trying', { timeout: 120_000 }, (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool')) return;
  const r = bpfkit(['feature', 'probe', '-j']);
  assert.equal(r.status, 0, r.stderr);
  const ours = JSON.parse(r.stdout) as Report;
  const theirs = JSON.parse(bpftool(['feature', 'probe', '-j']).stdout) as Report;
  for (const [section, keys] of Object.entries(theirs)) {
    assert.ok(ours[section], `section ${section}`);
    const missing = Object.keys(keys).filter((k) => !(k in ours[section]));
    assert.deepEqual(missing, [], `keys of ${section}`);
  }
  // Where both only read files, the values are the same.
  assert.deepEqual(ours.system_config, theirs.system_config);
  assert.deepEqual(ours.misc, theirs.misc);

  // tracing programs (tp_btf) load and attach here; bpftool 7.1 says the type is not available.
  const tpBtf = kernelBtf().findAll('btf_trace_sched_switch', 'typedef')[0].id;
  const tracingWorks = works(() => {
    using p = Program.load({ type: 'tracing', expectedAttachType: 'trace_raw_tp', attachBtfId: tpBtf, instructions: assemble('r0 = 0\nexit') });
    attachTracing(p).close();
  });
  assert.equal(ours.program_types.have_tracing_prog_type, tracingWorks);
  assert.equal(ours.attach.have_tp_btf_attach, tracingWorks);
  assert.ok(tracingWorks, 'tp_btf works on this kernel (DESIGN.md)');
  assert.equal(theirs.program_types.have_tracing_prog_type, false, 'bpftool 7.1 is wrong here');

  // kprobe programs load (uprobes use them) but kprobes cannot be attached on this kernel.
  const kprobeLoads = works(() => Program.load({ type: 'kprobe', instructions: assemble('r0 = 0\nexit') }).close());
  const kprobeAttaches = works(() => {
    using p = Program.load({ type: 'kprobe', instructions: assemble('r0 = 0\nexit') });
    attachKprobe(p, 'do_sys_openat2').close();
  });
  assert.equal(ours.program_types.have_kprobe_prog_type, kprobeLoads);
  assert.equal(ours.attach.have_kprobe_attach, kprobeAttaches);
  const tpAttaches = works(() => {
    using p = Program.load({ type: 'tracepoint', instructions: assemble('r0 = 0\nexit') });
    attachTracepoint(p, 'syscalls', 'sys_enter_getpid').close();
  });
  assert.equal(ours.attach.have_tracepoint_attach, tpAttaches);

  // Map types: the verdict is whether the library can create one.
  for (const [type, spec] of [['bloom_filter', { keySize: 0, valueSize: 4 }], ['lpm_trie', { keySize: 8, valueSize: 8, flags: ['no_prealloc'] }], ['arena', { keySize: 0, valueSize: 0, flags: ['mmapable'] }]] as const) {
    const created = works(() => BpfMap.create({ type, maxEntries: 1, ...spec } as Parameters<typeof BpfMap.create>[0]).close());
    assert.equal(ours.map_types[`have_${type}_map_type`], created, type);
  }

  // Helpers: the verifier refuses bpf_bind in socket filters (bpftool 7.1 lists it anyway: it does
  // not know this kernel's "cannot use helper" message) and accepts bpf_get_socket_cookie.
  const withHelper = (type: 'socket_filter' | 'xdp', helper: string) => works(() => Program.load({ type, instructions: assemble(`r1 = r1\ncall ${helper}\nr0 = 0\nexit`) }).close());
  const helpers = ours.helpers as unknown as Record<string, string[]>;
  assert.equal(helpers.socket_filter_available_helpers.includes('bpf_bind'), withHelper('socket_filter', 'bpf_bind'));
  assert.equal(helpers.socket_filter_available_helpers.includes('bpf_get_socket_cookie'), withHelper('socket_filter', 'bpf_get_socket_cookie'));
  assert.ok(helpers.xdp_available_helpers.includes('bpf_xdp_adjust_head'));
  assert.ok(!helpers.xdp_available_helpers.includes('bpf_trace_printk'), 'noisy helpers only with `full`');
});

test('feature probe text and macros', { timeout: 120_000 }, (t) => {
  if (!needRoot(t)) return;
  const text = bpfkit(['feature', 'probe', 'kernel']).stdout;
  assert.match(text, /^Scanning system configuration\.\.\.$/m);
  assert.match(text, /^eBPF program_type tracing is available$/m);
  assert.match(text, /^eBPF helpers supported for program type xdp:\n\t- bpf_map_lookup_elem$/m);
  const macros = bpfkit(['feature', 'probe', 'macros', 'prefix', 'BK_']).stdout;
  assert.match(macros, /^#define BK_HAVE_XDP_PROG_TYPE$/m);
  assert.match(macros, /^#define BK_NO_HAVE_LIRC_MODE2_PROG_TYPE$/m);
  assert.match(macros, /^#define BK_BPF__PROG_TYPE_xdp__HELPER_bpf_map_lookup_elem 1$/m);
});

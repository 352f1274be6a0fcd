// Our disassembly of a loaded program's xlated bytes against `bpftool prog dump xlated`: clang
// compiles small C programs, bpftool loads them, and both dumps of the same bytes must agree
// line for line (with and without `opcodes`). bpftool here is 7.1, built from Linux 6.1's
// disassembler, hence compat '7.1'. Helper calls in xlated code carry the helper's address
// relative to __bpf_call_base; bpftool names them from /proc/kallsyms and so do we, the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, disassemble, encode, type Instruction } from '../../../src/asm/index.js';
import { needRoot, needTool } from '../../helpers/env.js';

const programs = `
#include <linux/bpf.h>
#include <linux/types.h>
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static long (*bpf_trace_printk)(const char *fmt, __u32 fmt_size, ...) = (void *)6;

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 64); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } per_cpu SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 8); __type(key, __u32); __type(value, __u32); } arr SEC(".maps");
__u64 total = 0;
__u32 seen[4] = {};

SEC("xdp") int count_packets(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  __u32 key = (__u32)(end - data) & 63;
  __u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);
  if (v) __sync_fetch_and_add(v, 1); else bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
  total += key;
  seen[key & 3]++;
  return data + 14 > end ? XDP_DROP : XDP_PASS;
}

SEC("tracepoint/syscalls/sys_enter_getpid") int on_getpid(void *ctx) {
  __u32 k = bpf_get_current_pid_tgid() & 3, i;
  __u64 *c = bpf_map_lookup_elem(&per_cpu, &k);
  __u32 *a = bpf_map_lookup_elem(&arr, &k);
  if (!c || !a) return 0;
  *c += bpf_ktime_get_ns() >> 10;
  for (i = 0; i < 8; i++) { if ((*a ^ i) & 1) *a += i * 3; else *a -= (int)i; }
  __s64 s = (__s64)*c;
  if (s < -5 || (__s32)*a > 100) { char fmt[] = "big %d"; bpf_trace_printk(fmt, sizeof(fmt), *a); }
  return (__u32)(*a >> 3) | (__u32)(s >> 60);
}

SEC("socket") int sock(struct __sk_buff *skb) {
  __u32 len = skb->len, r = 0;
  if (skb->protocol == 0x0008) r = len > 1500 ? 0 : len;
  return __builtin_bswap32(r) >> 16;
}
char _license[] SEC("license") = "GPL";
`;

/** bpftool's kallsyms lookup: exact address match, address = __bpf_call_base + imm. */
function kallsymsCallName(): (insn: Instruction) => string | undefined {
  const byAddr = new Map<bigint, string>();
  let base: bigint | undefined;
  for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
    const [addr, , name] = line.split(/\s+/);
    if (!name) continue;
    const a = BigInt(`0x${addr}`);
    if (name === '__bpf_call_base') base = a;
    if (a !== 0n && !byAddr.has(a)) byAddr.set(a, name);
  }
  return (insn) => {
    if (base === undefined || insn.src === 1) return undefined;
    const a = BigInt.asUintN(64, base + BigInt(insn.imm));
    return byAddr.get(a) ?? `0x${a.toString(16)}`;
  };
}

const insnLine = /^\s*\d+: /;
const bytesLine = /^ {7}[0-9a-f]{2}( [0-9a-f]{2}){7}/;

test('disassembly of xlated bytes equals bpftool prog dump xlated', (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool') || !needTool(t, 'clang')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-xlated-'));
  const pinDir = `/sys/fs/bpf/bpfkit-asm-test-${process.pid}`;
  try {
    writeFileSync(join(dir, 'p.c'), programs);
    const inc = execFileSync('sh', ['-c', 'echo /usr/include/$(uname -m)-linux-gnu'], { encoding: 'utf8' }).trim();
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-I', inc, '-c', join(dir, 'p.c'), '-o', join(dir, 'p.o')], { stdio: 'pipe' });
    mkdirSync(pinDir);
    execFileSync('bpftool', ['prog', 'loadall', join(dir, 'p.o'), pinDir], { stdio: 'pipe' });
    const pins = readdirSync(pinDir).sort();
    assert.deepEqual(pins, ['count_packets', 'on_getpid', 'sock']);
    const callName = kallsymsCallName();
    let lines = 0;
    for (const pin of pins) {
      const show = JSON.parse(execFileSync('bpftool', ['prog', 'show', 'pinned', join(pinDir, pin), '-j'], { encoding: 'utf8' }));
      const id = String(show.id);
      const raw = join(dir, `${pin}.bin`);
      execFileSync('bpftool', ['prog', 'dump', 'xlated', 'id', id, 'file', raw], { stdio: 'pipe' });
      const bytes = readFileSync(raw);
      const insns = decode(bytes);
      assert.ok(encode(insns).equals(bytes));
      for (const opcodes of [false, true]) {
        const args = ['prog', 'dump', 'xlated', 'id', id, ...(opcodes ? ['opcodes'] : [])];
        // bpftool also prints BTF function signatures and `; source` lines; we print instructions only.
        const theirs = execFileSync('bpftool', args, { encoding: 'utf8' }).split('\n').filter((l) => insnLine.test(l) || bytesLine.test(l));
        const ours = disassemble(insns, { opcodes, callName, compat: '7.1' }).trimEnd().split('\n');
        assert.deepEqual(ours, theirs, `${pin} (id ${id})${opcodes ? ' opcodes' : ''}`);
        lines += theirs.length;
      }
      // map references in xlated bytes are map ids: bpftool prints them as map[id:N]
      if (pin === 'count_packets') assert.match(disassemble(insns), /r1 = map\[id:\d+\]/);
      if (pin === 'count_packets') assert.match(disassemble(insns), /map\[id:\d+\]\[0\]\+\d+/);
    }
    assert.ok(lines > 100, `only ${lines} lines compared`);
  } finally {
    rmSync(pinDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

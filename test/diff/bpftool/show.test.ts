// `bpfkit X -j` against `bpftool X -j` (bpftool 7.1 on this machine) with objects loaded by this
// test — maps through BpfMap (one of them typed by BTF), programs through Program.load of
// assembler text, links through src/link — and by bpftrace. Both tools run as processes and
// their JSON must parse to equal values, except the fields listed (with the reason) below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { assemble } from '../../../src/asm/index.js';
import { BpfMap } from '../../../src/map.js';
import { Program } from '../../../src/program.js';
import * as bpf from '../../../src/sys/bpf.js';
import type { Fd } from '../../../src/sys/fd.js';
import { cgroup2Root } from '../../../src/sys/mounts.js';
import { linkTypes } from '../../../src/sys/generated/kernel.js';
import { encodeTypes } from '../../../src/btf/encode.js';
import { attachCgroup, attachRawTracepoint, attachTracepoint, type Link } from '../../../src/link/index.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { bothJson, bpfkit, bpftool, startBpftrace } from './cli.js';

/** Makes a BTF object: u32 (1), char (2), char[8] (3), struct entry { u32 pid; char comm[8]; } (4). */
function entryBtf(): Fd {
  const raw = encodeTypes([
    { id: 1, kind: 'int', name: 'unsigned int', size: 4, bits: 32, offset: 0, signed: false, char: false, bool: false },
    { id: 2, kind: 'int', name: 'char', size: 1, bits: 8, offset: 0, signed: true, char: false, bool: false },
    { id: 3, kind: 'array', name: '', type: 2, indexType: 1, nelems: 8 },
    { id: 4, kind: 'struct', name: 'entry', size: 12, members: [
      { name: 'pid', type: 1, bitOffset: 0, bitfieldSize: 0 },
      { name: 'comm', type: 3, bitOffset: 32, bitfieldSize: 0 },
    ] },
  ]);
  const r = bpf.btfLoad(raw);
  if (!r.fd) throw new Error(`BTF load failed: errno ${r.errno}`);
  return r.fd;
}

const lookupProgram = `
  r1 = 0
  *(u32 *)(r10 -4) = r1
  r2 = r10
  r2 += -4
  r1 = map[plain]
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = *(u64 *)(r0 +0)
out:
  r0 = 0
  exit`;

/** Removes, from each object, fields that legitimately differ, after checking why. */
function without<T>(v: T, drop: (o: Record<string, unknown>) => void): T {
  const copy = structuredClone(v) as unknown;
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      drop(x as Record<string, unknown>);
      Object.values(x).forEach(walk);
    }
  };
  walk(copy);
  return copy as T;
}

type Obj = Record<string, unknown> & { id: number };

/** Run statistics (present while anyone has BPF_ENABLE_STATS on) move between two runs. */
function noStats(v: unknown): Obj[] {
  return without(v as Obj[], (o) => {
    delete o.run_time_ns;
    delete o.run_cnt;
  });
}
const noStatsText = (s: string) => s.replace(/ run_time_ns \d+ run_cnt \d+/g, '');

/** Other engineers' objects come and go between two runs: compare the objects this test knows. */
function only(v: unknown, ids: Set<number>, key = 'id'): Obj[] {
  return (v as Obj[]).filter((o) => ids.has(o[key] as number));
}

/**
 * bpftool 7.1 lists maps with one info struct it never clears, and this kernel leaves btf_id
 * alone for maps without BTF: a map listed after one with BTF shows the previous btf_id. Such a
 * value must be the previous entry's and differ from the kernel's truth; it is dropped.
 */
function dropStaleBtfIds(list: unknown, truth: (id: number) => number): Obj[] {
  const out = structuredClone(list) as Obj[];
  let prev: unknown;
  for (const m of out) {
    const shown = m.btf_id;
    if (shown !== undefined && shown !== truth(m.id)) {
      assert.equal(shown, prev, `map ${m.id}: btf_id ${shown} is neither the kernel's nor carried over`);
      delete m.btf_id;
    }
    prev = shown;
  }
  return out;
}

test('bpfkit and bpftool 7.1 print the same JSON for the same kernel objects', { timeout: 180_000 }, async (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool') || !needTool(t, 'bpftrace')) return;
  const trace = await startBpftrace('tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }');
  const closers: (() => void)[] = [];
  const cgroupDir = `${cgroup2Root()}/bpfkit-bpftool-${process.pid}`;
  try {
    const plain = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16, name: 'bk_plain' });
    closers.push(() => plain.close());
    for (let k = 0; k < 5; k++) plain.update(k, BigInt(k * 1000 + 7));
    const btf = entryBtf();
    closers.push(() => btf.close());
    const typed = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 12, maxEntries: 8, name: 'bk_btf', btfFd: btf.raw, btfKeyTypeId: 1, btfValueTypeId: 4 });
    closers.push(() => typed.close());
    for (const [pid, comm] of [[1, 'init'], [42, 'node'], [7, 'x\x01y']] as const) {
      const v = Buffer.alloc(12);
      v.writeUInt32LE(pid * 10);
      v.write(comm, 4, 'latin1');
      typed.update(pid, v);
    }
    const percpu = BpfMap.create({ type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 2, name: 'bk_percpu' });
    closers.push(() => percpu.close());

    const insns = assemble(lookupProgram, { maps: { plain: plain.fd.raw } });
    const tp = Program.load({ type: 'tracepoint', instructions: insns, name: 'bk_tracepoint' });
    closers.push(() => tp.close());
    const raw = Program.load({ type: 'raw_tracepoint', instructions: insns, name: 'bk_raw_tp_with_a_long_name' });
    closers.push(() => raw.close());
    const skb = Program.load({ type: 'cgroup_skb', instructions: assemble('r0 = 1\nexit'), name: 'bk_cgroup', expectedAttachType: 'cgroup_inet_egress' });
    closers.push(() => skb.close());

    const links: Link[] = [];
    closers.push(() => links.forEach((l) => l.close()));
    links.push(attachTracepoint(tp, 'syscalls', 'sys_enter_getpid'));
    links.push(attachRawTracepoint(raw, 'sys_enter'));
    mkdirSync(cgroupDir);
    closers.push(() => rmdirSync(cgroupDir));
    links.push(attachCgroup(skb, { cgroup: cgroupDir, via: 'link' }));
    links.push(attachCgroup(skb, { cgroup: cgroupDir, attachType: 'cgroup_inet_ingress', via: 'prog_attach', flags: 'override' }));

    const traced = (JSON.parse(bpftool(['prog', 'show', '-j']).stdout) as { id: number; name?: string; map_ids?: number[] }[]).filter((p) => p.name === 'sys_enter_opena');
    assert.equal(traced.length, 1, 'the bpftrace program');
    const progIds = new Set([tp, raw, skb].map((p) => p.info().id).concat(traced.map((p) => p.id)));
    const mapIds = new Set([plain, typed, percpu].map((m) => m.info().id).concat(traced.flatMap((p) => p.map_ids ?? [])));
    const linkIds = new Set<number>();
    for (const l of links) if (l.kind !== 'prog_attach') linkIds.add(l.info().id);
    const btfIds = new Set([1, typed.info().btfId]);

    await t.test('prog show', () => {
      const { ours, theirs } = bothJson(['prog', 'show']);
      assert.equal(only(theirs, progIds).length, 4);
      assert.deepEqual(noStats(only(ours, progIds)), noStats(only(theirs, progIds)));
    });
    await t.test('prog show for one program by id, tag, name and pinned', () => {
      const id = String(tp.info().id);
      const byId = bothJson(['prog', 'show', 'id', id]);
      assert.deepEqual(noStats([byId.ours]), noStats([byId.theirs]));
      const tag = tp.info().tag;
      const byTag = bothJson(['prog', 'show', 'tag', tag]);
      assert.deepEqual(noStats([byTag.ours]), noStats([byTag.theirs]));
      // bpftool completes names cut at 15 characters from BTF; these programs have none.
      const byName = bothJson(['prog', 'show', 'name', 'bk_raw_tp_with_']);
      assert.deepEqual(noStats([byName.ours]), noStats([byName.theirs]));
      assert.equal((byName.ours as Obj).id, raw.info().id);
    });
    await t.test('map show', () => {
      const { ours, theirs } = bothJson(['map', 'show']);
      const truth = (id: number) => {
        const m = BpfMap.fromId(id);
        try {
          return m.info().btfId || undefined;
        } finally {
          m.close();
        }
      };
      assert.deepEqual(only(ours, mapIds).map((m) => [m.id, m.btf_id]), only(ours, mapIds).map((m) => [m.id, truth(m.id)]));
      assert.deepEqual(only(ours, mapIds), only(dropStaleBtfIds(theirs, (id) => truth(id) as number), mapIds));
      assert.ok((ours as { name?: string; btf_id?: number }[]).some((m) => m.name === 'bk_btf' && m.btf_id));
    });
    await t.test('map dump of maps without BTF', () => {
      for (const m of [plain, percpu]) {
        const { ours, theirs } = bothJson(['map', 'dump', 'id', String(m.info().id)]);
        assert.deepEqual(ours, theirs);
      }
    });
    await t.test('map dump of a map with BTF: hex and `formatted`', () => {
      const id = String(typed.info().id);
      const { ours, theirs } = bothJson(['map', 'dump', 'id', id]);
      assert.deepEqual(ours, theirs);
      const formatted = (ours as { formatted: { key: number; value: { pid: number; comm: unknown } } }[]).map((e) => e.formatted);
      assert.deepEqual(formatted.find((f) => f.key === 42)?.value, { pid: 420, comm: 'node' });
      // A char array holding a non-printable byte is not a string.
      assert.ok(Array.isArray(formatted.find((f) => f.key === 7)?.value.comm));
      // The plain-text form of a BTF map is bpftool's pretty JSON, exactly.
      const text = bpfkit(['map', 'dump', 'id', id]);
      assert.equal(text.stdout, bpftool(['map', 'dump', 'id', id]).stdout);
      assert.equal(bpfkit(['map', 'lookup', 'id', id, 'key', '42', '0', '0', '0']).stdout, bpftool(['map', 'lookup', 'id', id, 'key', '42', '0', '0', '0']).stdout);
    });
    await t.test('map dump of the bpftrace map: same keys and layout (counts change while we look)', () => {
      const ids = traced[0].map_ids ?? [];
      assert.ok(ids.length > 0);
      for (const id of ids) {
        const { ours, theirs } = bothJson(['map', 'dump', 'id', String(id)]);
        const shape = (v: unknown) => without(v, (o) => {
          if ('value' in o && Array.isArray(o.value)) o.value = (o.value as unknown[]).length;
        });
        const keys = (v: unknown) => (v as { key: unknown }[]).map((e) => JSON.stringify(e.key)).sort();
        // Keys bpftool saw a moment later may include one more process name: compare what both saw.
        const common = keys(theirs).filter((k) => keys(ours).includes(k));
        assert.ok(common.length > 0);
        const pick = (v: unknown) => (v as { key: unknown }[]).filter((e) => common.includes(JSON.stringify(e.key))).sort((a, b) => JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)));
        assert.deepEqual(shape(pick(ours)), shape(pick(theirs)));
      }
    });
    await t.test('link show (bpftool 7.1 prints newer link types as numbers)', () => {
      const all = bothJson(['link', 'show']);
      const ours = only(all.ours, linkIds);
      const theirs = only(all.theirs, linkIds);
      assert.equal(ours.length, 3);
      // Excepted: link types newer than bpftool 7.1 (netfilter 10 and up) print as numbers there,
      // and for them we add the fields newer bpftool versions print.
      const legacy = (v: unknown) => (v as { type: string | number }[]).filter((l) => typeof l.type === 'string' ? (linkTypes as Record<string, number>)[l.type] < linkTypes.netfilter : l.type < linkTypes.netfilter);
      assert.deepEqual(legacy(ours), legacy(theirs));
      const kinds = (legacy(ours) as { type: string }[]).map((l) => l.type);
      for (const k of ['perf_event', 'raw_tracepoint', 'cgroup']) assert.ok(kinds.includes(k), k);
    });
    await t.test('btf show', () => {
      const all = bothJson(['btf', 'show']);
      const ours = only(all.ours, btfIds);
      assert.deepEqual(ours, only(all.theirs, btfIds));
      assert.equal(ours.length, 2);
      const id = typed.info().btfId;
      assert.deepEqual((ours as { id: number; map_ids: number[] }[]).find((b) => b.id === id)?.map_ids, [typed.info().id]);
    });
    await t.test('cgroup tree and cgroup show', () => {
      const all = bothJson(['cgroup', 'tree']);
      const mineOnly = (v: unknown) => (v as { cgroup: string }[]).filter((c) => c.cgroup === cgroupDir);
      const ours = mineOnly(all.ours);
      assert.deepEqual(ours, mineOnly(all.theirs));
      const mine = (ours as { cgroup: string; programs: { attach_type: string; attach_flags: string }[] }[]).find((c) => c.cgroup === cgroupDir);
      assert.deepEqual(mine?.programs.map((p) => [p.attach_type, p.attach_flags]).sort(), [['cgroup_inet_egress', 'multi'], ['cgroup_inet_ingress', 'override']]);
      const show = bothJson(['cgroup', 'show', cgroupDir]);
      assert.deepEqual(show.ours, show.theirs);
      assert.equal(bpfkit(['cgroup', 'show', cgroupDir]).stdout, bpftool(['cgroup', 'show', cgroupDir]).stdout);
    });
    await t.test('perf show', () => {
      const all = bothJson(['perf', 'show']);
      const pids = new Set([trace.child.pid!, process.pid]);
      const ours = only(all.ours, pids, 'pid');
      assert.deepEqual(ours, only(all.theirs, pids, 'pid'));
      const fdTypes = (ours as unknown as { fd_type: string; tracepoint?: string }[]).map((p) => `${p.fd_type} ${p.tracepoint}`);
      assert.ok(fdTypes.includes('tracepoint sys_enter_openat'), 'bpftrace attachment');
      assert.ok(fdTypes.includes('tracepoint sys_enter_getpid'), 'our tracepoint link');
    });
    await t.test('plain-text output is the same too', () => {
      const each: string[][] = [
        ...[...progIds].map((id) => ['prog', 'show', 'id', String(id)]),
        ...[...mapIds].map((id) => ['map', 'show', 'id', String(id)]),
        ...[...linkIds].map((id) => ['link', 'show', 'id', String(id)]),
        ...[...btfIds].map((id) => ['btf', 'show', 'id', String(id)]),
      ];
      for (const args of each) assert.equal(noStatsText(bpfkit(args).stdout), noStatsText(bpftool(args).stdout), args.join(' '));
      const perfLines = (s: string) => s.split('\n').filter((l) => l.startsWith(`pid ${trace.child.pid} `) || l.startsWith(`pid ${process.pid} `));
      assert.deepEqual(perfLines(bpfkit(['perf', 'show']).stdout), perfLines(bpftool(['perf', 'show']).stdout));
    });
    await t.test('prog dump xlated: text, opcodes, JSON and the DOT graph, line for line', () => {
      for (const id of [String(traced[0].id), String(tp.info().id)]) {
        for (const extra of [[], ['opcodes'], ['visual'], ['linum']]) {
          const ours = bpfkit(['prog', 'dump', 'xlated', 'id', id, ...extra]);
          assert.equal(ours.status, 0, ours.stderr);
          assert.deepEqual(ours.stdout.split('\n'), bpftool(['prog', 'dump', 'xlated', 'id', id, ...extra]).stdout.split('\n'), `${id} ${extra.join(' ')}`);
        }
        for (const extra of [[], ['opcodes']]) {
          const { ours, theirs } = bothJson(['prog', 'dump', 'xlated', 'id', id, ...extra]);
          assert.deepEqual(ours, theirs);
        }
      }
    });
  } finally {
    for (const c of closers.reverse()) {
      try {
        c();
      } catch {
        // keep cleaning
      }
    }
    await trace.stop();
    rmSync(cgroupDir, { recursive: true, force: true });
  }
});

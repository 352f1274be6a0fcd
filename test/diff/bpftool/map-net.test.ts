// Maps written by one tool and read by the other, in both directions; `net show` and XDP
// attach/detach in a network namespace of the test's own, compared with bpftool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { assemble } from '../../../src/asm/index.js';
import { Program } from '../../../src/program.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { withNetns } from '../../helpers/netns.js';
import { bothJson, bpfkit, bpftool } from './cli.js';

function pinDir(): string {
  return mkdtempSync('/sys/fs/bpf/bpfkit-maptest-');
}

test('map create + update in bpfkit, read back by bpftool', (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool')) return;
  const dir = pinDir();
  try {
    const pin = `${dir}/m`;
    assert.equal(bpfkit(['map', 'create', pin, 'type', 'hash', 'key', '4', 'value', '8', 'entries', '8', 'name', 'bk_rt']).status, 0);
    assert.equal(bpfkit(['map', 'update', 'pinned', pin, 'key', '1', '0', '0', '0', 'value', 'hex', 'ff', '0', '0', '0', '0', '0', '0', '1']).status, 0);
    assert.equal(bpfkit(['map', 'update', 'pinned', pin, 'key', '0x2', '0', '0', '0', 'value', '2', '0', '0', '0', '0', '0', '0', '0', 'noexist']).status, 0);
    // noexist on an existing key fails like the kernel says (EEXIST)
    const dup = bpfkit(['map', 'update', 'pinned', pin, 'key', '2', '0', '0', '0', 'value', '3', '0', '0', '0', '0', '0', '0', '0', 'noexist']);
    assert.notEqual(dup.status, 0);
    assert.equal(dup.stderr, 'Error: update failed: File exists\n');
    const theirs = JSON.parse(bpftool(['map', 'dump', 'pinned', pin, '-j']).stdout) as { key: string[]; value: string[] }[];
    const byKey = Object.fromEntries(theirs.map((e) => [e.key[0], e.value]));
    assert.deepEqual(byKey['0x01'], ['0xff', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00', '0x01']);
    assert.deepEqual(byKey['0x02'], ['0x02', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00']);
    const show = JSON.parse(bpftool(['map', 'show', 'pinned', pin, '-j']).stdout) as { type: string; name: string; bytes_key: number; bytes_value: number; max_entries: number };
    assert.deepEqual([show.type, show.name, show.bytes_key, show.bytes_value, show.max_entries], ['hash', 'bk_rt', 4, 8, 8]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('map create + update in bpftool, read back by bpfkit (and dumps equal)', (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool')) return;
  const dir = pinDir();
  try {
    const pin = `${dir}/q`;
    assert.equal(bpftool(['map', 'create', pin, 'type', 'array', 'key', '4', 'value', '4', 'entries', '4', 'name', 'bt_rt']).status, 0);
    assert.equal(bpftool(['map', 'update', 'pinned', pin, 'key', '3', '0', '0', '0', 'value', '7', '0', '0', '0']).status, 0);
    const ours = JSON.parse(bpfkit(['map', 'lookup', 'pinned', pin, 'key', '3', '0', '0', '0', '-j']).stdout) as { value: string[] };
    assert.deepEqual(ours.value, ['0x07', '0x00', '0x00', '0x00']);
    const d = bothJson(['map', 'dump', 'pinned', pin]);
    assert.deepEqual(d.ours, d.theirs);
    assert.equal(bpfkit(['map', 'dump', 'pinned', pin]).stdout, bpftool(['map', 'dump', 'pinned', pin]).stdout);
    // Queues: push/peek/pop through bpfkit on a queue bpftool made.
    const qpin = `${dir}/queue`;
    assert.equal(bpftool(['map', 'create', qpin, 'type', 'queue', 'key', '0', 'value', '4', 'entries', '4', 'name', 'bt_queue']).status, 0);
    assert.equal(bpfkit(['map', 'push', 'pinned', qpin, 'value', '5', '0', '0', '0']).status, 0);
    assert.equal(bpfkit(['map', 'enqueue', 'pinned', qpin, 'value', '6', '0', '0', '0']).status, 0);
    assert.equal(bpfkit(['map', 'peek', 'pinned', qpin]).stdout, bpftool(['map', 'peek', 'pinned', qpin]).stdout);
    assert.equal(bpfkit(['map', 'pop', 'pinned', qpin]).stdout, 'value: 05 00 00 00\n');
    assert.equal(bpftool(['map', 'dequeue', 'pinned', qpin]).stdout, 'value: 06 00 00 00\n');
    const empty = bpfkit(['map', 'pop', 'pinned', qpin]);
    assert.equal(empty.stdout, 'Error: empty map\n');
    assert.equal(empty.status, bpftool(['map', 'pop', 'pinned', qpin]).status);
    assert.equal(bpfkit(['map', 'freeze', 'pinned', pin]).status, 0);
    assert.equal((JSON.parse(bpftool(['map', 'show', 'pinned', pin, '-j']).stdout) as { frozen: number }).frozen, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('net show, net attach/detach xdp in a namespace of our own', async (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool') || !needTool(t, 'nsenter') || !needTool(t, 'tc')) return;
  const dir = pinDir();
  const xdp = Program.load({ type: 'xdp', instructions: assemble('r0 = 2\nexit'), name: 'bk_xdp_pass' });
  const cls = Program.load({ type: 'sched_cls', instructions: assemble('r0 = 0\nexit'), name: 'bk_tc' });
  try {
    xdp.pin(`${dir}/xdp`);
    cls.pin(`${dir}/tc`);
    await withNetns((ns) => {
      const prefix = ['nsenter', `--net=${ns.path}`, '--'];
      const att = bpfkit(['net', 'attach', 'xdpgeneric', 'pinned', `${dir}/xdp`, 'dev', 'lo'], { prefix });
      assert.equal(att.status, 0, att.stderr);
      // tc through iproute2, so that both tools read a filter neither of them made.
      execFileSync('nsenter', [`--net=${ns.path}`, '--', 'sh', '-c', `tc qdisc add dev lo clsact && tc filter add dev lo ingress bpf da object-pinned ${dir}/tc`]);
      const { ours, theirs } = bothJson(['net', 'show'], { prefix });
      assert.deepEqual(ours, theirs);
      const o = (ours as { xdp: { devname: string; mode: string; id: number }[]; tc: { kind: string; id: number }[] }[])[0];
      assert.deepEqual(o.xdp.map((x) => [x.devname, x.mode, x.id]), [['lo', 'generic', xdp.info().id]]);
      assert.deepEqual(o.tc.map((x) => [x.kind, x.id]), [['clsact/ingress', cls.info().id]]);
      assert.equal(bpfkit(['net', 'show'], { prefix }).stdout, bpftool(['net', 'show'], { prefix }).stdout);
      assert.equal(bpfkit(['net', 'detach', 'xdpgeneric', 'dev', 'lo'], { prefix }).status, 0);
      const after = bothJson(['net', 'show', 'dev', 'lo'], { prefix });
      assert.deepEqual(after.ours, after.theirs);
      assert.deepEqual((after.ours as { xdp: unknown[] }[])[0].xdp, []);
    });
  } finally {
    xdp.close();
    cls.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// A netfilter link in a fresh namespace: NF_DROP at IPv4 LOCAL_OUT makes sendto() fail with
// EPERM there; after close() datagrams flow again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { attachNetfilter } from '../../../src/link/netfilter.js';
import { Program } from '../../../src/program.js';
import { assemble } from '../../../src/asm/index.js';
import { BpfError } from '../../../src/sys/errors.js';
import { inNetns } from '../../../src/sys/netns.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { ourNetns, withNetns } from '../../helpers/netns.js';
import { receiveUdp, sendUdp, udpSocket } from '../../helpers/traffic.js';

function bpftoolLinks(): { id: number; type: string | number; prog_id: number }[] {
  return JSON.parse(execFileSync('bpftool', ['link', 'show', '-j'], { encoding: 'utf8' }));
}

test('a netfilter link dropping IPv4 at LOCAL_OUT makes sendto() fail with EPERM, until close()', async (t) => {
  if (!needRoot(t) || !needTool(t, 'ip') || !needTool(t, 'bpftool')) return;
  await withNetns(async (ns) => {
    using drop = Program.load({ type: 'netfilter', name: 'nf_drop', instructions: assemble('r0 = 0 ; NF_DROP\nexit'), expectedAttachType: 'netfilter' });
    const id = drop.info().id;
    using rx = udpSocket(ns, '127.0.0.1', 7000);
    using tx = udpSocket(ns);
    const link = inNetns(ns.path, () => attachNetfilter(drop, { family: 'ipv4', hook: 'local_out', priority: -100 }));
    try {
      const info = link.info();
      assert.equal(info.progId, id);
      assert.deepEqual([info.type, info.details.pf, info.details.hooknum, info.details.prio], ['netfilter', 2, 3, -100 >>> 0]);
      const shown = bpftoolLinks().find((l) => l.prog_id === id);
      assert.ok(shown && (shown.type === 'netfilter' || shown.type === 10), 'bpftool lists the link');
      assert.throws(() => sendUdp(tx, '127.0.0.1', 7000, 1), (e: unknown) => e instanceof BpfError && e.code === 'EPERM');
    } finally {
      link.close();
    }
    assert.ok(!bpftoolLinks().some((l) => l.prog_id === id), 'no link of ours remains');
    sendUdp(tx, '127.0.0.1', 7000, 3);
    await receiveUdp(rx, 3);
  });
  assert.deepEqual(ourNetns(), []);
});

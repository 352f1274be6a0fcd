// A tc classifier counting the packets that arrive on a veth, attached as a TCX link and as a
// cls_bpf filter on clsact; the counts read back equal what was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { attachTc } from '../../../src/link/tc.js';
import { inNetns } from '../../../src/sys/netns.js';
import { hasClsact, ifindex, listFilters, tcParent } from '../../../src/sys/netlink.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { nsExec, kernelObjectFds, ourNetns, withNetnsPair, type Netns } from '../../helpers/netns.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, loadTc, protocolCounters, readCount, tcCount } from '../../helpers/net-programs.js';
import { icmpSocket, ping, receiveUdp, sendUdp, udpSocket } from '../../helpers/traffic.js';

function tc(ns: Netns, ...args: string[]): string {
  return nsExec(ns, ['tc', ...args]);
}

interface BpftoolLink { id: number; type: string | number; prog_id: number }
function bpftoolLinks(): BpftoolLink[] {
  return JSON.parse(execFileSync('bpftool', ['link', 'show', '-j'], { encoding: 'utf8' })) as BpftoolLink[];
}
const linkProgIds = () => bpftoolLinks().map((l) => l.prog_id);

// bpftool 7.1 lists cls_bpf filters here; TCX programs only from 7.3 on (so they are checked as links).
interface BpftoolTc { devname: string; kind: string; name: string; id: number }
function tcShown(ns: Netns, dev: string): BpftoolTc[] {
  return (JSON.parse(nsExec(ns, ['bpftool', 'net', 'show', 'dev', dev, '-j'])) as { tc: BpftoolTc[] }[])[0].tc;
}

test('a tc classifier counts the packets arriving on a veth, through TCX and through clsact + cls_bpf', async (t) => {
  if (!needRoot(t) || !needTool(t, 'ip') || !needTool(t, 'tc') || !needTool(t, 'nsenter') || !needTool(t, 'bpftool')) return;
  const fdsBefore = kernelObjectFds();
  await withNetnsPair(async ({ a, b }) => {
    using rx = udpSocket(b, b.addr, 5001);
    using tx = udpSocket(a);
    using icmp = icmpSocket(a);

    for (const via of ['tcx', 'netlink'] as const) {
      await t.test(`through ${via === 'tcx' ? 'a TCX link' : 'clsact + cls_bpf (direct action)'}`, async () => {
        using counts = protocolCounters();
        using again = protocolCounters('proto_counts2');
        using prog = loadTc(tcCount, counts, 'tc_count');
        using next = loadTc(tcCount, again, 'tc_count2');
        const progId = prog.info().id;
        const nextId = next.info().id;
        const link = inNetns(b.path, () => attachTc(prog, { interface: b.veth, direction: 'ingress', via }));
        try {
          assert.equal(link.kind, via === 'tcx' ? 'tcx' : 'tc');
          if (via === 'tcx') {
            // Older bpftool names the link type by number (BPF_LINK_TYPE_TCX = 11).
            const ours = bpftoolLinks().filter((l) => l.prog_id === progId);
            assert.equal(ours.length, 1);
            assert.ok(ours[0].type === 'tcx' || ours[0].type === 11, `link type ${ours[0].type}`);
            assert.equal(link.info().details.attach_type, 'tcx_ingress');
          } else {
            const shown = tcShown(b, b.veth);
            assert.deepEqual(shown.map((f) => [f.kind, f.name, f.id]), [['clsact/ingress', 'tc_count', progId]]);
            assert.match(tc(b, 'filter', 'show', 'dev', b.veth, 'ingress'), /bpf .*tc_count.* direct-action/);
            assert.match(tc(b, 'qdisc', 'show', 'dev', b.veth), /qdisc clsact/);
            assert.equal(link.info().details.direct_action, true);
          }
          assert.equal(link.info().progId, progId);

          sendUdp(tx, b.addr, 5001, 25);
          await receiveUdp(rx, 25);
          await ping(icmp, b.addr, 0x7100, 4);
          assert.equal(readCount(counts, IPPROTO_UDP), 25);
          assert.equal(readCount(counts, IPPROTO_ICMP), 4);
          assert.equal(readCount(counts, IPPROTO_TCP), 0);

          // update() swaps the program in place: new packets land in the second map only.
          link.update(next);
          if (via === 'tcx') assert.ok(bpftoolLinks().some((l) => l.prog_id === nextId));
          else assert.equal(tcShown(b, b.veth)[0].id, nextId);
          sendUdp(tx, b.addr, 5001, 7);
          await receiveUdp(rx, 7);
          assert.equal(readCount(again, IPPROTO_UDP), 7);
          assert.equal(readCount(counts, IPPROTO_UDP), 25);
        } finally {
          link.close();
        }
        assert.deepEqual(tcShown(b, b.veth), [], 'no filter or TCX program left');
        assert.doesNotMatch(tc(b, 'qdisc', 'show', 'dev', b.veth), /clsact/, 'the clsact qdisc we created is gone');
        const ids = linkProgIds();
        assert.ok(!ids.includes(progId) && !ids.includes(nextId), 'no link of ours remains');
      });
    }

    await t.test('a clsact qdisc that was there before stays after close(); only our filter goes', () => {
      tc(b, 'qdisc', 'add', 'dev', b.veth, 'clsact');
      using counts = protocolCounters();
      using prog = loadTc(tcCount, counts);
      const index = inNetns(b.path, () => ifindex(b.veth));
      const link = inNetns(b.path, () => attachTc(prog, { interface: b.veth, direction: 'egress', via: 'netlink', priority: 7 }));
      const filters = inNetns(b.path, () => listFilters(index, tcParent.egress));
      assert.deepEqual(filters.map((f) => [f.kind, f.priority, f.directAction, f.progId]), [['bpf', 7, true, prog.info().id]]);
      link.close();
      link.close(); // idempotent
      assert.deepEqual(inNetns(b.path, () => listFilters(index, tcParent.egress)), []);
      assert.equal(inNetns(b.path, () => hasClsact(index)), true);
      tc(b, 'qdisc', 'del', 'dev', b.veth, 'clsact');
    });

    await t.test('two classic attachments share our qdisc, which goes with the last one', () => {
      using counts = protocolCounters();
      using prog = loadTc(tcCount, counts);
      const index = inNetns(b.path, () => ifindex(b.veth));
      const ingress = inNetns(b.path, () => attachTc(prog, { interface: b.veth, direction: 'ingress', via: 'netlink' }));
      const egress = inNetns(b.path, () => attachTc(prog, { interface: b.veth, direction: 'egress', via: 'netlink' }));
      ingress.close();
      assert.equal(inNetns(b.path, () => hasClsact(index)), true);
      // Closing from another namespace works: the attachment remembers where it was made.
      egress.close();
      assert.equal(inNetns(b.path, () => hasClsact(index)), false);
    });
  });
  assert.deepEqual(kernelObjectFds(), fdsBefore, 'every descriptor of ours is closed');
  assert.deepEqual(ourNetns(), []);
});

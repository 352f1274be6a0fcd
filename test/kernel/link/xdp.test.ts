// Chapter 7: an XDP program dropping TCP on a veth between two namespaces, attached through a
// bpf link and through netlink, in generic and native mode; update() swaps the program.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachXdp, type XdpMode } from '../../../src/link/xdp.js';
import { BpfError } from '../../../src/sys/errors.js';
import { inNetns } from '../../../src/sys/netns.js';
import { queryXdp, ifindex } from '../../../src/sys/netlink.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { nsExec, kernelObjectFds, ourNetns, until, withNetnsPair, type Netns } from '../../helpers/netns.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, loadXdp, protocolCounters, readCount, xdpDropTcp, xdpPassCount } from '../../helpers/net-programs.js';
import { icmpSocket, ping, receiveUdp, sendUdp, tcpConnect, udpSocket, type TcpOutcome } from '../../helpers/traffic.js';
import type { BpfMap } from '../../../src/map.js';
import type { Fd } from '../../../src/sys/fd.js';

interface BpftoolNet {
  xdp: { devname: string; ifindex: number; mode: string; id: number }[];
  tc: { devname: string; kind: string; name: string; prog_id: number }[];
}

function netShow(ns: Netns, dev: string): BpftoolNet {
  return (JSON.parse(nsExec(ns, ['bpftool', 'net', 'show', 'dev', dev, '-j'])) as BpftoolNet[])[0];
}

function linkProgIds(): number[] {
  return (JSON.parse(nsExec({ name: 'root', path: '/proc/self/ns/net' }, ['bpftool', 'link', 'show', '-j'])) as { prog_id: number }[]).map((l) => l.prog_id);
}

/**
 * Tries TCP from a to b's closed port 9: 'refused' means the SYN got through (a RST came back),
 * 'pending' that it did not. When the program has seen the SYN, one ping round trip after it
 * gives a RST, had there been one, the time to arrive.
 */
async function tcpThrough(a: Netns, addr: string, counts: BpfMap, icmp: Fd): Promise<TcpOutcome> {
  const seen = readCount(counts, IPPROTO_TCP);
  const c = tcpConnect(a, addr, 9);
  try {
    const o = await until('the SYN to be answered or seen by the program', () => {
      const now = c.outcome();
      if (now !== 'pending') return now;
      return readCount(counts, IPPROTO_TCP) > seen ? now : undefined;
    });
    if (o !== 'pending') return o;
    await ping(icmp, addr, 0x7c00, 1);
    return c.outcome();
  } finally {
    c.fd.close();
  }
}

test('chapter 7: XDP drops TCP between two namespaces while UDP and ICMP pass', async (t) => {
  if (!needRoot(t) || !needTool(t, 'ip') || !needTool(t, 'nsenter') || !needTool(t, 'bpftool')) return;
  const fdsBefore = kernelObjectFds();
  await withNetnsPair(async ({ a, b }) => {
    using counts = protocolCounters();
    using drop = loadXdp(xdpDropTcp, counts, 'xdp_drop_tcp');
    using pass = loadXdp(xdpPassCount, counts, 'xdp_pass');
    const dropId = drop.info().id;
    const passId = pass.info().id;
    using rx = udpSocket(b, b.addr, 5000);
    using tx = udpSocket(a);
    using icmp = icmpSocket(a);

    // Without a program the port is closed and says so.
    assert.equal(await tcpThrough(a, b.addr, counts, icmp), 'refused');

    const variants: { mode: XdpMode; via: 'link' | 'netlink'; bpftoolMode: string }[] = [
      { mode: 'generic', via: 'link', bpftoolMode: 'generic' },
      { mode: 'generic', via: 'netlink', bpftoolMode: 'generic' },
      { mode: 'native', via: 'link', bpftoolMode: 'driver' },
      { mode: 'native', via: 'netlink', bpftoolMode: 'driver' },
    ];
    for (const v of variants) {
      await t.test(`${v.mode} mode through ${v.via === 'link' ? 'a bpf link' : 'netlink'}`, async () => {
        const link = inNetns(b.path, () => attachXdp(drop, { interface: b.veth, mode: v.mode, via: v.via }));
        try {
          assert.equal(link.kind, v.via === 'link' ? 'xdp' : 'netlink_xdp');
          const shown = netShow(b, b.veth).xdp;
          assert.deepEqual(shown.map((x) => [x.devname, x.mode, x.id]), [[b.veth, v.bpftoolMode, dropId]]);
          assert.equal(link.info().progId, dropId);
          if (v.via === 'link') assert.equal(link.info().details.ifindex, inNetns(b.path, () => ifindex(b.veth)));

          const udp = readCount(counts, IPPROTO_UDP);
          const icmps = readCount(counts, IPPROTO_ICMP);
          sendUdp(tx, b.addr, 5000, 5);
          await receiveUdp(rx, 5);
          await ping(icmp, b.addr, 0x4b00 + variants.indexOf(v), 3);
          assert.equal(readCount(counts, IPPROTO_UDP) - udp, 5, 'the program saw every datagram');
          assert.equal(readCount(counts, IPPROTO_ICMP) - icmps, 3, 'and every echo request');
          assert.equal(await tcpThrough(a, b.addr, counts, icmp), 'pending', 'the SYN was dropped, so no RST came back');

          link.update(pass);
          assert.equal(netShow(b, b.veth).xdp[0].id, passId);
          assert.equal(await tcpThrough(a, b.addr, counts, icmp), 'refused', 'after update() TCP passes');
        } finally {
          link.close();
        }
        assert.deepEqual(netShow(b, b.veth).xdp, [], 'nothing left on the device');
        assert.equal(inNetns(b.path, () => queryXdp(ifindex(b.veth))).attached, 'none');
        const ids = linkProgIds();
        assert.ok(!ids.includes(dropId) && !ids.includes(passId), 'no link of ours remains');
        assert.equal(await tcpThrough(a, b.addr, counts, icmp), 'refused');
      });
    }

    await t.test('a second program in the same mode is refused with EBUSY, the first stays', () => {
      using first = inNetns(b.path, () => attachXdp(drop, { interface: b.veth, mode: 'generic' }));
      assert.throws(() => inNetns(b.path, () => attachXdp(pass, { interface: b.veth, mode: 'generic', via: 'link' })),
        (e: unknown) => e instanceof BpfError && e.code === 'EBUSY');
      assert.equal(netShow(b, b.veth).xdp[0].id, dropId);
      assert.equal(first.kind, 'xdp');
    });
    assert.deepEqual(netShow(b, b.veth).xdp, []);

    await t.test('offload with a program not loaded for the device says what it needs', () => {
      for (const via of ['link', 'netlink'] as const) {
        assert.throws(() => inNetns(b.path, () => attachXdp(drop, { interface: b.veth, mode: 'offload', via })),
          (e: unknown) => e instanceof BpfError && e.code === 'EINVAL' && /offload needs a program loaded for the device/.test(e.message));
      }
      assert.deepEqual(netShow(b, b.veth).xdp, []);
    });

    await t.test('an unknown interface is an error naming it', () => {
      assert.throws(() => inNetns(b.path, () => attachXdp(drop, { interface: 'nosuchdev0' })), /nosuchdev0.*ENODEV/);
    });
  });
  assert.deepEqual(kernelObjectFds(), fdsBefore, 'every descriptor of ours is closed');
  assert.deepEqual(ourNetns(), [], 'the namespaces are gone');
});

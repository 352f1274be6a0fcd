// Chapter 6: a socket filter on a raw packet socket bound to lo counts packets by IP protocol.
// The loopback is a fresh namespace's, so only this test's packets cross it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachSocketFilter } from '../../../src/link/socket-filter.js';
import { BpfError } from '../../../src/sys/errors.js';
import { inNetns } from '../../../src/sys/netns.js';
import { ifindex } from '../../../src/sys/netlink.js';
import { attachFilter, detachFilter, packetSocket } from '../../../src/sys/socket.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { kernelObjectFds, ourNetns, withNetns } from '../../helpers/netns.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, loadSocketFilter, protocolCounters, readCount, socketCount } from '../../helpers/net-programs.js';
import { drain, icmpSocket, ping, receiveUdp, sendUdp, udpSocket } from '../../helpers/traffic.js';

test('chapter 6: a socket filter counts the packets on lo by protocol', async (t) => {
  if (!needRoot(t) || !needTool(t, 'ip')) return;
  const fdsBefore = kernelObjectFds();
  await withNetns(async (ns) => {
    using counts = protocolCounters();
    using prog = loadSocketFilter(socketCount, counts);
    using sock = inNetns(ns.path, () => packetSocket(ifindex('lo'), { nonblocking: true }));
    const attachment = attachSocketFilter(prog, sock);
    assert.equal(attachment.kind, 'socket_filter');
    assert.equal(attachment.info().progId, prog.info().id);
    assert.throws(() => attachment.pin('/sys/fs/bpf/nope'), /pinning a socket_filter attachment is not supported/);

    using rx = udpSocket(ns, '127.0.0.1', 6000);
    using tx = udpSocket(ns);
    using icmp = icmpSocket(ns);
    sendUdp(tx, '127.0.0.1', 6000, 12);
    // The packet socket's filter runs before the UDP socket gets each datagram.
    await receiveUdp(rx, 12);
    await ping(icmp, '127.0.0.1', 0x6600, 3);

    assert.equal(readCount(counts, IPPROTO_UDP), 12, 'each datagram once (received; the outgoing copy is not counted)');
    assert.equal(readCount(counts, IPPROTO_ICMP), 6, 'each echo request and its reply');
    assert.equal(readCount(counts, IPPROTO_TCP), 0);
    // What the filter kept (skb->len) reached the socket: the 12 datagrams and 6 ICMP packets.
    assert.equal(drain(sock), 18);

    attachment.close();
    attachment.close(); // idempotent
    sendUdp(tx, '127.0.0.1', 6000, 5);
    await receiveUdp(rx, 5);
    assert.equal(readCount(counts, IPPROTO_UDP), 12, 'no counting after close()');
    // Without the filter the socket sees both copies of each datagram on lo (outgoing and incoming).
    assert.equal(drain(sock), 10);
    // A descriptor that is no socket is refused by the kernel, not by guesswork.
    assert.throws(() => attachSocketFilter(prog, -1), (e: unknown) => e instanceof BpfError && e.code === 'EBADF');
  });
  await withNetns(async (ns) => {
    // Classic BPF (SO_ATTACH_FILTER), as tcpdump installs it: ldb [23]; jeq #17 → keep, else drop.
    const insn = (code: number, jt: number, jf: number, k: number) => {
      const b = Buffer.alloc(8);
      b.writeUInt16LE(code, 0);
      b[2] = jt;
      b[3] = jf;
      b.writeUInt32LE(k >>> 0, 4);
      return b;
    };
    const udpOnly = Buffer.concat([insn(0x30, 0, 0, 23), insn(0x15, 0, 1, 17), insn(0x06, 0, 0, 0xffffffff), insn(0x06, 0, 0, 0)]);
    using sock = inNetns(ns.path, () => packetSocket(ifindex('lo'), { nonblocking: true }));
    attachFilter(sock.raw, udpOnly);
    using rx = udpSocket(ns, '127.0.0.1', 6001);
    using tx = udpSocket(ns);
    using icmp = icmpSocket(ns);
    sendUdp(tx, '127.0.0.1', 6001, 4);
    await receiveUdp(rx, 4);
    await ping(icmp, '127.0.0.1', 0x6700, 2);
    assert.equal(drain(sock), 8, 'both copies of each datagram on lo, and no ICMP');
    detachFilter(sock.raw);
    await ping(icmp, '127.0.0.1', 0x6701, 1);
    assert.equal(drain(sock), 4, 'after detaching, the echo request and reply, each seen twice');
  });
  assert.deepEqual(kernelObjectFds(), fdsBefore, 'every descriptor of ours is closed');
  assert.deepEqual(ourNetns(), []);
});

// An sk_reuseport program steering every datagram of a SO_REUSEPORT group to one socket
// (bpf_sk_select_reuseport on a reuseport_sockarray); without it the kernel's hash picks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachSkReuseport } from '../../../src/link/sk-reuseport.js';
import { Program } from '../../../src/program.js';
import { BpfMap } from '../../../src/map.js';
import { assemble } from '../../../src/asm/index.js';
import { inNetns } from '../../../src/sys/netns.js';
import { macros } from '../../../src/sys/generated/kernel.js';
import { AF_INET, SOCK_DGRAM, SOCK_NONBLOCK, SOL_SOCKET, bind, setsockoptInt, sockaddrIn, socket } from '../../../src/sys/socket.js';
import type { Fd } from '../../../src/sys/fd.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { ourNetns, until, withNetns, type Netns } from '../../helpers/netns.js';
import { drain, receiveUdp, sendUdp, udpSocket } from '../../helpers/traffic.js';

const selectSecond = `
  *(u32 *)(r10 -4) = 1
  r2 = map[socks]
  r3 = r10
  r3 += -4
  r4 = 0
  call bpf_sk_select_reuseport
  r0 = 1                        ; SK_PASS
  exit
`;

function reuseportSocket(ns: Netns, port: number): Fd {
  return inNetns(ns.path, () => {
    const fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
    setsockoptInt(fd.raw, SOL_SOCKET, Number(macros.SO_REUSEPORT), 1);
    bind(fd.raw, sockaddrIn('127.0.0.1', port));
    return fd;
  });
}

test('an sk_reuseport program sends every datagram of the group to the socket it selects', async (t) => {
  if (!needRoot(t) || !needTool(t, 'ip')) return;
  await withNetns(async (ns) => {
    using first = reuseportSocket(ns, 7100);
    using second = reuseportSocket(ns, 7100);
    using socks = BpfMap.create({ type: 'reuseport_sockarray', keySize: 4, valueSize: 4, maxEntries: 2 });
    const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
    socks.update(u32(0), u32(first.raw));
    socks.update(u32(1), u32(second.raw));
    using prog = Program.load({ type: 'sk_reuseport', expectedAttachType: 'sk_reuseport_select', instructions: assemble(selectSecond, { maps: { socks: socks.fd.raw } }) });

    const link = attachSkReuseport(prog, first);
    try {
      assert.equal(link.info().progId, prog.info().id);
      // Different source ports hash differently; the program overrides the hash for all of them.
      for (let i = 0; i < 8; i++) {
        using from = udpSocket(ns);
        sendUdp(from, '127.0.0.1', 7100, 2);
      }
      await receiveUdp(second, 16);
      assert.equal(drain(first), 0, 'the other socket got nothing');
    } finally {
      link.close();
    }
    // Without the program the group's hash spreads 32 flows over both sockets
    // (all 32 landing on one socket by chance has probability 2^-31).
    for (let i = 0; i < 32; i++) {
      using from = udpSocket(ns);
      sendUdp(from, '127.0.0.1', 7100, 1);
    }
    let toFirst = 0;
    let toSecond = 0;
    await until('32 datagrams', () => {
      toFirst += drain(first);
      toSecond += drain(second);
      return toFirst + toSecond >= 32 ? true : undefined;
    });
    assert.equal(toFirst + toSecond, 32);
    assert.ok(toFirst > 0, 'after close() the first socket receives again');
  });
  assert.deepEqual(ourNetns(), []);
});

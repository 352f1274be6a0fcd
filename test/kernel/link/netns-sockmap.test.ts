// Attachments to a network namespace (flow_dissector) and to a sockmap (sk_msg), through a
// bpf link and through PROG_ATTACH; what the kernel reports while attached, nothing after close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { attachFlowDissector } from '../../../src/link/flow-dissector.js';
import { attachSockmap } from '../../../src/link/sockmap.js';
import { Program } from '../../../src/program.js';
import { BpfMap } from '../../../src/map.js';
import { assemble } from '../../../src/asm/index.js';
import { progQuery } from '../../../src/sys/bpf.js';
import { attachTypes } from '../../../src/sys/generated/kernel.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { nsExec, ourNetns, withNetns } from '../../helpers/netns.js';

function bpftoolLinks(): { id: number; type: string | number; prog_id: number }[] {
  return JSON.parse(execFileSync('bpftool', ['link', 'show', '-j'], { encoding: 'utf8' }));
}

test('a flow dissector attached to a namespace, as a netns link and by PROG_ATTACH', async (t) => {
  if (!needRoot(t) || !needTool(t, 'ip') || !needTool(t, 'bpftool') || !needTool(t, 'nsenter')) return;
  await withNetns(async (ns) => {
    using prog = Program.load({ type: 'flow_dissector', name: 'dissect', instructions: assemble('r0 = 0 ; BPF_OK\nexit') });
    const id = prog.info().id;
    // bpftool 7.1 prints invalid JSON for flow dissectors, so its text is read: `id N` lines after `flow_dissector:`.
    const shown = () => {
      const text = nsExec(ns, ['bpftool', 'net', 'show']);
      return [...text.slice(text.indexOf('flow_dissector:')).matchAll(/^id (\d+)/gm)].map((m) => Number(m[1]));
    };
    for (const via of ['link', 'prog_attach'] as const) {
      const link = attachFlowDissector(prog, { netns: ns.path, via });
      try {
        assert.equal(link.kind, via === 'link' ? 'netns' : 'prog_attach');
        assert.deepEqual(shown(), [id]);
        assert.equal(link.info().progId, id);
        assert.equal(link.info().details.attach_type, 'flow_dissector');
        assert.equal(bpftoolLinks().some((l) => l.prog_id === id), via === 'link');
      } finally {
        link.close();
      }
      assert.deepEqual(shown(), []);
      assert.ok(!bpftoolLinks().some((l) => l.prog_id === id));
    }
  });
  assert.deepEqual(ourNetns(), []);
});

/** A connected TCP pair on loopback, by Node's net module. */
async function tcpPair(): Promise<{ client: Socket; server: Socket; close(): void }> {
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const client = connect((listener.address() as { port: number }).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const server = await accepted;
  return { client, server, close: () => { client.destroy(); server.destroy(); listener.close(); } };
}

test('an sk_msg program on a sockmap drops what a socket in the map sends, through a link and by PROG_ATTACH', async (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool')) return;
  using socks = BpfMap.create({ type: 'sockmap', keySize: 4, valueSize: 4, maxEntries: 1 });
  using drop = Program.load({ type: 'sk_msg', name: 'msg_drop', instructions: assemble('r0 = 0 ; SK_DROP\nexit') });
  const id = drop.info().id;
  const attached = () => progQuery({ targetFd: socks.fd.raw, attachType: attachTypes.sk_msg_verdict }).progIds;
  for (const via of ['link', 'prog_attach'] as const) {
    const link = attachSockmap(drop, socks, { via });
    const pair = await tcpPair();
    try {
      assert.equal(link.kind, via === 'link' ? 'sockmap' : 'prog_attach');
      assert.deepEqual(attached(), [id]);
      assert.equal(bpftoolLinks().some((l) => l.prog_id === id), via === 'link');
      const fd = (pair.client as unknown as { _handle: { fd: number } })._handle.fd;
      const key = Buffer.alloc(4);
      const value = Buffer.alloc(4);
      value.writeUInt32LE(fd);
      socks.update(key, value);
      // The verdict SK_DROP turns the send into EACCES for the writer.
      const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
        pair.client.once('error', resolve);
        pair.client.write('hello');
      });
      assert.equal(err.code, 'EACCES');
      // Node closes a socket after a write error; a closed socket leaves the map by itself.
    } finally {
      pair.close();
      link.close();
    }
    assert.deepEqual(attached(), []);
    assert.ok(!bpftoolLinks().some((l) => l.prog_id === id));
  }
});

// Issue 9: `bpfkit capture` on a veth between two namespaces made here. The filter runs in the
// kernel (SO_ATTACH_FILTER); the pcap written with -w is read back by tcpdump with the same
// count, and the summary lines equal tcpdump's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bpfkitArgv } from '../../helpers/cli.js';
import { compileFilter, readPcap } from '../../../src/cbpf/index.js';
import { LiveCapture } from '../../../src/cbpf/capture.js';
import { inNetns } from '../../../src/sys/netns.js';
import { needRoot, needTool, repoRoot } from '../../helpers/env.js';
import { kernelObjectFds, ourNetns, until, withNetnsPair, type Netns } from '../../helpers/netns.js';
import { icmpSocket, ping, receiveUdp, sendUdp, tcpConnect, udpSocket } from '../../helpers/traffic.js';

const cli = bpfkitArgv;

interface Running {
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  exit: Promise<number | null>;
}

/** Starts `bpfkit capture ARGS` inside `ns` and waits until it listens. */
async function startCapture(ns: Netns, args: string[]): Promise<Running> {
  const child = spawn('nsenter', [`--net=${ns.path}`, '--', process.execPath, ...cli(), 'capture', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const r = { child, stderr: () => err, stdout: () => out, exit };
  try {
    await until(`bpfkit capture to listen (stderr: ${err})`, () => (err.includes('listening on') ? true : child.exitCode !== null ? true : undefined), 20_000);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  assert.match(err, /listening on \S+, link-type EN10MB \(Ethernet\), snapshot length 262144 bytes/);
  return r;
}

function tcpdumpLines(args: string[]): string[] {
  const r = spawnSync('tcpdump', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

function recordsIn(file: string): number {
  if (!existsSync(file)) return 0;
  try {
    return readPcap(readFileSync(file)).packets.length;
  } catch {
    return 0; // header or a record half written
  }
}

test('capture -c 5 -w: the kernel filter keeps what the expression matches; tcpdump -r reads the file back', async (t) => {
  if (!needRoot(t) || !needTool(t, 'ip') || !needTool(t, 'nsenter') || !needTool(t, 'tcpdump')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-capture-'));
  try {
    await withNetnsPair(async ({ a, b }) => {
      const file = join(dir, 'udp5000.pcap');
      const cap = await startCapture(b, ['-i', b.veth, '-c', '5', '-w', file, 'udp', 'port', '5000']);
      try {
        using rx = udpSocket(b, b.addr, 5000);
        using other = udpSocket(b, b.addr, 5001);
        using tx = udpSocket(a);
        using icmp = icmpSocket(a);
        // Traffic the filter must leave out, then the five datagrams it keeps.
        sendUdp(tx, b.addr, 5001, 3);
        await receiveUdp(other, 3);
        await ping(icmp, b.addr, 0x5000, 2);
        sendUdp(tx, b.addr, 5000, 5);
        await receiveUdp(rx, 5);
        assert.equal(await cap.exit, 0, cap.stderr());
      } finally {
        cap.child.kill('SIGKILL');
      }
      assert.match(cap.stderr(), /^5 packets captured$/m);
      assert.match(cap.stderr(), /^\d+ packets received by filter$/m);
      assert.match(cap.stderr(), /^0 packets dropped by kernel$/m);
      assert.equal(cap.stdout(), '', 'with -w no summary lines are printed, as tcpdump');
      const all = tcpdumpLines(['-n', '-r', file]);
      assert.equal(all.length, 5);
      assert.equal(tcpdumpLines(['-n', '-r', file, 'udp dst port 5000']).length, 5);
      for (const line of all) assert.match(line, new RegExp(`IP ${a.addr.replace(/\./g, '\\.')}\\.\\d+ > ${b.addr.replace(/\./g, '\\.')}\\.5000: UDP, length \\d+$`));
      // Our reading of our file prints what tcpdump prints (-S: absolute TCP sequence numbers).
      const ours = spawnSync(process.execPath, [...cli(), 'capture', '-n', '-r', file], { cwd: repoRoot, encoding: 'utf8' });
      assert.equal(ours.status, 0, ours.stderr);
      assert.deepEqual(ours.stdout.split('\n').filter(Boolean), tcpdumpLines(['-S', '-n', '-r', file]));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(ourNetns(), []);
});

test('capture stops cleanly on SIGINT and reports the counts as tcpdump does', async (t) => {
  if (!needRoot(t) || !needTool(t, 'ip') || !needTool(t, 'nsenter') || !needTool(t, 'tcpdump')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-capture-'));
  try {
    await withNetnsPair(async ({ a, b }) => {
      const file = join(dir, 'mixed.pcap');
      const cap = await startCapture(b, ['-i', b.veth, '-w', file, '--print', '-n', 'tcp or icmp or arp']);
      try {
        using icmp = icmpSocket(a);
        using tx = udpSocket(a);
        sendUdp(tx, b.addr, 7000, 2); // not kept: UDP (and the ICMP port-unreachable answers are)
        await ping(icmp, b.addr, 0x5100, 3);
        const c = tcpConnect(a, b.addr, 9);
        try {
          await until('a RST', () => (c.outcome() === 'refused' ? true : undefined));
        } finally {
          c.fd.close();
        }
        // 2 unreachable answers, 6 ICMP echo packets and the SYN and RST, at least.
        await until('the capture to write 10 packets', () => (recordsIn(file) >= 10 ? true : undefined), 10_000);
        cap.child.kill('SIGINT');
        assert.equal(await cap.exit, 0, cap.stderr());
      } finally {
        cap.child.kill('SIGKILL');
      }
      const n = recordsIn(file);
      assert.match(cap.stderr(), new RegExp(`^${n} packets captured$`, 'm'));
      const received = Number(/^(\d+) packets received by filter$/m.exec(cap.stderr())?.[1]);
      assert.ok(received >= n, `received by filter ${received} >= captured ${n}`);
      assert.equal(tcpdumpLines(['-r', file]).length, n);
      assert.equal(tcpdumpLines(['-r', file, 'udp and not icmp']).length, 0, 'the filter kept no UDP datagram');
      // --print: the lines on stdout are tcpdump's lines for the same file.
      assert.deepEqual(cap.stdout().split('\n').filter(Boolean), tcpdumpLines(['-S', '-n', '-r', file]));
      assert.match(cap.stdout(), /ICMP echo request, id 20736, seq 1, length 16/);
      assert.match(cap.stdout(), /Flags \[S\], seq \d+, win \d+, options \[/);
      assert.match(cap.stdout(), /Flags \[R\.\], seq 0, ack \d+, win 0, length 0/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(ourNetns(), []);
});

test('LiveCapture: filtered packets with kernel timestamps, direction and counts', async (t) => {
  if (!needRoot(t) || !needTool(t, 'ip')) return;
  const fdsBefore = kernelObjectFds();
  await withNetnsPair(async ({ a, b }) => {
    using icmp = icmpSocket(a);
    await ping(icmp, b.addr, 0x5200, 1); // resolve ARP first, so only ICMP crosses below
    const before = BigInt(Date.now()) * 1_000_000n;
    using cap = inNetns(a.path, () => LiveCapture.open({ interface: a.veth, filter: compileFilter('icmp') }));
    assert.equal(cap.linktype, 1);
    using rx = udpSocket(b, b.addr, 5300);
    using tx = udpSocket(a);
    sendUdp(tx, b.addr, 5300, 2);
    await receiveUdp(rx, 2);
    await ping(icmp, b.addr, 0x5201, 2);
    const got = [];
    for (let p = cap.read(); p; p = cap.read()) got.push(p);
    assert.equal(got.length, 4, 'two requests out, two replies in, no UDP');
    assert.deepEqual(got.map((p) => [p.outgoing, p.data[14 + 20]]), [[true, 8], [false, 0], [true, 8], [false, 0]]);
    for (const p of got) {
      assert.ok(p.timestampNs >= before - 1_000_000_000n, 'a kernel timestamp of this run');
      assert.equal(p.origLen, p.data.length);
    }
    const s = cap.stats();
    assert.equal(s.captured, 4);
    assert.equal(s.received, 4);
    assert.equal(s.dropped, 0);
  });
  assert.deepEqual(kernelObjectFds(), fdsBefore);
});

// bpfkit filter against tcpdump -d on the same expressions: same listing line for line where
// possible, and always the same verdict on a packet corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needTool } from '../../helpers/env.js';
import { compileFilter, dumpCbpf, assembleCbpf, runCbpf, writePcap } from '../../../src/cbpf/index.js';
import { main as filterMain } from '../../../src/cli/filter.js';
import { syntheticEthernet, reframe } from '../../../scripts/conformance/libpcap.js';

const EXPRESSIONS = [
  'ip and tcp port 8080', 'tcp', 'udp', 'icmp', 'icmp6', 'arp', 'rarp', 'ip6', 'ip', 'sctp', 'igmp', 'pim', 'vrrp',
  'ah', 'esp', 'host 10.0.0.1', 'src host 10.0.0.1', 'dst host 10.0.0.1 and tcp', 'net 192.168.0.0/16',
  'src net 10.0.0.0 mask 255.0.0.0', 'port 53', 'udp port 53', 'tcp dst port 443', 'portrange 6000-6010',
  'tcp src portrange 1-1023', 'not port 22', 'tcp port 80 or tcp port 443', 'host 10.0.0.1 and not port 22',
  'ether host 00:11:22:33:44:55', 'ether src 00:11:22:33:44:55', 'ether broadcast', 'ether multicast',
  'ether proto 0x88cc', 'ip proto 47', 'ip6 proto 17', 'ip multicast', 'ip6 multicast', 'less 64', 'greater 1000',
  'len >= 100', 'tcp[tcpflags] & (tcp-syn|tcp-ack) != 0', 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack = 0',
  'icmp[icmptype] = icmp-echo', 'icmp6[icmp6type] = icmp6-echo', 'ip[0] & 0xf > 5', 'ip[2:2] > 576', 'udp[8:2] = 0x1234',
  'vlan', 'vlan 100', 'vlan 100 and ip', 'vlan and vlan 200', 'mpls', 'mpls 42 and ip', 'pppoed', 'pppoes',
  'pppoes 0x1234 and ip', 'ip6 host fe80::1', 'ip6 net 2001:db8::/32', 'host 10.0.0.1 or host 10.0.0.2 or host 10.0.0.3',
  '(tcp or udp) and not (port 53 or port 123)', 'ip and (tcp[13] & 2 != 0)', 'tcp port http', 'udp port domain',
  'ip protochain 6', 'geneve', 'geneve 10 and ip', 'iso', 'stp', 'ipx', 'netbeui', 'llc', 'decnet', 'atalk',
  'ether[0] & 1 = 0', 'link[12:2] = 0x800', 'ip host 127.0.0.1', 'host localhost', 'ip broadcast', 'tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420',
];

function tcpdump(args: string[]): string | undefined {
  const r = spawnSync('tcpdump', args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}

async function bpfkit(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const orig = process.stdout.write.bind(process.stdout);
  (process.stdout as { write: unknown }).write = (chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  };
  try {
    const code = await filterMain(args);
    return { code, out };
  } finally {
    (process.stdout as { write: unknown }).write = orig;
  }
}

test("bpfkit filter -d prints what tcpdump -d prints for the book's example", async (t) => {
  if (!needTool(t, 'tcpdump')) return;
  const theirs = tcpdump(['-d', '-y', 'EN10MB', 'ip and tcp port 8080']);
  assert.ok(theirs);
  const ours = await bpfkit(['-d', 'ip', 'and', 'tcp', 'port', '8080']);
  assert.equal(ours.code, 0);
  assert.equal(ours.out, theirs);
  for (const flag of ['-dd', '-ddd']) {
    assert.equal((await bpfkit([flag, 'ip and tcp port 8080'])).out, tcpdump([flag, '-y', 'EN10MB', 'ip and tcp port 8080']), flag);
  }
  assert.equal((await bpfkit(['-d', '-O', 'ip and tcp port 8080'])).out, tcpdump(['-d', '-O', '-y', 'EN10MB', 'ip and tcp port 8080']));
});

test('same listing as tcpdump -d on most expressions, same verdict on all', (t) => {
  if (!needTool(t, 'tcpdump')) return;
  const frames = syntheticEthernet();
  const results: string[] = [];
  let same = 0;
  let compared = 0;
  for (const linktype of ['EN10MB', 'LINUX_SLL', 'RAW']) {
    const packets = reframe(frames, linktype);
    for (const expr of EXPRESSIONS) {
      const theirs = tcpdump(['-d', '-y', linktype, expr]);
      let ours: string | undefined;
      try {
        ours = dumpCbpf(compileFilter(expr, { linktype, netmask: 0 }));
      } catch {
        ours = undefined;
      }
      // Both refuse, or both accept.
      assert.equal(ours === undefined, theirs === undefined, `${linktype} ${expr}: bpfkit ${ours ? 'accepts' : 'refuses'}, tcpdump ${theirs ? 'accepts' : 'refuses'}`);
      if (!ours || !theirs) continue;
      compared++;
      if (ours === theirs) same++;
      else results.push(`${linktype} ${expr}`);
      const a = assembleCbpf(ours);
      const b = assembleCbpf(theirs);
      for (const p of packets) {
        assert.equal(runCbpf(a, p.data), runCbpf(b, p.data), `${linktype} ${expr}: verdicts differ`);
      }
    }
  }
  t.diagnostic(`${same} of ${compared} listings identical to tcpdump -d; different: ${results.join(', ') || 'none'}`);
  assert.ok(compared > 150);
  assert.ok(same / compared >= 0.97, `${same}/${compared} identical; different: ${results.join(', ')}`);
});

test('a pcap file bpfkit writes is read by tcpdump -r', (t) => {
  if (!needTool(t, 'tcpdump')) return;
  const frames = syntheticEthernet().slice(0, 25);
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-pcap-'));
  try {
    const file = join(dir, 'out.pcap');
    writeFileSync(file, writePcap(frames.map((data, i) => ({ timestampNs: BigInt(1_700_000_000 + i) * 1_000_000_000n, data, origLen: data.length })), { linktype: 1 }));
    const all = execFileSync('tcpdump', ['-r', file, '-n', '-q', '-t'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.equal(all.trim().split('\n').length, 25);
    // tcpdump's own filter on our file agrees with our interpreter on our program.
    const expr = 'tcp port 80 or udp';
    const prog = compileFilter(expr);
    const ours = frames.filter((f) => runCbpf(prog, f) !== 0).length;
    const theirs = execFileSync('tcpdump', ['-r', file, '-n', '-q', '-t', expr], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.equal(theirs.trim() ? theirs.trim().split('\n').length : 0, ours);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

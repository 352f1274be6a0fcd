// Issue 9: `bpfkit capture -r FILE EXPR` filters a savefile with the classic-BPF interpreter.
// Over the libpcap peer savefiles it must print as many packets as `tcpdump -r FILE EXPR`, and
// for the protocols it decodes (IPv4/IPv6 TCP, UDP, ICMP, ICMPv6, ARP) the same lines as
// `tcpdump -S -n` (absolute sequence numbers: bpfkit does not track connections).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main as captureMain } from '../../../src/cli/capture.js';
import { linkTypeFromSavefile, readPcap } from '../../../src/cbpf/index.js';
import { need, needTool, peerDir } from '../../helpers/env.js';

/** Runs the CLI in this process and returns its exit code and standard output lines. */
async function capture(args: string[]): Promise<{ code: number; lines: string[] }> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  // "reading from file ..." goes to stderr, as tcpdump's does; keep the test output clean.
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    const code = await captureMain(args);
    return { code, lines: out.split('\n').filter(Boolean) };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
}

/** tcpdump's output lines that begin a packet (some decoders continue on further lines). */
function tcpdump(args: string[]): string[] | undefined {
  const r = spawnSync('tcpdump', args, { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return r.stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{6} /.test(l));
}

const EXPRESSIONS = ['', 'ip', 'ip6 or arp', 'tcp port 80 or udp', 'not ip and len > 100', 'vlan'];

test('capture -r: the same packet count as tcpdump -r over the peer savefiles', async (t) => {
  if (!needTool(t, 'tcpdump')) return;
  const dir = join(peerDir, 'libpcap/tests/filter');
  if (!need(t, existsSync(dir), 'needs the libpcap peer savefiles')) return;
  let compared = 0;
  let nonEmpty = 0;
  const differences: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const file = join(dir, f);
    let linktype: number | undefined;
    try {
      linktype = linkTypeFromSavefile(readPcap(readFileSync(file)).linktype);
    } catch {
      continue;
    }
    if (linktype === undefined) continue;
    for (const expr of EXPRESSIONS) {
      const theirs = tcpdump(['-r', file, ...(expr ? [expr] : [])]);
      if (!theirs) continue;
      const ours = await capture(['-r', file, ...(expr ? [expr] : [])]);
      assert.equal(ours.code, 0, `${f} ${expr}`);
      compared++;
      if (theirs.length) nonEmpty++;
      if (ours.lines.length !== theirs.length) differences.push(`${f} '${expr}': bpfkit ${ours.lines.length}, tcpdump ${theirs.length}`);
    }
  }
  t.diagnostic(`${compared - differences.length} of ${compared} (file, expression) pairs give tcpdump's count`);
  assert.deepEqual(differences, []);
  assert.ok(compared >= 100 && nonEmpty >= 40, `${compared} comparisons, ${nonEmpty} with packets`);
});

test('capture -r -n: tcpdump -S -n lines for the protocols bpfkit decodes', async (t) => {
  if (!needTool(t, 'tcpdump')) return;
  const dir = join(peerDir, 'libpcap/tests/filter');
  if (!need(t, existsSync(dir), 'needs the libpcap peer savefiles')) return;
  const decoded = /^\S+ (IP6? \S+ > \S+: (Flags|UDP|ICMP)|ARP, (Request|Reply))/;
  let same = 0;
  const differences: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const file = join(dir, f);
    const theirs = tcpdump(['-S', '-n', '-r', file, 'tcp or udp or icmp or icmp6 or arp']);
    if (!theirs) continue;
    const ours = await capture(['-n', '-r', file, 'tcp or udp or icmp or icmp6 or arp']);
    if (ours.code !== 0) continue;
    theirs.forEach((line, i) => {
      if (!decoded.test(line)) return;
      if (ours.lines[i] === line) same++;
      else differences.push(`${f}:\n  tcpdump: ${line}\n  bpfkit:  ${ours.lines[i]}`);
    });
  }
  t.diagnostic(`${same} lines identical to tcpdump's`);
  assert.deepEqual(differences, []);
  assert.ok(same >= 10, `only ${same} lines compared`);
});

// A cgroup/connect4 program that returns 0: a process in the cgroup gets EPERM from connect(),
// through a cgroup link and through PROG_ATTACH; after close() it connects again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { attachCgroup, type CgroupOptions } from '../../../src/link/cgroup.js';
import { cgroup2Root } from '../../../src/sys/mounts.js';
import { progQuery } from '../../../src/sys/bpf.js';
import { attachTypes } from '../../../src/sys/generated/kernel.js';
import { openSync, closeSync } from 'node:fs';
import { need, needRoot, needTool } from '../../helpers/env.js';
import { loadConnect4Deny } from '../../helpers/net-programs.js';
import { Program } from '../../../src/program.js';
import { assemble } from '../../../src/asm/index.js';

const run = promisify(execFile);

/** Runs a Node child inside `cgroup` that connects to 127.0.0.1:port and prints the outcome. */
async function connectFrom(cgroup: string, port: number): Promise<string> {
  const script = `require('net').connect(${port}, '127.0.0.1').on('connect', function () { console.log('connected'); this.end(); }).on('error', (e) => console.log(e.code));`;
  const { stdout } = await run('sh', ['-c', 'echo $$ > "$1/cgroup.procs" && exec "$2" -e "$3"', 'sh', cgroup, process.execPath, script]);
  return stdout.trim();
}

function linkProgIds(): number[] {
  return (JSON.parse(execFileSync('bpftool', ['link', 'show', '-j'], { encoding: 'utf8' })) as { prog_id: number }[]).map((l) => l.prog_id);
}

function attachedIds(cgroup: string): number[] {
  const fd = openSync(cgroup, 'r');
  try {
    return progQuery({ targetFd: fd, attachType: attachTypes.cgroup_inet4_connect }).progIds;
  } finally {
    closeSync(fd);
  }
}

test('a cgroup connect4 program denies connect() with EPERM, through a link and through PROG_ATTACH', async (t) => {
  const root = cgroup2Root();
  if (!needRoot(t) || !need(t, root !== undefined, 'needs a cgroup v2 hierarchy') || !needTool(t, 'bpftool')) return;
  const cgroup = `${root}/bpfkit-test-${process.pid}`;
  const server: Server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  mkdirSync(cgroup);
  try {
    using deny = loadConnect4Deny();
    const id = deny.info().id;
    assert.equal(await connectFrom(cgroup, port), 'connected', 'before attaching');

    const ways: [string, Omit<CgroupOptions, 'cgroup'>, string][] = [
      ['a cgroup link', {}, 'cgroup'],
      ['PROG_ATTACH (multi)', { via: 'prog_attach', flags: 'multi' }, 'prog_attach'],
      ['PROG_ATTACH (override)', { via: 'prog_attach', flags: 'override' }, 'prog_attach'],
      ['PROG_ATTACH (none)', { flags: 'none' }, 'prog_attach'],
    ];
    for (const [name, opts, kind] of ways) {
      await t.test(name, async () => {
        const link = attachCgroup(deny, { cgroup, ...opts });
        try {
          assert.equal(link.kind, kind);
          assert.deepEqual(attachedIds(cgroup), [id]);
          assert.equal(linkProgIds().includes(id), kind === 'cgroup');
          assert.equal(link.info().progId, id);
          assert.equal(link.info().details.attach_type, 'cgroup_inet4_connect');
          assert.equal(await connectFrom(cgroup, port), 'EPERM');
          // A process in the parent cgroup is not affected.
          assert.equal(await connectFrom(`${root}`, port), 'connected');
        } finally {
          link.close();
        }
        assert.deepEqual(attachedIds(cgroup), []);
        assert.ok(!linkProgIds().includes(id), 'no link of ours remains');
        assert.equal(await connectFrom(cgroup, port), 'connected', 'after close()');
      });
    }

    await t.test('update() swaps the program of a PROG_ATTACH attachment', async () => {
      using again = loadConnect4Deny();
      const link = attachCgroup(deny, { cgroup, via: 'prog_attach' });
      try {
        link.update(again);
        assert.deepEqual(attachedIds(cgroup), [again.info().id]);
        assert.equal(await connectFrom(cgroup, port), 'EPERM');
      } finally {
        link.close();
      }
      assert.deepEqual(attachedIds(cgroup), []);
    });

    await t.test('a cgroup_skb program without an attach type is told what it needs', () => {
      using skb = Program.load({ type: 'cgroup_skb', instructions: assemble('r0 = 1\nexit') });
      assert.throws(() => attachCgroup(skb, { cgroup }), /cgroup_skb program needs an attachType/);
    });
  } finally {
    server.close();
    if (existsSync(cgroup)) rmdirSync(cgroup);
  }
  assert.equal(existsSync(cgroup), false);
});

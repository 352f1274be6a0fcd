// Chapter 5's bpftool sessions, run as written with `bpfkit` in place of `bpftool`: program
// listing piped to jq, xlated dumps, the visual graph, map create/update/dump with the size
// error, loading an object, and batch files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir, needRoot, needTool } from '../../helpers/env.js';
import { parseDot } from '../../unit/bpftool/dot-check.js';
import { bpfkit, bpfkitArgv, bpftool } from './cli.js';

/** A shell where `bpfkit` is the CLI under test, to run the book's pipelines as written. */
function sh(script: string): string {
  const fn = `bpfkit() { ${[process.execPath, ...bpfkitArgv()].map((a) => `'${a}'`).join(' ')} "$@"; }`;
  return execFileSync('bash', ['-c', `set -o pipefail\n${fn}\n${script}`], { encoding: 'utf8' });
}

test('chapter 5: programs — load, show | jq, dump xlated, visual', (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool') || !needTool(t, 'jq')) return;
  const pins = mkdtempSync('/sys/fs/bpf/bpfkit-book-');
  try {
    // bpftool prog load bpf_program.o /sys/fs/bpf/bpf_prog
    const load = bpfkit(['prog', 'load', `${fixturesDir}bpf/build/hello.bpf.o`, `${pins}/hello`]);
    assert.equal(load.status, 0, load.stderr);
    const id = (JSON.parse(bpftool(['prog', 'show', 'pinned', `${pins}/hello`, '-j']).stdout) as { id: number }).id;
    // bpftool prog show --json id 52 | jq -c '[.id, .type, .loaded_at]'
    const row = JSON.parse(sh(`bpfkit prog show --json id ${id} | jq -c '[.id, .type, .loaded_at]'`)) as [number, string, number];
    assert.equal(row[0], id);
    assert.equal(row[1], 'tracepoint');
    assert.ok(Math.abs(row[2] - Date.now() / 1000) < 3600);
    assert.equal(sh(`bpfkit prog show --json | jq '.[] | select(.id == ${id}) | .name'`).trim(), '"hello"');
    // bpftool prog dump xlated id 52
    const xlated = sh(`bpfkit prog dump xlated id ${id}`);
    assert.equal(xlated, bpftool(['prog', 'dump', 'xlated', 'id', String(id)]).stdout);
    assert.match(xlated, /^int hello\(void \* ctx\):$/m);
    assert.match(xlated, /call bpf_trace_printk#/);
    // bpftool prog dump xlated id 52 visual &> output.out; dot -Tpng output.out -o visual-tracing.png
    const out = join(tmpdir(), `bpfkit-book-${process.pid}.dot`);
    sh(`bpfkit prog dump xlated id ${id} visual &> ${out}`);
    const dot = parseDot(execFileSync('cat', [out], { encoding: 'utf8' }));
    rmSync(out, { force: true });
    assert.deepEqual(dot.clusters, ['cluster_0']);
    assert.ok(dot.nodes.has('fn_0_bb_0') && dot.nodes.has('fn_0_bb_1'), 'ENTRY and EXIT');
    assert.ok(dot.edges.some(([a]) => a === 'fn_0_bb_0'));
    // loadall with maps pinned, then the object's programs are there for bpftool too
    const all = bpfkit(['prog', 'loadall', `${fixturesDir}bpf/build/subprogs.bpf.o`, `${pins}/all`, 'pinmaps', `${pins}/maps`]);
    assert.equal(all.status, 0, all.stderr);
    for (const p of ['xdp_sub', 'sock_sub']) {
      const args = ['prog', 'dump', 'xlated', 'pinned', `${pins}/all/${p}`];
      assert.equal(bpfkit([...args, 'linum']).stdout, bpftool([...args, 'linum']).stdout, p);
    }
    assert.equal(JSON.parse(bpftool(['map', 'show', 'pinned', `${pins}/maps/results`, '-j']).stdout).name, 'results');
  } finally {
    rmSync(pins, { recursive: true, force: true });
  }
});

test('chapter 5: maps — create, update, the size error, dump, pin', (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool')) return;
  const pins = mkdtempSync('/sys/fs/bpf/bpfkit-book-');
  try {
    // bpftool map create /sys/fs/bpf/counter type array key 4 value 4 entries 5 name counter
    assert.equal(sh(`bpfkit map create ${pins}/counter type array key 4 value 4 entries 5 name counter`), '');
    const id = String((JSON.parse(sh(`bpfkit map show pinned ${pins}/counter -j`)) as { id: number }).id);
    // bpftool map update id 1 key 1 0 0 0 value 1 0 0 0
    sh(`bpfkit map update id ${id} key 1 0 0 0 value 1 0 0 0`);
    // ... value 1 0 0 → Error: value expected 4 bytes got 3
    const bad = bpfkit(['map', 'update', 'id', id, 'key', '1', '0', '0', '0', 'value', '1', '0', '0']);
    assert.equal(bad.stderr, 'Error: value expected 4 bytes got 3\n');
    assert.equal(bad.stderr, bpftool(['map', 'update', 'id', id, 'key', '1', '0', '0', '0', 'value', '1', '0', '0']).stderr);
    assert.notEqual(bad.status, 0);
    // bpftool map dump id 1
    const dump = sh(`bpfkit map dump id ${id}`);
    assert.equal(dump, bpftool(['map', 'dump', 'id', id]).stdout);
    assert.match(dump, /^key: 01 00 00 00  value: 01 00 00 00$/m);
    assert.match(dump, /^Found 5 elements$/m);
    // bpftool map pin id 1 /sys/fs/bpf/counter2, and abbreviations: `bpfkit m s` = `map show`
    sh(`bpfkit map pin id ${id} ${pins}/again`);
    assert.equal(JSON.parse(bpftool(['map', 'show', 'pinned', `${pins}/again`, '-j']).stdout).id, Number(id));
    assert.equal(sh(`bpfkit m s id ${id}`), sh(`bpfkit map show id ${id}`));
    // Unknown commands list the valid ones; `help` works at every level.
    const unknown = bpfkit(['map', 'frobnicate']);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /map \{ show \| list \}/);
    for (const obj of ['prog', 'map', 'link', 'btf', 'net', 'cgroup', 'feature', 'perf']) {
      const h = bpfkit([obj, 'help']);
      assert.equal(h.status, 0, obj);
      assert.match(h.stderr, new RegExp(`^Usage: bpfkit ${obj} `), obj);
    }
  } finally {
    rmSync(pins, { recursive: true, force: true });
  }
});

test('chapter 5: batch files', (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool')) return;
  const pins = mkdtempSync('/sys/fs/bpf/bpfkit-book-');
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-batch-'));
  try {
    const file = join(dir, 'batch.txt');
    writeFileSync(file, [
      '# the book\'s batch example',
      `map create ${pins}/hash_map type hash key 4 value 4 entries 5 name hash_map`,
      `map update pinned ${pins}/hash_map key 1 0 0 0 value 7 0 0 0  # a comment`,
      `map dump pinned \\`,
      `  ${pins}/hash_map`,
      '',
    ].join('\n'));
    const ours = bpfkit(['batch', 'file', file]);
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(ours.stdout, 'key: 01 00 00 00  value: 07 00 00 00\nFound 1 element\nprocessed 3 commands\n');
    rmSync(`${pins}/hash_map`);
    assert.equal(bpftool(['batch', 'file', file]).stdout, ours.stdout);
    rmSync(`${pins}/hash_map`);
    const json = bpfkit(['batch', 'file', file, '-j']);
    rmSync(`${pins}/hash_map`);
    assert.deepEqual(JSON.parse(json.stdout), JSON.parse(bpftool(['batch', 'file', file, '-j']).stdout));
    // A failing command stops the batch with bpftool's error.
    writeFileSync(file, `map show id 0x7fffffff\nmap show\n`);
    const failed = bpfkit(['batch', 'file', file]);
    assert.notEqual(failed.status, 0);
    assert.equal(failed.stderr, bpftool(['batch', 'file', file]).stderr);
  } finally {
    rmSync(pins, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

// CO-RE relocation against libbpf on the running kernel: bpftool's debug log of loading the CO-RE
// fixture names every relocated instruction with its new value; ours must agree on every one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { CollectionSpec } from '../../../src/elf/collection.js';
import { Btf } from '../../../src/btf/btf.js';
import { btfFromFile } from '../../../src/btf/file.js';
import { computeCoreRelo } from '../../../src/btf/core.js';
import { needFile, needRoot, needTool, fixturesDir } from '../../helpers/env.js';

const obj = `${fixturesDir}bpf/build/core.bpf.o`;

test('CO-RE values equal libbpf\'s on this kernel', (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftool') || !needFile(t, '/sys/kernel/btf/vmlinux') || !needFile(t, '/sys/fs/bpf')) return;
  const pin = `/sys/fs/bpf/bpfkit_core_diff_${process.pid}`;
  let log: string;
  try {
    const r = spawnSync('bpftool', ['-d', 'prog', 'load', obj, pin], { encoding: 'utf8' });
    log = r.stderr + r.stdout;
  } finally {
    rmSync(pin, { force: true });
  }
  const theirs = new Map<number, string>();
  for (const m of log.matchAll(/relo #\d+: patched insn #(\d+) \([^)]*\) \w+ -?\d+ -> (-?\d+)/g)) theirs.set(Number(m[1]), m[2]);
  for (const m of log.matchAll(/relo #\d+: substituting insn #(\d+) w\/ invalid insn/g)) theirs.set(Number(m[1]), 'poison');
  const spec = CollectionSpec.fromFile(obj);
  const prog = spec.programs.handle_exec;
  assert.ok(theirs.size >= prog.coreRelos.length - 1, `libbpf log had ${theirs.size} relocations:\n${log.slice(0, 2000)}`);
  const vmlinux: Btf = btfFromFile('/sys/kernel/btf/vmlinux');
  let compared = 0;
  for (const r of prog.coreRelos) {
    const res = computeCoreRelo(spec.btf!, r, vmlinux);
    const want = theirs.get(r.insnOff);
    if (want === undefined) continue;
    const got = res.poison ? 'poison' : (res.newValue > 0x7fffffffn && want.startsWith('-') ? String(BigInt.asIntN(32, res.newValue)) : String(res.newValue));
    assert.equal(got, want, `${r.kind} ${r.accessStr} at insn #${r.insnOff}`);
    compared++;
  }
  assert.equal(compared, theirs.size);
});

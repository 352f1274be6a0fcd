// .ksyms and .kconfig externs resolved at load time, checked against the kernel's own answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Collection } from '../../../src/collection.js';
import { CollectionSpec } from '../../../src/elf/index.js';
import { NotSupportedError, VerifierError } from '../../../src/sys/errors.js';
import { probeBtfFeatures } from '../../../src/btf-features.js';
import { needRoot, needFile, fixturesDir } from '../../helpers/env.js';

const obj = (name: string) => `${fixturesDir}bpf/build/${name}.bpf.o`;

/** The address /proc/kallsyms gives for a symbol (read here, independently of src/ksyms.ts). */
function kallsyms(name: string): bigint {
  const line = readFileSync('/proc/kallsyms', 'utf8').split('\n').find((l) => l.split(/\s+/)[2] === name);
  assert.ok(line, `${name} not in /proc/kallsyms`);
  return BigInt('0x' + line.split(' ')[0]);
}

const onlineCpus = () => Number(readFileSync('/sys/devices/system/cpu/online', 'utf8').trim().split(/[-,]/).pop()) + 1;

function argsFor(pid: number, cpu: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32LE(pid, 0);
  b.writeUInt32LE(cpu, 4);
  return b;
}

test('.ksyms: typeless address, kfuncs, weak externs the kernel lacks', (t) => {
  if (!needRoot(t) || !needFile(t, '/sys/kernel/btf/vmlinux')) return;
  using coll = Collection.load(obj('ksyms'), { programs: ['read_ksyms'] });
  assert.equal(coll.programs.read_ksyms.testRun({ ctx: argsFor(process.pid, 0), ctxOutSize: 0 }).retval, 0);
  const v = coll.variables;
  assert.equal(v.stext_addr.get().readBigUInt64LE(0), kallsyms('_stext'), 'typeless ksym = kallsyms address');
  assert.equal(v.missing_addr.get().readBigUInt64LE(0), 0n, 'weak typeless ksym the kernel lacks is 0');
  assert.equal(v.missing_var_addr.get().readBigUInt64LE(0), 0n, 'weak typed ksym the kernel lacks is 0');
  assert.equal(v.task_pid.get().readInt32LE(0), process.pid, 'bpf_task_from_pid(pid)->pid');
  assert.equal(v.task_tgid.get().readInt32LE(0), process.pid);
  assert.equal(v.kfunc_exists.get().readInt32LE(0), 0, 'weak kfunc the kernel lacks does not exist');
  // a pid that names no task: the kfunc returns NULL and nothing is written
  const fresh = Collection.load(obj('ksyms'), { programs: ['read_ksyms'] });
  try {
    assert.equal(fresh.programs.read_ksyms.testRun({ ctx: argsFor(0x7ffffff0, 0), ctxOutSize: 0 }).retval, 0);
    assert.equal(fresh.variables.task_pid.get().readInt32LE(0), -1);
  } finally {
    fresh.close();
  }
});

test('.ksyms: typed per-CPU variable is sent as its vmlinux BTF id', (t) => {
  if (!needRoot(t) || !needFile(t, '/sys/kernel/btf/vmlinux')) return;
  const hasData = (() => {
    try {
      kallsyms('runqueues');
      return true;
    } catch {
      return false;
    }
  })();
  if (!hasData) {
    // Without CONFIG_KALLSYMS_ALL the kernel cannot find a variable's address: its refusal names
    // the symbol, which it could only have found from the BTF id we put into the instruction.
    assert.throws(() => Collection.load(obj('ksyms'), { programs: ['read_percpu'] }),
      (e: Error) => e instanceof VerifierError && /kernel symbol 'runqueues'/.test(e.message));
    return;
  }
  using coll = Collection.load(obj('ksyms'), { programs: ['read_percpu'] });
  const cpu = onlineCpus() - 1;
  assert.equal(coll.programs.read_percpu.testRun({ ctx: argsFor(0, cpu), ctxOutSize: 0 }).retval, 0);
  assert.equal(coll.variables.rq_cpu.get().readInt32LE(0), cpu, 'bpf_per_cpu_ptr(&runqueues, cpu)->cpu');
});

test('.ksyms: a non-weak extern the kernel lacks is refused before loading', (t) => {
  if (!needRoot(t) || !needFile(t, '/sys/kernel/btf/vmlinux')) return;
  const spec = CollectionSpec.fromFile(obj('ksyms'));
  const e = spec.externs.find((x) => x.name === 'bpfkit_no_such_kfunc')!;
  e.weak = false;
  assert.throws(() => Collection.load(spec, { programs: ['read_ksyms'] }), (err: Error) => err instanceof NotSupportedError && /bpfkit_no_such_kfunc/.test(err.message));
});

function kernelConfig(): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of gunzipSync(readFileSync('/proc/config.gz')).toString().split('\n')) {
    const i = l.indexOf('=');
    if (l.startsWith('CONFIG_') && i > 0) m.set(l.slice(0, i), l.slice(i + 1));
  }
  return m;
}

test('.kconfig: values from the running kernel, weak missing option is 0', (t) => {
  if (!needRoot(t) || !needFile(t, '/proc/config.gz')) return;
  using coll = Collection.load(obj('kconfig'));
  assert.equal(coll.programs.read_kconfig.testRun({ data: Buffer.alloc(64) }).retval, 2);
  const v = coll.variables;
  const [a, b, c] = readFileSync('/proc/sys/kernel/osrelease', 'utf8').split(/[.-]/).map(Number);
  assert.equal(v.kernel_version.get().readUInt32LE(0), (a << 16) + (b << 8) + Math.min(c, 255));
  assert.equal(v.hz.get().readInt32LE(0), Number(kernelConfig().get('CONFIG_HZ')));
  assert.equal(v.bpf_syscall.get().readInt32LE(0), kernelConfig().get('CONFIG_BPF_SYSCALL') === 'y' ? 1 : 0);
  assert.equal(v.missing.get().readInt32LE(0), 0);
  assert.equal(coll.maps['.kconfig'].info().btfId > 0, true, 'the BTF with the fixed-up .kconfig DATASEC loads');
});

test('BTF features: every one is present on this kernel (probed by loading)', (t) => {
  if (!needRoot(t)) return;
  const f = probeBtfFeatures();
  // 6.x kernels accept every kind; a false here would make every load sanitise
  assert.deepEqual(Object.entries(f).filter(([, v]) => !v), []);
});

test('sanitised BTF still loads: an older kernel\'s feature set, objects with data and .kconfig externs', (t) => {
  if (!needRoot(t) || !needFile(t, '/sys/kernel/btf/vmlinux')) return;
  const old = { func: false, funcGlobal: false, datasec: false, qmarkDatasec: false, float: false, declTag: false, typeTag: false, enum64: false };
  for (const features of [old, { ...old, func: true }]) {
    using coll = Collection.load(obj('globals'), { btfFeatures: features });
    assert.equal(coll.programs.count_xdp.testRun({ data: Buffer.alloc(64) }).retval, 2);
    assert.equal(coll.variables.counter.get().readInt32LE(0), 7 + 1);
    // with FUNC kept, the program is loaded with func_info into the sanitised BTF: so that BTF loaded
    if (features.func) assert.ok(coll.programs.count_xdp.info().btfId > 0, 'program carries the sanitised BTF');
  }
  {
    using coll = Collection.load(obj('kconfig'), { btfFeatures: { ...old, func: true } });
    assert.ok(coll.programs.read_kconfig.info().btfId > 0, 'program carries the sanitised BTF');
    assert.equal(coll.programs.read_kconfig.testRun({ data: Buffer.alloc(64) }).retval, 2);
    assert.ok(coll.variables.hz.get().readInt32LE(0) > 0);
  }
});

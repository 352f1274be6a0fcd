// .kconfig and .ksyms externs: layout, the BTF made loadable, resolution and instruction patching
// (with an injected kernel BTF and kallsyms, so no kernel is needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CollectionSpec } from '../../../src/elf/collection.js';
import { Btf } from '../../../src/btf/btf.js';
import { btfFromFile } from '../../../src/btf/file.js';
import { patchKsymInsn, POISON_CALL_KFUNC_BASE, resolveKsyms } from '../../../src/ksyms.js';
import { BPF_PSEUDO_BTF_ID, BPF_PSEUDO_KFUNC_CALL, insnImm, insnSrcReg, OP_CALL } from '../../../src/elf/insn.js';
import { NotSupportedError } from '../../../src/sys/errors.js';
import { fixturesDir } from '../../helpers/env.js';

const obj = (n: string) => `${fixturesDir}bpf/build/${n}.bpf.o`;

test('.kconfig externs: laid out like libbpf (alignment, then size, then name) in a read-only map', () => {
  const spec = CollectionSpec.fromFile(obj('kconfig'));
  const m = spec.maps['.kconfig'];
  assert.equal(m.internal, 'kconfig');
  assert.equal(m.maxEntries, 1);
  assert.ok(m.flags & (1 << 7), 'BPF_F_RDONLY_PROG');
  // 4-byte values first (by name), then the 1-byte ones: CONFIG_HZ, LINUX_KERNEL_VERSION, CONFIG_BPFKIT…, CONFIG_BPF_SYSCALL
  const at = (n: string) => spec.variables[n].offset;
  assert.deepEqual([at('CONFIG_HZ'), at('LINUX_KERNEL_VERSION'), at('CONFIG_BPFKIT_NO_SUCH_OPTION'), at('CONFIG_BPF_SYSCALL')], [0, 4, 8, 9]);
  assert.equal(m.valueSize, 10);
  assert.ok(Object.values(spec.variables).filter((v) => v.map === '.kconfig').every((v) => v.readonly));
  // every load of a kconfig value reads the map at the value's offset
  const refs = spec.programs.read_kconfig.references.filter((r) => r.kind === 'map_value' && r.map === '.kconfig');
  assert.deepEqual(refs.map((r) => (r.kind === 'map_value' ? r.offset : -1)).sort((a, b) => a - b), [0, 4, 8, 9]);
  // the DATASEC now has the map's size and the variables at their offsets, in order, allocated
  const ds = spec.btf!.find('.kconfig', 'datasec')!;
  assert.ok(ds.kind === 'datasec');
  assert.equal(ds.size, 10);
  assert.deepEqual(ds.vars.map((v) => v.offset), [0, 4, 8, 9]);
  for (const v of ds.vars) {
    const vt = spec.btf!.type(v.type);
    assert.ok(vt.kind === 'var' && vt.linkage === 1 && spec.variables[vt.name].offset === v.offset);
  }
});

test('.ksyms DATASEC: 4-byte allocated ints, FUNC entries replaced by dummy_ksym, no extern linkage', () => {
  const spec = CollectionSpec.fromFile(obj('ksyms'));
  const b = spec.btf!;
  const ds = b.find('.ksyms', 'datasec')!;
  assert.ok(ds.kind === 'datasec');
  assert.equal(ds.size, ds.vars.length * 4);
  ds.vars.forEach((v, i) => {
    assert.equal(v.offset, i * 4);
    assert.equal(v.size, 4);
    const vt = b.type(v.type);
    assert.ok(vt.kind === 'var' && vt.linkage === 1, `entry ${i} is an allocated VAR`);
  });
  assert.ok(b.find('dummy_ksym', 'var'));
  for (const n of ['bpf_task_from_pid', 'bpf_task_release']) {
    const f = b.find(n, 'func')!;
    assert.ok(f.kind === 'func' && f.linkage === 1, `${n} is global, not extern`);
  }
  // the declared types are kept on the extern for the compatibility check
  const rq = spec.externs.find((e) => e.name === 'runqueues')!;
  assert.equal(b.resolveType(rq.localType!).name, 'rq');
});

/** The object's own BTF, unmodified, stands in for the kernel's; `bpfkit_no_such_*` are renamed away. */
function fakeKernel(): Btf {
  const raw = btfFromFile(obj('ksyms'));
  return new Btf(raw.types.map((t) => (t.name.startsWith('bpfkit_no_such') ? { ...t, name: t.name.replace('bpfkit', 'other') } : t)));
}

test('resolution: kfuncs and typed variables by BTF id, typeless by address, weak missing ones', () => {
  const spec = CollectionSpec.fromFile(obj('ksyms'));
  const kernel = fakeKernel();
  const r = resolveKsyms(spec, () => kernel, (n) => (n === '_stext' ? 0xffffffff81000000n : undefined));
  assert.deepEqual(r.get('bpf_task_from_pid'), { kind: 'btf', btfId: kernel.find('bpf_task_from_pid', 'func')!.id });
  assert.deepEqual(r.get('runqueues'), { kind: 'btf', btfId: kernel.find('runqueues', 'var')!.id });
  assert.deepEqual(r.get('_stext'), { kind: 'address', address: 0xffffffff81000000n });
  assert.deepEqual(r.get('bpfkit_no_such_symbol'), { kind: 'address', address: 0n });
  assert.deepEqual(r.get('bpfkit_no_such_var'), { kind: 'address', address: 0n });
  assert.deepEqual(r.get('bpfkit_no_such_kfunc'), { kind: 'missing' });
  // not weak: an error naming the extern
  spec.externs.find((e) => e.name === 'bpfkit_no_such_kfunc')!.weak = false;
  assert.throws(() => resolveKsyms(spec, () => kernel, () => 1n), (e: Error) => e instanceof NotSupportedError && e.message.includes('bpfkit_no_such_kfunc'));
});

test('resolution: a kernel type that does not fit the declaration is refused', () => {
  const spec = CollectionSpec.fromFile(obj('ksyms'));
  const raw = btfFromFile(obj('ksyms'));
  const intId = raw.find('int', 'int')!.id;
  // the "kernel" has runqueues as an int: incompatible with struct rq
  const kernel = new Btf(raw.types.map((t) => (t.kind === 'var' && t.name === 'runqueues' ? { ...t, type: intId } : t)));
  assert.throws(() => resolveKsyms(spec, () => kernel, () => 1n), /runqueues.*incompatible/);
});

test('patching: kfunc call, poisoned call, BTF id load, address load', () => {
  const insns = Buffer.alloc(8 * 6);
  insns[0] = OP_CALL;
  insns[1] = 1 << 4;
  insns.writeInt32LE(-1, 4);
  insns[8] = OP_CALL;
  insns[9] = 1 << 4;
  insns[16] = 0x18;
  insns[17] = 0x01; // r1
  insns[32] = 0x18;
  insns[33] = 0x02;
  patchKsymInsn(insns, 0, true, { kind: 'btf', btfId: 1234 }, 0);
  assert.equal(insnSrcReg(insns, 0), BPF_PSEUDO_KFUNC_CALL);
  assert.equal(insnImm(insns, 0), 1234);
  patchKsymInsn(insns, 1, true, { kind: 'missing' }, 7);
  assert.equal(insnSrcReg(insns, 1), 0);
  assert.equal(insnImm(insns, 1), POISON_CALL_KFUNC_BASE + 7);
  patchKsymInsn(insns, 2, false, { kind: 'btf', btfId: 99 }, 0);
  assert.equal(insnSrcReg(insns, 2), BPF_PSEUDO_BTF_ID);
  assert.equal(insns[17] & 0x0f, 1, 'destination register kept');
  assert.equal(insnImm(insns, 2), 99);
  assert.equal(insnImm(insns, 3), 0, 'btf object fd 0: vmlinux');
  patchKsymInsn(insns, 4, false, { kind: 'address', address: 0xffffffff81234567n }, 0);
  assert.equal(insnSrcReg(insns, 4), 0);
  assert.equal(insns.readUInt32LE(36), 0x81234567);
  assert.equal(insns.readUInt32LE(44), 0xffffffff);
});

// Every map type of the running kernel is created and used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { BpfMap, type MapSpec } from '../../../src/map.js';
import { Program } from '../../../src/program.js';
import { btfLoad } from '../../../src/sys/bpf.js';
import { possibleCpus } from '../../../src/sys/cpus.js';
import { mapTypes } from '../../../src/sys/generated/kernel.js';
import { decodeBtf } from '../../../src/btf/decode.js';
import { cgroup2Root } from '../../../src/sys/mounts.js';
import { needRoot } from '../../helpers/env.js';
import { tinyIntBtf } from '../../helpers/btf.js';

const ret0 = Buffer.from('b7000000000000009500000000000000', 'hex');

test('every map type this kernel has is created and used', (t) => {
  if (!needRoot(t)) return;
  const btf = btfLoad(tinyIntBtf());
  assert.ok(btf.fd, `BTF load failed: errno ${btf.errno}`);
  using btfFd = btf.fd;
  using inner = BpfMap.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
  using prog = Program.load({ type: 'socket_filter', instructions: ret0 });
  const vmlinux = decodeBtf(readFileSync('/sys/kernel/btf/vmlinux'));
  const tcpOps = vmlinux.types.find((x) => x.name === 'bpf_struct_ops_tcp_congestion_ops');
  assert.ok(tcpOps && tcpOps.kind === 'struct');
  const storage: Partial<MapSpec> = { keySize: 4, valueSize: 4, maxEntries: 0, flags: ['no_prealloc'], btfFd: btfFd.raw, btfKeyTypeId: 1, btfValueTypeId: 1 };
  const u32 = (b: Buffer | undefined) => b?.readUInt32LE();

  // For each type: how to create it, and a use whose result we check.
  const cases: Record<string, { spec?: Partial<MapSpec>; use: (m: BpfMap) => void }> = {
    hash: { use: (m) => { m.update(1, 2); assert.equal(u32(m.lookup(1)), 2); } },
    array: { use: (m) => { m.update(3, 9); assert.equal(u32(m.lookup(3)), 9); } },
    prog_array: { use: (m) => { m.update(0, prog); m.delete(0); assert.throws(() => m.delete(0), /ENOENT/); } },
    perf_event_array: { use: (m) => assert.throws(() => m.delete(0), /ENOENT/) },
    percpu_hash: { use: (m) => { m.updatePerCpu(1, possibleCpus().map((c) => c + 10)); assert.deepEqual(m.lookupPerCpu(1)?.map((b) => b.readUInt32LE()), possibleCpus().map((c) => c + 10)); } },
    percpu_array: { use: (m) => { m.updatePerCpu(0, possibleCpus().map(() => 5)); assert.ok(m.lookupPerCpu(0)?.every((b) => b.readUInt32LE() === 5)); } },
    stack_trace: { spec: { valueSize: 8 * 127 }, use: (m) => assert.equal(m.lookup(1), undefined) },
    cgroup_array: {
      use: (m) => {
        const dir = openSync(cgroup2Root() ?? '/sys/fs/cgroup', 'r');
        try { m.update(0, dir); } finally { closeSync(dir); }
        m.delete(0);
      },
    },
    lru_hash: { use: (m) => { for (let k = 0; k < 10; k++) m.update(k, k); assert.ok([...m.keys()].length <= 4 + possibleCpus().length * 4); } },
    lru_percpu_hash: { use: (m) => { m.updatePerCpu(1, possibleCpus().map(() => 1)); assert.equal(m.lookupPerCpu(1)?.length, possibleCpus().length); } },
    lpm_trie: { spec: { keySize: 8, flags: ['no_prealloc'] }, use: (m) => { m.update(Buffer.from([24, 0, 0, 0, 10, 1, 2, 0]), 7); assert.equal(u32(m.lookup(Buffer.from([32, 0, 0, 0, 10, 1, 2, 3]))), 7); } },
    array_of_maps: { spec: { innerMap: inner }, use: (m) => { m.update(0, inner); assert.equal(u32(m.lookup(0)), inner.info().id); } },
    hash_of_maps: { spec: { innerMap: inner }, use: (m) => { m.update(5, inner); assert.equal(u32(m.lookup(5)), inner.info().id); } },
    devmap: { use: (m) => { m.update(0, 1); assert.equal(u32(m.lookup(0)), 1); } },
    devmap_hash: { use: (m) => { m.update(9, 1); assert.equal(u32(m.lookup(9)), 1); } },
    sockmap: { use: (m) => assert.throws(() => m.delete(0), /EINVAL/) },
    sockhash: { use: (m) => assert.equal(m.nextKey(), undefined) },
    cpumap: { use: (m) => { m.update(0, 192); assert.equal(u32(m.lookup(0)), 192); } },
    xskmap: { use: (m) => { m.delete(0); assert.throws(() => m.lookup(0), /ENOTSUP/); } },
    cgroup_storage: { spec: { keySize: 16, valueSize: 8, maxEntries: 0 }, use: (m) => assert.equal(m.nextKey(), undefined) },
    percpu_cgroup_storage: { spec: { keySize: 16, valueSize: 8, maxEntries: 0 }, use: (m) => assert.equal(m.nextKey(), undefined) },
    reuseport_sockarray: { use: (m) => assert.throws(() => m.delete(0), /ENOENT/) },
    queue: { spec: { keySize: 0 }, use: (m) => { m.push(1); m.push(2); assert.equal(u32(m.pop()), 1); } },
    stack: { spec: { keySize: 0 }, use: (m) => { m.push(1); m.push(2); assert.equal(u32(m.pop()), 2); } },
    bloom_filter: { spec: { keySize: 0, mapExtra: 3n }, use: (m) => { m.push(42); assert.equal(m.contains(42), true); assert.equal(m.contains(43), false); } },
    ringbuf: { spec: { maxEntries: 4096 }, use: (m) => assert.equal(m.info().maxEntries, 4096) },
    user_ringbuf: { spec: { maxEntries: 4096 }, use: (m) => assert.equal(m.info().maxEntries, 4096) },
    sk_storage: { spec: storage, use: (m) => assert.equal(m.info().btfValueTypeId, 1) },
    inode_storage: { spec: storage, use: (m) => assert.equal(m.info().btfKeyTypeId, 1) },
    task_storage: { spec: storage, use: (m) => assert.equal(m.info().btfKeyTypeId, 1) },
    cgrp_storage: { spec: storage, use: (m) => assert.equal(m.info().type, 'cgrp_storage') },
    struct_ops: { spec: { valueSize: tcpOps.kind === 'struct' ? tcpOps.size : 0, maxEntries: 1, btfFd: btfFd.raw, btfVmlinuxValueTypeId: tcpOps.id }, use: (m) => assert.equal(m.info().btfVmlinuxValueTypeId, tcpOps.id) },
    arena: { spec: { keySize: 0, valueSize: 0, maxEntries: 1, flags: ['mmapable'] }, use: (m) => assert.equal(m.info().type, 'arena') },
  };
  const kernelTypes = Object.keys(mapTypes).filter((n) => n !== 'unspec' && !n.endsWith('_deprecated'));
  const missing = kernelTypes.filter((n) => !(n in cases));
  assert.deepEqual(missing, [], `map types without a test case: ${missing.join(', ')}`);
  for (const type of kernelTypes) {
    const c = cases[type];
    const m = BpfMap.create({ type: type as MapSpec['type'], keySize: 4, valueSize: 4, maxEntries: 4, ...c.spec });
    try {
      assert.equal(m.info().type, type);
      c.use(m);
    } catch (e) {
      throw new Error(`${type}: ${(e as Error).message}`);
    } finally {
      m.close();
    }
  }
});

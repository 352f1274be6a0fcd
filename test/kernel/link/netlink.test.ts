// rtnetlink requests in a fresh namespace: interface lookup, the clsact qdisc, and the kernel's
// extended error message carried into BpfError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addClsact, delClsact, delFilter, getInterface, hasClsact, ifindex, ifindexFromSysfs, listInterfaces, tcParent } from '../../../src/sys/netlink.js';
import { BpfError } from '../../../src/sys/errors.js';
import { inNetns } from '../../../src/sys/netns.js';
import { needRoot, needTool } from '../../helpers/env.js';
import { nsExec, withNetns } from '../../helpers/netns.js';

test('rtnetlink: interfaces, clsact, and extended acks', async (t) => {
  if (!needRoot(t) || !needTool(t, 'ip') || !needTool(t, 'tc')) return;
  await withNetns((ns) => inNetns(ns.path, () => {
    assert.deepEqual(listInterfaces().map((i) => i.name), ['lo']);
    const lo = getInterface('lo');
    assert.equal(lo.index, ifindex('lo'));
    assert.equal(getInterface(lo.index).name, 'lo');
    assert.equal(lo.xdp.attached, 'none');
    assert.ok(ifindexFromSysfs('lo')! > 0);
    assert.throws(() => ifindex('nosuch0'), (e: unknown) => e instanceof BpfError && e.code === 'ENODEV' && /nosuch0/.test(e.message));

    assert.equal(addClsact(lo.index), true);
    assert.equal(addClsact(lo.index), false, 'already there');
    assert.match(nsExec(ns, ['tc', 'qdisc', 'show', 'dev', 'lo']), /qdisc clsact ffff:/);
    // The kernel explains the failure in an extended ack; it reaches the error message.
    assert.throws(() => delFilter({ ifindex: lo.index, parent: tcParent.ingress, handle: 1, priority: 9, protocol: 3 }),
      (e: unknown) => e instanceof BpfError && e.code === 'ENOENT' && /RTM_DELTFILTER.*kernel says: \w+/.test(e.message));
    delClsact(lo.index);
    assert.equal(hasClsact(lo.index), false);
    assert.doesNotMatch(nsExec(ns, ['tc', 'qdisc', 'show', 'dev', 'lo']), /clsact/);
  }));
});

// The sampling programs in their two forms: reading the task's ids and name from task_struct (offsets
// from BTF) or through helpers. Pure: the text is assembled, not loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../../src/asm/index.js';
import type { Instruction } from '../../../src/asm/instruction.js';
import { offcpuProgramText, profileProgramText, type StackProgramOptions } from '../../../src/profile/programs.js';
import { helperIds } from '../../../src/sys/generated/kernel.js';

const CALL = 0x85;
const LDX_W = 0x61;
const LDX_DW = 0x79;
// An invented layout: the programs must take their offsets from it, whatever they are.
const LAYOUT = { pid: 1200, tgid: 1204, comm: 1736 };
const MAPS = { stacks: 5, counts: 6, start: 7 };

function calls(insns: Instruction[]): number[] {
  return insns.filter((i) => i.code === CALL && i.src === 0).map((i) => i.imm);
}
function loadsFromR0(insns: Instruction[], code: number): number[] {
  return insns.filter((i) => i.code === code && i.src === 0).map((i) => i.off);
}
function profileInsns(o: Partial<StackProgramOptions>): Instruction[] {
  return assemble(profileProgramText({ stacks: 'both', includeIdle: false, tgid: 4242, ...o }), { maps: MAPS });
}
function offcpuInsns(o: Partial<StackProgramOptions>): Instruction[] {
  return assemble(offcpuProgramText({ stacks: 'both', includeIdle: false, prevPidOffset: 24, nextPidOffset: 56, minNs: 1000, ...o }), { maps: MAPS });
}

test('with a task layout the profile program reads pid, tgid and comm with loads, not helpers', () => {
  const insns = profileInsns({ task: LAYOUT });
  const c = calls(insns);
  assert.equal(c.filter((x) => x === helperIds.get_current_task_btf).length, 1);
  assert.ok(!c.includes(helperIds.get_current_pid_tgid) && !c.includes(helperIds.get_current_comm), `calls: ${c}`);
  assert.deepEqual(loadsFromR0(insns, LDX_W).sort(), [LAYOUT.pid, LAYOUT.tgid].sort());
  // comm: 16 bytes as two 8-byte loads.
  assert.deepEqual(loadsFromR0(insns, LDX_DW), [LAYOUT.comm, LAYOUT.comm + 8]);
  // Both stacks are still walked, and the count is still one atomic add on a hit.
  assert.equal(c.filter((x) => x === helperIds.get_stackid).length, 2);
});

test('keeping idle samples drops the pid load; without a layout the helpers are called', () => {
  const idle = profileInsns({ task: LAYOUT, includeIdle: true });
  assert.deepEqual(loadsFromR0(idle, LDX_W), [LAYOUT.tgid]);
  const helpers = calls(profileInsns({}));
  assert.ok(helpers.includes(helperIds.get_current_pid_tgid) && helpers.includes(helperIds.get_current_comm));
  assert.ok(!helpers.includes(helperIds.get_current_task_btf));
});

test('the off-CPU program takes the same task reads on switch-out', () => {
  const withTask = calls(offcpuInsns({ task: LAYOUT }));
  assert.equal(withTask.filter((x) => x === helperIds.get_current_task_btf).length, 1);
  assert.ok(!withTask.includes(helperIds.get_current_pid_tgid) && !withTask.includes(helperIds.get_current_comm));
  const insns = offcpuInsns({ task: LAYOUT });
  assert.deepEqual(loadsFromR0(insns, LDX_DW).slice(0, 2), [LAYOUT.comm, LAYOUT.comm + 8]);
  const withHelpers = calls(offcpuInsns({}));
  assert.ok(withHelpers.includes(helperIds.get_current_pid_tgid) && withHelpers.includes(helperIds.get_current_comm));
});

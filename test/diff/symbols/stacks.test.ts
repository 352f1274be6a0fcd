// kstack/ustack text against bpftrace 0.17 on the same addresses: bpftrace's perf mode prints
// each frame's address, we symbolize those addresses ourselves and print both of its modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatStack, Symbolizer } from '../../../src/symbols/resolver.js';
import { needRoot, needTool } from '../../helpers/env.js';

const LOOP = `
#include <time.h>
int __attribute__((noinline)) nap(void) { struct timespec ts = { 0, 20 * 1000 * 1000 }; return clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, 0); }
int __attribute__((noinline)) level2(void) { return nap(); }
int main(void) { for (int i = 0; i < 1500; i++) level2(); return 0; }
`;

function section(out: string, tag: string): string {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(out);
  assert.ok(m, `bpftrace printed ${tag}`);
  return m[1];
}

function perfAddresses(text: string): bigint[] {
  return text.split('\n').filter((l) => l.startsWith('\t')).map((l) => BigInt('0x' + l.trim().split(' ')[0]));
}

test('kernel and user stacks print exactly as bpftrace prints them', async (t) => {
  if (!needRoot(t) || !needTool(t, 'bpftrace') || !needTool(t, 'cc')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-stacks-'));
  const child = (() => {
    writeFileSync(join(dir, 'loop.c'), LOOP);
    execFileSync('cc', ['-O1', '-g', '-fno-omit-frame-pointer', '-o', join(dir, 'loop'), join(dir, 'loop.c')]);
    return spawn(join(dir, 'loop'), { stdio: 'ignore' });
  })();
  try {
    const pid = child.pid!;
    const prog = `tracepoint:syscalls:sys_enter_clock_nanosleep /pid == ${pid}/ {
      printf("<KP>%s</KP><KB>%s</KB><UP>%s</UP><UB>%s</UB>\\n", kstack(perf), kstack, ustack(perf), ustack); exit(); }`;
    const out = execFileSync('bpftrace', ['-e', prog], { timeout: 20000, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const s = new Symbolizer();
    const kp = section(out, 'KP');
    const kernel = s.kernelStack(perfAddresses(kp));
    assert.ok(kernel.length > 1);
    assert.equal(formatStack(kernel, { mode: 'perf' }), kp);
    assert.equal(formatStack(kernel), section(out, 'KB'));
    const up = section(out, 'UP');
    const user = s.userStack(pid, perfAddresses(up));
    assert.ok(user.some((f) => f.name === 'main'), 'the program\'s main is on the user stack');
    assert.equal(formatStack(user, { mode: 'perf' }), up);
    assert.equal(formatStack(user), section(out, 'UB'));
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

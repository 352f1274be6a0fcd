// Issue 10: `bpfkit seccomp record` traces a command (and its children) with the
// raw_syscalls:sys_enter tracepoint and writes an allow-list policy; under `seccomp run` that
// policy lets the same command succeed and denies a system call the recorded run never made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy, loadPolicy, parsePolicy, runUnderFilter, type SeccompPolicy } from '../../../src/cbpf/seccomp/index.js';
import { LAUNCHER_SYSCALLS, recordSyscalls, recordedPolicyYaml } from '../../../src/cbpf/seccomp/record.js';
import { main as seccompMain } from '../../../src/cli/seccomp.js';
import { hasTool, need, needRoot } from '../../helpers/env.js';
import { kernelObjectFds } from '../../helpers/netns.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bpfkit-seccomp-record-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const allowed = (p: SeccompPolicy) => new Set(p.rules.filter((r) => r.action.kind === 'allow').map((r) => String(r.syscall)));

test('record /bin/true: the policy runs /bin/true and kills /bin/ls with SIGSYS', async (t) => {
  if (!needRoot(t)) return;
  const fdsBefore = kernelObjectFds();
  const file = join(dir, 'true.yaml');
  // Through the CLI; its exit status is the command's.
  const stderr = process.stderr.write.bind(process.stderr);
  let said = '';
  process.stderr.write = ((s: string | Uint8Array) => ((said += s.toString()), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await seccompMain(['record', '-o', file, '--', '/bin/true']);
  } finally {
    process.stderr.write = stderr;
  }
  assert.equal(code, 0, said);
  assert.match(said, /\d+ system calls recorded from \/bin\/true \(exit status 0\); policy written to /);
  assert.deepEqual(kernelObjectFds(), fdsBefore, 'maps, programs and tracepoint links are closed');

  const policy = loadPolicy(file);
  assert.equal(policy.defaultAction.kind, 'kill_process');
  const names = allowed(policy);
  for (const n of ['execve', 'exit_group', ...LAUNCHER_SYSCALLS]) assert.ok(names.has(n), `${n} is allowed`);
  // /bin/true lists no directory and writes nothing.
  for (const n of ['getdents64', 'write', 'socket']) assert.ok(!names.has(n), `${n} is not allowed`);
  assert.ok(names.size < 40, `a small policy (${names.size} calls)`);

  const insns = compilePolicy(policy).insns;
  const ok = await runUnderFilter(insns, '/bin/true', [], { capture: true });
  assert.equal(ok.status, 0);
  const ls = await runUnderFilter(insns, '/bin/ls', ['/'], { capture: true });
  assert.equal(ls.signal, 'SIGSYS', `ls under the /bin/true policy: ${JSON.stringify(ls)}`);
  assert.equal(ls.stdout, '');
});

test('children are recorded: sh -c "ls / | wc -l" runs under its own recorded policy', async (t) => {
  if (!needRoot(t)) return;
  const cmd = ['/bin/sh', ['-c', 'ls / | wc -l']] as const;
  const rec = await recordSyscalls(cmd[0], [...cmd[1]], { capture: true });
  assert.equal(rec.status, 0, rec.stderr);
  const names = new Set(rec.calls.map((c) => c.name));
  // getdents64 comes only from ls, a grandchild of the traced shell; the pipe from the shell.
  assert.ok(names.has('getdents64'), 'the calls of child processes are recorded');
  assert.ok(names.has('pipe2') || names.has('pipe'), 'the shell made the pipe');
  assert.ok(names.has('execve'));
  const policy = parsePolicy(recordedPolicyYaml(rec.calls, { command: [cmd[0], ...cmd[1]] }));
  const run = await runUnderFilter(compilePolicy(policy).insns, cmd[0], [...cmd[1]], { capture: true });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, rec.stdout);
  assert.ok(Number(run.stdout.trim()) > 3);
});

test('a C program: the recorded run succeeds, the variant making one more call is killed', async (t) => {
  if (!needRoot(t) || !need(t, hasTool('gcc'), 'needs gcc')) return;
  const src = join(dir, 'extra.c');
  const bin = join(dir, 'extra');
  // The same binary both times, so the loader's calls are identical; only argv differs.
  writeFileSync(src, [
    '#include <stdio.h>', '#include <unistd.h>', '#include <sys/syscall.h>',
    'int main(int argc, char **argv) {',
    '  if (argc > 1) syscall(SYS_getppid);',
    '  printf("hello\\n");',
    '  return 0;',
    '}',
  ].join('\n'));
  execFileSync('gcc', ['-O1', '-o', bin, src]);
  const rec = await recordSyscalls(bin, [], { capture: true });
  assert.equal(rec.stdout, 'hello\n');
  assert.ok(!rec.calls.some((c) => c.name === 'getppid'));
  const file = join(dir, 'extra.yaml');
  writeFileSync(file, recordedPolicyYaml(rec.calls, { command: [bin] }));
  assert.match(readFileSync(file, 'utf8'), /^default: KILL_PROCESS$/m);
  const insns = compilePolicy(loadPolicy(file)).insns;
  const same = await runUnderFilter(insns, bin, [], { capture: true });
  assert.equal(same.status, 0);
  assert.equal(same.stdout, 'hello\n');
  const variant = await runUnderFilter(insns, bin, ['extra'], { capture: true });
  assert.equal(variant.signal, 'SIGSYS');
  assert.equal(variant.status, 128 + 31);
  assert.equal(variant.stdout, '', 'killed at getppid, before printing');
});

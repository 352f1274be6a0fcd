// Filters installed in the running kernel on real commands (bpfkit seccomp run's machinery).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy, loadPolicy, parsePolicy, runUnderFilter } from '../../../src/cbpf/seccomp/index.js';
import { hasTool, need, needRoot, peerDir } from '../../helpers/env.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bpfkit-seccomp-kernel-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a small C program; returns its path. */
function cc(name: string, source: string): string {
  const src = join(dir, `${name}.c`);
  const bin = join(dir, name);
  writeFileSync(src, source);
  execFileSync('gcc', ['-O1', '-o', bin, src]);
  return bin;
}

function ready(t: import('node:test').TestContext, tools: string[] = []): boolean {
  if (!needRoot(t)) return false;
  for (const tool of tools) if (!need(t, hasTool(tool), `needs ${tool}`)) return false;
  return true;
}

const run = (policyText: string, cmd: string, args: string[] = []) =>
  runUnderFilter(compilePolicy(parsePolicy(policyText)).insns, cmd, args, { capture: true });

test("the book's example: write denied with EPERM, ls prints nothing and fails", async (t) => {
  if (!ready(t, ['gcc'])) return;
  const deny = 'default: ALLOW\nrules:\n  - {syscall: write, action: ERRNO(EPERM)}\n';
  const free = await runUnderFilter(compilePolicy(parsePolicy('default: ALLOW\n')).insns, 'ls', ['/'], { capture: true });
  assert.equal(free.status, 0);
  assert.notEqual(free.stdout, '');
  const r = await run(deny, 'ls', ['/']);
  assert.equal(r.stdout, '');
  assert.notEqual(r.status, 0);
  // The call itself returns -1/EPERM: the program exits with the errno it saw.
  const w = cc('write', '#include <errno.h>\n#include <unistd.h>\nint main(void){ if (write(1, "x\\n", 2) >= 0) return 100; return errno; }\n');
  const e = await run(deny, w);
  assert.equal(e.status, 1); // EPERM
});

test('KILL_PROCESS kills the command with SIGSYS', async (t) => {
  if (!ready(t)) return;
  const r = await run('default: ALLOW\nrules:\n  - {syscall: uname, action: KILL_PROCESS}\n', 'uname');
  assert.equal(r.signal, 'SIGSYS');
  assert.equal(r.status, 128 + 31);
  assert.equal(r.stdout, '');
});

test('TRAP delivers SIGSYS with the call number to the handler', async (t) => {
  if (!ready(t, ['gcc'])) return;
  const bin = cc('trap', `
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
static volatile int seen = -1;
static void on_sys(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; seen = si->si_syscall; }
int main(void) {
  struct sigaction sa; memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sys; sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, 0);
  syscall(SYS_getppid);
  return seen == SYS_getppid ? 42 : 1;
}
`);
  const r = await run('default: ALLOW\nrules:\n  - {syscall: getppid, action: TRAP}\n', bin);
  assert.equal(r.status, 42);
  // Without a handler the signal ends the process.
  const k = await run('default: ALLOW\nrules:\n  - {syscall: uname, action: TRAP}\n', 'uname');
  assert.equal(k.signal, 'SIGSYS');
});

test('LOG lets the call through (and the kernel logs it when asked to)', async (t) => {
  if (!ready(t)) return;
  const r = await run('default: ALLOW\nrules:\n  - {syscall: uname, action: LOG}\n', 'uname');
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), 'Linux');
  const logged = '/proc/sys/kernel/seccomp/actions_logged';
  if (existsSync(logged)) assert.match(readFileSync(logged, 'utf8'), /\blog\b/);
  // --log (SECCOMP_FILTER_FLAG_LOG) is accepted by the kernel.
  const f = await runUnderFilter(compilePolicy(parsePolicy('default: ALLOW\n')).insns, 'true', [], { capture: true, log: true });
  assert.equal(f.status, 0);
});

test('an argument condition: socket(AF_INET6) denied, socket(AF_INET) allowed', async (t) => {
  if (!ready(t, ['gcc'])) return;
  const bin = cc('sock', `
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
int main(void) {
  int a = socket(AF_INET, SOCK_DGRAM, 0);
  int e4 = a < 0 ? errno : 0;
  int b = socket(AF_INET6, SOCK_DGRAM, 0);
  int e6 = b < 0 ? errno : 0;
  fprintf(stderr, "inet=%d inet6=%d\\n", e4, e6);
  return (a >= 0 ? 0 : 1) | (b < 0 && e6 == EAFNOSUPPORT ? 0 : 2);
}
`);
  const r = await run('default: ALLOW\nrules:\n  - {syscall: socket, action: ERRNO(EAFNOSUPPORT), args: ["arg0 == 10"]}\n', bin);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /inet=0 inet6=97/);
});

test('a call through a foreign ABI is killed (x32 bit on x86_64; int 0x80 i386 entry)', async (t) => {
  if (!ready(t, ['gcc'])) return;
  if (!need(t, process.arch === 'x64', 'needs x86_64')) return;
  const bin = cc('foreign', `
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long r;
  if (argv[1][0] == 'x') {
    /* x32 getpid: nr 39 | __X32_SYSCALL_BIT */
    __asm__ volatile ("syscall" : "=a"(r) : "a"(0x40000000L | 39) : "rcx", "r11", "memory");
  } else {
    /* i386 getpid: nr 20 through the 32-bit entry */
    __asm__ volatile ("int $0x80" : "=a"(r) : "a"(20L) : "memory");
  }
  return r == getpid() ? 0 : 3;
}
`);
  const policy = 'default: ALLOW\narchitectures: [x86_64]\n';
  const x32 = await run(policy, bin, ['x']);
  assert.equal(x32.signal, 'SIGSYS');
  const free = await run('default: ALLOW\narchitectures: [x86_64, x86]\n', bin, ['i']);
  t.diagnostic(`i386 entry without the filter: status ${free.status}`);
  if (free.status === 0) {
    // This kernel runs i386 calls; without x86 in the policy they are killed.
    const i386 = await run(policy, bin, ['i']);
    assert.equal(i386.signal, 'SIGSYS');
  }
});

test("Docker's default profile, enforced, lets /bin/ls and node -e '' run", async (t) => {
  const file = join(peerDir, 'moby/profiles/seccomp/default.json');
  if (!ready(t) || !need(t, existsSync(file), `needs ${file}`)) return;
  const prog = compilePolicy(loadPolicy(file)).insns;
  const ls = await runUnderFilter(prog, '/bin/ls', ['/'], { capture: true });
  assert.equal(ls.status, 0, ls.stderr);
  assert.match(ls.stdout, /\busr\b/);
  const node = await runUnderFilter(prog, process.execPath, ['-e', 'console.log(6*7)'], { capture: true });
  assert.equal(node.status, 0, node.stderr);
  assert.equal(node.stdout.trim(), '42');
  // And it does deny: mount(2) is not in Docker's list (the target does not exist, so
  // without the filter the call fails with ENOENT and mounts nothing).
  if (!hasTool('gcc')) return;
  const bin = cc('mount', '#include <errno.h>\n#include <sys/mount.h>\nint main(void){ if (mount("none", "/nonexistent-bpfkit", "tmpfs", 0, 0) == 0) return 100; return errno; }\n');
  assert.equal((await run('default: ALLOW\n', bin)).status, 2); // ENOENT
  assert.equal((await runUnderFilter(prog, bin, [], { capture: true })).status, 1); // EPERM
});

test('exit codes and signals of the command pass through', async (t) => {
  if (!ready(t)) return;
  assert.equal((await run('default: ALLOW\n', 'sh', ['-c', 'exit 7'])).status, 7);
  const s = await run('default: ALLOW\n', 'sh', ['-c', 'kill -TERM $$']);
  assert.equal(s.signal, 'SIGTERM');
  assert.equal(s.status, 143);
});

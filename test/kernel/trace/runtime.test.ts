// bpfkit trace end to end in the running kernel: printf from BEGIN, a tracepoint counting execs by
// process name, a uprobe reading structs from a test binary, profile stacks naming the function
// that burns CPU, and errors that leave nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { need, needRoot, needTool } from '../../helpers/env.js';
import { bpfkitTrace, bpfkitTraceAsync, buildTestprog } from './cli.js';
import { trace } from '../../../src/trace/index.js';
import { NotSupportedError } from '../../../src/sys/errors.js';

test('BEGIN printf prints exactly what bpftrace prints', (t) => {
  if (!needRoot(t)) return;
  const r = bpfkitTrace(['-e', 'BEGIN { printf("hello %d\\n", 42); exit(); }']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Attaching 1 probe...\nhello 42\n\n\n');
});

test('tracepoint sys_enter_execve counts execs by comm', async (t) => {
  if (!needRoot(t)) return;
  // A shell under a name of our own: every command it runs is an execve made with that comm.
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-trace-'));
  const shell = join(dir, 'bpfkit_execer');
  symlinkSync('/bin/sh', shell);
  const run = bpfkitTraceAsync(['-e', 'tracepoint:syscalls:sys_enter_execve /comm == "bpfkit_execer"/ { @[comm] = count(); } interval:ms:1500 { exit(); }']);
  await run.attached;
  const sh = spawnSync(shell, ['-c', '/bin/true; /bin/true; /bin/true; /bin/true'], { stdio: 'ignore' });
  assert.equal(sh.status, 0);
  const r = await run.done;
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Attaching 2 probes\.\.\.\n/);
  assert.match(r.stdout, /\n@\[bpfkit_execer\]: 4\n$/);
});

test('uprobe reads structs passed to a function of a test binary', (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const bin = buildTestprog('uprobe_test');
  const prog = `struct Foo { int a; char b[10]; } uprobe:${bin}:function2 { $f = (struct Foo *)arg0; $g = (struct Foo *)arg1; printf("%d %s %d %s\\n", $f->a, $f->b, $g->a, $g->b); exit(); }`;
  const r = bpfkitTrace(['-e', prog, '-c', bin]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Attaching 1 probe\.\.\.\n123 hello 456 world\n/);
});

test('uretprobe retval and count of calls', (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const bin = buildTestprog('uprobe_negative_retval');
  const r = bpfkitTrace(['-e', `uretprobe:${bin}:function1 { @[(int32)retval] = count(); }`, '-c', bin]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /@\[-10\]: 221\n/);
});

test('profile:hz:99 stacks name the busy function', async (t) => {
  if (!needRoot(t) || !needTool(t, 'cc')) return;
  const bin = buildTestprog('busy_loop');
  // The process outlives the trace, so its user stacks can be symbolized when the maps are printed.
  const busy = spawn(bin, ['4000'], { stdio: 'ignore' });
  try {
    const r = bpfkitTrace(['-e', `profile:hz:99 /pid == ${busy.pid}/ { @u[ustack] = count(); @k[kstack] = count(); } interval:ms:1500 { exit(); }`], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const user = r.stdout.slice(r.stdout.indexOf('@u['));
    assert.match(user, /bpfkit_busy_user\+\d+/, 'a user stack sampled in the user-space loop');
    const kernel = r.stdout.slice(r.stdout.indexOf('@k['), r.stdout.indexOf('@u['));
    assert.match(kernel, /do_syscall_64\+\d+|entry_SYSCALL_64/, 'a kernel stack sampled during the getppid loop');
  } finally {
    busy.kill('SIGKILL');
  }
});

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

test('errors: syntax error, unknown function, missing tracepoint → message with caret, exit 1', (t) => {
  if (!needRoot(t)) return;
  const syntax = bpfkitTrace(['-e', 'BEGIN { printf("x") exit(); }']);
  assert.equal(syntax.status, 1);
  assert.equal(syntax.stdout, '');
  assert.equal(syntax.stderr, 'stdin:1:21-25: ERROR: syntax error, unexpected call, expecting }\nBEGIN { printf("x") exit(); }\n                    ~~~~\n');
  const unknown = bpfkitTrace(['-e', 'BEGIN { nosuchfunc(); }']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /^stdin:1:9-19: ERROR: Unknown function: nosuchfunc\n.*\n {8}~{10}\n$/);
  const missing = bpfkitTrace(['-e', 'tracepoint:syscalls:sys_enter_nosuch { exit(); }']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /ERROR: tracepoint not found: syscalls:sys_enter_nosuch/);
});

test('a probe type the kernel lacks fails after others attached, and nothing stays behind', async (t) => {
  if (!needRoot(t)) return;
  const before = fdCount();
  // The tracepoint attaches first, then the kprobe fails on a kernel without kprobes.
  const h = trace('tracepoint:syscalls:sys_enter_getpid { @x = count(); } kprobe:do_nanosleep { @y = count(); } interval:ms:100 { exit(); }');
  let threw: unknown;
  try {
    for await (const e of h) void e;
    await h.done;
  } catch (e) {
    threw = e;
  }
  if (!need(t, threw !== undefined, 'this kernel has kprobes')) return;
  assert.ok(threw instanceof NotSupportedError, String(threw));
  assert.equal(fdCount(), before, 'every map, program and link was closed');
  const r = bpfkitTrace(['-e', 'tracepoint:syscalls:sys_enter_getpid { @x = count(); } kprobe:do_nanosleep { @y = count(); }']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^ERROR: kprobes is not supported by this kernel/m);
});

test('trace() library: typed printf events and map snapshots', async (t) => {
  if (!needRoot(t)) return;
  const before = fdCount();
  const h = trace('BEGIN { printf("v=%d\\n", 7); @c["a"] = count(); @c["a"] = count(); @h = hist(100); exit(); }');
  const events = [];
  for await (const e of h) events.push(e);
  assert.equal(await h.done, 0);
  assert.deepEqual(events[0], { type: 'attached_probes', probes: 1 });
  assert.deepEqual(events[1], { type: 'printf', text: 'v=7\n' });
  const maps = events.filter((e) => e.type === 'map');
  const c = maps.find((e) => e.type === 'map' && e.snapshot.name === '@c');
  assert.ok(c && c.type === 'map');
  assert.deepEqual(c.snapshot.entries, [{ key: ['a'], value: 2n }]);
  const hist = maps.find((e) => e.type === 'map' && e.snapshot.name === '@h');
  assert.ok(hist && hist.type === 'map');
  // hist(100): bucket 2 + floor(log2(100)) = 8.
  assert.equal((hist.snapshot.entries[0].value as bigint[])[8], 1n);
  assert.equal(fdCount(), before);
});

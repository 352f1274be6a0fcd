// Options and script features where bpfkit trace must print what bpftrace 0.17 prints: -k/-kk
// (failing helpers reported with the script's line), --include and #include (C header macros),
// struct definitions clang would refuse,
// str($1 + N), -c's command split at spaces without a shell, and -l's lexer errors. Same stdout,
// same exit status; stderr too where the message is the point (bpftrace's RLIMIT notice aside).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { needRoot, needTool } from '../../helpers/env.js';
import { bpfkitTrace } from '../../kernel/trace/cli.js';

const CASES: { name: string; args: string[]; stderr?: boolean }[] = [
  { name: '-k: a failed delete', args: ['-k', '-e', 'i:ms:100 { @[1] = 1; delete(@[2]); exit(); }'] },
  { name: '-kk: a missing map element read', args: ['-kk', '-e', 'i:ms:100 { @[1] = 1; printf("%d\\n", @[2]); exit(); }'] },
  { name: '-k leaves lookups alone', args: ['-k', '-e', 'i:ms:100 { @[1] = 1; printf("%d\\n", @[2]); exit(); }'] },
  { name: '-kk: a read through a null pointer', args: ['-kk', '-e', 'struct foo {int a;}; BEGIN { $tmp = ((struct foo*) 0)->a; exit(); }'] },
  { name: '-kk -f json: helper_error records', args: ['-kk', '-q', '-f', 'json', '-e', 'struct foo {int a;}; BEGIN { $tmp = ((struct foo*) 0)->a; exit(); }'] },
  { name: '--include errno.h', args: ['--include', 'errno.h', '-e', 'BEGIN { print(strerror(EPERM)); print(ENOENT); print(EWOULDBLOCK); exit(); }'] },
  { name: '#include <linux/if_ether.h> macros', args: ['-e', '#include <linux/if_ether.h>\n#define MINE (ETH_P_IP | 1)\nBEGIN { printf("%d %d %d\\n", ETH_P_IPV6, MINE, ETH_ALEN); exit(); }'] },
  { name: 'a missing #include', args: ['-e', '#include <lol/no.h>\nBEGIN { exit(); }'], stderr: true },
  { name: 'a missing --include', args: ['--include', 'nope.h', '-e', 'BEGIN { exit(); }'], stderr: true },
  { name: 'a struct member of a type defined nowhere (clang\'s incomplete type)', args: ['-e', 'struct Foo { int a; }\nstruct Baz { char c; union Quux q; } BEGIN { exit(); }'], stderr: true },
  { name: 'a struct member of a kernel type, and a pointer to an unknown one', args: ['-e', 'struct Foo { struct thread_info x; struct Bar *p; } BEGIN { printf("%d\\n", sizeof(struct Foo) > 8); exit(); }'] },
  { name: 'a script that redefines a kernel struct the probe uses loses BTF for its members', args: ['-e', 'struct task_struct { struct thread_info x; } BEGIN { printf("%d\\n", curtask->x.status); exit(); }'], stderr: true },
  { name: 'the script\'s definition of a kernel struct is the one curtask uses', args: ['-e', 'struct task_struct { int x; } BEGIN { printf("%d\\n", curtask->x); exit(); }'] },
  { name: 'a watchpoint on a function the program does not have: nothing to attach', args: ['-e', 'watchpoint:nosuchfn+arg0:4:w { printf("x\\n"); }', '-c', '/bin/true'] },
  { name: 'str($1 + N)', args: ['-e', 'BEGIN { printf("%s|%s|%s\\n", str($1 + 1), str($1), str(2 + $1)); exit(); }', 'hello'] },
  { name: "-c runs the command without a shell", args: ['-e', 'BEGIN { }', '-c', "/bin/echo 'A'  B"] },
  { name: '-l with a character the lexer rejects', args: ['-l', '\\n'], stderr: true },
];

const notice = /^ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK.*\n/m;

for (const c of CASES) {
  test(`as bpftrace 0.17: ${c.name}`, (t) => {
    if (!needRoot(t) || !needTool(t, 'bpftrace')) return;
    const theirs = spawnSync('bpftrace', c.args, { encoding: 'utf8', timeout: 30_000 });
    const ours = bpfkitTrace(c.args, { env: { BPFKIT_TRACE_TITLE: 'bpftrace' } });
    assert.equal(ours.status, theirs.status, `exit status (ours: ${ours.stderr})`);
    assert.equal(ours.stdout, theirs.stdout);
    if (c.stderr) assert.equal(ours.stderr, theirs.stderr.replace(notice, ''));
  });
}

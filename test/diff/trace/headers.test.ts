// The macros `bpfkit trace` reads from C headers (src/trace/headers.ts) against the list clang's
// preprocessor makes (`clang -E -dM`; bpftrace asks clang) for the headers scripts include most:
// every public macro (a name starting with a letter) both define has the same body, and the ones
// scripts use are there. Compiler-internal macros (__attribute__ spellings) are not compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { needTool } from '../../helpers/env.js';
import { collectMacros } from '../../../src/trace/headers.js';

function clangMacros(header: string): Map<string, string> {
  const r = spawnSync('clang', ['-E', '-dM', '-x', 'c', '-include', header, '/dev/null'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^#define ([A-Za-z_]\w*)(?!\() ?(.*)$/.exec(line);
    if (m) out.set(m[1], m[2].trim());
  }
  return out;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

for (const [header, wanted] of [
  ['errno.h', ['EPERM', 'ENOENT', 'EAGAIN', 'EWOULDBLOCK', 'ENOTSUP', 'EHWPOISON']],
  ['linux/sched.h', ['CLONE_VM', 'CLONE_NEWPID', 'SCHED_FIFO']],
  ['signal.h', ['SIGKILL', 'SIGUSR1', 'SA_RESTART']],
  ['fcntl.h', ['O_RDONLY', 'O_CREAT', 'AT_FDCWD']],
] as const) {
  test(`macros of ${header} agree with clang -E -dM`, (t) => {
    if (!needTool(t, 'clang')) return;
    const ours = collectMacros({ cDefinitions: '', includes: [header] });
    const theirs = clangMacros(header);
    for (const name of wanted) {
      assert.ok(ours.has(name), `${name} is defined`);
      assert.equal(norm(ours.get(name)!), norm(theirs.get(name)!), name);
    }
    const differ: string[] = [];
    let both = 0;
    for (const [name, body] of ours) {
      if (!/^[A-Za-z]/.test(name) || !theirs.has(name)) continue;
      both++;
      if (norm(body) !== norm(theirs.get(name)!)) differ.push(`${name}: ${body} vs ${theirs.get(name)}`);
    }
    assert.ok(both >= 20, `${both} macros compared`);
    assert.deepEqual(differ, []);
  });
}

test('a header that is not there is clang\'s fatal error, with the place in the definitions', () => {
  assert.throws(() => collectMacros({ cDefinitions: '#include <lol/no.h>\n' }), (e: Error) => e.message === "definitions.h:2:10: fatal error: 'lol/no.h' file not found");
  assert.throws(() => collectMacros({ cDefinitions: '', includes: ['nope.h'] }), (e: Error) => e.message === "fatal error: 'nope.h' file not found");
});

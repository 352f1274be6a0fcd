// bpftrace 0.17's runtime test suite (../shared/peer/bpftrace/v0.17.0/tests/runtime) against
// `bpfkit trace`, with the semantics of bpftrace's own engine (tests/runtime/engine/runner.py):
// NAME/PROG/RUN/EXPECT (a regex searched in stdout+stderr)/TIMEOUT/BEFORE/AFTER/REQUIRES/
// REQUIRES_FEATURE/ENV/ARCH/MIN_KERNEL/MAX_KERNEL/WILL_FAIL. The test programs the suite calls
// (./testprogs/*, ./testlibs/*) are our own C sources in test/fixtures/bpftrace-testprogs,
// compiled with cc into a work directory that also links `runtime` to the suite.
//
// Prints one line per failure with the reason, then `N passed, N failed, N skipped`, and how many
// of the tests bpftrace itself passes here (oracle-0.17-live/runtime-tests-v0.17.0/passed.txt).
// Run: node --import tsx scripts/conformance/bpftrace-runtime.ts [--only REGEX] [--jobs N] [--oracle-only] [-v]
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { basename, join } from 'node:path';
import { release, arch } from 'node:os';
import { peerDir, repoRoot } from '../paths.js';

const SUITE = join(peerDir, 'bpftrace/v0.17.0/tests/runtime');
const ORACLE = join(peerDir, 'bpftrace/oracle-0.17-live/runtime-tests-v0.17.0');
const FIXTURES = join(repoRoot, 'test/fixtures/bpftrace-testprogs');
const ATTACH_TIMEOUT = 5;
const NOTIFY = '__BPFTRACE_NOTIFY_PROBES_ATTACHED';

/** What this bpfkit build answers for REQUIRES_FEATURE (probed facts of this kernel and of bpfkit). */
const FEATURES: Record<string, boolean> = {
  loop: true, btf: true, probe_read_kernel: true, signal: true, uprobe_refcount: true, libpath_resolv: true,
  kfunc: false, dpath: false, 'iter:task': false, 'iter:task_file': false, dwarf: true, aot: false, kprobe_multi: false, skboutput: false,
};

export interface RuntimeTest {
  suite: string;
  name: string;
  run: string;
  prog: string;
  expect: string;
  timeout: number;
  before: string;
  after: string;
  kernelMin: string;
  kernelMax: string;
  requires: string[];
  env: Record<string, string>;
  arch: string[];
  features: string[];
  negFeatures: string[];
  willFail: boolean;
}

/**
 * Test programs, /tmp paths and the kernel's trace buffer (debugf's tests clear and read it) a
 * test uses, which no other test may use at the same time.
 */
function sharedResources(t: RuntimeTest): string[] {
  const text = [t.run, t.prog, t.before, t.after].join(' ');
  return [...new Set(text.match(/test(?:progs|libs)\/[\w.-]+|\/tmp\/[\w.-]+|\/sys\/kernel\/(?:debug\/)?tracing\/trace\b/g) ?? [])];
}

export function parseSuiteFile(text: string, suite: string): RuntimeTest[] {
  const tests: RuntimeTest[] = [];
  const lines = text.split(/(?<=\n)/);
  let block: string[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('#')) return;
    if (line !== '\n') block.push(line);
    if (line === '\n' || i === lines.length - 1) {
      if (block.length) {
        const t = parseBlock(block, suite);
        if (!t.arch.length || t.arch.includes(machine())) tests.push(t);
      }
      block = [];
    }
  });
  return tests;
}

function machine(): string {
  return arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch();
}

function parseBlock(block: string[], suite: string): RuntimeTest {
  const t: RuntimeTest = { suite, name: '', run: '', prog: '', expect: '', timeout: 5, before: '', after: '', kernelMin: '', kernelMax: '', requires: [], env: {}, arch: [], features: [], negFeatures: [], willFail: false };
  for (const item of block) {
    const words = item.split(/\s+/).filter((w) => w !== '');
    const key = words[0];
    const line = words.slice(1).join(' ');
    switch (key) {
      case 'NAME': t.name = line; break;
      case 'RUN': t.run = line; break;
      case 'PROG': t.prog = line; break;
      case 'EXPECT': t.expect = line; break;
      case 'TIMEOUT': t.timeout = Number(line); break;
      case 'BEFORE': t.before = line; break;
      case 'AFTER': t.after = line; break;
      case 'MIN_KERNEL': t.kernelMin = line; break;
      case 'MAX_KERNEL': t.kernelMax = line; break;
      case 'REQUIRES': t.requires.push(line); break;
      case 'ENV': for (const e of line.split(' ')) { const [k, v] = e.split('='); t.env[k] = v; } break;
      case 'ARCH': t.arch = line.split('|').map((x) => x.trim()); break;
      case 'REQUIRES_FEATURE': for (const f of line.split(' ')) (f.startsWith('!') ? t.negFeatures : t.features).push(f.replace(/^!/, '')); break;
      case 'WILL_FAIL': t.willFail = true; break;
      default: throw new Error(`${suite}: unknown field ${key}`);
    }
  }
  return t;
}

function versionLess(a: string, b: string): boolean {
  const pa = a.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0);
  return false;
}

/** Python's re syntax as the suite uses it → a JS RegExp (multiline, like re.M). */
export function pyRegex(expect: string): RegExp {
  // Python accepts `\` before ordinary characters that JS (with the u flag) would refuse; without u, JS takes them literally too.
  return new RegExp(expect.replace(/\(\?P</g, '(?<'), 'm');
}

export type Outcome = { status: 'pass' } | { status: 'fail' | 'skip'; reason: string };

function skipReason(t: RuntimeTest, env: Record<string, string>): string | undefined {
  if (t.kernelMin && versionLess(release(), t.kernelMin)) return `min kernel ${t.kernelMin}`;
  if (t.kernelMax && versionLess(t.kernelMax, release())) return `max kernel ${t.kernelMax}`;
  for (const f of t.features) if (!FEATURES[f]) return `missed feature '${f}'`;
  for (const f of t.negFeatures) if (FEATURES[f]) return `missed feature '!${f}'`;
  for (const r of t.requires) {
    const res = spawnSync('/bin/sh', ['-c', r], { cwd: env.cwd, stdio: 'ignore', env: { PATH: `${env.bin}:${process.env.PATH}` }, timeout: 10_000 });
    if (res.status !== 0) return `unmet condition '${r}'`;
  }
  return undefined;
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    /* gone */
  }
}

function pidof(name: string): number | undefined {
  const r = spawnSync('pidof', [name], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return Number(r.stdout.trim().split(/\s+/)[0]);
}

export async function runTest(t: RuntimeTest, work: { cwd: string; bpftrace: string; bin: string }): Promise<Outcome> {
  const skip = skipReason(t, work as unknown as Record<string, string>);
  if (skip) return { status: 'skip', reason: skip };
  let before: ReturnType<typeof spawn> | undefined;
  let after: ReturnType<typeof spawn> | undefined;
  let proc: ReturnType<typeof spawn> | undefined;
  try {
    let childName = '';
    if (t.before) {
      before = spawn('/bin/sh', ['-c', t.before], { cwd: work.cwd, detached: true, stdio: 'ignore' });
      childName = basename(t.before.trim().split(/\s+/).pop()!);
      const start = Date.now();
      while (pidof(childName) === undefined) {
        if (Date.now() - start > t.timeout * 1000) return { status: 'fail', reason: `timed out waiting for BEFORE ${t.before}` };
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    let cmd = t.run ? t.run.replace(/\{\{BPFTRACE\}\}/g, work.bpftrace) : `${work.bpftrace} -e '${t.prog}'`;
    if (t.before && cmd.includes('{{BEFORE_PID}}')) cmd = cmd.replace(/\{\{BEFORE_PID\}\}/g, String(pidof(childName)));
    const env: Record<string, string> = { test: t.name, BPFKIT_TRACE_TITLE: 'bpftrace', [NOTIFY]: '1', __BPFTRACE_NOTIFY_AOT_PORTABILITY_DISABLED: '1', BPFTRACE_VERIFY_LLVM_IR: '1', ...t.env };
    proc = spawn('/bin/sh', ['-c', cmd], { cwd: work.cwd, detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let attached = false;
    let timedOut = false;
    const p = proc;
    const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    const closed = new Promise<void>((resolve) => {
      let open = 2;
      const done = () => (--open === 0 ? resolve() : undefined);
      p.stdout!.on('end', done);
      p.stderr!.on('end', done);
    });
    let timer: NodeJS.Timeout | undefined;
    const fire = new Promise<void>((resolve) => {
      timer = setTimeout(() => { timedOut = true; resolve(); }, ATTACH_TIMEOUT * 1000);
      const onData = (d: Buffer) => {
        output += d.toString('utf8');
        if (!attached && output.includes(`${NOTIFY}\n`)) {
          attached = true;
          clearTimeout(timer);
          timer = setTimeout(() => { timedOut = true; resolve(); }, (t.timeout || 5) * 1000);
          if (t.after) after = spawn('/bin/sh', ['-c', t.after], { cwd: work.cwd, detached: true, stdio: 'ignore' });
        }
      };
      p.stdout!.on('data', onData);
      p.stderr!.on('data', onData);
      void exited.then(() => resolve());
    });
    await fire;
    clearTimeout(timer);
    if (timedOut) {
      killGroup(p.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    }
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    const code = await Promise.race([exited, Promise.resolve(null)]);
    const re = pyRegex(t.expect);
    const found = re.test(output);
    if (timedOut && !found) return { status: 'fail', reason: `timeout (${t.timeout}s); output: ${JSON.stringify(output.slice(0, 300))}` };
    if (!timedOut && code !== 0 && !t.willFail) return { status: 'fail', reason: `exit code ${code}; output: ${JSON.stringify(output.slice(0, 300))}` };
    if (found) return { status: 'pass' };
    return { status: 'fail', reason: `expected /${t.expect}/; output: ${JSON.stringify(output.slice(0, 300))}` };
  } finally {
    killGroup(before?.pid, 'SIGKILL');
    killGroup(proc?.pid, 'SIGKILL');
    killGroup(after?.pid, 'SIGKILL');
  }
}

/** The work directory: testprogs and testlibs compiled from our sources, `runtime` linked to the suite, a `bpftrace` wrapper. */
export function prepareWorkDir(dir: string, traceCmd: string): { cwd: string; bpftrace: string; bin: string } {
  mkdirSync(join(dir, 'testprogs'), { recursive: true });
  mkdirSync(join(dir, 'testlibs'), { recursive: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  if (!existsSync(join(dir, 'runtime'))) symlinkSync(SUITE, join(dir, 'runtime'));
  const wrapper = join(dir, 'bin', 'bpftrace');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${traceCmd} "$@"\n`);
  chmodSync(wrapper, 0o755);
  if (existsSync(FIXTURES)) {
    for (const f of readdirSync(FIXTURES)) {
      const src = join(FIXTURES, f);
      if (f.endsWith('.c') && f.startsWith('lib')) {
        const out = join(dir, 'testlibs', `${f.slice(0, -2)}.so`);
        execFileSync('cc', ['-g', '-O0', '-fPIC', '-shared', '-o', out, src, `-I${FIXTURES}`]);
      } else if (f.endsWith('.c')) {
        const name = f.slice(0, -2);
        const extra = name === 'uprobe_library' ? [`-L${join(dir, 'testlibs')}`, '-lsimple', `-Wl,-rpath,${join(dir, 'testlibs')}`] : [];
        const flags = name === 'uprobe_test' ? ['-fno-omit-frame-pointer'] : [];
        execFileSync('cc', ['-g', '-O0', ...flags, '-o', join(dir, 'testprogs', name), src, `-I${FIXTURES}`, ...extra]);
      }
    }
  }
  return { cwd: dir, bpftrace: wrapper, bin: join(dir, 'bin') };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = opt('--only') ? new RegExp(opt('--only')!) : undefined;
  const jobs = Number(opt('--jobs') ?? 1);
  const verbose = argv.includes('-v');
  const oracleOnly = argv.includes('--oracle-only');
  const dir = opt('--work') ?? '/tmp/bpfkit-bpftrace-runtime';
  const node = process.execPath;
  const dist = join(repoRoot, 'dist/src/cli/main.js');
  const traceCmd = process.env.BPFKIT_TRACE_CMD ?? (existsSync(dist) && argv.includes('--dist') ? `${node} ${dist} trace` : `${node} --import ${join(repoRoot, 'node_modules/tsx/dist/esm/index.mjs')} ${join(repoRoot, 'src/cli/main.ts')} trace`);
  if (argv.includes('--clean')) rmSync(dir, { recursive: true, force: true });
  const work = prepareWorkDir(dir, traceCmd);
  const oraclePassed = new Set(existsSync(join(ORACLE, 'passed.txt')) ? readFileSync(join(ORACLE, 'passed.txt'), 'utf8').split('\n').filter(Boolean) : []);

  const all: RuntimeTest[] = [];
  for (const f of readdirSync(SUITE).sort()) {
    const path = join(SUITE, f);
    if (f === 'engine' || f === 'scripts' || f === 'outputs' || !existsSync(path) || readdirSync(SUITE, { withFileTypes: true }).find((d) => d.name === f)?.isDirectory()) continue;
    all.push(...parseSuiteFile(readFileSync(path, 'utf8'), f));
  }
  const tests = all.filter((t) => (!only || only.test(`${t.suite}.${t.name}`)) && (!oracleOnly || oraclePassed.has(`${t.suite}.${t.name}`)));
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let oracleHits = 0;
  const failures: string[] = [];
  const skips: string[] = [];
  // With --jobs > 1, tests that share a test program or a /tmp file wait for each other: two runs
  // of one program double a count, and two tests removing one file fail each other.
  const pending = [...tests];
  const busy = new Set<string>();
  const worker = async () => {
    while (pending.length) {
      const k = pending.findIndex((x) => !sharedResources(x).some((r) => busy.has(r)));
      if (k < 0) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const [t] = pending.splice(k, 1);
      const held = sharedResources(t);
      for (const r of held) busy.add(r);
      const full = `${t.suite}.${t.name}`;
      const r = await runTest(t, work).finally(() => held.forEach((x) => busy.delete(x)));
      if (r.status === 'pass') {
        passed++;
        if (oraclePassed.has(full)) oracleHits++;
      } else if (r.status === 'fail') {
        failed++;
        failures.push(`${full}: ${r.reason}`);
      } else {
        skipped++;
        skips.push(`${full}: ${r.reason}`);
      }
      if (verbose) console.log(`[${r.status.toUpperCase().padEnd(4)}] ${full}${r.status === 'pass' ? '' : `: ${r.reason}`}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  if (!verbose) {
    for (const f of failures.sort()) console.log(`FAIL ${f}`);
    if (argv.includes('--skips')) for (const s of skips.sort()) console.log(`SKIP ${s}`);
  }
  const inOracle = tests.filter((t) => oraclePassed.has(`${t.suite}.${t.name}`)).length;
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  console.log(`of the ${inOracle} tests bpftrace 0.17 passes here: ${oracleHits} pass (${inOracle ? ((100 * oracleHits) / inOracle).toFixed(1) : '0'}%)`);
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  await main();
}

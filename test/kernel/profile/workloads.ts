// Programs to profile, built in a temporary directory: a C program with two busy functions of known
// weight (hot does three times the work of cold), a C program that sleeps 30 ms then 10 ms, and a
// Node script with one hot JavaScript function. Every process started is tracked and killed by dispose().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUSY_C = `
#include <stdlib.h>
volatile unsigned long sink;
void __attribute__((noinline)) spin(unsigned long n) { for (unsigned long i = 0; i < n; i++) sink += i; }
void __attribute__((noinline)) hot(void) { spin(3000000); }
void __attribute__((noinline)) cold(void) { spin(1000000); }
int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : -1;
  for (long r = 0; rounds < 0 || r < rounds; r++) { hot(); cold(); }
  return 0;
}
`;

export const SLEEPER_C = `
#include <time.h>
void __attribute__((noinline)) nap(long ms) { struct timespec ts = { 0, ms * 1000000L }; nanosleep(&ts, 0); }
void __attribute__((noinline)) long_wait(void) { nap(30); }
void __attribute__((noinline)) short_wait(void) { nap(10); }
int main(void) { for (;;) { long_wait(); short_wait(); } }
`;

export const HOT_JS = `
'use strict';
function hotJsFunction(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x + i * 7) % 1000003;
  return x;
}
function coldJsFunction(n) {
  let y = 1;
  for (let i = 0; i < n; i++) y = (y * 31 + i) % 999983;
  return y;
}
let sink = 0;
function tick() {
  sink += hotJsFunction(3e6) + coldJsFunction(1e5);
  setImmediate(tick);
}
tick();
`;

export class Workloads {
  readonly dir = mkdtempSync(join(tmpdir(), 'bpfkit-profile-'));
  private readonly children = new Set<ChildProcess>();

  /** Compiles C with frame pointers and no optimization, so user stacks unwind and functions stay. */
  compile(name: string, source: string): string {
    const src = join(this.dir, `${name}.c`);
    const bin = join(this.dir, name);
    writeFileSync(src, source);
    execFileSync('cc', ['-O0', '-g', '-fno-omit-frame-pointer', '-o', bin, src]);
    return bin;
  }

  script(name: string, source: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, source);
    return p;
  }

  start(file: string, args: string[] = []): ChildProcess {
    const child = spawn(file, args, { stdio: 'ignore' });
    if (child.pid === undefined) throw new Error(`cannot start ${file}`);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Kills what is still running (by pid, SIGKILL) and removes the directory. */
  dispose(): void {
    for (const c of this.children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    this.children.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Value of the stacks containing a frame matching `name` (each stack counted once). */
export function weightOf(stacks: readonly { frames: string[]; value: number }[], name: string | RegExp): number {
  const match = (f: string) => (typeof name === 'string' ? f === name : name.test(f));
  return stacks.reduce((sum, s) => (s.frames.some(match) ? sum + s.value : sum), 0);
}

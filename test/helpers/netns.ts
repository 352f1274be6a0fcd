// Network namespaces for kernel tests: made with iproute2, named after this process, removed in
// `finally` however the test ends. Traffic stays on their loopbacks and the veth between them.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';

let counter = 0;

export interface Netns {
  name: string;
  /** /run/netns/NAME: for inNetns(), nsenter --net= and netns-taking APIs. */
  path: string;
}

export interface VethEnd extends Netns {
  veth: string;
  addr: string;
}

export interface NetnsPair {
  a: VethEnd;
  b: VethEnd;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Runs a command inside a namespace (nsenter --net keeps the mount namespace, so bpffs stays visible). */
export function nsExec(ns: Netns, argv: string[]): string {
  return execFileSync('nsenter', [`--net=${ns.path}`, '--', ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function deleteNetns(name: string): void {
  if (existsSync(`/run/netns/${name}`)) spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
}

/** Our namespaces still present (for checks that cleanup worked). */
export function ourNetns(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`bpfkit-${process.pid}-`));
}

function newNetns(tag: string): Netns {
  const name = `bpfkit-${process.pid}-${++counter}-${tag}`;
  ip('netns', 'add', name);
  try {
    ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (e) {
    deleteNetns(name);
    throw e;
  }
  return { name, path: `/run/netns/${name}` };
}

/** One namespace with its loopback up; removed after `fn`, even when it throws. */
export async function withNetns<T>(fn: (ns: Netns) => Promise<T> | T): Promise<T> {
  const ns = newNetns('lo');
  try {
    return await fn(ns);
  } finally {
    deleteNetns(ns.name);
  }
}

/**
 * Two namespaces joined by a veth pair: a has 10.11.0.1/24 on its end, b 10.11.0.2/24.
 * Interface names are ≤ 15 characters and carry the pid, so parallel runs do not collide.
 */
export async function withNetnsPair<T>(fn: (pair: NetnsPair) => Promise<T> | T): Promise<T> {
  const made: string[] = [];
  try {
    const nsA = newNetns('a');
    made.push(nsA.name);
    const nsB = newNetns('b');
    made.push(nsB.name);
    const id = `${process.pid % 100000}${counter}`;
    const a: VethEnd = { ...nsA, veth: `bk${id}a`, addr: '10.11.0.1' };
    const b: VethEnd = { ...nsB, veth: `bk${id}b`, addr: '10.11.0.2' };
    ip('link', 'add', 'name', a.veth, 'netns', a.name, 'type', 'veth', 'peer', 'name', b.veth, 'netns', b.name);
    for (const end of [a, b]) {
      ip('-n', end.name, 'addr', 'add', `${end.addr}/24`, 'dev', end.veth);
      ip('-n', end.name, 'link', 'set', end.veth, 'up');
    }
    return await fn({ a, b });
  } finally {
    // Deleting a namespace destroys the veth end in it, and with it the pair.
    for (const name of made) deleteNetns(name);
  }
}

/** Polls `probe` until it returns something other than undefined; fails after `limitMs`. */
export async function until<T>(what: string, probe: () => T | undefined, limitMs = 5000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Descriptors of this process on BPF objects, namespaces and sockets, for before/after leak checks. */
export function kernelObjectFds(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (/^(anon_inode:bpf|net:\[|socket:\[)/.test(target)) out.push(`${fd} ${target}`);
    } catch {
      // closed while listing (the directory's own descriptor)
    }
  }
  return out.sort();
}

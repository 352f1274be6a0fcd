// Network namespaces by descriptor. setns(2) moves only the calling thread, which for Node is the
// JavaScript thread: sockets and netlink requests made synchronously inside `inNetns` belong to
// the target namespace, and the thread always returns to where it was.
import { closeSync, openSync, statSync } from 'node:fs';
import { native } from './native.js';
import { BpfError } from './errors.js';
import { macros } from './generated/kernel.js';

const CLONE_NEWNET = Number(macros.CLONE_NEWNET);

/** A namespace given by path (/run/netns/NAME, /proc/PID/ns/net) or by an open descriptor. */
export type NetnsRef = string | number;

/** The path of the calling thread's own network namespace. */
export const currentNetnsPath = '/proc/thread-self/ns/net';

/** Opens a network namespace file; the caller closes the descriptor. */
export function openNetns(path: string = currentNetnsPath): number {
  return openSync(path, 'r');
}

/** The inode number that identifies a namespace (what `ip netns identify` and bpftool's netns_ino show). */
export function netnsInode(ref: NetnsRef = currentNetnsPath): number {
  // stat follows the magic link to the nsfs inode.
  return Number(statSync(typeof ref === 'number' ? `/proc/self/fd/${ref}` : ref, { bigint: true }).ino);
}

function setns(fd: number, what: string): void {
  const r = native().setns(fd, CLONE_NEWNET);
  if (r < 0) throw new BpfError(`setns into ${what}`, -r);
}

/**
 * Runs `fn` with the calling thread inside another network namespace and returns its result.
 * `fn` must be synchronous: after an await the thread would already be back.
 */
export function inNetns<T>(ns: NetnsRef, fn: () => T): T {
  const saved = openNetns(currentNetnsPath);
  const target = typeof ns === 'number' ? ns : openSync(ns, 'r');
  try {
    setns(target, typeof ns === 'number' ? `netns fd ${ns}` : ns);
    try {
      const out = fn();
      if (out instanceof Promise) throw new TypeError('inNetns takes a synchronous function: the thread returns to its namespace before an await resumes');
      return out;
    } finally {
      setns(saved, 'the original network namespace');
    }
  } finally {
    if (typeof ns !== 'number') closeSync(target);
    closeSync(saved);
  }
}

// A program on a perf event (tracepoint, kprobe, uprobe, sampling): a bpf link when the kernel
// has BPF_LINK_TYPE_PERF_EVENT (5.15+), else the PERF_EVENT_IOC_SET_BPF ioctl.
import * as bpf from '../sys/bpf.js';
import type { Fd } from '../sys/fd.js';
import { BpfError } from '../sys/errors.js';
import { attachTypes } from '../sys/generated/kernel.js';
import { perfEventEnable, perfEventSetBpf, perfEventDisable } from '../sys/perf.js';
import { BpfLink, cannotPin, type Link, type LinkInfo } from './link.js';
import type { Program } from '../program.js';

/** Attaches `program` to the perf event `event`; the returned link owns `event`. */
export function attachPerfEvent(program: Program, event: Fd, opts: { cookie?: bigint } = {}): Link {
  try {
    const link = bpf.linkCreate({ progFd: program.fd.raw, targetFd: event.raw, attachType: attachTypes.perf_event }, (a) => {
      if (opts.cookie) a.set('perf_event.bpf_cookie', opts.cookie);
    });
    return new BpfLink(link, 'perf_event', [event]);
  } catch (e) {
    // EINVAL: no perf links on this kernel; use the ioctl. Anything else is a real failure.
    if (!(e instanceof BpfError) || e.code !== 'EINVAL' || opts.cookie) {
      event.close();
      throw e;
    }
  }
  try {
    perfEventSetBpf(event, program.fd.raw);
    perfEventEnable(event);
  } catch (e) {
    event.close();
    throw e;
  }
  return new PerfEventIoctlLink(event, program);
}

/** The legacy attachment: the program stays on the event until the event's fd is closed. */
class PerfEventIoctlLink implements Link {
  readonly kind = 'perf_event_ioctl';
  readonly #event: Fd;
  readonly #program: Program;
  constructor(event: Fd, program: Program) {
    this.#event = event;
    this.#program = program;
  }
  close(): void {
    if (this.#event.closed) return;
    try { perfEventDisable(this.#event); } catch { /* closing detaches anyway */ }
    this.#event.close();
  }
  closeAsync(): Promise<void> {
    if (this.#event.closed) return Promise.resolve();
    try { perfEventDisable(this.#event); } catch { /* closing detaches anyway */ }
    return this.#event.closeAsync();
  }
  pin(): void {
    cannotPin(this.kind);
  }
  info(): LinkInfo {
    return { id: 0, type: this.kind, progId: this.#program.info().id, details: {} };
  }
  update(): void {
    throw new BpfError('updating a perf event attachment', 95, 'the ioctl attachment cannot be updated; close it and attach again');
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Several links closed together (one per CPU for sampling, one per probe for wildcards). */
export class MultiLink implements Link {
  readonly kind: string;
  readonly links: Link[];
  constructor(kind: string, links: Link[]) {
    this.kind = kind;
    this.links = links;
  }
  close(): void {
    for (const l of this.links) l.close();
  }
  async closeAsync(): Promise<void> {
    await closeAll(this.links);
  }
  pin(path: string): void {
    if (this.links.length !== 1) cannotPin(`${this.kind} (${this.links.length} links)`);
    this.links[0].pin(path);
  }
  info(): LinkInfo {
    return this.links[0]?.info() ?? { id: 0, type: this.kind, progId: 0, details: {} };
  }
  update(program: Program): void {
    for (const l of this.links) l.update(program);
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Closes what was attached so far when attaching the rest fails. */
export function attachAll(kind: string, count: number, attachOne: (i: number) => Link): MultiLink {
  const links: Link[] = [];
  try {
    for (let i = 0; i < count; i++) links.push(attachOne(i));
  } catch (e) {
    for (const l of links) l.close();
    throw e;
  }
  return new MultiLink(kind, links);
}

/** Closes links in parallel where they can (closeAsync), the others one by one. */
export async function closeAll(links: readonly Link[]): Promise<void> {
  await Promise.all(links.map((l) => (l.closeAsync ? l.closeAsync() : l.close())));
}

// BPF iterators (SEC("iter/...")): a link, then a readable fd per walk whose text the program writes.
import { readSync, closeSync } from 'node:fs';
import * as bpf from '../sys/bpf.js';
import { attachTypes } from '../sys/generated/kernel.js';
import { BpfLink } from './link.js';
import type { Program } from '../program.js';

export function attachIter(program: Program, opts: { mapFd?: number } = {}): BpfLink {
  const info = opts.mapFd === undefined ? undefined : Buffer.alloc(8);
  info?.writeUInt32LE(opts.mapFd!, 0);
  const fd = bpf.linkCreate({ progFd: program.fd.raw, targetFd: 0, attachType: attachTypes.trace_iter }, (a) => {
    if (info) a.ptr('iter_info', info).set('iter_info_len', info.length);
  });
  return new BpfLink(fd, 'iter');
}

/** Runs the iterator once and returns everything it wrote. */
export function readIter(link: BpfLink): Buffer {
  const fd = bpf.iterCreate(link.fd.raw).release();
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
  return Buffer.concat(chunks);
}

// bpf_printk output: lines of tracefs's trace_pipe, parsed.
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { tracePipePath } from '../sys/tracefs.js';
import { FdWatcher } from '../sys/poll.js';

export interface TraceLine {
  task: string;
  pid: number;
  cpu: number;
  flags: string;
  timestamp: number;
  /** What the line says after the event name (`bpf_trace_printk:` is dropped). */
  message: string;
  raw: string;
}

// "           <...>-1234    [001] d..31  1234.567890: bpf_trace_printk: hello"
const lineRe = /^\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(\S+)\s+(\d+\.\d+):\s+(?:[\w:]+:\s)?(.*)$/;

export function parseTraceLine(raw: string): TraceLine | undefined {
  const m = lineRe.exec(raw);
  if (!m) return undefined;
  return { task: m[1], pid: Number(m[2]), cpu: Number(m[3]), flags: m[4], timestamp: Number(m[5]), message: m[6], raw };
}

/**
 * Reads trace_pipe until close(). The file is opened non-blocking and watched by the event
 * loop, so no thread sits blocked in read() and close() returns at once. Lines read here are
 * consumed: the kernel gives each line to one reader only.
 */
export class TracePipe implements AsyncIterable<TraceLine>, Disposable {
  #fd: number;
  #watcher: FdWatcher;
  #partial = '';
  #queue: TraceLine[] = [];
  #wake?: () => void;
  #closed = false;
  #buf = Buffer.alloc(64 * 1024);

  constructor(path = tracePipePath()) {
    this.#fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    this.#watcher = new FdWatcher(this.#fd, () => this.#read());
  }

  #read(): void {
    for (;;) {
      let n: number;
      try {
        n = readSync(this.#fd, this.#buf, 0, this.#buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw e;
      }
      if (n <= 0) break;
      const text = this.#partial + this.#buf.toString('utf8', 0, n);
      const lines = text.split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = parseTraceLine(line);
        if (parsed) this.#queue.push(parsed);
      }
    }
    if (this.#queue.length) this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TraceLine> {
    while (!this.#closed) {
      const next = this.#queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher.stop();
    closeSync(this.#fd);
    this.#wake?.();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

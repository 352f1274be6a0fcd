// The BPF ring buffer (BPF_MAP_TYPE_RINGBUF) read in place: the consumer position page is
// mapped read-write, the producer page and the data area (mapped twice, back to back, so a
// record never wraps) read-only. See the kernel's kernel/bpf/ringbuf.c for the layout.
import type { BpfMap } from '../map.js';
import { mmapShared, munmap, pageSize } from '../sys/mem.js';
import { FdWatcher } from '../sys/poll.js';
import { bpfFlags } from '../sys/generated/kernel.js';

const BUSY = Number(bpfFlags.BPF_RINGBUF_BUSY_BIT);
const DISCARD = Number(bpfFlags.BPF_RINGBUF_DISCARD_BIT);
const HDR = Number(bpfFlags.BPF_RINGBUF_HDR_SZ);
const LEN_MASK = ~(BUSY | DISCARD) >>> 0;

/** Called with a view of one record; the view is only valid during the call. */
export type RecordCallback = (record: Buffer) => void;

export class RingBuffer implements Disposable, AsyncIterable<Buffer> {
  readonly map: BpfMap;
  readonly size: number;
  /** Records the producer discarded (bpf_ringbuf_discard), skipped by the reader. */
  discarded = 0;
  /** Records delivered so far. */
  received = 0;
  #consumerMap: ArrayBuffer;
  #producerMap: ArrayBuffer;
  #consumer: Uint32Array;
  #producer: Uint32Array;
  #data: Buffer;
  #dataWords: Uint32Array;
  #mask: number;
  #watcher?: FdWatcher;
  #callbacks: RecordCallback[] = [];
  #closed = false;
  #wakers = new Set<() => void>();

  constructor(map: BpfMap) {
    if (map.type !== 'ringbuf') throw new TypeError(`RingBuffer needs a ringbuf map, not ${map.type}`);
    this.map = map;
    this.size = map.maxEntries;
    this.#mask = this.size - 1;
    const page = pageSize();
    this.#consumerMap = mmapShared(map.fd.raw, page, 'readwrite', 'ring buffer consumer page');
    try {
      this.#producerMap = mmapShared(map.fd.raw, page + 2 * this.size, 'read', 'ring buffer data', page);
    } catch (e) {
      munmap(this.#consumerMap);
      throw e;
    }
    this.#consumer = new Uint32Array(this.#consumerMap, 0, 2);
    this.#producer = new Uint32Array(this.#producerMap, 0, 2);
    this.#data = Buffer.from(this.#producerMap, page, 2 * this.size);
    this.#dataWords = new Uint32Array(this.#producerMap, page, (2 * this.size) / 4);
  }

  /** Positions are 64-bit counters; reading both halves is safe here because only we write the consumer and the producer only grows. */
  #pos(words: Uint32Array): number {
    return Atomics.load(words, 1) * 0x1_0000_0000 + Atomics.load(words, 0);
  }

  #setConsumer(pos: number): void {
    Atomics.store(this.#consumer, 1, Math.floor(pos / 0x1_0000_0000));
    Atomics.store(this.#consumer, 0, pos >>> 0);
  }

  /**
   * Delivers every complete record now in the buffer to `cb(data, offset, length)` without
   * allocating; returns the number of records. Stops at a record still being written.
   */
  consumeRaw(cb: (data: Buffer, offset: number, length: number) => void): number {
    let cons = this.#pos(this.#consumer);
    let n = 0;
    for (;;) {
      const prod = this.#pos(this.#producer);
      if (cons >= prod) break;
      while (cons < prod) {
        const off = cons & this.#mask;
        const header = Atomics.load(this.#dataWords, off >>> 2);
        if (header & BUSY) {
          this.#setConsumer(cons);
          return n;
        }
        const len = header & LEN_MASK;
        cons += (len + HDR + 7) & ~7;
        if (header & DISCARD) this.discarded++;
        else {
          n++;
          cb(this.#data, off + HDR, len);
        }
        this.#setConsumer(cons);
      }
    }
    this.received += n;
    return n;
  }

  /** Delivers every complete record to `cb` as a view valid during the call; returns the count. */
  poll(cb: RecordCallback): number {
    return this.consumeRaw((data, off, len) => cb(data.subarray(off, off + len)));
  }

  /** Calls `cb` for each record as it arrives, from the event loop. */
  on(cb: RecordCallback): this {
    this.#callbacks.push(cb);
    this.#start();
    return this;
  }

  #start(): void {
    if (this.#watcher || this.#closed) return;
    this.#watcher = new FdWatcher(this.map.fd.raw, () => this.#drain());
    // Data may have arrived before the watcher existed.
    setImmediate(() => this.#drain());
  }

  #drain(): void {
    if (this.#closed) return;
    const cbs = this.#callbacks;
    this.poll((r) => {
      for (const cb of cbs) cb(r);
    });
  }

  /** Whether the watcher keeps the process alive. */
  ref(on: boolean): void {
    this.#watcher?.ref(on);
  }

  /** Records as copies, in order, until close(). */
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    const queue: Buffer[] = [];
    let wake: (() => void) | undefined;
    const cb = (r: Buffer) => {
      queue.push(Buffer.from(r));
      wake?.();
    };
    this.on(cb);
    try {
      while (!this.#closed || queue.length) {
        if (queue.length) {
          yield queue.shift()!;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          this.#wakers.add(resolve);
        });
        this.#wakers.delete(wake!);
        wake = undefined;
      }
    } finally {
      this.#callbacks = this.#callbacks.filter((c) => c !== cb);
    }
  }

  /** Stops reading and unmaps; the map itself belongs to the caller. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.stop();
    munmap(this.#producerMap);
    munmap(this.#consumerMap);
    this.#callbacks = [];
    // Pending async iterators finish.
    for (const wake of this.#wakers) wake();
    this.#wakers.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

// Per-CPU perf rings behind a BPF_MAP_TYPE_PERF_EVENT_ARRAY (bpf_perf_event_output):
// one bpf-output software event per CPU, its ring mapped and read in place.
import type { BpfMap } from '../map.js';
import type { Fd } from '../sys/fd.js';
import { perfEventOpen, perfEventEnable } from '../sys/perf.js';
import { mmapShared, munmap, pageSize } from '../sys/mem.js';
import { FdWatcher } from '../sys/poll.js';
import { onlineCpus } from '../sys/cpus.js';
import { perfRecordTypes, perfSampleFormat, perfSwIds, structLayouts } from '../sys/generated/kernel.js';

const HEAD = structLayouts.perf_event_mmap_page.fields.data_head.off;
const TAIL = structLayouts.perf_event_mmap_page.fields.data_tail.off;
const SAMPLE = perfRecordTypes.sample;
const LOST = perfRecordTypes.lost;

export interface PerfBufferOptions {
  /** Data pages per CPU ring, a power of two (default 64 = 256 KiB with 4 KiB pages). */
  pagesPerCpu?: number;
  /** Wake the reader after this many bytes instead of every record. */
  watermark?: number;
  cpus?: number[];
}

/** A sample's bytes and the CPU it came from; `data` is only valid during the callback. */
export type SampleCallback = (data: Buffer, cpu: number) => void;

interface Ring {
  cpu: number;
  fd: Fd;
  mapping: ArrayBuffer;
  page: DataView;
  data: Buffer;
  watcher?: FdWatcher;
}

export class PerfBuffer implements Disposable {
  readonly map: BpfMap;
  /** Samples the kernel could not write because a ring was full (PERF_RECORD_LOST). */
  lost = 0;
  received = 0;
  #rings: Ring[] = [];
  #callbacks: SampleCallback[] = [];
  #onLost?: (count: number, cpu: number) => void;
  #scratch = Buffer.alloc(0);
  #closed = false;
  #sweep?: NodeJS.Timeout;

  constructor(map: BpfMap, opts: PerfBufferOptions = {}) {
    if (map.type !== 'perf_event_array') throw new TypeError(`PerfBuffer needs a perf_event_array map, not ${map.type}`);
    this.map = map;
    const pages = opts.pagesPerCpu ?? 64;
    if (pages < 1 || (pages & (pages - 1)) !== 0) throw new RangeError(`pagesPerCpu must be a power of two, got ${pages}`);
    const page = pageSize();
    try {
      for (const cpu of opts.cpus ?? onlineCpus()) {
        if (cpu >= map.maxEntries) throw new RangeError(`CPU ${cpu} has no slot in a perf_event_array of ${map.maxEntries} entries`);
        const fd = perfEventOpen({
          type: 'software', config: perfSwIds.bpf_output, sampleType: perfSampleFormat.raw, samplePeriod: 1,
          ...(opts.watermark ? { wakeupWatermark: opts.watermark } : { wakeupEvents: 1 }),
        }, -1, cpu);
        let mapping: ArrayBuffer;
        try {
          mapping = mmapShared(fd.raw, page * (pages + 1), 'readwrite', 'perf ring');
        } catch (e) {
          fd.close();
          throw e;
        }
        const ring: Ring = { cpu, fd, mapping, page: new DataView(mapping, 0, page), data: Buffer.from(mapping, page, page * pages) };
        this.#rings.push(ring);
        // Watch before any sample can arrive. Unreferenced until someone listens with on().
        ring.watcher = new FdWatcher(fd.raw, () => this.#drain(ring));
        ring.watcher.ref(false);
        perfEventEnable(fd);
        map.update(cpu, fd.raw);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Reads what every ring holds now; returns the number of samples delivered. */
  poll(cb: SampleCallback): number {
    let n = 0;
    for (const ring of this.#rings) n += this.#read(ring, cb);
    return n;
  }

  #read(ring: Ring, cb: SampleCallback): number {
    const head = Number(ring.page.getBigUint64(HEAD, true));
    let tail = Number(ring.page.getBigUint64(TAIL, true));
    const size = ring.data.length;
    let n = 0;
    while (tail < head) {
      const off = tail % size;
      const type = this.#u32(ring.data, off);
      const recSize = this.#u16(ring.data, off + 6);
      if (recSize === 0) break;
      const rec = off + recSize <= size ? ring.data.subarray(off, off + recSize) : this.#wrapped(ring.data, off, recSize);
      if (type === SAMPLE) {
        const len = rec.readUInt32LE(8);
        n++;
        cb(rec.subarray(12, 12 + len), ring.cpu);
      } else if (type === LOST) {
        const lost = Number(rec.readBigUInt64LE(16));
        this.lost += lost;
        this.#onLost?.(lost, ring.cpu);
      }
      tail += recSize;
      ring.page.setBigUint64(TAIL, BigInt(tail), true);
    }
    this.received += n;
    return n;
  }

  #u32(b: Buffer, off: number): number {
    return off + 4 <= b.length ? b.readUInt32LE(off) : this.#wrapped(b, off, 4).readUInt32LE(0);
  }

  #u16(b: Buffer, off: number): number {
    return off + 2 <= b.length ? b.readUInt16LE(off) : this.#wrapped(b, off, 2).readUInt16LE(0);
  }

  /** A record that runs past the end of the ring continues at its start: copy it out whole. */
  #wrapped(b: Buffer, off: number, len: number): Buffer {
    if (this.#scratch.length < len) this.#scratch = Buffer.alloc(Math.max(len, 256));
    const first = Math.min(len, b.length - off);
    b.copy(this.#scratch, 0, off, off + first);
    b.copy(this.#scratch, first, 0, len - first);
    return this.#scratch.subarray(0, len);
  }

  on(cb: SampleCallback): this {
    this.#callbacks.push(cb);
    if (this.#callbacks.length === 1) {
      this.ref(true);
      setImmediate(() => this.#drainAll());
      // perf_poll() clears its readiness when read, and epoll reads it twice when an fd is
      // registered with data pending, so a wakeup can be lost (seen on 6.18). A slow sweep
      // bounds how long samples can wait for the next wakeup.
      this.#sweep = setInterval(() => this.#drainAll(), 100).unref();
    }
    return this;
  }

  onLost(cb: (count: number, cpu: number) => void): this {
    this.#onLost = cb;
    return this;
  }

  #drainAll(): void {
    for (const ring of this.#rings) this.#drain(ring);
  }

  #drain(ring: Ring): void {
    // Without listeners the samples stay in the ring for poll().
    if (this.#closed || this.#callbacks.length === 0) return;
    const cbs = this.#callbacks;
    this.#read(ring, (d, cpu) => { for (const cb of cbs) cb(d, cpu); });
  }

  ref(on: boolean): void {
    for (const ring of this.#rings) ring.watcher?.ref(on);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const ring of this.#rings) {
      ring.watcher?.stop();
      try { this.map.delete(ring.cpu); } catch { /* the map may be closed already */ }
      munmap(ring.mapping);
      ring.fd.close();
    }
    this.#rings = [];
    this.#callbacks = [];
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

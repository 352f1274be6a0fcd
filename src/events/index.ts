// bpfkit/events: data coming back from programs.
export { RingBuffer, type RecordCallback } from './ring-buffer.js';
export { PerfBuffer, type PerfBufferOptions, type SampleCallback } from './perf-buffer.js';
export { TracePipe, parseTraceLine, type TraceLine } from './trace-pipe.js';

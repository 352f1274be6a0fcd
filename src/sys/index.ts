// The kernel ABI layer: system calls, descriptors, generated constants and the error model.
export * from './errors.js';
export { Fd, openFdCount } from './fd.js';
export * as bpf from './bpf.js';
export { Attr } from './attr.js';
export * from './names.js';
export { possibleCpus, onlineCpus, parseCpuList } from './cpus.js';
export * as kernel from './generated/kernel.js';

// Classic BPF: instructions, interpreter, checker, text forms and the pcap-filter compiler.
export * from './insn.js';
export * from './interpreter.js';
export * from './validate.js';
export * from './disasm.js';
export * from './asm.js';
export * from './pcap-file.js';
export * from './pcap/index.js';
export * from './to-ebpf.js';
export * from './summary.js';
export * from './capture.js';

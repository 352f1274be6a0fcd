// Symbols: kernel (kallsyms), user (ELF tables through /proc/PID/maps), JIT (perf maps), stacks,
// demangling, library lookup, and the pure half of USDT.
export * from './kallsyms.js';
export * from './elf-symbols.js';
export * from './proc-maps.js';
export * from './perf-map.js';
export * from './resolver.js';
export * from './libpath.js';
export * from './usdt.js';
export { demangle, demangleRustLegacy, isMangled, type DemangleOptions } from './demangle.js';
export { demangleRustV0 } from './demangle-rust.js';
export { resolveUprobeTarget, type UprobeTarget } from './uprobe-target.js';

// The tracing language (bpftrace 0.17 dialect): parse → check → (code generator, runtime) → printers.
export { parse, type ParseOptions } from './parser.js';
export { check, attachPointName, type CheckOptions } from './check.js';
export { TraceError, formatDiagnostic, formatWarnings } from './diagnostics.js';
export { printProgram, printExpr, printAttachPoint } from './printer.js';
export { canonicalProvider, globMatch, hasWildcard, PROBE_TYPES } from './attachpoint.js';
export { StructRegistry, tracepointStructName } from './structs.js';
export * from './types.js';
export type * from './ast.js';
export * from './output/format.js';
export { formatPrintf, validateFormat, splitFormat, formatSpecifiers, hexFormatBuffer, type PrintfArg } from './output/printf.js';
export { stdSort } from './output/stdsort.js';
export { strftime, formatTime, formatTimestamp } from './output/strftime.js';
// Code generator and runtime.
export { generate, type CompiledScript, type ProgramPlan, type GenerateOptions } from './codegen/index.js';
export { compileScript, countProbes, createSession, readScript, TraceSession, renderEvent, TraceRuntimeError, type CompileOptions, type SessionOptions, type TraceEvent } from './runtime/index.js';
export { listProbes, type ListOptions } from './runtime/list.js';
export { trace, type TraceOptions, type TraceHandle } from './run.js';

export { countProbes, TraceSession, type SessionOptions } from './session.js';
export { compileScript, createSession, readScript, type CompileOptions } from './pipeline.js';
export { renderEvent, type TraceEvent } from './events.js';
export { TraceRuntimeError } from './errors.js';
export { expandAttachPoint, expandProbe, type ConcreteAttach } from './expand.js';

// bpfkit: eBPF for Node.js. Layers have their own entry points too (bpfkit/asm, bpfkit/btf, …).
export { BpfMap, type MapSpec, type MapInfo, type UpdateFlag } from './map.js';
export { Program, type ProgramSpec, type ProgramInfo, type TestRunOptions, type TestRunResult } from './program.js';
export { struct, toBytes, type Codec, type FieldType, type StructValue } from './codec.js';
export { BpfError, VerifierError, NotSupportedError, ParseError, isUserError } from './sys/errors.js';
export { possibleCpus, onlineCpus } from './sys/cpus.js';
export type { MapTypeName, ProgTypeName, AttachTypeName, LinkTypeName, MapFlagName } from './sys/names.js';
export { Collection, Variable, setVariable, type CollectionOptions } from './collection.js';
export { CollectionSpec } from './elf/index.js';
export { attach, type AttachOptions, type Link, type LinkInfo } from './link/index.js';

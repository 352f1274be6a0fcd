// Seccomp: policies (bpfkit YAML/JSON, OCI and Docker profiles) compiled to classic BPF.
export * from './arch.js';
export * from './policy.js';
export { parsePolicy, loadPolicy, type PolicyLoadOptions } from './parse.js';
export { DOCKER_DEFAULT_CAPS, type OciLoadOptions } from './oci.js';
export { compilePolicy, type CompiledFilter } from './compile.js';
export { filterBytes, filterC, filterPseudo } from './format.js';
export { simulateSeccomp, seccompDataFor, resolveSyscall, type SyscallInput, type SimulationResult } from './simulate.js';
export { runUnderFilter, type RunUnderFilterOptions, type RunResult } from './run.js';

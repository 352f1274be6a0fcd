// bpfkit/profile: sampled CPU profiles and off-CPU time as folded stacks, ready for src/viz.
export { profile, type ProfileOptions } from './profile.js';
export { offcpu, schedSwitchOffsets, type OffCpuOptions } from './offcpu.js';
export type { StackProfile, StackSessionOptions } from './session.js';
export type { StackErrors, StackCountEntry } from './collect.js';
export { profileProgramText, offcpuProgramText, STACK_KEY, type StackSelection } from './programs.js';

// bpfkit/asm: eBPF instructions as objects, bytes and text.
export * from './opcode.js';
export {
  type Instruction, type Reference, Reg, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, FP, registers,
  isLdImm64, slots, slotIndex, ldImm64Value, splitImm64, isPseudoCall, normalize,
} from './instruction.js';
export { encode, decode, type Endian, type EncodeOptions, type DecodeOptions } from './encode.js';
export { validate, checkInstruction, jumpTarget, type Problem } from './validate.js';
export { ProgramBuilder, type LinkOptions, type Size, type AluOp, type JmpOp, type AtomicOp, type Target } from './builder.js';
export { assemble, parse, type AssembleOptions, type Syntax } from './assemble.js';
export { disassemble, formatInstruction, type DisasmOptions, type Flavour } from './disasm.js';
export { helperId, helperNames, defaultHelpers, type HelperTable } from './helpers.js';

// bpfkit/btf: BTF decode/encode, .BTF.ext, kernel BTF, CO-RE relocation, sanitising, C and raw dumps.
export * from './types.js';
export { decodeBtf, decodeBtfHeader, readString, StringTable, BTF_MAGIC, type BtfHeader, type DecodedBtf } from './decode.js';
export { Btf, MAX_RESOLVE_DEPTH, type BtfOptions, type MemberLocation } from './btf.js';
export { encodeBtf, encodeTypes, StringTableBuilder, type EncodeOptions } from './encode.js';
export { decodeBtfExt, CORE_RELO_KINDS, type BtfExt, type CoreRelo, type CoreReloKind, type FuncInfo, type LineInfo } from './ext.js';
export { kernelBtf, moduleBtf, moduleBtfNames, kernelBtfTargets, resetKernelBtfCache } from './kernel.js';
export {
  applyCoreRelocations, computeCoreRelo, CORE_POISON_HELPER_ID, essentialName, essentialNameLength, findCandidates,
  patchCoreInsn, typesAreCompat, typesMatch, type CoreReloRecord, type CoreReloResult,
} from './core.js';
export { sanitizeBtf, type BtfFeatures } from './sanitize.js';
export { btfToC, type CDumpOptions } from './c-dump.js';
export { btfToRaw, formatBtfType } from './raw-dump.js';
export { btfFromFile } from './file.js';
export { BtfTable } from './table.js';

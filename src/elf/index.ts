// bpfkit/elf: ELF objects → CollectionSpec (programs, maps, globals, relocations), libbpf's SEC() table.
export * from './reader.js';
export { CollectionSpec, internalMapName, objectName, type CollectionSpecOptions, type ExternSpec, type FunctionPlacement, type InsnReference, type ProgramSpec, type VariableSpec } from './collection.js';
export { emptyMapSpec, isMapInMap, parseBtfMapDef, parseLegacyMapDef, type MapSpec } from './maps.js';
export { classifySection, sectionDefMatches, SECTION_DEFS, type SectionDef, type SectionFlag, type SectionInfo } from './section-table.js';
export { fixupDatasecs } from './btf-fixup.js';
export * from './insn.js';

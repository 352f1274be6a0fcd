// Map definitions as an object declares them: BTF-defined maps in `.maps` (libbpf's
// parse_btf_map_def) and the legacy `maps` section of struct bpf_map_def records.
import { ParseError } from '../sys/errors.js';
import { mapTypeName } from '../sys/names.js';
import type { Btf } from '../btf/btf.js';

export const MAP_TYPE_PROG_ARRAY = 3;
const MAP_IN_MAP_TYPES = new Set([12, 13]); // array_of_maps, hash_of_maps

export interface MapSpec {
  /** The name the object gives the map (the variable name; the section name for global data). */
  name: string;
  /** The name to create the map with in the kernel (at most 15 characters, libbpf's naming). */
  kernelName: string;
  /** Map type, the kernel's name lower case ('hash', 'array', …); a number when this kernel has no name for it. */
  type: string | number;
  typeNumber: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode: number;
  pinning: 'none' | 'by_name';
  mapExtra: bigint;
  /** BTF type ids of key and value in the object's BTF, when declared with __type(). */
  keyTypeId?: number;
  valueTypeId?: number;
  /** The inner map template of a map-in-map (declared with __array(values, …)). */
  innerMap?: MapSpec;
  /** Initial slots of a prog array (program names) or map-in-map (map names). */
  contents?: { key: number; value: string }[];
  /** Initial bytes of a global data map (.data/.rodata/.bss…). */
  data?: Buffer;
  /** Where it was declared: '.maps', 'maps' or the data section name. */
  section: string;
  /** Set for global data maps: which kind of data section backs it. */
  internal?: 'data' | 'rodata' | 'bss' | 'kconfig';
}

function fail(file: string | undefined, reason: string): never {
  throw new ParseError(reason, { file, line: 1, column: 1 });
}

function typeName(n: number): string | number {
  const s = mapTypeName(n);
  return /^\d+$/.test(s) ? n : s;
}

export function emptyMapSpec(name: string, section: string): MapSpec {
  return {
    name, kernelName: name.slice(0, 15), type: 'unspec', typeNumber: 0, keySize: 0, valueSize: 0, maxEntries: 0,
    flags: 0, numaNode: 0, pinning: 'none', mapExtra: 0n, section,
  };
}

/** `__uint(name, N)` is a pointer to an array of N elements: N is the value. */
function fieldInt(btf: Btf, mapName: string, field: string, typeId: number, file?: string): number {
  const t = btf.resolveType(typeId);
  if (t.kind !== 'ptr') fail(file, `map '${mapName}': attribute '${field}': expected PTR, got ${t.kind}`);
  const arr = btf.type(t.type);
  if (arr.kind !== 'array') fail(file, `map '${mapName}': attribute '${field}': expected ARRAY, got ${arr.kind}`);
  return arr.nelems;
}

/** Parses one BTF map definition struct (libbpf's rules, including the checks it makes). */
export function parseBtfMapDef(btf: Btf, mapName: string, defId: number, isInner: boolean, file?: string): MapSpec {
  const def = btf.resolveType(defId);
  if (def.kind !== 'struct') fail(file, `map '${mapName}': definition is ${def.kind}, expected a struct`);
  const m: MapSpec = emptyMapSpec(mapName, '.maps');
  let hasType = false;
  def.members.forEach((mem, i) => {
    const name = mem.name;
    switch (name) {
      case 'type':
        m.typeNumber = fieldInt(btf, mapName, name, mem.type, file);
        m.type = typeName(m.typeNumber);
        hasType = true;
        break;
      case 'max_entries':
        m.maxEntries = fieldInt(btf, mapName, name, mem.type, file);
        break;
      case 'map_flags':
        m.flags = fieldInt(btf, mapName, name, mem.type, file);
        break;
      case 'numa_node':
        m.numaNode = fieldInt(btf, mapName, name, mem.type, file);
        break;
      case 'key_size':
      case 'value_size': {
        const sz = fieldInt(btf, mapName, name, mem.type, file);
        const key = name === 'key_size';
        const cur = key ? m.keySize : m.valueSize;
        if (cur && cur !== sz) fail(file, `map '${mapName}': conflicting ${name} ${cur} != ${sz}`);
        if (key) m.keySize = sz;
        else m.valueSize = sz;
        break;
      }
      case 'key':
      case 'value': {
        const t = btf.type(mem.type);
        if (t.kind !== 'ptr') fail(file, `map '${mapName}': ${name} spec is not PTR: ${t.kind}`);
        const sz = btf.sizeof(t.type);
        const key = name === 'key';
        const cur = key ? m.keySize : m.valueSize;
        if (cur && cur !== sz) fail(file, `map '${mapName}': conflicting ${name} size ${cur} != ${sz}`);
        if (key) {
          m.keySize = sz;
          m.keyTypeId = t.type;
        } else {
          m.valueSize = sz;
          m.valueTypeId = t.type;
        }
        break;
      }
      case 'values': {
        const mapInMap = MAP_IN_MAP_TYPES.has(m.typeNumber);
        const progArray = m.typeNumber === MAP_TYPE_PROG_ARRAY;
        const desc = mapInMap ? 'map-in-map inner' : 'prog-array value';
        if (isInner) fail(file, `map '${mapName}': multi-level inner maps not supported`);
        if (i !== def.members.length - 1) fail(file, `map '${mapName}': '${name}' member should be last`);
        if (!mapInMap && !progArray) fail(file, `map '${mapName}': should be map-in-map or prog-array`);
        if (m.valueSize && m.valueSize !== 4) fail(file, `map '${mapName}': conflicting value size ${m.valueSize} != 4`);
        m.valueSize = 4;
        const arr = btf.type(mem.type);
        if (arr.kind !== 'array' || arr.nelems !== 0) fail(file, `map '${mapName}': ${desc} spec is not a zero-sized array`);
        const ptr = btf.resolveType(arr.type);
        if (ptr.kind !== 'ptr') fail(file, `map '${mapName}': ${desc} def is of unexpected kind ${ptr.kind}`);
        const target = btf.resolveType(ptr.type);
        if (progArray) {
          if (target.kind !== 'func_proto') fail(file, `map '${mapName}': prog-array value def is of unexpected kind ${target.kind}`);
          break;
        }
        if (target.kind !== 'struct') fail(file, `map '${mapName}': map-in-map inner def is of unexpected kind ${target.kind}`);
        m.innerMap = parseBtfMapDef(btf, `${mapName}.inner`, target.id, true, file);
        break;
      }
      case 'pinning': {
        if (isInner) fail(file, `map '${mapName}': inner def can't be pinned`);
        const v = fieldInt(btf, mapName, name, mem.type, file);
        if (v !== 0 && v !== 1) fail(file, `map '${mapName}': invalid pinning value ${v}`);
        m.pinning = v === 1 ? 'by_name' : 'none';
        break;
      }
      case 'map_extra':
        m.mapExtra = BigInt(fieldInt(btf, mapName, name, mem.type, file));
        break;
      default:
        // libbpf ignores unknown fields unless in strict mode; so do we.
        break;
    }
  });
  if (!hasType || m.typeNumber === 0) fail(file, `map '${mapName}': map type isn't specified`);
  return m;
}

/** Field order of the legacy struct bpf_map_def. */
const LEGACY_FIELDS = ['type', 'key_size', 'value_size', 'max_entries', 'map_flags'] as const;

/** Parses a legacy bpf_map_def record of `size` bytes (libbpf accepts shorter or zero-padded longer). */
export function parseLegacyMapDef(name: string, data: Uint8Array, le: boolean, file?: string): MapSpec {
  if (data.length < 4 || data.length % 4 !== 0) fail(file, `legacy map '${name}': definition size ${data.length} is not a whole number of fields`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const v: number[] = [];
  for (let i = 0; i < LEGACY_FIELDS.length; i++) v.push(i * 4 + 4 <= data.length ? dv.getUint32(i * 4, le) : 0);
  for (let off = LEGACY_FIELDS.length * 4; off < data.length; off++) {
    if (data[off] !== 0) fail(file, `legacy map '${name}': definition has unknown non-zero fields`);
  }
  const m = emptyMapSpec(name, 'maps');
  m.typeNumber = v[0];
  m.type = typeName(v[0]);
  m.keySize = v[1];
  m.valueSize = v[2];
  m.maxEntries = v[3];
  m.flags = v[4];
  return m;
}

export function isMapInMap(typeNumber: number): boolean {
  return MAP_IN_MAP_TYPES.has(typeNumber);
}

// Downgrading BTF for kernels that lack some kinds (libbpf's bpf_object__sanitize_btf): every
// type keeps its id, unknown kinds are replaced by older kinds of the same size and shape.
import { Btf } from './btf.js';
import type { BtfMember, BtfType } from './types.js';

/** BTF features a kernel may lack; each defaults to supported. */
export interface BtfFeatures {
  /** VAR and DATASEC (5.2). */
  datasec?: boolean;
  /** FUNC and FUNC_PROTO (5.0). */
  func?: boolean;
  /** Global linkage of FUNC (5.6). */
  funcGlobal?: boolean;
  /** FLOAT (5.13). */
  float?: boolean;
  /** DECL_TAG (5.16). */
  declTag?: boolean;
  /** TYPE_TAG (5.17). */
  typeTag?: boolean;
  /** ENUM64 and signed enums (6.0). */
  enum64?: boolean;
  /** DATASEC names starting with '?' (6.5). */
  qmarkDatasec?: boolean;
}

/** Returns a Btf the described kernel accepts; the input is returned unchanged when nothing applies. */
export function sanitizeBtf(btf: Btf, features: BtfFeatures): Btf {
  const has = (k: keyof BtfFeatures) => features[k] !== false;
  let changed = false;
  let placeholderId = 0;
  const extra: BtfType[] = [];
  const nextId = btf.typeCount;
  const out: BtfType[] = btf.types.map((t): BtfType => {
    const r = rewrite(t);
    if (r !== t) changed = true;
    return r;
  });

  function rewrite(t: BtfType): BtfType {
    const { id } = t;
    if ((!has('datasec') && t.kind === 'var') || (!has('declTag') && t.kind === 'decl_tag')) {
      // size 1: the safest choice, anything bigger may exceed what the variable took
      return { id, kind: 'int', name: t.name, size: 1, bits: 8, offset: 0, signed: false, char: false, bool: false };
    }
    if (!has('datasec') && t.kind === 'datasec') {
      const members: BtfMember[] = t.vars.map((v) => {
        const vt = btf.typeOrUndefined(v.type);
        return { name: vt?.name ?? '', type: v.type, bitOffset: v.offset * 8, bitfieldSize: 0 };
      });
      return { id, kind: 'struct', name: t.name.replace(/[.?]/g, '_'), size: t.size, members };
    }
    if (!has('qmarkDatasec') && t.kind === 'datasec' && t.name.startsWith('?')) {
      return { ...t, name: '_' + t.name.slice(1) };
    }
    if (!has('func') && t.kind === 'func_proto') {
      // libbpf reinterprets each btf_param {name, type} as btf_enum {name, val}
      return { id, kind: 'enum', name: t.name, size: 4, signed: false, values: t.params.map((p) => ({ name: p.name, value: BigInt(p.type) })) };
    }
    if (!has('func') && t.kind === 'func') return { id, kind: 'typedef', name: t.name, type: t.type };
    if (!has('funcGlobal') && t.kind === 'func') return t.linkage === 0 ? t : { ...t, linkage: 0 };
    if (!has('float') && t.kind === 'float') return { id, kind: 'struct', name: '', size: t.size, members: [] };
    if (!has('typeTag') && t.kind === 'type_tag') return { id, kind: 'const', name: '', type: t.type };
    if (!has('enum64') && t.kind === 'enum') return t.signed ? { ...t, signed: false } : t;
    if (!has('enum64') && t.kind === 'enum64') {
      if (placeholderId === 0) {
        placeholderId = nextId;
        extra.push({ id: placeholderId, kind: 'int', name: 'enum64_placeholder', size: 1, bits: 8, offset: 0, signed: false, char: false, bool: false });
      }
      return { id, kind: 'union', name: t.name, size: t.size, members: t.values.map((v) => ({ name: v.name, type: placeholderId, bitOffset: 0, bitfieldSize: 0 })) };
    }
    return t;
  }

  if (!changed) return btf;
  return new Btf([...out, ...extra], { base: btf.base, strings: btf.strings, littleEndian: btf.littleEndian, file: btf.file });
}

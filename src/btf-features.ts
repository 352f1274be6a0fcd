// Which BTF kinds the running kernel accepts, found by loading a tiny BTF that uses each (as
// libbpf's probe_kern_btf_* do), cached per process; and the object BTF downgraded to match.
import * as bpf from './sys/bpf.js';
import { encodeBtf, encodeTypes, sanitizeBtf, type Btf, type BtfFeatures, type BtfType } from './btf/index.js';

const INT: BtfType = { id: 1, kind: 'int', name: 'int', size: 4, bits: 32, offset: 0, signed: true, char: false, bool: false };

/** The types each feature's probe loads; ids start at 1 and refer to one another. */
const PROBES: Record<keyof BtfFeatures, BtfType[]> = {
  func: [INT, { id: 2, kind: 'func_proto', name: '', returnType: 1, params: [] }, { id: 3, kind: 'func', name: 'f', type: 2, linkage: 0 }],
  funcGlobal: [INT, { id: 2, kind: 'func_proto', name: '', returnType: 1, params: [] }, { id: 3, kind: 'func', name: 'f', type: 2, linkage: 1 }],
  datasec: [INT, { id: 2, kind: 'var', name: 'x', type: 1, linkage: 0 }, { id: 3, kind: 'datasec', name: '.data', size: 4, vars: [{ type: 2, offset: 0, size: 4 }] }],
  qmarkDatasec: [INT, { id: 2, kind: 'var', name: 'x', type: 1, linkage: 0 }, { id: 3, kind: 'datasec', name: '?.data', size: 4, vars: [{ type: 2, offset: 0, size: 4 }] }],
  float: [{ id: 1, kind: 'float', name: 'float', size: 4 }],
  declTag: [INT, { id: 2, kind: 'var', name: 'x', type: 1, linkage: 0 }, { id: 3, kind: 'decl_tag', name: 'tag', type: 2, componentIdx: -1 }],
  typeTag: [INT, { id: 2, kind: 'type_tag', name: 'tag', type: 1 }, { id: 3, kind: 'ptr', name: '', type: 2 }],
  enum64: [{ id: 1, kind: 'enum64', name: 'e', size: 8, signed: false, values: [{ name: 'A', value: 1n << 40n }] }],
};

let cached: Required<BtfFeatures> | undefined;

/** The BTF features of the running kernel, each probed by loading BTF that uses it (cached). */
export function probeBtfFeatures(): Required<BtfFeatures> {
  if (!cached) {
    const out = {} as Required<BtfFeatures>;
    for (const [name, types] of Object.entries(PROBES) as [keyof BtfFeatures, BtfType[]][]) {
      const r = bpf.btfLoad(encodeTypes(types));
      r.fd?.close();
      out[name] = r.fd !== undefined;
    }
    cached = out;
  }
  return cached;
}

/** The object's BTF as the kernel with these features accepts it, encoded for BPF_BTF_LOAD. */
export function btfForKernel(btf: Btf, features: BtfFeatures): { btf: Btf; raw: Uint8Array } {
  const s = sanitizeBtf(btf, features);
  return { btf: s, raw: encodeBtf(s) };
}

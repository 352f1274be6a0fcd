// clang leaves DATASEC sizes and variable offsets as zero for the linker to fill in; the loader
// fills them from the ELF section sizes and symbol values (libbpf's btf_fixup_datasec).
import { Btf } from '../btf/btf.js';
import type { BtfType, BtfVarSecinfo } from '../btf/types.js';
import { SHT_NOBITS, type ElfFile } from './reader.js';

export function fixupDatasecs(btf: Btf, elf: ElfFile): Btf {
  let changed = false;
  const types: BtfType[] = btf.types.map((t) => {
    if (t.kind !== 'datasec') return t;
    const sec = elf.sectionByName(t.name);
    if (!sec) return t; // .kconfig / .ksyms have no ELF section
    const syms = elf.symbols().filter((s) => s.shndx === sec.index);
    const vars: BtfVarSecinfo[] = t.vars.map((v) => {
      const vt = btf.typeOrUndefined(v.type);
      if (!vt || vt.kind !== 'var') return v;
      const sym = syms.find((s) => s.name === vt.name);
      return sym ? { ...v, offset: sym.value } : v;
    });
    vars.sort((a, b) => a.offset - b.offset);
    const size = sec.type === SHT_NOBITS || sec.data.length === sec.size ? sec.size : sec.data.length;
    if (size === t.size && vars.every((v, i) => v === t.vars[i])) return t;
    changed = true;
    return { ...t, size, vars };
  });
  if (!changed) return btf;
  return new Btf(types, { strings: btf.strings, littleEndian: btf.littleEndian, header: btf.header, file: btf.file });
}

const BTF_VAR_GLOBAL_ALLOCATED = 1;
const BTF_FUNC_GLOBAL = 1;
const DUMMY_KSYM = 'dummy_ksym';

/**
 * Makes the extern DATASECs loadable, as libbpf's bpf_object__collect_externs does: clang leaves
 * them with size 0 and extern linkage, which the kernel refuses. `.kconfig` variables get the
 * offsets of the '.kconfig' map; `.ksyms` entries become 4-byte allocated ints (a FUNC entry is
 * replaced by a dummy variable, and its unnamed parameters get that variable's name).
 */
export function fixupExternDatasecs(btf: Btf, kconfigOffsets: ReadonlyMap<string, number>, kconfigSize: number): Btf {
  const kcfg = btf.find('.kconfig', 'datasec');
  const ksyms = btf.find('.ksyms', 'datasec');
  if (!kcfg && !ksyms) return btf;
  const types: BtfType[] = btf.types.slice();
  // index in `types` of an id: a base BTF starts at void (0), split BTF at its first own id
  const shift = btf.base ? btf.firstId : 0;
  const set = (t: BtfType) => {
    types[t.id - shift] = t;
  };
  const get = (id: number) => (id >= shift ? types[id - shift] : undefined) ?? btf.type(id);
  if (kcfg && kcfg.kind === 'datasec') {
    const vars = kcfg.vars.map((v) => {
      const vt = get(v.type);
      if (vt.kind !== 'var') return v;
      set({ ...vt, linkage: BTF_VAR_GLOBAL_ALLOCATED });
      const off = kconfigOffsets.get(vt.name);
      return off === undefined ? v : { ...v, offset: off };
    });
    vars.sort((a, b) => a.offset - b.offset); // the kernel wants them in address order
    set({ ...kcfg, size: kconfigSize, vars });
  }
  if (ksyms && ksyms.kind === 'datasec') {
    let intId = types.findIndex((t) => t.kind === 'int' && t.bits === 32);
    if (intId >= 0) intId += shift;
    else {
      intId = shift + types.length;
      types.push({ id: intId, kind: 'int', name: 'int', size: 4, bits: 32, offset: 0, signed: true, char: false, bool: false });
    }
    let dummyId = 0;
    const vars = ksyms.vars.map((v, i) => {
      const vt = get(v.type);
      let type = v.type;
      if (vt.kind === 'func') {
        if (dummyId === 0) {
          dummyId = shift + types.length;
          types.push({ id: dummyId, kind: 'var', name: DUMMY_KSYM, type: intId, linkage: BTF_VAR_GLOBAL_ALLOCATED });
        }
        type = dummyId;
        set({ ...vt, linkage: BTF_FUNC_GLOBAL }); // the kernel refuses extern linkage
        const proto = get(vt.type);
        if (proto.kind === 'func_proto' && proto.params.some((p) => p.name === '' && p.type !== 0)) {
          set({ ...proto, params: proto.params.map((p) => (p.name === '' && p.type !== 0 ? { ...p, name: DUMMY_KSYM } : p)) });
        }
      } else if (vt.kind === 'var') {
        set({ ...vt, type: intId, linkage: BTF_VAR_GLOBAL_ALLOCATED });
      }
      return { type, offset: i * 4, size: 4 };
    });
    set({ ...ksyms, size: vars.length * 4, vars });
  }
  return new Btf(types, { base: btf.base, strings: btf.strings, littleEndian: btf.littleEndian, header: btf.header, file: btf.file });
}

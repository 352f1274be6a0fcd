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

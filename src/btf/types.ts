// The BTF type model: one object per type, kinds named as the kernel's BTF_KIND_* without prefix.

export type BtfKind =
  | 'void' | 'int' | 'ptr' | 'array' | 'struct' | 'union' | 'enum' | 'fwd' | 'typedef' | 'volatile'
  | 'const' | 'restrict' | 'func' | 'func_proto' | 'var' | 'datasec' | 'float' | 'decl_tag'
  | 'type_tag' | 'enum64';

/** Kind numbers as in the kernel's include/uapi/linux/btf.h (BTF_KIND_*), index = number. */
export const BTF_KINDS: readonly BtfKind[] = [
  'void', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const',
  'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64',
];

export interface BtfMember {
  name: string;
  type: number;
  /** Offset of the member in bits from the start of the struct. */
  bitOffset: number;
  /** Bitfield width in bits; 0 when the member is not a bitfield. */
  bitfieldSize: number;
}

export interface BtfEnumValue {
  name: string;
  value: bigint;
}

export interface BtfParam {
  name: string;
  type: number;
}

export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}

interface Base {
  id: number;
  name: string;
}

export type BtfType =
  | (Base & { kind: 'void' })
  | (Base & { kind: 'int'; size: number; bits: number; offset: number; signed: boolean; char: boolean; bool: boolean })
  | (Base & { kind: 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict'; type: number })
  /** `attribute`: the tag is a plain `__attribute__((name))` (kflag set), not `btf_type_tag("name")`. */
  | (Base & { kind: 'type_tag'; type: number; attribute?: boolean })
  | (Base & { kind: 'array'; type: number; indexType: number; nelems: number })
  | (Base & { kind: 'struct' | 'union'; size: number; members: BtfMember[] })
  | (Base & { kind: 'enum' | 'enum64'; size: number; signed: boolean; values: BtfEnumValue[] })
  | (Base & { kind: 'fwd'; union: boolean })
  | (Base & { kind: 'func'; type: number; linkage: number })
  | (Base & { kind: 'func_proto'; returnType: number; params: BtfParam[] })
  | (Base & { kind: 'var'; type: number; linkage: number })
  | (Base & { kind: 'datasec'; size: number; vars: BtfVarSecinfo[] })
  | (Base & { kind: 'float'; size: number })
  | (Base & { kind: 'decl_tag'; type: number; componentIdx: number; attribute?: boolean });

/** The type model of one kind (also for kinds that share a shape, e.g. 'typedef'). */
export type BtfTypeOf<K extends BtfKind> = BtfType extends infer T
  ? T extends { kind: infer TK }
    ? [K] extends [TK]
      ? T & { kind: K }
      : K extends TK
        ? T & { kind: K }
        : never
    : never
  : never;

/** BTF_INT_ENCODING bits. */
export const BTF_INT_SIGNED = 1;
export const BTF_INT_CHAR = 2;
export const BTF_INT_BOOL = 4;

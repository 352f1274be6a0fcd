// BTF as text, one type per line, in the format of `bpftool btf dump file PATH` (format raw).
import type { Btf } from './btf.js';
import type { BtfType } from './types.js';

const KIND_STR: Record<BtfType['kind'], string> = {
  void: 'UNKNOWN', int: 'INT', ptr: 'PTR', array: 'ARRAY', struct: 'STRUCT', union: 'UNION', enum: 'ENUM', fwd: 'FWD',
  typedef: 'TYPEDEF', volatile: 'VOLATILE', const: 'CONST', restrict: 'RESTRICT', func: 'FUNC', func_proto: 'FUNC_PROTO',
  var: 'VAR', datasec: 'DATASEC', float: 'FLOAT', decl_tag: 'DECL_TAG', type_tag: 'TYPE_TAG', enum64: 'ENUM64',
};

const FUNC_LINKAGE = ['static', 'global', 'extern'];
const VAR_LINKAGE = ['static', 'global', 'extern'];

function q(name: string): string {
  return `'${name === '' ? '(anon)' : name}'`;
}

function intEncoding(t: Extract<BtfType, { kind: 'int' }>): string {
  const n = (t.signed ? 1 : 0) + (t.char ? 1 : 0) + (t.bool ? 1 : 0);
  if (n === 0) return '(none)';
  if (n > 1) return 'UNKN';
  return t.signed ? 'SIGNED' : t.char ? 'CHAR' : 'BOOL';
}

/** One type in bpftool's raw format (may span several lines for members). */
export function formatBtfType(btf: Btf, t: BtfType): string {
  let s = `[${t.id}] ${KIND_STR[t.kind]} ${q(t.name)}`;
  switch (t.kind) {
    case 'int':
      s += ` size=${t.size} bits_offset=${t.offset} nr_bits=${t.bits} encoding=${intEncoding(t)}`;
      break;
    case 'ptr': case 'const': case 'volatile': case 'restrict': case 'typedef': case 'type_tag':
      s += ` type_id=${t.type}`;
      break;
    case 'array':
      s += ` type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
      break;
    case 'struct': case 'union':
      s += ` size=${t.size} vlen=${t.members.length}`;
      for (const m of t.members) {
        s += `\n\t${q(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}`;
        if (m.bitfieldSize) s += ` bitfield_size=${m.bitfieldSize}`;
      }
      break;
    case 'enum':
      s += ` encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`;
      for (const v of t.values) s += `\n\t${q(v.name)} val=${t.signed ? BigInt.asIntN(32, v.value) : BigInt.asUintN(32, v.value)}`;
      break;
    case 'enum64':
      s += ` encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`;
      for (const v of t.values) s += `\n\t${q(v.name)} val=${t.signed ? `${BigInt.asIntN(64, v.value)}LL` : `${BigInt.asUintN(64, v.value)}ULL`}`;
      break;
    case 'fwd':
      s += ` fwd_kind=${t.union ? 'union' : 'struct'}`;
      break;
    case 'func':
      s += ` type_id=${t.type} linkage=${FUNC_LINKAGE[t.linkage] ?? '(unknown)'}`;
      break;
    case 'func_proto':
      s += ` ret_type_id=${t.returnType} vlen=${t.params.length}`;
      for (const p of t.params) s += `\n\t${q(p.name)} type_id=${p.type}`;
      break;
    case 'var':
      s += ` type_id=${t.type}, linkage=${VAR_LINKAGE[t.linkage] ?? '(unknown)'}`;
      break;
    case 'datasec':
      s += ` size=${t.size} vlen=${t.vars.length}`;
      for (const v of t.vars) {
        s += `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size}`;
        const vt = btf.typeOrUndefined(v.type);
        if (vt) s += ` (${KIND_STR[vt.kind]} ${q(vt.name)})`;
      }
      break;
    case 'float':
      s += ` size=${t.size}`;
      break;
    case 'decl_tag':
      s += ` type_id=${t.type} component_idx=${t.componentIdx}`;
      break;
    default:
      break;
  }
  return s;
}

/** Every type (own types only, for split BTF), one per entry, as bpftool prints them. */
export function btfToRaw(btf: Btf): string {
  const out: string[] = [];
  for (const t of btf.types) {
    if (t.kind === 'void') continue;
    out.push(formatBtfType(btf, t), '\n');
  }
  return out.join('');
}

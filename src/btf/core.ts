// CO-RE relocation (Compile Once – Run Everywhere), pure: given the object's BTF, a relocation
// record and the target (kernel) BTF, compute the value the instruction must carry on the target,
// or that it must be poisoned. Follows libbpf's relo_core.c rules: flavour suffixes (`___x`) are
// ignored, candidates are found by essential name, and fields/types are checked for compatibility.
import { ParseError } from '../sys/errors.js';
import type { Btf } from './btf.js';
import type { CoreReloKind } from './ext.js';
import type { BtfType } from './types.js';

/** libbpf's poison: `call 0xbad2310`, which the verifier reports as "invalid func unknown#195896080". */
export const CORE_POISON_HELPER_ID = 195896080;
const SPEC_MAX_LEN = 64;
const MAX_DEPTH = 32;

export interface CoreReloRecord {
  /** Instruction index in the program. */
  insnOff: number;
  /** Root type id in the local (object's) BTF. */
  typeId: number;
  /** The access string, e.g. '0:1:2' (field), '0' (type), or the enumerator index. */
  accessStr: string;
  kind: CoreReloKind;
}

export interface CoreReloResult {
  /** True when the instruction must be replaced by the poison call. */
  poison: boolean;
  /** What the instruction carries now (from the local BTF) and what it must carry on the target. */
  origValue: bigint;
  newValue: bigint;
  /** Whether the instruction's current value must equal origValue before patching. */
  validate: boolean;
  /** Memory access sizes for field offset relocations of loads/stores (0 when not applicable). */
  origSize: number;
  newSize: number;
  /** The load/store size differs and may not be adjusted: the instruction is poisoned on patching. */
  failMemszAdjust: boolean;
  /** The target type the relocation resolved to (undefined when none matched). */
  target: { btf: Btf; typeId: number } | undefined;
}

interface Accessor {
  typeId: number;
  idx: number;
  name: string | undefined;
}

interface Spec {
  btf: Btf;
  rootTypeId: number;
  kind: CoreReloKind;
  raw: number[];
  acc: Accessor[];
  bitOffset: number;
}

class CoreError extends ParseError {
  constructor(reason: string) {
    super(`CO-RE: ${reason}`, { line: 1, column: 1 });
  }
}

const FIELD_KINDS = new Set<CoreReloKind>(['field_byte_offset', 'field_byte_size', 'field_exists', 'field_signed', 'field_lshift_u64', 'field_rshift_u64']);
const TYPE_KINDS = new Set<CoreReloKind>(['type_id_local', 'type_id_target', 'type_exists', 'type_matches', 'type_size']);
const ENUMVAL_KINDS = new Set<CoreReloKind>(['enumval_exists', 'enumval_value']);

/** Length of a name without its flavour: 'task_struct___old' → 11 (libbpf's essential name). */
export function essentialNameLength(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return name.length;
}

export function essentialName(name: string): string {
  return name.slice(0, essentialNameLength(name));
}

function isEnum(t: BtfType): t is Extract<BtfType, { kind: 'enum' | 'enum64' }> {
  return t.kind === 'enum' || t.kind === 'enum64';
}

function isComposite(t: BtfType): t is Extract<BtfType, { kind: 'struct' | 'union' }> {
  return t.kind === 'struct' || t.kind === 'union';
}

function kindCompat(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isEnum(a) && isEnum(b));
}

function vlen(t: BtfType): number {
  switch (t.kind) {
    case 'struct': case 'union': return t.members.length;
    case 'enum': case 'enum64': return t.values.length;
    case 'func_proto': return t.params.length;
    case 'datasec': return t.vars.length;
    default: return 0;
  }
}

/** Candidate index: essential name → type ids, built once per target BTF. */
const candidateIndex = new WeakMap<Btf, Map<string, number[]>>();

function indexOf(btf: Btf): Map<string, number[]> {
  let m = candidateIndex.get(btf);
  if (!m) {
    m = new Map();
    const first = btf.base ? btf.firstId : 1;
    for (let id = first; id < btf.typeCount; id++) {
      const t = btf.type(id);
      if (!t.name) continue;
      const k = essentialName(t.name);
      const l = m.get(k);
      if (l) l.push(id);
      else m.set(k, [id]);
    }
    candidateIndex.set(btf, m);
  }
  return m;
}

/**
 * Target types that could correspond to a local type: same essential name, compatible kind.
 * `targets` is searched in order and the search stops at the first BTF with any candidate
 * (libbpf: vmlinux first, then kernel modules).
 */
export function findCandidates(local: Btf, localTypeId: number, targets: readonly Btf[]): { btf: Btf; typeId: number }[] {
  const lt = local.type(localTypeId);
  if (!lt.name) throw new CoreError(`type [${localTypeId}] is anonymous; relocations need a named type`);
  const ess = essentialName(lt.name);
  for (const target of targets) {
    const out: { btf: Btf; typeId: number }[] = [];
    for (const id of indexOf(target).get(ess) ?? []) {
      if (kindCompat(target.type(id), lt)) out.push({ btf: target, typeId: id });
    }
    if (out.length) return out;
  }
  return [];
}

function skip(btf: Btf, id: number): [BtfType, number] {
  const r = btf.resolve(id);
  return [btf.type(r), r];
}

function isFlexArr(btf: Btf, acc: Accessor | undefined, nelems: number): boolean {
  if (!acc || !acc.name || nelems > 0) return false;
  const t = btf.type(acc.typeId);
  return acc.idx === vlen(t) - 1;
}

/** Parses an access string against the local BTF (libbpf's bpf_core_parse_spec). */
function parseSpec(btf: Btf, relo: CoreReloRecord): Spec {
  const s = relo.accessStr;
  const spec: Spec = { btf, rootTypeId: relo.typeId, kind: relo.kind, raw: [], acc: [], bitOffset: 0 };
  if (!s || s[0] === ':') throw new CoreError(`empty or malformed access string '${s}'`);
  if (TYPE_KINDS.has(relo.kind)) {
    if (s !== '0') throw new CoreError(`type relocation with access string '${s}' (expected '0')`);
    return spec;
  }
  for (const part of s.split(':')) {
    if (!/^\d+$/.test(part)) throw new CoreError(`malformed access string '${s}'`);
    if (spec.raw.length === SPEC_MAX_LEN) throw new CoreError(`access string '${s}' is too long`);
    spec.raw.push(Number(part));
  }
  let [t, id] = skip(btf, relo.typeId);
  let idx = spec.raw[0];
  spec.acc.push({ typeId: id, idx, name: undefined });
  if (ENUMVAL_KINDS.has(relo.kind)) {
    if (!isEnum(t) || spec.raw.length > 1 || idx >= t.values.length) throw new CoreError(`bad enum value relocation [${relo.typeId}] '${s}'`);
    spec.acc[0].name = t.values[idx].name;
    return spec;
  }
  if (!FIELD_KINDS.has(relo.kind)) throw new CoreError(`unknown relocation kind ${relo.kind}`);
  spec.bitOffset = idx * btf.sizeof(id) * 8;
  for (let i = 1; i < spec.raw.length; i++) {
    [t, id] = skip(btf, id);
    idx = spec.raw[i];
    if (isComposite(t)) {
      if (idx >= t.members.length) throw new CoreError(`member index ${idx} out of range in '${s}' for [${id}]`);
      const m = t.members[idx];
      spec.bitOffset += m.bitOffset;
      if (m.name) spec.acc.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === 'array') {
      const nelems = t.nelems;
      const flex = isFlexArr(btf, spec.acc[spec.acc.length - 1], nelems);
      [t, id] = skip(btf, t.type);
      if (!flex && idx >= nelems) throw new CoreError(`array index ${idx} out of range in '${s}'`);
      spec.acc.push({ typeId: id, idx, name: undefined });
      spec.bitOffset += idx * btf.sizeof(id) * 8;
    } else {
      throw new CoreError(`relocation for [${relo.typeId}] '${s}' (at index ${i}) reaches ${t.kind} [${id}]`);
    }
  }
  return spec;
}

/** libbpf's bpf_core_fields_are_compat. */
function fieldsCompat(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const [lt, l2] = skip(lb, lid);
    const [tt, t2] = skip(tb, tid);
    if (isComposite(lt) && isComposite(tt)) return true;
    if (!kindCompat(lt, tt)) return false;
    switch (lt.kind) {
      case 'ptr': case 'float':
        return true;
      case 'fwd': case 'enum': case 'enum64': {
        const ll = essentialNameLength(lt.name);
        const tl = essentialNameLength(tt.name);
        return ll === 0 || tl === 0 || (ll === tl && lt.name.slice(0, ll) === tt.name.slice(0, tl));
      }
      case 'int':
        return lt.offset === 0 && (tt as typeof lt).offset === 0;
      case 'array':
        lid = lt.type;
        tid = (tt as typeof lt).type;
        void l2;
        void t2;
        continue;
      default:
        return false;
    }
  }
  throw new CoreError('field type chain too deep');
}

/** libbpf's __bpf_core_types_are_compat (used for type-based relocations). */
export function typesAreCompat(lb: Btf, lid: number, tb: Btf, tid: number, level = MAX_DEPTH): boolean {
  if (!kindCompat(lb.type(lid), tb.type(tid))) return false;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const [lt] = skip(lb, lid);
    const [tt] = skip(tb, tid);
    if (!kindCompat(lt, tt)) return false;
    switch (lt.kind) {
      case 'void': case 'struct': case 'union': case 'enum': case 'enum64': case 'fwd':
        return true;
      case 'int':
        return lt.offset === 0 && (tt as typeof lt).offset === 0;
      case 'ptr':
        lid = lt.type;
        tid = (tt as typeof lt).type;
        continue;
      case 'array':
        lid = lt.type;
        tid = (tt as typeof lt).type;
        continue;
      case 'func_proto': {
        const tp = tt as typeof lt;
        if (lt.params.length !== tp.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (level <= 0) throw new CoreError('function prototype nesting too deep');
          if (!typesAreCompat(lb, lb.resolve(lt.params[i].type), tb, tb.resolve(tp.params[i].type), level - 1)) return false;
        }
        lid = lb.resolve(lt.returnType);
        tid = tb.resolve(tp.returnType);
        continue;
      }
      default:
        return false;
    }
  }
  throw new CoreError('type chain too deep');
}

function namesMatch(ln: string, tn: string): boolean {
  if (!tn) return !ln;
  const tl = essentialNameLength(tn);
  const ll = essentialNameLength(ln);
  return tl === ll && ln.slice(0, ll) === tn.slice(0, tl);
}

/** libbpf's __bpf_core_types_match (TYPE_MATCHES, the stricter relation). */
export function typesMatch(lb: Btf, lid: number, tb: Btf, tid: number, behindPtr = false, level = MAX_DEPTH): boolean {
  if (level <= 0) throw new CoreError('type nesting too deep');
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const [lt] = skip(lb, lid);
    const [tt] = skip(tb, tid);
    if (!namesMatch(lt.name, tt.name)) return false;
    switch (lt.kind) {
      case 'void':
        return tt.kind === 'void';
      case 'fwd':
        if (behindPtr) {
          if (tt.kind === 'fwd') return lt.union === tt.union;
          return (tt.kind === 'struct' && !lt.union) || (tt.kind === 'union' && lt.union);
        }
        return tt.kind === 'fwd' && lt.union === tt.union;
      case 'enum': case 'enum64': {
        if (!isEnum(tt)) return false;
        if (lt.size !== tt.size || lt.values.length > tt.values.length) return false;
        return lt.values.every((lv) => tt.values.some((tv) => namesMatch(lv.name, tv.name)));
      }
      case 'struct': case 'union':
        if (behindPtr) {
          if (lt.kind === tt.kind) return true;
          if (tt.kind !== 'fwd') return false;
          return (lt.kind === 'union') === tt.union;
        }
        if (lt.kind !== tt.kind) return false;
        {
          const tc = tt as typeof lt;
          if (lt.members.length > tc.members.length) return false;
          for (const lm of lt.members) {
            let matched = false;
            for (const tm of tc.members) {
              if (!namesMatch(lm.name, tm.name)) continue;
              if (typesMatch(lb, lm.type, tb, tm.type, behindPtr, level - 1)) {
                matched = true;
                break;
              }
            }
            if (!matched) return false;
          }
          return true;
        }
      case 'int':
        return tt.kind === 'int' && lt.size === tt.size && lt.signed === tt.signed;
      case 'ptr':
        if (tt.kind !== 'ptr') return false;
        behindPtr = true;
        lid = lt.type;
        tid = tt.type;
        continue;
      case 'array':
        if (tt.kind !== 'array' || lt.nelems !== tt.nelems) return false;
        lid = lt.type;
        tid = tt.type;
        continue;
      case 'func_proto': {
        if (tt.kind !== 'func_proto' || lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (!typesMatch(lb, lt.params[i].type, tb, tt.params[i].type, behindPtr, level - 1)) return false;
        }
        lid = lt.returnType;
        tid = tt.returnType;
        continue;
      }
      default:
        return false;
    }
  }
  throw new CoreError('type chain too deep');
}

/** Finds the target member matching a local named accessor, searching anonymous members. */
function matchMember(lb: Btf, lacc: Accessor, tb: Btf, tid: number, spec: Spec): { found: boolean; next: number } {
  const [tt, tid2] = skip(tb, tid);
  if (!isComposite(tt)) return { found: false, next: 0 };
  const lt = lb.type(lacc.typeId) as Extract<BtfType, { kind: 'struct' | 'union' }>;
  const lm = lt.members[lacc.idx];
  for (let i = 0; i < tt.members.length; i++) {
    const m = tt.members[i];
    if (spec.raw.length === SPEC_MAX_LEN) throw new CoreError('struct/union/array nesting too deep');
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (!m.name) {
      const r = matchMember(lb, lacc, tb, m.type, spec);
      if (r.found) return r;
    } else if (m.name === lm.name) {
      spec.acc.push({ typeId: tid2, idx: i, name: m.name });
      if (fieldsCompat(lb, lm.type, tb, m.type)) return { found: true, next: m.type };
      spec.acc.pop();
      // libbpf returns "not found" here without trying further members
      spec.bitOffset -= m.bitOffset;
      spec.raw.pop();
      return { found: false, next: 0 };
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return { found: false, next: 0 };
}

/** Matches a local spec against one candidate; returns the target spec or undefined. */
function specMatch(local: Spec, tb: Btf, tid: number): Spec | undefined {
  const ts: Spec = { btf: tb, rootTypeId: tid, kind: local.kind, raw: [], acc: [], bitOffset: 0 };
  if (TYPE_KINDS.has(local.kind)) {
    const ok = local.kind === 'type_matches'
      ? typesMatch(local.btf, local.rootTypeId, tb, tid)
      : typesAreCompat(local.btf, local.rootTypeId, tb, tid);
    return ok ? ts : undefined;
  }
  if (ENUMVAL_KINDS.has(local.kind)) {
    const [tt, id] = skip(tb, tid);
    if (!isEnum(tt)) return undefined;
    const want = local.acc[0].name!;
    const wl = essentialNameLength(want);
    for (let i = 0; i < tt.values.length; i++) {
      const n = tt.values[i].name;
      if (essentialNameLength(n) !== wl) continue;
      if (n.slice(0, wl) === want.slice(0, wl)) {
        ts.acc.push({ typeId: id, idx: i, name: n });
        ts.raw.push(i);
        return ts;
      }
    }
    return undefined;
  }
  let id = tid;
  for (let i = 0; i < local.acc.length; i++) {
    const lacc = local.acc[i];
    const [tt, id2] = skip(tb, id);
    id = id2;
    if (lacc.name) {
      const r = matchMember(local.btf, lacc, tb, id, ts);
      if (!r.found) return undefined;
      id = r.next;
    } else {
      if (i > 0) {
        if (tt.kind !== 'array') return undefined;
        const flex = isFlexArr(tb, ts.acc[ts.acc.length - 1], tt.nelems);
        if (!flex && lacc.idx >= tt.nelems) return undefined;
        id = tb.resolve(tt.type);
      }
      if (ts.raw.length === SPEC_MAX_LEN) throw new CoreError('struct/union/array nesting too deep');
      ts.acc.push({ typeId: id, idx: lacc.idx, name: undefined });
      ts.raw.push(lacc.idx);
      ts.bitOffset += lacc.idx * tb.sizeof(id) * 8;
    }
  }
  return ts;
}

interface FieldValue {
  value: bigint;
  size: number;
  typeId: number;
  validate: boolean;
}

const POISON = Symbol('poison');

function elemSize(btf: Btf, id: number): number {
  let [t, eid] = skip(btf, id);
  while (t.kind === 'array') [t, eid] = skip(btf, t.type);
  return btf.sizeof(eid);
}

/** libbpf's bpf_core_calc_field_relo for one side (local or target). */
function calcField(relo: CoreReloRecord, spec: Spec | undefined): FieldValue | typeof POISON {
  if (relo.kind === 'field_exists') return { value: spec ? 1n : 0n, size: 0, typeId: 0, validate: true };
  if (!spec) return POISON;
  const btf = spec.btf;
  const acc = spec.acc[spec.acc.length - 1];
  if (!acc.name) {
    if (relo.kind === 'field_byte_offset') {
      return { value: BigInt(spec.bitOffset / 8), size: elemSize(btf, acc.typeId), typeId: acc.typeId, validate: true };
    }
    if (relo.kind === 'field_byte_size') return { value: BigInt(btf.sizeof(acc.typeId)), size: 0, typeId: 0, validate: true };
    throw new CoreError(`relocation ${relo.kind} at insn #${relo.insnOff} can't be applied to an array access`);
  }
  const t = btf.type(acc.typeId) as Extract<BtfType, { kind: 'struct' | 'union' }>;
  const m = t.members[acc.idx];
  const [mt, fieldTypeId] = skip(btf, m.type);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    if (mt.kind !== 'int' && !isEnum(mt)) throw new CoreError(`bitfield of ${mt.kind} at insn #${relo.insnOff}`);
    byteSz = mt.size;
    if (byteSz === 0) throw new CoreError(`zero-sized bitfield type at insn #${relo.insnOff}`);
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreError(`relocation ${relo.kind} at insn #${relo.insnOff} can't be satisfied for a bitfield`);
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    byteSz = btf.sizeof(fieldTypeId);
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  let validate = !bitfield;
  switch (relo.kind) {
    case 'field_byte_offset':
      if (!bitfield) return { value: BigInt(byteOff), size: elemSize(btf, fieldTypeId), typeId: fieldTypeId, validate };
      return { value: BigInt(byteOff), size: 0, typeId: 0, validate };
    case 'field_byte_size':
      return { value: BigInt(byteSz), size: 0, typeId: 0, validate };
    case 'field_signed': {
      const signed = (isEnum(mt) && mt.signed) || (mt.kind === 'int' && mt.signed);
      return { value: signed ? 1n : 0n, size: 0, typeId: 0, validate: true };
    }
    case 'field_lshift_u64':
      // little-endian target (the BPF target of this machine and of bpfel objects)
      return { value: BigInt(64 - (bitOff + bitSz - byteOff * 8)), size: 0, typeId: 0, validate };
    case 'field_rshift_u64':
      validate = true;
      return { value: BigInt(64 - bitSz), size: 0, typeId: 0, validate };
    default:
      throw new CoreError(`unsupported field relocation ${relo.kind}`);
  }
}

function calcOne(relo: CoreReloRecord, local: Spec, target: Spec | undefined): CoreReloResult {
  const res: CoreReloResult = {
    poison: false, origValue: 0n, newValue: 0n, validate: true, origSize: 0, newSize: 0, failMemszAdjust: false,
    target: target ? { btf: target.btf, typeId: target.rootTypeId } : undefined,
  };
  if (FIELD_KINDS.has(relo.kind)) {
    const o = calcField(relo, local);
    if (o === POISON) return { ...res, poison: true };
    const n = calcField(relo, target);
    if (n === POISON) return { ...res, poison: true, origValue: o.value, validate: o.validate };
    res.origValue = o.value;
    res.validate = o.validate;
    res.origSize = o.size;
    res.newValue = n.value;
    res.newSize = n.size;
    if (o.size !== n.size) {
      const ot = local.btf.type(o.typeId);
      const nt = target!.btf.type(n.typeId);
      const bothPtr = ot.kind === 'ptr' && nt.kind === 'ptr';
      const bothUnsigned = ot.kind === 'int' && nt.kind === 'int' && !ot.signed && !nt.signed && !ot.char && !nt.char && !ot.bool && !nt.bool;
      if (!bothPtr && !bothUnsigned) res.failMemszAdjust = true;
    }
    return res;
  }
  if (TYPE_KINDS.has(relo.kind)) {
    const typeValue = (s: Spec | undefined): bigint => {
      if (!s) return 0n;
      switch (relo.kind) {
        case 'type_id_target': return BigInt(s.rootTypeId);
        case 'type_exists': case 'type_matches': return 1n;
        case 'type_size': return BigInt(s.btf.sizeof(s.rootTypeId));
        default: throw new CoreError(`unsupported type relocation ${relo.kind}`);
      }
    };
    res.origValue = typeValue(local);
    res.newValue = typeValue(target);
    res.validate = relo.kind !== 'type_id_target';
    return res;
  }
  // enum value relocations
  const enumValue = (s: Spec | undefined): bigint | typeof POISON => {
    if (relo.kind === 'enumval_exists') return s ? 1n : 0n;
    if (!s) return POISON;
    const t = s.btf.type(s.acc[0].typeId);
    if (!isEnum(t)) throw new CoreError('enum value relocation on a non-enum');
    const v = t.values[s.acc[0].idx].value;
    // libbpf reads a 32-bit enumerator as __s32 into a u64: sign-extended whatever the kflag.
    return t.kind === 'enum' ? BigInt.asUintN(64, BigInt.asIntN(32, v)) : BigInt.asUintN(64, v);
  };
  const o = enumValue(local);
  const n = enumValue(target);
  if (o === POISON || n === POISON) return { ...res, poison: true };
  res.origValue = o;
  res.newValue = n;
  return res;
}

/**
 * Computes one relocation against the target BTF(s) (vmlinux first, then modules).
 * Throws a ParseError for malformed records and ambiguous candidates, as libbpf fails the load.
 */
export function computeCoreRelo(local: Btf, relo: CoreReloRecord, targets: Btf | readonly Btf[]): CoreReloResult {
  const tlist = Array.isArray(targets) ? targets : [targets as Btf];
  if (!local.has(relo.typeId)) throw new CoreError(`relocation at insn #${relo.insnOff} names type [${relo.typeId}], which does not exist`);
  const localSpec = parseSpec(local, relo);
  if (relo.kind === 'type_id_local') {
    return {
      poison: false, origValue: BigInt(relo.typeId), newValue: BigInt(relo.typeId), validate: false, origSize: 0, newSize: 0,
      failMemszAdjust: false, target: { btf: local, typeId: relo.typeId },
    };
  }
  const cands = findCandidates(local, relo.typeId, tlist);
  let chosen: { res: CoreReloResult; spec: Spec } | undefined;
  for (const c of cands) {
    const ts = specMatch(localSpec, c.btf, c.typeId);
    if (!ts) continue;
    const r = calcOne(relo, localSpec, ts);
    if (!chosen) chosen = { res: r, spec: ts };
    else if (ts.bitOffset !== chosen.spec.bitOffset) {
      throw new CoreError(`relocation at insn #${relo.insnOff}: field offset ambiguity: ${ts.bitOffset} != ${chosen.spec.bitOffset}`);
    } else if (r.poison !== chosen.res.poison || r.newValue !== chosen.res.newValue) {
      throw new CoreError(`relocation at insn #${relo.insnOff}: relocation decision ambiguity: ${r.newValue} != ${chosen.res.newValue}`);
    }
  }
  return chosen ? chosen.res : calcOne(relo, localSpec, undefined);
}

// --- patching -------------------------------------------------------------------------------

const BPF_CLASS_LD = 0x00;
const BPF_CLASS_LDX = 0x01;
const BPF_CLASS_ST = 0x02;
const BPF_CLASS_STX = 0x03;
const BPF_CLASS_ALU = 0x04;
const BPF_CLASS_ALU64 = 0x07;
const SIZE_BYTES: Record<number, number> = { 0x18: 8, 0x00: 4, 0x08: 2, 0x10: 1 };
const BYTES_SIZE: Record<number, number> = { 8: 0x18, 4: 0x00, 2: 0x08, 1: 0x10 };

function poisonSlot(dv: DataView, i: number): void {
  dv.setUint8(i * 8, 0x85);
  dv.setUint8(i * 8 + 1, 0);
  dv.setInt16(i * 8 + 2, 0, true);
  dv.setInt32(i * 8 + 4, CORE_POISON_HELPER_ID, true);
}

/**
 * Patches instruction `idx` of `insns` with a computed result (libbpf's bpf_core_patch_insn):
 * ALU imm, LDX/ST/STX offset (and access size when it may change), or a ld_imm64 constant;
 * poison replaces the instruction (both halves of a ld_imm64) with `call 0xbad2310`.
 * Little-endian instructions (BPF objects for this machine). Throws on an unexpected instruction.
 */
export function patchCoreInsn(insns: Uint8Array, idx: number, res: CoreReloResult): void {
  if (idx < 0 || (idx + 1) * 8 > insns.length) throw new CoreError(`relocation names instruction #${idx}, beyond the program`);
  const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const code = dv.getUint8(idx * 8);
  const cls = code & 0x07;
  const poison = () => {
    if (code === 0x18 && (idx + 2) * 8 <= insns.length) poisonSlot(dv, idx + 1);
    poisonSlot(dv, idx);
  };
  if (res.poison) return poison();
  const orig = res.origValue;
  const val = res.newValue;
  switch (cls) {
    case BPF_CLASS_ALU:
    case BPF_CLASS_ALU64: {
      if ((code & 0x08) !== 0) throw new CoreError(`insn #${idx}: ALU relocation on a register operand`);
      const imm = dv.getInt32(idx * 8 + 4, true);
      if (res.validate && BigInt.asUintN(64, BigInt(imm)) !== orig) throw new CoreError(`insn #${idx} (ALU) value: got ${imm}, expected ${orig} -> ${val}`);
      dv.setInt32(idx * 8 + 4, Number(BigInt.asIntN(32, val)), true);
      return;
    }
    case BPF_CLASS_LDX:
    case BPF_CLASS_ST:
    case BPF_CLASS_STX: {
      const off = dv.getInt16(idx * 8 + 2, true);
      if (res.validate && BigInt.asUintN(64, BigInt(off)) !== orig) throw new CoreError(`insn #${idx} (LDX/ST/STX) value: got ${off}, expected ${orig} -> ${val}`);
      if (val > 0x7fffn) throw new CoreError(`insn #${idx} (LDX/ST/STX) value too big: ${val}`);
      if (res.failMemszAdjust) return poison();
      dv.setInt16(idx * 8 + 2, Number(val), true);
      if (res.newSize !== res.origSize) {
        const cur = SIZE_BYTES[code & 0x18];
        if (cur !== res.origSize) throw new CoreError(`insn #${idx} (LDX/ST/STX) unexpected memory size: got ${cur}, expected ${res.origSize}`);
        const ns = BYTES_SIZE[res.newSize];
        if (ns === undefined) throw new CoreError(`insn #${idx} (LDX/ST/STX) invalid new memory size ${res.newSize}`);
        dv.setUint8(idx * 8, (code & 0xe0) | ns | cls);
      }
      return;
    }
    case BPF_CLASS_LD: {
      if (code !== 0x18 || (idx + 2) * 8 > insns.length) throw new CoreError(`insn #${idx} (LDIMM64) has an unexpected form`);
      const src = dv.getUint8(idx * 8 + 1) >> 4;
      if (src !== 0 || dv.getInt16(idx * 8 + 2, true) !== 0 || dv.getUint8(idx * 8 + 8) !== 0 || dv.getUint8(idx * 8 + 9) !== 0 || dv.getInt16(idx * 8 + 10, true) !== 0) {
        throw new CoreError(`insn #${idx} (LDIMM64) has an unexpected form`);
      }
      const imm = (BigInt(dv.getUint32(idx * 8 + 12, true)) << 32n) | BigInt(dv.getUint32(idx * 8 + 4, true));
      if (res.validate && imm !== orig) throw new CoreError(`insn #${idx} (LDIMM64) value: got ${imm}, expected ${orig} -> ${val}`);
      const u = BigInt.asUintN(64, val);
      dv.setUint32(idx * 8 + 4, Number(u & 0xffffffffn), true);
      dv.setUint32(idx * 8 + 12, Number(u >> 32n), true);
      return;
    }
    default:
      throw new CoreError(`insn #${idx} (code 0x${code.toString(16)}) cannot be relocated`);
  }
}

/** Computes and applies every relocation of a program in place; returns the results in order. */
export function applyCoreRelocations(insns: Uint8Array, relos: readonly CoreReloRecord[], local: Btf, targets: Btf | readonly Btf[]): CoreReloResult[] {
  const out: CoreReloResult[] = [];
  for (const r of relos) {
    const res = computeCoreRelo(local, r, targets);
    patchCoreInsn(insns, r.insnOff, res);
    out.push(res);
  }
  return out;
}

// BTF → C header (vmlinux.h), as `bpftool btf dump file PATH format c` writes it. The ordering
// follows libbpf's btf_dump.c: a topological sort in which a type embedded by value must be
// defined first (strong link) while one reached through a named pointer only needs a forward
// declaration (weak link); anonymous types are defined inline; duplicate names get ___N suffixes.
import { ParseError } from '../sys/errors.js';
import type { Btf } from './btf.js';
import type { BtfType, BtfTypeOf } from './types.js';

const NOT_ORDERED = 0;
const ORDERING = 1;
const ORDERED = 2;
const NOT_EMITTED = 0;
const EMITTING = 1;
const EMITTED = 2;
const PTR_SIZE = 8;
const TABS = '\t'.repeat(64);

/** A new line and its indentation (by nesting level), written before every member and enumerator. */
const NL_PFX: string[] = Array.from({ length: TABS.length + 1 }, (_, i) => '\n' + TABS.slice(0, i));
/** Explicit padding types, widest first (libbpf's btf_dump_emit_bit_padding). */
const PADS: readonly (readonly [string, number])[] = [['long', PTR_SIZE * 8], ['int', 32], ['short', 16], ['char', 8]];

function nlPfx(lvl: number): string {
  return NL_PFX[Math.min(lvl, TABS.length)];
}

export interface CDumpOptions {
  /** Emit the vmlinux.h guard and preserve_access_index pragmas as bpftool does (default true). */
  header?: boolean;
}

/** Writes the whole BTF as a C header. */
export function btfToC(btf: Btf, opts: CDumpOptions = {}): string {
  try {
    return dump(btf, opts);
  } catch (e) {
    // Only malformed BTF recurses without end (a reference cycle C cannot express) or grows
    // output beyond what a string holds; both are the input's fault.
    if (e instanceof RangeError) throw new ParseError(`BTF: cannot be written as C (${e.message})`, { file: btf.file, line: 1, column: 1 });
    throw e;
  }
}

function dump(btf: Btf, opts: CDumpOptions): string {
  const d = new CDumper(btf);
  const header = opts.header !== false;
  if (header) {
    d.w(
      '#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n' +
        '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n' +
        '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n' +
        '#endif\n\n',
    );
  }
  const first = btf.base ? btf.firstId : 1;
  const n = btf.typeCount;
  for (let id = first; id < n; id++) d.dumpType(id);
  if (header) {
    d.w('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n');
  }
  return d.result();
}

type Composite = BtfTypeOf<'struct' | 'union'>;

/** A declaration's type chain, outermost first; `cnt` entries remain to be written. */
interface DeclChain {
  ids: number[];
  cnt: number;
}

class CDumper {
  private readonly chunks: string[] = [];
  private readonly parts: string[] = [];
  private readonly btf: Btf;
  private readonly types: readonly BtfType[];
  private readonly orderState: Uint8Array;
  private readonly emitState: Uint8Array;
  private readonly fwdEmitted: Uint8Array;
  private readonly referenced: Uint8Array;
  private readonly nameResolved: Uint8Array;
  private readonly cachedNames: (string | undefined)[];
  private readonly typeNames = new Map<string, number>();
  private readonly identNames = new Map<string, number>();
  /** Types to emit after ordering one type: the first `queued` entries (reused, not reallocated). */
  private readonly emitQueue: number[] = [];
  private queued = 0;
  private readonly declChains: DeclChain[] = [];
  private declDepth = 0;
  private readonly alignCache: Int32Array;
  private readonly sizeCache: Float64Array;

  constructor(btf: Btf) {
    this.btf = btf;
    const n = btf.typeCount;
    // A base BTF's own array is already indexed by id; split BTF needs its base's types in front.
    this.types = btf.base ? Array.from({ length: n }, (_, i) => btf.type(i)) : btf.types;
    this.orderState = new Uint8Array(n);
    this.emitState = new Uint8Array(n);
    this.fwdEmitted = new Uint8Array(n);
    this.referenced = new Uint8Array(n);
    this.nameResolved = new Uint8Array(n);
    this.cachedNames = new Array(n);
    this.alignCache = new Int32Array(n);
    this.sizeCache = new Float64Array(n).fill(-1);
    this.markReferenced();
  }

  private t(id: number): BtfType {
    const t = this.types[id];
    if (t === undefined) throw new ParseError(`BTF: type id ${id} does not exist`, { file: this.btf.file, line: 1, column: 1 });
    return t;
  }

  private markReferenced(): void {
    // Ids beyond the end are simply not marked: a typed array ignores out-of-range stores.
    const r = this.referenced;
    const types = this.types;
    for (let i = 0; i < types.length; i++) {
      const t = types[i];
      switch (t.kind) {
        case 'volatile': case 'const': case 'restrict': case 'ptr': case 'typedef': case 'func': case 'var':
        case 'decl_tag': case 'type_tag':
          r[t.type] = 1;
          break;
        case 'array':
          r[t.indexType] = 1;
          r[t.type] = 1;
          break;
        case 'struct': case 'union':
          for (const m of t.members) r[m.type] = 1;
          break;
        case 'func_proto':
          for (const p of t.params) r[p.type] = 1;
          break;
        case 'datasec':
          for (const v of t.vars) r[v.type] = 1;
          break;
        default:
          break;
      }
    }
  }

  /**
   * Appends text. Every few thousand pieces are joined into one flat chunk (see dumpType), so the
   * pieces die young; a rope built with += kept every piece and link alive, which made the
   * garbage collector copy the whole output piece by piece.
   */
  w(s: string): void {
    this.parts.push(s);
  }

  private flush(): void {
    this.chunks.push(this.parts.join(''));
    this.parts.length = 0;
  }

  result(): string {
    this.flush();
    return this.chunks.join('');
  }

  dumpType(id: number): void {
    this.queued = 0;
    this.orderType(id, false);
    for (let i = 0; i < this.queued; i++) this.emitType(this.emitQueue[i], 0);
    if (this.parts.length > 4096) this.flush();
  }

  // --- ordering ---------------------------------------------------------------------------

  private orderType(id: number, throughPtr: boolean): number {
    if (this.orderState[id] === ORDERED) return 1;
    const t = this.t(id);
    if (this.orderState[id] === ORDERING) {
      if ((t.kind === 'struct' || t.kind === 'union') && throughPtr && t.name !== '') return 0;
      throw new ParseError(`BTF: unsatisfiable type cycle at type [${id}]`, { file: this.btf.file, line: 1, column: 1 });
    }
    switch (t.kind) {
      case 'void':
        return 0;
      case 'int': case 'float':
        this.orderState[id] = ORDERED;
        return 0;
      case 'ptr': {
        const r = this.orderType(t.type, true);
        this.orderState[id] = ORDERED;
        return r;
      }
      case 'array':
        return this.orderType(t.type, false);
      case 'struct': case 'union': {
        if (throughPtr && t.name !== '') return 0;
        this.orderState[id] = ORDERING;
        for (const m of t.members) this.orderType(m.type, false);
        if (t.name !== '') this.emitQueue[this.queued++] = id;
        this.orderState[id] = ORDERED;
        return 1;
      }
      case 'enum': case 'enum64': case 'fwd':
        if (t.name !== '' || !this.referenced[id]) this.emitQueue[this.queued++] = id;
        this.orderState[id] = ORDERED;
        return 1;
      case 'typedef': {
        const strong = this.orderType(t.type, throughPtr);
        if (throughPtr && !strong) return 0;
        this.emitQueue[this.queued++] = id;
        this.orderState[id] = ORDERED;
        return 1;
      }
      case 'volatile': case 'const': case 'restrict': case 'type_tag':
        return this.orderType(t.type, throughPtr);
      case 'func_proto': {
        let strong = this.orderType(t.returnType, throughPtr) > 0;
        for (const p of t.params) if (this.orderType(p.type, throughPtr) > 0) strong = true;
        return strong ? 1 : 0;
      }
      case 'func': case 'var': case 'datasec': case 'decl_tag':
        this.orderState[id] = ORDERED;
        return 0;
    }
  }

  // --- emitting ---------------------------------------------------------------------------

  private isBlacklisted(t: BtfType): boolean {
    return t.name === '__builtin_va_list';
  }

  private emitType(id: number, contId: number): void {
    const es = this.emitState[id];
    if (es === EMITTED) return;
    const t = this.t(id);
    const topLevel = contId === 0;
    if (es === EMITTING) {
      if (this.fwdEmitted[id]) return;
      if (t.kind === 'struct' || t.kind === 'union') {
        if (id === contId) return;
        if (t.name === '') return; // anonymous struct/union loop: nothing sensible to emit
        this.emitStructFwd(id, t);
        this.w(';\n\n');
        this.fwdEmitted[id] = 1;
      } else if (t.kind === 'typedef') {
        if (!this.isBlacklisted(t)) {
          this.emitTypedefDef(id, t, 0);
          this.w(';\n\n');
        }
        this.fwdEmitted[id] = 1;
      }
      return;
    }
    switch (t.kind) {
      case 'int':
        this.emitMissingAliases(id);
        this.emitState[id] = EMITTED;
        break;
      case 'enum': case 'enum64':
        if (topLevel) {
          this.emitEnumDef(id, t, 0);
          this.w(';\n\n');
        }
        this.emitState[id] = EMITTED;
        break;
      case 'ptr': case 'volatile': case 'const': case 'restrict': case 'type_tag':
        this.emitType(t.type, contId);
        break;
      case 'array':
        this.emitType(t.type, contId);
        break;
      case 'fwd':
        this.emitFwdDef(id, t);
        this.w(';\n\n');
        this.emitState[id] = EMITTED;
        break;
      case 'typedef':
        this.emitState[id] = EMITTING;
        this.emitType(t.type, id);
        if (!this.fwdEmitted[id] && !this.isBlacklisted(t)) {
          this.emitTypedefDef(id, t, 0);
          this.w(';\n\n');
        }
        this.emitState[id] = EMITTED;
        break;
      case 'struct': case 'union':
        this.emitState[id] = EMITTING;
        if (topLevel || t.name === '') {
          const newCont = t.name === '' ? contId : id;
          for (const m of t.members) this.emitType(m.type, newCont);
        } else if (!this.fwdEmitted[id] && id !== contId) {
          this.emitStructFwd(id, t);
          this.w(';\n\n');
          this.fwdEmitted[id] = 1;
        }
        if (topLevel) {
          this.emitStructDef(id, t, 0);
          this.w(';\n\n');
          this.emitState[id] = EMITTED;
        } else {
          this.emitState[id] = NOT_EMITTED;
        }
        break;
      case 'func_proto':
        this.emitType(t.returnType, contId);
        for (const p of t.params) this.emitType(p.type, contId);
        break;
      default:
        break;
    }
  }

  private emitMissingAliases(id: number): void {
    const name = this.typeName(id);
    const alias = MISSING_BASE_TYPES.get(name);
    if (alias) this.w(`typedef ${alias} ${name};\n\n`);
  }

  // --- sizes and alignment (libbpf's btf__resolve_size / btf__align_of, memoised) ---------

  private sizeOf(id: number): number {
    const c = this.sizeCache[id];
    if (c >= 0) return c;
    let r: number;
    try {
      r = this.btf.sizeof(id);
    } catch {
      r = 0;
    }
    this.sizeCache[id] = r;
    return r;
  }

  /** Alignment of any type, memoised: struct layouts ask for each member's, twice. */
  private alignOf(id: number): number {
    const c = this.alignCache[id];
    if (c > 0) return c;
    const r = this.computeAlign(id);
    if (r > 0) this.alignCache[id] = r;
    return r;
  }

  private computeAlign(id: number): number {
    for (let depth = 0; depth < 32; depth++) {
      const t = this.t(id);
      switch (t.kind) {
        case 'int': case 'enum': case 'enum64': case 'float':
          return Math.min(PTR_SIZE, t.size);
        case 'ptr':
          return PTR_SIZE;
        case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'array':
          id = t.type;
          continue;
        case 'struct': case 'union': {
          let max = 1;
          let packed = false;
          for (const m of t.members) {
            const a = this.alignOf(m.type);
            if (a <= 0) return a;
            if (a > max) max = a;
            if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) packed = true;
          }
          return packed || t.size % max !== 0 ? 1 : max;
        }
        default:
          return 0;
      }
    }
    return 0;
  }

  private isStructPacked(t: Composite): boolean {
    let max = 1;
    for (const m of t.members) {
      const a = this.alignOf(m.type);
      if (a && m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return true;
      if (a > max) max = a;
    }
    return t.size % max !== 0;
  }

  // --- definitions ------------------------------------------------------------------------

  private emitBitPadding(curOff: number, nextOff: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
    if (curOff >= nextOff) return;
    const pads = PADS;
    let newOff = 0;
    let padBits = 0;
    let padType = '';
    for (let i = 0; i < pads.length; i++) {
      padType = pads[i][0];
      padBits = pads[i][1];
      newOff = roundup(curOff, padBits);
      if (newOff <= nextOff) break;
    }
    if (newOff > curOff && newOff <= nextOff) {
      if (inBitfield || (newOff === nextOff && roundup(curOff, nextAlign * 8) !== newOff) || (newOff !== nextOff && nextOff - newOff <= newOff - curOff)) {
        this.w(`${nlPfx(lvl)}${padType}: ${inBitfield ? newOff - curOff : 0};`);
      }
      curOff = newOff;
    }
    while (curOff !== nextOff) {
      const bits = Math.min(nextOff - curOff, padBits);
      if (bits === padBits) {
        this.w(`${nlPfx(lvl)}${padType}: ${padBits};`);
        curOff += bits;
        continue;
      }
      for (let i = pads.length - 1; i >= 0; i--) {
        padType = pads[i][0];
        padBits = pads[i][1];
        if (padBits < bits) continue;
        this.w(`${nlPfx(lvl)}${padType}: ${bits};`);
        curOff += bits;
        break;
      }
    }
  }

  private emitStructFwd(id: number, t: Composite): void {
    this.w(`${t.kind}${t.name ? ' ' : ''}${this.typeName(id)}`);
  }

  private emitStructDef(id: number, t: Composite, lvl: number): void {
    const isStruct = t.kind === 'struct';
    const align = this.alignOf(id);
    const packed = isStruct ? this.isStructPacked(t) : false;
    this.w(`${t.kind}${t.name ? ' ' : ''}${this.typeName(id)} {`);
    let off = 0;
    let prevBitfield = false;
    for (const m of t.members) {
      let mSz = m.bitfieldSize;
      const mOff = m.bitOffset;
      const mAlign = packed ? 1 : this.alignOf(m.type);
      const inBitfield = prevBitfield && mSz !== 0;
      this.emitBitPadding(off, mOff, mAlign, inBitfield, lvl + 1);
      this.w(nlPfx(lvl + 1));
      this.emitTypeDecl(m.type, m.name, lvl + 1);
      if (mSz) {
        this.w(`: ${mSz}`);
        off = mOff + mSz;
        prevBitfield = true;
      } else {
        mSz = Math.max(0, this.sizeOf(m.type));
        off = mOff + mSz * 8;
        prevBitfield = false;
      }
      this.w(';');
    }
    if (isStruct) this.emitBitPadding(off, t.size * 8, align, false, lvl + 1);
    if (t.members.length || t.size) this.w(nlPfx(lvl) + '}');
    else this.w('}');
    if (packed) this.w(' __attribute__((packed))');
  }

  private emitEnumDef(id: number, t: BtfTypeOf<'enum' | 'enum64'>, lvl: number): void {
    this.w(`enum${t.name ? ' ' : ''}${this.typeName(id)}`);
    if (t.values.length === 0) return;
    this.w(' {');
    const is64 = t.kind === 'enum64';
    for (const v of t.values) {
      const dup = this.nameDups(this.identNames, v.name);
      let val: string;
      if (is64) {
        val = t.signed ? `${BigInt.asIntN(64, v.value)}LL` : `${BigInt.asUintN(64, v.value)}ULL`;
      } else {
        val = t.signed ? `${BigInt.asIntN(32, v.value)}` : `${BigInt.asUintN(32, v.value)}`;
      }
      this.w(dup > 1 ? `${nlPfx(lvl + 1)}${v.name}___${dup} = ${val},` : `${nlPfx(lvl + 1)}${v.name} = ${val},`);
    }
    this.w(nlPfx(lvl) + '}');
    if (t.size === 1) this.w(' __attribute__((mode(byte)))');
    else if (t.size === 8) {
      let needsWord = true;
      if (is64) needsWord = !t.values.some((v) => BigInt.asUintN(64, v.value) >> 32n !== 0n);
      if (needsWord) this.w(' __attribute__((mode(word)))');
    }
  }

  private emitFwdDef(id: number, t: BtfTypeOf<'fwd'>): void {
    this.w(`${t.union ? 'union' : 'struct'} ${this.typeName(id)}`);
  }

  private emitTypedefDef(id: number, t: { type: number }, lvl: number): void {
    const name = this.identName(id);
    if (t.type === 0 && name === '__gnuc_va_list') {
      this.w('typedef __builtin_va_list __gnuc_va_list');
      return;
    }
    this.w('typedef ');
    this.emitTypeDecl(t.type, name, lvl);
  }

  // --- declarations -----------------------------------------------------------------------

  private emitTypeDecl(id: number, fname: string, lvl: number): void {
    // Declarations nest (a function pointer's parameters are declarations), so chains are kept
    // per nesting depth and reused rather than allocated for each member and parameter.
    const decls = (this.declChains[this.declDepth] ??= { ids: [], cnt: 0 });
    let cnt = 0;
    for (let guard = 0; guard < 1024; guard++) {
      decls.ids[cnt++] = id;
      if (id === 0) break;
      const t = this.t(id);
      let next = -1;
      switch (t.kind) {
        case 'ptr': case 'volatile': case 'const': case 'restrict': case 'type_tag':
          next = t.type;
          break;
        case 'func_proto':
          next = t.returnType;
          break;
        case 'array':
          next = t.type;
          break;
        default:
          break;
      }
      if (next < 0) break;
      id = next;
    }
    decls.cnt = cnt;
    this.declDepth++;
    this.emitTypeChain(decls, fname, lvl);
    this.declDepth--;
  }

  private emitMods(decls: DeclChain): void {
    while (decls.cnt) {
      const t = this.t(decls.ids[decls.cnt - 1]);
      if (t.kind === 'volatile') this.w('volatile ');
      else if (t.kind === 'const') this.w('const ');
      else if (t.kind === 'restrict') this.w('restrict ');
      else return;
      decls.cnt--;
    }
  }

  private dropMods(decls: DeclChain): void {
    while (decls.cnt) {
      const k = this.t(decls.ids[decls.cnt - 1]).kind;
      if (k !== 'volatile' && k !== 'const' && k !== 'restrict' && k !== 'type_tag') return;
      decls.cnt--;
    }
  }

  private emitName(name: string, lastWasPtr: boolean): void {
    this.w(name && !lastWasPtr ? ' ' + name : name);
  }

  private emitTypeChain(decls: DeclChain, fname: string, lvl: number): void {
    let lastWasPtr = true;
    while (decls.cnt) {
      const id = decls.ids[--decls.cnt];
      if (id === 0) {
        this.emitMods(decls);
        this.w('void');
        lastWasPtr = false;
        continue;
      }
      const t = this.t(id);
      switch (t.kind) {
        case 'int': case 'float':
          this.emitMods(decls);
          this.w(t.name);
          break;
        case 'struct': case 'union':
          this.emitMods(decls);
          if (t.name === '') this.emitStructDef(id, t, lvl);
          else this.emitStructFwd(id, t);
          break;
        case 'enum': case 'enum64':
          this.emitMods(decls);
          if (t.name === '') this.emitEnumDef(id, t, lvl);
          else this.w(`enum ${this.typeName(id)}`);
          break;
        case 'fwd':
          this.emitMods(decls);
          this.emitFwdDef(id, t);
          break;
        case 'typedef':
          this.emitMods(decls);
          this.w(this.identName(id));
          break;
        case 'ptr':
          this.w(lastWasPtr ? '*' : ' *');
          break;
        case 'volatile':
          this.w(' volatile');
          break;
        case 'const':
          this.w(' const');
          break;
        case 'restrict':
          this.w(' restrict');
          break;
        case 'type_tag':
          this.emitMods(decls);
          this.w(t.attribute ? ` __attribute__((${t.name}))` : ` __attribute__((btf_type_tag("${t.name}")))`);
          break;
        case 'array': {
          this.dropMods(decls);
          if (decls.cnt === 0) {
            this.emitName(fname, lastWasPtr);
            this.w(`[${t.nelems}]`);
            return;
          }
          const next = this.t(decls.ids[decls.cnt - 1]);
          const multidim = next.kind === 'array';
          if (fname && !lastWasPtr) this.w(' ');
          if (!multidim) this.w('(');
          this.emitTypeChain(decls, fname, lvl);
          if (!multidim) this.w(')');
          this.w(`[${t.nelems}]`);
          return;
        }
        case 'func_proto': {
          this.dropMods(decls);
          if (decls.cnt) {
            this.w(' (');
            this.emitTypeChain(decls, fname, lvl);
            this.w(')');
          } else {
            this.emitName(fname, lastWasPtr);
          }
          this.w('(');
          const ps = t.params;
          if (ps.length === 0 || (ps.length === 1 && ps[0].type === 0)) {
            this.w('void)');
            return;
          }
          for (let i = 0; i < ps.length; i++) {
            if (i > 0) this.w(', ');
            if (i === ps.length - 1 && ps[i].type === 0) {
              this.w('...');
              break;
            }
            this.emitTypeDecl(ps[i].type, ps[i].name, lvl);
          }
          this.w(')');
          return;
        }
        default:
          return;
      }
      lastWasPtr = t.kind === 'ptr';
    }
    this.emitName(fname, lastWasPtr);
  }

  // --- names ------------------------------------------------------------------------------

  private nameDups(map: Map<string, number>, name: string): number {
    const n = (map.get(name) ?? 0) + 1;
    map.set(name, n);
    return n;
  }

  private resolveName(id: number, map: Map<string, number>): string {
    const t = this.t(id);
    if (t.name === '') return '';
    if (this.nameResolved[id]) return this.cachedNames[id] ?? t.name;
    this.nameResolved[id] = 1;
    if (t.kind === 'fwd' || (t.kind === 'enum' && t.values.length === 0)) return t.name;
    const dup = this.nameDups(map, t.name);
    if (dup > 1) this.cachedNames[id] = `${t.name}___${dup}`;
    return this.cachedNames[id] ?? t.name;
  }

  private typeName(id: number): string {
    return this.resolveName(id, this.typeNames);
  }

  private identName(id: number): string {
    return this.resolveName(id, this.identNames);
  }
}

function roundup(x: number, y: number): number {
  return Math.ceil(x / y) * y;
}

/** GCC's internal ARM SIMD polynomial types, aliased to standard integer types. */
const MISSING_BASE_TYPES = new Map([
  ['__Poly8_t', 'unsigned char'],
  ['__Poly16_t', 'unsigned short'],
  ['__Poly64_t', 'unsigned long long'],
  ['__Poly128_t', 'unsigned __int128'],
]);

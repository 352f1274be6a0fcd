// Struct and union layouts the checker can see: definitions written in the script, tracepoint
// argument records (built from tracefs format files, as bpftrace's TracepointFormatParser does), and
// kernel types from BTF. Types follow bpftrace's clang mapping: `char[N]` is string[N], other
// arrays are arrays, enums are unsigned, and pointers keep their pointee.
import type { Btf } from '../btf/btf.js';
import type { TracepointFormat } from '../sys/tracefs.js';
import { T, type Field, type SizedType, type Struct, alignmentOf } from './types.js';
import type { DwarfTypes } from './dwarf-types.js';

/** C integer type names and typedefs every kernel has, as [bits, signed]. */
const C_INTS: Record<string, [number, boolean]> = {
  char: [8, true], 'signed char': [8, true], 'unsigned char': [8, false], bool: [8, false], _Bool: [8, false],
  short: [16, true], 'short int': [16, true], 'signed short': [16, true], 'unsigned short': [16, false], 'short unsigned int': [16, false], 'unsigned short int': [16, false],
  int: [32, true], signed: [32, true], 'signed int': [32, true], unsigned: [32, false], 'unsigned int': [32, false],
  long: [64, true], 'long int': [64, true], 'signed long': [64, true], 'unsigned long': [64, false], 'long unsigned int': [64, false], 'unsigned long int': [64, false],
  'long long': [64, true], 'long long int': [64, true], 'unsigned long long': [64, false], 'long long unsigned int': [64, false], 'unsigned long long int': [64, false],
  u8: [8, false], u16: [16, false], u32: [32, false], u64: [64, false], s8: [8, true], s16: [16, true], s32: [32, true], s64: [64, true],
  __u8: [8, false], __u16: [16, false], __u32: [32, false], __u64: [64, false], __s8: [8, true], __s16: [16, true], __s32: [32, true], __s64: [64, true],
  uint8_t: [8, false], uint16_t: [16, false], uint32_t: [32, false], uint64_t: [64, false], int8_t: [8, true], int16_t: [16, true], int32_t: [32, true], int64_t: [64, true],
  pid_t: [32, true], uid_t: [32, false], gid_t: [32, false], size_t: [64, false], ssize_t: [64, true], loff_t: [64, true], umode_t: [16, false], dev_t: [32, false],
  __le16: [16, false], __le32: [32, false], __le64: [64, false], __be16: [16, false], __be32: [32, false], __be64: [64, false], clockid_t: [32, true], key_serial_t: [32, true],
  off_t: [64, true], time64_t: [64, true], sector_t: [64, false], gfp_t: [32, false], fmode_t: [32, false], qid_t: [32, false], cap_user_header_t: [64, false], aio_context_t: [64, false],
};

const QUALIFIERS = /\b(const|volatile|restrict|__user|__kernel|__percpu|__rcu|__iomem|__force|__bitwise|signed(?= (char|short|int|long)))\b/g;

/** Name under which bpftrace registers a tracepoint's argument record. */
export function tracepointStructName(category: string, name: string): string {
  return `struct _tracepoint_${category}_${name}`;
}

export class StructRegistry {
  private structs = new Map<string, Struct | null>();
  private enums = new Map<string, bigint>();

  /** Uprobe binaries' DWARF, by binary; read on the first struct lookup that needs it. */
  private dwarfSources = new Map<string, { load: () => DwarfTypes | undefined; types?: DwarfTypes | null }>();
  /**
   * Members of script-defined structs whose struct or union type the script does not define: they
   * take it from kernel BTF, or, when it is nowhere, are clang's "incomplete type" (`missing`).
   */
  readonly borrowed: { type: string; field: string; missing: boolean }[] = [];
  /** Struct and union names the script defines. */
  readonly scriptNames = new Set<string>();

  constructor(private readonly btf?: Btf) {}

  /**
   * Types of a uprobe's binary: consulted after script definitions and before kernel BTF, as
   * bpftrace does. `load` runs only if a lookup gets that far (reading DWARF costs tens of ms).
   */
  addDwarf(binary: string, load: () => DwarfTypes | undefined): void {
    if (!this.dwarfSources.has(binary)) this.dwarfSources.set(binary, { load });
  }

  /** A script enum constant (bpftrace types them as uint64). */
  enumValue(name: string): bigint | undefined {
    const v = this.enums.get(name);
    if (v !== undefined || !this.btf) return v;
    if (!this.btfEnums) {
      this.btfEnums = new Map();
      for (const t of this.btf.types) {
        if (t.kind === 'enum' || t.kind === 'enum64') for (const e of t.values) if (!this.btfEnums.has(e.name)) this.btfEnums.set(e.name, e.value);
      }
    }
    return this.btfEnums.get(name);
  }
  private btfEnums?: Map<string, bigint>;

  has(name: string): boolean {
    return this.lookup(name) !== undefined;
  }

  lookup(name: string): Struct | undefined {
    const known = this.structs.get(name);
    if (known !== undefined) return known ?? undefined;
    for (const src of this.dwarfSources.values()) {
      if (src.types === undefined) src.types = src.load() ?? null;
      const fromDwarf = src.types?.struct(name, (n) => this.lookup(n));
      if (fromDwarf) {
        this.structs.set(name, fromDwarf);
        return fromDwarf;
      }
    }
    const fromBtf = this.fromBtf(name);
    this.structs.set(name, fromBtf ?? null);
    return fromBtf;
  }

  add(s: Struct): void {
    this.structs.set(s.name, s);
  }

  /** Registers the `args` record of a tracepoint from its format. */
  addTracepoint(format: TracepointFormat): Struct {
    const name = tracepointStructName(format.category, format.name);
    const fields: Field[] = [];
    for (const f of format.fields) {
      let type: SizedType;
      if (f.dataLoc) type = T.int64();
      else if (f.arrayLength !== undefined) {
        const elem = this.parseType(f.type) ?? T.int(Math.max(8, (f.size / Math.max(1, f.arrayLength)) * 8), f.signed);
        type = f.type.replace(QUALIFIERS, '').trim() === 'char' || f.type.trim() === 'unsigned char' ? T.string(f.arrayLength) : T.array(f.arrayLength, elem);
      } else {
        const parsed = this.parseType(f.type);
        if (parsed && parsed.type !== 'integer') type = parsed;
        else if ([1, 2, 4, 8].includes(f.size)) type = T.int(f.size * 8, parsed ? parsed.signed : f.signed);
        else type = parsed ?? T.none();
      }
      fields.push({ name: f.name, type, offset: f.offset, ...(f.dataLoc ? { dataLoc: true } : {}) });
    }
    const last = format.fields[format.fields.length - 1];
    const size = last ? last.offset + last.size : 0;
    const s: Struct = { name, size, align: 8, fields };
    this.add(s);
    return s;
  }

  /** Parses `struct X { ... };` / `union U { ... }` / `enum E { ... }` text written in a script. */
  addDefinition(text: string): void {
    const m = /^\s*(struct|union|enum)\s+([A-Za-z_]\w*)?\s*\{([\s\S]*)\}\s*;?\s*$/.exec(text);
    if (!m) return;
    const [, kind, tag, body] = m;
    if (kind === 'enum') {
      let next = 0n;
      for (const item of body.split(',')) {
        const e = /^\s*([A-Za-z_]\w*)\s*(?:=\s*(.+?))?\s*$/.exec(item);
        if (!e) continue;
        if (e[2] !== undefined) {
          try {
            next = BigInt(e[2]);
          } catch {
            /* not a constant we can evaluate */
          }
        }
        this.enums.set(e[1], next);
        next++;
      }
      return;
    }
    const name = `${kind} ${tag ?? ''}`.trim();
    this.add(this.layout(name, kind === 'union', body));
    this.scriptNames.add(name);
  }

  /** Whether kernel BTF has this struct or union (script definitions aside; nothing is cached). */
  inKernel(name: string): boolean {
    const m = /^(struct|union) (.+)$/.exec(name);
    return !!m && !!this.btf?.findAll(m[2]).some((x) => x.kind === m[1]);
  }

  // C layout of a struct or union body: natural alignment, bitfields packed into storage units.
  private layout(name: string, isUnion: boolean, body: string): Struct {
    const fields: Field[] = [];
    let offset = 0;
    let align = 1;
    let size = 0;
    let bitPos = 0;
    let unitStart = -1;
    for (const member of splitMembers(body)) {
      for (const { type, name: fname, bits } of this.declarators(member)) {
        if (type.type === 'record' && !this.scriptNames.has(type.name ?? '')) this.borrowed.push({ type: type.name ?? '', field: fname, missing: !type.struct });
        const a = Math.max(1, alignmentOf(type));
        align = Math.max(align, a);
        if (isUnion) {
          fields.push({ name: fname, type, offset: 0, ...(bits !== undefined ? { bitfield: { bitOffset: 0, bitSize: bits } } : {}) });
          size = Math.max(size, type.size);
          continue;
        }
        if (bits !== undefined) {
          const unitBits = Math.max(1, type.size) * 8;
          if (unitStart < 0 || bitPos + bits > unitBits) {
            unitStart = offset + ((a - (offset % a)) % a);
            bitPos = 0;
          }
          fields.push({ name: fname, type, offset: unitStart, bitfield: { bitOffset: bitPos, bitSize: bits } });
          bitPos += bits;
          offset = unitStart + Math.ceil(bitPos / 8);
          continue;
        }
        unitStart = -1;
        bitPos = 0;
        offset += (a - (offset % a)) % a;
        fields.push({ name: fname, type, offset });
        offset += type.size;
      }
    }
    if (!isUnion) size = offset;
    size += (align - (size % align)) % align;
    return { name, size, align, fields };
  }

  // One member declaration: a type (possibly an inline struct/union) and its declarators.
  private declarators(decl: string): { type: SizedType; name: string; bits?: number }[] {
    let text = decl.trim();
    let base: SizedType | undefined;
    const inline = /^(struct|union)\s*([A-Za-z_]\w*)?\s*\{/.exec(text);
    if (inline) {
      let depth = 0;
      let end = -1;
      for (let i = inline[0].length - 1; i < text.length; i++) {
        if (text[i] === '{') depth++;
        else if (text[i] === '}' && --depth === 0) {
          end = i;
          break;
        }
      }
      if (end < 0) return [];
      const inner = text.slice(inline[0].length, end);
      const sname = inline[2] ? `${inline[1]} ${inline[2]}` : `${inline[1]} (anonymous)`;
      const st = this.layout(sname, inline[1] === 'union', inner);
      if (inline[2]) {
        this.add(st);
        this.scriptNames.add(sname);
      }
      base = T.record(sname, st);
      text = text.slice(end + 1).trim();
      if (!text) {
        // An anonymous member: its fields belong to the parent.
        return st.fields.map((f) => ({ type: f.type, name: f.name, bits: f.bitfield?.bitSize }));
      }
    }
    const parts = text.split(',');
    const out: { type: SizedType; name: string; bits?: number }[] = [];
    let typeText = '';
    for (let i = 0; i < parts.length; i++) {
      const d = /^(.*?)(\**)\s*([A-Za-z_]\w*)\s*((?:\[\s*\d+\s*\])*)\s*(?::\s*(\d+))?\s*$/.exec(parts[i].trim());
      if (!d) continue;
      if (i === 0 && !base) typeText = d[1].trim();
      let t = base ?? this.parseType(typeText) ?? T.none();
      for (let p = 0; p < d[2].length; p++) t = T.pointer(t);
      const dims = [...d[4].matchAll(/\[\s*(\d+)\s*\]/g)].map((x) => Number(x[1]));
      const isChar = t.type === 'integer' && t.size === 1 && /\bchar\b/.test(typeText) && d[2] === '';
      for (let k = dims.length - 1; k >= 0; k--) t = k === dims.length - 1 && isChar ? T.string(dims[k]) : T.array(dims[k], t);
      out.push({ type: t, name: d[3], bits: d[5] !== undefined ? Number(d[5]) : undefined });
    }
    return out;
  }

  /** A C type name (`const char *`, `struct file *`, `u64`) as a SizedType, or undefined if unknown. */
  parseType(text: string): SizedType | undefined {
    let t = text.replace(QUALIFIERS, ' ').replace(/\s+/g, ' ').trim();
    let pointers = 0;
    while (t.endsWith('*')) {
      pointers++;
      t = t.slice(0, -1).trim();
    }
    let base: SizedType | undefined;
    const ci = C_INTS[t];
    if (ci) base = T.int(ci[0], ci[1]);
    else if (t === 'void') base = T.none();
    else if (/^(struct|union) /.test(t)) {
      const s = this.lookup(t);
      base = T.record(t, s);
    } else if (/^enum /.test(t)) base = T.uint(32);
    else if (this.btf) {
      const id = this.btf.findAll(t).find((x) => x.kind === 'typedef')?.id;
      if (id !== undefined) base = this.fromBtfType(id, 0);
    }
    if (!base) return undefined;
    for (let i = 0; i < pointers; i++) base = T.pointer(base);
    return base;
  }

  private fromBtf(name: string): Struct | undefined {
    if (!this.btf) return undefined;
    const m = /^(struct|union) (.+)$/.exec(name);
    if (!m) return undefined;
    const t = this.btf.findAll(m[2]).find((x) => x.kind === m[1]);
    if (!t || (t.kind !== 'struct' && t.kind !== 'union')) return undefined;
    const s: Struct = { name, size: t.size, align: 1, fields: [] };
    this.structs.set(name, s);
    this.fillFields(s, t.members, 0, 0);
    s.align = Math.max(1, ...s.fields.map((f) => alignmentOf(f.type)));
    return s;
  }

  // Anonymous struct/union members are flattened into the parent, as clang presents them.
  private fillFields(s: Struct, members: { name: string; type: number; bitOffset: number; bitfieldSize: number }[], baseBits: number, depth: number): void {
    const btf = this.btf!;
    for (const m of members) {
      const bitOffset = baseBits + m.bitOffset;
      if (!m.name) {
        const inner = btf.type(btf.resolve(m.type));
        if ((inner.kind === 'struct' || inner.kind === 'union') && depth < 8) this.fillFields(s, inner.members, bitOffset, depth + 1);
        continue;
      }
      const type = this.fromBtfType(m.type, 0);
      if (m.bitfieldSize) {
        const unit = Math.max(1, type.size);
        const byte = Math.floor(bitOffset / 8);
        const start = Math.floor(byte / unit) * unit;
        s.fields.push({ name: m.name, type, offset: start, bitfield: { bitOffset: bitOffset - start * 8, bitSize: m.bitfieldSize } });
      } else s.fields.push({ name: m.name, type, offset: Math.floor(bitOffset / 8) });
    }
  }

  /** A BTF type as a SizedType. */
  fromBtfType(id: number, depth: number): SizedType {
    const btf = this.btf!;
    if (id === 0 || depth > 16) return T.none();
    const t = btf.type(id);
    switch (t.kind) {
      case 'int':
        if (t.bool) return T.uint(8);
        return T.int(t.size * 8, t.signed || (t.char && t.name === 'char'));
      case 'ptr':
        return T.pointer(this.fromBtfType(t.type, depth + 1));
      case 'typedef':
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
        return this.fromBtfType(t.type, depth + 1);
      case 'array': {
        const elem = this.fromBtfType(t.type, depth + 1);
        const et = btf.type(btf.resolve(t.type));
        if (et.kind === 'int' && et.size === 1 && et.char) return T.string(t.nelems);
        return T.array(t.nelems, elem);
      }
      case 'struct':
      case 'union': {
        const name = `${t.kind} ${t.name}`;
        if (!t.name) {
          const s: Struct = { name: '', size: t.size, align: 1, fields: [] };
          this.fillFields(s, t.members, 0, depth + 1);
          return T.record(name, s);
        }
        return T.record(name, this.lookup(name));
      }
      case 'enum':
      case 'enum64':
        return T.uint(t.size * 8);
      case 'fwd':
        return T.record(`${t.union ? 'union' : 'struct'} ${t.name}`, this.lookup(`${t.union ? 'union' : 'struct'} ${t.name}`));
      default:
        return T.none();
    }
  }
}

function splitMembers(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of body) {
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (c === ';' && depth === 0) {
      if (cur.trim()) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

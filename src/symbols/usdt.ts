// USDT probes (the pure half): `.note.stapsdt` notes → where to put the uprobe, where the
// semaphore is, and how to fetch each argument from struct pt_regs — the same computation as
// libbpf's usdt.c, with pt_regs field offsets taken from the running kernel's BTF.
import { readFileSync } from 'node:fs';
import { ParseError, NotSupportedError } from '../sys/errors.js';
import { decodeBtf } from '../btf/decode.js';
import type { BtfType } from '../btf/types.js';
import type { ElfFile } from '../elf/reader.js';
import { ET_DYN, loadSegments, notes, NT_STAPSDT, PF_X, readElfImage, sectionAddress, segmentForAddress } from '../elf/image.js';

export type UsdtArgType = 'const' | 'reg' | 'reg_deref';

export interface UsdtArgSpec {
  type: UsdtArgType;
  /** Size in bytes: 1, 2, 4 or 8. */
  size: number;
  signed: boolean;
  /** The register as written in the note ('edi', 'rbp'); undefined for constants. */
  reg?: string;
  /** Offset of the register's field in struct pt_regs (0 for constants). */
  regOffset: number;
  /** The constant, or the displacement added to the register before dereferencing. */
  valOffset: bigint;
  /** 64 - size*8: how far libbpf's BPF side shifts left then right to narrow and sign-extend. */
  bitshift: number;
  /** The argument text, e.g. '-4@-20(%rbp)'. */
  text: string;
}

export interface UsdtProbe {
  provider: string;
  name: string;
  /** Note fields as recorded: the probe's address, .stapsdt.base's address at link time, the semaphore's address. */
  pc: number;
  base: number;
  semaphore: number;
  /** The argument string, e.g. '-4@%edi 8@%rax'. */
  args: string;
  /** The probe address after prelink adjustment (.stapsdt.base moved since the note was written). */
  address: number;
  /** File offset of the probe (the uprobe offset). */
  offset: number;
  /** File offset of the semaphore (the uprobe's ref_ctr_offset); 0 without a semaphore. */
  semaphoreOffset: number;
  /** Path of the file the probe is in. */
  path: string | undefined;
  /** The file is ET_DYN (a shared library or PIE). */
  sharedObject: boolean;
}

const NOTE_SECTION = '.note.stapsdt';
const BASE_SECTION = '.stapsdt.base';
const SEMA_SECTION = '.probes';

/** The maximum argument count libbpf's usdt.bpf.h supports (BPF_USDT_MAX_ARG_CNT). */
export const USDT_MAX_ARGS = 12;

function fail(file: string | undefined, reason: string): never {
  throw new ParseError(`USDT: ${reason}`, { file, line: 1, column: 1 });
}

/** Reads every USDT probe of an executable or shared library (a path or an already-read file). */
export function readUsdtProbes(target: string | ElfFile): UsdtProbe[] {
  const elf = typeof target === 'string' ? readElfImage(target) : target;
  const file = elf.file;
  const noteSec = elf.sectionByName(NOTE_SECTION);
  if (!noteSec) return [];
  const segs = loadSegments(elf);
  const baseSec = elf.sectionByName(BASE_SECTION);
  const baseAddr = baseSec ? sectionAddress(elf, baseSec) : 0;
  const semaSec = elf.sectionByName(SEMA_SECTION);
  const le = elf.littleEndian;
  const out: UsdtProbe[] = [];
  for (const n of notes(elf, NOTE_SECTION)) {
    if (n.name !== 'stapsdt' || n.type !== NT_STAPSDT) continue;
    const d = n.desc;
    if (d.length < 24 + 3) fail(file, `note of ${d.length} bytes is too short`);
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const num = (at: number): number => {
      const v = dv.getBigUint64(at, le);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(file, `address 0x${v.toString(16)} in a note is out of range`);
      return Number(v);
    };
    const pc = num(0);
    const base = num(8);
    const semaphore = num(16);
    const strs: string[] = [];
    let p = 24;
    for (let k = 0; k < 3; k++) {
      const end = d.indexOf(0, p);
      if (end < 0) fail(file, 'unterminated string in a note');
      strs.push(Buffer.from(d.buffer, d.byteOffset + p, end - p).toString('utf8'));
      p = end + 1;
    }
    const [provider, name, args] = strs;
    // Prelink may move the image after the note was written; .stapsdt.base moved by the same amount.
    const address = baseAddr && base ? pc + (baseAddr - base) : pc;
    const seg = segmentForAddress(segs, address);
    if (!seg) fail(file, `probe ${provider}:${name} at 0x${address.toString(16)} lies in no loadable segment`);
    if (!(seg.flags & PF_X)) fail(file, `probe ${provider}:${name} at 0x${address.toString(16)} lies in a segment that is not executable`);
    let semaphoreOffset = 0;
    if (semaphore) {
      const s = segmentForAddress(segs, semaphore);
      if (s && !(s.flags & PF_X)) semaphoreOffset = semaphore - s.vaddr + s.offset;
      else if (semaSec && semaphore >= sectionAddress(elf, semaSec) && semaphore < sectionAddress(elf, semaSec) + semaSec.size) {
        semaphoreOffset = semaphore - sectionAddress(elf, semaSec) + semaSec.offset;
      } else fail(file, `semaphore of ${provider}:${name} at 0x${semaphore.toString(16)} lies in no writable loadable segment`);
    }
    out.push({
      provider, name, pc, base, semaphore, args,
      address,
      offset: address - seg.vaddr + seg.offset,
      semaphoreOffset,
      path: file,
      sharedObject: elf.elfType === ET_DYN,
    });
  }
  return out;
}

/** The probes named provider:name (one probe site per inlined copy, so there may be several). */
export function findUsdtProbes(target: string | ElfFile, provider: string, name: string): UsdtProbe[] {
  const all = readUsdtProbes(target);
  const hits = all.filter((p) => p.provider === provider && p.name === name);
  if (hits.length === 0) {
    const file = typeof target === 'string' ? target : target.file;
    const known = [...new Set(all.map((p) => `${p.provider}:${p.name}`))];
    fail(file, `no probe ${provider}:${name}${known.length ? `; the file has ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''}` : ' (the file has no .note.stapsdt probes)'}`);
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------
// Registers

/** Offsets of named fields of struct pt_regs, from kernel BTF (x86-64 names: ax, bx, ..., ip, sp). */
export type PtRegsOffsets = ReadonlyMap<string, number>;

/** Finds struct pt_regs in decoded BTF types and maps its members (unions flattened) to byte offsets. */
export function ptRegsOffsetsFromBtf(types: readonly BtfType[]): PtRegsOffsets {
  const byId = new Map<number, BtfType>();
  for (const t of types) byId.set(t.id, t);
  const st = types.find((t) => t.kind === 'struct' && t.name === 'pt_regs');
  if (!st || st.kind !== 'struct') throw new NotSupportedError('struct pt_regs in kernel BTF');
  const out = new Map<string, number>();
  const walk = (t: BtfType | undefined, base: number, depth: number): void => {
    if (!t || depth > 4 || (t.kind !== 'struct' && t.kind !== 'union')) return;
    for (const m of t.members) {
      const off = base + m.bitOffset / 8;
      if (m.name) {
        if (!out.has(m.name)) out.set(m.name, off);
      } else walk(resolveType(byId, m.type), off, depth + 1);
    }
  };
  walk(st, 0, 0);
  return out;
}

function resolveType(byId: Map<number, BtfType>, id: number): BtfType | undefined {
  let t = byId.get(id);
  for (let i = 0; t && i < 16 && (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile'); i++) t = byId.get(t.type);
  return t;
}

let kernelRegs: PtRegsOffsets | undefined;

/** pt_regs offsets of the running kernel, read from /sys/kernel/btf/vmlinux once. */
export function kernelPtRegsOffsets(): PtRegsOffsets {
  if (!kernelRegs) {
    let buf: Buffer;
    try {
      buf = readFileSync('/sys/kernel/btf/vmlinux');
    } catch {
      throw new NotSupportedError('kernel BTF (/sys/kernel/btf/vmlinux)', 'needed to locate struct pt_regs fields for USDT arguments');
    }
    kernelRegs = ptRegsOffsetsFromBtf(decodeBtf(buf, { file: '/sys/kernel/btf/vmlinux' }).types);
  }
  return kernelRegs;
}

/** x86-64 register spellings (64/32/16/8-bit) → the kernel's pt_regs field. */
const X86_64_REGS: Record<string, string> = (() => {
  const m: Record<string, string> = { rip: 'ip', eip: 'ip' };
  for (const [field, names] of Object.entries({
    ax: ['rax', 'eax', 'ax', 'al'], bx: ['rbx', 'ebx', 'bx', 'bl'], cx: ['rcx', 'ecx', 'cx', 'cl'], dx: ['rdx', 'edx', 'dx', 'dl'],
    si: ['rsi', 'esi', 'si', 'sil'], di: ['rdi', 'edi', 'di', 'dil'], bp: ['rbp', 'ebp', 'bp', 'bpl'], sp: ['rsp', 'esp', 'sp', 'spl'],
  })) for (const n of names) m[n] = field;
  for (let i = 8; i <= 15; i++) for (const s of ['', 'd', 'w', 'b']) m[`r${i}${s}`] = `r${i}`;
  return m;
})();

/** The pt_regs offset of an x86-64 register name (without '%'). */
export function x86RegisterOffset(reg: string, regs: PtRegsOffsets): number {
  const field = X86_64_REGS[reg];
  if (field === undefined) throw new ParseError(`USDT: unsupported register '%${reg}'`, { line: 1, column: 1 });
  const off = regs.get(field);
  if (off === undefined) throw new NotSupportedError(`pt_regs field '${field}' in kernel BTF`);
  return off;
}

// ---------------------------------------------------------------------------------------------
// Argument specs (x86-64 GNU as syntax)

const NUM = '[-+]?(?:0x[0-9a-fA-F]+|\\d+)';
const RE_DEREF = new RegExp(`^(${NUM})?\\(%([a-z0-9]+)\\)$`);
const RE_SIB = /^[^()]*\(%?[a-z0-9]*,\s*%?[a-z0-9]+(?:,\s*\d+)?\)$/;

function parseNum(s: string): bigint {
  const neg = s.startsWith('-');
  const body = s.replace(/^[-+]/, '');
  const v = BigInt(body);
  return neg ? -v : v;
}

/**
 * Parses one argument, e.g. '-4@%edi', '8@-8(%rbp)', '4@$5', '8@(%rsp)'. Forms libbpf rejects
 * (base+index*scale, '8@(%rax,%rdx,8)', and symbol(%rip) addressing) are rejected with a reason.
 */
export function parseUsdtArg(text: string, regs: PtRegsOffsets = kernelPtRegsOffsets(), pos: { file?: string; column?: number; source?: string } = {}): UsdtArgSpec {
  const err = (reason: string): never => {
    throw new ParseError(`USDT argument '${text}': ${reason}`, { file: pos.file, line: 1, column: pos.column ?? 1, length: text.length }, pos.source);
  };
  const at = text.indexOf('@');
  if (at < 0) err("expected SIZE@LOCATION (no '@')");
  const sizeText = text.slice(0, at).trim();
  if (!/^[-+]?\d+$/.test(sizeText)) err(`bad size '${sizeText}'`);
  const sz = Number(sizeText);
  const size = Math.abs(sz);
  if (![1, 2, 4, 8].includes(size)) err(`size ${size} is not 1, 2, 4 or 8`);
  const signed = sz < 0;
  const loc = text.slice(at + 1).trim();
  const base = { size, signed, bitshift: 64 - size * 8, text };
  let m: RegExpExecArray | null;
  if ((m = /^\$(.+)$/.exec(loc))) {
    if (!new RegExp(`^${NUM}$`).test(m[1])) err(`constant '${m[1]}' is not a number`);
    return { ...base, type: 'const', regOffset: 0, valOffset: parseNum(m[1]) };
  }
  if ((m = /^%([a-z0-9]+)$/.exec(loc))) {
    return { ...base, type: 'reg', reg: m[1], regOffset: regOffset(m[1], regs, err), valOffset: 0n };
  }
  if ((m = RE_DEREF.exec(loc))) {
    if (m[2] === 'rip') err('rip-relative addressing is not supported (libbpf rejects it too)');
    return { ...base, type: 'reg_deref', reg: m[2], regOffset: regOffset(m[2], regs, err), valOffset: m[1] ? parseNum(m[1]) : 0n };
  }
  if (RE_SIB.test(loc)) err('base+index*scale addressing is not supported (libbpf rejects it too)');
  if (/\(%rip\)$/.test(loc)) err('symbol(%rip) addressing is not supported (libbpf rejects it too)');
  return err('unrecognized location');
}

function regOffset(reg: string, regs: PtRegsOffsets, err: (r: string) => never): number {
  const field = X86_64_REGS[reg];
  if (field === undefined) err(`unsupported register '%${reg}'`);
  const off = regs.get(field);
  if (off === undefined) err(`pt_regs has no field '${field}' in this kernel's BTF`);
  return off!;
}

/** Parses a whole argument string ('-4@%edi 8@-8(%rbp)'); an empty string is zero arguments. */
export function parseUsdtArgs(args: string, regs: PtRegsOffsets = kernelPtRegsOffsets(), file?: string): UsdtArgSpec[] {
  const out: UsdtArgSpec[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(args))) {
    if (out.length === USDT_MAX_ARGS) {
      throw new ParseError(`USDT: more than ${USDT_MAX_ARGS} arguments`, { file, line: 1, column: m.index + 1 }, args);
    }
    out.push(parseUsdtArg(m[0], regs, { file, column: m.index + 1, source: args }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The spec as libbpf's usdt.bpf.h reads it from its specs map

/** sizeof(struct __bpf_usdt_spec): 12 args × 16 bytes, u64 cookie, short count, padding. */
export const USDT_SPEC_SIZE = 208;

const ARG_TYPE_NUM: Record<UsdtArgType, number> = { const: 0, reg: 1, reg_deref: 2 };

/**
 * Encodes specs as struct __bpf_usdt_spec { struct __bpf_usdt_arg_spec args[12]; u64 usdt_cookie;
 * short arg_cnt; }, each arg { u64 val_off; enum arg_type; short reg_off; bool arg_signed; char arg_bitshift; }.
 */
export function encodeUsdtSpec(args: readonly UsdtArgSpec[], cookie = 0n): Buffer {
  if (args.length > USDT_MAX_ARGS) throw new RangeError(`at most ${USDT_MAX_ARGS} USDT arguments`);
  const b = Buffer.alloc(USDT_SPEC_SIZE);
  args.forEach((a, i) => {
    const o = i * 16;
    b.writeBigUInt64LE(BigInt.asUintN(64, a.valOffset), o);
    b.writeUInt32LE(ARG_TYPE_NUM[a.type], o + 8);
    b.writeInt16LE(a.regOffset, o + 12);
    b.writeUInt8(a.signed ? 1 : 0, o + 14);
    b.writeInt8(a.bitshift, o + 15);
  });
  b.writeBigUInt64LE(BigInt.asUintN(64, cookie), 192);
  b.writeInt16LE(args.length, 200);
  return b;
}

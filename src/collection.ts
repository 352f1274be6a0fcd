// Collection: an ELF object's maps and programs turned into kernel objects, as libbpf's
// bpf_object__load does: BTF first, then maps (reusing pins), then programs with their
// references, CO-RE relocations and BTF line info filled in.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BpfMap } from './map.js';
import { Program } from './program.js';
import * as bpf from './sys/bpf.js';
import type { Fd } from './sys/fd.js';
import { BpfError, NotSupportedError } from './sys/errors.js';
import { mapFlagsNumber } from './sys/names.js';
import { CollectionSpec, type ProgramSpec as ElfProgramSpec, type MapSpec as ElfMapSpec, type VariableSpec } from './elf/index.js';
import { kernelBtf, kernelBtfTargets, applyCoreRelocations, type Btf } from './btf/index.js';
import { patchKsymInsn, resolveKsyms, type KsymResolution } from './ksyms.js';
import { btfForKernel, probeBtfFeatures } from './btf-features.js';
import type { BtfFeatures } from './btf/sanitize.js';

export interface CollectionOptions {
  /** Where maps declared with pinning by name are pinned and reused (default /sys/fs/bpf). */
  pinPath?: string;
  /** Use these maps instead of creating the ones with the same name. */
  replaceMaps?: Record<string, BpfMap>;
  /** Load only these programs (default: every program the object marks autoload). */
  programs?: string[];
  /** Verifier log level for every program (0: only on failure). */
  logLevel?: 0 | 1 | 2;
  /** BTF features to assume instead of probing the kernel (kinds set to false are sanitised away). */
  btfFeatures?: BtfFeatures;
}

/** A global variable of a loaded collection, read and written through its data map. */
export class Variable {
  readonly name: string;
  readonly map: BpfMap;
  readonly offset: number;
  readonly size: number;
  readonly readonly: boolean;
  constructor(spec: VariableSpec, map: BpfMap) {
    this.name = spec.name;
    this.map = map;
    this.offset = spec.offset;
    this.size = spec.size;
    this.readonly = spec.readonly;
  }

  /** The variable's current bytes. */
  get(): Buffer {
    const value = this.map.lookup(0);
    if (!value) throw new BpfError(`reading variable ${this.name}`, 2);
    return value.subarray(this.offset, this.offset + this.size);
  }

  /** Writes the variable (not for .rodata: it is frozen at load time). */
  set(bytes: Uint8Array): void {
    if (this.readonly) throw new TypeError(`${this.name} is read-only after load (.rodata); set it on the CollectionSpec before loading`);
    if (bytes.length !== this.size) throw new TypeError(`${this.name} expected ${this.size} bytes got ${bytes.length}`);
    const value = this.map.lookup(0)!;
    Buffer.from(bytes).copy(value, this.offset);
    this.map.update(0, value);
  }
}

/** Sets a global variable's initial value on a spec, before the collection is loaded. */
export function setVariable(spec: CollectionSpec, name: string, bytes: Uint8Array): void {
  const v = spec.variables[name];
  if (!v) throw new TypeError(`no global variable ${name}; the object has: ${Object.keys(spec.variables).join(', ')}`);
  if (bytes.length !== v.size) throw new TypeError(`${name} expected ${v.size} bytes got ${bytes.length}`);
  const m = spec.maps[v.map];
  if (!m.data || m.data.length < v.offset + v.size) m.data = Buffer.concat([m.data ?? Buffer.alloc(0), Buffer.alloc(m.valueSize)]).subarray(0, m.valueSize);
  Buffer.from(bytes).copy(m.data, v.offset);
}

export class Collection implements Disposable {
  readonly spec: CollectionSpec;
  readonly maps: Record<string, BpfMap> = {};
  readonly programs: Record<string, Program> = {};
  readonly variables: Record<string, Variable> = {};
  #btf?: Fd;
  #owned = new Set<BpfMap>();
  #ksyms?: Map<string, KsymResolution>;

  private constructor(spec: CollectionSpec) {
    this.spec = spec;
  }

  /** Parses (if given a path) and loads everything; on failure nothing is left behind. */
  static load(source: string | CollectionSpec, opts: CollectionOptions = {}): Collection {
    const spec = typeof source === 'string' ? CollectionSpec.fromFile(source) : source;
    const c = new Collection(spec);
    try {
      c.#loadBtf(opts);
      c.#createMaps(opts);
      c.#loadPrograms(opts);
      c.#fillSlots();
      for (const [name, v] of Object.entries(spec.variables)) {
        const map = c.maps[v.map];
        if (map) c.variables[name] = new Variable(v, map);
      }
      return c;
    } catch (e) {
      c.close();
      throw e;
    }
  }

  #loadBtf(opts: CollectionOptions): void {
    if (!this.spec.btf) return;
    const features = opts.btfFeatures ?? probeBtfFeatures();
    const { raw } = btfForKernel(this.spec.btf, features);
    const r = bpf.btfLoad(raw);
    // Like libbpf: an object whose BTF the kernel refuses still loads, without BTF.
    if (r.fd) this.#btf = r.fd;
    // func_info needs FUNC types; without them the kernel would refuse the programs' BTF info
    this.#funcInfo = features.func !== false;
  }
  #funcInfo = true;

  #createMaps(opts: CollectionOptions): void {
    const pinPath = opts.pinPath ?? '/sys/fs/bpf';
    for (const [name, ms] of Object.entries(this.spec.maps)) {
      const replacement = opts.replaceMaps?.[name];
      if (replacement) {
        checkCompatible(ms, replacement);
        this.maps[name] = replacement;
        continue;
      }
      const pin = ms.pinning === 'by_name' ? join(pinPath, ms.name) : undefined;
      if (pin && existsSync(pin)) {
        const existing = BpfMap.fromPinned(pin);
        try {
          checkCompatible(ms, existing);
        } catch (e) {
          existing.close();
          throw e;
        }
        this.#own(name, existing);
        continue;
      }
      const map = this.#create(ms);
      this.#own(name, map);
      if (ms.data && ms.data.length) map.update(0, padTo(ms.data, ms.valueSize));
      if (ms.internal === 'kconfig') map.update(0, kconfigValues(this.spec, ms));
      if (ms.internal === 'rodata' || ms.internal === 'kconfig') map.freeze();
      if (pin) map.pin(pin);
    }
  }

  #create(ms: ElfMapSpec): BpfMap {
    const inner = ms.innerMap ? this.#create(ms.innerMap) : undefined;
    try {
      const create = (btf: number | undefined) => BpfMap.create({
        type: ms.typeNumber, keySize: ms.keySize, valueSize: ms.valueSize, maxEntries: ms.maxEntries,
        flags: ms.flags, name: ms.kernelName, innerMap: inner, numaNode: ms.numaNode, mapExtra: ms.mapExtra,
        btfFd: btf, btfKeyTypeId: btf ? ms.keyTypeId ?? 0 : undefined, btfValueTypeId: btf ? ms.valueTypeId : undefined,
      });
      const btf = this.#btf && ms.valueTypeId !== undefined ? this.#btf.raw : undefined;
      if (btf === undefined) return create(undefined);
      try {
        return create(btf);
      } catch (e) {
        // Like libbpf: a map whose BTF description the kernel refuses (e.g. a data map whose
        // DATASEC was sanitised into a struct) is created without it.
        if (e instanceof BpfError && e.code === 'EINVAL') return create(undefined);
        throw e;
      }
    } catch (e) {
      if (e instanceof BpfError) throw new BpfError(`creating map ${ms.name}`, e.errno, e.message);
      throw e;
    } finally {
      inner?.close();
    }
  }

  #own(name: string, map: BpfMap): void {
    this.maps[name] = map;
    this.#owned.add(map);
  }

  #loadPrograms(opts: CollectionOptions): void {
    const wanted = opts.programs;
    let targets: Btf[] | undefined;
    for (const [name, ps] of Object.entries(this.spec.programs)) {
      if (wanted ? !wanted.includes(name) : !ps.autoload) continue;
      const insns = Buffer.from(ps.instructions);
      if (ps.coreRelos.length) {
        if (!this.spec.btf) throw new BpfError(`program ${name}`, 22, 'the program has CO-RE relocations but the object has no BTF');
        targets ??= kernelBtfTargets();
        applyCoreRelocations(insns, ps.coreRelos, this.spec.btf, targets);
      }
      this.#patchReferences(ps, insns);
      const attach = attachTarget(ps);
      this.programs[name] = Program.load({
        type: ps.type as Parameters<typeof Program.load>[0]['type'],
        instructions: insns,
        license: ps.license || this.spec.license || 'GPL',
        name: ps.name,
        section: ps.sectionName,
        expectedAttachType: ps.expectedAttachType as Parameters<typeof Program.load>[0]['expectedAttachType'],
        kernelVersion: ps.kernelVersion || this.spec.kernelVersion,
        flags: (ps.sleepable ? 1 << 4 : 0) | (ps.xdpFrags ? 1 << 5 : 0),
        attachBtfId: attach,
        logLevel: opts.logLevel,
        btf: this.#btf && this.#funcInfo ? {
          fd: this.#btf.raw,
          funcInfo: encodeFuncInfo(ps), funcInfoRecSize: 8,
          lineInfo: encodeLineInfo(ps), lineInfoRecSize: 16,
        } : undefined,
      });
    }
  }

  /** Fills map fds and data addresses into the ld_imm64 instructions that name them. */
  #patchReferences(ps: ElfProgramSpec, insns: Buffer): void {
    for (const ref of ps.references) {
      const at = ref.insn * 8;
      if (ref.kind === 'extern') {
        this.#ksyms ??= resolveKsyms(this.spec, kernelBtf);
        const r = this.#ksyms.get(ref.name);
        if (!r) throw new NotSupportedError(`extern ${ref.name}`, 'only .ksyms and .kconfig externs (declared with __ksym or __kconfig, compiled with -g) can be resolved');
        patchKsymInsn(insns, ref.insn, ref.call, r, this.spec.externs.findIndex((e) => e.name === ref.name));
        continue;
      }
      const map = this.maps[ref.map];
      if (!map) throw new BpfError(`program ${ps.name}`, 22, `refers to map ${ref.map}, which the object does not define`);
      const src = ref.kind === 'map' ? 1 : 2; // BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE
      insns[at + 1] = (insns[at + 1] & 0x0f) | (src << 4);
      insns.writeInt32LE(map.fd.raw, at + 4);
      insns.writeInt32LE(ref.kind === 'map_value' ? ref.offset : 0, at + 12);
    }
  }

  #fillSlots(): void {
    for (const [name, ms] of Object.entries(this.spec.maps)) {
      for (const slot of ms.contents ?? []) {
        const value = this.programs[slot.value] ?? this.maps[slot.value];
        if (!value) throw new BpfError(`filling ${name}[${slot.key}]`, 2, `no program or map named ${slot.value}`);
        this.maps[name].update(slot.key, value);
      }
    }
  }

  close(): void {
    for (const p of Object.values(this.programs)) p.close();
    for (const m of this.#owned) m.close();
    this.#owned.clear();
    this.#btf?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function padTo(data: Buffer, size: number): Buffer {
  if (data.length === size) return data;
  const out = Buffer.alloc(size);
  data.copy(out, 0, 0, Math.min(size, data.length));
  return out;
}

function checkCompatible(ms: ElfMapSpec, map: BpfMap): void {
  const problems: string[] = [];
  if (map.typeId !== ms.typeNumber) problems.push(`type ${map.type} (object wants ${ms.type})`);
  if (map.keySize !== ms.keySize) problems.push(`key size ${map.keySize} (object wants ${ms.keySize})`);
  if (map.valueSize !== ms.valueSize) problems.push(`value size ${map.valueSize} (object wants ${ms.valueSize})`);
  if (map.maxEntries !== ms.maxEntries) problems.push(`max_entries ${map.maxEntries} (object wants ${ms.maxEntries})`);
  if (problems.length) throw new BpfError(`reusing map ${ms.name}`, 22, `the existing map differs: ${problems.join(', ')}; remove the pin or change the object`);
}

/** The BTF id a tracing program attaches to, from its section (fentry/do_x, tp_btf/sched_switch, lsm/file_open). */
function attachTarget(ps: ElfProgramSpec): number | undefined {
  if (!ps.attachTo || !['tracing', 'lsm', 'ext'].includes(ps.type)) return undefined;
  const btf = kernelBtf();
  let name = ps.attachTo;
  let kind: 'func' | 'typedef' = 'func';
  if (ps.expectedAttachType === 'trace_raw_tp') {
    name = `btf_trace_${name}`;
    kind = 'typedef';
  } else if (ps.type === 'lsm') name = `bpf_lsm_${name}`;
  const t = btf.find(name, kind);
  if (!t) throw new BpfError(`program ${ps.name}`, 2, `the kernel's BTF has no ${kind} ${name} to attach ${ps.sectionName} to`);
  return t.id;
}

function encodeFuncInfo(ps: ElfProgramSpec): Buffer {
  const b = Buffer.alloc(ps.funcInfo.length * 8);
  ps.funcInfo.forEach((f, i) => {
    b.writeUInt32LE(f.insnOff, i * 8);
    b.writeUInt32LE(f.typeId, i * 8 + 4);
  });
  return b;
}

function encodeLineInfo(ps: ElfProgramSpec): Buffer {
  const b = Buffer.alloc(ps.lineInfo.length * 16);
  ps.lineInfo.forEach((l, i) => {
    b.writeUInt32LE(l.insnOff, i * 16);
    b.writeUInt32LE(l.fileNameOff, i * 16 + 4);
    b.writeUInt32LE(l.lineOff, i * 16 + 8);
    b.writeUInt32LE(((l.line << 10) | (l.column & 0x3ff)) >>> 0, i * 16 + 12);
  });
  return b;
}

/** The running kernel's configuration (/proc/config.gz), parsed once. */
let kconfig: Map<string, string> | undefined;
function kernelConfig(): Map<string, string> {
  if (kconfig) return kconfig;
  kconfig = new Map();
  for (const path of ['/proc/config.gz', `/boot/config-${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`]) {
    if (!existsSync(path)) continue;
    const text = path.endsWith('.gz') ? gunzipSync(readFileSync(path)).toString() : readFileSync(path, 'utf8');
    for (const line of text.split('\n')) {
      const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
      if (m) kconfig.set(m[1], m[2]);
    }
    break;
  }
  return kconfig;
}

/** Values of the object's .kconfig externs: CONFIG_* from the kernel's config, LINUX_KERNEL_VERSION from uname. */
function kconfigValues(spec: CollectionSpec, ms: ElfMapSpec): Buffer {
  const out = Buffer.alloc(ms.valueSize);
  for (const v of Object.values(spec.variables)) {
    if (v.map !== ms.name) continue;
    let value = 0n;
    if (v.name === 'LINUX_KERNEL_VERSION') {
      const [a, b, c] = readFileSync('/proc/sys/kernel/osrelease', 'utf8').split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
      value = BigInt((a << 16) + (b << 8) + Math.min(c, 255));
    } else {
      const raw = kernelConfig().get(v.name);
      if (raw === undefined && !spec.externs.some((e) => e.name === v.name && e.weak)) {
        throw new NotSupportedError(`kernel config ${v.name}`, `the running kernel's configuration has no value for extern '${v.name}' (declare it __weak to default to 0)`);
      }
      if (raw === 'y') value = 1n;
      else if (raw === 'm') value = 2n;
      else if (raw !== undefined && /^-?(0x[0-9a-f]+|\d+)$/i.test(raw)) value = BigInt(raw);
      else if (raw !== undefined && raw.startsWith('"')) {
        Buffer.from(JSON.parse(raw) as string).copy(out, v.offset, 0, v.size - 1);
        continue;
      }
    }
    for (let i = 0; i < v.size && i < 8; i++) out[v.offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  }
  return out;
}



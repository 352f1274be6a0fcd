// What the running kernel supports, found by trying: each program type is loaded, each map type
// created, each helper called from each program type, each attach mechanism used, and the answer
// is what the kernel did — not what its version or config suggests. Results are cached per process.
import { readFileSync } from 'node:fs';
import * as bpf from '../sys/bpf.js';
import type { Fd } from '../sys/fd.js';
import { BpfError, NotSupportedError } from '../sys/errors.js';
import { attachTypes, helperIds, mapTypes, progTypes, type MapTypeName, type ProgTypeName } from '../sys/generated/kernel.js';
import { helperNames } from '../asm/helpers.js';
import { encodeTypes } from '../btf/encode.js';
import { kernelBtf } from '../btf/kernel.js';
import { pageSize } from '../sys/mem.js';
import type { Program, ProgramSpec } from '../program.js';

const EXIT0 = Buffer.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]); // r0 = 0; exit
const ENOTSUPP = 524;

function kernelVersionCode(): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(readFileSync('/proc/sys/kernel/osrelease', 'utf8'));
  if (!m) return 0;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3] ?? 0), 255);
}

function btfTypeId(name: string, kind: 'typedef' | 'func'): number | undefined {
  try {
    return kernelBtf().findAll(name, kind)[0]?.id;
  } catch {
    return undefined;
  }
}

/** Loads raw BTF; undefined when the kernel refuses it. */
function loadBtf(raw: Uint8Array): Fd | undefined {
  return bpf.btfLoad(raw).fd;
}

/** BTF with `int` (1), `int (*)(void)` (2) and a global function `probe` of that type (3). */
function funcBtf(): Uint8Array {
  return encodeTypes([
    { id: 1, kind: 'int', name: 'int', size: 4, bits: 32, offset: 0, signed: true, char: false, bool: false },
    { id: 2, kind: 'func_proto', name: '', returnType: 1, params: [] },
    { id: 3, kind: 'func', name: 'probe', type: 2, linkage: 1 },
  ]);
}

interface LoadTry {
  fd?: Fd;
  errno: number;
  log: string;
}

function tryLoad(a: Omit<bpf.ProgLoadAttr, 'license'> & { license?: string }, withLog = false): LoadTry {
  const logBuf = withLog ? Buffer.alloc(8192) : undefined;
  const r = bpf.progLoad({ license: 'GPL', ...a, logBuf, logLevel: withLog ? 1 : 0 });
  const log = logBuf ? logBuf.subarray(0, Math.max(0, logBuf.indexOf(0))).toString() : '';
  return { fd: r.fd, errno: r.errno, log };
}

/** Load attributes that make a minimal program of `type` acceptable (expected attach type, BTF target). */
function loadContext(type: ProgTypeName): { attr: Partial<bpf.ProgLoadAttr>; cleanup: () => void } | undefined {
  const none = { attr: {}, cleanup: () => {} };
  switch (type) {
    case 'kprobe': return { attr: { kernVersion: kernelVersionCode() }, cleanup: () => {} };
    case 'cgroup_sock_addr': return { attr: { expectedAttachType: attachTypes.cgroup_inet4_connect }, cleanup: () => {} };
    case 'cgroup_sockopt': return { attr: { expectedAttachType: attachTypes.cgroup_getsockopt }, cleanup: () => {} };
    case 'sk_lookup': return { attr: { expectedAttachType: attachTypes.sk_lookup }, cleanup: () => {} };
    case 'lirc_mode2': return { attr: { expectedAttachType: attachTypes.lirc_mode2 }, cleanup: () => {} };
    case 'netfilter': return { attr: { expectedAttachType: attachTypes.netfilter }, cleanup: () => {} };
    // The kernel only accepts sleepable syscall programs.
    case 'syscall': return { attr: { progFlags: 1 << 4 }, cleanup: () => {} };
    case 'tracing': {
      // tp_btf needs no function to hook, only a tracepoint's BTF (btf_trace_<name>).
      const id = btfTypeId('btf_trace_sched_switch', 'typedef');
      return id === undefined ? undefined : { attr: { expectedAttachType: attachTypes.trace_raw_tp, attachBtfId: id }, cleanup: () => {} };
    }
    case 'lsm': {
      const id = btfTypeId('bpf_lsm_file_open', 'func');
      return id === undefined ? undefined : { attr: { expectedAttachType: attachTypes.lsm_mac, attachBtfId: id }, cleanup: () => {} };
    }
    case 'ext': {
      // An extension replaces a global function of a loaded program that has BTF.
      const btf = loadBtf(funcBtf());
      if (!btf) return undefined;
      const fi = Buffer.alloc(8);
      fi.writeUInt32LE(0, 0);
      fi.writeUInt32LE(3, 4);
      const target = bpf.progLoad({ progType: progTypes.socket_filter, insns: EXIT0, license: 'GPL', progBtfFd: btf.raw, funcInfo: fi, funcInfoRecSize: 8, funcInfoCnt: 1 });
      if (!target.fd) {
        btf.close();
        return undefined;
      }
      return { attr: { attachProgFd: target.fd.raw, attachBtfId: 3 }, cleanup: () => { target.fd!.close(); btf.close(); } };
    }
    default:
      return none;
  }
}

const progCache = new Map<string, boolean>();

/** Whether a minimal program of this type loads here. */
export function probeProgType(type: ProgTypeName): boolean {
  const cached = progCache.get(type);
  if (cached !== undefined) return cached;
  let ok = false;
  if (type === 'struct_ops') {
    // Loading needs a struct_ops map; without one the kernel answers ENOTSUPP only if it knows the type.
    const r = tryLoad({ progType: progTypes.struct_ops, insns: EXIT0 });
    r.fd?.close();
    ok = !!r.fd || r.errno === ENOTSUPP;
  } else if (type !== 'unspec') {
    const c = loadContext(type);
    if (c) {
      try {
        const r = tryLoad({ progType: progTypes[type], insns: EXIT0, ...c.attr });
        r.fd?.close();
        ok = !!r.fd;
      } finally {
        c.cleanup();
      }
    }
  }
  progCache.set(type, ok);
  return ok;
}

const mapCache = new Map<string, boolean>();

/** Whether a small map of this type can be created here. */
export function probeMapType(type: MapTypeName): boolean {
  const cached = mapCache.get(type);
  if (cached !== undefined) return cached;
  const a: bpf.MapCreateAttr = { mapType: mapTypes[type], keySize: 4, valueSize: 4, maxEntries: 1 };
  const owned: Fd[] = [];
  let okErrno: number | undefined;
  try {
    switch (type) {
      case 'lpm_trie': Object.assign(a, { keySize: 8, valueSize: 8, mapFlags: 1 }); break;
      case 'stack_trace': a.valueSize = 8; break;
      case 'queue': case 'stack': a.keySize = 0; break;
      case 'bloom_filter': a.keySize = 0; break;
      case 'ringbuf': case 'user_ringbuf': Object.assign(a, { keySize: 0, valueSize: 0, maxEntries: pageSize() }); break;
      case 'arena': Object.assign(a, { keySize: 0, valueSize: 0, maxEntries: 1, mapFlags: 0x400 /* mmapable */ }); break;
      case 'cgroup_storage': case 'percpu_cgroup_storage': Object.assign(a, { keySize: 16, valueSize: 8, maxEntries: 0 }); break;
      case 'sk_storage': case 'inode_storage': case 'task_storage': case 'cgrp_storage': {
        const btf = loadBtf(encodeTypes([{ id: 1, kind: 'int', name: 'int', size: 4, bits: 32, offset: 0, signed: true, char: false, bool: false }]));
        if (!btf) break;
        owned.push(btf);
        Object.assign(a, { maxEntries: 0, mapFlags: 1, btfFd: btf.raw, btfKeyTypeId: 1, btfValueTypeId: 1 });
        break;
      }
      case 'array_of_maps': case 'hash_of_maps': {
        const inner = bpf.mapCreate({ mapType: mapTypes.array, keySize: 4, valueSize: 4, maxEntries: 1 });
        owned.push(inner);
        a.innerMapFd = inner.raw;
        break;
      }
      case 'struct_ops':
        // The value type names a kernel struct_ops; an invalid one is ENOTSUPP when the map type exists.
        Object.assign(a, { btfVmlinuxValueTypeId: 1 });
        okErrno = ENOTSUPP;
        break;
      case 'unspec':
        mapCache.set(type, false);
        return false;
      default: break;
    }
    let ok: boolean;
    try {
      bpf.mapCreate(a).close();
      ok = true;
    } catch (e) {
      ok = e instanceof BpfError && okErrno !== undefined && e.errno === okErrno;
    }
    mapCache.set(type, ok);
    return ok;
  } finally {
    for (const fd of owned) fd.close();
  }
}

const helperCache = new Map<string, boolean>();

/**
 * Whether programs of `type` may call the helper: a program calling it is loaded, and only the
 * verifier's "unknown helper" / "cannot use helper" answers mean no (libbpf's rule): other
 * rejections (wrong arguments) mean it got past the helper check.
 */
export function probeHelper(type: ProgTypeName, helperId: number): boolean {
  const key = `${type}/${helperId}`;
  const cached = helperCache.get(key);
  if (cached !== undefined) return cached;
  let ok = false;
  if (probeProgType(type) && type !== 'struct_ops') {
    const c = loadContext(type);
    if (c) {
      try {
        const insns = Buffer.alloc(16);
        insns[0] = 0x85;
        insns.writeInt32LE(helperId, 4);
        insns[8] = 0x95;
        const r = tryLoad({ progType: progTypes[type], insns, ...c.attr }, true);
        r.fd?.close();
        ok = !!r.fd || !(/invalid func |unknown func |program of this type cannot use helper /.test(r.log) || (r.errno !== 13 && r.errno !== 22 && !r.log));
      } finally {
        c.cleanup();
      }
    }
  }
  helperCache.set(key, ok);
  return ok;
}

/** Helper ids and names this kernel knows (from its BTF-generated table), in id order. */
export function knownHelpers(): { id: number; name: string }[] {
  return [...helperNames(helperIds).entries()].filter(([id]) => id > 0).sort((a, b) => a[0] - b[0]).map(([id, name]) => ({ id, name }));
}

function loads(insns: Buffer): boolean {
  const r = tryLoad({ progType: progTypes.socket_filter, insns });
  r.fd?.close();
  return !!r.fd;
}

function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = code;
  b[1] = (src << 4) | dst;
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}

export interface MiscFeatures {
  have_large_insn_limit: boolean;
  have_bounded_loops: boolean;
  have_v2_isa_extension: boolean;
  have_v3_isa_extension: boolean;
}

export function probeMisc(): MiscFeatures {
  const big = Buffer.concat([...Array.from({ length: 4096 }, () => insn(0xb7, 0, 0, 0, 1)), insn(0x95, 0, 0, 0, 0)]);
  return {
    have_large_insn_limit: loads(big),
    // r0 = 10; r0 -= 1; if r0 != 0 goto -2; exit
    have_bounded_loops: loads(Buffer.concat([insn(0xb7, 0, 0, 0, 10), insn(0x17, 0, 0, 0, 1), insn(0x55, 0, 0, -2, 0), insn(0x95, 0, 0, 0, 0)])),
    // r0 = 0; if r0 < 0 goto +1; r0 = 1; exit
    have_v2_isa_extension: loads(Buffer.concat([insn(0xb7, 0, 0, 0, 0), insn(0xa5, 0, 0, 1, 0), insn(0xb7, 0, 0, 0, 1), insn(0x95, 0, 0, 0, 0)])),
    // the same with a 32-bit jump
    have_v3_isa_extension: loads(Buffer.concat([insn(0xb7, 0, 0, 0, 0), insn(0xa6, 0, 0, 1, 0), insn(0xb7, 0, 0, 0, 1), insn(0x95, 0, 0, 0, 0)])),
  };
}

export interface AttachFeatures {
  have_tracepoint_attach: boolean;
  have_raw_tracepoint_attach: boolean;
  have_kprobe_attach: boolean;
  have_uprobe_attach: boolean;
  have_tp_btf_attach: boolean;
  have_fentry_attach: boolean;
}

/** Attaches real programs with the link library; a NotSupportedError or a refusal is a no. */
export async function probeAttach(): Promise<AttachFeatures> {
  const { Program: Prog } = await import('../program.js');
  const link = await import('../link/index.js');
  const attempt = (fn: () => { close(): void }): boolean => {
    try {
      fn().close();
      return true;
    } catch (e) {
      if (e instanceof NotSupportedError || e instanceof BpfError || e instanceof TypeError || (e as Error).name === 'VerifierError') return false;
      throw e;
    }
  };
  const withProg = (spec: ProgramSpec, fn: (p: Program) => { close(): void }): boolean => {
    let p: Program;
    try {
      p = Prog.load(spec);
    } catch {
      return false;
    }
    try {
      return attempt(() => fn(p));
    } finally {
      p.close();
    }
  };
  const ret0 = EXIT0;
  const fentryTarget = btfTypeId('bpf_fentry_test1', 'func') ?? btfTypeId('do_sys_openat2', 'func');
  const tpBtf = btfTypeId('btf_trace_sched_switch', 'typedef');
  return {
    have_tracepoint_attach: withProg({ type: 'tracepoint', instructions: ret0 }, (p) => link.attachTracepoint(p, 'syscalls', 'sys_enter_getpid')),
    have_raw_tracepoint_attach: withProg({ type: 'raw_tracepoint', instructions: ret0 }, (p) => link.attachRawTracepoint(p, 'sys_enter')),
    have_kprobe_attach: withProg({ type: 'kprobe', instructions: ret0, kernelVersion: kernelVersionCode() }, (p) => link.attachKprobe(p, 'do_sys_openat2')),
    have_uprobe_attach: withProg({ type: 'kprobe', instructions: ret0 }, (p) => link.attachUprobe(p, process.execPath, 0)),
    have_tp_btf_attach: tpBtf !== undefined && withProg({ type: 'tracing', instructions: ret0, expectedAttachType: 'trace_raw_tp', attachBtfId: tpBtf }, (p) => link.attachTracing(p)),
    have_fentry_attach: fentryTarget !== undefined && withProg({ type: 'tracing', instructions: ret0, expectedAttachType: 'trace_fentry', attachBtfId: fentryTarget }, (p) => link.attachTracing(p)),
  };
}

export interface FeatureReport {
  programTypes: Record<string, boolean>;
  mapTypes: Record<string, boolean>;
  helpers: Record<string, string[]>;
  misc: MiscFeatures;
  attach: AttachFeatures;
}

/** Program types and map types of this kernel, in the kernel's order, without the `unspec` and deprecated aliases. */
export function kernelProgTypes(): ProgTypeName[] {
  return (Object.keys(progTypes) as ProgTypeName[]).filter((t) => t !== 'unspec');
}

export function kernelMapTypes(): MapTypeName[] {
  return (Object.keys(mapTypes) as MapTypeName[]).filter((t) => t !== 'unspec' && !t.endsWith('_deprecated'));
}

/** Everything at once: what `bpfkit feature probe` prints. `full` also probes the helpers that write to the kernel log. */
export async function probeFeatures(opts: { full?: boolean } = {}): Promise<FeatureReport> {
  const noisy = new Set(['bpf_trace_printk', 'bpf_trace_vprintk', 'bpf_probe_write_user']);
  const helpers = knownHelpers().filter((h) => opts.full || !noisy.has(h.name));
  const report: FeatureReport = { programTypes: {}, mapTypes: {}, helpers: {}, misc: probeMisc(), attach: await probeAttach() };
  for (const t of kernelProgTypes()) report.programTypes[t] = probeProgType(t);
  for (const t of kernelMapTypes()) report.mapTypes[t] = probeMapType(t);
  for (const t of kernelProgTypes()) report.helpers[t] = helpers.filter((h) => probeHelper(t, h.id)).map((h) => h.name);
  return report;
}

// Program: one loaded BPF program. Loading retries with a verifier log only when it fails,
// so the common path costs one system call and no log buffer.
import { constants } from 'node:os';
import * as bpf from './sys/bpf.js';
import { Fd } from './sys/fd.js';
import { readFileSync } from 'node:fs';
import { BpfError, NotSupportedError, VerifierError } from './sys/errors.js';
import { attachTypeName, attachTypeNumber, progTypeName, progTypeNumber, type AttachTypeName, type ProgTypeName } from './sys/names.js';
import { cString, sanitizeName } from './map.js';
import { encode, type Instruction } from './asm/index.js';
import type { Link } from './link/link.js';

export interface ProgramSpec {
  type: ProgTypeName | number;
  /** The SEC() name it came from; attach() without a section uses it. */
  section?: string;
  /** Instructions from the assembler or builder, or raw bytes (8 per slot, little endian). */
  instructions: Uint8Array | readonly Instruction[];
  license?: string;
  name?: string;
  expectedAttachType?: AttachTypeName | number;
  /** BPF_F_* load flags (sleepable, xdp frags, …). */
  flags?: number;
  /** 0: log only on failure (default); 1 or 2: always ask the verifier for a log of that level. */
  logLevel?: 0 | 1 | 2;
  /** Initial log buffer size in bytes when a log is taken (grown on demand). */
  logSize?: number;
  kernelVersion?: number;
  ifindex?: number;
  attachBtfId?: number;
  attachBtfObjFd?: number;
  attachProgFd?: number;
  btf?: {
    fd: number;
    funcInfo?: Uint8Array;
    funcInfoRecSize?: number;
    lineInfo?: Uint8Array;
    lineInfoRecSize?: number;
  };
  fdArray?: Uint8Array;
}

export interface ProgramInfo {
  id: number;
  type: string;
  typeId: number;
  name: string;
  tag: string;
  gplCompatible: boolean;
  loadedAt: bigint;
  uid: number;
  xlatedSize: number;
  jitedSize: number;
  xlated: Buffer;
  jited: Buffer;
  mapIds: number[];
  btfId: number;
  runTimeNs: bigint;
  runCnt: bigint;
  recursionMisses: bigint;
  verifiedInsns: number;
  attachBtfObjId: number;
  attachBtfId: number;
}

export interface TestRunOptions {
  data?: Uint8Array;
  ctx?: Uint8Array;
  repeat?: number;
  /** Room for output data; defaults to the input size plus 256 bytes (XDP may grow a packet). */
  dataOutSize?: number;
  ctxOutSize?: number;
  flags?: number;
  cpu?: number;
}

export interface TestRunResult {
  retval: number;
  data: Buffer;
  ctx: Buffer;
  /** Mean time per run in nanoseconds, as the kernel measures it. */
  duration: number;
}

const ENOSPC = constants.errno.ENOSPC;
const EAGAIN = constants.errno.EAGAIN;
const MAX_LOG = 1 << 30;

/**
 * BPF_PROG_LOAD, again when the verifier gave up with EAGAIN: it does when a signal arrives
 * mid-way (a profiler's SIGPROF, a child's SIGCHLD). libbpf makes five attempts in all; so do we.
 */
function progLoadRetrying(a: Parameters<typeof bpf.progLoad>[0]): ReturnType<typeof bpf.progLoad> {
  let r = bpf.progLoad(a);
  for (let attempt = 1; r.errno === EAGAIN && attempt < 5; attempt++) r = bpf.progLoad(a);
  return r;
}

export class Program implements Disposable {
  readonly fd: Fd;
  readonly type: string;
  readonly typeId: number;
  readonly name: string;
  readonly expectedAttachType?: string;
  /** The verifier log when one was asked for with logLevel. */
  readonly verifierLog?: string;
  /** The SEC() name it was loaded from, when known. */
  section?: string;
  /** Set by the link layer (bpfkit/link), which sits below the core. */
  static attacher?: (program: Program, options: object) => Link;

  private constructor(fd: Fd, typeId: number, name: string, expectedAttachType?: string, log?: string) {
    this.fd = fd;
    this.typeId = typeId;
    this.type = progTypeName(typeId);
    this.name = name;
    this.expectedAttachType = expectedAttachType;
    this.verifierLog = log;
  }

  /** Loads a program into the kernel. Throws VerifierError with the log when the verifier refuses it. */
  static load(spec: ProgramSpec): Program {
    const insns = spec.instructions instanceof Uint8Array ? spec.instructions : encode(spec.instructions as Instruction[]);
    if (insns.length === 0 || insns.length % 8 !== 0) {
      throw new TypeError(`instructions must be a non-empty multiple of 8 bytes (got ${insns.length})`);
    }
    const typeId = progTypeNumber(spec.type);
    const expected = spec.expectedAttachType === undefined ? undefined : attachTypeNumber(spec.expectedAttachType);
    const name = sanitizeName(spec.name ?? '');
    const base: bpf.ProgLoadAttr = {
      progType: typeId,
      insns,
      license: spec.license ?? 'GPL',
      name,
      expectedAttachType: expected,
      progFlags: spec.flags,
      kernVersion: spec.kernelVersion,
      ifindex: spec.ifindex,
      attachBtfId: spec.attachBtfId,
      attachBtfObjFd: spec.attachBtfObjFd,
      attachProgFd: spec.attachProgFd,
      progBtfFd: spec.btf?.fd,
      funcInfo: spec.btf?.funcInfo,
      funcInfoRecSize: spec.btf?.funcInfoRecSize,
      funcInfoCnt: spec.btf?.funcInfo && spec.btf.funcInfoRecSize ? spec.btf.funcInfo.length / spec.btf.funcInfoRecSize : 0,
      lineInfo: spec.btf?.lineInfo,
      lineInfoRecSize: spec.btf?.lineInfoRecSize,
      lineInfoCnt: spec.btf?.lineInfo && spec.btf.lineInfoRecSize ? spec.btf.lineInfo.length / spec.btf.lineInfoRecSize : 0,
      fdArray: spec.fdArray,
    };
    const attachName = expected === undefined ? undefined : attachTypeName(expected);
    const level = spec.logLevel ?? 0;
    if (level === 0) {
      const r = progLoadRetrying(base);
      if (r.fd) return withSection(new Program(r.fd, typeId, name, attachName), spec.section);
      // Without privilege the kernel refuses before verifying; a log would be empty.
      if (r.errno === 1) throw privilegeError(typeId, name, expected);
    }
    let size = Math.max(spec.logSize ?? 256 * 1024, 1024);
    for (;;) {
      const logBuf = Buffer.alloc(size);
      const r = progLoadRetrying({ ...base, logLevel: Math.max(level, 1), logBuf });
      const log = cString(logBuf);
      if (r.fd) return withSection(new Program(r.fd, typeId, name, attachName, level ? log : undefined), spec.section);
      if (r.errno === ENOSPC && size < MAX_LOG) {
        size = r.logTrueSize > size ? r.logTrueSize + 1 : size * 4;
        continue;
      }
      if (!log.trim()) {
        if (r.errno === 1) throw privilegeError(typeId, name, expected);
        throw new BpfError(`loading program ${name || '(unnamed)'}`, r.errno, loadHint(r.errno));
      }
      throw new VerifierError(name, r.errno, log, r.errno === ENOSPC);
    }
  }

  static fromPinned(path: string): Program {
    return Program.fromFd(bpf.objGet(path));
  }

  static fromId(id: number): Program {
    return Program.fromFd(bpf.getFdById('prog', id));
  }

  static fromFd(fd: Fd): Program {
    try {
      const i = bpf.objGetInfoByFd('prog', fd.raw);
      return new Program(fd, i.get('type'), cString(i.bytes('name')));
    } catch (e) {
      fd.close();
      throw e;
    }
  }

  /** Runs the program once or `repeat` times in the kernel on the given packet/context (BPF_PROG_TEST_RUN). */
  testRun(opts: TestRunOptions = {}): TestRunResult {
    let dataOut = opts.data ? Buffer.alloc(opts.dataOutSize ?? opts.data.length + 256) : undefined;
    let ctxOut = opts.ctx ? Buffer.alloc(opts.ctxOutSize ?? opts.ctx.length) : undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = bpf.progTestRun({ progFd: this.fd.raw, dataIn: opts.data, dataOut, ctxIn: opts.ctx, ctxOut, repeat: opts.repeat, flags: opts.flags, cpu: opts.cpu });
        return {
          retval: r.retval,
          data: dataOut ? Buffer.from(dataOut.subarray(0, Math.min(r.dataSizeOut, dataOut.length))) : Buffer.alloc(0),
          ctx: ctxOut ? Buffer.from(ctxOut.subarray(0, Math.min(r.ctxSizeOut, ctxOut.length))) : Buffer.alloc(0),
          duration: r.duration,
        };
      } catch (e) {
        if (e instanceof BpfError && e.code === 'ENOSPC' && attempt < 4) {
          if (dataOut) dataOut = Buffer.alloc(dataOut.length * 4);
          if (ctxOut) ctxOut = Buffer.alloc(ctxOut.length * 4 || 256);
          continue;
        }
        throw e;
      }
    }
  }

  info(): ProgramInfo {
    const first = bpf.objGetInfoByFd('prog', this.fd.raw);
    const xlated = Buffer.alloc(first.get('xlated_prog_len'));
    const jited = Buffer.alloc(first.get('jited_prog_len'));
    const mapIds = Buffer.alloc(first.get('nr_map_ids') * 4);
    const i = bpf.objGetInfoByFd('prog', this.fd.raw, (a) => {
      a.set('xlated_prog_len', xlated.length).ptr('xlated_prog_insns', xlated);
      a.set('jited_prog_len', jited.length).ptr('jited_prog_insns', jited);
      a.set('nr_map_ids', mapIds.length / 4).ptr('map_ids', mapIds);
    });
    const typeId = i.get('type');
    return {
      id: i.get('id'),
      type: progTypeName(typeId),
      typeId,
      name: cString(i.bytes('name')),
      tag: i.bytes('tag').toString('hex'),
      gplCompatible: i.get('gpl_compatible') === 1,
      loadedAt: i.getBig('load_time'),
      uid: i.get('created_by_uid'),
      xlatedSize: i.get('xlated_prog_len'),
      jitedSize: i.get('jited_prog_len'),
      xlated,
      jited,
      mapIds: Array.from({ length: mapIds.length / 4 }, (_, k) => mapIds.readUInt32LE(k * 4)),
      btfId: i.get('btf_id'),
      runTimeNs: i.getBig('run_time_ns'),
      runCnt: i.getBig('run_cnt'),
      recursionMisses: i.getBig('recursion_misses'),
      verifiedInsns: i.get('verified_insns'),
      attachBtfObjId: i.get('attach_btf_obj_id'),
      attachBtfId: i.get('attach_btf_id'),
    };
  }

  /**
   * Attaches where the program's section name says (libbpf's auto-attach): `tracepoint/…`,
   * `uprobe/PATH:FUNC`, `usdt/…`, `xdp` + { interface }, … See AttachOptions in bpfkit/link.
   */
  attach(options: import('./link/auto.js').AttachOptions = {}): Link {
    if (!Program.attacher) throw new Error('attach() needs the link layer: import "bpfkit" or "bpfkit/link" first');
    return Program.attacher(this, options);
  }

  pin(path: string): void {
    bpf.objPin(this.fd.raw, path);
  }

  close(): void {
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * EPERM while we hold CAP_BPF and CAP_SYS_ADMIN is not about privilege: for programs that
 * attach through BPF trampolines (fentry/fexit/fmod_ret/LSM/freplace) it means the kernel
 * cannot build them (no trampoline support, or lockdown).
 */
function privilegeError(typeId: number, name: string, expected: number | undefined): Error {
  const type = progTypeName(typeId);
  if (['tracing', 'lsm', 'ext'].includes(type) && hasCapabilities([21, 39])) {
    const what = type === 'lsm' ? 'LSM programs' : type === 'ext' ? 'freplace programs' : `${expected === undefined ? 'tracing' : attachTypeName(expected)} programs (fentry/fexit/fmod_ret)`;
    return new NotSupportedError(what, 'the kernel refused the load with EPERM although this process has CAP_BPF and CAP_SYS_ADMIN (no BPF trampolines here, or lockdown forbids them)');
  }
  return new BpfError(`loading program ${name || '(unnamed)'}`, 1);
}

/** Whether the process's effective capability set has every listed capability bit. */
function hasCapabilities(bits: number[]): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (!m) return false;
    const eff = BigInt(`0x${m[1]}`);
    return bits.every((b) => ((eff >> BigInt(b)) & 1n) === 1n);
  } catch {
    return false;
  }
}

function withSection(p: Program, section: string | undefined): Program {
  p.section = section;
  return p;
}

function loadHint(errno: number): string | undefined {
  switch (errno) {
    case 22: return 'the kernel rejected the load attributes (wrong program type, expected attach type or flags for this kernel?)';
    case 7: return 'program too large for this kernel (E2BIG)';
    case 524: case 95: return 'this kernel does not support this kind of program';
    default: return undefined;
  }
}

// `bpfkit prog`: bpftool's prog command on the bpfkit library — show, dump xlated/jited (and the
// CFG as DOT), pin, load/loadall from ELF objects, attach/detach to maps, test runs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as bpf from '../sys/bpf.js';
import type { Fd } from '../sys/fd.js';
import type { Attr } from '../sys/attr.js';
import { attachTypes, type AttachTypeName } from '../sys/generated/kernel.js';
import { progTypeName } from '../sys/names.js';
import { decode } from '../asm/index.js';
import {
  Args, BIN, CliError, Ctx, HELP_SPEC_MAP, HELP_SPEC_OPTIONS, HELP_SPEC_PROGRAM, UsageError, isPrefix, runObject,
  type CommandTable,
} from './bpftool/core.js';
import {
  bootToWallSeconds, btfById, cString, fdinfo, info, isoLocal, mapFd, parseUnsigned, pinnedTable,
  printDev, progFd, progFds, progFullName, showObjects, withFds,
} from './bpftool/objects.js';
import { dataJson, fprintHex } from './bpftool/hex.js';
import { dumpXlatedJson, dumpXlatedPlain, instructionText, callNamer, kallsyms, type FuncInfo, type LineInfo, type XlatedDump } from './bpftool/xlated.js';
import { xlatedToDot } from './bpftool/cfg.js';
import { typeOnly } from './bpftool/btf-value.js';
import { doPin } from './bpftool/pin.js';
import { reason } from './bpftool/strerror.js';

// ---- show ----

function mapIds(fd: Fd, n: number): number[] {
  if (!n) return [];
  const buf = Buffer.alloc(n * 4);
  const i = info('prog', fd, (a) => a.set('nr_map_ids', n).ptr('map_ids', buf));
  return Array.from({ length: Math.min(n, i.get('nr_map_ids')) }, (_, k) => buf.readUInt32LE(k * 4));
}

function typeField(i: Attr): string | number {
  const n = i.get('type');
  const name = progTypeName(n);
  return name === String(n) ? n : name;
}

function headerJson(ctx: Ctx, i: Attr, fd: Fd): void {
  const jw = ctx.jw;
  jw.uintField('id', i.get('id'));
  const t = typeField(i);
  if (typeof t === 'string') jw.stringField('type', t);
  else jw.uintField('type', t);
  if (cString(i.bytes('name'))) jw.stringField('name', progFullName(i, fd));
  jw.stringField('tag', i.bytes('tag').toString('hex'));
  jw.boolField('gpl_compatible', i.get('gpl_compatible') !== 0);
  const runTime = i.getBig('run_time_ns');
  if (runTime) jw.uintField('run_time_ns', runTime).uintField('run_cnt', i.getBig('run_cnt'));
  const misses = i.getBig('recursion_misses');
  if (misses) jw.uintField('recursion_misses', misses);
}

function headerPlain(ctx: Ctx, i: Attr, fd: Fd): void {
  const t = typeField(i);
  let s = `${i.get('id')}: ${typeof t === 'string' ? `${t}  ` : `type ${t}  `}`;
  if (cString(i.bytes('name'))) s += `name ${progFullName(i, fd)}  `;
  s += `tag ${i.bytes('tag').toString('hex')}`;
  ctx.print(s);
  printDev(ctx, i.get('ifindex'), i.getBig('netns_dev'), i.getBig('netns_ino'));
  s = i.get('gpl_compatible') ? '  gpl' : '';
  const runTime = i.getBig('run_time_ns');
  if (runTime) s += ` run_time_ns ${runTime} run_cnt ${i.getBig('run_cnt')}`;
  const misses = i.getBig('recursion_misses');
  if (misses) s += ` recursion_misses ${misses}`;
  ctx.print(`${s}\n`);
}

function showProg(ctx: Ctx, fd: Fd, pins: Map<number, string[]> | undefined): void {
  const i = info('prog', fd);
  const id = i.get('id');
  const maps = mapIds(fd, i.get('nr_map_ids'));
  const memlock = fdinfo(fd, 'memlock');
  const loadTime = i.getBig('load_time');
  if (ctx.json) {
    const jw = ctx.jw;
    jw.startObject();
    headerJson(ctx, i, fd);
    printDev(ctx, i.get('ifindex'), i.getBig('netns_dev'), i.getBig('netns_ino'));
    if (loadTime) jw.name('loaded_at').raw(String(bootToWallSeconds(loadTime))).uintField('uid', i.get('created_by_uid'));
    jw.uintField('bytes_xlated', i.get('xlated_prog_len'));
    const jited = i.get('jited_prog_len');
    jw.boolField('jited', jited !== 0);
    if (jited) jw.uintField('bytes_jited', jited);
    if (memlock !== undefined) jw.intField('bytes_memlock', Number.parseInt(memlock, 10) || 0);
    if (maps.length) {
      jw.name('map_ids').startArray();
      for (const m of maps) jw.uint(m);
      jw.endArray();
    }
    if (i.get('btf_id')) jw.intField('btf_id', i.get('btf_id'));
    if (pins && pins.size) {
      jw.name('pinned').startArray();
      for (const p of pins.get(id) ?? []) jw.string(p);
      jw.endArray();
    }
    jw.endObject();
    return;
  }
  headerPlain(ctx, i, fd);
  if (loadTime) ctx.print(`\tloaded_at ${isoLocal(bootToWallSeconds(loadTime))}  uid ${i.get('created_by_uid')}\n`);
  let s = `\txlated ${i.get('xlated_prog_len')}B`;
  const jited = i.get('jited_prog_len');
  s += jited ? `  jited ${jited}B` : '  not jited';
  if (memlock !== undefined) s += `  memlock ${memlock}B`;
  if (maps.length) s += `  map_ids ${maps.join(',')}`;
  if (pins && pins.size) for (const p of pins.get(id) ?? []) s += `\n\tpinned ${p}`;
  if (i.get('btf_id')) s += `\n\tbtf_id ${i.get('btf_id')}`;
  ctx.print(`${s}\n`);
}

async function doShow(ctx: Ctx, args: Args): Promise<number> {
  return showObjects(ctx, args, 'prog', progFds, (fd, pins) => showProg(ctx, fd, pins));
}

// ---- dump ----

interface FullInfo {
  info: Attr;
  xlated: Buffer;
  jited: Buffer;
  jitedKsyms: bigint[];
  jitedFuncLens: number[];
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
}

function fullInfo(fd: Fd): FullInfo {
  const first = info('prog', fd);
  const xlated = Buffer.alloc(first.get('xlated_prog_len'));
  const jited = Buffer.alloc(first.get('jited_prog_len'));
  const nKsyms = first.get('nr_jited_ksyms');
  const nLens = first.get('nr_jited_func_lens');
  const nFunc = first.get('nr_func_info');
  const funcRec = first.get('func_info_rec_size') || 8;
  const nLine = first.get('nr_line_info');
  const lineRec = first.get('line_info_rec_size') || 16;
  const ksyms = Buffer.alloc(nKsyms * 8);
  const lens = Buffer.alloc(nLens * 4);
  const funcs = Buffer.alloc(nFunc * funcRec);
  const lines = Buffer.alloc(nLine * lineRec);
  const i = info('prog', fd, (a) => {
    a.set('xlated_prog_len', xlated.length).ptr('xlated_prog_insns', xlated);
    a.set('jited_prog_len', jited.length).ptr('jited_prog_insns', jited);
    a.set('nr_jited_ksyms', nKsyms).ptr('jited_ksyms', ksyms);
    a.set('nr_jited_func_lens', nLens).ptr('jited_func_lens', lens);
    a.set('nr_func_info', nFunc).set('func_info_rec_size', funcRec).ptr('func_info', funcs);
    a.set('nr_line_info', nLine).set('line_info_rec_size', lineRec).ptr('line_info', lines);
  });
  return {
    info: i,
    xlated,
    jited,
    jitedKsyms: Array.from({ length: nKsyms }, (_, k) => ksyms.readBigUInt64LE(k * 8)),
    jitedFuncLens: Array.from({ length: nLens }, (_, k) => lens.readUInt32LE(k * 4)),
    funcInfo: Array.from({ length: nFunc }, (_, k) => ({ insnOff: funcs.readUInt32LE(k * funcRec), typeId: funcs.readUInt32LE(k * funcRec + 4) })),
    lineInfo: Array.from({ length: nLine }, (_, k) => ({
      insnOff: lines.readUInt32LE(k * lineRec), fileNameOff: lines.readUInt32LE(k * lineRec + 4),
      lineOff: lines.readUInt32LE(k * lineRec + 8), lineCol: lines.readUInt32LE(k * lineRec + 12),
    })),
  };
}

function hasObjdump(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v objdump'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** x86-64 disassembly of JITed bytes by objdump (bpftool uses libbfd or LLVM, neither is here). */
function objdumpText(code: Buffer, opcodes: boolean): string[] | undefined {
  if (process.arch !== 'x64' || !hasObjdump()) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-jited-'));
  try {
    const file = join(dir, 'jited.bin');
    writeFileSync(file, code);
    const out = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', '-M', 'att', file], { encoding: 'utf8' });
    const lines: string[] = [];
    for (const l of out.split('\n')) {
      const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*\t(.*)$/.exec(l);
      if (!m) continue;
      const text = m[3].replace(/\s+/g, ' ').trim();
      lines.push(opcodes ? `${m[1].padStart(4)}:\t${text}\n\t${m[2]}` : `${m[1].padStart(4)}:\t${text}`);
    }
    return lines;
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function dumpJited(ctx: Ctx, f: FullInfo, opcodes: boolean): void {
  if (!f.jited.length) {
    ctx.info('no instructions returned');
    throw new CliError('', -1);
  }
  const ks = kallsyms();
  const funcs = f.jitedFuncLens.length ? f.jitedFuncLens : [f.jited.length];
  const btf = f.info.get('btf_id') ? btfById(f.info.get('btf_id')) : undefined;
  const many = f.jitedFuncLens.length > 0;
  if (ctx.json && many) ctx.jw.startArray();
  let off = 0;
  funcs.forEach((len, k) => {
    const img = f.jited.subarray(off, off + len);
    off += len;
    const addr = f.jitedKsyms[k];
    const name = addr === undefined ? 'unknown' : ks.byAddr.get(addr) ?? `0x${addr.toString(16).padStart(16, '0')}`;
    const proto = btf && f.funcInfo[k] ? typeOnly(btf, f.funcInfo[k].typeId) : '';
    const lines = objdumpText(img, opcodes);
    if (ctx.json) {
      if (many) {
        ctx.jw.startObject();
        if (proto) ctx.jw.stringField('proto', proto);
        ctx.jw.stringField('name', name).name('insns');
      }
      ctx.jw.startArray();
      if (lines) {
        for (const l of lines) {
          const [head, bytes] = l.split('\n\t');
          const m = /^\s*([0-9a-f]+):\t(.*)$/.exec(head)!;
          ctx.jw.startObject().stringField('pc', `0x${m[1]}`).stringField('operation', m[2]);
          if (bytes) {
            ctx.jw.name('opcodes').startArray();
            for (const b of bytes.split(' ')) ctx.jw.string(`0x${b}`);
            ctx.jw.endArray();
          }
          ctx.jw.endObject();
        }
      } else {
        ctx.jw.startObject().name('raw');
        dataJson(ctx, img);
        ctx.jw.endObject();
      }
      ctx.jw.endArray();
      if (many) ctx.jw.endObject();
      return;
    }
    if (many) {
      if (proto) ctx.print(`${proto}:\n`);
      ctx.print(`${name}:\n`);
    }
    if (lines) ctx.print(lines.map((l) => `${l}\n`).join(''));
    // Without a disassembler, the bytes (bpftool would refuse: "No libbfd support").
    else ctx.print(`${fprintHex(img)}\n`);
    if (many) ctx.print('\n');
  });
  if (ctx.json && many) ctx.jw.endArray();
}

function dumpOne(ctx: Ctx, fd: Fd, mode: 'xlated' | 'jited', o: { file?: string; opcodes: boolean; visual: boolean; linum: boolean }): void {
  const f = fullInfo(fd);
  if (mode === 'xlated' && !f.xlated.length) throw new CliError('error retrieving insn dump: kernel.kptr_restrict set?');
  const btfId = f.info.get('btf_id');
  let btf;
  if (btfId) {
    try {
      btf = btfById(btfId);
    } catch {
      throw new CliError('failed to get btf');
    }
  }
  if (o.file) {
    try {
      writeFileSync(o.file, mode === 'jited' ? f.jited : f.xlated, { mode: 0o600 });
    } catch (e) {
      throw new CliError(`can't open file ${o.file}: ${reason(e)}`);
    }
    if (ctx.json) ctx.jw.null();
    return;
  }
  if (mode === 'jited') return dumpJited(ctx, f, o.opcodes);
  if (o.visual) {
    if (ctx.json) {
      ctx.jw.null();
      return;
    }
    const call = callNamer([]);
    const insnAt = new Map<number, ReturnType<typeof decode>[number]>();
    let slot = 0;
    for (const insn of decode(f.xlated)) {
      insnAt.set(slot, insn);
      slot += insn.code === 0x18 ? 2 : 1;
    }
    ctx.print(xlatedToDot(f.xlated, (s) => {
      const insn = insnAt.get(s);
      return insn ? instructionText(insn, s, call) : '';
    }));
    return;
  }
  const d: XlatedDump = { xlated: f.xlated, jitedKsyms: f.jitedKsyms, btf, funcInfo: f.funcInfo, lineInfo: f.lineInfo };
  if (ctx.json) dumpXlatedJson(ctx, d, o);
  else dumpXlatedPlain(ctx, d, o);
}

async function doDump(ctx: Ctx, args: Args): Promise<number> {
  let mode: 'xlated' | 'jited';
  if (args.is('jited')) mode = 'jited';
  else if (args.is('xlated')) mode = 'xlated';
  else throw new CliError(`expected 'xlated' or 'jited', got: ${args.cur}`);
  args.next();
  if (args.length < 2) throw new UsageError();
  return withFds(progFds(args), (fds) => {
    if (!fds.length) return -1;
    const o = { file: undefined as string | undefined, opcodes: false, visual: false, linum: false };
    if (args.is('file')) {
      args.next();
      if (args.empty) throw new CliError('expected file path');
      if (fds.length > 1) throw new CliError('several programs matched');
      o.file = args.take();
    } else if (args.is('opcodes')) {
      o.opcodes = true;
      args.next();
    } else if (args.is('visual')) {
      if (fds.length > 1) throw new CliError('several programs matched');
      o.visual = true;
      args.next();
    } else if (args.is('linum')) {
      o.linum = true;
      args.next();
    }
    if (!args.empty) throw new UsageError();
    const many = fds.length > 1;
    if (ctx.json && many) ctx.jw.startArray();
    fds.forEach((fd, k) => {
      if (many) {
        const i = info('prog', fd);
        if (ctx.json) {
          ctx.jw.startObject();
          headerJson(ctx, i, fd);
          ctx.jw.name('insns');
        } else headerPlain(ctx, i, fd);
      }
      dumpOne(ctx, fd, mode, o);
      if (ctx.json && many) ctx.jw.endObject();
      else if (many && k !== fds.length - 1) ctx.print('\n');
    });
    if (ctx.json && many) ctx.jw.endArray();
    return 0;
  });
}

// ---- pin, attach, detach ----

async function doPinCmd(ctx: Ctx, args: Args): Promise<number> {
  args.require(3);
  const fd = progFd(args);
  try {
    doPin(ctx, fd, args.cur ?? '');
  } finally {
    fd.close();
  }
  if (ctx.json) ctx.jw.null();
  return 0;
}

/** prog attach types: the kernel's names, and bpftool's traditional short ones (prefixes allowed). */
const progAttachTypes: Record<string, AttachTypeName> = {
  sk_skb_stream_parser: 'sk_skb_stream_parser', sk_skb_stream_verdict: 'sk_skb_stream_verdict',
  sk_skb_verdict: 'sk_skb_verdict', sk_msg_verdict: 'sk_msg_verdict', flow_dissector: 'flow_dissector',
};
const traditional: [string, AttachTypeName][] = [
  ['stream_parser', 'sk_skb_stream_parser'], ['stream_verdict', 'sk_skb_stream_verdict'],
  ['skb_verdict', 'sk_skb_verdict'], ['msg_verdict', 'sk_msg_verdict'],
];

function parseProgAttachType(word: string | undefined): AttachTypeName | undefined {
  if (word === undefined) return undefined;
  if (progAttachTypes[word]) return progAttachTypes[word];
  return traditional.find(([short]) => isPrefix(word, short))?.[1];
}

async function attachDetach(ctx: Ctx, args: Args, detach: boolean): Promise<number> {
  args.require(3);
  const prog = progFd(args);
  try {
    const type = parseProgAttachType(args.cur);
    if (!type) throw new CliError('invalid attach/detach type');
    let target: Fd | undefined;
    if (type !== 'flow_dissector') {
      args.next();
      args.require(2);
      target = mapFd(args);
    }
    try {
      const a = { targetFd: target?.raw ?? 0, attachBpfFd: prog.raw, attachType: attachTypes[type] };
      try {
        if (detach) bpf.progDetach(a);
        else bpf.progAttach(a);
      } catch {
        throw new CliError(detach ? 'failed prog detach from map' : 'failed prog attach to map', -22);
      }
    } finally {
      target?.close();
    }
  } finally {
    prog.close();
  }
  if (ctx.json) ctx.jw.null();
  return 0;
}

// ---- run ----

function readRunInput(name: string | undefined): Buffer | undefined {
  if (name === undefined) return undefined;
  try {
    return readFileSync(name === '-' ? 0 : name);
  } catch (e) {
    throw new CliError(`failed to open ${name}: ${reason(e)}`);
  }
}

/** bpftool's hex_print: od-like rows with an ASCII column. */
function hexPrint(data: Buffer): string {
  let s = '';
  for (let i = 0; i < data.length; i += 16) {
    s += `${i.toString(16).padStart(7, '0')}\t`;
    let j = i;
    for (; j < i + 16 && j < data.length; j++) s += `${data[j].toString(16).padStart(2, '0')}${j % 2 ? ' ' : ''}`;
    for (; j < i + 16; j++) s += `  ${j % 2 ? ' ' : ''}`;
    s += '| ';
    for (j = i; j < i + 16 && j < data.length; j++) {
      const c = data[j];
      s += `${c < 0x20 || c > 0x7e ? '.' : String.fromCharCode(c)}${j === i + 7 ? ' ' : ''}`;
    }
    s += '\n';
  }
  return s;
}

function parseSize(word: string | undefined, what: string): number {
  const v = parseUnsigned(word);
  if (v === undefined) throw new CliError(`can't parse ${word} as ${what}`);
  return v;
}

function detectCommonPrefix(word: string | undefined, ...full: string[]): void {
  const hits = full.filter((f) => isPrefix(word, f));
  if (hits.length >= 2) throw new CliError(`ambiguous prefix: '${word}' could be '${hits.join("' or '")}'`);
}

async function doRun(ctx: Ctx, args: Args): Promise<number> {
  args.require(4);
  const fd = progFd(args);
  try {
    const o: { dataIn?: string; dataOut?: string; ctxIn?: string; ctxOut?: string; dataSizeOut: number; ctxSizeOut: number; repeat: number } = { dataSizeOut: 0, ctxSizeOut: 0, repeat: 1 };
    const fileArg = () => {
      args.next();
      args.require(1);
      return args.take();
    };
    while (!args.empty) {
      detectCommonPrefix(args.cur, 'data_in', 'data_out', 'data_size_out');
      detectCommonPrefix(args.cur, 'ctx_in', 'ctx_out', 'ctx_size_out');
      if (args.is('data_in')) {
        o.dataIn = fileArg();
        if (o.dataIn === '-' && o.ctxIn === '-') throw new CliError('cannot use standard input for both data_in and ctx_in');
      } else if (args.is('data_out')) o.dataOut = fileArg();
      else if (args.is('data_size_out')) o.dataSizeOut = parseSize(fileArg(), 'output data size');
      else if (args.is('ctx_in')) {
        o.ctxIn = fileArg();
        if (o.dataIn === '-' && o.ctxIn === '-') throw new CliError('cannot use standard input for both data_in and ctx_in');
      } else if (args.is('ctx_out')) o.ctxOut = fileArg();
      else if (args.is('ctx_size_out')) o.ctxSizeOut = parseSize(fileArg(), 'output context size');
      else if (args.is('repeat')) o.repeat = parseSize(fileArg(), 'repeat number');
      else throw new CliError(`expected no more arguments, 'data_in', 'data_out', 'data_size_out', 'ctx_in', 'ctx_out', 'ctx_size_out' or 'repeat', got: '${args.cur}'?`);
    }
    const dataIn = readRunInput(o.dataIn);
    const ctxIn = readRunInput(o.ctxIn);
    const dataOut = dataIn ? Buffer.alloc(o.dataSizeOut || 32 * 1024) : undefined;
    const ctxOut = ctxIn ? Buffer.alloc(o.ctxSizeOut || 32 * 1024) : undefined;
    let r;
    try {
      r = bpf.progTestRun({ progFd: fd.raw, dataIn, dataOut, ctxIn, ctxOut, repeat: o.repeat });
    } catch (e) {
      throw new CliError(`failed to run program: ${reason(e)}`);
    }
    if (ctx.json) ctx.jw.startObject();
    let err = 0;
    const emit = (data: Buffer | undefined, size: number, file: string | undefined, key: string) => {
      if (!data || !size || file === undefined) return;
      const bytes = data.subarray(0, Math.min(size, data.length));
      if (file === '-') {
        if (ctx.json) {
          ctx.jw.name(key);
          dataJson(ctx, bytes);
        } else ctx.print(hexPrint(bytes));
        return;
      }
      try {
        writeFileSync(file, bytes);
      } catch (e) {
        ctx.err(`failed to open ${file}: ${reason(e)}`);
        err--;
      }
    };
    emit(dataOut, r.dataSizeOut, o.dataOut, 'data_out');
    emit(ctxOut, r.ctxSizeOut, o.ctxOut, 'ctx_out');
    if (ctx.json) ctx.jw.uintField('retval', r.retval).uintField('duration', r.duration).endObject();
    else ctx.print(`Return value: ${r.retval}, duration${o.repeat > 1 ? ' (average)' : ''}: ${r.duration}ns\n`);
    return err;
  } finally {
    fd.close();
  }
}

// ---- load, loadall ----

interface MapReplace {
  idx?: number;
  name?: string;
  fd: Fd;
}

async function loadWithOptions(ctx: Ctx, args: Args, firstOnly: boolean): Promise<number> {
  args.require(2);
  const file = args.take();
  const pinPath = args.take();
  const replace: MapReplace[] = [];
  let progType: string | undefined;
  let pinMaps: string | undefined;
  try {
    while (!args.empty) {
      if (args.is('type')) {
        args.next();
        if (progType) throw new CliError('program type already specified');
        args.require(1);
        progType = args.take();
      } else if (args.is('map')) {
        args.next();
        args.require(4);
        let idx: number | undefined;
        let name: string | undefined;
        if (args.is('idx')) {
          args.next();
          idx = parseUnsigned(args.cur);
          if (idx === undefined) throw new CliError(`can't parse ${args.cur} as IDX`);
          args.next();
        } else if (args.is('name')) {
          args.next();
          name = args.take();
        } else throw new CliError(`expected 'idx' or 'name', got: '${args.cur}'?`);
        replace.push({ idx, name, fd: mapFd(args) });
      } else if (args.is('dev')) {
        throw new CliError('offload to a device is not supported by bpfkit');
      } else if (args.is('pinmaps')) {
        args.next();
        args.require(1);
        pinMaps = args.take();
      } else if (args.is('autoattach')) {
        throw new CliError('autoattach is not supported by bpfkit yet');
      } else {
        throw new CliError(`expected no more arguments, 'type', 'map' or 'dev', got: '${args.cur}'?`);
      }
    }
    const { CollectionSpec } = await import('../elf/index.js');
    const { Collection } = await import('../collection.js');
    const { BpfMap } = await import('../map.js');
    let spec;
    try {
      spec = CollectionSpec.fromFile(file);
    } catch (e) {
      throw new CliError(`failed to open object file: ${(e as Error).message}`);
    }
    const names = Object.keys(spec.programs).filter((n) => spec.programs[n].autoload);
    if (!names.length) throw new CliError('object file doesn\'t contain any bpf program');
    if (progType) {
      const { classifySection } = await import('../elf/index.js');
      const c = classifySection(progType);
      if (c.programType === 'unspec') throw new CliError(`failed to parse program type '${progType}'`);
      for (const n of names) {
        spec.programs[n].type = c.programType;
        if (c.attachType) spec.programs[n].expectedAttachType = c.attachType;
      }
    }
    for (const n of names) {
      if (spec.programs[n].type === 'unspec') throw new CliError('failed to guess program type based on ELF section name');
    }
    const mapNames = Object.keys(spec.maps);
    const replaceMaps: Record<string, import('../map.js').BpfMap> = {};
    for (const r of replace) {
      const n = r.name ?? mapNames[r.idx ?? -1];
      if (!n || !spec.maps[n]) throw new CliError(r.name ? `unable to find map '${r.name}'` : `map idx '${r.idx}' not used`);
      replaceMaps[n] = BpfMap.fromFd(r.fd);
    }
    const programs = firstOnly ? [names[0]] : names;
    let coll;
    try {
      coll = Collection.load(spec, { replaceMaps, programs });
    } catch (e) {
      if (ctx.opts.debug && (e as { log?: string }).log) process.stderr.write(`${(e as { log: string }).log}\n`);
      throw new CliError(`failed to load object file: ${(e as Error).message}`);
    }
    const pinned: string[] = [];
    try {
      if (firstOnly) {
        doPin(ctx, coll.programs[names[0]].fd, pinPath);
        pinned.push(pinPath);
      } else {
        mkdirSync(pinPath, { recursive: true });
        for (const n of names) {
          const p = join(pinPath, n);
          doPin(ctx, coll.programs[n].fd, p);
          pinned.push(p);
        }
      }
      if (pinMaps) {
        mkdirSync(pinMaps, { recursive: true });
        for (const [n, m] of Object.entries(coll.maps)) {
          const p = join(pinMaps, n);
          if (existsSync(p)) continue;
          m.pin(p);
          pinned.push(p);
        }
      }
    } catch (e) {
      for (const p of pinned) rmSync(p, { force: true });
      throw e;
    } finally {
      coll.close();
    }
    if (ctx.json) ctx.jw.null();
    return 0;
  } finally {
    for (const r of replace) r.fd.close();
  }
}

// ---- help ----

function help(ctx: Ctx): number {
  return ctx.helpText(
    `Usage: ${BIN} prog { show | list } [PROG]\n` +
    `       ${BIN} prog dump xlated PROG [{ file FILE | opcodes | visual | linum }]\n` +
    `       ${BIN} prog dump jited  PROG [{ file FILE | opcodes | linum }]\n` +
    `       ${BIN} prog pin   PROG FILE\n` +
    `       ${BIN} prog { load | loadall } OBJ  PATH \\\n` +
    '                         [type TYPE] \\\n' +
    '                         [map { idx IDX | name NAME } MAP]\\\n' +
    '                         [pinmaps MAP_DIR]\n' +
    `       ${BIN} prog attach PROG ATTACH_TYPE [MAP]\n` +
    `       ${BIN} prog detach PROG ATTACH_TYPE [MAP]\n` +
    `       ${BIN} prog run PROG \\\n` +
    '                         data_in FILE \\\n' +
    '                         [data_out FILE [data_size_out L]] \\\n' +
    '                         [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] \\\n' +
    '                         [repeat N]\n' +
    `       ${BIN} prog help\n` +
    '\n' +
    `       ${HELP_SPEC_MAP}\n` +
    `       ${HELP_SPEC_PROGRAM}\n` +
    '       TYPE := { socket | kprobe | kretprobe | classifier | action |\n' +
    '                 tracepoint | raw_tracepoint | xdp | perf_event | cgroup/skb |\n' +
    '                 cgroup/sock | cgroup/dev | lwt_in | lwt_out | lwt_xmit |\n' +
    '                 lwt_seg6local | sockops | sk_skb | sk_msg | lirc_mode2 |\n' +
    '                 sk_reuseport | flow_dissector | cgroup/sysctl |\n' +
    '                 cgroup/bind4 | cgroup/bind6 | cgroup/post_bind4 |\n' +
    '                 cgroup/post_bind6 | cgroup/connect4 | cgroup/connect6 |\n' +
    '                 cgroup/getpeername4 | cgroup/getpeername6 |\n' +
    '                 cgroup/getsockname4 | cgroup/getsockname6 | cgroup/sendmsg4 |\n' +
    '                 cgroup/sendmsg6 | cgroup/recvmsg4 | cgroup/recvmsg6 |\n' +
    '                 cgroup/getsockopt | cgroup/setsockopt | cgroup/sock_release |\n' +
    '                 struct_ops | fentry | fexit | freplace | sk_lookup }\n' +
    '       ATTACH_TYPE := { sk_msg_verdict | sk_skb_verdict | sk_skb_stream_verdict |\n' +
    '                        sk_skb_stream_parser | flow_dissector }\n' +
    `       ${HELP_SPEC_OPTIONS} |\n` +
    '                    {-f|--bpffs} | {-n|--nomount} }\n',
  );
}

export const progCommands: CommandTable = {
  object: 'prog',
  commands: [
    ['show', doShow],
    ['list', doShow],
    ['help', help],
    ['dump', doDump],
    ['pin', doPinCmd],
    ['load', (ctx, args) => loadWithOptions(ctx, args, true)],
    ['loadall', (ctx, args) => loadWithOptions(ctx, args, false)],
    ['attach', (ctx, args) => attachDetach(ctx, args, false)],
    ['detach', (ctx, args) => attachDetach(ctx, args, true)],
    ['run', doRun],
  ],
  help,
};

export async function main(argv: string[]): Promise<number> {
  return runObject(progCommands, argv);
}

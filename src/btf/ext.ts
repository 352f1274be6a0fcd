// Decoding of .BTF.ext: per-section func_info, line_info and CO-RE relocation records.
import { ParseError } from '../sys/errors.js';
import { BTF_MAGIC } from './decode.js';
import type { Btf } from './btf.js';

/** CO-RE relocation kinds, in the order of libbpf's enum bpf_core_relo_kind (index = number). */
export const CORE_RELO_KINDS = [
  'field_byte_offset', 'field_byte_size', 'field_exists', 'field_signed', 'field_lshift_u64',
  'field_rshift_u64', 'type_id_local', 'type_id_target', 'type_exists', 'type_size',
  'enumval_exists', 'enumval_value', 'type_matches',
] as const;
export type CoreReloKind = (typeof CORE_RELO_KINDS)[number];

export interface FuncInfo {
  /** Instruction index (the file stores bytes; this is bytes / 8). */
  insnOff: number;
  typeId: number;
}

export interface LineInfo {
  insnOff: number;
  fileNameOff: number;
  lineOff: number;
  line: number;
  column: number;
  fileName: string;
  /** The source line text, as clang recorded it. */
  lineText: string;
}

export interface CoreRelo {
  insnOff: number;
  typeId: number;
  accessStrOff: number;
  accessStr: string;
  kind: CoreReloKind;
}

export interface BtfExt {
  funcInfo: Map<string, FuncInfo[]>;
  lineInfo: Map<string, LineInfo[]>;
  coreRelos: Map<string, CoreRelo[]>;
  funcInfoRecSize: number;
  lineInfoRecSize: number;
}

function fail(file: string | undefined, reason: string, at: number): never {
  throw new ParseError(`BTF.ext: ${reason}`, { file, line: 1, column: at + 1 });
}

export function decodeBtfExt(buf: Uint8Array, btf: Btf, file?: string): BtfExt {
  if (buf.length < 24) fail(file, 'too short for a header', 0);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let le = true;
  if (dv.getUint16(0, true) !== BTF_MAGIC) {
    if (dv.getUint16(0, false) !== BTF_MAGIC) fail(file, 'bad magic', 0);
    le = false;
  }
  if (dv.getUint8(2) !== 1) fail(file, `unsupported version ${dv.getUint8(2)}`, 2);
  const hdrLen = dv.getUint32(4, le);
  if (hdrLen < 24 || hdrLen > buf.length) fail(file, `bad header length ${hdrLen}`, 4);
  const ext: BtfExt = { funcInfo: new Map(), lineInfo: new Map(), coreRelos: new Map(), funcInfoRecSize: 8, lineInfoRecSize: 16 };
  const str = (off: number, at: number, what: string): string => {
    const s = btf.stringAt(off);
    if (s === undefined) fail(file, `${what} string offset ${off} is outside the BTF string table`, at);
    return s;
  };
  const secName = (off: number, at: number) => str(off, at, 'section name');

  // Each info block: u32 record size, then { u32 sec_name_off; u32 num_info; record[num_info] }*.
  const walk = (off: number, len: number, minRec: number, what: string, each: (sec: string, p: number, recSize: number) => void): number => {
    if (len === 0) return minRec;
    const start = hdrLen + off;
    if (off > buf.length || len > buf.length || start + len > buf.length) fail(file, `${what} lies outside the section`, 8);
    if (len < 4) fail(file, `${what} is too short`, start);
    const recSize = dv.getUint32(start, le);
    if (recSize < minRec || recSize % 4 !== 0 || recSize > len) fail(file, `${what} record size ${recSize} is invalid`, start);
    let p = start + 4;
    const end = start + len;
    while (p < end) {
      if (p + 8 > end) fail(file, `${what} section header runs past the end`, p);
      const name = secName(dv.getUint32(p, le), p);
      const n = dv.getUint32(p + 4, le);
      p += 8;
      if (n === 0) fail(file, `${what} for section '${name}' has no records`, p - 4);
      if (n > (end - p) / recSize) fail(file, `${what} for section '${name}' claims ${n} records, more than fit`, p - 4);
      for (let i = 0; i < n; i++, p += recSize) each(name, p, recSize);
    }
    return recSize;
  };
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  const insnOff = (p: number, what: string) => {
    const b = dv.getUint32(p, le);
    if (b % 8 !== 0) fail(file, `${what} instruction offset ${b} is not a multiple of 8`, p);
    return b / 8;
  };

  ext.funcInfoRecSize = walk(dv.getUint32(8, le), dv.getUint32(12, le), 8, 'func_info', (sec, p) => {
    push(ext.funcInfo, sec, { insnOff: insnOff(p, 'func_info'), typeId: dv.getUint32(p + 4, le) });
  });
  ext.lineInfoRecSize = walk(dv.getUint32(16, le), dv.getUint32(20, le), 16, 'line_info', (sec, p) => {
    const fileNameOff = dv.getUint32(p + 4, le);
    const lineOff = dv.getUint32(p + 8, le);
    const lc = dv.getUint32(p + 12, le);
    push(ext.lineInfo, sec, {
      insnOff: insnOff(p, 'line_info'), fileNameOff, lineOff, line: lc >>> 10, column: lc & 0x3ff,
      fileName: str(fileNameOff, p + 4, 'line_info file name'), lineText: str(lineOff, p + 8, 'line_info line'),
    });
  });
  if (hdrLen >= 32) {
    walk(dv.getUint32(24, le), dv.getUint32(28, le), 16, 'core_relo', (sec, p) => {
      const kindNum = dv.getUint32(p + 12, le);
      const kind = CORE_RELO_KINDS[kindNum];
      if (kind === undefined) fail(file, `unknown CO-RE relocation kind ${kindNum}`, p + 12);
      const accessStrOff = dv.getUint32(p + 8, le);
      push(ext.coreRelos, sec, {
        insnOff: insnOff(p, 'core_relo'), typeId: dv.getUint32(p + 4, le), accessStrOff,
        accessStr: str(accessStrOff, p + 8, 'CO-RE access'), kind,
      });
    });
  }
  return ext;
}

// Bytes in and out as bpftool writes and reads them: `fprint_hex` rows of 16 split in 8+8,
// JSON arrays of "0x.." strings, and the DATA grammar (`[hex] BYTES`, each byte parsed like strtoul).
import { CliError, isPrefix, type Ctx } from './core.js';

/** bpftool's fprint_hex: `sep` between bytes, two spaces after 8, a newline after 16. */
export function fprintHex(data: Uint8Array, sep = ' '): string {
  let s = '';
  for (let i = 0; i < data.length; i++) {
    if (i) s += i % 16 === 0 ? '\n' : i % 8 === 0 ? '  ' : sep;
    s += data[i].toString(16).padStart(2, '0');
  }
  return s;
}

/** print_hex_data_json: ["0x01","0x02",...]. */
export function hexJson(ctx: Ctx, data: Uint8Array): void {
  ctx.jw.startArray();
  for (const b of data) ctx.jw.raw(`"0x${b.toString(16).padStart(2, '0')}"`);
  ctx.jw.endArray();
}

/** print_data_json: [1,2,...]. */
export function dataJson(ctx: Ctx, data: Uint8Array): void {
  ctx.jw.startArray();
  for (const b of data) ctx.jw.raw(String(b));
  ctx.jw.endArray();
}

/** strtoul(word, &end, base) accepting only whole words; undefined when the word has junk. */
function parseByte(word: string, base: 0 | 16): number | undefined {
  const w = word.trim();
  let m: RegExpExecArray | null;
  let v: number;
  if (base === 16) {
    m = /^([+-]?)(?:0[xX])?([0-9a-fA-F]+)$/.exec(w);
    if (!m) return undefined;
    v = parseInt(m[2], 16);
  } else {
    m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(w);
    if (!m) return undefined;
    const b = m[2];
    v = /^0[xX]/.test(b) ? parseInt(b.slice(2), 16) : b.length > 1 && b[0] === '0' ? parseInt(b.slice(1), 8) : parseInt(b, 10);
  }
  if (m[1] === '-') v = -v;
  return ((v % 256) + 256) % 256;
}

/**
 * bpftool's parse_bytes: `n` byte words (optionally after `hex`, which may be abbreviated);
 * returns the bytes and how many words were used. Fewer words than `n` is the familiar
 * "value expected 4 bytes got 3".
 */
export function parseBytes(words: readonly string[], what: string, n: number): { bytes: Buffer; used: number } {
  let i = 0;
  let base: 0 | 16 = 0;
  if (isPrefix(words[0], 'hex')) {
    base = 16;
    i = 1;
  }
  const bytes = Buffer.alloc(n);
  let got = 0;
  while (got < n && words[i + got] !== undefined) {
    const v = parseByte(words[i + got], base);
    if (v === undefined) throw new CliError(`error parsing byte: ${words[i + got]}`);
    bytes[got] = v;
    got++;
  }
  if (got !== n) throw new CliError(`${what} expected ${n} bytes got ${got}`);
  return { bytes, used: i + got };
}

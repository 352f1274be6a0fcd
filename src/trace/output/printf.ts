// printf() formatting as bpftrace 0.17 does it: the format is cut after each conversion that its
// regex recognises, and each piece is handed to C's snprintf with one argument. We emulate glibc's
// snprintf for those pieces, including what C does with a 64-bit argument under `%d` (the low 32
// bits) and `%p` ("0x..." or "(nil)").

/** One printf argument as the runtime decoded it. */
export type PrintfArg =
  | { kind: 'int'; value: bigint; signed: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'buffer'; value: Uint8Array };

const LENGTHS = ['hh', 'h', 'll', 'l', 'j', 'z', 't', ''];
const SPECIFIERS = ['d', 'u', 'o', 'x', 'X', 'p'];
/** bpftrace's printf_format_types: the conversions it accepts, and the argument kind each wants. */
export const PRINTF_FORMAT_TYPES: ReadonlyMap<string, 'integer' | 'string' | 'buffer'> = new Map<string, 'integer' | 'string' | 'buffer'>([
  ['s', 'string'],
  ['r', 'buffer'],
  ['rx', 'buffer'],
  ['rh', 'buffer'],
  ['c', 'integer'],
  ...LENGTHS.flatMap((l) => SPECIFIERS.map((s): [string, 'integer'] => [l + s, 'integer'])),
]);
/** The subset bpf_trace_printk accepts (debugf). */
export const PRINTK_FORMAT_TYPES: ReadonlyMap<string, 'integer' | 'string'> = new Map<string, 'integer' | 'string'>([
  ['d', 'integer'], ['u', 'integer'], ['x', 'integer'], ['ld', 'integer'], ['lu', 'integer'], ['lx', 'integer'], ['lld', 'integer'], ['llu', 'integer'], ['llx', 'integer'], ['p', 'integer'], ['s', 'string'],
]);

// Longest alternatives first, so `%rx` is one conversion and `%lld` is not `%l` + `ld`.
const ALTERNATIVES = [...PRINTF_FORMAT_TYPES.keys()].sort((a, b) => b.length - a.length);
/** bpftrace's format_specifier_re. */
export const FORMAT_SPECIFIER = new RegExp(`%-?[0-9]*(\\.[0-9]+)?(${ALTERNATIVES.join('|')})`, 'g');

/** The conversions bpftrace finds in a format string, in order. */
export function formatSpecifiers(fmt: string): string[] {
  return [...fmt.matchAll(FORMAT_SPECIFIER)].map((m) => m[0]);
}

/** FormatString::split: pieces that each end with one conversion, then the trailing text. */
export function splitFormat(fmt: string): string[] {
  const parts: string[] = [];
  let last = 0;
  for (const m of fmt.matchAll(FORMAT_SPECIFIER)) {
    const end = m.index! + m[0].length;
    parts.push(fmt.slice(last, end));
    last = end;
  }
  if (last !== fmt.length) parts.push(fmt.slice(last));
  return parts;
}

/**
 * validate_format_string: the error text for a printf-like call whose arguments do not fit its format,
 * or '' when they do. `argKinds` are bpftrace type kinds ('integer', 'string', 'pointer', 'ksym', …).
 */
export function validateFormat(fmt: string, argKinds: string[], func: string): string {
  const tokens = formatSpecifiers(fmt);
  if (argKinds.length < tokens.length) return `${func}: Not enough arguments for format string (${argKinds.length} supplied, ${tokens.length} expected)`;
  if (argKinds.length > tokens.length) return `${func}: Too many arguments for format string (${argKinds.length} supplied, ${tokens.length} expected)`;
  if (func === 'debugf' && argKinds.length > 3) return `${func}: Cannot use more than 3 conversion specifiers`;
  const table: ReadonlyMap<string, string> = func === 'debugf' ? PRINTK_FORMAT_TYPES : PRINTF_FORMAT_TYPES;
  for (let i = 0; i < argKinds.length; i++) {
    let kind = argKinds[i];
    if (['ksym', 'usym', 'probe', 'username', 'kstack', 'ustack', 'inet', 'timestamp', 'mac_address', 'cgroup_path', 'strerror'].includes(kind)) kind = 'string';
    if (kind === 'pointer') kind = 'integer';
    const tok = tokens[i];
    let off = 1;
    if (tok[off] === '-') off++;
    while (off < tok.length && (/[0-9]/.test(tok[off]) || tok[off] === '.')) off++;
    const spec = tok.slice(off);
    const want = table.get(spec);
    if (!want) return `${func}: Unknown format string token: %${spec}`;
    if (kind !== want) return `${func}: %${spec} specifier expects a value of type ${want} (${kind} supplied)`;
  }
  return '';
}

/** hex_format_buffer. */
export function hexFormatBuffer(bytes: Uint8Array, keepAscii = true, escapeHex = true): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (keepAscii && b >= 32 && b <= 126) s += String.fromCharCode(b);
    else if (escapeHex) s += `\\x${b.toString(16).padStart(2, '0')}`;
    else s += b.toString(16).padStart(2, '0') + (i === bytes.length - 1 ? '' : ' ');
  }
  return s;
}

/** FormatString::format: the text printf(fmt, args...) prints. */
export function formatPrintf(fmt: string, args: readonly PrintfArg[]): string {
  const parts = splitFormat(fmt);
  let out = '';
  let i = 0;
  for (; i < args.length && i < parts.length; i++) {
    let part = parts[i];
    const lastPercent = part.lastIndexOf('%');
    const conv = lastPercent >= 0 ? part.slice(lastPercent) : '';
    let arg = args[i];
    if (conv === '%r' || conv === '%rx' || conv === '%rh') {
      if (arg.kind === 'buffer') arg = { kind: 'string', value: hexFormatBuffer(arg.value, conv === '%r', conv !== '%rh') };
      part = part.replace(/%r[x|h]?/g, '%s');
    }
    out += cFormat(part, arg);
  }
  if (i < parts.length) out += parts.slice(i).join('');
  return out;
}

/** snprintf(buf, size, piece, arg) for one piece of a format. */
export function cFormat(piece: string, arg: PrintfArg | undefined): string {
  let out = '';
  let used = false;
  const re = /%([-+ #0]*)(\d+|\*)?(?:\.(\d*|\*))?(hh|h|ll|l|j|z|t|L|q)?([diouxXcspn%aAeEfFgG])?/g;
  let last = 0;
  for (let m = re.exec(piece); m; m = re.exec(piece)) {
    out += piece.slice(last, m.index);
    last = m.index + m[0].length;
    const [, flags, widthText, precText, length, conv] = m;
    if (conv === '%') {
      out += '%';
      continue;
    }
    if (!conv) {
      out += m[0];
      continue;
    }
    const a = used ? undefined : arg;
    used = true;
    out += convert(flags, widthText && widthText !== '*' ? Number(widthText) : undefined, precText !== undefined && precText !== '*' ? Number(precText || '0') : undefined, length ?? '', conv, a);
  }
  return out + piece.slice(last);
}

function convert(flags: string, width: number | undefined, precision: number | undefined, length: string, conv: string, arg: PrintfArg | undefined): string {
  const left = flags.includes('-');
  const pad = (s: string, zeroOk: boolean): string => {
    if (width === undefined || s.length >= width) return s;
    if (left) return s.padEnd(width);
    if (zeroOk && flags.includes('0') && precision === undefined) {
      const sign = /^[-+ ]/.test(s) ? s[0] : '';
      const prefix = /^[-+ ]?0[xX]/.test(s) ? s.slice(0, sign.length + 2) : sign;
      return prefix + s.slice(prefix.length).padStart(width - prefix.length, '0');
    }
    return s.padStart(width);
  };
  if (conv === 's') {
    let s = arg === undefined ? '' : arg.kind === 'string' ? arg.value : arg.kind === 'buffer' ? hexFormatBuffer(arg.value) : String(arg.value);
    if (precision !== undefined) s = s.slice(0, precision);
    return pad(s, false);
  }
  const raw = arg && arg.kind === 'int' ? arg.value : 0n;
  if (conv === 'c') return pad(String.fromCharCode(Number(BigInt.asUintN(8, raw))), false);
  if (conv === 'p') {
    const v = BigInt.asUintN(64, raw);
    return pad(v === 0n ? '(nil)' : `0x${v.toString(16)}`, false);
  }
  const bits = length === 'hh' ? 8 : length === 'h' ? 16 : length === '' ? 32 : 64;
  if (conv === 'd' || conv === 'i') {
    const v = BigInt.asIntN(bits, raw);
    let digits = (v < 0n ? -v : v).toString();
    if (precision !== undefined) digits = precision === 0 && v === 0n ? '' : digits.padStart(precision, '0');
    const sign = v < 0n ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
    return pad(sign + digits, true);
  }
  if (conv === 'u' || conv === 'o' || conv === 'x' || conv === 'X') {
    const v = BigInt.asUintN(bits, raw);
    let digits = conv === 'u' ? v.toString() : conv === 'o' ? v.toString(8) : v.toString(16);
    if (conv === 'X') digits = digits.toUpperCase();
    if (precision !== undefined) digits = precision === 0 && v === 0n ? '' : digits.padStart(precision, '0');
    if (flags.includes('#') && v !== 0n) {
      if (conv === 'x') digits = `0x${digits}`;
      else if (conv === 'X') digits = `0X${digits}`;
      else if (conv === 'o' && !digits.startsWith('0')) digits = `0${digits}`;
    }
    return pad(digits, true);
  }
  // Conversions bpftrace never recognises (floating point, %n) are not given an argument of
  // their type in C; print nothing rather than guess.
  return '';
}

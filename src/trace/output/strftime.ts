// C strftime() in the C locale, for time() (formats the current local time) and strftime() (formats
// a boot-relative timestamp, with bpftrace's `%f` microseconds extension).
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const pad = (n: number, w = 2, c = '0'): string => String(n).padStart(w, c);

function dayOfYear(d: Date): number {
  return Math.floor((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86400000) + 1;
}

function tzOffset(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${sign}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
}

function tzName(d: Date): string {
  const m = /\(([^)]+)\)$/.exec(d.toString());
  if (!m) return '';
  // Abbreviate "Coordinated Universal Time" style names the way libc prints them.
  const words = m[1].split(' ');
  return words.length > 1 ? words.map((w) => w[0]).join('') : m[1];
}

/** strftime(fmt, localtime(date)) in the C locale. */
export function strftime(fmt: string, date: Date): string {
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%' || i + 1 >= fmt.length) {
      out += c;
      continue;
    }
    const k = fmt[++i];
    const d = date;
    const h12 = d.getHours() % 12 || 12;
    switch (k) {
      case 'a': out += DAYS[d.getDay()].slice(0, 3); break;
      case 'A': out += DAYS[d.getDay()]; break;
      case 'b': case 'h': out += MONTHS[d.getMonth()].slice(0, 3); break;
      case 'B': out += MONTHS[d.getMonth()]; break;
      case 'c': out += `${DAYS[d.getDay()].slice(0, 3)} ${MONTHS[d.getMonth()].slice(0, 3)} ${pad(d.getDate(), 2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${d.getFullYear()}`; break;
      case 'C': out += pad(Math.floor(d.getFullYear() / 100)); break;
      case 'd': out += pad(d.getDate()); break;
      case 'D': out += `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}`; break;
      case 'e': out += pad(d.getDate(), 2, ' '); break;
      case 'F': out += `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`; break;
      case 'H': out += pad(d.getHours()); break;
      case 'I': out += pad(h12); break;
      case 'j': out += pad(dayOfYear(d), 3); break;
      case 'k': out += pad(d.getHours(), 2, ' '); break;
      case 'l': out += pad(h12, 2, ' '); break;
      case 'm': out += pad(d.getMonth() + 1); break;
      case 'M': out += pad(d.getMinutes()); break;
      case 'n': out += '\n'; break;
      case 'p': out += d.getHours() < 12 ? 'AM' : 'PM'; break;
      case 'P': out += d.getHours() < 12 ? 'am' : 'pm'; break;
      case 'r': out += `${pad(h12)}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${d.getHours() < 12 ? 'AM' : 'PM'}`; break;
      case 'R': out += `${pad(d.getHours())}:${pad(d.getMinutes())}`; break;
      case 's': out += String(Math.floor(d.getTime() / 1000)); break;
      case 'S': out += pad(d.getSeconds()); break;
      case 't': out += '\t'; break;
      case 'T': case 'X': out += `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`; break;
      case 'u': out += String(d.getDay() || 7); break;
      case 'w': out += String(d.getDay()); break;
      case 'x': out += `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}`; break;
      case 'y': out += pad(d.getFullYear() % 100); break;
      case 'Y': out += String(d.getFullYear()); break;
      case 'z': out += tzOffset(d); break;
      case 'Z': out += tzName(d); break;
      case '%': out += '%'; break;
      default: out += `%${k}`;
    }
  }
  return out;
}

/**
 * bpftrace's resolve_timestamp: a strftime() value (nanoseconds since boot) as text, given the boot
 * time. `%f` is replaced by the microseconds first. Output is cut at 63 bytes like bpftrace's buffer.
 */
export function formatTimestamp(fmt: string, nsecsSinceBoot: bigint, bootTime: { sec: bigint; nsec: bigint }): string {
  const total = bootTime.nsec + nsecsSinceBoot;
  const secs = bootTime.sec + total / 1_000_000_000n;
  const us = (total % 1_000_000_000n) / 1000n;
  const text = strftime(fmt.replace(/%f/g, us.toString().padStart(6, '0')), new Date(Number(secs) * 1000));
  return text.length >= 64 ? '' : text;
}

/** time(fmt): the current local time, as bpftrace formats it (nothing if it would not fit 64 bytes). */
export function formatTime(fmt: string, now = new Date()): string {
  const text = strftime(fmt, now);
  return text.length >= 64 ? '' : text;
}

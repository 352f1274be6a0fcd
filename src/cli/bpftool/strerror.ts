// glibc's strerror() texts, which bpftool puts in its messages ("get by id (7): No such file or
// directory"); Node only has libuv's lower-case variants. Codes missing here print as glibc
// prints unknown ones ("Unknown error 524": ENOTSUPP is kernel-internal).
import { BpfError } from '../../sys/errors.js';

const messages: Record<number, string> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  3: 'No such process',
  4: 'Interrupted system call',
  5: 'Input/output error',
  6: 'No such device or address',
  7: 'Argument list too long',
  8: 'Exec format error',
  9: 'Bad file descriptor',
  11: 'Resource temporarily unavailable',
  12: 'Cannot allocate memory',
  13: 'Permission denied',
  14: 'Bad address',
  16: 'Device or resource busy',
  17: 'File exists',
  18: 'Invalid cross-device link',
  19: 'No such device',
  20: 'Not a directory',
  21: 'Is a directory',
  22: 'Invalid argument',
  23: 'Too many open files in system',
  24: 'Too many open files',
  25: 'Inappropriate ioctl for device',
  27: 'File too large',
  28: 'No space left on device',
  30: 'Read-only file system',
  32: 'Broken pipe',
  34: 'Numerical result out of range',
  36: 'File name too long',
  38: 'Function not implemented',
  39: 'Directory not empty',
  40: 'Too many levels of symbolic links',
  61: 'No data available',
  75: 'Value too large for defined data type',
  90: 'Message too long',
  93: 'Protocol not supported',
  95: 'Operation not supported',
  97: 'Address family not supported by protocol',
  98: 'Address already in use',
  105: 'No buffer space available',
  110: 'Connection timed out',
};

export function strerror(errno: number): string {
  return messages[errno] ?? `Unknown error ${errno}`;
}

/** The errno behind an error from the library or from Node's fs, if there is one. */
export function errnoOf(e: unknown): number | undefined {
  if (e instanceof BpfError) return e.errno;
  const n = (e as NodeJS.ErrnoException | undefined)?.errno;
  return typeof n === 'number' ? Math.abs(n) : undefined;
}

/** strerror of an error's errno, or its message when it has none. */
export function reason(e: unknown): string {
  const n = errnoOf(e);
  return n !== undefined ? strerror(n) : (e as Error).message;
}

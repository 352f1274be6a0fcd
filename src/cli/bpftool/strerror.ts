// The errno texts bpftool puts in its messages ("get by id (7): No such file or directory").
import { BpfError, strerror } from '../../sys/errors.js';

export { strerror };

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

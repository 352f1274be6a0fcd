// `bpfkit btf dump file PATH [format raw|c]` — bpftool's grammar.
import { btfFromFile } from '../btf/file.js';
import { btfToC } from '../btf/c-dump.js';
import { btfToRaw } from '../btf/raw-dump.js';
import { kernelBtf } from '../btf/kernel.js';
import { isUserError } from '../sys/errors.js';

const USAGE = 'Usage: bpfkit btf dump file PATH [format {raw|c}]';

/** Writes to stdout/stderr and waits until the data is handed to the kernel (pipes may be non-blocking). */
function writeAll(fd: 1 | 2, s: string): Promise<void> {
  const stream = fd === 1 ? process.stdout : process.stderr;
  return new Promise((resolve, reject) => stream.write(s, (e) => (e ? reject(e) : resolve())));
}

export async function main(argv: string[]): Promise<number> {
  try {
    const [cmd, src, path, ...rest] = argv;
    if (cmd === 'help' || cmd === undefined) {
      await writeAll(cmd === undefined ? 2 : 1, USAGE + '\n');
      return cmd === undefined ? 2 : 0;
    }
    if (cmd !== 'dump') throw new UsageError(`unknown command '${cmd}'`);
    if (src !== 'file' || !path) throw new UsageError("expected 'file PATH'");
    let format = 'raw';
    if (rest.length) {
      if (rest[0] !== 'format' || rest.length !== 2) throw new UsageError(`unexpected argument '${rest[0]}'`);
      format = rest[1];
      if (format !== 'raw' && format !== 'c') throw new UsageError(`unknown format '${format}' (raw or c)`);
    }
    // Module BTF under /sys/kernel/btf is split over vmlinux, as bpftool assumes.
    const isModule = path.startsWith('/sys/kernel/btf/') && !path.endsWith('/vmlinux');
    const btf = btfFromFile(path, isModule ? { base: kernelBtf() } : {});
    await writeAll(1, format === 'c' ? btfToC(btf) : btfToRaw(btf));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      await writeAll(2, `Error: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      await writeAll(2, `Error: cannot read ${(e as NodeJS.ErrnoException).path ?? argv[2]}: ${code}\n`);
      return 1;
    }
    if (isUserError(e)) {
      await writeAll(2, `Error: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

class UsageError extends Error {}

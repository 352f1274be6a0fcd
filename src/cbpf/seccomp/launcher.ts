// The process `bpfkit seccomp run` starts: installs the filter on itself, then becomes the
// command. Usage: launcher FLAGS FILTER_BASE64 PATH ARGV0 ARGS... (FLAGS: comma list of log, tsync).
// Everything that can fail is done before the filter goes in; after it only execve runs.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { clearCloseOnExec, execve, installSeccompFilter, setNoNewPrivs } from '../../sys/seccomp.js';

/** Resolves a command the way a shell does (a name without '/' is searched in PATH). */
export function resolveCommand(cmd: string, path = process.env.PATH ?? '/usr/bin:/bin'): string | undefined {
  const ok = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) return ok(cmd) ? cmd : undefined;
  for (const dir of path.split(delimiter)) if (dir && ok(join(dir, cmd))) return join(dir, cmd);
  return undefined;
}

export function launch(argv: string[]): never {
  const [flagText, filterB64, path, ...args] = argv;
  if (!filterB64 || !path || !args.length) {
    process.stderr.write('bpfkit seccomp launcher: usage: FLAGS FILTER_BASE64 PATH ARGV0 [ARGS...]\n');
    process.exit(126);
  }
  const flags = new Set(flagText.split(',').filter(Boolean));
  const filter = Buffer.from(filterB64, 'base64');
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
  try {
    // The command gets stdin, stdout and stderr, as from a shell.
    for (const fd of [0, 1, 2]) {
      try {
        clearCloseOnExec(fd);
      } catch {
        /* not open: the command starts without it, as it would from a shell */
      }
    }
    setNoNewPrivs();
    installSeccompFilter(filter, { log: flags.has('log'), tsync: flags.has('tsync') });
    execve(path, args, env);
  } catch (e) {
    // Reaching here under the filter may itself be denied; exit quietly with the shell's code.
    try {
      process.stderr.write(`bpfkit seccomp: ${(e as Error).message}\n`);
    } catch {
      /* writing may be what the filter denies */
    }
    process.exit(126);
  }
}

const self = new URL(import.meta.url).pathname;
if (process.argv[1] === self) launch(process.argv.slice(2));

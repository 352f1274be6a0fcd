// tcpdump's command-line shape, shared by `bpfkit filter` and `bpfkit capture`: short options that
// cluster (-dd, -Od, -yEN10MB, -c 5), a few long options, and the expression's words.

export class UsageError extends Error {}

export interface OptionHandlers {
  /** A `--long` option: return true when it is known; `next()` takes the following argument. */
  long?(arg: string, next: () => string): boolean;
  /** One short option letter; `value()` takes its argument (the rest of the cluster or the next word). */
  short(letter: string, value: () => string): void;
}

/** Scans `argv`; returns the expression words, or 'help' for -h/--help. Throws UsageError. */
export function scanTcpdumpArgs(argv: string[], h: OptionHandlers): string[] | 'help' {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg.startsWith('--')) {
      const next = (): string => {
        if (i + 1 >= argv.length) throw new UsageError(`option ${arg} needs a value`);
        return argv[++i];
      };
      if (!h.long?.(arg, next)) throw new UsageError(`unknown option ${arg}`);
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      words.push(arg);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const c = arg[j];
      h.short(c, () => {
        const rest = arg.slice(j + 1);
        j = arg.length;
        if (rest) return rest;
        if (i + 1 >= argv.length) throw new UsageError(`option -${c} needs a value`);
        return argv[++i];
      });
    }
  }
  return words;
}

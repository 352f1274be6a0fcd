// The frame every bpftool-style command runs in: global options (-j, -p, -f, -n, -d), bpftool's
// prefix matching of command words (`p s` = `prog show`), its error printing (`Error: ...` on
// stderr, or {"error": "..."} in the JSON stream) and `usage()`, which prints the help of the
// level being parsed and fails.
import { isUserError } from '../../sys/errors.js';
import { JsonWriter } from './json.js';
import { reason } from './strerror.js';

export const BIN = 'bpfkit';

/** A failure already worded for the user (bpftool's p_err + return -1). */
export class CliError extends Error {
  readonly code: number;
  constructor(message: string, code = -1) {
    super(message);
    this.name = 'CliError';
    this.code = code;
  }
}

/** bpftool's usage(): print the current level's help and fail. */
export class UsageError extends Error {
  constructor() {
    super('usage');
    this.name = 'UsageError';
  }
}

export interface Options {
  json: boolean;
  pretty: boolean;
  /** -f: show where objects are pinned. */
  showPinned: boolean;
  /** -n: do not mount bpffs to pin. */
  nomount: boolean;
  /** -d: verbose (verifier logs). */
  debug: boolean;
}

/** Output and options of one run; batch mode shares it between commands. */
export class Ctx {
  readonly opts: Options;
  readonly jw: JsonWriter;
  #chunks: string[] = [];
  #size = 0;
  /** The help of the innermost command table being parsed, for usage(). */
  help: (ctx: Ctx, args: Args) => number = () => 0;
  helpObject = '';

  constructor(opts: Partial<Options> = {}) {
    this.opts = { json: false, pretty: false, showPinned: false, nomount: false, debug: false, ...opts };
    this.jw = new JsonWriter((s) => this.print(s), this.opts.pretty);
  }

  get json(): boolean {
    return this.opts.json;
  }

  /** stdout (buffered; flushed by the runner). */
  print(s: string): void {
    this.#chunks.push(s);
    this.#size += s.length;
    if (this.#size > 1 << 16) void this.flush();
  }

  /** bpftool's p_err. */
  err(msg: string): void {
    if (this.json) this.jw.startObject().name('error').string(msg).endObject();
    else process.stderr.write(`Error: ${msg}\n`);
  }

  /** bpftool's p_info: a note on stderr, silent in JSON mode. */
  info(msg: string): void {
    if (!this.json) process.stderr.write(`${msg}\n`);
  }

  /** Help texts go to stderr, or are `null` in JSON mode. */
  helpText(text: string): number {
    if (this.json) this.jw.null();
    else process.stderr.write(text);
    return 0;
  }

  flush(): Promise<void> {
    if (!this.#chunks.length) return Promise.resolve();
    const s = this.#chunks.join('');
    this.#chunks = [];
    this.#size = 0;
    return new Promise((resolve, reject) => process.stdout.write(s, (e) => (e ? reject(e) : resolve())));
  }
}

/** bpftool's is_prefix: `word` is a (non-empty or empty) prefix of `full`. */
export function isPrefix(word: string | undefined, full: string): boolean {
  return word !== undefined && full.startsWith(word);
}

/** The remaining words of a command line, consumed left to right like bpftool's argc/argv. */
export class Args {
  readonly words: readonly string[];
  #i: number;

  constructor(words: readonly string[], start = 0) {
    this.words = words;
    this.#i = start;
  }

  get length(): number {
    return this.words.length - this.#i;
  }

  get empty(): boolean {
    return this.length <= 0;
  }

  /** The current word (argv[0]). */
  get cur(): string | undefined {
    return this.words[this.#i];
  }

  /** The word before the current one (argv[-1]). */
  get prev(): string | undefined {
    return this.words[this.#i - 1];
  }

  at(k: number): string | undefined {
    return this.words[this.#i + k];
  }

  /** NEXT_ARG(): advance, and fail with usage() when that runs past the end. */
  next(): this {
    this.#i++;
    if (this.length < 0) throw new UsageError();
    return this;
  }

  /** GET_ARG(): the current word, then advance. */
  take(): string {
    const w = this.words[this.#i];
    this.#i++;
    return w;
  }

  /** REQ_ARGS(n). */
  require(n: number): void {
    if (this.length < n) throw new CliError(`'${this.prev}' needs at least ${n} arguments, ${this.length} found`);
  }

  is(full: string): boolean {
    return isPrefix(this.cur, full);
  }

  rest(): string[] {
    return this.words.slice(this.#i);
  }

  clone(): Args {
    return new Args(this.words, this.#i);
  }
}

export type Handler = (ctx: Ctx, args: Args) => number | Promise<number>;

export interface CommandTable {
  /** The object name (prog, map, ...), for help texts. */
  object: string;
  /** In bpftool's order: with no command word, the first one runs; prefixes match the first fitting. */
  commands: readonly (readonly [string, Handler])[];
  help: (ctx: Ctx, args: Args) => number;
}

/** bpftool's cmd_select. */
export async function select(ctx: Ctx, table: CommandTable, args: Args): Promise<number> {
  ctx.help = table.help;
  ctx.helpObject = table.object;
  if (args.empty) return table.commands[0][1](ctx, args);
  for (const [name, fn] of table.commands) {
    if (isPrefix(args.cur, name)) return fn(ctx, args.clone().next());
  }
  table.help(ctx, args.clone().next());
  return -1;
}

/** Runs one command, turning thrown errors into bpftool's messages and return codes. */
export async function runCommand(ctx: Ctx, table: CommandTable, args: Args): Promise<number> {
  try {
    return await select(ctx, table, args);
  } catch (e) {
    return report(ctx, e);
  }
}

export function report(ctx: Ctx, e: unknown): number {
  if (e instanceof UsageError) {
    ctx.help(ctx, new Args([]));
    return -1;
  }
  if (e instanceof CliError) {
    // An empty message: bpftool fails silently there (e.g. a name that matches nothing).
    if (e.message) ctx.err(e.message);
    return e.code;
  }
  if (isUserError(e) || e instanceof TypeError || (e as NodeJS.ErrnoException)?.syscall) {
    ctx.err(isUserError(e) || e instanceof TypeError ? (e as Error).message : reason(e));
    return -1;
  }
  throw e;
}

const shortOptions: Record<string, keyof Options | 'help' | 'version' | 'ignore'> = {
  j: 'json', p: 'pretty', f: 'showPinned', n: 'nomount', d: 'debug', h: 'help', V: 'version', m: 'ignore', L: 'ignore',
};
const longOptions: Record<string, string> = {
  json: 'j', pretty: 'p', bpffs: 'f', nomount: 'n', debug: 'd', help: 'h', version: 'V', mapcompat: 'm', 'use-loader': 'L',
};

export interface ParsedCommandLine {
  opts: Partial<Options>;
  words: string[];
  help: boolean;
  version: boolean;
  error?: string;
}

/** getopt_long as bpftool calls it: options anywhere (argv is permuted), `--` ends them. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const r: ParsedCommandLine = { opts: {}, words: [], help: false, version: false };
  const set = (c: string): boolean => {
    const what = shortOptions[c];
    if (!what) return false;
    if (what === 'help') r.help = true;
    else if (what === 'version') r.version = true;
    else if (what === 'pretty') r.opts.pretty = r.opts.json = true;
    else if (what !== 'ignore') r.opts[what] = true;
    return true;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      r.words.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const long = longOptions[a.slice(2)];
      if (!long) r.error ??= `unrecognized option '${a}'`;
      else set(long);
    } else if (a.startsWith('-') && a.length > 1) {
      for (const c of a.slice(1)) if (!set(c)) r.error ??= `unrecognized option '${a}'`;
    } else {
      r.words.push(a);
    }
  }
  return r;
}

/** bpftool's exit status for a command's return value (-1 → 255). */
export function exitStatus(ret: number): number {
  return ret & 0xff;
}

/** Runs `bpfkit OBJECT ...` for one object's table: options, the command, JSON closing, flushing. */
export async function runObject(table: CommandTable, argv: readonly string[]): Promise<number> {
  const cl = parseCommandLine(argv);
  const ctx = new Ctx(cl.opts);
  let ret: number;
  if (cl.error) {
    ctx.err(cl.error);
    if (!ctx.json) table.help(ctx, new Args([]));
    ret = -1;
  } else if (cl.help) {
    ret = table.help(ctx, new Args([]));
  } else {
    ret = await runCommand(ctx, table, new Args(cl.words));
  }
  // bpftool's jsonw_destroy ends the JSON stream with a newline.
  if (ctx.json) ctx.print('\n');
  await ctx.flush();
  return exitStatus(ret);
}

export const HELP_SPEC_PROGRAM = 'PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }';
export const HELP_SPEC_OPTIONS = 'OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug}';
export const HELP_SPEC_MAP = 'MAP := { id MAP_ID | pinned FILE | name MAP_NAME }';
export const HELP_SPEC_LINK = 'LINK := { id LINK_ID | pinned FILE }';

// tracefs: tracepoint ids and formats, the legacy kprobe/uprobe event files, trace_pipe.
import { existsSync, readFileSync, readdirSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { tracefsRoot } from './mounts.js';
import { NotSupportedError, BpfError } from './errors.js';

let root: string | undefined;

/** Where tracefs is mounted; NotSupportedError when it is not. */
export function tracefs(): string {
  if (root) return root;
  const found = tracefsRoot() ?? ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].find((p) => existsSync(join(p, 'events')));
  if (!found || !existsSync(join(found, 'events'))) {
    throw new NotSupportedError('tracefs', 'mount it with: mount -t tracefs tracefs /sys/kernel/tracing');
  }
  return (root = found);
}

function eventDir(category: string, name: string): string {
  if (!/^[\w.-]+$/.test(category) || !/^[\w.-]+$/.test(name)) throw new TypeError(`invalid tracepoint name ${category}:${name}`);
  return join(tracefs(), 'events', category, name);
}

/** The perf event config of a tracepoint (events/CATEGORY/NAME/id). */
export function tracepointId(category: string, name: string): number {
  const file = join(eventDir(category, name), 'id');
  try {
    return Number.parseInt(readFileSync(file, 'utf8'), 10);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new BpfError(`tracepoint ${category}:${name}`, 2, `no tracepoint ${category}:${name} (see ${join(tracefs(), 'available_events')})`);
    throw e;
  }
}

export interface TracepointField {
  /** The C declaration as the format file writes it, e.g. `const char * filename`. */
  declaration: string;
  name: string;
  /** Element type without the name or array suffix, e.g. `const char *`, `char`. */
  type: string;
  offset: number;
  size: number;
  signed: boolean;
  /** Element count for arrays (`char comm[16]`), undefined otherwise. */
  arrayLength?: number;
  /** `__data_loc` fields: a u32 (offset | length << 16) locating dynamic data. */
  dataLoc: boolean;
  /** Fields before the first blank line of the format are the common header (common_pid …). */
  common: boolean;
}

export interface TracepointFormat {
  category: string;
  name: string;
  id: number;
  fields: TracepointField[];
  printFmt: string;
}

/** Parses a tracepoint's format file. */
export function parseTracepointFormat(text: string, category: string, name: string): TracepointFormat {
  const fields: TracepointField[] = [];
  let common = true;
  let id = 0;
  let printFmt = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('ID:')) id = Number(line.slice(3).trim());
    if (line.trim() === '' && fields.length) common = false;
    if (line.startsWith('print fmt:')) printFmt = line.slice(10).trim();
    const m = /^\s*field:(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/.exec(line);
    if (!m) continue;
    const declaration = m[1].trim();
    const dm = /^(.*?)([A-Za-z_]\w*)\s*(?:\[(\d*)\])?$/.exec(declaration);
    let type = dm ? dm[1].trim() : declaration;
    const dataLoc = type.startsWith('__data_loc ');
    if (dataLoc) type = type.slice('__data_loc '.length);
    fields.push({
      declaration,
      name: dm ? dm[2] : declaration,
      type,
      offset: Number(m[2]),
      size: Number(m[3]),
      signed: m[4] === '1',
      arrayLength: dm && dm[3] !== undefined ? (dm[3] === '' ? 0 : Number(dm[3])) : undefined,
      dataLoc,
      common,
    });
  }
  return { category, name, id, fields, printFmt };
}

export function tracepointFormat(category: string, name: string): TracepointFormat {
  const file = join(eventDir(category, name), 'format');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new BpfError(`tracepoint ${category}:${name}`, 2, `no tracepoint ${category}:${name}`);
    throw e;
  }
  return parseTracepointFormat(text, category, name);
}

/** Every tracepoint as [category, name], from the events directory. */
export function listTracepoints(): [string, string][] {
  const out: [string, string][] = [];
  const events = join(tracefs(), 'events');
  for (const cat of readdirSync(events, { withFileTypes: true })) {
    if (!cat.isDirectory()) continue;
    for (const ev of readdirSync(join(events, cat.name), { withFileTypes: true })) {
      if (ev.isDirectory()) out.push([cat.name, ev.name]);
    }
  }
  return out.sort((a, b) => (a[0] === b[0] ? a[1].localeCompare(b[1]) : a[0].localeCompare(b[0])));
}

/** Adds a line to kprobe_events or uprobe_events (the legacy probe interface). */
export function writeProbeEvent(file: 'kprobe_events' | 'uprobe_events', line: string): void {
  const path = join(tracefs(), file);
  if (!existsSync(path)) throw new NotSupportedError(file === 'kprobe_events' ? 'kprobes' : 'uprobes', `${path} does not exist (kernel built without ${file === 'kprobe_events' ? 'CONFIG_KPROBE_EVENTS' : 'CONFIG_UPROBE_EVENTS'})`);
  try {
    appendFileSync(path, `${line}\n`);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new BpfError(`writing '${line}' to ${file}`, err.errno ? -err.errno : 22, err.message);
  }
}

export function tracePipePath(): string {
  return join(tracefs(), 'trace_pipe');
}

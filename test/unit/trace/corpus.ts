// Programs of bpftrace 0.17's runtime test suite (../shared/peer/bpftrace/v0.17.0/tests/runtime):
// every PROG line, every single-quoted `-e '...'` of a RUN line, and every scripts/*.bt file.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { peerDir } from '../../helpers/env.js';

export const runtimeDir = join(peerDir, 'bpftrace/v0.17.0/tests/runtime');

export interface CorpusProgram {
  /** 'file / test name' or the script file name. */
  name: string;
  source: string;
  /** The test's EXPECT line, and whether bpftrace is expected to fail (WILL_FAIL). */
  expect?: string;
  willFail: boolean;
  params: string[];
  /** Run with -p PID (the suite's PID stands in as 1). */
  pid?: number;
}

// Words of a shell command line (single and double quotes, backslashes), enough for RUN lines.
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) return words;
      cur += line.slice(i + 1, j);
      i = j;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) {
          cur += line[j + 1];
          j += 2;
        } else cur += line[j++];
      }
      i = j;
      inWord = true;
    } else if (';|&<>'.includes(c)) {
      if (inWord) words.push(cur);
      words.push(c);
      cur = '';
      inWord = false;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

export function runtimeCorpus(): CorpusProgram[] {
  if (!existsSync(runtimeDir)) return [];
  const out: CorpusProgram[] = [];
  for (const f of readdirSync(runtimeDir).sort()) {
    const p = join(runtimeDir, f);
    if (statSync(p).isDirectory()) continue;
    const blocks = readFileSync(p, 'utf8').split(/\n(?=NAME )/);
    for (const block of blocks) {
      const lines = block.split('\n');
      const name = lines.find((l) => l.startsWith('NAME '))?.slice(5) ?? '';
      const expect = lines.find((l) => l.startsWith('EXPECT '))?.slice(7);
      const willFail = lines.includes('WILL_FAIL');
      const arch = lines.find((l) => l.startsWith('ARCH '))?.slice(5);
      if (arch && !arch.split('|').includes('x86_64')) continue;
      for (const l of lines) {
        if (l.startsWith('PROG ')) out.push({ name: `${f} / ${name}`, source: l.slice(5), expect, willFail, params: [] });
        else if (l.startsWith('RUN ') && l.includes(" -e '") && !l.includes('$(')) {
          const words = shellWords(l.slice(4));
          const bt = words.indexOf('{{BPFTRACE}}');
          let e = -1;
          for (let i = bt + 1; bt >= 0 && i < words.length && !';|&<>'.includes(words[i]); i++) {
            if (words[i] === '-e') {
              e = i;
              break;
            }
          }
          if (e < 0 || e + 1 >= words.length) continue;
          const params: string[] = [];
          for (const w of words.slice(e + 2)) {
            if (';|&<>'.includes(w)) break;
            if (!w.startsWith('-')) params.push(w);
          }
          const pid = words.slice(bt).includes('-p') ? 1 : undefined;
          out.push({ name: `${f} / ${name}`, source: words[e + 1], expect, willFail, params, pid });
        }
      }
    }
  }
  const scripts = join(runtimeDir, 'scripts');
  for (const f of readdirSync(scripts).sort()) out.push({ name: `scripts/${f}`, source: readFileSync(join(scripts, f), 'utf8'), willFail: false, params: [] });
  return out;
}

// CPU sets from sysfs ("0-3,8"), read once.
import { readFileSync } from 'node:fs';

export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map((x) => Number.parseInt(x, 10));
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

let possible: number[] | undefined;
let online: number[] | undefined;

/** CPUs the kernel may ever bring up: per-CPU maps hold one value for each. */
export function possibleCpus(): number[] {
  return (possible ??= parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8')));
}

export function onlineCpus(): number[] {
  return (online ??= parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8')));
}

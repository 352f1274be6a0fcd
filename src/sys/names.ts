// Kernel enumerations by name: the kernel's own names, lower case, without prefix; numbers accepted too.
import { attachTypes, linkTypes, mapFlags, mapTypes, progTypes, type AttachTypeName, type LinkTypeName, type MapFlagName, type MapTypeName, type ProgTypeName } from './generated/kernel.js';

export type { AttachTypeName, LinkTypeName, MapFlagName, MapTypeName, ProgTypeName };

function lookup<T extends Record<string, number>>(table: T, what: string, v: keyof T | number): number {
  if (typeof v === 'number') return v;
  const n = table[v];
  if (n === undefined) {
    throw new TypeError(`unknown ${what} '${String(v)}'; valid: ${Object.keys(table).join(', ')}`);
  }
  return n;
}

function nameOf<T extends Record<string, number>>(table: T, n: number): string {
  for (const [k, v] of Object.entries(table)) if (v === n && !k.endsWith('_deprecated')) return k;
  return String(n);
}

export const mapTypeNumber = (v: MapTypeName | number) => lookup(mapTypes, 'map type', v);
export const progTypeNumber = (v: ProgTypeName | number) => lookup(progTypes, 'program type', v);
export const attachTypeNumber = (v: AttachTypeName | number) => lookup(attachTypes, 'attach type', v);
export const linkTypeNumber = (v: LinkTypeName | number) => lookup(linkTypes, 'link type', v);

export const mapTypeName = (n: number) => nameOf(mapTypes, n);
export const progTypeName = (n: number) => nameOf(progTypes, n);
export const attachTypeName = (n: number) => nameOf(attachTypes, n);
export const linkTypeName = (n: number) => nameOf(linkTypes, n);

/** Map flags as names or a number, to the number the kernel takes. */
export function mapFlagsNumber(flags: readonly (MapFlagName | number)[] | number | undefined): number {
  if (flags === undefined) return 0;
  if (typeof flags === 'number') return flags;
  return flags.reduce<number>((acc, f) => acc | lookup(mapFlags, 'map flag', f), 0);
}

export function mapFlagNames(n: number): MapFlagName[] {
  return (Object.entries(mapFlags) as [MapFlagName, number][]).filter(([, v]) => (n & v) !== 0).map(([k]) => k);
}

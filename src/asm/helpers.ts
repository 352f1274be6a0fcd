// Helper names and ids. The ids are the kernel's `enum bpf_func_id`, generated into
// src/sys/generated/kernel.ts from the kernel's BTF; callers can pass their own table
// (for another kernel) wherever a table is taken.
import { helperIds } from '../sys/generated/kernel.js';

/** Helper name (with or without the `bpf_` prefix) → id. */
export type HelperTable = Readonly<Record<string, number>> | ReadonlyMap<string, number>;

function lookup(table: HelperTable, name: string): number | undefined {
  if (table instanceof Map) return table.get(name);
  // Own keys only: 'constructor' or 'toString' must not look like helpers.
  return Object.prototype.hasOwnProperty.call(table, name) ? (table as Record<string, number>)[name] : undefined;
}

/** The helper id for `name` (`bpf_map_lookup_elem` or `map_lookup_elem`), or undefined. */
export function helperId(name: string, table: HelperTable = helperIds): number | undefined {
  const bare = name.startsWith('bpf_') ? name.slice(4) : name;
  return lookup(table, bare) ?? lookup(table, `bpf_${bare}`);
}

/** id → `bpf_<name>` as the kernel's disassembler prints it; `unspec` (0) included. */
export function helperNames(table: HelperTable = helperIds): Map<number, string> {
  const out = new Map<number, string>();
  const entries = table instanceof Map ? [...table.entries()] : Object.entries(table);
  for (const [name, id] of entries) {
    const full = name.startsWith('bpf_') ? name : `bpf_${name}`;
    if (!out.has(id)) out.set(id, full);
  }
  return out;
}

/** The table generated from this kernel's BTF. */
export const defaultHelpers: HelperTable = helperIds;

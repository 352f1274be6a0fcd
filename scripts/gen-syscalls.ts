// Generates src/cbpf/seccomp/generated/syscalls.ts: per-architecture system call
// tables, AUDIT_ARCH_* values and the seccomp ABI constants.
//
// Every number comes from the kernel's UAPI headers as Debian ships them
// (linux-libc-dev for x86, linux-libc-dev-<arch>-cross for the others), expanded
// by the C preprocessor (`gcc -E -dM`) and evaluated here. Nothing is typed by hand.
// Usage: node --import tsx scripts/gen-syscalls.ts
// Needs: apt-get install linux-libc-dev linux-libc-dev-arm64-cross linux-libc-dev-armhf-cross
//        linux-libc-dev-riscv64-cross linux-libc-dev-s390x-cross linux-libc-dev-ppc64el-cross
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const outFile = new URL('../src/cbpf/seccomp/generated/syscalls.ts', import.meta.url).pathname;

interface ArchSource {
  /** Our name for the architecture (libseccomp's names where they exist). */
  name: string;
  audit: string;
  bits: 32 | 64;
  /** Include directories, first wins. */
  include: string[];
  /** Headers to expand, in order. */
  headers: string[];
  /** Extra preprocessor flags (the compiler's own arch macros we need). */
  flags?: string[];
  /** Macro prefixes whose names are system calls: prefix → how the name is formed. */
  prefixes?: string[];
  /** Debian package that ships the headers. */
  pkg: string;
}

const x86 = ['/usr/include/x86_64-linux-gnu', '/usr/include'];
const cross = (triple: string) => [`/usr/${triple}/include`];

const arches: ArchSource[] = [
  { name: 'x86_64', audit: 'AUDIT_ARCH_X86_64', bits: 64, include: x86, headers: ['asm/unistd_64.h'], pkg: 'linux-libc-dev' },
  { name: 'x86', audit: 'AUDIT_ARCH_I386', bits: 32, include: x86, headers: ['asm/unistd_32.h'], pkg: 'linux-libc-dev' },
  // x32 numbers carry __X32_SYSCALL_BIT; -mx32 makes asm/unistd.h pick the x32 list (and only it).
  { name: 'x32', audit: 'AUDIT_ARCH_X86_64', bits: 64, include: x86, headers: ['asm/unistd.h'], flags: ['-mx32'], pkg: 'linux-libc-dev' },
  { name: 'aarch64', audit: 'AUDIT_ARCH_AARCH64', bits: 64, include: cross('aarch64-linux-gnu'), headers: ['asm/unistd.h'], pkg: 'linux-libc-dev-arm64-cross' },
  {
    name: 'arm',
    audit: 'AUDIT_ARCH_ARM',
    bits: 32,
    include: cross('arm-linux-gnueabihf'),
    headers: ['asm/unistd.h'],
    flags: ['-m32', '-D__ARM_EABI__'],
    prefixes: ['__NR_', '__ARM_NR_'],
    pkg: 'linux-libc-dev-armhf-cross',
  },
  { name: 'riscv64', audit: 'AUDIT_ARCH_RISCV64', bits: 64, include: cross('riscv64-linux-gnu'), headers: ['asm/unistd.h'], flags: ['-D__LP64__'], pkg: 'linux-libc-dev-riscv64-cross' },
  { name: 's390x', audit: 'AUDIT_ARCH_S390X', bits: 64, include: cross('s390x-linux-gnu'), headers: ['asm/unistd_64.h'], pkg: 'linux-libc-dev-s390x-cross' },
  { name: 'ppc64le', audit: 'AUDIT_ARCH_PPC64LE', bits: 64, include: cross('powerpc64le-linux-gnu'), headers: ['asm/unistd_64.h'], pkg: 'linux-libc-dev-ppc64el-cross' },
];

/** `#define` lines of the headers, expanded by the preprocessor: name → body. */
function macros(include: string[], headers: string[], flags: string[] = []): Map<string, string> {
  const src = headers.map((h) => `#include <${h}>`).join('\n') + '\n';
  const args = ['-E', '-dM', '-nostdinc', ...flags, ...include.flatMap((d) => ['-I', d]), '-'];
  const text = execFileSync('gcc', args, { input: src, encoding: 'utf8' });
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^#define ([A-Za-z_][A-Za-z0-9_]*) (.*)$/.exec(line);
    if (m) out.set(m[1], m[2].trim());
  }
  return out;
}

/** Evaluates the integer expressions these headers use: literals, names, + - | << ( ). */
function evaluate(defs: Map<string, string>, name: string, depth = 0): number {
  const body = defs.get(name);
  if (body === undefined) throw new Error(`macro ${name} is not defined`);
  if (depth > 20) throw new Error(`macro ${name} recurses too deep`);
  const tokens = body.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_][A-Za-z0-9_]*|<<|[-+|()]/g) ?? [];
  let i = 0;
  const primary = (): bigint => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`macro ${name}: unexpected end in '${body}'`);
    if (t === '(') {
      const v = expr();
      if (tokens[i++] !== ')') throw new Error(`macro ${name}: missing ) in '${body}'`);
      return v;
    }
    if (t === '-') return -primary();
    if (/^\d|^0[xX]/.test(t)) return BigInt(t.replace(/[uUlL]+$/, ''));
    if (/^[A-Za-z_]/.test(t)) return BigInt(evaluate(defs, t, depth + 1));
    throw new Error(`macro ${name}: unexpected '${t}' in '${body}'`);
  };
  const additive = (): bigint => {
    let v = primary();
    while (tokens[i] === '+' || tokens[i] === '-') v = tokens[i++] === '+' ? v + primary() : v - primary();
    return v;
  };
  const shift = (): bigint => {
    let v = additive();
    while (tokens[i] === '<<') {
      i++;
      v <<= additive();
    }
    return v;
  };
  const expr = (): bigint => {
    let v = shift();
    while (tokens[i] === '|') {
      i++;
      v |= shift();
    }
    return v;
  };
  const v = expr();
  if (i !== tokens.length) throw new Error(`macro ${name}: cannot evaluate '${body}'`);
  return Number(BigInt.asUintN(32, v));
}

function isSyscallName(rest: string): boolean {
  // Bases and bookkeeping macros are upper case or are not calls.
  return /^_?[a-z]/.test(rest) && rest !== 'syscalls' && rest !== 'arch_specific_syscall';
}

function headerVersion(include: string[]): string {
  const f = [...include, '/usr/include'].map((d) => `${d}/linux/version.h`).find((x) => existsSync(x));
  if (!f) return 'unknown';
  const m = /LINUX_VERSION_CODE (\d+)/.exec(readFileSync(f, 'utf8'));
  if (!m) return 'unknown';
  const v = Number(m[1]);
  return `${v >> 16}.${(v >> 8) & 0xff}.${v & 0xff}`;
}

function debVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    return 'not installed';
  }
}

const audit = macros(x86, ['linux/audit.h']);
const seccomp = macros(x86, ['linux/seccomp.h']);

const lines: string[] = [];
lines.push('// GENERATED by scripts/gen-syscalls.ts — do not edit; rerun the script.');
lines.push('// Sources (kernel UAPI headers as shipped by Debian, expanded with gcc -E -dM):');
const tables: Array<{ src: ArchSource; nums: Array<[string, number]>; auditValue: number; origin: string }> = [];
for (const src of arches) {
  const missing = src.headers.filter((h) => !src.include.some((d) => existsSync(`${d}/${h}`)));
  if (missing.length) throw new Error(`${src.name}: ${missing.join(', ')} not found; apt-get install ${src.pkg}`);
  const defs = macros(src.include, src.headers, src.flags);
  const prefixes = src.prefixes ?? ['__NR_'];
  const nums: Array<[string, number]> = [];
  const seen = new Set<string>();
  for (const key of defs.keys()) {
    for (const p of prefixes) {
      if (!key.startsWith(p)) continue;
      const rest = key.slice(p.length);
      if (!isSyscallName(rest) || seen.has(rest)) continue;
      seen.add(rest);
      nums.push([rest, evaluate(defs, key)]);
    }
  }
  nums.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  const origin = `${src.pkg} ${debVersion(src.pkg)} (Linux ${headerVersion(src.include)}): ${src.headers.map((h) => `${src.include[0]}/${h}`).join(', ')}`;
  lines.push(`//   ${src.name}: ${origin}`);
  tables.push({ src, nums, auditValue: evaluate(audit, src.audit), origin });
}
lines.push('//   AUDIT_ARCH_*: /usr/include/linux/audit.h + linux/elf-em.h; SECCOMP_*: /usr/include/linux/seccomp.h');
lines.push('');

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
lines.push('/** AUDIT_ARCH_* values (struct seccomp_data.arch). */');
lines.push('export const AUDIT_ARCH = {');
for (const k of [...audit.keys()].filter((k) => k.startsWith('AUDIT_ARCH_')).sort()) {
  lines.push(`  ${k.slice('AUDIT_ARCH_'.length)}: ${hex(evaluate(audit, k))},`);
}
lines.push('} as const;');
lines.push('');
lines.push('/** Seccomp ABI constants from linux/seccomp.h. */');
lines.push('export const SECCOMP = {');
for (const k of [...seccomp.keys()].filter((k) => /^SECCOMP_(RET|SET_MODE|FILTER_FLAG|MODE|GET)_/.test(k)).sort()) {
  lines.push(`  ${k.slice('SECCOMP_'.length)}: ${hex(evaluate(seccomp, k))},`);
}
lines.push('} as const;');
lines.push('');
lines.push('export interface SyscallTable {');
lines.push('  /** AUDIT_ARCH_* value the kernel reports in seccomp_data.arch. */');
lines.push('  audit: number;');
lines.push('  /** Width of a system call argument. */');
lines.push('  bits: 32 | 64;');
lines.push('  /** Byte order of seccomp_data on this architecture. */');
lines.push("  endian: 'little' | 'big';");
lines.push('  /** Where the numbers came from. */');
lines.push('  source: string;');
lines.push('  /** name → number, ascending by number. */');
lines.push('  syscalls: Readonly<Record<string, number>>;');
lines.push('}');
lines.push('');
lines.push('export const SYSCALL_TABLES = {');
for (const { src, nums, auditValue, origin } of tables) {
  const le = (auditValue & 0x40000000) !== 0;
  lines.push(`  ${src.name}: {`);
  lines.push(`    audit: ${hex(auditValue)},`);
  lines.push(`    bits: ${src.bits},`);
  lines.push(`    endian: '${le ? 'little' : 'big'}',`);
  lines.push(`    source: ${JSON.stringify(origin)},`);
  lines.push('    syscalls: {');
  for (const [n, v] of nums) lines.push(`      ${n}: ${v},`);
  lines.push('    },');
  lines.push('  },');
}
lines.push('} as const satisfies Record<string, SyscallTable>;');
lines.push('');
lines.push('export type SyscallArch = keyof typeof SYSCALL_TABLES;');
lines.push('');

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, lines.join('\n'));
console.log(`wrote ${outFile}: ${tables.map((t) => `${t.src.name} ${t.nums.length}`).join(', ')}`);

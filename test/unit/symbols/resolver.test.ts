import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kallsyms } from '../../../src/symbols/kallsyms.js';
import { foldStack, foldStacks, formatStack, frameText, stackAddresses, Symbolizer, type Frame } from '../../../src/symbols/resolver.js';
import { readMaps } from '../../../src/symbols/proc-maps.js';
import { readSymbolTable } from '../../../src/symbols/elf-symbols.js';

const K = Kallsyms.fromText('ffffffff81000000 T do_sys_open\nffffffff81000400 T entry_SYSCALL_64\nffffffffc0000000 t ext4_fn\t[ext4]\n');

test('stack_trace map values: u64 little-endian ips, stopped at the first zero', () => {
  const b = Buffer.alloc(8 * 4);
  b.writeBigUInt64LE(0xffffffff81000010n, 0);
  b.writeBigUInt64LE(0xffffffff81000408n, 8);
  assert.deepEqual(stackAddresses(b), [0xffffffff81000010n, 0xffffffff81000408n]);
  assert.deepEqual(stackAddresses(new BigUint64Array([5n, 0n, 7n])), [5n]);
  assert.deepEqual(stackAddresses([1, 2]), [1n, 2n]);
});

test('kernel stacks print as bpftrace prints kstack, in both modes', () => {
  const s = new Symbolizer({ kallsyms: K });
  const frames = s.kernelStack([0xffffffff81000010n, 0xffffffff81000408n, 0x10n]);
  // bpftrace: "\n" then "<indent>sym+off\n" per frame; perf mode "\t<hex> sym+off\n"; unknown as 0x<hex>.
  assert.equal(formatStack(frames), '\n        do_sys_open+16\n        entry_SYSCALL_64+8\n        0x10\n');
  assert.equal(formatStack(frames, { indent: 4 }), '\n    do_sys_open+16\n    entry_SYSCALL_64+8\n    0x10\n');
  assert.equal(formatStack(frames, { mode: 'perf' }), '\n\tffffffff81000010 do_sys_open+16\n\tffffffff81000408 entry_SYSCALL_64+8\n\t10 0x10\n');
  assert.equal(s.kernelFrame(0xffffffffc0000004n).module, 'ext4');
});

test('user frames in perf mode carry their module, or [unknown]', () => {
  const known: Frame = { addr: 0x7f0000001234n, kind: 'user', name: 'clock_nanosleep', offset: 35, module: '/usr/lib/x86_64-linux-gnu/libc.so.6' };
  const unknown: Frame = { addr: 0x5f5e100n, kind: 'user' };
  assert.equal(frameText(known, 'perf'), '7f0000001234 clock_nanosleep+35 (/usr/lib/x86_64-linux-gnu/libc.so.6)');
  assert.equal(frameText(unknown, 'perf'), '5f5e100 0x5f5e100 ([unknown])');
  assert.equal(frameText(unknown), '0x5f5e100');
});

test('folded stacks are root first; kernel frames sit on top of user frames', () => {
  const user: Frame[] = [{ addr: 3n, kind: 'user', name: 'read', offset: 1 }, { addr: 2n, kind: 'user', name: 'main', offset: 2 }];
  const kernel: Frame[] = [{ addr: 5n, kind: 'kernel', name: 'vfs_read', offset: 0 }, { addr: 4n, kind: 'kernel', name: 'ksys_read', offset: 9 }];
  assert.equal(foldStack(user), 'main;read');
  assert.equal(foldStacks(user, kernel), 'main;read;ksys_read;vfs_read');
  assert.equal(foldStacks(user, kernel, { annotate: true }), 'main;read;ksys_read_[k];vfs_read_[k]');
  assert.equal(foldStack([{ addr: 1n, kind: 'jit', name: 'JS:*f' }, { addr: 9n, kind: 'user' }], { annotate: true }), '[unknown];JS:*f_[j]');
});

test('user stacks of this process resolve through its maps (and demangle)', () => {
  const libc = readMaps('self').find((e) => /\/libc\.so\.6$/.test(e.path) && e.perms.includes('x'))!;
  const table = readSymbolTable(libc.path);
  const sym = table.byName('free')[0];
  const runtime = BigInt(libc.start + (table.fileOffset(sym.addr)! - libc.offset) + 3);
  const frames = new Symbolizer().userStack(process.pid, [runtime, 0n]);
  assert.equal(frames.length, 1);
  assert.equal(frames[0].name, 'free');
  assert.equal(frames[0].offset, 3);
  assert.equal(frames[0].kind, 'user');
  assert.equal(frames[0].module, libc.path);
});

// The running kernel's BTF: vmlinux decoded lazily, once, and shared; module BTF as split BTF on it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { NotSupportedError } from '../sys/errors.js';
import { Btf } from './btf.js';

const SYSFS_BTF = '/sys/kernel/btf';
let vmlinux: Btf | undefined;
const modules = new Map<string, Btf>();

/** The kernel's BTF (/sys/kernel/btf/vmlinux), read and decoded on first use. */
export function kernelBtf(): Btf {
  if (!vmlinux) {
    const path = `${SYSFS_BTF}/vmlinux`;
    if (!existsSync(path)) throw new NotSupportedError('kernel BTF', `${path} does not exist (kernel built without CONFIG_DEBUG_INFO_BTF?)`);
    vmlinux = Btf.fromBuffer(readFileSync(path), { file: path });
  }
  return vmlinux;
}

/** Names of kernel modules that have BTF. */
export function moduleBtfNames(): string[] {
  if (!existsSync(SYSFS_BTF)) return [];
  return readdirSync(SYSFS_BTF).filter((n) => n !== 'vmlinux').sort();
}

/** A module's BTF, split over the kernel's. */
export function moduleBtf(name: string): Btf {
  let b = modules.get(name);
  if (!b) {
    const path = `${SYSFS_BTF}/${name}`;
    if (name.includes('/') || !existsSync(path)) throw new NotSupportedError('module BTF', `${path} does not exist`);
    b = Btf.fromBuffer(readFileSync(path), { file: path, base: kernelBtf() });
    modules.set(name, b);
  }
  return b;
}

/** vmlinux then every module: the search order of CO-RE candidate lookup. */
export function kernelBtfTargets(): Btf[] {
  return [kernelBtf(), ...moduleBtfNames().map(moduleBtf)];
}

/** Forgets the cached kernel BTF (for tests). */
export function resetKernelBtfCache(): void {
  vmlinux = undefined;
  modules.clear();
}

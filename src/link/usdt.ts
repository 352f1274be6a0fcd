// USDT probes: every location of provider:name in a binary becomes a uprobe, with the probe's
// semaphore counted up by the kernel (ref_ctr_offset) while attached. The BPF side reads
// arguments with include/bpfkit/usdt.bpf.h: the cookie of each uprobe indexes a spec map.
import { findUsdtProbes, parseUsdtArgs, encodeUsdtSpec, type UsdtProbe } from '../symbols/usdt.js';
import { resolveLibrary } from '../symbols/libpath.js';
import { attachUprobe } from './uprobe.js';
import { attachAll, type MultiLink } from './perf-attach.js';
import type { Program } from '../program.js';
import type { BpfMap } from '../map.js';

export interface UsdtOptions {
  /** Only this process. */
  pid?: number;
  /**
   * An array map (key u32, value the 208-byte spec) that receives each location's argument
   * spec at the index passed as the uprobe's cookie; needed to read arguments in BPF.
   */
  specs?: BpfMap;
  /** First free index in `specs` (default 0). */
  specIndex?: number;
}

export interface UsdtAttachment extends MultiLink {
  probes: UsdtProbe[];
}

export function attachUsdt(program: Program, binary: string, provider: string, name: string, opts: UsdtOptions = {}): UsdtAttachment {
  const path = binary.includes('/') ? binary : resolveLibrary(binary, opts.pid);
  const probes = findUsdtProbes(path, provider, name);
  let index = opts.specIndex ?? 0;
  const link = attachAll('usdt', probes.length, (i) => {
    const p = probes[i];
    let cookie: bigint | undefined;
    if (opts.specs) {
      cookie = BigInt(index);
      opts.specs.update(index++, encodeUsdtSpec(parseUsdtArgs(p.args), cookie));
    }
    return attachUprobe(program, p.path ?? path, p.offset, { pid: opts.pid, cookie, refCtrOffset: p.semaphoreOffset || undefined });
  }) as UsdtAttachment;
  link.probes = probes;
  return link;
}

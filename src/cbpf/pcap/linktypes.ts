// Link-layer header types the filter compiler supports: DLT_ numbers as libpcap uses them on
// Linux, plus the LINKTYPE_ numbers found in savefiles.

export const DLT_NULL = 0;
export const DLT_EN10MB = 1;
export const DLT_RAW = 12;
export const DLT_LOOP = 108;
export const DLT_LINUX_SLL = 113;
export const DLT_IPV4 = 228;
export const DLT_IPV6 = 229;
export const DLT_LINUX_SLL2 = 276;
/** Only reached through "pppoes", which switches the link layer to PPP. */
export const DLT_PPP = 9;

const BY_NAME: Record<string, number> = {
  NULL: DLT_NULL,
  EN10MB: DLT_EN10MB,
  RAW: DLT_RAW,
  LOOP: DLT_LOOP,
  LINUX_SLL: DLT_LINUX_SLL,
  LINUX_SLL2: DLT_LINUX_SLL2,
  IPV4: DLT_IPV4,
  IPV6: DLT_IPV6,
};

export type LinkTypeName = 'NULL' | 'EN10MB' | 'RAW' | 'LOOP' | 'LINUX_SLL' | 'LINUX_SLL2' | 'IPV4' | 'IPV6';

/** A link-type name (as `tcpdump -y` takes it, case-insensitive, DLT_ prefix optional) or number → DLT. */
export function linkTypeFromName(name: string | number): number | undefined {
  if (typeof name === 'number') return linkTypeFromSavefile(name);
  const key = name.toUpperCase().replace(/^DLT_/, '').replace(/^LINKTYPE_/, '');
  if (key in BY_NAME) return BY_NAME[key];
  if (/^\d+$/.test(key)) return linkTypeFromSavefile(Number(key));
  return undefined;
}

export function linkTypeName(dlt: number): string {
  for (const [n, v] of Object.entries(BY_NAME)) if (v === dlt) return n;
  return dlt === DLT_PPP ? 'PPP' : `DLT_${dlt}`;
}

/** A LINKTYPE_ value from a pcap/pcapng file → the DLT the compiler uses, or undefined if unsupported. */
export function linkTypeFromSavefile(linktype: number): number | undefined {
  switch (linktype) {
    case 0: return DLT_NULL;
    case 1: return DLT_EN10MB;
    case 101: case 12: case 14: return DLT_RAW;
    case 108: return DLT_LOOP;
    case 113: return DLT_LINUX_SLL;
    case 228: return DLT_IPV4;
    case 229: return DLT_IPV6;
    case 276: return DLT_LINUX_SLL2;
    default: return undefined;
  }
}

export const SUPPORTED_LINKTYPES: readonly LinkTypeName[] = ['EN10MB', 'RAW', 'LINUX_SLL', 'LINUX_SLL2', 'NULL', 'LOOP', 'IPV4', 'IPV6'];

// Name resolution for filter expressions from the local files only (/etc/hosts, /etc/services,
// /etc/protocols, /etc/networks, /etc/ethers): never DNS, so compiling a filter never blocks or
// leaks names onto the network. Also the address-literal parsers libpcap uses.
import { readFileSync } from 'node:fs';

export interface HostAddress {
  family: 4 | 6;
  /** IPv4: one 32-bit word; IPv6: four big-endian 32-bit words. */
  words: number[];
}

/** Where names come from; tests can pass their own. */
export interface NameResolver {
  host(name: string): HostAddress[];
  /** Port of a service for 'tcp' or 'udp', or undefined. */
  service(name: string, proto: 'tcp' | 'udp'): number | undefined;
  protocol(name: string): number | undefined;
  /** The network number in host order as inet_network gives it (e.g. 127 for "loopback"). */
  network(name: string): number | undefined;
  ether(name: string): Uint8Array | undefined;
}

function readLines(path: string): string[][] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l)
    .map((l) => l.split(/\s+/));
}

/** Resolves from the files under `root` (default /etc). Files are read once, when first needed. */
export function fileResolver(root = '/etc'): NameResolver {
  let hosts: Map<string, HostAddress[]> | undefined;
  let services: Map<string, number> | undefined;
  let protocols: Map<string, number> | undefined;
  let networks: Map<string, number> | undefined;
  let ethers: Map<string, Uint8Array> | undefined;
  return {
    host(name) {
      const literal = parseAddressLiteral(name);
      if (literal) return [literal];
      if (!hosts) {
        hosts = new Map();
        for (const [addr, ...names] of readLines(`${root}/hosts`)) {
          const a = parseAddressLiteral(addr);
          if (!a) continue;
          for (const n of names) {
            const key = n.toLowerCase();
            const list = hosts.get(key) ?? [];
            if (!list.some((x) => x.family === a.family && x.words.every((w, i) => w === a.words[i]))) list.push(a);
            hosts.set(key, list);
          }
        }
      }
      return hosts.get(name.toLowerCase()) ?? [];
    },
    service(name, proto) {
      if (!services) {
        services = new Map();
        for (const [svc, portProto, ...aliases] of readLines(`${root}/services`)) {
          const m = /^(\d+)\/(\w+)$/.exec(portProto ?? '');
          if (!m) continue;
          for (const n of [svc, ...aliases]) {
            const key = `${n}/${m[2]}`;
            if (!services.has(key)) services.set(key, Number(m[1]));
          }
        }
      }
      return services.get(`${name}/${proto}`);
    },
    protocol(name) {
      if (!protocols) {
        protocols = new Map();
        for (const [p, num, ...aliases] of readLines(`${root}/protocols`)) {
          if (!/^\d+$/.test(num ?? '')) continue;
          for (const n of [p, ...aliases]) if (!protocols.has(n)) protocols.set(n, Number(num));
        }
      }
      return protocols.get(name);
    },
    network(name) {
      if (!networks) {
        networks = new Map();
        for (const [n, num, ...aliases] of readLines(`${root}/networks`)) {
          const v = inetNetwork(num ?? '');
          if (v === undefined) continue;
          for (const a of [n, ...aliases]) if (!networks.has(a.toLowerCase())) networks.set(a.toLowerCase(), v);
        }
      }
      return networks.get(name.toLowerCase());
    },
    ether(name) {
      if (!ethers) {
        ethers = new Map();
        for (const [mac, n] of readLines(`${root}/ethers`)) {
          const e = /^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i.test(mac) ? etherAton(mac) : undefined;
          if (e && n && !ethers.has(n.toLowerCase())) ethers.set(n.toLowerCase(), e);
        }
      }
      return ethers.get(name.toLowerCase());
    },
  };
}

/** inet_network(): "a", "a.b", "a.b.c" or "a.b.c.d" as a host-order number of that many bytes. */
export function inetNetwork(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length === 0 || parts.length > 4) return undefined;
  let v = 0;
  for (const p of parts) {
    const n = /^0x[0-9a-f]+$/i.test(p) ? parseInt(p, 16) : /^\d+$/.test(p) ? Number(p) : NaN;
    if (!Number.isFinite(n) || n > 255) return undefined;
    v = (v * 256 + n) >>> 0;
  }
  return v;
}

/** A numeric IPv4 (dotted quad) or IPv6 address, as getaddrinfo(AI_NUMERICHOST) would accept it. */
export function parseAddressLiteral(s: string): HostAddress | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { family: 4, words: [v4] };
  const v6 = parseIPv6(s);
  if (v6) return { family: 6, words: v6 };
  return undefined;
}

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

/** Parses an IPv6 address into four 32-bit words, or undefined. */
export function parseIPv6(s: string): number[] | undefined {
  let text = s;
  // A trailing dotted quad stands for the last two groups.
  const v4m = /(^|:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  if (v4m) {
    const v4 = parseIPv4(v4m[2]);
    if (v4 === undefined) return undefined;
    text = text.slice(0, text.length - v4m[2].length) + `${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    if (head.length + rest.length > 7) return undefined;
    groups = [...head, ...new Array(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    if (head.length !== 8) return undefined;
    groups = head;
  }
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push(((groups[i] << 16) | groups[i + 1]) >>> 0);
  return words;
}

/**
 * __pcap_atoin: a dotted address of 1 to 4 parts, left-aligned in `addr` by the caller.
 * Returns the number of bits given (8 per part) and the value, or -1 when a part exceeds 255.
 */
export function atoin(s: string): { len: number; addr: number } {
  let addr = 0;
  let len = 0;
  for (const part of s.split('.')) {
    let n = 0;
    for (const ch of part) {
      if (n > 25) return { len: -1, addr: 0 };
      n = n * 10 + (ch.charCodeAt(0) - 48);
    }
    if (n > 255) return { len: -1, addr: 0 };
    addr = ((addr << 8) | n) >>> 0;
    len += 8;
  }
  return { len, addr };
}

/** DECnet "area.node" (area 1..63, node 1..1023) → 16-bit address, or undefined. */
export function atodn(s: string): number | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(s);
  if (!m) return undefined;
  const area = Number(m[1]);
  const node = Number(m[2]);
  if (area > 63 || node > 1023) return undefined;
  return ((area << 10) | node) >>> 0;
}

function xdtoi(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 97 + 10;
  return code - 65 + 10;
}

/** pcap_ether_aton: any mix of ':', '.', '-' separators, one or two hex digits per byte. */
export function etherAton(s: string): Uint8Array {
  const out = new Uint8Array(6);
  let i = 0;
  let j = 0;
  while (i < s.length && j < 6) {
    if (s[i] === ':' || s[i] === '.' || s[i] === '-') i++;
    let d = xdtoi(s[i++]);
    if (i < s.length && /[0-9a-fA-F]/.test(s[i])) {
      d = (d << 4) | xdtoi(s[i++]);
    }
    out[j++] = d & 0xff;
  }
  return out;
}

// Packet capture files: reads classic pcap (either byte order, micro- or nanosecond) and the
// parts of pcapng that captures use (section header, interface description, enhanced/simple/
// obsolete packet blocks); writes classic pcap that tcpdump -r reads.
import { ParseError } from '../sys/errors.js';

export interface PcapPacket {
  /** Capture time in nanoseconds since the epoch. */
  timestampNs: bigint;
  /** The bytes captured (at most the snap length). */
  data: Uint8Array;
  /** Length of the packet on the wire. */
  origLen: number;
  /** LINKTYPE_ value of the interface the packet came from. */
  linktype: number;
  interfaceId: number;
}

export interface PcapInterface {
  linktype: number;
  snaplen: number;
}

export interface PcapCapture {
  format: 'pcap' | 'pcapng';
  /** Link type of the first interface (of the file, for classic pcap). */
  linktype: number;
  snaplen: number;
  interfaces: PcapInterface[];
  packets: PcapPacket[];
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

function bad(reason: string, offset: number, file?: string): never {
  throw new ParseError(reason, { file, line: 1, column: offset + 1 });
}

/** Parses a pcap or pcapng file. `file` names it in error messages. */
export function readPcap(bytes: Uint8Array, file?: string): PcapCapture {
  if (bytes.length < 4) bad('file too short for a capture header', 0, file);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0, true);
  if (magic === PCAPNG_SHB) return readPcapng(bytes, dv, file);
  return readClassic(bytes, dv, file);
}

function readClassic(bytes: Uint8Array, dv: DataView, file?: string): PcapCapture {
  if (bytes.length < 24) bad('file too short for a pcap header', 0, file);
  let le: boolean;
  const m = dv.getUint32(0, true);
  if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) le = true;
  else if (dv.getUint32(0, false) === PCAP_MAGIC_US || dv.getUint32(0, false) === PCAP_MAGIC_NS) le = false;
  else return bad(`not a pcap or pcapng file (magic 0x${m.toString(16)})`, 0, file);
  const nano = dv.getUint32(0, le) === PCAP_MAGIC_NS;
  const major = dv.getUint16(4, le);
  const minor = dv.getUint16(6, le);
  if (major !== 2 || (minor !== 4 && minor !== 2)) bad(`unsupported pcap version ${major}.${minor}`, 4, file);
  const snaplen = dv.getUint32(16, le);
  const linktype = dv.getUint32(20, le) & 0xffff;
  const packets: PcapPacket[] = [];
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) bad('truncated packet record header', off, file);
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (off + 16 + incl > bytes.length) bad(`truncated packet data (${incl} bytes announced)`, off + 8, file);
    packets.push({
      timestampNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nano ? 1n : 1000n),
      data: bytes.subarray(off + 16, off + 16 + incl),
      origLen: orig,
      linktype,
      interfaceId: 0,
    });
    off += 16 + incl;
  }
  return { format: 'pcap', linktype, snaplen, interfaces: [{ linktype, snaplen }], packets };
}

function readPcapng(bytes: Uint8Array, dv: DataView, file?: string): PcapCapture {
  const interfaces: (PcapInterface & { tsresolNs: bigint; tsDiv: bigint })[] = [];
  const packets: PcapPacket[] = [];
  let le = true;
  let off = 0;
  let sectionIfaceBase = 0;
  while (off < bytes.length) {
    if (off + 12 > bytes.length) bad('truncated pcapng block header', off, file);
    const typeLE = dv.getUint32(off, true);
    if (typeLE === PCAPNG_SHB) {
      const bom = dv.getUint32(off + 8, true);
      if (bom === PCAPNG_BOM) le = true;
      else if (dv.getUint32(off + 8, false) === PCAPNG_BOM) le = false;
      else bad('bad pcapng byte-order magic', off + 8, file);
      const major = dv.getUint16(off + 12, le);
      if (major !== 1) bad(`unsupported pcapng version ${major}`, off + 12, file);
      sectionIfaceBase = interfaces.length;
    }
    const type = dv.getUint32(off, le);
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0 || off + len > bytes.length) bad(`bad pcapng block length ${len}`, off + 4, file);
    const body = off + 8;
    const bodyEnd = off + len - 4;
    switch (type) {
      case 1: { // Interface Description Block
        const linktype = dv.getUint16(body, le);
        const snaplen = dv.getUint32(body + 4, le);
        let tsresolNs = 1000n; // default 10^-6 s
        let tsDiv = 1n;
        for (let o = body + 8; o + 4 <= bodyEnd;) {
          const code = dv.getUint16(o, le);
          const olen = dv.getUint16(o + 2, le);
          if (code === 0) break;
          if (code === 9 && olen >= 1) {
            const r = bytes[o + 4];
            const exp = BigInt(r & 0x7f);
            if (r & 0x80) {
              // Negative power of two: convert ticks to ns by ns = ticks * 1e9 / 2^exp.
              tsresolNs = 1_000_000_000n;
              tsDiv = 1n << exp;
            } else if (exp <= 9n) {
              tsresolNs = 10n ** (9n - exp);
            } else {
              tsresolNs = 1n;
              tsDiv = 10n ** (exp - 9n);
            }
          }
          o += 4 + ((olen + 3) & ~3);
        }
        interfaces.push({ linktype, snaplen, tsresolNs, tsDiv });
        break;
      }
      case 6: // Enhanced Packet Block
      case 2: { // obsolete Packet Block
        const ifId = type === 6 ? dv.getUint32(body, le) : dv.getUint16(body, le);
        const iface = interfaces[sectionIfaceBase + ifId];
        if (!iface) bad(`packet for unknown interface ${ifId}`, body, file);
        const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
        const cap = dv.getUint32(body + 12, le);
        const orig = dv.getUint32(body + 16, le);
        if (body + 20 + cap > bodyEnd) bad(`packet data (${cap} bytes) overruns its block`, body + 12, file);
        packets.push({
          timestampNs: (ts * iface.tsresolNs) / iface.tsDiv,
          data: bytes.subarray(body + 20, body + 20 + cap),
          origLen: orig,
          linktype: iface.linktype,
          interfaceId: sectionIfaceBase + ifId,
        });
        break;
      }
      case 3: { // Simple Packet Block
        const iface = interfaces[sectionIfaceBase];
        if (!iface) bad('simple packet block before any interface', body, file);
        const orig = dv.getUint32(body, le);
        const cap = Math.min(orig, iface.snaplen || orig, bodyEnd - body - 4);
        packets.push({ timestampNs: 0n, data: bytes.subarray(body + 4, body + 4 + cap), origLen: orig, linktype: iface.linktype, interfaceId: sectionIfaceBase });
        break;
      }
      default:
        break; // statistics, name resolution, custom blocks: not needed
    }
    off += len;
  }
  const first = interfaces[0];
  return {
    format: 'pcapng',
    linktype: first?.linktype ?? 0,
    snaplen: first?.snaplen ?? 0,
    interfaces: interfaces.map(({ linktype, snaplen }) => ({ linktype, snaplen })),
    packets,
  };
}

export interface PcapWriteOptions {
  linktype: number;
  snaplen?: number;
  /** Nanosecond timestamps (magic a1b23c4d); default microseconds. */
  nanosecond?: boolean;
}

/** Writes a classic little-endian pcap file. */
export function writePcap(packets: readonly Pick<PcapPacket, 'timestampNs' | 'data' | 'origLen'>[], opts: PcapWriteOptions): Buffer {
  const header = pcapHeader(opts);
  return Buffer.concat([header, ...packets.map((p) => pcapRecord(p, opts))]);
}

/** The 24-byte file header, for writers that stream records. */
export function pcapHeader(opts: PcapWriteOptions): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(opts.nanosecond ? PCAP_MAGIC_NS : PCAP_MAGIC_US, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeInt32LE(0, 8);
  h.writeUInt32LE(0, 12);
  h.writeUInt32LE(opts.snaplen ?? 262144, 16);
  h.writeUInt32LE(opts.linktype >>> 0, 20);
  return h;
}

/** One packet record (16-byte header and data). */
export function pcapRecord(p: Pick<PcapPacket, 'timestampNs' | 'data' | 'origLen'>, opts: Pick<PcapWriteOptions, 'nanosecond' | 'snaplen'> = {}): Buffer {
  const snap = opts.snaplen ?? 262144;
  const data = p.data.subarray(0, Math.min(p.data.length, snap));
  const r = Buffer.alloc(16 + data.length);
  const sec = p.timestampNs / 1_000_000_000n;
  const rem = p.timestampNs % 1_000_000_000n;
  r.writeUInt32LE(Number(sec & 0xffffffffn), 0);
  r.writeUInt32LE(Number(opts.nanosecond ? rem : rem / 1000n), 4);
  r.writeUInt32LE(data.length, 8);
  r.writeUInt32LE(p.origLen >>> 0, 12);
  r.set(data, 16);
  return r;
}

// bpfkit capture: tcpdump's capture loop. Live from an interface (AF_PACKET socket, the filter
// attached in the kernel with SO_ATTACH_FILTER) or from a savefile with -r (the filter run by
// bpfkit's classic-BPF interpreter); one summary line per packet, or pcap with -w.
import { scanTcpdumpArgs, UsageError } from './tcpdump-args.js';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { isUserError } from '../sys/errors.js';
import {
  compileFilter, linkTypeFromName, linkTypeFromSavefile, linkTypeName, pcapHeader, pcapRecord, readPcap, runCbpf,
  SUPPORTED_LINKTYPES, type CbpfInsn,
} from '../cbpf/index.js';
import { interfaceLinkType, LiveCapture } from '../cbpf/capture.js';
import { summarizePacket } from '../cbpf/summary.js';
import { DLT_RAW } from '../cbpf/pcap/linktypes.js';

const USAGE = `usage: bpfkit capture -i IFACE [-c N] [-w FILE] [-n] [-s SNAPLEN] [-y LINKTYPE] [--print] [EXPR...]
       bpfkit capture -r FILE [-c N] [-w FILE] [-n] [-y LINKTYPE] [EXPR...]
  -i IFACE  capture on this interface (of the current network namespace); the filter runs in
            the kernel, attached to the packet socket with SO_ATTACH_FILTER
  -r FILE   read packets from a pcap or pcapng file instead; the filter runs in bpfkit's
            classic-BPF interpreter
  -c N      stop after N packets
  -w FILE   write the packets as classic pcap (microsecond timestamps) instead of printing them
            (- for standard output); tcpdump -r reads the file
  --print   print the summary lines also when writing with -w
  -n        do not turn addresses and ports into names (names come only from /etc/hosts and
            /etc/services, never from DNS)
  -s LEN    bytes kept per packet (default 262144)
  -y TYPE   link-layer type of the packets: ${SUPPORTED_LINKTYPES.join(', ')}; live capture
            takes it from the device, and -y must agree with it
Lines follow tcpdump's default one-line format; sequence numbers are absolute (as tcpdump -S).
SIGINT (^C) stops a live capture and prints the packet counts, as tcpdump does.`;


interface CaptureArgs {
  iface?: string;
  read?: string;
  write?: string;
  count?: number;
  numeric: boolean;
  snaplen: number;
  linktype?: string;
  print: boolean;
  words: string[];
}

function parseArgs(argv: string[]): CaptureArgs | 'help' {
  const a: CaptureArgs = { numeric: false, snaplen: 262144, print: false, words: [] };
  const positive = (what: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`invalid ${what} ${v}`);
    return n;
  };
  const words = scanTcpdumpArgs(argv, {
    long: (arg) => arg === '--print' && (a.print = true),
    short(c, value) {
      switch (c) {
        case 'i': a.iface = value(); break;
        case 'r': a.read = value(); break;
        case 'w': a.write = value(); break;
        case 'c': a.count = positive('packet count', value()); break;
        case 's': a.snaplen = positive('snaplen', value()); break;
        case 'y': a.linktype = value(); break;
        case 'n': a.numeric = true; break;
        default: throw new UsageError(`unknown option -${c}`);
      }
    },
  });
  if (words === 'help' || (words.length === 1 && words[0] === 'help')) return 'help';
  a.words = words;
  if (!a.iface && !a.read) throw new UsageError('give an interface with -i or a file with -r');
  if (a.iface && a.read) throw new UsageError('-i and -r exclude each other');
  return a;
}

const DESCRIPTIONS: Record<string, string> = {
  EN10MB: 'Ethernet', RAW: 'Raw IPv4/IPv6', LINUX_SLL: 'Linux cooked v1', LINUX_SLL2: 'Linux cooked v2',
  NULL: 'BSD loopback', LOOP: 'OpenBSD loopback', IPV4: 'Raw IPv4', IPV6: 'Raw IPv6',
};

function describe(dlt: number): string {
  const name = linkTypeName(dlt);
  return `${name} (${DESCRIPTIONS[name] ?? name})`;
}

/** The LINKTYPE_ number a savefile carries for a DLT (they differ only for raw IP). */
function savefileLinktype(dlt: number): number {
  return dlt === DLT_RAW ? 101 : dlt;
}

/** Streams pcap records to a file (or standard output for '-'). */
class PcapWriter {
  readonly #fd: number;
  readonly #own: boolean;
  readonly #snaplen: number;
  constructor(path: string, linktype: number, snaplen: number) {
    this.#own = path !== '-';
    this.#fd = this.#own ? openSync(path, 'w') : 1;
    this.#snaplen = snaplen;
    writeSync(this.#fd, pcapHeader({ linktype, snaplen }));
  }
  write(p: { timestampNs: bigint; data: Uint8Array; origLen: number }): void {
    writeSync(this.#fd, pcapRecord(p, { snaplen: this.#snaplen }));
  }
  close(): void {
    if (this.#own) closeSync(this.#fd);
  }
}

function expression(words: string[]): string {
  // tcpdump joins the words of the expression with single spaces.
  return words.join(' ').trim();
}

function fromFile(a: CaptureArgs): number {
  const cap = readPcap(readFileSync(a.read!), a.read);
  const forced = a.linktype !== undefined ? linkTypeFromName(a.linktype) : undefined;
  if (a.linktype !== undefined && forced === undefined) throw new UsageError(`unknown link type ${a.linktype}`);
  const expr = expression(a.words);
  const programs = new Map<number, CbpfInsn[] | null>();
  const programFor = (dlt: number): CbpfInsn[] | null => {
    let p = programs.get(dlt);
    if (p === undefined) {
      p = expr ? compileFilter(expr, { linktype: dlt, snaplen: a.snaplen, file: '<expression>' }) : null;
      programs.set(dlt, p);
    }
    return p;
  };
  const firstDlt = forced ?? linkTypeFromSavefile(cap.linktype);
  if (firstDlt === undefined) throw new UsageError(`${a.read}: link type ${cap.linktype} is not supported`);
  process.stderr.write(`reading from file ${a.read}, link-type ${describe(firstDlt)}, snapshot length ${cap.snaplen}\n`);
  const writer = a.write ? new PcapWriter(a.write, cap.linktype, cap.snaplen || a.snaplen) : undefined;
  let n = 0;
  try {
    for (const p of cap.packets) {
      const dlt = forced ?? linkTypeFromSavefile(p.linktype);
      if (dlt === undefined) continue;
      const prog = programFor(dlt);
      if (prog && runCbpf(prog, p.data, { wirelen: p.origLen }) === 0) continue;
      n++;
      writer?.write(p);
      if (!writer || a.print) process.stdout.write(`${summarizePacket(p.data, dlt, p.timestampNs, p.origLen, { numeric: a.numeric })}\n`);
      if (a.count && n >= a.count) break;
    }
  } finally {
    writer?.close();
  }
  return 0;
}

function live(a: CaptureArgs): Promise<number> {
  // The device decides the link type; the filter is compiled for it (with libpcap's Linux VLAN
  // extensions, as on a live socket) and attached before the first packet is read.
  const linktype = interfaceLinkType(a.iface!);
  if (a.linktype !== undefined && linkTypeFromName(a.linktype) !== linktype) {
    throw new UsageError(`${a.iface} delivers link type ${linkTypeName(linktype)}, not ${a.linktype}`);
  }
  const expr = expression(a.words);
  const filter = expr ? compileFilter(expr, { linktype, snaplen: a.snaplen, vlanExtensions: true, file: '<expression>' }) : undefined;
  const cap = LiveCapture.open({ interface: a.iface!, snaplen: a.snaplen, filter });
  const writer = a.write ? new PcapWriter(a.write, savefileLinktype(cap.linktype), cap.snaplen) : undefined;
  process.stderr.write(`listening on ${cap.ifname}, link-type ${describe(cap.linktype)}, snapshot length ${cap.snaplen} bytes\n`);
  return new Promise((resolve, reject) => {
    let n = 0;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      cap.unwatch();
      let stats;
      try {
        stats = cap.stats();
      } finally {
        cap.close();
        writer?.close();
      }
      if (error) {
        reject(error);
        return;
      }
      process.stderr.write(`${n} packet${n === 1 ? '' : 's'} captured\n`);
      process.stderr.write(`${stats.received} packet${stats.received === 1 ? '' : 's'} received by filter\n`);
      process.stderr.write(`${stats.dropped} packet${stats.dropped === 1 ? '' : 's'} dropped by kernel\n`);
      resolve(0);
    };
    const onSignal = () => finish();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      cap.watch((p) => {
        n++;
        writer?.write(p);
        if (!writer || a.print) process.stdout.write(`${summarizePacket(p.data, cap.linktype, p.timestampNs, p.origLen, { numeric: a.numeric })}\n`);
        if (a.count && n >= a.count) finish();
      }, (e) => finish(e));
    } catch (e) {
      finish(e as Error);
    }
  });
}

export async function main(argv: string[]): Promise<number> {
  try {
    const a = parseArgs(argv);
    if (a === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    return a.read ? fromFile(a) : await live(a);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bpfkit capture: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (isUserError(e) || e instanceof TypeError || (e instanceof Error && (e as NodeJS.ErrnoException).code === 'ENOENT')) {
      process.stderr.write(`bpfkit capture: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

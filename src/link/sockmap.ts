// sk_msg and sk_skb programs on a sockmap or sockhash: they run for the sockets in the map.
// A sockmap bpf link first (6.10+), else BPF_PROG_ATTACH with the map as target.
import * as bpf from '../sys/bpf.js';
import type { Fd } from '../sys/fd.js';
import { BpfError } from '../sys/errors.js';
import { attachTypeName, attachTypeNumber, type AttachTypeName } from '../sys/names.js';
import { BpfLink, cannotPin, type Link, type LinkInfo } from './link.js';
import { holdMap, holdProgram } from './held.js';
import type { Program } from '../program.js';

export type SockmapAttachType = 'sk_msg_verdict' | 'sk_skb_stream_parser' | 'sk_skb_stream_verdict' | 'sk_skb_verdict';

export interface SockmapOptions {
  /** Default: the program's expected attach type, or sk_msg_verdict for sk_msg programs. */
  attachType?: SockmapAttachType;
  /** 'link' or 'prog_attach' to force one mechanism; default: link, falling back to PROG_ATTACH. */
  via?: 'link' | 'prog_attach';
}

/** A map given as a BpfMap (anything with an `fd`) or a raw descriptor. */
export type MapRef = number | { fd: { raw: number } };

export function attachSockmap(program: Program, map: MapRef, opts: SockmapOptions = {}): Link {
  const mapFd = typeof map === 'number' ? map : map.fd.raw;
  let attachType: number;
  if (opts.attachType) attachType = attachTypeNumber(opts.attachType);
  else if (program.expectedAttachType) attachType = attachTypeNumber(program.expectedAttachType as AttachTypeName);
  else if (program.type === 'sk_msg') attachType = attachTypeNumber('sk_msg_verdict');
  else throw new TypeError(`a ${program.type} program needs an attachType for a sockmap (sk_skb_stream_parser, sk_skb_stream_verdict or sk_skb_verdict)`);
  if (opts.via !== 'prog_attach') {
    try {
      return new BpfLink(bpf.linkCreate({ progFd: program.fd.raw, targetFd: mapFd, attachType }), 'sockmap');
    } catch (e) {
      if (!(e instanceof BpfError) || opts.via === 'link' || e.code !== 'EINVAL') throw e;
    }
  }
  return SockmapProgAttachment.attach(program, mapFd, attachType);
}

export class SockmapProgAttachment implements Link {
  readonly kind = 'prog_attach';
  readonly attachType: number;
  #map: Fd;
  #prog: Fd;

  private constructor(map: Fd, prog: Fd, attachType: number) {
    this.#map = map;
    this.#prog = prog;
    this.attachType = attachType;
  }

  static attach(program: Program, mapFd: number, attachType: number): SockmapProgAttachment {
    const map = holdMap(mapFd);
    const prog = holdProgram(program);
    try {
      bpf.progAttach({ targetFd: map.raw, attachBpfFd: prog.raw, attachType });
    } catch (e) {
      prog.close();
      map.close();
      throw e;
    }
    return new SockmapProgAttachment(map, prog, attachType);
  }

  /** Attaching another program of the same attach type to the map replaces ours. */
  update(program: Program): void {
    const next = holdProgram(program);
    try {
      bpf.progAttach({ targetFd: this.#map.raw, attachBpfFd: next.raw, attachType: this.attachType });
    } catch (e) {
      next.close();
      throw e;
    }
    this.#prog.close();
    this.#prog = next;
  }

  info(): LinkInfo {
    const progId = bpf.objGetInfoByFd('prog', this.#prog.raw).get('id');
    const mapId = bpf.objGetInfoByFd('map', this.#map.raw).get('id');
    return { id: 0, type: this.kind, progId, details: { map_id: mapId, attach_type: attachTypeName(this.attachType) } };
  }

  pin(): void {
    cannotPin(this.kind);
  }

  close(): void {
    if (this.#prog.closed) return;
    try {
      bpf.progDetach({ targetFd: this.#map.raw, attachBpfFd: this.#prog.raw, attachType: this.attachType });
    } catch (e) {
      if (!(e instanceof BpfError) || e.code !== 'ENOENT') throw e;
    } finally {
      this.#prog.close();
      this.#map.close();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

// bpfkit/link: every attach mechanism behind the one Link interface.
export { BpfLink, readInfo, cannotPin, type Link, type LinkInfo } from './link.js';
export { attachXdp, XdpNetlinkAttachment, type XdpMode, type XdpOptions } from './xdp.js';
export { attachTc, TcFilterAttachment, type TcOptions, type TcDirection } from './tc.js';
export { attachTcx, type TcxOptions } from './tcx.js';
export { attachSocketFilter, SocketFilterAttachment, type SocketRef } from './socket-filter.js';
export { attachSkReuseport, SkReuseportAttachment } from './sk-reuseport.js';
export { attachCgroup, CgroupProgAttachment, type CgroupOptions, type CgroupAttachFlag } from './cgroup.js';
export { attachSockmap, SockmapProgAttachment, type SockmapOptions, type SockmapAttachType, type MapRef } from './sockmap.js';
export { attachFlowDissector, attachSkLookup, NetnsProgAttachment, type NetnsAttachOptions } from './flow-dissector.js';
export { attachNetfilter, type NetfilterOptions, type NetfilterFamily, type NetfilterHook } from './netfilter.js';
export { attachPerfEvent, attachAll, MultiLink } from './perf-attach.js';
export { attachTracepoint } from './tracepoint.js';
export { attachRawTracepoint, attachTracing } from './raw-tracepoint.js';
export { attachKprobe, attachKprobeMulti, LegacyProbeLink, type KprobeOptions } from './kprobe.js';
export { attachUprobe, attachUprobeMulti, type UprobeOptions } from './uprobe.js';
export { attachPerfSampling, type PerfEventSpec, type PerfSamplingOptions } from './perf-event.js';

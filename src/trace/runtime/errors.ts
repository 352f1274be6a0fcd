// A script bpftrace would accept but that cannot run here (a missing tracepoint, a probe type the
// kernel lacks): `message` is the text to print, in bpftrace's wording where it has one.
export class TraceRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceRuntimeError';
  }
}

// trace(): run a script from a Node program and consume what it produces as typed events.
import { compileScript, type CompileOptions } from './runtime/pipeline.js';
import { TraceSession, type SessionOptions } from './runtime/session.js';
import type { TraceEvent } from './runtime/events.js';

export interface TraceOptions extends CompileOptions, SessionOptions {
  /** Stops the run when aborted. */
  signal?: AbortSignal;
}

export interface TraceHandle extends AsyncIterable<TraceEvent> {
  /** Concrete probes attached. */
  readonly probes: number;
  /** Resolves with the exit code once END ran, the maps were read and everything is detached. */
  readonly done: Promise<number>;
  /** Ends the run like Ctrl-C (END runs, maps are emitted). */
  stop(): void;
}

/**
 * Compiles, loads and attaches a script (throwing TraceError for scripts bpftrace would reject, and
 * BpfError/VerifierError/NotSupportedError when the kernel refuses), then runs it. Events — printf
 * output, print() values, map snapshots (at exit with `atExit: true`) — arrive through the async
 * iterator; the iterator ends when the run ends.
 */
export function trace(program: string, opts: TraceOptions = {}): TraceHandle {
  const compiled = compileScript(program, opts);
  const session = new TraceSession(compiled, opts);
  session.load();
  const queue: TraceEvent[] = [{ type: 'attached_probes', probes: session.probeCount }];
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: unknown;
  const onAbort = () => session.stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) session.stop();
  const done = (async (): Promise<number> => {
    // Let the caller attach its iterator before BEGIN runs.
    await new Promise((r) => setImmediate(r));
    try {
      return await session.run((e) => {
        queue.push(e);
        wake?.();
      });
    } catch (e) {
      failure = e;
      throw e;
    } finally {
      ended = true;
      opts.signal?.removeEventListener('abort', onAbort);
      wake?.();
    }
  })();
  // Errors reach the caller through the iterator or `done`; do not let an unobserved `done` crash the process.
  done.catch(() => {});
  return {
    probes: session.probeCount,
    done,
    stop: () => session.stop(),
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length) {
          yield queue.shift()!;
          continue;
        }
        if (ended) {
          if (failure !== undefined) throw failure;
          return;
        }
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    },
  };
}

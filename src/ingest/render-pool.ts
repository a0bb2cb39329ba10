// Render workers: large requests are decoded and rendered on threads of their
// own, so that a 20 MiB body (a quarter to half a second of protobuf decoding)
// never holds the event loop that answers /healthz and acknowledges the other
// requests. Small requests stay on the event loop, where they take less time
// than the round trip would.
import { Worker } from 'node:worker_threads';
import { OtlpError, type ErrorKind } from '../errors.ts';
import type { Signal, WireEncoding } from '../otlp/types.ts';
import type { EncodeInput } from './encode.ts';
import type { PrivacyPlan } from '../policy/types.ts';
import type { PrivacyChanges } from '../policy/privacy-apply.ts';
import type { RenderResult } from '../tables/render/job.ts';

export type RenderTask = { id: number; signal: Signal; encoding: WireEncoding; body: ArrayBuffer; principal?: string | undefined; privacy?: PrivacyPlan | undefined };
export type RenderReply =
  | { id: number; ok: true; ndjson: ArrayBuffer | undefined; rows: number; lineBytesMax: number; rejected: number; rejectReasons: string[]; privacyChanges?: PrivacyChanges | undefined }
  | { id: number; ok: false; kind: ErrorKind; message: string; retryAfterSeconds?: number | undefined };

type Waiting = { resolve: (r: RenderResult) => void; reject: (e: unknown) => void };
type Slot = { worker: Worker; waiting: Map<number, Waiting> };

const BOOT = new URL('./render-worker-boot.mjs', import.meta.url);

/**
 * Workers start with no node options of their own. The main thread's would
 * be inherited by default: its preloaded modules (`--import`, e.g. a
 * profiler's probe) instrument the main thread and fail in a worker, which
 * loads TypeScript only once its boot file has registered the loader, and
 * process-wide V8 flags (`--max-semi-space-size`) are refused there; both
 * already apply to the whole process.
 */
const WORKER_EXEC_ARGV: string[] = [];

export class RenderPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  private constructor(
    size: number,
    private readonly log: (line: string) => void,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  static start(size: number, log: (line: string) => void): RenderPool {
    return new RenderPool(Math.max(1, size), log);
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(BOOT, { execArgv: WORKER_EXEC_ARGV }), waiting: new Map() };
    // A worker that dies (out of memory, a bug) fails only the requests it
    // held, with a retryable 500, and is replaced.
    const lost = (why: string) => {
      if (this.closed) return;
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.log(`render worker stopped (${why}); ${slot.waiting.size} requests get 500 and a new worker starts`);
      this.fail(slot, new OtlpError('internal', 'the render worker stopped while handling the request; retry'));
      this.slots[i] = this.spawn();
    };
    slot.worker.on('message', (reply: RenderReply) => this.settle(slot, reply));
    slot.worker.on('error', (e) => lost(e.message));
    slot.worker.on('exit', (code) => lost(`exit code ${code}`));
    // Idle workers do not keep the process alive; requests in flight do (see render).
    slot.worker.unref();
    return slot;
  }

  private settle(slot: Slot, reply: RenderReply): void {
    const w = slot.waiting.get(reply.id);
    if (!w) return;
    slot.waiting.delete(reply.id);
    if (slot.waiting.size === 0) slot.worker.unref();
    if (!reply.ok) {
      w.reject(new OtlpError(reply.kind, reply.message, reply.retryAfterSeconds === undefined ? undefined : { retryAfterSeconds: reply.retryAfterSeconds }));
      return;
    }
    w.resolve({
      ndjson: reply.ndjson ? Buffer.from(reply.ndjson) : undefined,
      rows: reply.rows,
      lineBytesMax: reply.lineBytesMax,
      rejected: reply.rejected,
      rejectReasons: reply.rejectReasons,
      privacyChanges: reply.privacyChanges,
    });
  }

  private fail(slot: Slot, e: unknown): void {
    for (const w of slot.waiting.values()) w.reject(e);
    slot.waiting.clear();
  }

  /** Decodes and renders on the least busy worker. The body is copied: the caller keeps its own (capture). */
  render({ signal, encoding, body, principal, privacy }: EncodeInput): Promise<RenderResult> {
    if (this.closed) return Promise.reject(new OtlpError('unavailable', 'the server is shutting down', { retryAfterSeconds: 1 }));
    const slot = this.slots.reduce((a, b) => (b.waiting.size < a.waiting.size ? b : a));
    const copy = new ArrayBuffer(body.byteLength);
    new Uint8Array(copy).set(body);
    const id = this.nextId++;
    return new Promise<RenderResult>((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject });
      slot.worker.ref();
      const task: RenderTask = { id, signal, encoding, body: copy, principal, privacy };
      slot.worker.postMessage(task, [copy]);
    });
  }

  /** Stops the workers; requests still rendering get 503. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopping = new OtlpError('unavailable', 'the server is shutting down', { retryAfterSeconds: 1 });
    for (const slot of this.slots) this.fail(slot, stopping);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Test hook: the workers' threads, to stop one as a crash would. */
  get workers(): readonly Worker[] {
    return this.slots.map((s) => s.worker);
  }
}

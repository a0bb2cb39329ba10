// A full staging backlog is usually cleared by the next commit, well within a
// second. OTLP/HTTP clients retry a 429 on their own, but the JS OTLP/gRPC
// exporters do not retry at all, so a gRPC export waits a bounded time for
// room (retrying the ingest with backoff) before it is refused. Only the
// server's own backlog ('overloaded') is waited out: a policy's rate limit
// ('rate_limited') is an answer about the caller and is returned at once.
import { GRPC_BACKLOG_RETRY_MAX_MS, GRPC_BACKLOG_RETRY_MS, GRPC_BACKLOG_WAIT_MS } from '../config/limits.ts';
import { isOtlpError } from '../errors.ts';
import type { Ingestor } from '../http/app.ts';
import type { IngestRequest, IngestResult } from '../ingest/pipeline.ts';

export type BacklogWait = {
  /** Longest total wait; GRPC_BACKLOG_WAIT_MS. */
  waitMs: number;
  firstRetryMs: number;
  retryMaxMs: number;
  /** True when waiting is pointless (the call was cancelled, the server is stopping). */
  giveUp: () => boolean;
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function ingestWaitingForRoom(ingestor: Ingestor, req: IngestRequest, opts: Partial<BacklogWait> = {}): Promise<IngestResult> {
  const until = Date.now() + (opts.waitMs ?? GRPC_BACKLOG_WAIT_MS);
  let delay = opts.firstRetryMs ?? GRPC_BACKLOG_RETRY_MS;
  for (;;) {
    try {
      return await ingestor.ingest(req);
    } catch (e) {
      const full = isOtlpError(e) && e.kind === 'overloaded';
      if (!full || Date.now() + delay > until || opts.giveUp?.()) throw e;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, opts.retryMaxMs ?? GRPC_BACKLOG_RETRY_MAX_MS);
  }
}

// Named limits with their units last. Each says why it has its value; the
// relationships between them are checked once at start-up by checkLimits().

const MiB = 1024 * 1024;

/** Largest request body, compressed or after decompression: OTLP exporters batch
 * at most a few MiB, and 20 MiB bounds memory per request. */
export const BODY_BYTES_MAX = 20 * MiB;

/** A flush every second keeps data visible quickly while batching many requests
 * into one Parquet file and one commit. */
export const FLUSH_INTERVAL_MS = 1000;

/** Rows per Parquet file before an early flush: large enough for good
 * compression, small enough to bound flush memory in DuckDB. While a table's
 * commit runs, at most one such batch waits behind it; more rows are refused
 * (429), so acknowledged rows become visible within about two batches' time. */
export const FLUSH_ROWS_MAX = 100_000;

/** Staged row bytes (NDJSON) per table before an early flush, and the size of
 * the one batch that may wait behind a running commit. DuckDB turns about
 * 100 MiB of NDJSON a second into Parquet on one core, so a batch is a small
 * fraction of a second of commit work, and its load buffers stay small. */
export const FLUSH_BYTES_MAX = 16 * MiB;

/** How long a request may wait for room in a table's commit queue before it
 * is refused with 429. Waiting keeps Collector-size exports flowing while
 * commits catch up (a refused exporter pauses a second or more); agents'
 * small exports never fill the queue. */
export const BACKLOG_WAIT_MS = 1000;

/** Staged (acknowledged, not yet committed) bytes across all tables; beyond
 * it requests get 429 so exporters back off instead of the disk filling up. */
export const STAGING_BYTES_MAX = 1024 * MiB;

/** Freed memory the ingest DuckDB may keep cached between flushes. */
export const INGEST_DUCKDB_CACHE = '32MB';

/** Request bytes held in memory at once (bodies being read and decoded);
 * beyond it requests get 429 instead of the heap growing without bound. */
export const INFLIGHT_BYTES_MAX = 256 * MiB;

/** Attempts to claim a Delta version when other writers keep winning. */
export const COMMIT_ATTEMPTS_MAX = 20;

/** How long a clean stop may spend draining before giving up. */
export const SHUTDOWN_DEADLINE_MS = 30_000;

/** Smallest Retry-After we send: exporters treat 0 as "now". */
export const RETRY_AFTER_MIN_S = 1;

/** Largest Retry-After we send: longer waits only delay the exporters' own retries. */
export const RETRY_AFTER_MAX_S = 60;

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4318;
export const DEFAULT_WAREHOUSE = './warehouse';

export type Limits = {
  bodyBytesMax: number;
  flushIntervalMs: number;
  flushRowsMax: number;
  flushBytesMax: number;
  stagingBytesMax: number;
  inflightBytesMax: number;
};

export const DEFAULT_LIMITS: Limits = {
  bodyBytesMax: BODY_BYTES_MAX,
  flushIntervalMs: FLUSH_INTERVAL_MS,
  flushRowsMax: FLUSH_ROWS_MAX,
  flushBytesMax: FLUSH_BYTES_MAX,
  stagingBytesMax: STAGING_BYTES_MAX,
  inflightBytesMax: INFLIGHT_BYTES_MAX,
};

/** Fails fast, naming the rule, when limits contradict each other. */
export function checkLimits(l: Limits): void {
  const positive: (keyof Limits)[] = [
    'bodyBytesMax',
    'flushIntervalMs',
    'flushRowsMax',
    'flushBytesMax',
    'stagingBytesMax',
    'inflightBytesMax',
  ];
  for (const k of positive) {
    if (!Number.isSafeInteger(l[k]) || l[k] <= 0) throw new Error(`limit ${k} must be a positive integer, got ${l[k]}`);
  }
  if (l.flushBytesMax > l.stagingBytesMax) {
    throw new Error(`limit flushBytesMax (${l.flushBytesMax}) must not exceed stagingBytesMax (${l.stagingBytesMax})`);
  }
  if (l.bodyBytesMax > l.inflightBytesMax) {
    throw new Error(`limit bodyBytesMax (${l.bodyBytesMax}) must not exceed inflightBytesMax (${l.inflightBytesMax})`);
  }
}

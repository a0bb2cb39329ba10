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

// --- sql: the query engine (sql command, usage, POST /api/2.0/sql/statements) ---

/** Longest a statement may wait and run before it is cancelled (serve --sql-timeout-ms,
 * sql --timeout-ms): the usage report over a million rows takes about 3 s, and a
 * runaway query must not hold a query slot, a DuckDB thread and memory for ever. */
export const SQL_TIMEOUT_MS = 30_000;
/** How often a cancelled statement is interrupted again until it ends: an interrupt that lands as
 * a query is starting is cleared by DuckDB, and a tenth of a second keeps the overrun short. */
export const SQL_INTERRUPT_REPEAT_MS = 100;

/** Statements running at once: each may use every core, and ingest keeps its own
 * instance and threads, so more would only slow every query down. */
export const SQL_CONCURRENT_MAX = 2;

/** Statements waiting for a slot before more get 429: enough for a dashboard's burst
 * of queries, few enough that a waiting one still starts well within its timeout. */
export const SQL_QUEUE_MAX = 8;

/** Memory the query DuckDB instance may use across its statements (DuckDB
 * memory_limit). Spilling is off (its temp directory would be readable by
 * statements), so a statement that needs more fails instead of taking memory
 * ingest needs. */
export const SQL_MEMORY_LIMIT = '2GB';

/** Freed memory the query DuckDB may keep cached after a statement, so a large
 * query's memory goes back to the system once it ends. */
export const SQL_DUCKDB_CACHE = '32MB';

/** Rows one answer holds at most, like Databricks' inline results; more is truncated. */
export const SQL_RESULT_ROWS_MAX = 100_000;

/** Bytes of rows (as JSON text) one answer holds at most; more is truncated. Below
 * Databricks' 25 MiB inline limit, and small enough that two answers being built
 * at once stay within a few hundred MiB of heap. */
export const SQL_RESULT_BYTES_MAX = 16 * MiB;

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

// --- staging (write-ahead segments) ---

/** Bytes per writev call: far below 2^31, the count some layers hold in an int32 (a 2.8 GB call came back negative). */
export const WRITEV_BYTES_MAX = 64 * 1024 * 1024;
/** Buffers per writev call: Linux's IOV_MAX. */
export const WRITEV_BUFFERS_MAX = 1024;
/** Failed loads of one segment before it is quarantined: a load error that repeats this often is in the data, not passing. */
export const SEGMENT_COMMIT_ATTEMPTS_MAX = 5;

// --- table file check (describe, optimize, repair, query errors) ---

/** Data files stat'ed at once when checking a table: enough to hide disk latency, few enough to leave file handles and threads for ingestion. */
export const FSCK_STAT_CONCURRENCY = 16;

// --- http (request bodies and connections) ---

/** No body bytes for this long means the client or its network stalled: OTLP exporters give up
 * on an export after 10 s by default, and the bytes received so far sit in memory meanwhile. */
export const BODY_IDLE_TIMEOUT_MS = 10_000;
/** Longest time a whole body may take to arrive: three times the exporters' default export
 * timeout, so a trickling upload cannot keep its memory and connection indefinitely. */
export const BODY_READ_TIMEOUT_MS = 30_000;
/** While request memory is exhausted, an upload that has not delivered BODY_PROGRESS_BYTES_MIN
 * in this long gives its memory up (408) to requests that are moving. */
export const BODY_STALL_RECLAIM_MS = 2_000;
/** What counts as progress for reclaiming: one socket read's worth, so a few bytes a second
 * cannot keep megabytes of a stalled body in memory. */
export const BODY_PROGRESS_BYTES_MIN = 64 * 1024;
/** Bytes of an unread body read and discarded after an early refusal, so the client finishes
 * sending and reads the answer instead of meeting a reset: three times the default body limit. */
export const BODY_DRAIN_BYTES_MAX = 64 * MiB;
/** Longest time spent discarding an unread body before the connection is closed. */
export const BODY_DRAIN_TIMEOUT_MS = 5_000;
/** Request headers must arrive within this: an exporter sends them at once, in well under 1 KiB. */
export const HEADERS_TIMEOUT_MS = 15_000;
/** Node's own limit on a whole request, a backstop behind the body limits above (Node's default is 300 s). */
export const REQUEST_TIMEOUT_MS = HEADERS_TIMEOUT_MS + BODY_READ_TIMEOUT_MS + BODY_DRAIN_TIMEOUT_MS + 10_000;

// --- start-up (folder locks, input detection) ---

/** Longest wait for another starter that is breaking the same stale folder lock: breaking takes
 * a few file operations, so a wait this long means that starter is stuck, not slow. */
export const LOCK_BREAK_WAIT_MS = 5_000;
/** Bytes of a file read to find its first line when deciding whether it is Collector output:
 * the first line may be a whole export request, and past this only its opening is checked. */
export const COLLECTOR_SNIFF_BYTES_MAX = 1024 * 1024;

// --- rendering (rows one export request may produce) ---

/** Keys in one attribute list or key-value list: OpenTelemetry SDKs keep 128 attributes per
 * record by default and agents send fewer than 100, so 8x the SDK default leaves room for raised
 * limits while a map of thousands of keys is not telemetry and is refused. */
export const ATTRIBUTES_PER_MAP_MAX = 1024;
/** Rows one request may produce: two Parquet files' worth (FLUSH_ROWS_MAX). SDKs export at most
 * 512 records and the Collector 8,192 per request by default, so real exports are far below it,
 * while the millions of near-empty records a max-size body can hold are refused. */
export const REQUEST_ROWS_MAX = 2 * FLUSH_ROWS_MAX;
/** NDJSON bytes one request may render: 8x BODY_BYTES_MAX, above the 5-6x a max-size body of
 * ordinary records with a 1 KiB resource expands by (resource and scope are copied into every row),
 * ten FLUSH_BYTES_MAX batches, and far below what one Buffer holds (4 GiB); a small request whose
 * big resource is repeated over thousands of tiny records is refused instead of staging gigabytes. */
export const REQUEST_RENDERED_BYTES_MAX = 8 * BODY_BYTES_MAX;
/** Longest stretch a large request renders before other requests (and /healthz) get a turn:
 * answering a probe takes a few turns of the event loop (read, handle, write), each of which may
 * wait for a slice, so 10 ms keeps it well under 100 ms on a busy machine, while yielding (a few
 * microseconds) still costs little. */
export const RENDER_SLICE_MS = 10;
/** Rendered bytes all requests being rendered in slices may hold at once: two requests at
 * REQUEST_RENDERED_BYTES_MAX. Past it a request is refused with 429 (retry later), so many
 * concurrent amplifying requests cannot multiply the per-request cap into gigabytes of heap. */
export const RENDER_HELD_BYTES_MAX = 2 * REQUEST_RENDERED_BYTES_MAX;
/** Bodies from this size on are decoded and rendered on a render worker, not the event loop:
 * protobuf decodes at roughly 15-70 ms a MiB here, so from 256 KiB a body could take a slice's
 * time in decoding alone, while the round trip to a worker (a copy of the body) costs well under
 * a millisecond at this size. */
export const RENDER_OFFLOAD_BYTES_MIN = 256 * 1024;

// --- logging ---

/** Rejection lines logged per reason and table in one window: enough to show the cause with its
 * client details, while a fleet of misconfigured exporters retrying every few seconds adds one
 * summary line a window instead of thousands (the refusals are all still counted in /metrics). */
export const REJECTION_LOG_BURST = 5;
/** The rate-limit window of rejection lines: a minute, so a summary line comes at most that late. */
export const REJECTION_LOG_WINDOW_MS = 60_000;
/** Distinct reason-and-table pairs tracked at once: table names come from clients, so the set
 * is bounded; past it the pairs share one allowance and one summary. */
export const REJECTION_LOG_KEYS_MAX = 1_000;
/** Characters of a client-supplied value (table header, user agent) put in a log line. */
export const LOGGED_VALUE_CHARS_MAX = 200;

// --- access tokens ---

/** How often a running server checks the token file's mtime, size and inode: a revoke or a new
 * token takes effect within this plus one read, well inside the 10 s promised, while a stat
 * every two seconds costs nothing measurable. */
export const TOKEN_POLL_MS = 2_000;
/** How often last-used times kept in memory are written to the control folder: a minute is
 * precise enough to tell a live token from a forgotten one, and keeps the write off the export path. */
export const TOKEN_LAST_USED_FLUSH_MS = 60_000;
/** How long a token command waits for another one holding the token file's lock. */
export const TOKEN_LOCK_WAIT_MS = 5_000;
/** Longest principal or group name: an email or service name fits, a pasted document does not. */
export const PRINCIPAL_NAME_CHARS_MAX = 256;

// --- grants ---

/** How often a running server checks grants.json for a change made by another process: 3 s
 * keeps a grant or revoke in force within the promised 10 s even when a check lands just before
 * the write, while a stat every few seconds costs nothing. */
export const GRANTS_POLL_MS = 3_000;
// --- audit ---

/** Audit events held in memory before they are staged: a refusal flood of tens of thousands of
 * requests a second fills it only while staging is stalled, and past it events are counted as
 * dropped (and the count written as one row) instead of growing memory without bound. */
export const AUDIT_QUEUE_EVENTS_MAX = 10_000;
/** Open per-token, per-table, per-minute export aggregates: tables and tokens are both bounded by
 * what the warehouse holds, so this is only reached by a misconfiguration; past it exports are
 * counted as dropped from the audit (they are still in the data and the metrics). */
export const AUDIT_EXPORT_KEYS_MAX = 10_000;
/** How often finished minutes of export aggregates are staged: a few seconds after the minute ends
 * is soon enough for an audit query, and rare enough to cost nothing. */
export const AUDIT_MINUTE_CHECK_MS = 5_000;
/** Pause before staging audit rows again after staging refused them (full budget or disk). */
export const AUDIT_RETRY_MS = 1_000;
/** Characters of one request parameter value kept (statement text, table header): rows stay small. */
export const AUDIT_PARAM_CHARS_MAX = 4_096;
// --- tls ---

/** How often the certificate and key files are checked for a replacement: a renewed certificate
 * is in service within two polls (a change is loaded once the files stay unchanged for one poll),
 * while a stat of two files every few seconds costs nothing. */
export const TLS_RELOAD_POLL_MS = 3_000;
/** Failed TLS handshakes logged per minute (REJECTION_LOG_WINDOW_MS): enough to see the cause
 * (plain HTTP on the TLS port, an old TLS version, an untrusted CA); the rest are only counted. */
export const TLS_HANDSHAKE_LOG_BURST = 5;
/** A TLS handshake must finish within this (Node's default is 120 s): a real client needs a few
 * round trips, well under a second, so 10 s leaves room for slow links while connections that
 * open and send nothing cannot hold sockets for two minutes each. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
// --- policy file and rate limits ---

/** How often a running server checks the policy file for a change: a changed limit is in force
 * within two polls (a change is acted on once the file has stayed the same for one poll, so an
 * editor's half-written file is not reported as broken), while a stat every 2 s costs nothing. */
export const POLICY_RELOAD_POLL_MS = 2_000;
/** Rate-limit buckets kept in memory (about 100 bytes each, so at most ~10 MB): global, group and
 * per-principal limits are bounded by the policy file, and default-per-user buckets by the
 * warehouse's tokens, so this is reached only with that many active principals; past it the
 * longest idle bucket is forgotten, which loses nothing once it has refilled. */
export const RATE_BUCKETS_MAX = 100_000;

// --- otlp/grpc ---

/** The OTLP/gRPC port every exporter defaults to (the OTLP spec's 4317). */
export const DEFAULT_GRPC_PORT = 4317;
/** How long a gRPC export waits for staging room before it is refused: the JS gRPC exporters do
 * not retry, so a backlog that clears within a flush or two is better waited out than refused;
 * 2.5 s stays well under the exporters' 10 s deadline, leaving time for the ingest itself. */
export const GRPC_BACKLOG_WAIT_MS = 2_500;
/** First pause between retries of a gRPC export while staging is full; doubled up to
 * GRPC_BACKLOG_RETRY_MAX_MS, so a commit that frees room is seen within a fraction of a flush. */
export const GRPC_BACKLOG_RETRY_MS = 50;
/** Longest pause between those retries: a few checks a second, not a busy loop. */
export const GRPC_BACKLOG_RETRY_MAX_MS = 400;
/** Concurrent calls on one HTTP/2 connection: an agent's exporters use a handful; 100 is the
 * HTTP/2 recommendation, and past it a connection waits instead of adding memory. */
export const GRPC_MAX_CONCURRENT_STREAMS = 100;
/** HTTP/2 session memory one connection may use before new streams are refused (Node's
 * maxSessionMemory, in MiB): 10 MiB (Node's default) keeps one connection from taking the heap
 * while headers and frames of 100 streams fit; message bodies are bounded separately. */
export const GRPC_SESSION_MEMORY_MIB = 10;
/** A connection with no calls for this long is closed: agents reconnect on their next export,
 * and idle sockets from exited agents do not pile up. */
export const GRPC_CONNECTION_IDLE_MS = 5 * 60_000;

// --- privacy rules ---

/** Rules in one [privacy] section: a platform team's policy is a handful per agent and table;
 * more points at a generated file, and every rule costs a pass over each matching request. */
export const PRIVACY_RULES_MAX = 64;
/** Keys one rule may list in drop, pseudonymize or allow together: the agents' sensitive keys
 * number in the tens; the cap bounds the per-attribute lookup work a file can ask for. */
export const PRIVACY_RULE_KEYS_MAX = 256;
/** Mask patterns of one rule: each is run over every string value of every matching record. */
export const PRIVACY_MASKS_MAX = 32;
/** Characters of one custom mask pattern: JavaScript regexes cannot be interrupted, so patterns
 * are kept short and free of nested quantifiers (see privacy-patterns.ts) to bound backtracking. */
export const PRIVACY_PATTERN_CHARS_MAX = 512;
/** Bytes a pseudonym key must have at least: HMAC-SHA-256 keys shorter than its 32-byte output
 * make pseudonyms of guessable values (e-mail addresses) easier to reverse by brute force. */
export const PSEUDONYM_KEY_BYTES_MIN = 32;
/** Bytes a pseudonym key file may hold: a key is tens of bytes; a large file is a wrong path. */
export const PSEUDONYM_KEY_FILE_BYTES_MAX = 4_096;

// --- Usage dashboard ---
/** How often answers someone looked at recently are recomputed after a commit: the views take
 * seconds over 100k rows, so without it the first look after each commit waits for them; every
 * 30 s bounds that background work to a few seconds of one query thread per half minute. */
export const DASHBOARD_REFRESH_MS = 30_000;
/** How long an answer keeps being refreshed after it was last asked for: a dashboard left open
 * reloads it, and nobody's old filters keep the query engine busy for longer than this. */
export const DASHBOARD_WATCH_MS = 10 * 60_000;
/** Filter and caller combinations refreshed at most: the views are computed once per combination. */
export const DASHBOARD_WATCHED_MAX = 4;

// --- Materialised views kept between statements ---
/** Sets of materialised views kept at once: each is one warehouse version seen by one caller's
 * grants (a dashboard's filters only change the queries over them); four covers a few callers
 * and the version before the newest commit while each set holds tens of MB of DuckDB memory. */
export const VIEW_CACHE_SETS_MAX = 4;
/** Rows a set may hold to be kept: past it, keeping the set would take too much of
 * SQL_MEMORY_LIMIT (there is no spilling), so such views are recomputed for each batch. */
export const VIEW_CACHE_ROWS_MAX = 2_000_000;

// --- object storage (Azure Blob, S3) and the query read cache ---

/** Part (S3) or block (Azure) size of an upload of a large file: S3 refuses parts under 5 MiB
 * (except the last) and allows 10,000 parts, so 8 MiB keeps files up to about 80 GiB in one
 * upload, while memory per upload stays at this times STORE_UPLOAD_CONCURRENCY. */
export const STORE_PART_BYTES = 8 * MiB;
/** Parts of one upload in flight at once: enough to fill a link to the store from one node
 * without holding more than a few parts of memory. */
export const STORE_UPLOAD_CONCURRENCY = 4;
/** Longest one request to a store may stay silent before it is abandoned: a part of
 * STORE_PART_BYTES needs well under this on any working link, while a hung connection must not
 * hold a commit for the SDKs' default of minutes (a lost conditional write is then reported as
 * an unknown outcome and settled by reading the log). */
export const STORE_REQUEST_TIMEOUT_MS = 30_000;
/** Longest wait to open a connection to a store: a reachable endpoint answers in milliseconds. */
export const STORE_CONNECT_TIMEOUT_MS = 10_000;
/** Attempts of a conditional S3 write the store answered with 409 ConditionalRequestConflict
 * (another conditional write to the key was in flight; nothing was written): past it the store
 * is reported busy and the caller pauses. */
export const STORE_CONFLICT_ATTEMPTS_MAX = 5;
/** Keys asked for per listing page: 1,000 is the most either store returns per page. */
export const STORE_LIST_PAGE_KEYS = 1_000;
/** Bytes of remote data files kept on local disk for queries (OTLP2DELTA_QUERY_CACHE_BYTES overrides it):
 * data files are immutable, so a cached copy is always right; 2 GiB holds the recent days of a
 * busy warehouse's tables, and past it the least recently read files are removed first. */
export const QUERY_CACHE_BYTES_MAX = 2 * 1024 * MiB;

// --- Delta commits on object stores ---
/** Attempts at one commit version whose outcome a store left unknown (timeout, dropped answer)
 * or refused as busy: the same bytes are written again at the same version until the store says
 * whose they are, so a commit is never moved on while an earlier attempt might still land. */
export const DELTA_COMMIT_UNSURE_ATTEMPTS_MAX = 8;
/** First pause before writing an unsure commit again, doubled (with jitter) up to the cap below. */
export const DELTA_COMMIT_RETRY_BASE_MS = 100;
/** Longest pause between attempts: store throttling lifts within seconds. */
export const DELTA_COMMIT_RETRY_MAX_MS = 5_000;

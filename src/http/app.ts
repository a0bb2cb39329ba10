// The HTTP surface: OTLP/HTTP export routes under the Databricks paths and the
// standard /v1 paths, plus a health check. Each export request is one straight
// line: content type -> table header -> body (size, encoding) -> ingest -> respond.
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { CaptureSink } from '../capture/sink.ts';
import { OtlpError } from '../errors.ts';
import type { InflightBudget } from '../ingest/budget.ts';
import type { IngestRequest, IngestResult } from '../ingest/pipeline.ts';
import { decompress, parseContentEncoding } from '../otlp/compression.ts';
import type { Signal, WireEncoding } from '../otlp/types.ts';
import { formatTableName, type TableName } from '../tables/names.ts';
import type { Authorizer } from '../access/types.ts';
import { PlainTokenWarnings, type EdgeAuth, type EdgeOutcome } from './auth.ts';
import { admitExport, authenticateCall, operatorNoteOf, refusalNote, type AdmissionDeps } from '../access/export-admission.ts';
import { readBody, type BodyReadOptions } from './body.ts';
import { parseContentType, responseEncoding } from './content-type.ts';
import { drainUnreadBody, type DrainLimits } from './drain.ts';
import { errorResponse, exportResponse, type Logger } from './respond.ts';
import { eventLogFromLines, type EventLog } from '../observe/event-log.ts';
import { noteRequest, observeRequests } from '../observe/http-observer.ts';
import type { ServiceMetrics } from '../observe/metrics.ts';
import { RejectionLog } from '../observe/rejection-log.ts';
import { handleStatement, type StatementRunner } from './statements.ts';
import type { AuditSink } from '../access/types.ts';

export const TABLE_HEADER = 'x-databricks-uc-table-name';

export type Ingestor = { ingest(req: IngestRequest): Promise<IngestResult> };

export type AppOptions = {
  ingestor: Ingestor;
  bodyBytesMax: number;
  /** Request bytes (raw and decompressed) in memory across requests; stalled uploads give theirs back. */
  inflight: InflightBudget;
  log: Logger;
  /** The table for a request without the table header, if one is configured. */
  defaultTable?: (signal: Signal) => TableName | undefined;
  /** False once the server is stopping: new requests get 503. */
  accepting: () => boolean;
  /** serve --capture: every accepted request is also written here. */
  capture?: CaptureSink;
  /** Read-only SQL over the warehouse for POST /api/2.0/sql/statements; the route exists only with it. */
  sql?: StatementRunner;
  /** Body time limits; the defaults are BODY_IDLE_TIMEOUT_MS and BODY_READ_TIMEOUT_MS. */
  bodyTimeouts?: Pick<BodyReadOptions, 'idleTimeoutMs' | 'readTimeoutMs'>;
  /** Bounds on discarding an unread body after an early answer; the defaults are BODY_DRAIN_*. */
  drain?: DrainLimits;
  /** Refused requests are logged here, rate-limited; by default through `log`. */
  rejections?: RejectionLog;
  /** Served at GET /metrics and fed by every request, when given. */
  metrics?: ServiceMetrics;
  /** --access-log: one line per request. */
  accessLog?: EventLog;
  /** Token checks; without it (or while it is not enforced) every request is anonymous and allowed. */
  auth?: EdgeAuth;
  /**
   * MODIFY checks of authenticated exports. Until a grants-based one is
   * injected, ALLOW_ALL stands in: every valid token may write every table.
   */
  authorizer?: Authorizer;
  /** system.access.audit: accepted exports (per minute) and refusals. */
  audit?: AuditSink;
  /** The server speaks HTTPS (serve --tls-cert/--tls-key); per request, see arrivedOverTls in transport.ts. */
  secure?: boolean;
  /** Registers more routes (the dashboard) with the app's token check; after the OTLP and SQL routes. */
  mount?: (app: Hono<Env>, who: (c: Context<Env>) => EdgeOutcome) => void;
};

const SIGNAL_PATHS: [Signal, string][] = [
  ['metrics', 'metrics'],
  ['logs', 'logs'],
  ['traces', 'traces'],
];

type Env = { Bindings: HttpBindings };

const SQL_ROUTE = '/api/2.0/sql/statements';

/** The error answer for `err`, with its reason noted for the request's log line and metrics. */
function refuse(c: Context<Env>, err: unknown, encoding: WireEncoding, log: Logger): Response {
  const e = err instanceof OtlpError ? err : undefined;
  noteRequest(c, { reason: e?.kind ?? 'internal', message: e?.message ?? 'internal error while handling the request' });
  return errorResponse(err, encoding, log);
}

/** Checks the request's credential (see access/export-admission.ts). */
function authenticate(c: Context<Env>, deps: AdmissionDeps): EdgeOutcome {
  const socket = c.env?.incoming?.socket as (typeof c.env.incoming.socket & { encrypted?: boolean }) | undefined;
  return authenticateCall(deps, {
    authorization: c.req.header('authorization'),
    encrypted: socket?.encrypted === true,
    remote: socket?.remoteAddress,
    note: (fields) => noteRequest(c, fields),
  });
}

/** Databricks' error JSON for a credential refused on a non-OTLP route. */
function refuseJson(c: Context<Env>, out: Extract<EdgeOutcome, { ok: false }>): Response {
  noteRequest(c, refusalNote(out));
  return c.json({ error_code: out.status === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED', message: out.message }, out.status);
}

function notAllowed(opts: AppOptions) {
  return (c: Context<Env>): Response => {
    const e = new OtlpError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}: use POST`);
    const res = refuse(c, e, responseEncoding(c.req.header('content-type')), opts.log);
    res.headers.set('allow', 'POST');
    return res;
  };
}

async function handleExport(c: Context<Env>, signal: Signal, opts: AppOptions, deps: AdmissionDeps): Promise<Response> {
  const contentType = c.req.header('content-type');
  const replyIn = responseEncoding(contentType);
  const receivedAt = new Date();
  const hold = opts.inflight.open();
  noteRequest(c, { signal });
  try {
    const socket = c.env?.incoming?.socket as (typeof c.env.incoming.socket & { encrypted?: boolean }) | undefined;
    const { table, principal } = admitExport(deps, {
      signal,
      tableName: c.req.header(TABLE_HEADER),
      authorization: c.req.header('authorization'),
      encrypted: socket?.encrypted === true,
      remote: socket?.remoteAddress,
      note: (fields) => noteRequest(c, fields),
    });
    const encoding = parseContentType(contentType);
    const contentEncoding = parseContentEncoding(c.req.header('content-encoding'));
    const raw = await readBody(c.env.incoming, opts.bodyBytesMax, { hold, ...opts.bodyTimeouts });
    noteRequest(c, { receivedBytes: raw.length });
    const body = await decompress(raw, contentEncoding, opts.bodyBytesMax);
    if (body !== raw && !hold.tryAdd(body.length)) {
      throw new OtlpError('overloaded', 'the server holds as much request data as it may; retry later', { retryAfterSeconds: 1 });
    }
    const result = await opts.ingestor.ingest({ signal, table, encoding, body, ...(principal ? { principal } : {}) });
    noteRequest(c, { table: formatTableName(table), tableKnown: true, rows: result.rows, rejected: result.rejected, message: result.message });
    // --- capture: only accepted requests, with the body as received ---
    if (opts.capture) {
      const { rows, rejected } = result;
      const incoming = c.env.incoming;
      await opts.capture.record({ receivedAt, signal, table: formatTableName(table), path: c.req.path, incoming, body: raw, rows, rejected });
    }
    // --- end capture ---
    return exportResponse(signal, encoding, result.rejected, result.message);
  } catch (e) {
    // A body left unread is drained after the answer (see the middleware in createApp).
    const res = refuse(c, e, replyIn, opts.log);
    const more = operatorNoteOf(e);
    if (more) noteRequest(c, more);
    return res;
  } finally {
    hold.release();
  }
}

export function createApp(opts: AppOptions): Hono<Env> {
  const app = new Hono<Env>();
  const deps: AdmissionDeps = {
    auth: opts.auth,
    authorizer: opts.authorizer,
    metrics: opts.metrics,
    defaultTable: opts.defaultTable,
    accepting: opts.accepting,
    warnings: new PlainTokenWarnings(opts.log),
  };
  const routes = new Set(['/healthz', '/metrics', SQL_ROUTE, ...SIGNAL_PATHS.flatMap(([, s]) => [`/api/2.0/otel/v1/${s}`, `/v1/${s}`])]);
  // Registered first, so it sees every answer, the drained ones included.
  app.use(
    observeRequests({
      routes,
      quietRoutes: new Set([SQL_ROUTE]),
      metrics: opts.metrics,
      rejections: opts.rejections ?? new RejectionLog(eventLogFromLines(opts.log)),
      access: opts.accessLog,
      audit: opts.audit,
    }),
  );
  // Whatever a handler left of the request body is read and discarded within
  // bounds, so an early answer (413, 415, 405, 404, 408) reaches the client.
  app.use(async (c, next) => {
    await next();
    if (c.env?.incoming) drainUnreadBody(c.env.incoming, c.env.outgoing, opts.log, opts.drain);
  });
  const metrics = opts.metrics;
  if (metrics) {
    // Metrics name tables and principals' traffic, so they need a token when auth is on.
    app.get('/metrics', async (c) => {
      const who = authenticate(c, deps);
      if (!who.ok) return refuseJson(c, who);
      const { contentType, body } = await metrics.exposition();
      return c.body(body, 200, { 'content-type': contentType });
    });
  }
  app.get('/healthz', (c) => c.json({ status: opts.accepting() ? 'ok' : 'stopping' }, opts.accepting() ? 200 : 503));
  for (const [signal, suffix] of SIGNAL_PATHS) {
    const handler = (c: Context<Env>) => handleExport(c, signal, opts, deps);
    for (const route of [`/api/2.0/otel/v1/${suffix}`, `/v1/${suffix}`]) {
      app.post(route, handler);
      // Every other method, HEAD included (Hono serves it as GET without the body).
      app.all(route, notAllowed(opts));
    }
  }
  // --- SQL statements: read-only queries over the warehouse ---
  const sql = opts.sql;
  if (sql) {
    app.post(SQL_ROUTE, (c) => {
      const who = authenticate(c, deps);
      return who.ok ? handleStatement(c, sql, opts.metrics, who.principal) : refuseJson(c, who);
    });
  }
  // --- end SQL statements ---
  opts.mount?.(app, (c) => authenticate(c, deps));
  app.notFound((c) =>
    refuse(
      c,
      new OtlpError('not_found', `no such endpoint ${c.req.method} ${c.req.path}; OTLP exports go to POST /api/2.0/otel/v1/{metrics,logs,traces}`),
      responseEncoding(c.req.header('content-type')),
      opts.log,
    ),
  );
  app.onError((err, c) => refuse(c, err, responseEncoding(c.req.header('content-type')), opts.log));
  return app;
}

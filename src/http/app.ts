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
import type { Signal } from '../otlp/types.ts';
import { formatTableName, parseTableName, type TableName } from '../tables/names.ts';
import { bearerToken } from './auth.ts';
import { readBody } from './body.ts';
import { parseContentType, responseEncoding } from './content-type.ts';
import { errorResponse, exportResponse, type Logger } from './respond.ts';
import { handleStatement, type StatementRunner } from './statements.ts';

export const TABLE_HEADER = 'x-databricks-uc-table-name';

export type Ingestor = { ingest(req: IngestRequest): Promise<IngestResult> };

export type AppOptions = {
  ingestor: Ingestor;
  bodyBytesMax: number;
  /** Request bytes (raw and decompressed) in memory across requests. */
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
};

const SIGNAL_PATHS: [Signal, string][] = [
  ['metrics', 'metrics'],
  ['logs', 'logs'],
  ['traces', 'traces'],
];

type Env = { Bindings: HttpBindings };

async function handleExport(c: Context<Env>, signal: Signal, opts: AppOptions): Promise<Response> {
  const contentType = c.req.header('content-type');
  const replyIn = responseEncoding(contentType);
  const receivedAt = new Date();
  let held = 0;
  let bodyRead = false;
  const admit = (n: number): boolean => {
    if (!opts.inflight.tryReserve(n)) return false;
    held += n;
    return true;
  };
  try {
    if (!opts.accepting()) {
      throw new OtlpError('unavailable', 'the server is shutting down; retry against another instance or later', {
        retryAfterSeconds: 1,
      });
    }
    const encoding = parseContentType(contentType);
    const contentEncoding = parseContentEncoding(c.req.header('content-encoding'));
    const header = c.req.header(TABLE_HEADER);
    const fallback = header === undefined ? opts.defaultTable?.(signal) : undefined;
    const table = fallback ?? parseTableName(header);
    bearerToken(c.req.header('authorization')); // read, not yet enforced
    const raw = await readBody(c.env.incoming, opts.bodyBytesMax, admit);
    bodyRead = true;
    const body = await decompress(raw, contentEncoding, opts.bodyBytesMax);
    if (body !== raw && !admit(body.length)) {
      throw new OtlpError('overloaded', 'the server holds as much request data as it may; retry later', { retryAfterSeconds: 1 });
    }
    const result = await opts.ingestor.ingest({ signal, table, encoding, body });
    // --- capture: only accepted requests, with the body as received ---
    if (opts.capture) {
      const { rows, rejected } = result;
      const incoming = c.env.incoming;
      await opts.capture.record({ receivedAt, signal, table: formatTableName(table), path: c.req.path, incoming, body: raw, rows, rejected });
    }
    // --- end capture ---
    return exportResponse(signal, encoding, result.rejected, result.message);
  } catch (e) {
    const res = errorResponse(e, replyIn, opts.log);
    // Unread body bytes would be taken for the next request on a kept-alive
    // connection, and an abandoned upload would hold the socket: close it.
    if (!bodyRead) res.headers.set('connection', 'close');
    return res;
  } finally {
    opts.inflight.release(held);
  }
}

export function createApp(opts: AppOptions): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/healthz', (c) => c.json({ status: opts.accepting() ? 'ok' : 'stopping' }, opts.accepting() ? 200 : 503));
  for (const [signal, suffix] of SIGNAL_PATHS) {
    const handler = (c: Context<Env>) => handleExport(c, signal, opts);
    app.post(`/api/2.0/otel/v1/${suffix}`, handler);
    app.post(`/v1/${suffix}`, handler);
    const notAllowed = (c: Context<Env>) =>
      errorResponse(new OtlpError('invalid', `use POST for ${c.req.path}`), responseEncoding(c.req.header('content-type')));
    app.on(['GET', 'PUT', 'DELETE', 'PATCH'], [`/api/2.0/otel/v1/${suffix}`, `/v1/${suffix}`], (c) => {
      const r = notAllowed(c);
      return new Response(r.body, { status: 405, headers: { ...Object.fromEntries(r.headers), allow: 'POST' } });
    });
  }
  // --- SQL statements: read-only queries over the warehouse ---
  const sql = opts.sql;
  if (sql) app.post('/api/2.0/sql/statements', (c) => handleStatement(c, sql));
  // --- end SQL statements ---
  app.notFound((c) =>
    errorResponse(
      new OtlpError('not_found', `no such endpoint ${c.req.method} ${c.req.path}; OTLP exports go to POST /api/2.0/otel/v1/{metrics,logs,traces}`),
      responseEncoding(c.req.header('content-type')),
    ),
  );
  app.onError((err, c) => errorResponse(err, responseEncoding(c.req.header('content-type')), opts.log));
  return app;
}

// One middleware sees every answered request: it counts it in the metrics,
// writes the access log line (--access-log) and, for a refusal, the rate-
// limited rejection line. Handlers only leave a note of what they learnt
// (reason, signal, table, rows), so outcomes are reported in one place.
import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { ERROR_KINDS, type ErrorKind } from '../errors.ts';
import type { EventLog } from './event-log.ts';
import type { ServiceMetrics } from './metrics.ts';
import { shortValue, type RejectionLog } from './rejection-log.ts';
import { randomUUID } from 'node:crypto';
import type { AuditSink } from '../access/types.ts';

export type RequestNote = {
  reason?: string;
  message?: string;
  signal?: string;
  table?: string;
  /** The table exists in the warehouse, so its name may be a metric label. */
  tableKnown?: boolean;
  rows?: number;
  rejected?: number;
  receivedBytes?: number;
  /** The caller's token id and principal, when known (never the secret). */
  tokenId?: string;
  principal?: string;
};

const notes = new WeakMap<IncomingMessage, RequestNote>();

/** Adds to what is known of the request `c` is answering. */
export function noteRequest(c: Context<{ Bindings: HttpBindings }>, note: RequestNote): void {
  const incoming = c.env?.incoming;
  if (!incoming) return;
  notes.set(incoming, { ...notes.get(incoming), ...note });
}

const KIND_BY_STATUS = new Map<number, ErrorKind>(
  (Object.entries(ERROR_KINDS) as [ErrorKind, { http: number }][]).map(([kind, info]) => [info.http, kind]),
);

export type ObserverOptions = {
  /** Routes counted under their own path; any other path is counted as "other". */
  routes: ReadonlySet<string>;
  /** Routes whose refusals are logged elsewhere (the SQL engine logs its own). */
  quietRoutes?: ReadonlySet<string>;
  metrics?: ServiceMetrics | undefined;
  rejections?: RejectionLog | undefined;
  access?: EventLog | undefined;
  /** Exports (aggregated per minute) and refusals go to the audit table; quiet routes audit themselves. */
  audit?: AuditSink | undefined;
};

export function observeRequests(opts: ObserverOptions): MiddlewareHandler<{ Bindings: HttpBindings }> {
  return async (c, next) => {
    const started = process.hrtime.bigint();
    await next();
    const incoming = c.env?.incoming;
    const note = (incoming && notes.get(incoming)) || {};
    const status = c.res.status;
    const route = opts.routes.has(c.req.path) ? c.req.path : 'other';
    const reason = status < 400 ? '' : (note.reason ?? KIND_BY_STATUS.get(status) ?? `http_${status}`);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const m = opts.metrics;
    if (m) {
      m.requests.inc({ route, status: String(status), reason });
      m.requestSeconds.observe({ route }, seconds);
      if (note.signal !== undefined && note.receivedBytes !== undefined) m.receivedBytes.inc({ signal: note.signal }, note.receivedBytes);
      if (note.signal !== undefined && note.table !== undefined && note.tableKnown && status === 200) {
        const labels = { table: note.table, signal: note.signal };
        if (note.rows) m.recordsAccepted.inc(labels, note.rows);
        if (note.rejected) m.recordsRejected.inc(labels, note.rejected);
      }
    }
    const remote = incoming?.socket?.remoteAddress;
    const userAgent = c.req.header('user-agent');
    if (opts.access) {
      const fields = {
        method: c.req.method,
        path: c.req.path,
        status,
        ms: Math.round(seconds * 1000 * 10) / 10,
        remote,
        userAgent: shortValue(userAgent),
        signal: note.signal,
        table: shortValue(note.table),
        rows: note.rows,
        rejected: note.rejected || undefined,
        bytes: note.receivedBytes,
        tokenId: note.tokenId,
        principal: shortValue(note.principal),
      };
      opts.access.info(fields, `${c.req.method} ${c.req.path} ${status} ${fields.ms} ms`);
    }
    // The SQL route audits its statements itself; refusals at the shared authentication edge are audited here.
    const edgeRefusal = note.reason === 'unauthenticated' || note.reason === 'forbidden';
    if (opts.audit && (!opts.quietRoutes?.has(c.req.path) || edgeRefusal) && (status >= 400 || note.signal !== undefined)) {
      const params: Record<string, string> = { path: c.req.path, method: c.req.method };
      if (note.table !== undefined) params.table = note.table;
      if (note.signal !== undefined) params.signal = note.signal;
      if (note.rows !== undefined) params.records = String(note.rows);
      if (status >= 400) params.reason = reason;
      opts.audit.record({
        time: new Date(),
        principal: note.principal,
        tokenId: note.tokenId,
        service: opts.quietRoutes?.has(c.req.path) ? 'sql' : 'otlp',
        action: status === 200 && note.signal !== undefined ? 'export' : 'refused',
        requestId: randomUUID(),
        params,
        status,
        error: status >= 400 ? note.message : undefined,
        sourceIp: remote,
        userAgent,
      });
    }
    const refused = status >= 400 || (note.rejected ?? 0) > 0;
    // Quiet routes log their own refusals, except those of the authentication edge, which is shared.
    if (refused && opts.rejections && (!opts.quietRoutes?.has(c.req.path) || edgeRefusal)) {
      opts.rejections.record({
        status,
        reason: status < 400 ? 'partial_success' : reason,
        message: note.message ?? `answered ${status}`,
        method: c.req.method,
        path: c.req.path,
        signal: note.signal,
        table: note.table,
        remote,
        userAgent,
        tokenId: note.tokenId,
        principal: note.principal,
      });
    }
  };
}

// What happens once a request has been answered, whatever carried it: it is
// counted in the metrics, written to the access log (--access-log), audited
// and, for a refusal, logged through the rate-limited rejection log. Each
// transport's handlers only leave a note of what they learnt (reason, signal,
// table, rows); outcomes are reported here and nowhere else.
import { randomUUID } from 'node:crypto';
import { ERROR_KINDS, type ErrorKind } from '../errors.ts';
import type { AuditSink } from '../access/types.ts';
import type { EventLog } from './event-log.ts';
import type { ServiceMetrics } from './metrics.ts';
import { shortValue, type RejectionLog } from './rejection-log.ts';

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
  /** The policy's rate limit that refused the request (its stable identifier). */
  limit?: string;
};

export type OutcomeSinks = {
  metrics?: ServiceMetrics | undefined;
  rejections?: RejectionLog | undefined;
  access?: EventLog | undefined;
  /** Exports (aggregated per minute) and refusals go to the audit table. */
  audit?: AuditSink | undefined;
};

/** One answered request, as a transport describes it. */
export type Outcome = {
  /** `POST` for HTTP; `grpc` for a gRPC call. */
  method: string;
  /** The route (HTTP path or gRPC method path) as requested. */
  path: string;
  /** The path's metric label: a known route, or "other". */
  route: string;
  /** The HTTP status, or for gRPC the HTTP status its code pairs with (see errors.ts). */
  status: number;
  seconds: number;
  remote: string | undefined;
  userAgent: string | undefined;
  note: RequestNote;
  /** The route audits and logs its own refusals (SQL), except those of the shared authentication edge. */
  quiet?: boolean;
  /** The audit service of a quiet route. */
  auditService?: 'otlp' | 'sql';
};

const KIND_BY_STATUS = new Map<number, ErrorKind>(
  (Object.entries(ERROR_KINDS) as [ErrorKind, { http: number }][]).map(([kind, info]) => [info.http, kind]),
);

export function reportOutcome(sinks: OutcomeSinks, o: Outcome): void {
  const { note, status } = o;
  const reason = status < 400 ? '' : (note.reason ?? KIND_BY_STATUS.get(status) ?? `http_${status}`);
  const m = sinks.metrics;
  if (m) {
    m.requests.inc({ route: o.route, status: String(status), reason });
    m.requestSeconds.observe({ route: o.route }, o.seconds);
    if (note.signal !== undefined && note.receivedBytes !== undefined) m.receivedBytes.inc({ signal: note.signal }, note.receivedBytes);
    if (note.signal !== undefined && note.table !== undefined && note.tableKnown && status === 200) {
      const labels = { table: note.table, signal: note.signal };
      if (note.rows) m.recordsAccepted.inc(labels, note.rows);
      if (note.rejected) m.recordsRejected.inc(labels, note.rejected);
    }
  }
  if (sinks.access) {
    const fields = {
      method: o.method,
      path: o.path,
      status,
      ms: Math.round(o.seconds * 1000 * 10) / 10,
      remote: o.remote,
      userAgent: shortValue(o.userAgent),
      signal: note.signal,
      table: shortValue(note.table),
      rows: note.rows,
      rejected: note.rejected || undefined,
      bytes: note.receivedBytes,
      tokenId: note.tokenId,
      principal: shortValue(note.principal),
    };
    sinks.access.info(fields, `${o.method} ${o.path} ${status} ${fields.ms} ms`);
  }
  const edgeRefusal = note.reason === 'unauthenticated' || note.reason === 'forbidden';
  if (sinks.audit && (!o.quiet || edgeRefusal) && (status >= 400 || note.signal !== undefined)) {
    const params: Record<string, string> = { path: o.path, method: o.method };
    if (note.table !== undefined) params.table = note.table;
    if (note.signal !== undefined) params.signal = note.signal;
    if (note.rows !== undefined) params.records = String(note.rows);
    if (status >= 400) params.reason = reason;
    if (note.limit !== undefined) params.limit = note.limit;
    sinks.audit.record({
      time: new Date(),
      principal: note.principal,
      tokenId: note.tokenId,
      service: o.auditService ?? 'otlp',
      action: status === 200 && note.signal !== undefined ? 'export' : 'refused',
      requestId: randomUUID(),
      params,
      status,
      error: status >= 400 ? note.message : undefined,
      sourceIp: o.remote,
      userAgent: o.userAgent,
    });
  }
  const refused = status >= 400 || (note.rejected ?? 0) > 0;
  if (refused && sinks.rejections && (!o.quiet || edgeRefusal)) {
    sinks.rejections.record({
      status,
      reason: status < 400 ? 'partial_success' : reason,
      message: note.message ?? `answered ${status}`,
      method: o.method,
      path: o.path,
      signal: note.signal,
      table: note.table,
      remote: o.remote,
      userAgent: o.userAgent,
      tokenId: note.tokenId,
      principal: note.principal,
    });
  }
}

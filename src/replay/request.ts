// One request to replay, however it was stored (capture, fixture or Collector
// file line), plus the rules for its table and the count of records it holds.
import { INFLIGHT_BYTES_MAX } from '../config/limits.ts';
import { parseContentType } from '../http/content-type.ts';
import { SIGNALS } from '../ingest/signals.ts';
import { decodeRequest } from '../otlp/codec.ts';
import { decompress, parseContentEncoding } from '../otlp/compression.ts';
import type { ExportRequest, Metric, Signal } from '../otlp/types.ts';
import { oneofMember } from '../tables/oneof.ts';
import { listOf } from '../tables/walk.ts';

export const TABLE_HEADER = 'x-databricks-uc-table-name';

export type ReplayRequest = {
  kind: 'request';
  /** Where it came from, for messages: a fixture file or file:line. */
  source: string;
  signal: Signal;
  /** The export path it was sent to, e.g. /api/2.0/otel/v1/logs. */
  path: string;
  /** catalog.schema.table as recorded, if the recording names one. */
  table: string | undefined;
  contentType: string;
  contentEncoding: string | undefined;
  /** Further recorded headers worth sending again (user-agent and the like). */
  headers: Record<string, string>;
  /** The body as it goes on the wire (still content-encoded). */
  body: Buffer;
  /** Input bytes this item accounts for, for progress. */
  inputBytes: number;
};

/** An input that cannot become a request (unreadable fixture, a line that is not OTLP JSON). */
export type BadInput = { kind: 'bad'; source: string; message: string; inputBytes: number };

export type ReplayItem = ReplayRequest | BadInput;

export type TableRules = {
  /** Every request goes to <prefix>_otel_<kind>, whatever it recorded. */
  tablePrefix?: string | undefined;
  /** Requests that recorded no table go to <prefix>_otel_<kind>. */
  defaultTablePrefix?: string | undefined;
};

/** `c.s.p` and a signal name `c.s.p_otel_metrics`, `_otel_logs` or `_otel_spans`. */
export const prefixedTable = (prefix: string, signal: Signal): string => `${prefix}_otel_${SIGNALS[signal].tableKind}`;

export function tableFor(req: ReplayRequest, rules: TableRules): string | undefined {
  if (rules.tablePrefix !== undefined) return prefixedTable(rules.tablePrefix, req.signal);
  if (req.table !== undefined) return req.table;
  if (rules.defaultTablePrefix !== undefined) return prefixedTable(rules.defaultTablePrefix, req.signal);
  return undefined;
}

const METRIC_DATA = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

/** Data points of one metric; a metric with no data is one record, as the server counts it. */
function metricRecords(m: Metric): number {
  const member = oneofMember(m, 'data', METRIC_DATA);
  const data = member === undefined ? undefined : m[member];
  return data == null ? 1 : listOf<unknown>(data.dataPoints).length;
}

/** Records (data points, log records, spans) in a decoded export request. */
export function recordsIn<S extends Signal>(signal: S, decoded: ExportRequest[S]): number {
  let n = 0;
  if (signal === 'metrics') {
    const req = decoded as ExportRequest['metrics'];
    for (const rm of listOf(req.resourceMetrics)) {
      for (const sm of listOf(rm.scopeMetrics)) for (const m of listOf(sm.metrics)) n += metricRecords(m);
    }
  } else if (signal === 'logs') {
    const req = decoded as ExportRequest['logs'];
    for (const rl of listOf(req.resourceLogs)) for (const sl of listOf(rl.scopeLogs)) n += listOf(sl.logRecords).length;
  } else {
    const req = decoded as ExportRequest['traces'];
    for (const rs of listOf(req.resourceSpans)) for (const ss of listOf(rs.scopeSpans)) n += listOf(ss.spans).length;
  }
  return n;
}

/**
 * Records in a request as it would be sent, or undefined when the body cannot
 * be decoded (the server will say why when it refuses it).
 */
export async function countRecords(req: ReplayRequest): Promise<number | undefined> {
  try {
    const encoding = parseContentType(req.contentType);
    const body = await decompress(req.body, parseContentEncoding(req.contentEncoding), INFLIGHT_BYTES_MAX);
    return recordsIn(req.signal, decodeRequest(req.signal, body, encoding));
  } catch {
    return undefined;
  }
}

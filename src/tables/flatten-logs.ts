// Logs export requests as otel_logs rows: one row per log record.
import { toInt64 } from '../otlp/int64.ts';
import type { ExportLogsServiceRequest, LogRecord } from '../otlp/types.ts';
import { attributesMap, renderAnyValue } from './anyvalue.ts';
import { enumName, SEVERITY_NUMBER } from './enums.ts';
import { hexId } from './ids.ts';
import type { FlattenResult, Row } from './row.ts';
import { walkRecords, type ScopeContext } from './walk.ts';

/**
 * Values are kept as sent: an empty event_name stays '' and a zero
 * time_unix_nano stays 0 (some senders only set the observed time), so the
 * table never claims something the sender did not say.
 */
function logRow(r: LogRecord, ctx: ScopeContext): Row {
  return {
    event_name: r.eventName ?? '',
    trace_id: hexId(r.traceId),
    span_id: hexId(r.spanId),
    time_unix_nano: toInt64(r.timeUnixNano),
    observed_time_unix_nano: toInt64(r.observedTimeUnixNano),
    severity_number: enumName(SEVERITY_NUMBER, r.severityNumber),
    severity_text: r.severityText ?? '',
    body: renderAnyValue(r.body),
    attributes: attributesMap(r.attributes),
    dropped_attributes_count: r.droppedAttributesCount | 0,
    flags: r.flags | 0,
    resource: ctx.resource,
    resource_schema_url: ctx.resourceSchemaUrl,
    instrumentation_scope: ctx.scope,
    log_schema_url: ctx.scopeSchemaUrl,
  };
}

/** One row per log record; a record whose maps cannot be stored is rejected (see walkRecords). */
export function flattenLogs(req: ExportLogsServiceRequest): FlattenResult {
  const result: FlattenResult = { rows: [], rejected: 0, rejectReasons: [] };
  walkRecords(
    req.resourceLogs,
    (rl) => rl.scopeLogs,
    (sl) => sl.logRecords,
    (r, ctx) => result.rows.push(logRow(r, ctx)),
    result,
  );
  return result;
}

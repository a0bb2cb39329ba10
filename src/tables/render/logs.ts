// Logs export requests straight to otel_logs NDJSON: one line per log record,
// the same bytes as flattenLogs + rowsToNdjson.
import type { ExportLogsServiceRequest, LogRecord } from '../../otlp/types.ts';
import { renderAnyValue } from '../anyvalue.ts';
import { enumName, SEVERITY_NUMBER } from '../enums.ts';
import { hexId } from '../ids.ts';
import { jsonInt64 } from '../json-text.ts';
import { listOf } from '../walk.ts';
import { attributes, eachScope, sinkResult, type RenderResult } from './common.ts';
import { scratchSink, type ByteSink } from './sink.ts';

function logRecord(out: ByteSink, r: LogRecord, scopeEnd: Buffer): void {
  out.ascii('{"event_name":');
  out.string(r.eventName ?? '');
  out.ascii(',"trace_id":');
  out.nullableString(hexId(r.traceId));
  out.ascii(',"span_id":');
  out.nullableString(hexId(r.spanId));
  out.ascii(',"time_unix_nano":');
  out.ascii(jsonInt64(r.timeUnixNano));
  out.ascii(',"observed_time_unix_nano":');
  out.ascii(jsonInt64(r.observedTimeUnixNano));
  out.ascii(',"severity_number":');
  out.string(enumName(SEVERITY_NUMBER, r.severityNumber));
  out.ascii(',"severity_text":');
  out.string(r.severityText ?? '');
  out.ascii(',"body":');
  out.nullableString(renderAnyValue(r.body));
  out.ascii(',"attributes":');
  attributes(out, r.attributes);
  out.ascii(',"dropped_attributes_count":');
  out.ascii(String(r.droppedAttributesCount | 0));
  out.ascii(',"flags":');
  out.ascii(String(r.flags | 0));
  out.bytes(scopeEnd);
  out.endLine();
}

/** One line per log record; every record can be stored, so nothing is rejected. */
export function renderLogs(req: ExportLogsServiceRequest): RenderResult {
  const out = scratchSink();
  eachScope(req.resourceLogs, (rl) => rl.scopeLogs, 'log_schema_url', (sl, scopeEnd) => {
    for (const r of listOf(sl.logRecords)) logRecord(out, r, scopeEnd);
  });
  return sinkResult(out);
}

// Logs export requests straight to otel_logs NDJSON: one line per log record,
// the same bytes as flattenLogs + rowsToNdjson.
import type { ExportLogsServiceRequest, LogRecord, ScopeLogs } from '../../otlp/types.ts';
import { renderAnyValue } from '../anyvalue.ts';
import { enumName, SEVERITY_NUMBER } from '../enums.ts';
import { hexId } from '../ids.ts';
import { jsonInt64 } from '../json-text.ts';
import { listOf } from '../walk.ts';
import { attributes, eachRecord, eachScope, writeRowEnd, type RowEnd } from './common.ts';
import { renderAll, type RenderJob, type RenderResult, type RenderSteps } from './job.ts';
import type { ByteSink } from './sink.ts';

function logRecord(out: ByteSink, r: LogRecord, end: RowEnd): void {
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
  writeRowEnd(out, end);
  out.endLine();
}

function scopeLogs(job: RenderJob, sl: ScopeLogs, end: RowEnd): RenderSteps {
  return eachRecord(job, sl.logRecords, end, logRecord);
}

/** One line per log record; a record whose maps cannot be stored is rejected (see flattenLogs). */
export function* logsSteps(job: RenderJob, req: ExportLogsServiceRequest): RenderSteps {
  yield* eachScope(job, req.resourceLogs, {
    scopesOf: (rl) => rl.scopeLogs,
    scopeUrlColumn: 'log_schema_url',
    recordCount: (sl) => listOf(sl.logRecords).length,
    visit: scopeLogs,
  });
}

export function renderLogs(req: ExportLogsServiceRequest): RenderResult {
  return renderAll((job) => logsSteps(job, req));
}

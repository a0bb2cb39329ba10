// Trace export requests straight to otel_spans NDJSON: one line per span, the
// same bytes as flattenSpans + rowsToNdjson. Events, links and status are
// rarer and go through the row builders.
import type { ExportTraceServiceRequest, ScopeSpans, Span } from '../../otlp/types.ts';
import { enumName, SPAN_KIND } from '../enums.ts';
import { eventStruct, linkStruct, statusStruct } from '../flatten-spans.ts';
import { hexId } from '../ids.ts';
import { jsonInt64 } from '../json-text.ts';
import { valueToJson } from '../ndjson.ts';
import { listOf } from '../walk.ts';
import { attributes, eachRecord, eachScope, writeRowEnd, type RowEnd } from './common.ts';
import { renderAll, type RenderJob, type RenderResult, type RenderSteps } from './job.ts';
import type { ByteSink } from './sink.ts';

function span(out: ByteSink, s: Span, end: RowEnd): void {
  const events = listOf(s.events);
  const links = listOf(s.links);
  out.ascii('{"trace_id":');
  out.nullableString(hexId(s.traceId));
  out.ascii(',"span_id":');
  out.nullableString(hexId(s.spanId));
  out.ascii(',"trace_state":');
  out.string(s.traceState ?? '');
  out.ascii(',"parent_span_id":');
  out.nullableString(hexId(s.parentSpanId));
  out.ascii(',"flags":');
  out.ascii(String(s.flags | 0));
  out.ascii(',"name":');
  out.string(s.name ?? '');
  out.ascii(',"kind":');
  out.string(enumName(SPAN_KIND, s.kind));
  out.ascii(',"start_time_unix_nano":');
  out.ascii(jsonInt64(s.startTimeUnixNano));
  out.ascii(',"end_time_unix_nano":');
  out.ascii(jsonInt64(s.endTimeUnixNano));
  out.ascii(',"attributes":');
  attributes(out, s.attributes);
  out.ascii(',"dropped_attributes_count":');
  out.ascii(String(s.droppedAttributesCount | 0));
  out.ascii(',"events":');
  if (events.length === 0) out.ascii('[]');
  else out.text(valueToJson(events.map(eventStruct)));
  out.ascii(',"dropped_events_count":');
  out.ascii(String(s.droppedEventsCount | 0));
  out.ascii(',"links":');
  if (links.length === 0) out.ascii('[]');
  else out.text(valueToJson(links.map(linkStruct)));
  out.ascii(',"dropped_links_count":');
  out.ascii(String(s.droppedLinksCount | 0));
  out.ascii(',"status":');
  out.text(valueToJson(statusStruct(s.status)));
  writeRowEnd(out, end);
  out.endLine();
}

function scopeSpans(job: RenderJob, ss: ScopeSpans, end: RowEnd): RenderSteps {
  return eachRecord(job, ss.spans, end, span);
}

/** One line per span; a span whose maps (its events' and links' too) cannot be stored is rejected. */
export function* spansSteps(job: RenderJob, req: ExportTraceServiceRequest): RenderSteps {
  yield* eachScope(job, req.resourceSpans, {
    scopesOf: (rs) => rs.scopeSpans,
    scopeUrlColumn: 'span_schema_url',
    recordCount: (ss) => listOf(ss.spans).length,
    visit: scopeSpans,
  });
}

export function renderSpans(req: ExportTraceServiceRequest): RenderResult {
  return renderAll((job) => spansSteps(job, req));
}

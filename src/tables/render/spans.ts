// Trace export requests straight to otel_spans NDJSON: one line per span, the
// same bytes as flattenSpans + rowsToNdjson. Events, links and status are
// rarer and go through the row builders.
import type { ExportTraceServiceRequest, Span } from '../../otlp/types.ts';
import { enumName, SPAN_KIND } from '../enums.ts';
import { eventStruct, linkStruct, statusStruct } from '../flatten-spans.ts';
import { hexId } from '../ids.ts';
import { jsonInt64 } from '../json-text.ts';
import { valueToJson } from '../ndjson.ts';
import { listOf } from '../walk.ts';
import { attributes, eachScope, sinkResult, type RenderResult } from './common.ts';
import { scratchSink, type ByteSink } from './sink.ts';

function span(out: ByteSink, s: Span, scopeEnd: Buffer): void {
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
  out.bytes(scopeEnd);
  out.endLine();
}

/** One line per span; every span can be stored, so nothing is rejected. */
export function renderSpans(req: ExportTraceServiceRequest): RenderResult {
  const out = scratchSink();
  eachScope(req.resourceSpans, (rs) => rs.scopeSpans, 'span_schema_url', (ss, scopeEnd) => {
    for (const s of listOf(ss.spans)) span(out, s, scopeEnd);
  });
  return sinkResult(out);
}

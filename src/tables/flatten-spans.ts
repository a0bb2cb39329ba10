// Trace export requests as otel_spans rows: one row per span.
import { toInt64 } from '../otlp/int64.ts';
import type { ExportTraceServiceRequest, Span, SpanEvent, SpanLink } from '../otlp/types.ts';
import { attributesMap } from './anyvalue.ts';
import { enumName, SPAN_KIND, STATUS_CODE } from './enums.ts';
import { hexId } from './ids.ts';
import type { FlattenResult, Row } from './row.ts';
import { listOf, walkRecords, type ScopeContext } from './walk.ts';

export function eventStruct(e: SpanEvent): Row {
  return {
    time_unix_nano: toInt64(e.timeUnixNano),
    name: e.name ?? '',
    attributes: attributesMap(e.attributes, 'event attributes'),
    dropped_attributes_count: e.droppedAttributesCount | 0,
  };
}

export function linkStruct(l: SpanLink): Row {
  return {
    trace_id: hexId(l.traceId),
    span_id: hexId(l.spanId),
    trace_state: l.traceState ?? '',
    attributes: attributesMap(l.attributes, 'link attributes'),
    dropped_attributes_count: l.droppedAttributesCount | 0,
    flags: l.flags | 0,
  };
}

/**
 * Span.status is a message field, so its absence is visible on the wire: it
 * is NULL then (optional fields absent on the wire are NULL), while a sent
 * but empty status is {message: '', code: 'STATUS_CODE_UNSET'}.
 */
export function statusStruct(status: Span['status']): Row | null {
  if (status == null) return null;
  return { message: status.message ?? '', code: enumName(STATUS_CODE, status.code) };
}

function spanRow(s: Span, ctx: ScopeContext): Row {
  return {
    trace_id: hexId(s.traceId),
    span_id: hexId(s.spanId),
    trace_state: s.traceState ?? '',
    parent_span_id: hexId(s.parentSpanId),
    flags: s.flags | 0,
    name: s.name ?? '',
    kind: enumName(SPAN_KIND, s.kind),
    start_time_unix_nano: toInt64(s.startTimeUnixNano),
    end_time_unix_nano: toInt64(s.endTimeUnixNano),
    attributes: attributesMap(s.attributes),
    dropped_attributes_count: s.droppedAttributesCount | 0,
    events: listOf(s.events).map(eventStruct),
    dropped_events_count: s.droppedEventsCount | 0,
    links: listOf(s.links).map(linkStruct),
    dropped_links_count: s.droppedLinksCount | 0,
    status: statusStruct(s.status),
    resource: ctx.resource,
    resource_schema_url: ctx.resourceSchemaUrl,
    instrumentation_scope: ctx.scope,
    span_schema_url: ctx.scopeSchemaUrl,
  };
}

/** One row per span; a span whose maps (its events' and links' too) cannot be stored is rejected. */
export function flattenSpans(req: ExportTraceServiceRequest): FlattenResult {
  const result: FlattenResult = { rows: [], rejected: 0, rejectReasons: [] };
  walkRecords(
    req.resourceSpans,
    (rs) => rs.scopeSpans,
    (ss) => ss.spans,
    (s, ctx) => result.rows.push(spanRow(s, ctx)),
    result,
  );
  return result;
}

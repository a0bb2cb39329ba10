// ExportTraceServiceRequest wire bytes straight into otel_spans column
// buffers: one row per span, the values the reference row form holds
// (src/tables/flatten-spans.ts), with no decoded message and no row object.
import { enumName, SPAN_KIND } from '../tables/enums.ts';
import type { Rejections } from '../tables/reject.ts';
import { Int32Column, Int64Column, MapColumn, StringColumn } from './columns.ts';
import type { PrincipalStamp, ScopeEntry } from './scopes.ts';
import { EventColumn, EventScratch, fixed32, LinkColumn, LinkScratch, StatusScratch } from './spans-parts.ts';
import { Attributes, fixed64Words, hexIdField, storedString, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, type Reader } from './wire.ts';
import { fillRecords, type RecordKind } from './record-walk.ts';

/**
 * Column buffers of one file's span rows, in the layout's column order, plus
 * each row's scope. The status struct is kept as its two fields, both NULL
 * where no status was sent.
 */
export class SpanColumns {
  readonly scopeIx = new Int32Column();
  readonly trace_id = new StringColumn();
  readonly span_id = new StringColumn();
  readonly trace_state = new StringColumn();
  readonly parent_span_id = new StringColumn();
  readonly flags = new Int32Column();
  readonly name = new StringColumn();
  readonly kind = new StringColumn();
  readonly start_time_unix_nano = new Int64Column();
  readonly end_time_unix_nano = new Int64Column();
  readonly attributes = new MapColumn();
  readonly dropped_attributes_count = new Int32Column();
  readonly events = new EventColumn();
  readonly dropped_events_count = new Int32Column();
  readonly links = new LinkColumn();
  readonly dropped_links_count = new Int32Column();
  readonly status_message = new StringColumn();
  readonly status_code = new StringColumn();
  readonly scopes: ScopeEntry[] = [];
  rejections: Rejections = { rejected: 0, rejectReasons: [] };

  get rows(): number {
    return this.scopeIx.length;
  }
}

// One span's values, read before any column is touched: a span rejected
// half-way (its attributes, an event's or a link's) then leaves no trace.
const span = {
  traceId: null as string | null,
  spanId: null as string | null,
  traceState: '',
  parentSpanId: null as string | null,
  flags: 0,
  name: '',
  kind: 0,
  startLo: 0,
  startHi: 0,
  endLo: 0,
  endHi: 0,
  dropped: 0,
  droppedEvents: 0,
  droppedLinks: 0,
};
const attrs = new Attributes();
const events = new EventScratch();
const links = new LinkScratch();
const status = new StatusScratch();

function readSpan(r: Reader, end: number): void {
  span.traceId = span.spanId = span.parentSpanId = null;
  span.traceState = span.name = '';
  span.flags = span.kind = span.dropped = span.droppedEvents = span.droppedLinks = 0;
  span.startLo = span.startHi = span.endLo = span.endHi = 0;
  attrs.clear();
  events.clear();
  links.clear();
  status.clear();
  while (r.pos < end) {
    const tag = r.uint32();
    const wt = tag & 7;
    const f = tag >>> 3;
    if (wt === WIRE_LEN) {
      if (f === 1) span.traceId = hexIdField(r);
      else if (f === 2) span.spanId = hexIdField(r);
      else if (f === 3) span.traceState = storedString(r);
      else if (f === 4) span.parentSpanId = hexIdField(r);
      else if (f === 5) span.name = storedString(r);
      else if (f === 9) attrs.read(r);
      else if (f === 11) events.read(r);
      else if (f === 13) links.read(r);
      else if (f === 15) status.read(r);
      else r.skipType(wt);
    } else if (wt === WIRE_VARINT) {
      if (f === 6) span.kind = r.int32();
      else if (f === 10) span.dropped = r.uint32() | 0;
      else if (f === 12) span.droppedEvents = r.uint32() | 0;
      else if (f === 14) span.droppedLinks = r.uint32() | 0;
      else r.skipType(wt);
    } else if (wt === WIRE_FIXED64 && f === 7) [span.startLo, span.startHi] = fixed64Words(r);
    else if (wt === WIRE_FIXED64 && f === 8) [span.endLo, span.endHi] = fixed64Words(r);
    else if (wt === WIRE_FIXED32 && f === 16) span.flags = fixed32(r);
    else r.skipType(wt);
  }
  attrs.check('attributes');
  if (events.error !== undefined) throw events.error;
  if (links.error !== undefined) throw links.error;
}

function pushSpan(c: SpanColumns, scopeIx: number): void {
  c.scopeIx.push(scopeIx);
  c.trace_id.push(span.traceId);
  c.span_id.push(span.spanId);
  c.trace_state.push(span.traceState);
  c.parent_span_id.push(span.parentSpanId);
  c.flags.push(span.flags);
  c.name.push(span.name);
  c.kind.push(enumName(SPAN_KIND, span.kind));
  c.start_time_unix_nano.push(span.startLo, span.startHi);
  c.end_time_unix_nano.push(span.endLo, span.endHi);
  c.attributes.pushRow(attrs.keys, attrs.values, attrs.n);
  c.dropped_attributes_count.push(span.dropped);
  events.pushTo(c.events);
  c.dropped_events_count.push(span.droppedEvents);
  links.pushTo(c.links);
  c.dropped_links_count.push(span.droppedLinks);
  const code = status.codeName();
  c.status_message.push(code === null ? null : status.message);
  c.status_code.push(code);
}

const KIND: RecordKind<SpanColumns> = { read: readSpan, push: pushSpan };

/** Appends the rows of one ExportTraceServiceRequest body to `c` (see fillRecords). */
export function fillSpans(c: SpanColumns, body: Uint8Array, rejections: Rejections = c.rejections, fromJson = false, stamp?: PrincipalStamp): void {
  fillRecords(c, KIND, body, rejections, fromJson, stamp);
}

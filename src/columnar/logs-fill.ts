// ExportLogsServiceRequest wire bytes straight into otel_logs column buffers:
// one row per log record, the values the reference row form holds
// (src/tables/flatten-logs.ts), with no decoded message and no row object.
import { enumName, SEVERITY_NUMBER } from '../tables/enums.ts';
import type { Rejections } from '../tables/reject.ts';
import { anyValueText } from './anyvalue-wire.ts';
import { Int32Column, Int64Column, MapColumn, StringColumn, stored } from './columns.ts';
import type { PrincipalStamp, ScopeEntry } from './scopes.ts';
import { Attributes, fixed64Words, hexIdField, Occurrences, storedString, u32le, WIRE_LEN, type Reader } from './wire.ts';
import { fillRecords, type RecordKind } from './record-walk.ts';

/** Column buffers of one file's log rows, in the layout's column order, plus each row's scope. */
export class LogColumns {
  readonly scopeIx = new Int32Column();
  readonly event_name = new StringColumn();
  readonly trace_id = new StringColumn();
  readonly span_id = new StringColumn();
  readonly time_unix_nano = new Int64Column();
  readonly observed_time_unix_nano = new Int64Column();
  readonly severity_number = new StringColumn();
  readonly severity_text = new StringColumn();
  readonly body = new StringColumn();
  readonly attributes = new MapColumn();
  readonly dropped_attributes_count = new Int32Column();
  readonly flags = new Int32Column();
  readonly scopes: ScopeEntry[] = [];
  rejections: Rejections = { rejected: 0, rejectReasons: [] };

  get rows(): number {
    return this.scopeIx.length;
  }
}

// One record's values, read before any column is touched: a record rejected
// half-way (its attributes) then leaves no trace in the columns.
const rec = {
  eventName: '',
  traceId: null as string | null,
  spanId: null as string | null,
  timeLo: 0,
  timeHi: 0,
  obsLo: 0,
  obsHi: 0,
  severity: 0,
  severityText: '',
  body: null as string | null,
  dropped: 0,
  flags: 0,
};
const attrs = new Attributes();
const bodyOcc = new Occurrences();

function readRecord(r: Reader, end: number): void {
  rec.eventName = '';
  rec.traceId = rec.spanId = rec.body = null;
  rec.timeLo = rec.timeHi = rec.obsLo = rec.obsHi = 0;
  rec.severity = rec.dropped = rec.flags = 0;
  rec.severityText = '';
  attrs.clear();
  bodyOcc.clear();
  while (r.pos < end) {
    const tag = r.uint32();
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (wt !== 1) break;
        [rec.timeLo, rec.timeHi] = fixed64Words(r);
        continue;
      case 11:
        if (wt !== 1) break;
        [rec.obsLo, rec.obsHi] = fixed64Words(r);
        continue;
      case 2:
        if (wt !== 0) break;
        rec.severity = r.int32();
        continue;
      case 3:
        if (wt !== WIRE_LEN) break;
        rec.severityText = storedString(r);
        continue;
      case 5:
        if (wt !== WIRE_LEN) break;
        bodyOcc.add(r);
        continue;
      case 6:
        if (wt !== WIRE_LEN) break;
        attrs.read(r);
        continue;
      case 7:
        if (wt !== 0) break;
        rec.dropped = r.uint32() | 0;
        continue;
      case 8:
        if (wt !== 5) break;
        if (r.pos + 4 > r.len) throw new RangeError('fixed32 runs past the end of the message');
        rec.flags = u32le(r.buf, r.pos) | 0;
        r.pos += 4;
        continue;
      case 9:
        if (wt !== WIRE_LEN) break;
        rec.traceId = hexIdField(r);
        continue;
      case 10:
        if (wt !== WIRE_LEN) break;
        rec.spanId = hexIdField(r);
        continue;
      case 12:
        if (wt !== WIRE_LEN) break;
        rec.eventName = storedString(r);
        continue;
    }
    r.skipType(wt);
  }
  // The reference renders the body before it checks the attributes.
  if (bodyOcc.n > 0) {
    const text = anyValueText(bodyOcc.open(r), bodyOcc.end);
    rec.body = text === null ? null : stored(text);
  }
  attrs.check('attributes');
}

function pushRecord(c: LogColumns, scopeIx: number): void {
  c.scopeIx.push(scopeIx);
  c.event_name.push(rec.eventName);
  c.trace_id.push(rec.traceId);
  c.span_id.push(rec.spanId);
  c.time_unix_nano.push(rec.timeLo, rec.timeHi);
  c.observed_time_unix_nano.push(rec.obsLo, rec.obsHi);
  c.severity_number.push(enumName(SEVERITY_NUMBER, rec.severity));
  c.severity_text.push(rec.severityText);
  c.body.push(rec.body);
  c.attributes.pushRow(attrs.keys, attrs.values, attrs.n);
  c.dropped_attributes_count.push(rec.dropped);
  c.flags.push(rec.flags);
}

const KIND: RecordKind<LogColumns> = { read: readRecord, push: pushRecord };

/** Appends the rows of one ExportLogsServiceRequest body to `c` (see fillRecords). */
export function fillLogs(c: LogColumns, body: Uint8Array, rejections: Rejections = c.rejections, fromJson = false, stamp?: PrincipalStamp): void {
  fillRecords(c, KIND, body, rejections, fromJson, stamp);
}

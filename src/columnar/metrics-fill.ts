// ExportMetricsServiceRequest wire bytes straight into otel_metrics column
// buffers: one row per data point, as src/tables/flatten-metrics.ts, with the
// same rejections. A metric's own values (name, metadata, temporality) are
// kept once per metric and a point refers to its metric, as rows refer to
// their scope, so those strings reach DuckDB once per metric.
import { AGGREGATION_TEMPORALITY, enumName } from '../tables/enums.ts';
import { noDataReason } from '../tables/flatten-metrics.ts';
import type { Metric } from '../otlp/types.ts';
import { rejectionReason, reject, type Rejections } from '../tables/reject.ts';
import { Int32Column, MapColumn, StringColumn, stored } from './columns.ts';
import { ExponentialPoints, HistogramPoints, NumberPoints, PointScratch, SummaryPoints } from './metrics-points.ts';
import { countField, scopeHeader, type PrincipalStamp, type ScopeEntry } from './scopes.ts';
import { fillScopes } from './record-walk.ts';
import { readString } from './wire-string.ts';
import { Attributes, firstMemberWins, lenEnd, Occurrences, WIRE_LEN, WIRE_VARINT, type Reader } from './wire.ts';

/** Data members by field number, in the order the reference probes them (flatten-metrics' DATA_MEMBERS). */
const MEMBERS = [
  { field: 5, column: 'gauge' },
  { field: 7, column: 'sum' },
  { field: 9, column: 'histogram' },
  { field: 10, column: 'exponential_histogram' },
  { field: 11, column: 'summary' },
] as const;

export type PointColumn = (typeof MEMBERS)[number]['column'];

/** The values every point of one metric shares. */
export class MetricTable {
  readonly scopeIx = new Int32Column();
  readonly name = new StringColumn();
  readonly description = new StringColumn();
  readonly unit = new StringColumn();
  readonly metric_type = new StringColumn();
  readonly metadata = new MapColumn();
  /** NULL for gauge and summary, whose structs have no such field. */
  readonly temporality = new StringColumn();
  readonly monotonic = new Int32Column();
  /** Rows written for each metric, for the statistics of these shared columns. */
  rows: number[] = [];

  get length(): number {
    return this.rows.length;
  }
}

/** Column buffers of one file's metric rows. */
export class MetricColumns {
  readonly gauge = new NumberPoints();
  readonly sum = new NumberPoints();
  readonly histogram = new HistogramPoints();
  readonly exponential_histogram = new ExponentialPoints();
  readonly summary = new SummaryPoints();
  readonly metrics = new MetricTable();
  readonly scopes: ScopeEntry[] = [];
  rejections: Rejections = { rejected: 0, rejectReasons: [] };
  rows = 0;
}

const point = new PointScratch();
const metadata = new Attributes();

/** A metric's strings, found in one pass over it, and which data member counts (an index into MEMBERS, -1 for none). */
const found = { name: '', description: '', unit: '', member: -1 };
/** The occurrences of the data member that counts: decoding merges a run of them. */
const data = new Occurrences();

/** The index in MEMBERS of data member field `f`; -1 for any other field. */
const memberIndex = (f: number): number => (f === 5 ? 0 : f === 7 ? 1 : f === 9 ? 2 : f === 10 ? 3 : f === 11 ? 4 : -1);

/**
 * Notes data member `i` (its index in MEMBERS) at r.pos, length-delimited, skipping it.
 * Decoding keeps the member that comes last (setting one clears the others),
 * merged over its occurrences since another member came; a JSON request's
 * first member in MEMBERS order wins (see anyvalue-wire's origin).
 */
function noteMember(r: Reader, i: number): void {
  if (found.member >= 0 && firstMemberWins()) r.skipType(WIRE_LEN);
  else {
    if (i !== found.member) data.clear();
    found.member = i;
    data.add(r);
  }
}

/** Metric bytes r.pos..end: strings and metadata read, the data member's occurrences noted. */
function scanMetric(r: Reader, end: number): void {
  found.name = found.description = found.unit = '';
  found.member = -1;
  data.clear();
  metadata.clear();
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (wt === WIRE_LEN) {
      if (f === 1) found.name = readString(r);
      else if (f === 2) found.description = readString(r);
      else if (f === 3) found.unit = readString(r);
      else if (f === 12) metadata.read(r);
      else {
        const i = memberIndex(f);
        if (i >= 0) noteMember(r, i);
        else r.skipType(wt);
      }
    } else r.skipType(wt);
  }
}

/** Records one metric stands for: its points, or one when no data member is set. */
function metricRecords(r: Reader, end: number): number {
  found.member = -1;
  data.clear();
  while (r.pos < end) {
    const tag = r.uint32();
    const i = (tag & 7) === WIRE_LEN ? memberIndex(tag >>> 3) : -1;
    if (i >= 0) noteMember(r, i);
    else r.skipType(tag & 7);
  }
  if (found.member < 0) return 1;
  const d = data.open(r);
  const n = countField(d, data.end, 1);
  r.pos = end;
  return n;
}

/** Records a ScopeMetrics message (bytes r.pos..end) stands for, as scopeRecordCount counts them. */
function scopeRecords(r: Reader, end: number): number {
  let n = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === WIRE_LEN) {
      const e = lenEnd(r);
      n += metricRecords(r, e);
      r.pos = e;
    } else r.skipType(tag & 7);
  }
  return n;
}

type Points = NumberPoints | HistogramPoints | ExponentialPoints | SummaryPoints;

const READERS: ((r: Reader, end: number, p: PointScratch) => void)[] = [
  NumberPoints.read,
  NumberPoints.read,
  HistogramPoints.read,
  ExponentialPoints.read,
  SummaryPoints.read,
];

function tableOf(c: MetricColumns, member: number): Points {
  return c[MEMBERS[member]!.column];
}

/** One metric (bytes r.pos..end) of the scope at `scopeIx`. */
function metric(c: MetricColumns, r: Reader, end: number, scopeIx: number, entry: ScopeEntry): void {
  scanMetric(r, end);
  if (found.member < 0) {
    reject(c.rejections, noDataReason({ name: found.name } as Metric));
    return;
  }
  const member = found.member;
  const d = data.open(r);
  const dataEnd = data.end;
  const dataStart = d.pos;
  let points = 0;
  let temporality = 0;
  let monotonic = false;
  while (d.pos < dataEnd) {
    const tag = d.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 1) points++;
    if (f === 2 && wt === WIRE_VARINT && member > 0 && member < 4) temporality = d.int32();
    else if (f === 3 && wt === WIRE_VARINT && member === 1) monotonic = d.bool();
    else d.skipType(wt);
  }
  if (points === 0) return;
  try {
    metadata.check('metric metadata');
  } catch (e) {
    reject(c.rejections, rejectionReason(e), points);
    return;
  }
  const m = c.metrics;
  const metricIx = m.length;
  m.scopeIx.push(scopeIx);
  m.name.push(stored(found.name));
  m.description.push(stored(found.description));
  m.unit.push(stored(found.unit));
  m.metric_type.push(MEMBERS[member]!.column);
  m.metadata.pushRow(metadata.keys, metadata.values, metadata.n);
  m.temporality.push(member > 0 && member < 4 ? enumName(AGGREGATION_TEMPORALITY, temporality) : null);
  m.monotonic.push(monotonic ? 1 : 0);
  m.rows.push(0);
  const table = tableOf(c, member);
  const read = READERS[member]!;
  d.pos = dataStart;
  while (d.pos < dataEnd) {
    const tag = d.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
      const e = lenEnd(d);
      try {
        read(d, e, point);
        table.push(point, c.rows, metricIx);
        c.rows++;
        entry.rows++;
        m.rows[metricIx]!++;
      } catch (err) {
        reject(c.rejections, rejectionReason(err));
      }
      d.pos = e;
    } else d.skipType(tag & 7);
  }
  r.pos = end;
}

/** A ScopeMetrics message (bytes r.pos..end): scope and URL first, then its metrics. */
function scopeMetrics(c: MetricColumns, r: Reader, end: number, resource: ScopeEntry['resource'], resourceSchemaUrl: string): void {
  const start = r.pos;
  const { scope, reason, url, records: metrics } = scopeHeader(r, end);
  if (reason !== undefined) {
    r.pos = start;
    reject(c.rejections, reason, scopeRecords(r, end));
    return;
  }
  if (metrics === 0) return;
  const entry: ScopeEntry = { resource, resourceSchemaUrl, scope, scopeSchemaUrl: url, rows: 0 };
  const ix = c.scopes.length;
  c.scopes.push(entry);
  r.pos = start;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === WIRE_LEN) {
      const e = lenEnd(r);
      metric(c, r, e, ix, entry);
      r.pos = e;
    } else r.skipType(tag & 7);
  }
}

/**
 * Appends the rows of one ExportMetricsServiceRequest body (validated
 * protobuf, or a JSON request encoded as protobuf: `fromJson`) to `c`; points
 * and metrics that cannot be stored are counted in `rejections` (the batch's
 * by default, or a request's own).
 */
export function fillMetrics(c: MetricColumns, body: Uint8Array, rejections: Rejections = c.rejections, fromJson = false, stamp?: PrincipalStamp): void {
  fillScopes(c, body, rejections, fromJson, scopeRecords, (r, e, resource, url) => scopeMetrics(c, r, e, resource, url), stamp);
}

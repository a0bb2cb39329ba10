// Test-side statement of the rows a capture should land, derived from its decoded.json alone (no service code).
//
// decoded.json has two conventions. Protobuf captures are the recorder's own
// decoding: camelCase names, enums by name, int64 as strings, oneofs named by a
// `value`/`data` discriminator, ids hex, bytesValue base64. JSON captures hold
// the body exactly as sent: ints as numbers or strings, enums as numbers,
// member keys without discriminators, possibly snake_case field names.
import { parseJsonExact } from '../support/json-exact.ts';
import {
  attributes,
  boolOf,
  double,
  enumName,
  get,
  has,
  hexId,
  int32,
  int64,
  list,
  optionalDouble,
  renderAny,
  SEVERITY,
  SPAN_KIND,
  STATUS_CODE,
  str,
  TEMPORALITY,
  type Obj,
} from './expected-values.ts';

export type Row = Record<string, unknown>;
export type TableKind = 'metrics' | 'logs' | 'spans';
export type Derived = { kind: TableKind; rows: Row[]; rejected: number };

const DATA_MEMBERS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];
const COLUMN_OF: Record<string, string> = {
  gauge: 'gauge',
  sum: 'sum',
  histogram: 'histogram',
  exponentialHistogram: 'exponential_histogram',
  summary: 'summary',
};

function resourceStruct(container: unknown): Row | null {
  const r = get(container, 'resource');
  if (r === undefined || r === null) return null;
  return { attributes: attributes(list(r, 'attributes')), dropped_attributes_count: int32(get(r, 'droppedAttributesCount')) };
}

function scopeStruct(container: unknown): Row | null {
  const s = get(container, 'scope');
  if (s === undefined || s === null) return null;
  return {
    name: str(s, 'name'),
    version: str(s, 'version'),
    attributes: attributes(list(s, 'attributes')),
    dropped_attributes_count: int32(get(s, 'droppedAttributesCount')),
  };
}

/** as_double / as_int of a number point or exemplar, as DOUBLE; NULL when neither is set. */
function numberValue(p: unknown): number | null {
  const named = get(p, 'value');
  const member = typeof named === 'string' ? named : has(p, 'asDouble') ? 'asDouble' : has(p, 'asInt') ? 'asInt' : undefined;
  if (member === 'asDouble') return double(get(p, 'asDouble'));
  if (member === 'asInt') return Number(int64(get(p, 'asInt')));
  return null;
}

function exemplars(p: unknown): Row[] {
  return list(p, 'exemplars').map((e) => ({
    time_unix_nano: int64(get(e, 'timeUnixNano')),
    value: numberValue(e),
    span_id: hexId(get(e, 'spanId')),
    trace_id: hexId(get(e, 'traceId')),
    filtered_attributes: attributes(list(e, 'filteredAttributes')),
  }));
}

function common(p: unknown): Row {
  return {
    start_time_unix_nano: int64(get(p, 'startTimeUnixNano')),
    time_unix_nano: int64(get(p, 'timeUnixNano')),
    exemplars: exemplars(p),
    attributes: attributes(list(p, 'attributes')),
    flags: int32(get(p, 'flags')),
  };
}

function buckets(b: unknown): Row | null {
  if (b === undefined || b === null) return null;
  return { offset: int32(get(b, 'offset')), bucket_counts: list(b, 'bucketCounts').map(int64) };
}

/** The struct of one data point for the metric's data member. */
function pointStruct(member: string, data: unknown, p: unknown): Row {
  const temporality = enumName(get(data, 'aggregationTemporality'), TEMPORALITY);
  switch (member) {
    case 'gauge':
      return { ...common(p), value: numberValue(p) };
    case 'sum':
      return {
        ...common(p),
        value: numberValue(p),
        aggregation_temporality: temporality,
        is_monotonic: boolOf(get(data, 'isMonotonic')),
      };
    case 'histogram':
      return {
        ...common(p),
        count: int64(get(p, 'count')),
        sum: optionalDouble(get(p, 'sum')),
        bucket_counts: list(p, 'bucketCounts').map(int64),
        explicit_bounds: list(p, 'explicitBounds').map(double),
        min: optionalDouble(get(p, 'min')),
        max: optionalDouble(get(p, 'max')),
        aggregation_temporality: temporality,
      };
    case 'exponentialHistogram':
      return {
        ...common(p),
        count: int64(get(p, 'count')),
        sum: optionalDouble(get(p, 'sum')),
        scale: int32(get(p, 'scale')),
        zero_count: int64(get(p, 'zeroCount')),
        positive_bucket: buckets(get(p, 'positive')),
        negative_bucket: buckets(get(p, 'negative')),
        min: optionalDouble(get(p, 'min')),
        max: optionalDouble(get(p, 'max')),
        zero_threshold: optionalDouble(get(p, 'zeroThreshold')) ?? 0,
        aggregation_temporality: temporality,
      };
    default: {
      // Summary points carry no exemplars.
      const point = common(p);
      delete point.exemplars;
      return {
        ...point,
        count: int64(get(p, 'count')),
        sum: optionalDouble(get(p, 'sum')) ?? 0,
        quantile_values: list(p, 'quantileValues').map((q) => ({
          quantile: optionalDouble(get(q, 'quantile')) ?? 0,
          value: optionalDouble(get(q, 'value')) ?? 0,
        })),
      };
    }
  }
}

function metricRows(req: unknown, out: Derived): void {
  for (const rm of list(req, 'resourceMetrics')) {
    const resource = resourceStruct(rm);
    for (const sm of list(rm, 'scopeMetrics')) {
      const scope = scopeStruct(sm);
      for (const m of list(sm, 'metrics')) {
        const named = get(m, 'data');
        const member = typeof named === 'string' ? named : DATA_MEMBERS.find((d) => has(m, d));
        if (member === undefined) {
          out.rejected += 1;
          continue;
        }
        const data = get(m, member);
        const column = COLUMN_OF[member]!;
        for (const p of list(data, 'dataPoints')) {
          const row: Row = {
            name: str(m, 'name'),
            description: str(m, 'description'),
            unit: str(m, 'unit'),
            metric_type: column,
            metadata: attributes(list(m, 'metadata')),
            resource,
            resource_schema_url: str(rm, 'schemaUrl'),
            instrumentation_scope: scope,
            metric_schema_url: str(sm, 'schemaUrl'),
          };
          for (const c of Object.values(COLUMN_OF)) row[c] = c === column ? pointStruct(member, data, p) : null;
          out.rows.push(row);
        }
      }
    }
  }
}

function logRows(req: unknown, out: Derived): void {
  for (const rl of list(req, 'resourceLogs')) {
    const resource = resourceStruct(rl);
    for (const sl of list(rl, 'scopeLogs')) {
      const scope = scopeStruct(sl);
      for (const r of list(sl, 'logRecords')) {
        out.rows.push({
          event_name: str(r, 'eventName'),
          trace_id: hexId(get(r, 'traceId')),
          span_id: hexId(get(r, 'spanId')),
          time_unix_nano: int64(get(r, 'timeUnixNano')),
          observed_time_unix_nano: int64(get(r, 'observedTimeUnixNano')),
          severity_number: enumName(get(r, 'severityNumber'), SEVERITY),
          severity_text: str(r, 'severityText'),
          body: renderAny(get(r, 'body')),
          attributes: attributes(list(r, 'attributes')),
          dropped_attributes_count: int32(get(r, 'droppedAttributesCount')),
          flags: int32(get(r, 'flags')),
          resource,
          resource_schema_url: str(rl, 'schemaUrl'),
          instrumentation_scope: scope,
          log_schema_url: str(sl, 'schemaUrl'),
        });
      }
    }
  }
}

function spanRows(req: unknown, out: Derived): void {
  for (const rs of list(req, 'resourceSpans')) {
    const resource = resourceStruct(rs);
    for (const ss of list(rs, 'scopeSpans')) {
      const scope = scopeStruct(ss);
      for (const s of list(ss, 'spans')) {
        const status = get(s, 'status');
        out.rows.push({
          trace_id: hexId(get(s, 'traceId')),
          span_id: hexId(get(s, 'spanId')),
          trace_state: str(s, 'traceState'),
          parent_span_id: hexId(get(s, 'parentSpanId')),
          flags: int32(get(s, 'flags')),
          name: str(s, 'name'),
          kind: enumName(get(s, 'kind'), SPAN_KIND),
          start_time_unix_nano: int64(get(s, 'startTimeUnixNano')),
          end_time_unix_nano: int64(get(s, 'endTimeUnixNano')),
          attributes: attributes(list(s, 'attributes')),
          dropped_attributes_count: int32(get(s, 'droppedAttributesCount')),
          events: list(s, 'events').map((e) => ({
            time_unix_nano: int64(get(e, 'timeUnixNano')),
            name: str(e, 'name'),
            attributes: attributes(list(e, 'attributes')),
            dropped_attributes_count: int32(get(e, 'droppedAttributesCount')),
          })),
          dropped_events_count: int32(get(s, 'droppedEventsCount')),
          links: list(s, 'links').map((l) => ({
            trace_id: hexId(get(l, 'traceId')),
            span_id: hexId(get(l, 'spanId')),
            trace_state: str(l, 'traceState'),
            attributes: attributes(list(l, 'attributes')),
            dropped_attributes_count: int32(get(l, 'droppedAttributesCount')),
            flags: int32(get(l, 'flags')),
          })),
          dropped_links_count: int32(get(s, 'droppedLinksCount')),
          status:
            status === undefined || status === null
              ? null
              : { message: str(status, 'message'), code: enumName(get(status, 'code'), STATUS_CODE) },
          resource,
          resource_schema_url: str(rs, 'schemaUrl'),
          instrumentation_scope: scope,
          span_schema_url: str(ss, 'schemaUrl'),
        });
      }
    }
  }
}

/** The rows (and rejected records) a capture should produce, from the text of its decoded.json. */
export function deriveExpectedRows(decodedJsonText: string): Derived {
  // Exact parsing: int64 values a JSON sender wrote as bare numbers stay exact.
  const decoded = parseJsonExact(decodedJsonText) as Obj;
  const signal = decoded.signal;
  const req = decoded.request;
  if (signal === 'metrics') {
    const out: Derived = { kind: 'metrics', rows: [], rejected: 0 };
    metricRows(req, out);
    return out;
  }
  if (signal === 'logs') {
    const out: Derived = { kind: 'logs', rows: [], rejected: 0 };
    logRows(req, out);
    return out;
  }
  if (signal === 'traces') {
    const out: Derived = { kind: 'spans', rows: [], rejected: 0 };
    spanRows(req, out);
    return out;
  }
  throw new Error(`decoded.json names an unknown signal ${String(signal)}`);
}

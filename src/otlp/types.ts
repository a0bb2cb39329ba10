// The decoded shape of OTLP export requests, as protobufjs produces them from
// either wire encoding (protobuf decode, or JSON normalised then fromObject).
// Field names are protobufjs' camelCase names of the .proto fields in proto/.
// Repeated fields are always arrays (possibly empty); message fields that were
// absent on the wire are null or undefined; proto3 `optional` scalars that were
// absent are null or undefined; plain proto3 scalars that were absent are 0 / "".

/** A 64-bit integer as protobufjs hands it over: a Long (when the long package
 * is present, which it is), or a JS number for small values produced by
 * fromObject. Never convert through a double: use int64.ts. */
export type Int64 = { low: number; high: number; unsigned: boolean } | number | bigint;

export type Bytes = Uint8Array;

export type AnyValue = {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64 | null;
  doubleValue?: number | null;
  arrayValue?: { values: AnyValue[] } | null;
  kvlistValue?: { values: KeyValue[] } | null;
  bytesValue?: Bytes | null;
  /** protobufjs virtual oneof discriminator: the member that is set, if any. */
  value?: 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue';
};

export type KeyValue = { key: string; value?: AnyValue | null };

export type Resource = {
  attributes: KeyValue[];
  droppedAttributesCount: number;
};

export type InstrumentationScope = {
  name: string;
  version: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
};

// ---- metrics -------------------------------------------------------------

export type Exemplar = {
  filteredAttributes: KeyValue[];
  timeUnixNano: Int64;
  asDouble?: number | null;
  asInt?: Int64 | null;
  spanId: Bytes;
  traceId: Bytes;
  value?: 'asDouble' | 'asInt';
};

export type NumberDataPoint = {
  attributes: KeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  asDouble?: number | null;
  asInt?: Int64 | null;
  exemplars: Exemplar[];
  flags: number;
  value?: 'asDouble' | 'asInt';
};

export type HistogramDataPoint = {
  attributes: KeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum?: number | null;
  bucketCounts: Int64[];
  explicitBounds: number[];
  exemplars: Exemplar[];
  flags: number;
  min?: number | null;
  max?: number | null;
};

export type ExponentialHistogramBuckets = { offset: number; bucketCounts: Int64[] };

export type ExponentialHistogramDataPoint = {
  attributes: KeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum?: number | null;
  scale: number;
  zeroCount: Int64;
  positive?: ExponentialHistogramBuckets | null;
  negative?: ExponentialHistogramBuckets | null;
  flags: number;
  exemplars: Exemplar[];
  min?: number | null;
  max?: number | null;
  zeroThreshold: number;
};

export type SummaryDataPoint = {
  attributes: KeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
  flags: number;
};

export type Metric = {
  name: string;
  description: string;
  unit: string;
  gauge?: { dataPoints: NumberDataPoint[] } | null;
  sum?: { dataPoints: NumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean } | null;
  histogram?: { dataPoints: HistogramDataPoint[]; aggregationTemporality: number } | null;
  exponentialHistogram?: { dataPoints: ExponentialHistogramDataPoint[]; aggregationTemporality: number } | null;
  summary?: { dataPoints: SummaryDataPoint[] } | null;
  metadata: KeyValue[];
  data?: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
};

export type ScopeMetrics = { scope?: InstrumentationScope | null; metrics: Metric[]; schemaUrl: string };
export type ResourceMetrics = { resource?: Resource | null; scopeMetrics: ScopeMetrics[]; schemaUrl: string };
export type ExportMetricsServiceRequest = { resourceMetrics: ResourceMetrics[] };

// ---- logs ----------------------------------------------------------------

export type LogRecord = {
  timeUnixNano: Int64;
  observedTimeUnixNano: Int64;
  severityNumber: number;
  severityText: string;
  body?: AnyValue | null;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
  traceId: Bytes;
  spanId: Bytes;
  eventName: string;
};

export type ScopeLogs = { scope?: InstrumentationScope | null; logRecords: LogRecord[]; schemaUrl: string };
export type ResourceLogs = { resource?: Resource | null; scopeLogs: ScopeLogs[]; schemaUrl: string };
export type ExportLogsServiceRequest = { resourceLogs: ResourceLogs[] };

// ---- traces --------------------------------------------------------------

export type SpanEvent = {
  timeUnixNano: Int64;
  name: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
};

export type SpanLink = {
  traceId: Bytes;
  spanId: Bytes;
  traceState: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
};

export type Span = {
  traceId: Bytes;
  spanId: Bytes;
  traceState: string;
  parentSpanId: Bytes;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: Int64;
  endTimeUnixNano: Int64;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status?: { message: string; code: number } | null;
};

export type ScopeSpans = { scope?: InstrumentationScope | null; spans: Span[]; schemaUrl: string };
export type ResourceSpans = { resource?: Resource | null; scopeSpans: ScopeSpans[]; schemaUrl: string };
export type ExportTraceServiceRequest = { resourceSpans: ResourceSpans[] };

// ---- signals -------------------------------------------------------------

export type Signal = 'metrics' | 'logs' | 'traces';

export type ExportRequest = {
  metrics: ExportMetricsServiceRequest;
  logs: ExportLogsServiceRequest;
  traces: ExportTraceServiceRequest;
};

/** Wire encoding of a request body, and of the response we send back. */
export type WireEncoding = 'protobuf' | 'json';

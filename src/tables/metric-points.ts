// Metric data points as the gauge, sum, histogram, exponential_histogram and summary structs.
import { int64ToDouble, toInt64 } from '../otlp/int64.ts';
import type {
  Exemplar,
  ExponentialHistogramBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Int64,
  NumberDataPoint,
  SummaryDataPoint,
} from '../otlp/types.ts';
import { attributesMap } from './anyvalue.ts';
import { hexId } from './ids.ts';
import { oneofMember } from './oneof.ts';
import type { Row } from './row.ts';
import { listOf } from './walk.ts';

type NumberValued = { asDouble?: number | null; asInt?: Int64 | null; value?: 'asDouble' | 'asInt' };

const NUMBER_MEMBERS = ['asDouble', 'asInt'] as const;

/** as_double or as_int, both as DOUBLE; NULL when neither member is set. */
export function numberValue(p: NumberValued): number | null {
  const member = oneofMember(p, 'value', NUMBER_MEMBERS);
  if (member === 'asDouble') return p.asDouble ?? null;
  if (member === 'asInt') return p.asInt == null ? null : int64ToDouble(p.asInt);
  return null;
}

/** proto3 `optional` doubles: absent is NULL, a sent zero stays 0. */
function optionalDouble(x: number | null | undefined): number | null {
  return x ?? null;
}

function longs(xs: readonly Int64[] | null | undefined): bigint[] {
  return listOf(xs).map(toInt64);
}

function doubles(xs: readonly number[] | null | undefined): number[] {
  return Array.from(listOf(xs));
}

function exemplars(xs: readonly Exemplar[] | null | undefined): Row[] {
  return listOf(xs).map((e) => ({
    time_unix_nano: toInt64(e.timeUnixNano),
    value: numberValue(e),
    span_id: hexId(e.spanId),
    trace_id: hexId(e.traceId),
    filtered_attributes: attributesMap(e.filteredAttributes, 'exemplar filtered_attributes'),
  }));
}

export function gaugePoint(p: NumberDataPoint): Row {
  return {
    start_time_unix_nano: toInt64(p.startTimeUnixNano),
    time_unix_nano: toInt64(p.timeUnixNano),
    value: numberValue(p),
    exemplars: exemplars(p.exemplars),
    attributes: attributesMap(p.attributes),
    flags: p.flags | 0,
  };
}

export function sumPoint(p: NumberDataPoint, temporality: string, isMonotonic: boolean): Row {
  return {
    start_time_unix_nano: toInt64(p.startTimeUnixNano),
    time_unix_nano: toInt64(p.timeUnixNano),
    value: numberValue(p),
    exemplars: exemplars(p.exemplars),
    attributes: attributesMap(p.attributes),
    flags: p.flags | 0,
    aggregation_temporality: temporality,
    is_monotonic: isMonotonic,
  };
}

export function histogramPoint(p: HistogramDataPoint, temporality: string): Row {
  return {
    start_time_unix_nano: toInt64(p.startTimeUnixNano),
    time_unix_nano: toInt64(p.timeUnixNano),
    count: toInt64(p.count),
    sum: optionalDouble(p.sum),
    bucket_counts: longs(p.bucketCounts),
    explicit_bounds: doubles(p.explicitBounds),
    exemplars: exemplars(p.exemplars),
    attributes: attributesMap(p.attributes),
    flags: p.flags | 0,
    min: optionalDouble(p.min),
    max: optionalDouble(p.max),
    aggregation_temporality: temporality,
  };
}

/** NULL when the buckets message is absent; present but empty keeps offset 0 and []. */
function buckets(b: ExponentialHistogramBuckets | null | undefined): Row | null {
  if (b == null) return null;
  return { offset: b.offset | 0, bucket_counts: longs(b.bucketCounts) };
}

export function exponentialHistogramPoint(p: ExponentialHistogramDataPoint, temporality: string): Row {
  return {
    attributes: attributesMap(p.attributes),
    start_time_unix_nano: toInt64(p.startTimeUnixNano),
    time_unix_nano: toInt64(p.timeUnixNano),
    count: toInt64(p.count),
    sum: optionalDouble(p.sum),
    scale: p.scale | 0,
    zero_count: toInt64(p.zeroCount),
    positive_bucket: buckets(p.positive),
    negative_bucket: buckets(p.negative),
    flags: p.flags | 0,
    exemplars: exemplars(p.exemplars),
    min: optionalDouble(p.min),
    max: optionalDouble(p.max),
    zero_threshold: p.zeroThreshold ?? 0,
    aggregation_temporality: temporality,
  };
}

export function summaryPoint(p: SummaryDataPoint): Row {
  return {
    start_time_unix_nano: toInt64(p.startTimeUnixNano),
    time_unix_nano: toInt64(p.timeUnixNano),
    count: toInt64(p.count),
    // A plain proto3 double here (not `optional`), so unset reads as 0.
    sum: p.sum ?? 0,
    quantile_values: listOf(p.quantileValues).map((q) => ({ quantile: q.quantile ?? 0, value: q.value ?? 0 })),
    attributes: attributesMap(p.attributes),
    flags: p.flags | 0,
  };
}

// Metrics export requests straight to otel_metrics NDJSON: one line per data
// point, the same bytes as flattenMetrics + rowsToNdjson. The common point
// shapes (gauge, sum and histogram without exemplars) are written field by
// field; the rest go through the row builders.
import type { ExportMetricsServiceRequest, HistogramDataPoint, Metric, NumberDataPoint } from '../../otlp/types.ts';
import { attributesMap } from '../anyvalue.ts';
import { AGGREGATION_TEMPORALITY, enumName } from '../enums.ts';
import { COLUMN, dataMemberOf, noDataReason, reject, type DataMember } from '../flatten-metrics.ts';
import { jsonDouble, jsonDoubleOrNull, jsonInt64, jsonString } from '../json-text.ts';
import {
  exponentialHistogramPoint,
  gaugePoint,
  histogramPoint,
  numberValue,
  sumPoint,
  summaryPoint,
} from '../metric-points.ts';
import { valueToJson } from '../ndjson.ts';
import { listOf } from '../walk.ts';
import { attributes, eachScope, numberList, sinkResult, type RenderResult } from './common.ts';
import { scratchSink, type ByteSink } from './sink.ts';

const STRUCT_COLUMNS = ['gauge', 'sum', 'histogram', 'exponential_histogram', 'summary'] as const;

/** The bytes of a metric's rows before and after the filled struct column. */
type Frame = { head: Buffer; tail: Buffer };

function metricFrame(m: Metric, column: string, scopeEnd: Buffer): Frame {
  let head =
    `{"name":${jsonString(m.name ?? '')},"description":${jsonString(m.description ?? '')}` +
    `,"unit":${jsonString(m.unit ?? '')},"metric_type":${jsonString(column)}`;
  let after = '';
  let seen = false;
  for (const c of STRUCT_COLUMNS) {
    if (c === column) {
      head += `,"${c}":`;
      seen = true;
    } else if (seen) after += `,"${c}":null`;
    else head += `,"${c}":null`;
  }
  const tail = Buffer.concat([Buffer.from(`${after},"metadata":${valueToJson(attributesMap(m.metadata))}`), scopeEnd]);
  return { head: Buffer.from(head), tail };
}

function hasExemplars(p: { exemplars?: readonly unknown[] | null }): boolean {
  return p.exemplars != null && p.exemplars.length > 0;
}

/** gauge and sum share their first six fields; `extra` closes the sum's two. */
function numberPoint(out: ByteSink, p: NumberDataPoint, extra: string): void {
  out.ascii('{"start_time_unix_nano":');
  out.ascii(jsonInt64(p.startTimeUnixNano));
  out.ascii(',"time_unix_nano":');
  out.ascii(jsonInt64(p.timeUnixNano));
  out.ascii(',"value":');
  out.ascii(jsonDoubleOrNull(numberValue(p)));
  out.ascii(',"exemplars":[],"attributes":');
  attributes(out, p.attributes);
  out.ascii(',"flags":');
  out.ascii(String(p.flags | 0));
  out.ascii(extra);
}

function histogramPointJson(out: ByteSink, p: HistogramDataPoint, temporality: string): void {
  out.ascii('{"start_time_unix_nano":');
  out.ascii(jsonInt64(p.startTimeUnixNano));
  out.ascii(',"time_unix_nano":');
  out.ascii(jsonInt64(p.timeUnixNano));
  out.ascii(',"count":');
  out.ascii(jsonInt64(p.count));
  out.ascii(',"sum":');
  out.ascii(jsonDoubleOrNull(p.sum));
  out.ascii(',"bucket_counts":');
  numberList(out, p.bucketCounts, jsonInt64);
  out.ascii(',"explicit_bounds":');
  numberList(out, p.explicitBounds, jsonDouble);
  out.ascii(',"exemplars":[],"attributes":');
  attributes(out, p.attributes);
  out.ascii(',"flags":');
  out.ascii(String(p.flags | 0));
  out.ascii(',"min":');
  out.ascii(jsonDoubleOrNull(p.min));
  out.ascii(',"max":');
  out.ascii(jsonDoubleOrNull(p.max));
  out.ascii(temporality);
}

/** Every point of a metric, each as one line. */
function renderPoints(out: ByteSink, m: Metric, member: DataMember, frame: Frame): void {
  const line = (write: () => void): void => {
    out.bytes(frame.head);
    write();
    out.bytes(frame.tail);
    out.endLine();
  };
  switch (member) {
    case 'gauge':
      for (const p of listOf(m.gauge?.dataPoints)) {
        line(() => (hasExemplars(p) ? out.text(valueToJson(gaugePoint(p))) : numberPoint(out, p, '}')));
      }
      return;
    case 'sum': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.sum?.aggregationTemporality);
      const monotonic = m.sum?.isMonotonic === true;
      const extra = `,"aggregation_temporality":${jsonString(temporality)},"is_monotonic":${monotonic}}`;
      for (const p of listOf(m.sum?.dataPoints)) {
        line(() => (hasExemplars(p) ? out.text(valueToJson(sumPoint(p, temporality, monotonic))) : numberPoint(out, p, extra)));
      }
      return;
    }
    case 'histogram': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.histogram?.aggregationTemporality);
      const end = `,"aggregation_temporality":${jsonString(temporality)}}`;
      for (const p of listOf(m.histogram?.dataPoints)) {
        line(() => (hasExemplars(p) ? out.text(valueToJson(histogramPoint(p, temporality))) : histogramPointJson(out, p, end)));
      }
      return;
    }
    case 'exponentialHistogram': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.exponentialHistogram?.aggregationTemporality);
      for (const p of listOf(m.exponentialHistogram?.dataPoints)) {
        line(() => out.text(valueToJson(exponentialHistogramPoint(p, temporality))));
      }
      return;
    }
    case 'summary':
      for (const p of listOf(m.summary?.dataPoints)) line(() => out.text(valueToJson(summaryPoint(p))));
      return;
  }
}

export function renderMetrics(req: ExportMetricsServiceRequest): RenderResult {
  const rejected = { rejected: 0, rejectReasons: [] as string[] };
  const out = scratchSink();
  eachScope(req.resourceMetrics, (rm) => rm.scopeMetrics, 'metric_schema_url', (sm, scopeEnd) => {
    for (const m of listOf(sm.metrics)) {
      const member = dataMemberOf(m);
      if (member === undefined) reject(rejected, noDataReason(m));
      else renderPoints(out, m, member, metricFrame(m, COLUMN[member], scopeEnd));
    }
  });
  return sinkResult(out, rejected.rejected, rejected.rejectReasons);
}

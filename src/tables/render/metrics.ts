// Metrics export requests straight to otel_metrics NDJSON: one line per data
// point, the same bytes as flattenMetrics + rowsToNdjson. The common point
// shapes (gauge, sum and histogram without exemplars) are written field by
// field; the rest go through the row builders.
import type {
  ExponentialHistogramDataPoint,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  Metric,
  NumberDataPoint,
  ScopeMetrics,
  SummaryDataPoint,
} from '../../otlp/types.ts';
import { attributesMap } from '../anyvalue.ts';
import { AGGREGATION_TEMPORALITY, enumName } from '../enums.ts';
import { COLUMN, dataMemberOf, dataPoints, noDataReason, scopeRecordCount, scopeRowCount, type DataMember } from '../flatten-metrics.ts';
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
import { rejectionReason } from '../reject.ts';
import { listOf } from '../walk.ts';
import { attributes, eachScope, numberList, writeRowEnd, type RowEnd } from './common.ts';
import { renderAll, type RenderJob, type RenderResult, type RenderSteps } from './job.ts';
import type { ByteSink } from './sink.ts';

const STRUCT_COLUMNS = ['gauge', 'sum', 'histogram', 'exponential_histogram', 'summary'] as const;

/** The bytes of a metric's rows before and after the filled struct column. */
type Frame = { head: Buffer; tail: Buffer };

function metricFrame(m: Metric, column: string): Frame {
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
  const tail = Buffer.from(`${after},"metadata":${valueToJson(attributesMap(m.metadata, 'metric metadata'))}`);
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

type AnyPoint = ReturnType<typeof dataPoints>[number];
type PointWriter = (out: ByteSink, p: AnyPoint) => void;

/** How each point of a metric is written between its frame's head and tail. */
function pointWriter(m: Metric, member: DataMember): PointWriter {
  switch (member) {
    case 'gauge':
      return (out, p) => {
        const n = p as NumberDataPoint;
        if (hasExemplars(n)) out.text(valueToJson(gaugePoint(n)));
        else numberPoint(out, n, '}');
      };
    case 'sum': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.sum?.aggregationTemporality);
      const monotonic = m.sum?.isMonotonic === true;
      const extra = `,"aggregation_temporality":${jsonString(temporality)},"is_monotonic":${monotonic}}`;
      return (out, p) => {
        const n = p as NumberDataPoint;
        if (hasExemplars(n)) out.text(valueToJson(sumPoint(n, temporality, monotonic)));
        else numberPoint(out, n, extra);
      };
    }
    case 'histogram': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.histogram?.aggregationTemporality);
      const end = `,"aggregation_temporality":${jsonString(temporality)}}`;
      return (out, p) => {
        const h = p as HistogramDataPoint;
        if (hasExemplars(h)) out.text(valueToJson(histogramPoint(h, temporality)));
        else histogramPointJson(out, h, end);
      };
    }
    case 'exponentialHistogram': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.exponentialHistogram?.aggregationTemporality);
      return (out, p) => out.text(valueToJson(exponentialHistogramPoint(p as ExponentialHistogramDataPoint, temporality)));
    }
    case 'summary':
      return (out, p) => out.text(valueToJson(summaryPoint(p as SummaryDataPoint)));
  }
}

/**
 * Every point of every metric of a scope, each as one line. A metric without
 * data is rejected as one record; metadata that cannot be stored rejects all
 * its metric's points; a point whose maps cannot be stored is rejected alone.
 */
function* scopeMetrics(job: RenderJob, sm: ScopeMetrics, end: RowEnd): RenderSteps {
  const out = job.out;
  for (const m of listOf(sm.metrics)) {
    const member = dataMemberOf(m);
    const points = member === undefined ? [] : dataPoints(m, member);
    if (member === undefined) job.reject(noDataReason(m));
    else if (points.length > 0) {
      let frame: Frame;
      try {
        frame = metricFrame(m, COLUMN[member]);
      } catch (e) {
        job.reject(rejectionReason(e), points.length);
        continue;
      }
      const write = pointWriter(m, member);
      for (const p of points) {
        try {
          out.bytes(frame.head);
          write(out, p);
          out.bytes(frame.tail);
          writeRowEnd(out, end);
          out.endLine();
        } catch (e) {
          out.dropLine();
          job.reject(rejectionReason(e));
        }
        if (job.due()) yield;
      }
    }
    if (job.due()) yield;
  }
}

export function* metricsSteps(job: RenderJob, req: ExportMetricsServiceRequest): RenderSteps {
  yield* eachScope(job, req.resourceMetrics, {
    scopesOf: (rm) => rm.scopeMetrics,
    scopeUrlColumn: 'metric_schema_url',
    recordCount: scopeRecordCount,
    rowCount: scopeRowCount,
    visit: scopeMetrics,
  });
}

export function renderMetrics(req: ExportMetricsServiceRequest): RenderResult {
  return renderAll((job) => metricsSteps(job, req));
}

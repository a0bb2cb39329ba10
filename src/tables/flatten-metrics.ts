// Metrics export requests as otel_metrics rows: one row per data point.
import type {
  ExponentialHistogramDataPoint,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  Metric,
  NumberDataPoint,
  ScopeMetrics,
  SummaryDataPoint,
} from '../otlp/types.ts';
import { attributesMap } from './anyvalue.ts';
import { AGGREGATION_TEMPORALITY, enumName } from './enums.ts';
import {
  exponentialHistogramPoint,
  gaugePoint,
  histogramPoint,
  sumPoint,
  summaryPoint,
} from './metric-points.ts';
import { oneofMember } from './oneof.ts';
import { reject, rejectionReason } from './reject.ts';
import type { FlattenResult, MapValue, Row } from './row.ts';
import { listOf, walkRecords, type ScopeContext } from './walk.ts';

export type DataMember = NonNullable<Metric['data']>;

const DATA_MEMBERS: readonly DataMember[] = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

/** The struct column (and metric_type value) each data member fills. */
export const COLUMN: Record<DataMember, string> = {
  gauge: 'gauge',
  sum: 'sum',
  histogram: 'histogram',
  exponentialHistogram: 'exponential_histogram',
  summary: 'summary',
};

export function dataMemberOf(m: Metric): DataMember | undefined {
  const member = oneofMember(m, 'data', DATA_MEMBERS);
  return member !== undefined && m[member] != null ? member : undefined;
}

type AnyPoint = NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint;

/** The data points of a metric whose data member is known to be set. */
export function dataPoints(m: Metric, member: DataMember): readonly AnyPoint[] {
  const points: readonly AnyPoint[] | null | undefined = m[member]?.dataPoints;
  return listOf(points);
}

/** How each data point of a metric becomes its filled struct. */
function pointStruct(m: Metric, member: DataMember): (p: AnyPoint) => Row {
  switch (member) {
    case 'gauge':
      return (p) => gaugePoint(p as NumberDataPoint);
    case 'sum': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.sum?.aggregationTemporality);
      const monotonic = m.sum?.isMonotonic === true;
      return (p) => sumPoint(p as NumberDataPoint, temporality, monotonic);
    }
    case 'histogram': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.histogram?.aggregationTemporality);
      return (p) => histogramPoint(p as HistogramDataPoint, temporality);
    }
    case 'exponentialHistogram': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.exponentialHistogram?.aggregationTemporality);
      return (p) => exponentialHistogramPoint(p as ExponentialHistogramDataPoint, temporality);
    }
    case 'summary':
      return (p) => summaryPoint(p as SummaryDataPoint);
  }
}

/** Records a scope's metrics stand for: each data point, and each metric without data (rejected as one). */
/** Rows a scope's metrics yield: one a data point. */
export function scopeRowCount(sm: ScopeMetrics): number {
  let n = 0;
  for (const m of listOf(sm.metrics)) {
    const member = dataMemberOf(m);
    if (member !== undefined) n += dataPoints(m, member).length;
  }
  return n;
}

export function scopeRecordCount(sm: ScopeMetrics): number {
  let n = 0;
  for (const m of listOf(sm.metrics)) {
    const member = dataMemberOf(m);
    n += member === undefined ? 1 : dataPoints(m, member).length;
  }
  return n;
}

/** One row; every struct column but `column` is NULL, so all rows share one shape. */
function metricRow(m: Metric, column: string, point: Row, metadata: MapValue, ctx: ScopeContext): Row {
  return {
    name: m.name ?? '',
    description: m.description ?? '',
    unit: m.unit ?? '',
    metric_type: column,
    gauge: column === 'gauge' ? point : null,
    sum: column === 'sum' ? point : null,
    histogram: column === 'histogram' ? point : null,
    exponential_histogram: column === 'exponential_histogram' ? point : null,
    summary: column === 'summary' ? point : null,
    metadata,
    resource: ctx.resource,
    resource_schema_url: ctx.resourceSchemaUrl,
    instrumentation_scope: ctx.scope,
    metric_schema_url: ctx.scopeSchemaUrl,
  };
}

export function noDataReason(m: Metric): string {
  return (
    `metric ${JSON.stringify(m.name ?? '')} has no data ` +
    '(none of gauge, sum, histogram, exponential_histogram, summary is set)'
  );
}

/**
 * One row per data point. A metric with none of its data members set cannot
 * be stored (metric_type would be empty) and counts as one rejected record; a
 * metric whose data member is set but has no points simply yields no rows. A
 * point whose maps cannot be stored is rejected alone; metadata that cannot
 * be stored rejects every point of its metric.
 */
export function flattenMetrics(req: ExportMetricsServiceRequest): FlattenResult {
  const result: FlattenResult = { rows: [], rejected: 0, rejectReasons: [] };
  walkRecords(
    req.resourceMetrics,
    (rm) => rm.scopeMetrics,
    (sm) => sm.metrics,
    (m, ctx) => {
      const member = dataMemberOf(m);
      if (member === undefined) {
        reject(result, noDataReason(m));
        return;
      }
      const points = dataPoints(m, member);
      const column = COLUMN[member];
      // One metadata map per metric, shared by its rows like the scope columns.
      let metadata: MapValue;
      try {
        metadata = attributesMap(m.metadata, 'metric metadata');
      } catch (e) {
        reject(result, rejectionReason(e), points.length);
        return;
      }
      const struct = pointStruct(m, member);
      for (const p of points) {
        try {
          result.rows.push(metricRow(m, column, struct(p), metadata, ctx));
        } catch (e) {
          reject(result, rejectionReason(e));
        }
      }
    },
    result,
    scopeRecordCount,
  );
  return result;
}

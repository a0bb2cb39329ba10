// Metrics export requests as otel_metrics rows: one row per data point.
import type { ExportMetricsServiceRequest, Metric } from '../otlp/types.ts';
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

/** Enough distinct reasons to diagnose a bad sender without bloating the response. */
const MAX_REASONS = 5;

export function dataMemberOf(m: Metric): DataMember | undefined {
  const member = oneofMember(m, 'data', DATA_MEMBERS);
  return member !== undefined && m[member] != null ? member : undefined;
}

/** The filled struct of every data point of a metric whose data member is known to be set. */
function pointStructs(m: Metric, member: DataMember): Row[] {
  switch (member) {
    case 'gauge':
      return listOf(m.gauge?.dataPoints).map(gaugePoint);
    case 'sum': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.sum?.aggregationTemporality);
      const monotonic = m.sum?.isMonotonic === true;
      return listOf(m.sum?.dataPoints).map((p) => sumPoint(p, temporality, monotonic));
    }
    case 'histogram': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.histogram?.aggregationTemporality);
      return listOf(m.histogram?.dataPoints).map((p) => histogramPoint(p, temporality));
    }
    case 'exponentialHistogram': {
      const temporality = enumName(AGGREGATION_TEMPORALITY, m.exponentialHistogram?.aggregationTemporality);
      return listOf(m.exponentialHistogram?.dataPoints).map((p) => exponentialHistogramPoint(p, temporality));
    }
    case 'summary':
      return listOf(m.summary?.dataPoints).map(summaryPoint);
  }
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

export function reject(result: Pick<FlattenResult, 'rejected' | 'rejectReasons'>, reason: string): void {
  result.rejected += 1;
  if (result.rejectReasons.length < MAX_REASONS && !result.rejectReasons.includes(reason)) {
    result.rejectReasons.push(reason);
  }
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
 * metric whose data member is set but has no points simply yields no rows.
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
      const column = COLUMN[member];
      // One metadata map per metric, shared by its rows like the scope columns.
      const metadata = attributesMap(m.metadata);
      for (const point of pointStructs(m, member)) result.rows.push(metricRow(m, column, point, metadata, ctx));
    },
  );
  return result;
}

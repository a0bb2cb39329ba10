// Messages built by protobufjs read unset members as proto3 defaults; these
// checks pin down that flattening still tells "unset" from "sent as zero".
import { describe, expect, it } from 'vitest';
import type { ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest } from '../../src/otlp/types.ts';
import { flattenLogs } from '../../src/tables/flatten-logs.ts';
import { flattenMetrics } from '../../src/tables/flatten-metrics.ts';
import { flattenSpans } from '../../src/tables/flatten-spans.ts';
import type { Row } from '../../src/tables/row.ts';
import { expectRowsMatchSchema, toMessages } from './support.ts';

const metrics = (ms: object[]) =>
  toMessages<ExportMetricsServiceRequest>('metrics', { resourceMetrics: [{ scopeMetrics: [{ metrics: ms }] }] });

describe('flattening protobufjs messages', () => {
  it('stores NULL for an empty AnyValue, not the default of its first member', () => {
    const req = toMessages<ExportLogsServiceRequest>('logs', {
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: {}, attributes: [{ key: 'k', value: {} }, { key: 'z', value: { intValue: '0' } }] }] }] }],
    });
    const row = flattenLogs(req).rows[0]!;
    expect(row.body).toBeNull();
    expect([...(row.attributes as Map<string, string | null>)]).toEqual([
      ['k', null],
      ['z', '0'],
    ]);
  });

  it('stores NULL for a number point with no value and 0 for a sent zero', () => {
    const rows = flattenMetrics(
      metrics([{ name: 'g', gauge: { dataPoints: [{}, { asDouble: 0 }, { asInt: '0' }, { asInt: '-9007199254740993' }] } }]),
    ).rows;
    expectRowsMatchSchema(rows, 'metrics');
    expect(rows.map((r) => (r.gauge as Row).value)).toEqual([null, 0, 0, -9007199254740992]);
  });

  it('tells absent histogram sum/min/max from sent zeros', () => {
    const rows = flattenMetrics(
      metrics([{ name: 'h', histogram: { aggregationTemporality: 1, dataPoints: [{ count: '1' }, { count: '1', sum: 0, min: 0, max: 0 }] } }]),
    ).rows;
    expect(rows.map((r) => r.histogram)).toMatchObject([
      { sum: null, min: null, max: null },
      { sum: 0, min: 0, max: 0 },
    ]);
  });

  it('tells an absent bucket side from an empty one', () => {
    const rows = flattenMetrics(
      metrics([{ name: 'e', exponentialHistogram: { dataPoints: [{ positive: { offset: 2, bucketCounts: ['3'] } }] } }]),
    ).rows;
    expect(rows[0]!.exponential_histogram).toMatchObject({
      positive_bucket: { offset: 2, bucket_counts: [3n] },
      negative_bucket: null,
      aggregation_temporality: 'AGGREGATION_TEMPORALITY_UNSPECIFIED',
    });
  });

  it('rejects a metric whose data oneof is unset', () => {
    const out = flattenMetrics(metrics([{ name: 'nothing' }]));
    expect(out.rows).toEqual([]);
    expect(out.rejected).toBe(1);
  });

  it('stores NULL for an absent resource, scope and span status', () => {
    const req = toMessages<ExportTraceServiceRequest>('traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 's' }] }] }] });
    const row = flattenSpans(req).rows[0]!;
    expectRowsMatchSchema([row], 'spans');
    expect(row).toMatchObject({ resource: null, instrumentation_scope: null, status: null, trace_id: null, parent_span_id: null });
    expect(row.start_time_unix_nano).toBe(0n);
  });
});

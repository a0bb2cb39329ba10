import { describe, expect, it } from 'vitest';
import type { ExportMetricsServiceRequest, Metric, NumberDataPoint } from '../../src/otlp/types.ts';
import { flattenMetrics } from '../../src/tables/flatten-metrics.ts';
import type { Row } from '../../src/tables/row.ts';
import { bytes, dbl, expectRowsMatchSchema, int, kv, long, MAX_I64, res, scope, str } from './support.ts';

const T0 = long(1795236258730000000n);
const T1 = long(1795236258732000000n);

function numberPoint(extra: Partial<NumberDataPoint>): NumberDataPoint {
  return { attributes: [], startTimeUnixNano: T0, timeUnixNano: T1, exemplars: [], flags: 0, ...extra };
}

function metric(extra: Partial<Metric>): Metric {
  return { name: 'm', description: 'd', unit: '1', metadata: [], ...extra };
}

function request(...metrics: Metric[]): ExportMetricsServiceRequest {
  return {
    resourceMetrics: [
      {
        resource: res(kv('service.name', str('svc'))),
        schemaUrl: 'https://example.test/resource',
        scopeMetrics: [{ scope: scope('meter', '1.0', kv('sa', int(long(7n)))), schemaUrl: 'https://example.test/scope', metrics }],
      },
    ],
  };
}

function only(req: ExportMetricsServiceRequest): Row {
  const out = flattenMetrics(req);
  expect(out.rows).toHaveLength(1);
  expectRowsMatchSchema(out.rows, 'metrics');
  return out.rows[0]!;
}

describe('flattenMetrics number points', () => {
  it('fills gauge, leaves the other structs NULL and copies resource and scope columns', () => {
    const row = only(request(metric({ gauge: { dataPoints: [numberPoint({ asDouble: 1.5, value: 'asDouble' })] }, data: 'gauge' })));
    expect(row).toMatchObject({ name: 'm', description: 'd', unit: '1', metric_type: 'gauge' });
    expect([row.sum, row.histogram, row.exponential_histogram, row.summary]).toEqual([null, null, null, null]);
    expect(row.gauge).toEqual({
      start_time_unix_nano: 1795236258730000000n,
      time_unix_nano: 1795236258732000000n,
      value: 1.5,
      exemplars: [],
      attributes: new Map(),
      flags: 0,
    });
    expect(row.resource).toEqual({ attributes: new Map([['service.name', 'svc']]), dropped_attributes_count: 0 });
    expect(row.resource_schema_url).toBe('https://example.test/resource');
    expect(row.instrumentation_scope).toEqual({
      name: 'meter',
      version: '1.0',
      attributes: new Map([['sa', '7']]),
      dropped_attributes_count: 0,
    });
    expect(row.metric_schema_url).toBe('https://example.test/scope');
  });

  it('stores as_int as a double, and NULL when neither member is set', () => {
    const points = [numberPoint({ asInt: long(-42n), value: 'asInt' }), numberPoint({}), numberPoint({ asInt: 5 })];
    const rows = flattenMetrics(request(metric({ gauge: { dataPoints: points }, data: 'gauge' }))).rows;
    expect(rows.map((r) => (r.gauge as Row).value)).toEqual([-42, null, 5]);
  });

  it('names the temporality and keeps is_monotonic on sums', () => {
    const sum = { dataPoints: [numberPoint({ asDouble: 2, value: 'asDouble' as const })], aggregationTemporality: 1, isMonotonic: true };
    const row = only(request(metric({ sum, data: 'sum' })));
    expect(row.metric_type).toBe('sum');
    expect(row.sum).toMatchObject({ value: 2, aggregation_temporality: 'AGGREGATION_TEMPORALITY_DELTA', is_monotonic: true });
    const cumulative = only(request(metric({ sum: { ...sum, aggregationTemporality: 2, isMonotonic: false }, data: 'sum' })));
    expect(cumulative.sum).toMatchObject({ aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE', is_monotonic: false });
  });

  it('renders exemplars with as_int values, hex ids and NULL for empty ids', () => {
    const exemplars = [
      {
        filteredAttributes: [kv('user', str('u1'))],
        timeUnixNano: T1,
        asInt: long(7n),
        spanId: bytes('eee19b7ec3c1b174'),
        traceId: bytes('5b8efff798038103d269b633813fc60c'),
        value: 'asInt' as const,
      },
      { filteredAttributes: [], timeUnixNano: T0, asDouble: 0.25, spanId: new Uint8Array(0), traceId: new Uint8Array(0), value: 'asDouble' as const },
    ];
    const row = only(request(metric({ gauge: { dataPoints: [numberPoint({ asDouble: 1, value: 'asDouble', exemplars })] }, data: 'gauge' })));
    expect((row.gauge as Row).exemplars).toEqual([
      {
        time_unix_nano: 1795236258732000000n,
        value: 7,
        span_id: 'eee19b7ec3c1b174',
        trace_id: '5b8efff798038103d269b633813fc60c',
        filtered_attributes: new Map([['user', 'u1']]),
      },
      { time_unix_nano: 1795236258730000000n, value: 0.25, span_id: null, trace_id: null, filtered_attributes: new Map() },
    ]);
  });

  it('keeps timestamps exact up to 2^63-1 and stores uint32 flags as signed INT', () => {
    const point = numberPoint({ startTimeUnixNano: long(MAX_I64), timeUnixNano: long(MAX_I64, true), flags: 0xffffffff, asDouble: 0, value: 'asDouble' });
    const gauge = only(request(metric({ gauge: { dataPoints: [point] }, data: 'gauge' }))).gauge as Row;
    expect(gauge.start_time_unix_nano).toBe(MAX_I64);
    expect(gauge.time_unix_nano).toBe(MAX_I64);
    expect(gauge.flags).toBe(-1);
    expect(gauge.value).toBe(0);
  });
});

describe('flattenMetrics histograms and summaries', () => {
  const base = { attributes: [], startTimeUnixNano: T0, timeUnixNano: T1, exemplars: [], flags: 1 };

  it('keeps histogram sum/min/max, including a sent zero, and turns counts into LONG', () => {
    const point = { ...base, count: long(3n), sum: 0, min: 0, max: 2.5, bucketCounts: [long(1n), long(2n), long(0n)], explicitBounds: [0, 5] };
    const row = only(request(metric({ histogram: { dataPoints: [point], aggregationTemporality: 2 }, data: 'histogram' })));
    expect(row.metric_type).toBe('histogram');
    expect(row.histogram).toEqual({
      start_time_unix_nano: 1795236258730000000n,
      time_unix_nano: 1795236258732000000n,
      count: 3n,
      sum: 0,
      bucket_counts: [1n, 2n, 0n],
      explicit_bounds: [0, 5],
      exemplars: [],
      attributes: new Map(),
      flags: 1,
      min: 0,
      max: 2.5,
      aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
    });
  });

  it('stores absent histogram sum/min/max as NULL', () => {
    const point = { ...base, count: long(0n), sum: null, bucketCounts: [], explicitBounds: [] };
    const row = only(request(metric({ histogram: { dataPoints: [point], aggregationTemporality: 1 }, data: 'histogram' })));
    expect(row.histogram).toMatchObject({ sum: null, min: null, max: null, bucket_counts: [], explicit_bounds: [] });
  });

  it('fills exponential histograms with bucket structs, NULL for an absent side', () => {
    const point = {
      ...base,
      count: long(6n),
      sum: 3712.5,
      scale: -2,
      zeroCount: long(1n),
      positive: { offset: -3, bucketCounts: [long(1n), long(4n)] },
      negative: null,
      zeroThreshold: 1e-9,
    };
    const row = only(
      request(metric({ exponentialHistogram: { dataPoints: [point], aggregationTemporality: 1 }, data: 'exponentialHistogram' })),
    );
    expect(row.metric_type).toBe('exponential_histogram');
    expect(row.exponential_histogram).toEqual({
      attributes: new Map(),
      start_time_unix_nano: 1795236258730000000n,
      time_unix_nano: 1795236258732000000n,
      count: 6n,
      sum: 3712.5,
      scale: -2,
      zero_count: 1n,
      positive_bucket: { offset: -3, bucket_counts: [1n, 4n] },
      negative_bucket: null,
      flags: 1,
      exemplars: [],
      min: null,
      max: null,
      zero_threshold: 1e-9,
      aggregation_temporality: 'AGGREGATION_TEMPORALITY_DELTA',
    });
  });

  it('fills summaries with their quantiles', () => {
    const point = { ...base, count: long(4n), sum: 10, quantileValues: [{ quantile: 0, value: 1 }, { quantile: 0.5, value: 2 }, { quantile: 1, value: 4 }] };
    const row = only(request(metric({ summary: { dataPoints: [point] }, data: 'summary' })));
    expect(row.metric_type).toBe('summary');
    expect(row.summary).toEqual({
      start_time_unix_nano: 1795236258730000000n,
      time_unix_nano: 1795236258732000000n,
      count: 4n,
      sum: 10,
      quantile_values: [
        { quantile: 0, value: 1 },
        { quantile: 0.5, value: 2 },
        { quantile: 1, value: 4 },
      ],
      attributes: new Map(),
      flags: 1,
    });
  });
});

describe('flattenMetrics per metric', () => {
  it('renders metadata like attributes and shares it across the metric rows', () => {
    const points = [numberPoint({ asDouble: 1, value: 'asDouble' }), numberPoint({ asDouble: 2, value: 'asDouble' })];
    const rows = flattenMetrics(request(metric({ gauge: { dataPoints: points }, data: 'gauge', metadata: [kv('origin', str('x')), kv('n', dbl(NaN))] }))).rows;
    expect(rows[0]!.metadata).toEqual(new Map([['origin', 'x'], ['n', 'NaN']]));
    expect(rows[1]!.metadata).toBe(rows[0]!.metadata);
  });

  it('finds the data member without a discriminator', () => {
    const row = only(request(metric({ summary: { dataPoints: [{ attributes: [], startTimeUnixNano: 0, timeUnixNano: 0, count: 0, sum: 0, quantileValues: [], flags: 0 }] } })));
    expect(row.metric_type).toBe('summary');
  });

  it('rejects a metric with no data, with one reason per distinct metric', () => {
    const good = metric({ name: 'ok', gauge: { dataPoints: [numberPoint({ asDouble: 1, value: 'asDouble' })] }, data: 'gauge' });
    const out = flattenMetrics(request(metric({ name: 'x' }), good, metric({ name: 'x' }), metric({ name: 'y' })));
    expect(out.rows).toHaveLength(1);
    expect(out.rejected).toBe(3);
    expect(out.rejectReasons).toEqual([
      'metric "x" has no data (none of gauge, sum, histogram, exponential_histogram, summary is set)',
      'metric "y" has no data (none of gauge, sum, histogram, exponential_histogram, summary is set)',
    ]);
  });

  it('caps the list of reasons while counting every rejection', () => {
    const bad = Array.from({ length: 20 }, (_, i) => metric({ name: `bad${i}` }));
    const out = flattenMetrics(request(...bad));
    expect(out.rejected).toBe(20);
    expect(out.rejectReasons.length).toBeLessThanOrEqual(5);
  });

  it('yields no rows and no rejection for a metric whose data has no points', () => {
    const out = flattenMetrics(request(metric({ gauge: { dataPoints: [] }, data: 'gauge' })));
    expect(out).toEqual({ rows: [], rejected: 0, rejectReasons: [] });
  });
});

describe('flattenMetrics resource and scope', () => {
  it('stores NULL structs for an absent resource or scope, and shares them across rows', () => {
    const m = metric({ gauge: { dataPoints: [numberPoint({ asDouble: 1, value: 'asDouble' })] }, data: 'gauge' });
    const req: ExportMetricsServiceRequest = {
      resourceMetrics: [
        { resource: null, schemaUrl: '', scopeMetrics: [{ scope: null, schemaUrl: '', metrics: [m, m] }] },
        { resource: res(), schemaUrl: '', scopeMetrics: [{ scope: scope(''), schemaUrl: '', metrics: [m, m] }] },
      ],
    };
    const rows = flattenMetrics(req).rows;
    expectRowsMatchSchema(rows, 'metrics');
    expect(rows[0]).toMatchObject({ resource: null, instrumentation_scope: null, resource_schema_url: '', metric_schema_url: '' });
    expect(rows[2]!.resource).toEqual({ attributes: new Map(), dropped_attributes_count: 0 });
    expect(rows[2]!.instrumentation_scope).toEqual({ name: '', version: '', attributes: new Map(), dropped_attributes_count: 0 });
    expect(rows[3]!.resource).toBe(rows[2]!.resource);
    expect(rows[3]!.instrumentation_scope).toBe(rows[2]!.instrumentation_scope);
  });

  it('flattens an empty request to nothing', () => {
    expect(flattenMetrics({ resourceMetrics: [] })).toEqual({ rows: [], rejected: 0, rejectReasons: [] });
  });
});

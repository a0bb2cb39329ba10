// End to end: metrics recorded with the OTel JS SDK and sent by its OTLP exporters land as exact otel_metrics rows.
import { ValueType, type Attributes, type Meter } from '@opentelemetry/api';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationType,
  DataPointType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type ExponentialHistogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { startTestService } from '../support/service.ts';
import {
  driveSdk,
  expectExportsSucceeded,
  exportHeaders,
  GZIP,
  hrNanos,
  recordExports,
  RESOURCE_SCHEMA,
  SCOPE_SCHEMA,
  stopAndReadRows,
  strMap,
  struct,
  type Row,
} from './sdk-support.ts';

const TABLE = 'main.tel.x_otel_metrics';
const resource = resourceFromAttributes(
  { 'service.name': 'coding-agent', 'service.version': '1.0.7', 'host.cpu.count': 8 },
  { schemaUrl: RESOURCE_SCHEMA },
);

/** Every attribute value kind the metrics API accepts, and its rendering per docs/docs/mapping.md rule 7. */
const ALL_KINDS: Attributes = {
  model: 'opus', retries: 42, negative: -7, ratio: 1.5, tenth: 0.1, cached: true,
  tags: ['a', 'b'], ports: [1, 2], weights: [0.5, 2.25], switches: [true, false],
};
const ALL_KINDS_TEXT = strMap({
  model: 'opus', retries: '42', negative: '-7', ratio: '1.5', tenth: '0.1', cached: 'true',
  tags: '["a","b"]', ports: '[1,2]', weights: '[0.5,2.25]', switches: '[true,false]',
});

/** 2^53 + 1 cannot be a JS number: the API already holds 2^53 and DOUBLE keeps exactly that. */
const ABOVE_2_53 = Number(9007199254740993n);
/** Exactly representable as a double, yet far beyond 2^53, and spelled 4611686018427388000 in SDK JSON. */
const TWO_62 = 2 ** 62;

type Pref = AggregationTemporalityPreference;
type MetricExporter = JsonMetricExporter | ProtoMetricExporter;

const ENCODINGS: [string, (url: string, pref: Pref) => MetricExporter][] = [
  ['protobuf', (url, pref) =>
    new ProtoMetricExporter({ url: `${url}/api/2.0/otel/v1/metrics`, headers: exportHeaders(TABLE), temporalityPreference: pref })],
  ['gzip-compressed protobuf', (url, pref) =>
    new ProtoMetricExporter({
      url: `${url}/api/2.0/otel/v1/metrics`, headers: exportHeaders(TABLE), temporalityPreference: pref, compression: GZIP,
    })],
  ['JSON', (url, pref) =>
    new JsonMetricExporter({ url: `${url}/v1/metrics`, headers: exportHeaders(TABLE), temporalityPreference: pref })],
];

/**
 * Runs one SDK pipeline against a fresh service: `record` drives the
 * instruments and may flush in between; the provider's shutdown then runs
 * the final collection. Returns the table's rows and what the exporter was handed.
 */
async function exportThroughSdk(
  makeExporter: (url: string) => MetricExporter,
  record: (meter: Meter, flush: () => Promise<void>) => Promise<void>,
): Promise<{ rows: Row[]; batches: ResourceMetrics[] }> {
  const svc = await startTestService();
  try {
    await svc.createTable(TABLE, 'metrics');
    const exporter = makeExporter(svc.url);
    const exports = recordExports(exporter);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({
      resource,
      readers: [reader],
      views: [{ instrumentName: 'latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    });
    const meter = provider.getMeter('agent.metrics', '2.3.4', { schemaUrl: SCOPE_SCHEMA });
    const run = await driveSdk(async () => {
      await record(meter, () => provider.forceFlush());
      await provider.shutdown();
    });
    expectExportsSucceeded(exports, svc, run);
    return { rows: await stopAndReadRows(svc, TABLE, 'metrics'), batches: exports.batches };
  } finally {
    await svc.stop();
  }
}

/** Every data point the exporter was handed, with its metric, in export order. */
function exportedPoints(batches: ResourceMetrics[]): { metric: MetricData; point: DataPoint<unknown> }[] {
  return batches.flatMap((rm) =>
    rm.scopeMetrics.flatMap((sm) =>
      sm.metrics.flatMap((metric) => (metric.dataPoints as DataPoint<unknown>[]).map((point) => ({ metric, point })))));
}

const STRUCTS = ['gauge', 'sum', 'histogram', 'exponential_histogram', 'summary'] as const;

/** The columns every row repeats (rule 1), with all five structs NULL until one is filled. */
function commonColumns(name: string, description: string, unit: string): Row {
  return {
    name, description, unit,
    ...Object.fromEntries(STRUCTS.map((s) => [s, null])),
    metadata: new Map(),
    resource: {
      attributes: strMap({ 'service.name': 'coding-agent', 'service.version': '1.0.7', 'host.cpu.count': '8' }),
      dropped_attributes_count: 0,
    },
    resource_schema_url: RESOURCE_SCHEMA,
    instrumentation_scope: { name: 'agent.metrics', version: '2.3.4', attributes: new Map(), dropped_attributes_count: 0 },
    metric_schema_url: SCOPE_SCHEMA,
  };
}

function filled(common: Row, column: (typeof STRUCTS)[number], fields: Row): Row {
  return { ...common, metric_type: column, [column]: fields };
}

const CUMULATIVE = 'AGGREGATION_TEMPORALITY_CUMULATIVE';
const DELTA = 'AGGREGATION_TEMPORALITY_DELTA';

/** Records the full instrument set once; every collection afterwards reports the same values. */
async function recordEverything(meter: Meter, flush: () => Promise<void>): Promise<void> {
  const tokens = meter.createCounter('tokens.used', { description: 'Tokens used', unit: '{token}', valueType: ValueType.INT });
  tokens.add(40, ALL_KINDS);
  tokens.add(2, ALL_KINDS);
  tokens.add(5, { model: 'haiku' });
  const big = meter.createCounter('big.count', { valueType: ValueType.INT });
  big.add(ABOVE_2_53, { k: 'above-2^53' });
  big.add(TWO_62, { k: '2^62' });
  const sessions = meter.createUpDownCounter('session.active', { valueType: ValueType.INT });
  sessions.add(10);
  sessions.add(-3);
  const duration = meter.createHistogram('request.duration', {
    unit: 'ms', description: 'Request time', advice: { explicitBucketBoundaries: [0, 10, 100] },
  });
  for (const v of [5, 50, 500, 7]) duration.record(v, { route: '/v1/chat' });
  const latency = meter.createHistogram('latency.exp', { unit: 's' });
  for (const v of [0, 1, 2, 4]) latency.record(v);
  meter.createObservableGauge('queue.depth').addCallback((r) => r.observe(3.25, { queue: 'main' }));
  // The SDK's clock has millisecond steps: let one pass so a sum's first
  // collection time is strictly after the moment it started counting.
  await new Promise((resolve) => setTimeout(resolve, 5));
  await flush();
}

/** The row one exported point of recordEverything must become, spelled out per docs/mapping.md. */
function expectedCumulativeRow(metric: MetricData, point: DataPoint<unknown>): Row {
  const times = { start_time_unix_nano: hrNanos(point.startTime), time_unix_nano: hrNanos(point.endTime) };
  const { name } = metric.descriptor;
  switch (name) {
    case 'tokens.used': {
      const all = point.attributes.model === 'opus';
      return filled(commonColumns(name, 'Tokens used', '{token}'), 'sum', {
        ...times, value: all ? 42 : 5, exemplars: [], attributes: all ? ALL_KINDS_TEXT : strMap({ model: 'haiku' }),
        flags: 0, aggregation_temporality: CUMULATIVE, is_monotonic: true,
      });
    }
    case 'big.count': {
      const k = String(point.attributes.k);
      return filled(commonColumns(name, '', ''), 'sum', {
        ...times, value: k === '2^62' ? TWO_62 : ABOVE_2_53, exemplars: [], attributes: strMap({ k }),
        flags: 0, aggregation_temporality: CUMULATIVE, is_monotonic: true,
      });
    }
    case 'session.active':
      return filled(commonColumns(name, '', ''), 'sum', {
        ...times, value: 7, exemplars: [], attributes: new Map(), flags: 0, aggregation_temporality: CUMULATIVE, is_monotonic: false,
      });
    case 'request.duration':
      return filled(commonColumns(name, 'Request time', 'ms'), 'histogram', {
        ...times, count: 4n, sum: 562, bucket_counts: [0n, 2n, 1n, 1n], explicit_bounds: [0, 10, 100], exemplars: [],
        attributes: strMap({ route: '/v1/chat' }), flags: 0, min: 5, max: 500, aggregation_temporality: CUMULATIVE,
      });
    case 'latency.exp': {
      // Scale and bucket layout are the SDK's choice; the rows must carry exactly what it chose.
      const h = point.value as ExponentialHistogram;
      return filled(commonColumns(name, '', 's'), 'exponential_histogram', {
        attributes: new Map(), ...times, count: 4n, sum: 7, scale: h.scale, zero_count: 1n,
        positive_bucket: { offset: h.positive.offset, bucket_counts: h.positive.bucketCounts.map(BigInt) },
        negative_bucket: { offset: h.negative.offset, bucket_counts: [] },
        flags: 0, exemplars: [], min: 0, max: 4, zero_threshold: 0, aggregation_temporality: CUMULATIVE,
      });
    }
    case 'queue.depth':
      return filled(commonColumns(name, '', ''), 'gauge', {
        ...times, value: 3.25, exemplars: [], attributes: strMap({ queue: 'main' }), flags: 0,
      });
    default:
      throw new Error(`unexpected metric ${name}`);
  }
}

/** Rows in a stable order: by metric name, then time, then point attributes. */
function sorted(rows: Row[]): Row[] {
  const key = (r: Row) => {
    const s = struct(r, String(r.metric_type));
    const attrs = [...(s.attributes as Map<string, string | null>)].sort().join(';');
    return `${String(r.name)}|${String(s.time_unix_nano).padStart(20, '0')}|${attrs}`;
  };
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

describe('OTel JS SDK metrics through the OTLP exporters', () => {
  it.each(ENCODINGS)('land as one exact row per data point (%s, cumulative)', async (_label, make) => {
    const { rows, batches } = await exportThroughSdk((url) => make(url, AggregationTemporalityPreference.CUMULATIVE), recordEverything);
    const points = exportedPoints(batches);
    // forceFlush and shutdown each collect once: 8 points per collection.
    expect(points).toHaveLength(16);
    expect(sorted(rows)).toEqual(sorted(points.map(({ metric, point }) => expectedCumulativeRow(metric, point))));

    for (const row of rows) {
      const s = struct(row, String(row.metric_type));
      // A gauge's first point starts when it is observed, so only sums and histograms must have moved on.
      if (row.metric_type === 'gauge') expect(s.time_unix_nano as bigint).toBeGreaterThanOrEqual(s.start_time_unix_nano as bigint);
      else expect(s.time_unix_nano as bigint).toBeGreaterThan(s.start_time_unix_nano as bigint);
      // Nanosecond epoch times are beyond 2^53: a double on the way would have rounded them.
      expect(s.time_unix_nano as bigint).toBeGreaterThan(2n ** 53n);
    }
    const exp = points.find((p) => p.metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM)!;
    const positive = (exp.point.value as ExponentialHistogram).positive.bucketCounts;
    expect(positive.reduce((a, b) => a + b, 0)).toBe(3); // 1, 2 and 4; the 0 is in zero_count
  }, 20_000);

  it('keep DELTA temporality, per-interval values and chained start times', async () => {
    const make = ENCODINGS[0]![1];
    const { rows, batches } = await exportThroughSdk(
      (url) => make(url, AggregationTemporalityPreference.DELTA),
      async (meter, flush) => {
        const tokens = meter.createCounter('tokens.used', { valueType: ValueType.INT });
        const duration = meter.createHistogram('request.duration', { advice: { explicitBucketBoundaries: [10] } });
        const sessions = meter.createUpDownCounter('session.active');
        tokens.add(5);
        duration.record(3);
        sessions.add(2);
        await flush();
        tokens.add(7);
        duration.record(30);
        sessions.add(2);
        await flush();
      },
    );
    const byName = (name: string) =>
      sorted(rows.filter((r) => r.name === name)).map((r) => struct(r, String(r.metric_type)));

    const tokens = byName('tokens.used');
    expect(tokens.map((s) => [s.value, s.aggregation_temporality, s.is_monotonic])).toEqual([[5, DELTA, true], [7, DELTA, true]]);
    // Each delta interval starts where the previous one ended, to the nanosecond.
    expect(tokens[1]!.start_time_unix_nano).toBe(tokens[0]!.time_unix_nano);

    const duration = byName('request.duration');
    expect(duration.map((s) => [s.count, s.sum, s.bucket_counts, s.min, s.max, s.aggregation_temporality])).toEqual([
      [1n, 3, [1n, 0n], 3, 3, DELTA],
      [1n, 30, [0n, 1n], 30, 30, DELTA],
    ]);

    // Delta instruments with nothing new are left out of the shutdown collection, but the
    // SDK keeps up-down counters cumulative even under a delta preference: they report
    // all three times, from one fixed start.
    const sessions = byName('session.active');
    expect(sessions.map((s) => [s.value, s.aggregation_temporality, s.is_monotonic])).toEqual([
      [2, CUMULATIVE, false],
      [4, CUMULATIVE, false],
      [4, CUMULATIVE, false],
    ]);
    expect(new Set(sessions.map((s) => s.start_time_unix_nano)).size).toBe(1);
    expect(rows).toHaveLength(7);

    // Every row's timestamps are exactly the SDK's own, point for point.
    const exported = exportedPoints(batches).map(({ metric, point }) =>
      `${metric.descriptor.name}|${hrNanos(point.startTime)}|${hrNanos(point.endTime)}`);
    const stored = rows.map((r) => {
      const s = struct(r, String(r.metric_type));
      return `${String(r.name)}|${String(s.start_time_unix_nano)}|${String(s.time_unix_nano)}`;
    });
    expect(stored.sort()).toEqual(exported.sort());
  }, 20_000);
});

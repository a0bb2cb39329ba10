import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest } from '../../src/otlp/types.ts';
import { flattenLogs } from '../../src/tables/flatten-logs.ts';
import { flattenMetrics } from '../../src/tables/flatten-metrics.ts';
import { flattenSpans } from '../../src/tables/flatten-spans.ts';
import type { FlattenResult, Row } from '../../src/tables/row.ts';
import { decodeCapture, expectRowsMatchSchema, FIXTURES, fromJsonCapture, readDecoded } from './support.ts';

type Loose = Record<string, any>;

function captures(): string[] {
  const out: string[] = [];
  for (const client of readdirSync(FIXTURES)) {
    for (const run of readdirSync(`${FIXTURES}/${client}`)) {
      for (const f of readdirSync(`${FIXTURES}/${client}/${run}`)) {
        if (f.endsWith('.decoded.json')) out.push(`${client}/${run}/${f.slice(0, -'.decoded.json'.length)}`);
      }
    }
  }
  return out.sort();
}

const PROTOBUF = captures().filter((c) => readDecoded(c).wireFormat === 'protobuf');

/** The records of a capture in the order the flatteners emit rows, read from its decoded.json. */
function expectedRecords(file: string): Loose[] {
  const { signal, request } = readDecoded(file) as { signal: string; request: Loose };
  const out: Loose[] = [];
  if (signal === 'metrics') {
    for (const rm of request.resourceMetrics ?? [])
      for (const sm of rm.scopeMetrics ?? [])
        for (const m of sm.metrics ?? []) for (const p of m[m.data].dataPoints ?? []) out.push({ metric: m, point: p });
  } else if (signal === 'logs') {
    for (const rl of request.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) out.push(...(sl.logRecords ?? []));
  }
  return out;
}

function flattenCapture(file: string): FlattenResult {
  const signal = readDecoded(file).signal;
  if (signal === 'metrics') return flattenMetrics(decodeCapture<ExportMetricsServiceRequest>(file));
  if (signal === 'logs') return flattenLogs(decodeCapture<ExportLogsServiceRequest>(file));
  return flattenSpans(decodeCapture<ExportTraceServiceRequest>(file));
}

const point = (row: Row): Row => row[row.metric_type as string] as Row;

describe('captured protobuf requests', () => {
  it.each(PROTOBUF)('%s: one schema-shaped row per record, agreeing with the capture', (file) => {
    const out = flattenCapture(file);
    const expected = expectedRecords(file);
    expect(out.rejected).toBe(0);
    expect(out.rows).toHaveLength(expected.length);
    expectRowsMatchSchema(out.rows, readDecoded(file).signal === 'metrics' ? 'metrics' : 'logs');
    out.rows.forEach((row, i) => {
      const want = expected[i]!;
      if (want.metric) {
        expect(row.name).toBe(want.metric.name);
        expect(String(point(row).time_unix_nano)).toBe(want.point.timeUnixNano ?? '0');
        expect([...(point(row).attributes as Map<string, unknown>).keys()]).toEqual(want.point.attributes.map((a: Loose) => a.key));
      } else {
        expect(String(row.time_unix_nano)).toBe(want.timeUnixNano ?? '0');
        expect(String(row.observed_time_unix_nano)).toBe(want.observedTimeUnixNano ?? '0');
        expect(row.event_name).toBe(want.eventName ?? '');
        expect(row.trace_id).toBe(want.traceId || null);
      }
    });
  });

  it('covers every metric type the JS SDK sends', () => {
    const rows = flattenCapture('otel-js-sdk/synthetic-proto/0001').rows;
    expect(new Set(rows.map((r) => r.metric_type))).toEqual(new Set(['sum', 'gauge', 'histogram', 'exponential_histogram']));
    const unversioned = rows.find((r) => r.name === 'synth.other_scope.counter')!;
    expect(unversioned.instrumentation_scope).toEqual({ name: 'synth.meter.unversioned', version: '', attributes: new Map(), dropped_attributes_count: 0 });
    expect(unversioned.sum).toMatchObject({ value: 1, aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE', is_monotonic: true });
  });

  it('keeps sent zeros of exponential histograms and their empty bucket sides', () => {
    const rows = flattenCapture('otel-js-sdk/synthetic-proto/0001').rows.filter((r) => r.name === 'synth.exp_histogram');
    expect(rows[0]!.exponential_histogram).toMatchObject({
      count: 3n,
      sum: 0,
      min: 0,
      max: 0,
      zero_count: 3n,
      scale: 0,
      positive_bucket: { offset: 0, bucket_counts: [] },
      negative_bucket: { offset: 0, bucket_counts: [] },
    });
    const pos = rows[1]!.exponential_histogram as Row;
    expect(pos).toMatchObject({ count: 6n, sum: 3712.5, scale: 4 });
    expect(((pos.positive_bucket as Row).bucket_counts as bigint[]).slice(0, 3)).toEqual([1n, 0n, 0n]);
  });

  it('renders histogram bounds and typed attribute arrays', () => {
    const row = flattenCapture('otel-js-sdk/synthetic-proto/0001').rows.find((r) => r.name === 'synth.histogram')!;
    const h = row.histogram as Row;
    expect(h).toMatchObject({ count: 2n, sum: 5005, min: 5, max: 5000, bucket_counts: [0n, 1n, 0n, 0n, 1n], explicit_bounds: [0, 10, 100, 1000] });
    expect(Object.fromEntries(h.attributes as Map<string, string>)).toEqual({
      'attr.string': 's0',
      'attr.int': '0',
      'attr.double': '0.5',
      'attr.bool': 'true',
      'attr.string_array': '["x","y"]',
      'attr.int_array': '[0,1]',
      'attr.double_array': '[0.5,1.5]',
      'attr.bool_array': '[true,false]',
    });
  });

  it('renders every AnyValue kind the JS SDK sends in log attributes and bodies', () => {
    const rows = flattenCapture('otel-js-sdk/synthetic-proto/0009').rows;
    expect(Object.fromEntries(rows[0]!.attributes as Map<string, string | null>)).toEqual({
      'a.string': 'hello',
      'a.int': '123',
      'a.double': '1.25',
      'a.bool': 'false',
      'a.string_array': '["p","q"]',
      'a.mixed_array': '[1,"two",true,3.5]',
      'a.kvlist': '{"nested":{"deeper":"yes","n":1},"list":[1,2]}',
      'a.bytes': '3q2+7w==',
      'a.empty_string': '',
      'a.null': null,
    });
    expect(rows.map((r) => r.body)).toEqual([
      'plain string body',
      '{"message":"structured","count":3,"ratio":0.5,"ok":true,"tags":["a","b"],"inner":{"k":"v"},"raw":"AQID"}',
      '["array","body",42]',
      '42',
      '2.5',
      'true',
      'yv4=',
      null,
      'with exception',
      expect.any(String),
    ]);
    expect(rows[0]).toMatchObject({ severity_number: 'SEVERITY_NUMBER_INFO', severity_text: 'INFO', flags: 1, span_id: 'eee19b7ec3c1b174' });
    expect(rows[0]!.log_schema_url).toBe('https://opentelemetry.io/schemas/1.26.0');
    expect(rows[0]!.instrumentation_scope).toEqual({
      name: 'synth.logger',
      version: '0.2.0',
      attributes: new Map([['scope.attr.string', 'x'], ['scope.attr.int', '7']]),
      dropped_attributes_count: 0,
    });
  });

  it('keeps Codex logs as sent: zero time, source-location event names', () => {
    const rows = flattenCapture('codex/proto-basic/0004').rows;
    const first = rows[0]!;
    expect(first).toMatchObject({
      event_name: 'event otel/src/metrics/client.rs:324',
      time_unix_nano: 0n,
      observed_time_unix_nano: 1795235892577586595n,
      severity_number: 'SEVERITY_NUMBER_DEBUG',
      trace_id: null,
      span_id: null,
    });
  });
});

describe('captured OTLP/JSON traces', () => {
  it('flattens Gemini CLI spans into schema-shaped rows', () => {
    const file = 'gemini-cli/http-basic/0003';
    const req = readDecoded(file).request as Loose;
    const spans: Loose[] = req.resourceSpans.flatMap((rs: Loose) => rs.scopeSpans.flatMap((ss: Loose) => ss.spans));
    const out = flattenSpans(fromJsonCapture<ExportTraceServiceRequest>(file));
    expectRowsMatchSchema(out.rows, 'spans');
    expect(out.rows).toHaveLength(spans.length);
    out.rows.forEach((row, i) => {
      const s = spans[i]!;
      expect(row).toMatchObject({
        trace_id: s.traceId,
        span_id: s.spanId,
        parent_span_id: s.parentSpanId || null,
        name: s.name,
        kind: 'SPAN_KIND_INTERNAL',
        flags: s.flags,
        start_time_unix_nano: BigInt(s.startTimeUnixNano),
        end_time_unix_nano: BigInt(s.endTimeUnixNano),
        status: { message: '', code: 'STATUS_CODE_OK' },
      });
    });
    expect(out.rows[0]!.instrumentation_scope).toMatchObject({ name: 'gemini-cli', version: 'v1' });
  });
});

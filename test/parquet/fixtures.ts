// Rows shaped exactly like schemas/metrics.json and schemas/logs.json, with the
// awkward values (int64 bounds, NaN, -0, escapes, non-BMP text) mixed in.
import type { MapValue, Row } from '../../src/tables/row.ts';

const attrs = (entries: [string, string | null][]): MapValue => new Map(entries);

const resource = (service: string): Row => ({
  attributes: attrs([['service.name', service], ['host.name', 'h"1\\x']]),
  dropped_attributes_count: 0,
});

const scope: Row = { name: 'claude_code', version: '1.2.3', attributes: attrs([]), dropped_attributes_count: 2 };

function metricBase(name: string, metricType: string): Row {
  return {
    name,
    description: 'd',
    unit: '1',
    metric_type: metricType,
    gauge: null,
    sum: null,
    histogram: null,
    exponential_histogram: null,
    summary: null,
    metadata: attrs([]),
    resource: resource('svc-a'),
    resource_schema_url: null,
    instrumentation_scope: scope,
    metric_schema_url: '',
  };
}

export function metricRows(): Row[] {
  const exemplar: Row = {
    time_unix_nano: 1_700_000_000_123_456_789n,
    value: 0.1,
    span_id: '00f067aa0ba902b7',
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    filtered_attributes: attrs([['k', null]]),
  };
  const sum = metricBase('claude_code.token.usage', 'sum');
  sum.sum = {
    start_time_unix_nano: 1n,
    time_unix_nano: 9_223_372_036_854_775_807n,
    value: -0,
    exemplars: [exemplar],
    attributes: attrs([['type', 'input'], ['weird "key"\n', 'v']]),
    flags: 0,
    aggregation_temporality: 'AGGREGATION_TEMPORALITY_DELTA',
    is_monotonic: true,
  };
  const gauge = metricBase('cpu', 'gauge');
  gauge.gauge = {
    start_time_unix_nano: null,
    time_unix_nano: -9_223_372_036_854_775_808n,
    value: 1.5e300,
    exemplars: [],
    attributes: attrs([]),
    flags: 1,
  };
  const hist = metricBase('latency', 'histogram');
  hist.histogram = {
    start_time_unix_nano: 5n,
    time_unix_nano: 6n,
    count: 3n,
    sum: Number.NaN,
    bucket_counts: [1n, 0n, 2n],
    explicit_bounds: [0.5, Number.POSITIVE_INFINITY],
    exemplars: null,
    attributes: attrs([['é', '😀']]),
    flags: 0,
    min: 0.25,
    max: 7,
    aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
  };
  hist.description = 'x'.repeat(40);
  const exp = metricBase('exp', 'exponential_histogram');
  exp.exponential_histogram = {
    attributes: attrs([]),
    start_time_unix_nano: 7n,
    time_unix_nano: 8n,
    count: 2n,
    sum: 3.25,
    scale: -3,
    zero_count: 0n,
    positive_bucket: { offset: -2, bucket_counts: [1n, 1n] },
    negative_bucket: null,
    flags: 0,
    exemplars: [],
    min: Number.NEGATIVE_INFINITY,
    max: 2,
    zero_threshold: 0,
    aggregation_temporality: 'AGGREGATION_TEMPORALITY_DELTA',
  };
  exp.description = '😀'.repeat(33) + 'a';
  const summary = metricBase('rpc', 'summary');
  summary.summary = {
    start_time_unix_nano: 1n,
    time_unix_nano: 2n,
    count: 10n,
    sum: 99.5,
    quantile_values: [{ quantile: 0.5, value: 1 }, { quantile: 0.99, value: null }],
    attributes: attrs([]),
    flags: 0,
  };
  summary.resource = null;
  return [sum, gauge, hist, exp, summary];
}

export function logRows(): Row[] {
  const base = (i: number): Row => ({
    event_name: i === 0 ? null : `claude_code.event_${i}`,
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: '00f067aa0ba902b7',
    time_unix_nano: 1_700_000_000_000_000_000n + BigInt(i),
    observed_time_unix_nano: i === 1 ? null : 1_700_000_000_000_000_000n,
    severity_number: 'SEVERITY_NUMBER_INFO',
    severity_text: 'INFO',
    body: i === 2 ? 'line1\nline2\t"quoted" \\ \u0001 \u2028' : `body ${i}`,
    attributes: attrs([['user.id', String(i)], ['n', null]]),
    dropped_attributes_count: 0,
    flags: i,
    resource: resource(`svc-${i}`),
    resource_schema_url: 'https://opentelemetry.io/schemas/1.26.0',
    instrumentation_scope: i === 1 ? null : scope,
    log_schema_url: null,
  });
  return [0, 1, 2, 3].map(base);
}

// OTLP/JSON decoding: the spellings real and spec-following clients use, and the failures.
import { describe, expect, it } from 'vitest';
import { OtlpError } from '../../src/errors.ts';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { toInt64 } from '../../src/otlp/int64.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { Signal } from '../../src/otlp/types.ts';
import { canonical } from './canonical.ts';

const body = (doc: unknown): Uint8Array => new TextEncoder().encode(typeof doc === 'string' ? doc : JSON.stringify(doc));

const logsJson = (record: unknown) => body({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] });
const firstRecord = (doc: Uint8Array) => decodeRequest('logs', doc, 'json').resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
const spansJson = (span: unknown) => body({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });
const firstSpan = (doc: Uint8Array) => decodeRequest('traces', doc, 'json').resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
const firstMetric = (doc: unknown) =>
  decodeRequest('metrics', body(doc), 'json').resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!;
const metricsJson = (metric: unknown) => ({ resourceMetrics: [{ scopeMetrics: [{ metrics: [metric] }] }] });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function invalid(signal: Signal, doc: Uint8Array): OtlpError {
  try {
    decodeRequest(signal, doc, 'json');
  } catch (e) {
    expect(e).toBeInstanceOf(OtlpError);
    expect((e as OtlpError).kind).toBe('invalid');
    return e as OtlpError;
  }
  throw new Error('expected an OtlpError');
}

describe('OTLP/JSON field names', () => {
  const camel = {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service_name', value: { stringValue: 'time_unix_nano' } }], droppedAttributesCount: 2 },
        schemaUrl: 'https://example.com/1',
        scopeMetrics: [
          {
            scope: { name: 's', version: 'v' },
            metrics: [
              {
                name: 'm',
                metadata: [{ key: 'k', value: { intValue: '1' } }],
                exponentialHistogram: {
                  aggregationTemporality: 2,
                  dataPoints: [{ startTimeUnixNano: '1', timeUnixNano: '2', count: '3', zeroCount: '1', positive: { offset: -2, bucketCounts: ['1', '1'] }, zeroThreshold: 0.5 }],
                },
              },
            ],
          },
        ],
      },
    ],
  };
  const snake = {
    resource_metrics: [
      {
        resource: { attributes: [{ key: 'service_name', value: { string_value: 'time_unix_nano' } }], dropped_attributes_count: 2 },
        schema_url: 'https://example.com/1',
        scope_metrics: [
          {
            scope: { name: 's', version: 'v' },
            metrics: [
              {
                name: 'm',
                metadata: [{ key: 'k', value: { int_value: '1' } }],
                exponential_histogram: {
                  aggregation_temporality: 2,
                  data_points: [{ start_time_unix_nano: '1', time_unix_nano: '2', count: '3', zero_count: '1', positive: { offset: -2, bucket_counts: ['1', '1'] }, zero_threshold: 0.5 }],
                },
              },
            ],
          },
        ],
      },
    ],
  };

  it('reads snake_case names exactly like lowerCamelCase ones, and never renames string values', () => {
    const type = SIGNAL_TYPES.metrics.request;
    const a = decodeRequest('metrics', body(camel), 'json');
    const b = decodeRequest('metrics', body(snake), 'json');
    expect(canonical(type, b as never, false)).toEqual(canonical(type, a as never, false));
    const attr = b.resourceMetrics[0]!.resource!.attributes[0]!;
    expect(attr.key).toBe('service_name');
    expect(attr.value!.stringValue).toBe('time_unix_nano');
    const m = b.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!;
    expect(m.data).toBe('exponentialHistogram');
    expect(m.exponentialHistogram!.dataPoints[0]!.positive!.offset).toBe(-2);
    expect(m.metadata[0]!.value!.value).toBe('intValue');
  });

  it('ignores unknown fields at every level', () => {
    const doc = { extra: 1, resourceLogs: [{ future: {}, scopeLogs: [{ logRecords: [{ eventName: 'e', notAField: [1, 2], body: { stringValue: 'b', newKind: 5 } }] }] }] };
    const rec = firstRecord(body(doc));
    expect(rec.eventName).toBe('e');
    expect(rec.body!.value).toBe('stringValue');
  });
});

describe('OTLP/JSON 64-bit integers', () => {
  it('keeps bare numbers above 2^53 exact', () => {
    const doc = '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[' +
      '{"timeUnixNano":1795235949654000001,"startTimeUnixNano":9007199254740993,"asInt":9223372036854775807},' +
      '{"timeUnixNano":18446744073709551615,"asInt":-9223372036854775808}]}}]}]}]}';
    const points = decodeRequest('metrics', body(doc), 'json').resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge!.dataPoints;
    expect(toInt64(points[0]!.timeUnixNano)).toBe(1795235949654000001n);
    expect(toInt64(points[0]!.startTimeUnixNano)).toBe(9007199254740993n);
    expect(points[0]!.value).toBe('asInt');
    expect(toInt64(points[0]!.asInt)).toBe(9223372036854775807n);
    expect(toInt64(points[1]!.timeUnixNano)).toBe(-1n); // all 64 bits set, read as a signed LONG
    expect(toInt64(points[1]!.asInt)).toBe(-9223372036854775808n);
  });

  it('accepts strings and small numbers alike, in repeated fields too', () => {
    const doc = '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"h","histogram":{"dataPoints":[' +
      '{"count":"12345678901234567890","bucketCounts":[9007199254740993,"2",3],"explicitBounds":[1,2],"sum":0}]}}]}]}]}';
    const p = decodeRequest('metrics', body(doc), 'json').resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.histogram!.dataPoints[0]!;
    expect(BigInt.asUintN(64, toInt64(p.count))).toBe(12345678901234567890n);
    expect(p.bucketCounts.map((c) => toInt64(c))).toEqual([9007199254740993n, 2n, 3n]);
    expect(p.sum).toBe(0);
    expect(p.min ?? null).toBeNull();
    expect(p.max ?? null).toBeNull();
  });

  it('reads intValue given as a number or a string', () => {
    const rec = firstRecord(logsJson({ attributes: [
      { key: 'n', value: { intValue: 7 } },
      { key: 's', value: { intValue: '-8' } },
      { key: 'big', value: { intValue: '9223372036854775807' } },
    ] }));
    expect(rec.attributes.map((a) => toInt64(a.value!.intValue))).toEqual([7n, -8n, 9223372036854775807n]);
    expect(rec.attributes.every((a) => a.value!.value === 'intValue')).toBe(true);
  });

  it.each([
    ['a fraction', '1.5'],
    ['garbage', '"12x"'],
    ['an empty string', '""'],
    ['a value beyond 64 bits', '"99999999999999999999"'],
    ['a boolean', 'true'],
  ])('rejects %s', (_what, literal) => {
    const e = invalid('logs', body(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":${literal}}]}]}]}`));
    expect(e.message).toContain('ExportLogsServiceRequest');
    expect(e.message).toContain('resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano');
  });
});

describe('OTLP/JSON enums', () => {
  it('takes names and numbers', () => {
    const byName = firstMetric(metricsJson({ name: 'a', sum: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA', isMonotonic: true, dataPoints: [{ asDouble: 1 }] } }));
    const byNumber = firstMetric(metricsJson({ name: 'a', sum: { aggregationTemporality: 2, isMonotonic: 'true', dataPoints: [{ asDouble: 1 }] } }));
    const byDigits = firstMetric(metricsJson({ name: 'a', sum: { aggregationTemporality: '1', isMonotonic: 'false', dataPoints: [] } }));
    expect(byName.sum!.aggregationTemporality).toBe(1);
    expect(byName.sum!.isMonotonic).toBe(true);
    expect(byNumber.sum!.aggregationTemporality).toBe(2);
    expect(byNumber.sum!.isMonotonic).toBe(true);
    expect(byDigits.sum!.aggregationTemporality).toBe(1);
    expect(byDigits.sum!.isMonotonic).toBe(false);

    expect(firstRecord(logsJson({ severityNumber: 'SEVERITY_NUMBER_WARN' })).severityNumber).toBe(13);
    expect(firstRecord(logsJson({ severityNumber: 17 })).severityNumber).toBe(17);
    const span = firstSpan(spansJson({ kind: 'SPAN_KIND_SERVER', status: { code: 'STATUS_CODE_ERROR', message: 'boom' } }));
    expect(span.kind).toBe(2);
    expect(span.status).toMatchObject({ code: 2, message: 'boom' });
    expect(firstSpan(spansJson({ kind: 3, status: { code: 1 } })).status!.code).toBe(1);
  });
});

describe('OTLP/JSON values', () => {
  it('accepts {} attribute values, null bodies and empty values', () => {
    const rec = firstRecord(logsJson({ body: null, attributes: [{ key: 'empty', value: {} }, { key: 'none' }, { key: 'nul', value: null }] }));
    expect(rec.body ?? null).toBeNull();
    const [empty, none, nul] = rec.attributes;
    expect(empty!.value!.value).toBeUndefined();
    expect(empty!.value!.stringValue ?? null).toBeNull();
    expect(empty!.value!.intValue ?? null).toBeNull();
    expect(none!.value ?? null).toBeNull();
    expect(nul!.value ?? null).toBeNull();
  });

  it('sets the oneof discriminators, including for zero and empty members', () => {
    const rec = firstRecord(logsJson({ body: { kvlistValue: { values: [
      { key: 's', value: { stringValue: '' } },
      { key: 'i', value: { intValue: 0 } },
      { key: 'd', value: { doubleValue: 'NaN' } },
      { key: 'b', value: { boolValue: false } },
      { key: 'x', value: { bytesValue: '3q2+7w==' } },
      { key: 'a', value: { arrayValue: {} } },
    ] } } }));
    expect(rec.body!.value).toBe('kvlistValue');
    const values = rec.body!.kvlistValue!.values;
    expect(values.map((kv) => kv.value!.value)).toEqual(['stringValue', 'intValue', 'doubleValue', 'boolValue', 'bytesValue', 'arrayValue']);
    expect(values[2]!.value!.doubleValue).toBeNaN();
    expect(hex(values[4]!.value!.bytesValue!)).toBe('deadbeef');
    expect(values[5]!.value!.arrayValue!.values).toEqual([]);
  });

  it('reads the newer fields: eventName, flags, dropped counts, entityRefs', () => {
    const doc = { resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 's' } }], entityRefs: [{ type: 'service', idKeys: ['service.name'], description_keys: ['d'] }] },
      scopeLogs: [{ logRecords: [{ eventName: 'ev', flags: 1, droppedAttributesCount: 3, observedTimeUnixNano: '5' }] }],
    }] };
    const logs = decodeRequest('logs', body(doc), 'json');
    const resource = logs.resourceLogs[0]!.resource as unknown as { entityRefs: { type: string; idKeys: string[]; descriptionKeys: string[] }[] };
    expect(resource.entityRefs[0]).toMatchObject({ type: 'service', idKeys: ['service.name'], descriptionKeys: ['d'] });
    const rec = logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(rec).toMatchObject({ eventName: 'ev', flags: 1, droppedAttributesCount: 3 });
    expect(toInt64(rec.observedTimeUnixNano)).toBe(5n);
    expect(toInt64(rec.timeUnixNano)).toBe(0n);
  });
});

describe('OTLP/JSON trace and span ids', () => {
  const T = '5B8EFFF798038103D269B633813FC60C';
  const S = 'EEE19B7EC3C1B174';

  it('reads hex in either case everywhere ids appear', () => {
    const span = firstSpan(spansJson({
      traceId: T, spanId: S.toLowerCase(), parentSpanId: 'eee19b7ec3c1b173', flags: 769,
      links: [{ traceId: T.toLowerCase(), spanId: S, flags: 257 }],
    }));
    expect(hex(span.traceId)).toBe(T.toLowerCase());
    expect(hex(span.spanId)).toBe(S.toLowerCase());
    expect(hex(span.parentSpanId)).toBe('eee19b7ec3c1b173');
    expect(span.flags).toBe(769);
    expect(hex(span.links[0]!.traceId)).toBe(T.toLowerCase());
    expect(span.links[0]!.flags).toBe(257);
    expect(hex(firstRecord(logsJson({ traceId: T, spanId: S })).spanId)).toBe(S.toLowerCase());
    const ex = firstMetric(metricsJson({ name: 'g', gauge: { dataPoints: [{ asInt: '1', exemplars: [{ traceId: T, spanId: S, asDouble: 2.5, timeUnixNano: '9' }] }] } }))
      .gauge!.dataPoints[0]!.exemplars[0]!;
    expect(hex(ex.traceId)).toBe(T.toLowerCase());
    expect(ex.value).toBe('asDouble');
    expect(ex.asDouble).toBe(2.5);
  });

  it('reads an empty string as empty bytes', () => {
    const span = firstSpan(spansJson({ traceId: '', spanId: '', parentSpanId: '' }));
    expect(span.traceId.length + span.spanId.length + span.parentSpanId.length).toBe(0);
  });

  it.each([
    ['base64', 'W47/95gDgQPSabYzgT/GDA=='],
    ['odd length', '5b8efff798038103d269b633813fc60'],
    ['non-hex letters', 'zz8efff798038103d269b633813fc60c'],
    ['a number', 12],
  ])('rejects %s, naming the field', (_what, id) => {
    const e = invalid('traces', spansJson({ spanId: S, links: [{ traceId: id }] }));
    expect(e.message).toContain('resourceSpans[0].scopeSpans[0].spans[0].links[0].traceId');
  });
});

describe('malformed OTLP/JSON', () => {
  it.each([
    ['truncated JSON', '{"resourceLogs":['],
    ['not JSON', 'resourceLogs'],
    ['an empty body', ''],
    ['a top-level array', '[]'],
    ['a top-level null', 'null'],
    ['a top-level number', '42'],
    ['an array where a message belongs', '{"resourceLogs":[[]]}'],
    ['a string where a list belongs', '{"resourceLogs":"x"}'],
    ['a number where a message belongs', '{"resourceLogs":[{"resource":5}]}'],
  ])('rejects %s', (_what, text) => {
    const e = invalid('logs', body(text));
    expect(e.message).toMatch(/^could not decode ExportLogsServiceRequest as JSON: /);
  });

  it('rejects invalid UTF-8', () => {
    const bytes = Uint8Array.from([...body('{"resourceLogs":[{"schemaUrl":"'), 0xff, 0xfe, ...body('"}]}')]);
    expect(invalid('logs', bytes).message).toContain('UTF-8');
  });

  it('rejects absurdly deep nesting instead of overflowing the stack', () => {
    let value = '{"stringValue":"leaf"}';
    for (let i = 0; i < 200; i++) value = `{"arrayValue":{"values":[${value}]}}`;
    const e = invalid('logs', body(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${value}}]}]}]}`));
    expect(e.message).toContain('deep');
  });
});

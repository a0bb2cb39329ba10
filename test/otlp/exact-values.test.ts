// Values the decoder cannot keep exactly as sent are refused (OtlpError 'invalid', naming the field), never stored changed.
import { describe, expect, it } from 'vitest';
import { OtlpError } from '../../src/errors.ts';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { toInt64 } from '../../src/otlp/int64.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { Signal } from '../../src/otlp/types.ts';

const enc = (text: string) => new TextEncoder().encode(text);
const LOG = 'resourceLogs[0].scopeLogs[0].logRecords[3]';

/** A logs request whose fourth record is `record`, so paths show a non-zero index. */
const logs = (record: string) => `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{},{},{},${record}]}]}]}`;
const spans = (span: string) => `{"resourceSpans":[{"scopeSpans":[{"spans":[${span}]}]}]}`;
const sum = (point: string) => `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","sum":{"dataPoints":[${point}]}}]}]}]}`;

function refusal(signal: Signal, body: Uint8Array, encoding: 'json' | 'protobuf'): string {
  try {
    decodeRequest(signal, body, encoding);
  } catch (e) {
    expect(e).toBeInstanceOf(OtlpError);
    expect((e as OtlpError).kind).toBe('invalid');
    return (e as OtlpError).message;
  }
  throw new Error('expected the request to be refused');
}

const jsonRefusal = (signal: Signal, text: string) => refusal(signal, enc(text), 'json');

type Rec = Record<string, unknown>;
const fourthRecord = (text: string): Rec => {
  const req = decodeRequest('logs', enc(text), 'json') as unknown as { toJSON(): { resourceLogs: Rec[] } };
  const scope = (req.toJSON().resourceLogs[0]!.scopeLogs as Rec[])[0]!;
  return (scope.logRecords as Rec[])[3]!;
};

describe('OTLP/JSON 64-bit integers', () => {
  it.each([
    ['1e30', 'out of range for uint64: "1e30"'],
    ['"1e30"', 'out of range for uint64: "1e30"'],
    ['1.8446744073709552e19', 'out of range for uint64: "1.8446744073709552e19"'],
    ['18446744073709551616', 'out of range for uint64: "18446744073709551616"'],
    ['-1', 'out of range for uint64: -1'],
    ['1.5', 'expected an integer, got 1.5'],
    ['"4503599627370496.5"', 'expected an integer, got "4503599627370496.5"'],
    ['1e-400', 'expected an integer, got "1e-400"'],
    ['1.0000000000000001', 'expected an integer, got "1.0000000000000001"'],
    ['"12abc"', 'expected an integer, got "12abc"'],
    ['true', 'expected an integer, got true'],
  ])('timeUnixNano %s is refused, naming the field', (value, problem) => {
    expect(jsonRefusal('logs', logs(`{"timeUnixNano":${value}}`))).toBe(
      `could not decode ExportLogsServiceRequest as JSON: ${LOG}.timeUnixNano: ${problem}`,
    );
  });

  it.each([
    ['18446744073709551615', '18446744073709551615'],
    ['"18446744073709551615"', '18446744073709551615'],
    ['1e3', '1000'],
    ['"1.5e3"', '1500'],
    ['1.8446744073709551615e19', '18446744073709551615'],
    ['1700000000123456789', '1700000000123456789'],
  ])('timeUnixNano %s is kept exactly', (value, want) => {
    expect(fourthRecord(logs(`{"timeUnixNano":${value}}`)).timeUnixNano).toBe(want);
  });

  it('int64 and repeated fixed64 fields check their own ranges', () => {
    expect(jsonRefusal('metrics', sum('{"asInt":"9223372036854775808"}'))).toMatch(
      /resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]\.sum\.dataPoints\[0\]\.asInt: out of range for int64/,
    );
    const point = (decodeRequest('metrics', enc(sum('{"asInt":-9223372036854775808}')), 'json') as unknown as {
      resourceMetrics: { scopeMetrics: { metrics: { sum: { dataPoints: { asInt: never }[] } }[] }[] }[];
    }).resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.sum.dataPoints[0]!;
    expect(toInt64(point.asInt)).toBe(-(2n ** 63n));
    const histogram = `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"h","histogram":{"dataPoints":[{"bucketCounts":[1,1e30]}]}}]}]}]}`;
    expect(jsonRefusal('metrics', histogram)).toMatch(/histogram\.dataPoints\[0\]\.bucketCounts\[1\]: out of range for uint64: "1e30"/);
  });
});

describe('OTLP/JSON 32-bit integers and enums', () => {
  it.each([
    ['flags', '1099511627776', 'out of range for uint32: 1099511627776'],
    ['flags', '"4294967296"', 'out of range for uint32: "4294967296"'],
    ['droppedAttributesCount', '4294967296', 'out of range for uint32: 4294967296'],
    ['droppedAttributesCount', '-1', 'out of range for uint32: -1'],
    ['severityNumber', '"BOGUS"', 'not a SeverityNumber name: "BOGUS"'],
    ['severityNumber', '2147483648', 'out of range for int32: 2147483648'],
    ['severityNumber', '1.5', 'expected an integer, got 1.5'],
  ])('%s %s is refused, naming the field', (field, value, problem) => {
    expect(jsonRefusal('logs', logs(`{"${field}":${value}}`))).toBe(
      `could not decode ExportLogsServiceRequest as JSON: ${LOG}.${field}: ${problem}`,
    );
  });

  it('keeps values in range, enum names, and unknown enum numbers as numbers', () => {
    const r = fourthRecord(logs('{"flags":4294967295,"droppedAttributesCount":"7","severityNumber":"SEVERITY_NUMBER_WARN"}'));
    expect(r).toMatchObject({ flags: 4294967295, droppedAttributesCount: 7, severityNumber: 'SEVERITY_NUMBER_WARN' });
    expect(fourthRecord(logs('{"severityNumber":99}')).severityNumber).toBe(99);
    expect(fourthRecord(logs('{"severityNumber":"13"}')).severityNumber).toBe('SEVERITY_NUMBER_WARN');
  });

  it('sint32 fields are refused beyond int32', () => {
    const exp = `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"e","exponentialHistogram":{"dataPoints":[{"scale":2147483648}]}}]}]}]}`;
    expect(jsonRefusal('metrics', exp)).toMatch(/exponentialHistogram\.dataPoints\[0\]\.scale: out of range for int32: 2147483648/);
  });
});

describe('OTLP/JSON doubles and booleans', () => {
  it('refuses text that is not a number where a double goes, and non-booleans where a bool goes', () => {
    expect(jsonRefusal('logs', logs('{"body":{"doubleValue":"x"}}'))).toMatch(/\.body\.doubleValue: expected a number, got "x"/);
    expect(jsonRefusal('logs', logs('{"body":{"boolValue":1}}'))).toMatch(/\.body\.boolValue: expected a boolean, got 1/);
    expect(fourthRecord(logs('{"body":{"doubleValue":"-Infinity"}}')).body).toEqual({ doubleValue: '-Infinity' });
  });
});

const hex = (bytes: number) => 'ab'.repeat(bytes);

describe('trace and span ids in OTLP/JSON', () => {
  const SPAN = 'resourceSpans[0].scopeSpans[0].spans[0]';
  it.each([3, 50, 100])('an id of %i bytes is refused wherever ids appear', (bytes) => {
    const id = hex(bytes);
    const cases: [Signal, string, string, number][] = [
      ['logs', logs(`{"traceId":"${id}"}`), `${LOG}.traceId`, 16],
      ['logs', logs(`{"spanId":"${id}"}`), `${LOG}.spanId`, 8],
      ['traces', spans(`{"traceId":"${id}"}`), `${SPAN}.traceId`, 16],
      ['traces', spans(`{"spanId":"${id}"}`), `${SPAN}.spanId`, 8],
      ['traces', spans(`{"parentSpanId":"${id}"}`), `${SPAN}.parentSpanId`, 8],
      ['traces', spans(`{"links":[{},{"traceId":"${id}"}]}`), `${SPAN}.links[1].traceId`, 16],
      ['traces', spans(`{"links":[{"spanId":"${id}"}]}`), `${SPAN}.links[0].spanId`, 8],
      ['metrics', sum(`{"exemplars":[{"traceId":"${id}"}]}`), 'sum.dataPoints[0].exemplars[0].traceId', 16],
      ['metrics', sum(`{"exemplars":[{"spanId":"${id}"}]}`), 'sum.dataPoints[0].exemplars[0].spanId', 8],
    ];
    for (const [signal, text, path, want] of cases) {
      const message = jsonRefusal(signal, text);
      expect(message).toContain(`${path}: must be ${want} bytes (${want * 2} hex digits) or empty, got ${bytes * 2} characters`);
      // The value is quoted cut short, however long it was.
      expect(message.length).toBeLessThan(300);
    }
  });

  it('refuses ids that are not hex, and keeps empty and well-formed ones', () => {
    expect(jsonRefusal('traces', spans(`{"traceId":"${'zz'.repeat(16)}"}`))).toMatch(/spans\[0\]\.traceId: not a hex id/);
    const req = decodeRequest('traces', enc(spans(`{"traceId":"${hex(16)}","spanId":"${hex(8)}","parentSpanId":""}`)), 'json');
    const span = req.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(Buffer.from(span.traceId).toString('hex')).toBe(hex(16));
    expect(span.parentSpanId.length).toBe(0);
  });

  it('never quotes more than a short prefix of a huge value', () => {
    const message = jsonRefusal('logs', logs(`{"timeUnixNano":"${'9'.repeat(100_000)}"}`));
    expect(message.length).toBeLessThan(200);
  });
});

// Protobuf request bodies built from objects, so the id bytes can be any length.
function proto(signal: Signal, obj: Record<string, unknown>): Uint8Array {
  const t = SIGNAL_TYPES[signal].request;
  return t.encode(t.fromObject(obj)).finish();
}

const protoLogs = (record: Rec) => proto('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [{}, record] }] }] });
const protoSpans = (span: Rec) => proto('traces', { resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });
const protoSum = (point: Rec) =>
  proto('metrics', { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [{}, point] } }] }] }] });

describe('trace and span ids in protobuf', () => {
  it.each([3, 50, 100])('an id of %i bytes is refused wherever ids appear', (bytes) => {
    const id = Buffer.alloc(bytes, 0xab);
    const LOGP = 'resourceLogs[0].scopeLogs[0].logRecords[1]';
    const SPANP = 'resourceSpans[0].scopeSpans[0].spans[0]';
    const POINT = 'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[1]';
    const cases: [Signal, Uint8Array, string, number][] = [
      ['logs', protoLogs({ traceId: id }), `${LOGP}.traceId`, 16],
      ['logs', protoLogs({ spanId: id }), `${LOGP}.spanId`, 8],
      ['traces', protoSpans({ traceId: id }), `${SPANP}.traceId`, 16],
      ['traces', protoSpans({ traceId: Buffer.alloc(16, 1), spanId: id }), `${SPANP}.spanId`, 8],
      ['traces', protoSpans({ parentSpanId: id }), `${SPANP}.parentSpanId`, 8],
      ['traces', protoSpans({ links: [{}, { traceId: id }] }), `${SPANP}.links[1].traceId`, 16],
      ['traces', protoSpans({ links: [{ spanId: id }] }), `${SPANP}.links[0].spanId`, 8],
      ['metrics', protoSum({ exemplars: [{ traceId: id }] }), `${POINT}.exemplars[0].traceId`, 16],
      ['metrics', protoSum({ exemplars: [{}, { spanId: id }] }), `${POINT}.exemplars[1].spanId`, 8],
    ];
    for (const [signal, body, path, want] of cases) {
      const message = refusal(signal, body, 'protobuf');
      expect(message).toMatch(new RegExp(`as protobuf: ${path.replace(/[[\].]/g, '\\$&')}: must be ${want} bytes or empty, got ${bytes} bytes: (ab)+`));
      expect(message.length).toBeLessThan(300);
    }
  });

  it('keeps empty and well-formed ids', () => {
    const req = decodeRequest('traces', protoSpans({ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), links: [{}] }), 'protobuf');
    const span = req.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(span.traceId.length).toBe(16);
    expect(span.parentSpanId.length).toBe(0);
  });

  // The protobuf encoding gives a 32-bit field the low 32 bits of a wider
  // varint (that is how int32 -1 travels); Go and the Collector read it so too.
  it('a varint wider than a uint32 field keeps its low 32 bits', () => {
    // LogRecord field 7 (dropped_attributes_count), varint 2^32 + 5.
    const wide = Buffer.from([7 << 3, 0x85, 0x80, 0x80, 0x80, 0x10]);
    // ScopeLogs.log_records = 2, ResourceLogs.scope_logs = 2, ExportLogsServiceRequest.resource_logs = 1.
    const scope = Buffer.concat([Buffer.from([(2 << 3) | 2, wide.length]), wide]);
    const resource = Buffer.concat([Buffer.from([(2 << 3) | 2, scope.length]), scope]);
    const body = Buffer.concat([Buffer.from([(1 << 3) | 2, resource.length]), resource]);
    const req = decodeRequest('logs', body, 'protobuf');
    expect(req.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.droppedAttributesCount).toBe(5);
  });
});

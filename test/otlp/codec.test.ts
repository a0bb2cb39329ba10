// The protobuf request path, protobuf/JSON agreement, and the response and status encoders.
import { REAL_CLIENTS_DIR } from '../support/paths.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OtlpError } from '../../src/errors.ts';
import { decodeRequest, encodeExportResponse, encodeStatus } from '../../src/otlp/codec.ts';
import { toInt64 } from '../../src/otlp/int64.ts';
import { SIGNAL_TYPES, STATUS_TYPE } from '../../src/otlp/schema.ts';
import type { Signal } from '../../src/otlp/types.ts';
import { canonical } from './canonical.ts';

const FIXTURES = REAL_CLIENTS_DIR;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function invalidProtobuf(signal: Signal, body: Uint8Array): OtlpError {
  try {
    decodeRequest(signal, body, 'protobuf');
  } catch (e) {
    expect(e).toBeInstanceOf(OtlpError);
    expect((e as OtlpError).kind).toBe('invalid');
    return e as OtlpError;
  }
  throw new Error('expected an OtlpError');
}

describe('oneof members on the wire', () => {
  // Hand-made protobuf: a length-delimited field, a varint field, a double field.
  const len = (field: number, body: Uint8Array) => Buffer.concat([Buffer.from([(field << 3) | 2, body.length]), body]);
  const varint = (field: number, v: number) => Buffer.from([field << 3, v]);
  const double = (field: number, v: number) => {
    const b = Buffer.alloc(9);
    b[0] = (field << 3) | 1;
    b.writeDoubleLE(v, 1);
    return b;
  };
  // ExportLogsServiceRequest > ResourceLogs > ScopeLogs > LogRecord.attributes > KeyValue{key, value: AnyValue}.
  const request = (anyValue: Buffer) =>
    len(1, len(2, len(2, len(6, Buffer.concat([len(1, Buffer.from('k')), len(2, anyValue)])))));
  const MEMBERS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'];

  // Two members of one oneof in one message: the last one read wins, as the
  // protobuf spec says, and the earlier one is gone from the decoded message.
  it.each([
    ['string then int', Buffer.concat([len(1, Buffer.from('first')), varint(3, 7)]), 'intValue'],
    ['int then string', Buffer.concat([varint(3, 7), len(1, Buffer.from('second'))]), 'stringValue'],
    ['bool then double then string', Buffer.concat([varint(2, 1), double(4, 0.5), len(1, Buffer.from('x'))]), 'stringValue'],
    ['string then bool', Buffer.concat([len(1, Buffer.from('s')), varint(2, 1)]), 'boolValue'],
  ])('%s: only %s is left', (_, anyValue, want) => {
    const req = decodeRequest('logs', request(anyValue), 'protobuf');
    const value = req.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes[0]!.value!;
    expect(MEMBERS.filter((m) => Object.hasOwn(value, m))).toEqual([want]);
    expect(value.value).toBe(want);
  });
});

describe('protobuf requests', () => {
  const full = {
    resourceMetrics: [{
      resource: { attributes: [{ key: 'k', value: { stringValue: 'v' } }], droppedAttributesCount: 1, entityRefs: [{ type: 'host', idKeys: ['k'] }] },
      scopeMetrics: [{
        scope: { name: 's', version: '1', attributes: [], droppedAttributesCount: 2 },
        schemaUrl: 'u',
        metrics: [
          { name: 'sum', metadata: [{ key: 'm', value: { boolValue: true } }], sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [
            { timeUnixNano: '1795235949654000001', asInt: '-9223372036854775808', flags: 1, exemplars: [
              { timeUnixNano: '7', asInt: '3', traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), filteredAttributes: [{ key: 'f', value: { doubleValue: 0.5 } }] },
            ] },
          ] } },
          { name: 'hist', histogram: { aggregationTemporality: 2, dataPoints: [
            { count: '3', sum: 0, min: -1, bucketCounts: ['1', '2'], explicitBounds: [10] },
            { count: '0' },
          ] } },
          { name: 'sum-q', summary: { dataPoints: [{ count: '4', sum: 9.5, quantileValues: [{ quantile: 0.5, value: 2 }, { quantile: 1, value: 4 }] }] } },
        ],
      }],
    }],
  };
  const type = SIGNAL_TYPES.metrics.request;
  const wire = type.encode(type.fromObject(full)).finish();
  const decoded = decodeRequest('metrics', wire, 'protobuf');
  const [sum, hist, summary] = decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics;

  it('decodes every field, with discriminators on every oneof', () => {
    expect(sum!.data).toBe('sum');
    expect(sum!.metadata[0]!.value!.value).toBe('boolValue');
    const point = sum!.sum!.dataPoints[0]!;
    expect(point.value).toBe('asInt');
    expect(point.asDouble ?? null).toBeNull();
    expect(toInt64(point.asInt)).toBe(-9223372036854775808n);
    expect(toInt64(point.timeUnixNano)).toBe(1795235949654000001n);
    expect(point.flags).toBe(1);
    const ex = point.exemplars[0]!;
    expect(ex.value).toBe('asInt');
    expect(toInt64(ex.asInt)).toBe(3n);
    expect(Buffer.from(ex.traceId).equals(Buffer.alloc(16, 1))).toBe(true);
    expect(ex.filteredAttributes[0]!.value!.doubleValue).toBe(0.5);
    expect(decoded.resourceMetrics[0]!.resource!.droppedAttributesCount).toBe(1);
    expect(decoded.resourceMetrics[0]!.scopeMetrics[0]!.scope!.droppedAttributesCount).toBe(2);
  });

  it('tells an optional sum/min/max of 0 from an absent one', () => {
    const [p0, p1] = hist!.histogram!.dataPoints;
    expect(hist!.data).toBe('histogram');
    expect([p0!.sum, p0!.min, p0!.max ?? null]).toEqual([0, -1, null]);
    expect([p1!.sum ?? null, p1!.min ?? null, p1!.max ?? null]).toEqual([null, null, null]);
    expect(p0!.bucketCounts.map((c) => toInt64(c))).toEqual([1n, 2n]);
    expect(p1!.bucketCounts).toEqual([]);
  });

  it('decodes summaries', () => {
    expect(summary!.data).toBe('summary');
    const p = summary!.summary!.dataPoints[0]!;
    expect(toInt64(p.count)).toBe(4n);
    expect(p.quantileValues).toMatchObject([{ quantile: 0.5, value: 2 }, { quantile: 1, value: 4 }]);
  });

  it('reads an empty body as an empty request', () => {
    expect(decodeRequest('logs', new Uint8Array(0), 'protobuf').resourceLogs).toEqual([]);
    expect(decodeRequest('traces', new TextEncoder().encode('{}'), 'json').resourceSpans).toEqual([]);
  });

  it.each([
    ['a length past the end', [0x0a, 0xff, 0x01, 0x02]],
    ['an invalid wire type', [0x0f, 0x00]],
    ['a truncated varint', [0x08, 0xff]],
  ])('rejects %s', (_what, bytes) => {
    const e = invalidProtobuf('logs', Uint8Array.from(bytes));
    expect(e.message).toMatch(/^could not decode ExportLogsServiceRequest as protobuf: \S/);
  });

  it('rejects a truncated real capture', () => {
    const body = readFileSync(`${FIXTURES}/codex/proto-basic/0003.body.bin`);
    const e = invalidProtobuf('metrics', body.subarray(0, body.length - 7));
    expect(e.message).toContain('ExportMetricsServiceRequest as protobuf');
  });
});

describe('JSON captures re-encoded as protobuf', () => {
  it.each([
    ['logs', 'codex/json-basic/0005'],
    ['metrics', 'codex/json-basic/0004'],
    ['traces', 'gemini-cli/http-basic/0003'],
    ['logs', 'gemini-cli/http-basic/0004'],
  ] as const)('%s %s decodes the same either way', (signal, name) => {
    const type = SIGNAL_TYPES[signal].request;
    const fromJson = decodeRequest(signal, readFileSync(`${FIXTURES}/${name}.body.bin`), 'json');
    const fromProto = decodeRequest(signal, type.encode(fromJson as never).finish(), 'protobuf');
    expect(canonical(type, fromProto as never, false)).toEqual(canonical(type, fromJson as never, false));
  });
});

describe('encodeExportResponse', () => {
  it('is empty without a partial success', () => {
    for (const signal of ['metrics', 'logs', 'traces'] as const) {
      expect(encodeExportResponse(signal, 'protobuf').length).toBe(0);
      expect(text(encodeExportResponse(signal, 'json'))).toBe('{}');
    }
  });

  it.each([
    ['metrics', 'rejectedDataPoints'],
    ['logs', 'rejectedLogRecords'],
    ['traces', 'rejectedSpans'],
  ] as const)('reports a partial success for %s', (signal, field) => {
    const partial = { rejected: 2n ** 60n + 1n, message: 'some rows had no "time"' };
    expect(text(encodeExportResponse(signal, 'json', partial))).toBe(
      `{"partialSuccess":{"${field}":"1152921504606846977","errorMessage":"some rows had no \\"time\\""}}`,
    );
    const types = SIGNAL_TYPES[signal];
    const msg = types.response.decode(encodeExportResponse(signal, 'protobuf', partial)) as unknown as {
      partialSuccess: Record<string, unknown>;
    };
    expect(toInt64(msg.partialSuccess[field] as never)).toBe(2n ** 60n + 1n);
    expect(msg.partialSuccess.errorMessage).toBe(partial.message);
  });

  it('keeps a warning-only partial success (zero rejected)', () => {
    expect(text(encodeExportResponse('logs', 'json', { rejected: 0n, message: 'slow down' }))).toBe(
      '{"partialSuccess":{"rejectedLogRecords":"0","errorMessage":"slow down"}}',
    );
    const msg = SIGNAL_TYPES.logs.response.decode(encodeExportResponse('logs', 'protobuf', { rejected: 0n, message: 'slow down' }));
    expect((msg as unknown as { partialSuccess: { errorMessage: string } }).partialSuccess.errorMessage).toBe('slow down');
  });
});

describe('encodeStatus', () => {
  it('writes google.rpc.Status', () => {
    const bytes = encodeStatus('protobuf', 3, 'bad');
    expect(Buffer.from(bytes).toString('hex')).toBe('08031203626164');
    expect(STATUS_TYPE.decode(bytes)).toMatchObject({ code: 3, message: 'bad', details: [] });
    expect(text(encodeStatus('json', 3, 'bad "x"'))).toBe('{"code":3,"message":"bad \\"x\\""}');
    expect(text(encodeStatus('json', 14, ''))).toBe('{"code":14,"message":""}');
  });
});

// Requests and responses cross-checked against the OpenTelemetry JS SDK's own OTLP serializers.
import { context, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { decodeRequest, encodeExportResponse } from '../../src/otlp/codec.ts';
import { toInt64 } from '../../src/otlp/int64.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { canonical } from './canonical.ts';

const TRACE = '5b8efff798038103d269b633813fc60c';
const resource = resourceFromAttributes({ 'service.name': 'svc', 'host.cores': 8 });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function sdkSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('scope', '1.2');
  const parent = trace.setSpanContext(context.active(), {
    traceId: TRACE, spanId: 'eee19b7ec3c1b173', traceFlags: TraceFlags.SAMPLED, isRemote: true,
  });
  const link = { traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708', traceFlags: 1, isRemote: false };
  const span = tracer.startSpan('op', { kind: SpanKind.SERVER, attributes: { a: 1, b: 'x', c: [1.5, 2.5] }, links: [{ context: link, attributes: { l: true } }] }, parent);
  span.addEvent('ev', { n: 2.5 });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  span.end();
  return exporter.getFinishedSpans();
}

function sdkLogs() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const ctx = trace.setSpanContext(context.active(), { traceId: TRACE, spanId: 'eee19b7ec3c1b174', traceFlags: 1 });
  provider.getLogger('lg', '0.1').emit({
    eventName: 'my.event', body: { k: [1, 'two', true] }, severityNumber: 13, severityText: 'WARN', attributes: { y: 'z', n: 3 }, context: ctx,
  });
  // The simple processor hands the record to the in-memory exporter synchronously.
  const records = exporter.getFinishedLogRecords();
  if (records.length !== 1) throw new Error(`expected 1 exported record, got ${records.length}`);
  return records;
}

describe('SDK-serialized traces', () => {
  const spans = sdkSpans();
  const fromProto = decodeRequest('traces', ProtobufTraceSerializer.serializeRequest(spans)!, 'protobuf');
  const fromJson = decodeRequest('traces', JsonTraceSerializer.serializeRequest(spans)!, 'json');

  it('decode to the same request from protobuf and from JSON', () => {
    const type = SIGNAL_TYPES.traces.request;
    expect(canonical(type, fromJson as never, false)).toEqual(canonical(type, fromProto as never, false));
  });

  it.each([['protobuf', fromProto], ['json', fromJson]])('carry every span field (%s)', (_enc, req) => {
    const span = req.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    const sdk = spans[0]!;
    expect(hex(span.traceId)).toBe(TRACE);
    expect(hex(span.spanId)).toBe(sdk.spanContext().spanId);
    expect(hex(span.parentSpanId)).toBe('eee19b7ec3c1b173');
    expect(span.flags).toBe(0x301); // sampled, parent remote-ness known, parent remote
    expect(span).toMatchObject({ name: 'op', kind: 2, status: { code: 2, message: 'boom' } });
    expect(span.attributes.map((a) => [a.key, a.value?.value])).toEqual([['a', 'intValue'], ['b', 'stringValue'], ['c', 'arrayValue']]);
    expect(span.events[0]!.name).toBe('ev');
    expect(toInt64(span.events[0]!.timeUnixNano)).toBeGreaterThan(toInt64(span.startTimeUnixNano) - 1n);
    expect(hex(span.links[0]!.traceId)).toBe('0102030405060708090a0b0c0d0e0f10');
    expect(span.links[0]!.flags).toBe(0x101);
    expect(req.resourceSpans[0]!.scopeSpans[0]!.scope).toMatchObject({ name: 'scope', version: '1.2' });
  });
});

describe('SDK-serialized logs', () => {
  const records = sdkLogs();
  const fromProto = decodeRequest('logs', ProtobufLogsSerializer.serializeRequest(records)!, 'protobuf');
  const fromJson = decodeRequest('logs', JsonLogsSerializer.serializeRequest(records)!, 'json');

  it('decode to the same request from protobuf and from JSON', () => {
    const type = SIGNAL_TYPES.logs.request;
    expect(canonical(type, fromJson as never, false)).toEqual(canonical(type, fromProto as never, false));
  });

  it.each([['protobuf', fromProto], ['json', fromJson]])('carry every record field (%s)', (_enc, req) => {
    const rec = req.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(rec).toMatchObject({ eventName: 'my.event', severityNumber: 13, severityText: 'WARN', flags: 1 });
    expect(hex(rec.traceId)).toBe(TRACE);
    expect(hex(rec.spanId)).toBe('eee19b7ec3c1b174');
    expect(rec.body!.value).toBe('kvlistValue');
    const list = rec.body!.kvlistValue!.values[0]!.value!.arrayValue!.values;
    expect(list.map((v) => v.value)).toEqual(['intValue', 'stringValue', 'boolValue']);
    expect(toInt64(rec.observedTimeUnixNano)).toBeGreaterThan(0n);
  });
});

describe('export responses, as the SDK exporters read them', () => {
  it.each([
    ['traces', ProtobufTraceSerializer, JsonTraceSerializer, 'rejectedSpans'],
    ['logs', ProtobufLogsSerializer, JsonLogsSerializer, 'rejectedLogRecords'],
    ['metrics', ProtobufMetricsSerializer, JsonMetricsSerializer, 'rejectedDataPoints'],
  ] as const)('%s', (signal, proto, json, field) => {
    const partial = { rejected: 5n, message: 'dropped 5: no table' };
    const p = proto.deserializeResponse(encodeExportResponse(signal, 'protobuf', partial)) as Record<string, any>;
    expect(Number(p.partialSuccess[field])).toBe(5);
    expect(p.partialSuccess.errorMessage).toBe('dropped 5: no table');
    const j = json.deserializeResponse(encodeExportResponse(signal, 'json', partial)) as Record<string, any>;
    expect(j).toEqual({ partialSuccess: { [field]: '5', errorMessage: 'dropped 5: no table' } });
    expect(proto.deserializeResponse(encodeExportResponse(signal, 'protobuf'))).toEqual({});
    expect(json.deserializeResponse(encodeExportResponse(signal, 'json'))).toEqual({});
  });
});

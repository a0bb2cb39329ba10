// End to end: spans recorded with the OTel JS SDK and sent by its OTLP exporters land as exact otel_spans rows.
import { context, createTraceState, SpanKind, SpanStatusCode, trace, TraceFlags, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { startTestService } from '../support/service.ts';
import {
  driveSdk,
  expectExportsSucceeded,
  exportHeaders,
  GZIP,
  hrNanos,
  onlyRow,
  recordExports,
  RESOURCE_SCHEMA,
  SCOPE_SCHEMA,
  stopAndReadRows,
  strMap,
  type Row,
} from './sdk-support.ts';

const TABLE = 'main.tel.x_otel_spans';
const LINKED_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const LINKED_SPAN = '00f067aa0ba902b7';
/** Explicit times with nanosecond digits that a double on the way would round away. */
const ROOT_START: [number, number] = [1795235805, 706123456];
const ROOT_END: [number, number] = [1795235807, 1];
const EVENT_TIME: [number, number] = [1795235806, 123456789];

const resource = resourceFromAttributes({ 'service.name': 'coding-agent', 'deployment.environment': 'ci' }, { schemaUrl: RESOURCE_SCHEMA });
const COMMON = {
  trace_state: '',
  dropped_attributes_count: 0,
  dropped_events_count: 0,
  dropped_links_count: 0,
  resource: { attributes: strMap({ 'service.name': 'coding-agent', 'deployment.environment': 'ci' }), dropped_attributes_count: 0 },
  resource_schema_url: RESOURCE_SCHEMA,
  instrumentation_scope: { name: 'agent.tracer', version: '3.1.0', attributes: new Map(), dropped_attributes_count: 0 },
  span_schema_url: SCOPE_SCHEMA,
};
/** Sampled, and the OTLP bit saying whether the parent was remote is known (0x100). */
const LOCAL_SAMPLED_FLAGS = 0x101;

type Setup = [label: string, make: (url: string) => { exporter: SpanExporter; processor: SpanProcessor }];

const SETUPS: Setup[] = [
  ['protobuf, simple processor', (url) => {
    const exporter = new ProtoTraceExporter({ url: `${url}/api/2.0/otel/v1/traces`, headers: exportHeaders(TABLE) });
    return { exporter, processor: new SimpleSpanProcessor(exporter) };
  }],
  ['gzip-compressed protobuf, batch processor', (url) => {
    const exporter = new ProtoTraceExporter({ url: `${url}/api/2.0/otel/v1/traces`, headers: exportHeaders(TABLE), compression: GZIP });
    return { exporter, processor: new BatchSpanProcessor(exporter, { scheduledDelayMillis: 3_600_000 }) };
  }],
  ['JSON, batch processor', (url) => {
    const exporter = new JsonTraceExporter({ url: `${url}/v1/traces`, headers: exportHeaders(TABLE) });
    return { exporter, processor: new BatchSpanProcessor(exporter, { scheduledDelayMillis: 3_600_000 }) };
  }],
];

/** A server span with a failing client call under it and a plain internal span under that. */
function recordSpans(tracer: Tracer): void {
  const root = tracer.startSpan('agent.session', {
    kind: SpanKind.SERVER,
    startTime: ROOT_START,
    attributes: { 'session.id': 's-1', 'turns': 3, 'cost.usd': 0.25, 'interactive': true, 'models': ['opus', 'haiku'], 'ports': [80, 443] },
  });
  root.addEvent('session.start', EVENT_TIME);
  const link = {
    context: {
      traceId: LINKED_TRACE, spanId: LINKED_SPAN, traceFlags: TraceFlags.SAMPLED, isRemote: true,
      traceState: createTraceState('vendor=abc'),
    },
    attributes: { 'link.reason': 'follows', 'link.rank': 1 },
  };
  const client = tracer.startSpan('tool.call', { kind: SpanKind.CLIENT, links: [link] }, trace.setSpan(context.active(), root));
  client.addEvent('retry', { attempt: 2, reason: 'timeout', backoff: 1.5 });
  const inner = tracer.startSpan('parse.output', {}, trace.setSpan(context.active(), client));
  inner.end();
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'tool failed: exit 1' });
  client.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(ROOT_END);
}

/** The row each exported span must become, per docs/mapping.md; ids and times come from the SDK's own span. */
function expectedRow(span: ReadableSpan): Row {
  const ids = {
    trace_id: span.spanContext().traceId,
    span_id: span.spanContext().spanId,
    parent_span_id: span.parentSpanContext?.spanId ?? null,
    flags: LOCAL_SAMPLED_FLAGS,
    name: span.name,
    start_time_unix_nano: hrNanos(span.startTime),
    end_time_unix_nano: hrNanos(span.endTime),
  };
  switch (span.name) {
    case 'agent.session':
      return {
        ...COMMON, ...ids, kind: 'SPAN_KIND_SERVER',
        attributes: strMap({
          'session.id': 's-1', 'turns': '3', 'cost.usd': '0.25', 'interactive': 'true',
          'models': '["opus","haiku"]', 'ports': '[80,443]',
        }),
        events: [{ time_unix_nano: 1795235806123456789n, name: 'session.start', attributes: new Map(), dropped_attributes_count: 0 }],
        links: [],
        status: { message: '', code: 'STATUS_CODE_OK' },
      };
    case 'tool.call':
      return {
        ...COMMON, ...ids, kind: 'SPAN_KIND_CLIENT', attributes: new Map(),
        events: [{
          time_unix_nano: hrNanos(span.events[0]!.time), name: 'retry',
          attributes: strMap({ attempt: '2', reason: 'timeout', backoff: '1.5' }), dropped_attributes_count: 0,
        }],
        links: [{
          trace_id: LINKED_TRACE, span_id: LINKED_SPAN, trace_state: 'vendor=abc',
          attributes: strMap({ 'link.reason': 'follows', 'link.rank': '1' }), dropped_attributes_count: 0,
          // Sampled, remote-ness known, and remote.
          flags: 0x301,
        }],
        status: { message: 'tool failed: exit 1', code: 'STATUS_CODE_ERROR' },
      };
    case 'parse.output':
      return {
        ...COMMON, ...ids, kind: 'SPAN_KIND_INTERNAL', attributes: new Map(), events: [], links: [],
        status: { message: '', code: 'STATUS_CODE_UNSET' },
      };
    default:
      throw new Error(`unexpected span ${span.name}`);
  }
}

describe('OTel JS SDK traces through the OTLP exporters', () => {
  it.each(SETUPS)('land as one exact row per span (%s)', async (_label, make) => {
    const svc = await startTestService();
    try {
      await svc.createTable(TABLE, 'spans');
      const { exporter, processor } = make(svc.url);
      const exports = recordExports(exporter);
      const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
      const run = await driveSdk(async () => {
        recordSpans(provider.getTracer('agent.tracer', '3.1.0', { schemaUrl: SCOPE_SCHEMA }));
        await provider.forceFlush();
        await provider.shutdown();
      });
      expectExportsSucceeded(exports, svc, run);
      const exported = exports.batches.flat();
      expect(exported.map((s) => s.name).sort()).toEqual(['agent.session', 'parse.output', 'tool.call']);

      const rows = await stopAndReadRows(svc, TABLE, 'spans');
      expect(rows).toHaveLength(3);
      for (const span of exported) expect(onlyRow(rows, (r) => r.name === span.name, span.name)).toEqual(expectedRow(span));

      const byName = (name: string) => onlyRow(rows, (r) => r.name === name, name);
      const root = byName('agent.session');
      const client = byName('tool.call');
      const inner = byName('parse.output');
      expect(root.parent_span_id).toBeNull();
      expect(client.parent_span_id).toBe(root.span_id);
      expect(inner.parent_span_id).toBe(client.span_id);
      expect(new Set(rows.map((r) => r.trace_id)).size).toBe(1);
      expect(root.start_time_unix_nano).toBe(1795235805706123456n);
      expect(root.end_time_unix_nano).toBe(1795235807000000001n);
      for (const row of rows) {
        expect(row.trace_id).toMatch(/^[0-9a-f]{32}$/);
        expect(row.span_id).toMatch(/^[0-9a-f]{16}$/);
        expect(row.end_time_unix_nano as bigint).toBeGreaterThanOrEqual(row.start_time_unix_nano as bigint);
      }
    } finally {
      await svc.stop();
    }
  }, 20_000);
});

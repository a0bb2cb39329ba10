// The OTel JS gRPC exporters (plain and gzip) against the real service: every
// export succeeds, and the rows are identical to those the same batch makes
// when sent over OTLP/HTTP protobuf.
import { Metadata } from '@grpc/grpc-js';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeltaTable, type Row } from '../support/delta-check.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { rowKey } from '../golden/golden.ts';
import { GZIP } from '../e2e/sdk-support.ts';
import type { TableKind } from '../../src/tables/schema.ts';

type Result = { code: number; error?: Error };
type Exporter<T> = { export(items: T, done: (r: Result) => void): void; shutdown(): Promise<void> };

const resource = resourceFromAttributes({ 'service.name': 'claude-code', 'session.id': 's-1' });

/** Each signal's variants: the table name suffix and how it is sent. */
const VARIANTS = ['http', 'grpc', 'grpc_gzip'] as const;
type Variant = (typeof VARIANTS)[number];

const table = (kind: TableKind, v: Variant) => `main.tel.${v}_otel_${kind}`;

function grpcMetadata(name: string): Metadata {
  const md = new Metadata();
  md.set('authorization', 'Bearer unused');
  md.set('x-databricks-uc-table-name', name);
  return md;
}

const send = <T>(e: Exporter<T>, items: T): Promise<Result> => new Promise((r) => e.export(items, r));

async function logBatch(): Promise<ReadableLogRecord[]> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  const logger = provider.getLogger('agent.logs', '1.0.0');
  for (let i = 0; i < 5; i++) {
    logger.emit({ timestamp: [1795235805, 706123456 + i], severityNumber: SeverityNumber.INFO, body: `prompt ${i}`, attributes: { 'event.name': 'user_prompt', n: i, big: 9007199254740993n.toString() } });
  }
  await provider.forceFlush();
  return memory.getFinishedLogRecords();
}

async function spanBatch(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('agent.trace');
  for (let i = 0; i < 4; i++) {
    const span = tracer.startSpan(`tool ${i}`, { startTime: [1795235805, 1_000 + i], attributes: { tool: 'Bash', i } });
    span.end([1795235806, 2_000 + i]);
  }
  await provider.forceFlush();
  return memory.getFinishedSpans();
}

class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function metricBatch(): Promise<ResourceMetrics> {
  const reader = new ManualReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  const provider = new MeterProvider({ resource, readers: [reader] });
  const meter = provider.getMeter('agent.metrics');
  meter.createCounter('claude_code.token.usage').add(1234, { type: 'input', model: 'm' });
  meter.createHistogram('latency').record(12.5, { op: 'x' });
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics;
}

let svc: TestService;
let target: string;

beforeAll(async () => {
  svc = await startTestService();
  const g = svc.service.grpc!;
  target = `http://${g.host}:${g.port}`;
  for (const kind of ['logs', 'spans', 'metrics'] as const) for (const v of VARIANTS) await svc.createTable(table(kind, v), kind);
}, 60_000);

afterAll(async () => {
  await svc?.stop();
});

function exportersFor(kind: TableKind) {
  const t = (v: Variant) => table(kind, v);
  const httpHeaders = { 'X-Databricks-UC-Table-Name': t('http') };
  if (kind === 'logs') {
    return {
      http: new ProtoLogExporter({ url: `${svc.url}/v1/logs`, headers: httpHeaders }),
      grpc: new GrpcLogExporter({ url: target, metadata: grpcMetadata(t('grpc')) }),
      grpc_gzip: new GrpcLogExporter({ url: target, metadata: grpcMetadata(t('grpc_gzip')), compression: GZIP }),
    } as Record<Variant, Exporter<unknown>>;
  }
  if (kind === 'spans') {
    return {
      http: new ProtoTraceExporter({ url: `${svc.url}/v1/traces`, headers: httpHeaders }),
      grpc: new GrpcTraceExporter({ url: target, metadata: grpcMetadata(t('grpc')) }),
      grpc_gzip: new GrpcTraceExporter({ url: target, metadata: grpcMetadata(t('grpc_gzip')), compression: GZIP }),
    } as Record<Variant, Exporter<unknown>>;
  }
  return {
    http: new ProtoMetricExporter({ url: `${svc.url}/v1/metrics`, headers: httpHeaders }),
    grpc: new GrpcMetricExporter({ url: target, metadata: grpcMetadata(t('grpc')) }),
    grpc_gzip: new GrpcMetricExporter({ url: target, metadata: grpcMetadata(t('grpc_gzip')), compression: GZIP }),
  } as Record<Variant, Exporter<unknown>>;
}

describe('an exporter configured only through the environment, as agents are', () => {
  it('sends the table and token from OTEL_EXPORTER_OTLP_LOGS_HEADERS as metadata', async () => {
    const name = 'main.tel.env_otel_logs';
    await svc.createTable(name, 'logs');
    const saved = { ...process.env };
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = target;
    process.env.OTEL_EXPORTER_OTLP_LOGS_HEADERS = `Authorization=Bearer local,X-Databricks-UC-Table-Name=${name}`;
    try {
      const exporter = new GrpcLogExporter({ compression: GZIP }) as unknown as Exporter<unknown>;
      const r = await send(exporter, await logBatch());
      await exporter.shutdown();
      expect(r.error?.message).toBeUndefined();
      await svc.service.pipeline.flushTable({ catalog: 'main', schema: 'tel', table: 'env_otel_logs' });
      expect((await checkDeltaTable(svc.tableDir(name), 'logs')).rows).toHaveLength(5);
    } finally {
      process.env = saved;
    }
  }, 60_000);
});

const sorted = (rows: Row[]) => [...rows].sort((a, b) => (rowKey(a) < rowKey(b) ? -1 : rowKey(a) > rowKey(b) ? 1 : 0));

describe('OTel JS gRPC exporters', () => {
  const cases: [TableKind, () => Promise<unknown>, number][] = [
    ['logs', logBatch, 5],
    ['spans', spanBatch, 4],
    ['metrics', metricBatch, 2],
  ];
  for (const [kind, batch, rows] of cases) {
    it(`${kind}: plain and gzip gRPC exports land the same rows as OTLP/HTTP`, async () => {
      const items = await batch();
      const exporters = exportersFor(kind);
      for (const v of VARIANTS) {
        const r = await send(exporters[v], items);
        expect(r.error?.message, `${kind} over ${v}; service log:\n${svc.logs.join('\n')}`).toBeUndefined();
        expect(r.code, v).toBe(0);
        await exporters[v].shutdown();
      }
      for (const v of VARIANTS) await svc.service.pipeline.flushTable({ catalog: 'main', schema: 'tel', table: `${v}_otel_${kind}` });
      const read = async (v: Variant) => sorted((await checkDeltaTable(svc.tableDir(table(kind, v)), kind)).rows);
      const http = await read('http');
      expect(http.length).toBeGreaterThanOrEqual(rows);
      expect(await read('grpc')).toEqual(http);
      expect(await read('grpc_gzip')).toEqual(http);
    }, 60_000);
  }
});

// Round trip: real OTel SDK exporters -> serve --capture -> replay into a fresh server and a fresh warehouse -> the same rows.
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureMeta } from '../../src/capture/format.ts';
import { driveSdk, exportHeaders, GZIP } from '../e2e/sdk-support.ts';
import type { Row } from '../support/delta-check.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { removeTempDirs, replayToServer, replayToWarehouse, rowKeysByTable, tempDir, warehouseRows } from './support.ts';

const PREFIX = 'main.rt.agent';
const TABLES = { metrics: `${PREFIX}_otel_metrics`, logs: `${PREFIX}_otel_logs`, spans: `${PREFIX}_otel_spans` } as const;
const TOKEN = 'dapi-round-trip-secret';
const resource = resourceFromAttributes({ 'service.name': 'coding-agent', 'session.id': 's-42' });

async function createTables(svc: TestService): Promise<void> {
  await svc.createTable(TABLES.metrics, 'metrics');
  await svc.createTable(TABLES.logs, 'logs');
  await svc.createTable(TABLES.spans, 'spans');
}

const headers = (table: string) => ({ ...exportHeaders(table), Authorization: `Bearer ${TOKEN}` });

/** Three exporters, three encodings: gzip protobuf metrics, JSON logs, protobuf spans; several exports each. */
async function exportTelemetry(url: string): Promise<void> {
  const metricExporter = new ProtoMetricExporter({ url: `${url}/api/2.0/otel/v1/metrics`, headers: headers(TABLES.metrics), compression: GZIP });
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meters = new MeterProvider({ resource, readers: [reader] });
  const logExporter = new JsonLogExporter({ url: `${url}/v1/logs`, headers: headers(TABLES.logs) });
  const loggers = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: logExporter, scheduledDelayMillis: 3_600_000 })] });
  const traceExporter = new ProtoTraceExporter({ url: `${url}/api/2.0/otel/v1/traces`, headers: headers(TABLES.spans) });
  const tracers = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(traceExporter)] });

  const run = await driveSdk(async () => {
    const meter = meters.getMeter('agent.metrics', '1.2.0');
    const tokens = meter.createCounter('agent.token.usage', { unit: 'tokens' });
    const latency = meter.createHistogram('agent.request.duration', { unit: 'ms' });
    const logger = loggers.getLogger('agent.events', '1.2.0');
    const tracer = tracers.getTracer('agent.tracer', '1.2.0');
    for (let round = 0; round < 3; round++) {
      tokens.add(100 + round, { type: 'input', model: 'opus' });
      tokens.add(7 * round, { type: 'output', model: 'opus' });
      latency.record(12.5 * (round + 1), { tool: 'Bash' });
      logger.emit({ severityNumber: SeverityNumber.INFO, body: `prompt ${round}`, attributes: { 'event.name': 'user_prompt', round } });
      logger.emit({ severityNumber: SeverityNumber.WARN, body: { tool: 'Edit', ok: false }, attributes: { round } });
      const span = tracer.startSpan(`turn ${round}`, { attributes: { round } });
      span.addEvent('tool.start', { tool: 'Bash' });
      span.end();
      await meters.forceFlush();
      await loggers.forceFlush();
    }
    await Promise.all([meters.shutdown(), loggers.shutdown(), tracers.shutdown()]);
  });
  if (run.error !== undefined) throw run.error;
}

let captureDir: string;
let original: Map<string, Row[]>;

beforeAll(async () => {
  captureDir = await tempDir('capture');
  const svc = await startTestService({ capture: captureDir });
  try {
    await createTables(svc);
    await exportTelemetry(svc.url);
  } finally {
    await svc.stop({ keep: true });
  }
  original = await warehouseRows(svc.warehouse);
  await rm(svc.warehouse, { recursive: true, force: true });
}, 60_000);

afterAll(removeTempDirs);

const captureFiles = () => readdirSync(captureDir).sort();
const metas = () =>
  captureFiles()
    .filter((f) => f.endsWith('.meta.json'))
    .map((f) => JSON.parse(readFileSync(path.join(captureDir, f), 'utf8')) as CaptureMeta);

describe('serve --capture', () => {
  it('records every accepted request as a numbered meta/body pair, body as received', () => {
    const all = metas();
    expect(all.length).toBeGreaterThanOrEqual(9);
    expect(all.map((m) => m.seq)).toEqual(all.map((_, i) => i + 1));
    expect(captureFiles().filter((f) => !/^\d{4}\.(meta\.json|body\.bin)$/.test(f))).toEqual([]);
    for (const m of all) {
      const body = readFileSync(path.join(captureDir, `${String(m.seq).padStart(4, '0')}.body.bin`));
      expect(body.length).toBe(m.bodyLength);
      expect(m.table).toBe(TABLES[m.signal === 'traces' ? 'spans' : m.signal!]);
      expect(m.tableHeader).toBe(m.table);
      expect(Number.isNaN(Date.parse(m.receivedAt))).toBe(false);
      expect(m.headers['content-type']).toBe(m.contentType);
      if (m.signal === 'metrics') {
        expect(m.contentEncoding).toBe('gzip');
        expect([...body.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
      }
      expect(m.rejected).toBe(0);
    }
    expect(new Set(all.map((m) => m.signal))).toEqual(new Set(['metrics', 'logs', 'traces']));
    expect([...original.keys()].sort()).toEqual(Object.values(TABLES).sort());
    expect(original.get(TABLES.metrics)!.length).toBeGreaterThanOrEqual(9);
    expect(original.get(TABLES.logs)).toHaveLength(6);
    expect(original.get(TABLES.spans)).toHaveLength(3);
  });

  it('never writes the Authorization header or its value', () => {
    for (const m of metas()) {
      expect(Object.keys(m.headers)).not.toContain('authorization');
      expect(m.rawHeaders.map((h) => h.toLowerCase())).not.toContain('authorization');
    }
    for (const f of captureFiles()) expect(readFileSync(path.join(captureDir, f)).includes(TOKEN)).toBe(false);
  });
});

describe('replaying the capture', () => {
  it('into a fresh server lands the same rows', async () => {
    const svc = await startTestService();
    try {
      await createTables(svc);
      const stats = await replayToServer([captureDir], svc.url);
      expect(stats).toMatchObject({ requests: metas().length, rejectedRequests: 0, rejectedRecords: 0, uncounted: 0 });
      expect(stats.records).toBe([...original.values()].reduce((n, rows) => n + rows.length, 0));
      await svc.stop({ keep: true });
      expect(rowKeysByTable(await warehouseRows(svc.warehouse))).toEqual(rowKeysByTable(original));
    } finally {
      await svc.stop();
    }
  });

  it('into a fresh warehouse, without HTTP, lands the same rows', async () => {
    const warehouse = await tempDir('replay-wh');
    const stats = await replayToWarehouse([captureDir], warehouse);
    expect(stats).toMatchObject({ requests: metas().length, rejectedRequests: 0, rejectedRecords: 0 });
    expect(rowKeysByTable(await warehouseRows(warehouse))).toEqual(rowKeysByTable(original));
  });
});

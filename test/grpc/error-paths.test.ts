// OTLP/gRPC refusals with a raw client: status codes per the OTLP spec, retry
// information only where a retry can help, bounded memory for oversized and
// decompression-bomb messages, and no input that takes the server down.
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { grpcTarget, pathOf, rawClient, Status, type RawClient } from './grpc-client.ts';
import { frame, h2Call } from './raw-h2.ts';
import { prng } from '../support/prng.ts';

const LIMIT = 1024 * 1024;
const LOGS = 'main.tel.err_otel_logs';
const METRICS = 'main.tel.err_otel_metrics';
let svc: TestService;
let client: RawClient;

const logsBody = (text = 'hello') => {
  const t = SIGNAL_TYPES.logs.request;
  return t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000001', body: { stringValue: text } }] }] }] })).finish();
};
const table = (name: string) => ({ 'x-databricks-uc-table-name': name });

beforeAll(async () => {
  svc = await startTestService({ maxBodyBytes: LIMIT });
  await svc.createTable(LOGS, 'logs');
  await svc.createTable(METRICS, 'metrics');
  client = rawClient(grpcTarget(svc));
}, 60_000);

afterAll(async () => {
  client?.close();
  await svc?.stop();
});

describe('routing', () => {
  it('takes the table from either metadata key', async () => {
    expect((await client.send('logs', logsBody(), table(LOGS))).code).toBe(Status.OK);
    expect((await client.send('logs', logsBody(), { 'x-databricks-zerobus-table-name': LOGS })).code).toBe(Status.OK);
  });

  it('names the missing metadata with INVALID_ARGUMENT when no table is given and no default is configured', async () => {
    const a = await client.send('logs', logsBody(), {});
    expect(a.code).toBe(Status.INVALID_ARGUMENT);
    expect(a.details).toMatch(/missing x-databricks-uc-table-name metadata/);
    expect(a.retryDelay).toBeUndefined();
  });

  it('answers a malformed table name INVALID_ARGUMENT and an unknown table NOT_FOUND', async () => {
    const bad = await client.send('logs', logsBody(), table('not-a-table'));
    expect(bad.code).toBe(Status.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/x-databricks-uc-table-name metadata must be three dot-separated names/);
    const missing = await client.send('logs', logsBody(), table('main.tel.nothing_otel_logs'));
    expect(missing.code).toBe(Status.NOT_FOUND);
  });

  it('refuses logs sent to a metrics table INVALID_ARGUMENT', async () => {
    expect((await client.send('logs', logsBody(), table(METRICS))).code).toBe(Status.INVALID_ARGUMENT);
  });
});

describe('answers', () => {
  it('reports partial success with the rejected count and reason', async () => {
    const t = SIGNAL_TYPES.metrics.request;
    const body = t.encode(t.fromObject({
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'metric.without.data' }, { name: 'ok.gauge', gauge: { dataPoints: [{ timeUnixNano: '1700000000000000001', asDouble: 1.5 }] } }] }] }],
    })).finish();
    const a = await client.send('metrics', body, table(METRICS));
    expect(a.code).toBe(Status.OK);
    expect(a.response).toMatchObject({ partialSuccess: { rejectedDataPoints: '1', errorMessage: expect.stringMatching(/metric\.without\.data/) } });
  });

  it('answers a body that is not protobuf INVALID_ARGUMENT', async () => {
    const a = await client.send('logs', Buffer.from([0xff, 0xff, 0xff, 0x07]), table(LOGS));
    expect(a.code).toBe(Status.INVALID_ARGUMENT);
    expect(a.details).toMatch(/could not decode ExportLogsServiceRequest/);
  });

  it('reports gRPC calls in the request metrics under the method path', async () => {
    const { body } = await svc.service.metrics.exposition();
    expect(body).toMatch(/otlp2delta_http_requests_total\{route="\/opentelemetry\.proto\.collector\.logs\.v1\.LogsService\/Export",status="200",reason=""\} \d+/);
    expect(body).toMatch(/route="\/opentelemetry\.proto\.collector\.logs\.v1\.LogsService\/Export",status="404",reason="not_found"/);
  });
});

describe('limits', () => {
  it('refuses a message one byte over the limit RESOURCE_EXHAUSTED without retry info, and takes one at the limit', async () => {
    const over = await client.send('logs', randomBytes(LIMIT + 1), table(LOGS));
    expect(over.code).toBe(Status.RESOURCE_EXHAUSTED);
    expect(over.retryDelay).toBeUndefined();
    const at = await client.send('logs', randomBytes(LIMIT), table(LOGS));
    expect(at.code).not.toBe(Status.RESOURCE_EXHAUSTED);
    expect(svc.logs.some((l) => l.includes('LogsService/Export') && l.includes(`larger than ${LIMIT} bytes`))).toBe(true);
  });

  it('stops a gzip bomb at the limit: RESOURCE_EXHAUSTED and no memory growth', async () => {
    // Concatenated gzip members inflate as one stream: 512 MiB of zeros from about half a MiB.
    const member = gzipSync(Buffer.alloc(8 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    expect(bomb.length).toBeLessThan(LIMIT);
    const before = process.memoryUsage().rss;
    // Sampled while the calls run: what was inflated and then freed would not show afterwards.
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
    for (let i = 0; i < 3; i++) {
      const a = await h2Call(grpcTarget(svc), pathOf('logs'), frame(bomb, true), { 'grpc-encoding': 'gzip', ...table(LOGS) });
      expect(a.grpcStatus).toBe(Status.RESOURCE_EXHAUSTED);
      expect(a.grpcMessage).toMatch(/decompresses to a size larger than/);
    }
    clearInterval(sampler);
    // Inflating it would take 512 MiB each time; the limit keeps it to about one.
    expect(Math.max(peak, process.memoryUsage().rss) - before).toBeLessThan(128 * 1024 * 1024);
  });
});

describe('hostile input', () => {
  it('answers random bodies and broken frames and keeps serving', async () => {
    const rnd = prng(7);
    const codes = new Set<number>();
    for (let i = 0; i < 150; i++) {
      const n = rnd.int(4096);
      const body = Buffer.from(Array.from({ length: n }, () => rnd.int(256)));
      const a = await client.send(i % 2 ? 'logs' : 'metrics', body, table(i % 2 ? LOGS : METRICS));
      codes.add(a.code);
    }
    for (const c of codes) expect([Status.OK, Status.INVALID_ARGUMENT]).toContain(c);
    const target = grpcTarget(svc);
    const path = pathOf('logs');
    const broken = [
      h2Call(target, path, frame(randomBytes(100), true), { 'grpc-encoding': 'gzip', ...table(LOGS) }),
      h2Call(target, path, frame(Buffer.from(logsBody()), true), { 'grpc-encoding': 'br', ...table(LOGS) }),
      h2Call(target, path, frame(Buffer.from(logsBody()), false, 1_000), table(LOGS)),
      h2Call(target, path, Buffer.from([0, 0, 0]), table(LOGS)),
      h2Call(target, path, Buffer.concat([frame(Buffer.from(logsBody())), frame(Buffer.from(logsBody()))]), table(LOGS)),
      h2Call(target, '/opentelemetry.proto.collector.logs.v1.LogsService/Nope', frame(Buffer.from(logsBody())), table(LOGS)),
    ];
    for (const a of await Promise.all(broken)) expect(a.grpcStatus === undefined ? a.error : a.grpcStatus).not.toBe(Status.OK);
    expect((await client.send('logs', logsBody('still here'), table(LOGS))).code).toBe(Status.OK);
  });
});

describe('a full staging backlog', () => {
  it('waits for room a bounded time, then refuses RESOURCE_EXHAUSTED with a decodable RetryInfo', async () => {
    const budget = svc.service.pipeline.budget;
    const fill = budget.max;
    budget.reserve(fill);
    try {
      const started = Date.now();
      const a = await client.send('logs', logsBody(), table(LOGS));
      expect(a.code).toBe(Status.RESOURCE_EXHAUSTED);
      expect(a.retryDelay).toBeGreaterThanOrEqual(1);
      // It waited (GRPC_BACKLOG_WAIT_MS, 2.5 s) but well within an exporter's 10 s deadline.
      expect(Date.now() - started).toBeGreaterThan(1_500);
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      budget.release(fill);
    }
  });

  it('takes the export once room frees up within the wait', async () => {
    const budget = svc.service.pipeline.budget;
    const fill = budget.max;
    budget.reserve(fill);
    const freed = setTimeout(() => budget.release(fill), 400);
    try {
      const a = await client.send('logs', logsBody('after the wait'), table(LOGS));
      expect(a.code).toBe(Status.OK);
    } finally {
      clearTimeout(freed);
      budget.release(0);
    }
  });
});

// The gRPC listener against a stand-in ingestor, for what the real pipeline
// cannot be made to do on cue: a policy's rate limit, a backlog that clears
// after two tries, an ingest that never ends (stop's deadline), a stopping
// server, an internal error, a full in-flight budget.
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpError } from '../../src/errors.ts';
import { PlainTokenWarnings } from '../../src/http/auth.ts';
import { startGrpcServer, type GrpcListener } from '../../src/grpc/server.ts';
import type { ExportCallDeps } from '../../src/grpc/export-call.ts';
import { InflightBudget } from '../../src/ingest/budget.ts';
import type { IngestRequest, IngestResult } from '../../src/ingest/pipeline.ts';
import { eventLogFromLines } from '../../src/observe/event-log.ts';
import { rawClient, Status, type RawClient } from './grpc-client.ts';

const TABLE = { 'x-databricks-uc-table-name': 'main.tel.x_otel_logs' };
const BODY = Buffer.from([0x0a, 0x00]);

let listener: GrpcListener | undefined;
let client: RawClient | undefined;

afterEach(async () => {
  client?.close();
  await listener?.stop(1_000);
  listener = undefined;
  client = undefined;
});

type Setup = { ingest: (req: IngestRequest, n: number) => Promise<IngestResult>; accepting?: () => boolean; inflightMax?: number };

async function start(s: Setup) {
  const lines: string[] = [];
  const access: string[] = [];
  let calls = 0;
  const deps: ExportCallDeps = {
    ingestor: { ingest: (req) => s.ingest(req, ++calls) },
    bodyBytesMax: 1024 * 1024,
    inflight: new InflightBudget(s.inflightMax ?? 1024 * 1024),
    admission: { accepting: s.accepting ?? (() => true), warnings: new PlainTokenWarnings((l) => lines.push(l)) },
    sinks: { access: eventLogFromLines((l) => access.push(l)) },
    log: (l) => lines.push(l),
    secure: false,
    backlog: { waitMs: 1_000, firstRetryMs: 20, retryMaxMs: 100 },
  };
  listener = await startGrpcServer({ host: '127.0.0.1', port: 0, deps });
  client = rawClient(`127.0.0.1:${listener.port}`);
  return { lines, access, calls: () => calls, client };
}

const ok: IngestResult = { rows: 1, rejected: 0, message: '' };

describe('gRPC call handling', () => {
  it('answers a rate limit RESOURCE_EXHAUSTED with its RetryInfo at once, without waiting', async () => {
    const s = await start({ ingest: () => Promise.reject(new OtlpError('rate_limited', 'over the policy rate', { retryAfterSeconds: 3 })) });
    const a = await s.client.send('logs', BODY, TABLE);
    expect(a).toMatchObject({ code: Status.RESOURCE_EXHAUSTED, retryDelay: 3 });
    expect(s.calls()).toBe(1);
  });

  it('retries a full backlog until it clears within the wait', async () => {
    const s = await start({ ingest: (_r, n) => (n < 3 ? Promise.reject(new OtlpError('overloaded', 'full', { retryAfterSeconds: 1 })) : Promise.resolve(ok)) });
    expect((await s.client.send('logs', BODY, TABLE)).code).toBe(Status.OK);
    expect(s.calls()).toBe(3);
  });

  it('answers UNAVAILABLE with RetryInfo while the server is stopping', async () => {
    const s = await start({ ingest: () => Promise.resolve(ok), accepting: () => false });
    const a = await s.client.send('logs', BODY, TABLE);
    expect(a.code).toBe(Status.UNAVAILABLE);
    expect(a.retryDelay).toBeGreaterThanOrEqual(1);
    expect(s.calls()).toBe(0);
  });

  it('answers an unexpected failure INTERNAL without its text, and logs it', async () => {
    const s = await start({ ingest: () => Promise.reject(new Error('secret internals')) });
    const a = await s.client.send('logs', BODY, TABLE);
    expect(a.code).toBe(Status.INTERNAL);
    expect(a.details).not.toContain('secret internals');
    expect(s.lines.some((l) => l.includes('secret internals'))).toBe(true);
  });

  it('refuses a call that does not fit the in-flight budget beside one that holds it', async () => {
    let release: () => void = () => {};
    const held = new Promise<IngestResult>((r) => (release = () => r(ok)));
    const s = await start({ ingest: (_r, n) => (n === 1 ? held : Promise.resolve(ok)), inflightMax: 1500 });
    const first = s.client.send('logs', Buffer.alloc(1000), TABLE);
    await new Promise((r) => setTimeout(r, 200));
    const second = await s.client.send('logs', Buffer.alloc(1000), TABLE);
    expect(second).toMatchObject({ code: Status.RESOURCE_EXHAUSTED, retryDelay: 1 });
    release();
    expect((await first).code).toBe(Status.OK);
    expect((await s.client.send('logs', Buffer.alloc(1000), TABLE)).code).toBe(Status.OK);
  });

  it('writes an access line per call with the gRPC method path', async () => {
    const s = await start({ ingest: () => Promise.resolve(ok) });
    await s.client.send('logs', BODY, TABLE);
    expect(s.access.some((l) => /^grpc \/opentelemetry\.proto\.collector\.logs\.v1\.LogsService\/Export 200 /.test(l))).toBe(true);
  });

  it('lets a call in flight finish when stopping, then closes', async () => {
    const s = await start({ ingest: () => new Promise((r) => setTimeout(() => r(ok), 500)) });
    const call = s.client.send('logs', BODY, TABLE);
    await new Promise((r) => setTimeout(r, 100));
    const stopped = listener!.stop(5_000);
    expect((await call).code).toBe(Status.OK);
    await stopped;
  });

  it('cuts off a call that outlasts the stop deadline', async () => {
    const s = await start({ ingest: () => new Promise(() => {}) });
    const call = s.client.send('logs', BODY, TABLE);
    await new Promise((r) => setTimeout(r, 100));
    const since = Date.now();
    await listener!.stop(300);
    expect(Date.now() - since).toBeLessThan(3_000);
    expect((await call).code).not.toBe(Status.OK);
    expect(s.lines.some((l) => /cut off/.test(l))).toBe(true);
  });
});

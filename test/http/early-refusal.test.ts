// Refusals answered before the body is read: the client must be able to read
// them (the rest of the body is drained, within bounds), the connection stays
// usable when the body was drained to its end, and each refusal is logged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_BYTES_MAX, BODY_DRAIN_BYTES_MAX, BODY_DRAIN_TIMEOUT_MS, REJECTION_LOG_BURST } from '../../src/config/limits.ts';
import { rpcStatus } from '../e2e/http-support.ts';
import { loadCaptures } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { startChildService, type ChildService } from './child-service.ts';
import { connect, parseAnswers, postHead } from './raw.ts';

const MiB = 1024 * 1024;
const METRICS = '/api/2.0/otel/v1/metrics';
const TABLE = 'main.http.early';
const BODY = loadCaptures().find((c) => c.id === 'claude-code/proto-basic/0004')!.body;
const HEADERS = { 'content-type': 'application/x-protobuf', 'x-databricks-uc-table-name': TABLE };

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
  await svc.createTable(TABLE, 'metrics');
});

afterAll(async () => {
  await svc?.stop();
});

describe('a body over the limit announced by Content-Length, to a server in its own process', () => {
  let child: ChildService;
  beforeAll(async () => {
    child = await startChildService();
  }, 60_000);
  afterAll(async () => {
    await child?.stop();
  });

  it('gets a 413 that fetch reads, every time (no EPIPE or reset before the answer)', async () => {
    const big = Buffer.alloc(BODY_BYTES_MAX + MiB, 0x20);
    const outcomes: string[] = [];
    for (let i = 0; i < 12; i++) {
      try {
        const res = await fetch(`${child.url}${METRICS}`, { method: 'POST', headers: HEADERS, body: big });
        const status = rpcStatus({ status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) });
        outcomes.push(`${res.status} ${status.code} ${status.message}`);
      } catch (e) {
        outcomes.push(`network error ${String((e as { cause?: { code?: string } }).cause?.code ?? e)}`);
      }
    }
    expect(outcomes).toEqual(Array(12).fill(`413 8 request body of ${big.length} bytes is over the limit of ${BODY_BYTES_MAX} bytes`));
    const logged = () => child.stderr().split('\n').filter((l) => l.includes(`refused 413 POST ${METRICS}: request body of ${big.length} bytes`));
    // The child's log reaches us through a pipe, a little after its answers.
    // Identical refusals are logged up to the rate limit's burst, not one line each.
    for (let i = 0; i < 100 && logged().length < REJECTION_LOG_BURST; i++) await new Promise((r) => setTimeout(r, 50));
    expect(logged()).toHaveLength(REJECTION_LOG_BURST);
  }, 60_000);
});

describe('the unread body of a refused request', () => {
  it('is drained to its end, and the same connection then serves the next request', async () => {
    const c = await connect(svc.url);
    const unread = Buffer.alloc(3 * MiB, 0x7b);
    await c.write(postHead(METRICS, { 'content-type': 'text/plain', 'x-databricks-uc-table-name': TABLE, 'content-length': unread.length }));
    await c.write(unread);
    await c.write(Buffer.concat([Buffer.from(postHead(METRICS, { ...HEADERS, 'content-length': BODY.length })), BODY]));
    const deadline = Date.now() + 10_000;
    while (parseAnswers(c.received()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const [refused, served] = parseAnswers(c.received());
    expect(refused?.status).toBe(415);
    expect(JSON.parse(refused!.body.toString('utf8'))).toMatchObject({ code: 3, message: expect.stringMatching(/text\/plain/) });
    expect(served?.status).toBe(200);
    c.socket.destroy();
    expect(svc.logs).toContainEqual(expect.stringMatching(/^refused 415 POST \/api\/2\.0\/otel\/v1\/metrics: unsupported Content-Type "text\/plain"/));
  });

  it('is drained only up to its byte bound: an endless upload loses its connection after the answer', async () => {
    const c = await connect(svc.url);
    await c.write(postHead(METRICS, { ...HEADERS, 'content-length': 4 * BODY_DRAIN_BYTES_MAX }));
    const chunk = Buffer.alloc(MiB, 0x20);
    let sent = 0;
    let closed = false;
    void c.closed.then(() => (closed = true));
    while (!closed && sent < 4 * BODY_DRAIN_BYTES_MAX) {
      await c.write(chunk).catch(() => (closed = true));
      sent += chunk.length;
    }
    await c.closed;
    expect(sent).toBeGreaterThan(BODY_DRAIN_BYTES_MAX);
    expect(sent).toBeLessThan(4 * BODY_DRAIN_BYTES_MAX);
    // The answer came first and was read while the upload went on.
    expect(parseAnswers(c.received())[0]?.status).toBe(413);
    expect(svc.logs).toContainEqual(expect.stringMatching(/^closing the connection of a refused POST \/api\/2\.0\/otel\/v1\/metrics: the unread body went past 67108864 bytes/));
  }, 60_000);

  it('is drained only up to its time bound: a stalled refused upload loses its connection', async () => {
    const c = await connect(svc.url);
    await c.write(postHead(METRICS, { 'content-type': 'text/plain', 'x-databricks-uc-table-name': TABLE, 'content-length': MiB }) + 'abc');
    const t0 = Date.now();
    expect((await c.answer()).status).toBe(415);
    const closed = await c.closed;
    expect(closed.at - t0).toBeGreaterThanOrEqual(BODY_DRAIN_TIMEOUT_MS - 500);
    expect(closed.at - t0).toBeLessThan(BODY_DRAIN_TIMEOUT_MS + 5000);
    expect(svc.logs).toContainEqual(expect.stringMatching(/^closing the connection of a refused POST .*did not end within 5000 ms \(3 bytes discarded\)/));
  }, 30_000);
});

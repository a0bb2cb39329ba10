// 256 uploads that each send 1 MiB and stop hold the whole in-flight budget of a
// service with default limits; other clients must still be served, and every
// stalled upload must get a 408 in the OTLP shape and lose its connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_IDLE_TIMEOUT_MS, BODY_STALL_RECLAIM_MS, INFLIGHT_BYTES_MAX } from '../../src/config/limits.ts';
import { loadCaptures } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { connect, postHead, type RawAnswer, type RawConnection } from './raw.ts';

const MiB = 1024 * 1024;
const STALLED = 256;
const METRICS = '/api/2.0/otel/v1/metrics';
const TABLE = 'main.http.stalled';
const BODY = loadCaptures().find((c) => c.id === 'claude-code/proto-basic/0004')!.body;

let svc: TestService;
let stalled: RawConnection[] = [];
let startedAt = 0;

beforeAll(async () => {
  svc = await startTestService();
  await svc.createTable(TABLE, 'metrics');
});

afterAll(async () => {
  for (const c of stalled) c.socket.destroy();
  await svc?.stop();
});

const post = async (): Promise<{ status: number; text: string }> => {
  const res = await fetch(`${svc.url}${METRICS}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'x-databricks-uc-table-name': TABLE },
    body: BODY,
  });
  return { status: res.status, text: Buffer.from(await res.arrayBuffer()).toString('latin1') };
};

describe('uploads that stall with the in-flight budget full', () => {
  it('hold exactly the budget: 256 × 1 MiB with the default limits', () => {
    expect(STALLED * MiB).toBe(INFLIGHT_BYTES_MAX);
  });

  it('do not keep active clients from getting 200', async () => {
    const chunk = Buffer.alloc(MiB, 0x20);
    startedAt = Date.now();
    stalled = await Promise.all(
      Array.from({ length: STALLED }, async () => {
        const c = await connect(svc.url);
        await c.write(postHead(METRICS, { 'content-type': 'application/json', 'x-databricks-uc-table-name': TABLE, 'content-length': 2 * MiB }));
        await c.write(chunk);
        return c;
      }),
    );
    // Long enough for the server to have read every byte and to count them as stalled.
    await new Promise((r) => setTimeout(r, BODY_STALL_RECLAIM_MS + 1500));
    expect(Date.now() - startedAt, 'the stalled uploads took too long to send for this test to mean anything').toBeLessThan(BODY_IDLE_TIMEOUT_MS - 2000);
    const answers = await Promise.all(Array.from({ length: 20 }, post));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    // They were served by taking memory from stalled uploads, before those reached their own idle limit.
    expect(Date.now() - startedAt).toBeLessThan(BODY_IDLE_TIMEOUT_MS);
    const early = stalled.filter((c) => c.received().length > 0);
    expect(early.length, 'no stalled upload was reclaimed, so the budget was not full').toBeGreaterThan(0);
    expect(early.length).toBeLessThan(STALLED);
    for (const c of early) {
      const a = await c.answer();
      expect(a.status).toBe(408);
      expect(JSON.parse(a.body.toString('utf8'))).toMatchObject({ code: 4, message: expect.stringMatching(/stalled .*waited for the memory/) });
    }
  }, 60_000);

  it('each get a 408 google.rpc.Status, and their connections are closed', async () => {
    const outcomes = await Promise.all(
      stalled.map(async (c): Promise<{ answer: RawAnswer; closedAfterMs: number }> => {
        const answer = await c.answer(40_000);
        const closed = await c.closed;
        return { answer, closedAfterMs: closed.at - startedAt };
      }),
    );
    for (const { answer, closedAfterMs } of outcomes) {
      expect(answer.status).toBe(408);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(answer.body.toString('utf8'))).toMatchObject({ code: 4, message: expect.stringMatching(/stalled/) });
      expect(closedAfterMs).toBeLessThan(40_000);
    }
    expect(svc.logs.filter((l) => /^refused 408 POST \/api\/2\.0\/otel\/v1\/metrics: request body stalled/.test(l))).toHaveLength(STALLED);
    // And the memory they held is back: a request as large as the budget allows passes.
    expect((await post()).status).toBe(200);
  }, 60_000);
});

// The per-table commit queue is one batch deep: while a commit runs and the
// next batch is already full, a request waits up to BACKLOG_WAIT_MS for room
// and is then refused with 429 and Retry-After instead of piling up
// acknowledged-but-invisible rows; once the commit is through, exports are
// taken again and everything acknowledged lands.
import { afterEach, describe, expect, it } from 'vitest';
import { BACKLOG_WAIT_MS } from '../../src/config/limits.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { captureRecords, loadCaptures, replayCapture, type Capture } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

/**
 * A service where one row makes a full batch, with DuckDB's queue held so the
 * commit the first export starts cannot finish, and two exports already
 * taken: the first batch is sealed and waiting on the queue, the second
 * waits behind it, so the commit queue is full.
 */
async function fullQueue() {
  svc = await startTestService({ flushIntervalMs: 3_600_000, flushRowsMax: 1 });
  const dir = await svc.createTable('main.agent_telemetry.codex_otel_logs', 'logs');
  const [a, b] = loadCaptures().filter((c) => c.id.startsWith('codex/json-basic/') && c.signal === 'logs') as [Capture, Capture];
  const pipeline = svc.service.pipeline;
  let release!: () => void;
  const held = pipeline.lane.run(() => new Promise<void>((r) => (release = r)));
  expect((await replayCapture(svc.url, a)).status).toBe(200);
  expect((await replayCapture(svc.url, b)).status).toBe(200);
  /** Lets the queue go and commits everything staged. */
  const drain = async () => {
    release();
    await held;
    await pipeline.flushAll();
    await pipeline.flushAll();
  };
  return { url: svc.url, dir, a, b, pipeline, release: () => release(), drain };
}

describe('commit backlog', () => {
  it('refuses rows behind a running commit and a full batch after the wait, then takes them again', async () => {
    const { url, dir, a, b, pipeline, drain } = await fullQueue();
    const asked = performance.now();
    const refused = await replayCapture(url, a);
    // It waited for room first.
    expect(performance.now() - asked).toBeGreaterThanOrEqual(BACKLOG_WAIT_MS - 50);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.text()).toContain('retry later');

    await drain();
    expect((await replayCapture(url, a)).status).toBe(200);
    await pipeline.flushAll();
    expect(await pipeline.pendingRows()).toBe(0);
    // a, b and the a taken after the commit: the refused one never landed.
    expect((await checkDeltaTable(dir, 'logs')).rows.length).toBe(2 * captureRecords(a) + captureRecords(b));
  });

  it('takes a request that waited for room once the commit ahead of it goes through', async () => {
    const { url, dir, a, b, pipeline, release, drain } = await fullQueue();
    const waiting = replayCapture(url, a);
    // Well inside the wait: the queue frees and the waiting request is taken.
    setTimeout(release, BACKLOG_WAIT_MS / 4);
    expect((await waiting).status).toBe(200);
    await drain();
    expect(await pipeline.pendingRows()).toBe(0);
    expect((await checkDeltaTable(dir, 'logs')).rows.length).toBe(2 * captureRecords(a) + captureRecords(b));
  });
});

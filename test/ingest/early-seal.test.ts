// A full batch behind a running commit is sealed at once and its records are
// copied out for DuckDB while that commit still runs, so the copy is off the
// commit path; the batch then commits right after, in order, exactly once.
import { promises as fsp } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDeltaTable } from '../support/delta-check.ts';
import { captureRecords, loadCaptures, replayCapture, type Capture } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

const LOAD_FILE = /^\.otlp2delta-load-.+-(\d+)\.ndjson$/;

/** Segment numbers of the load files now in the table folder. */
async function loadFiles(dir: string): Promise<number[]> {
  const names = await fsp.readdir(dir);
  return names.flatMap((n) => {
    const m = LOAD_FILE.exec(n);
    return m ? [Number(m[1])] : [];
  });
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One request per batch, DuckDB's queue held: the first batch's commit cannot reach its Parquet. */
async function heldService() {
  svc = await startTestService({ flushIntervalMs: 3_600_000, flushRowsMax: 1 });
  const dir = await svc.createTable('main.agent_telemetry.codex_otel_logs', 'logs');
  const [a, b] = loadCaptures().filter((c) => c.id.startsWith('codex/json-basic/') && c.signal === 'logs') as [Capture, Capture];
  let release!: () => void;
  const held = svc.service.pipeline.lane.run(() => new Promise<void>((r) => (release = r)));
  return { svc, dir, a, b, release: async () => (release(), await held) };
}

/** Each row's event and log time, in table order (file by file as committed). */
async function rowsInOrder(dir: string): Promise<string[]> {
  const { rows } = await checkDeltaTable(dir, 'logs');
  return rows.map((r) => `${String(r.event_name)}@${String(r.time_unix_nano)}`);
}

describe('a full batch behind a running commit', () => {
  it('is copied out for DuckDB while the commit ahead of it waits, then commits next, once', async () => {
    const { svc, dir, a, b, release } = await heldService();
    expect((await replayCapture(svc.url, a)).status).toBe(200);
    // The first batch's load file is written and its commit waits for the queue.
    await until('the first load file', async () => (await loadFiles(dir)).length === 1);
    const [first] = await loadFiles(dir);
    expect((await replayCapture(svc.url, b)).status).toBe(200);
    // The second batch is sealed and copied out although the first has not reached its Parquet.
    await until('the second load file', async () => (await loadFiles(dir)).length === 2);
    const files = (await loadFiles(dir)).sort((x, y) => x - y);
    expect(files).toEqual([first, (first as number) + 1]);
    expect(svc.service.pipeline.budget.usedBytes).toBeGreaterThan(0);

    await release();
    await svc.service.pipeline.flushAll();
    expect(await svc.service.pipeline.pendingRows()).toBe(0);
    expect(await loadFiles(dir)).toEqual([]);
    // A's rows, then B's, each exactly once.
    const alone = await startAlone([a, b]);
    expect(await rowsInOrder(dir)).toEqual(alone);
  });

  it('is committed by a stop that comes while the batch ahead is still held', async () => {
    const { svc, dir, a, b, release } = await heldService();
    expect((await replayCapture(svc.url, a)).status).toBe(200);
    expect((await replayCapture(svc.url, b)).status).toBe(200);
    await until('both load files', async () => (await loadFiles(dir)).length === 2);
    const stopping = svc.service.stop();
    await release();
    expect(await stopping).toBe(true);
    expect(await loadFiles(dir)).toEqual([]);
    expect(await rowsInOrder(dir)).toEqual(await startAlone([a, b]));
  });

  it('does not keep a flush waiting while more full batches keep arriving', async () => {
    const { svc, dir, a, b, release } = await heldService();
    expect((await replayCapture(svc.url, a)).status).toBe(200);
    await release();
    // Batches keep being sealed early as the commits run; a flush asked for meanwhile still returns.
    let sending = true;
    let sent = 1;
    const sender = (async () => {
      while (sending) {
        const res = await replayCapture(svc.url, sent % 2 === 0 ? a : b);
        if (res.status === 200) sent += 1;
      }
    })();
    const commits = async () => (await fsp.readdir(`${dir}/_delta_log`)).filter((n) => /^\d{20}\.json$/.test(n)).length;
    try {
      await until('a few commits', async () => (await commits()) >= 4);
      // Asked while full batches keep coming: it returns once what was staged before it is in.
      const flushed = await Promise.race([
        svc.service.pipeline.flushAll().then(() => 'flushed'),
        new Promise((r) => setTimeout(() => r('still waiting after 10 s'), 10_000)),
      ]);
      expect(flushed).toBe('flushed');
      expect(sending).toBe(true);
    } finally {
      sending = false;
    }
    await sender;
    await svc.service.pipeline.flushAll();
    const expected = Array.from({ length: sent }, (_, i) => captureRecords(i % 2 === 0 ? a : b)).reduce((x, y) => x + y, 0);
    expect((await checkDeltaTable(dir, 'logs')).rows.length).toBe(expected);
  });
});

/** The rows the same requests give when sent one by one to a service of their own, nothing held. */
async function startAlone(captures: Capture[]): Promise<string[]> {
  const other = await startTestService({ flushIntervalMs: 3_600_000 });
  try {
    const dir = await other.createTable('main.agent_telemetry.codex_otel_logs', 'logs');
    for (const c of captures) {
      expect((await replayCapture(other.url, c)).status).toBe(200);
      await other.service.pipeline.flushAll();
    }
    return await rowsInOrder(dir);
  } finally {
    await other.stop();
  }
}

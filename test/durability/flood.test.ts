// Floods of concurrent exports against tiny staging and in-flight limits: only 200 or 429 (with
// Retry-After) come back, memory stays bounded, and every acknowledged record is committed once.
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  floodInChild,
  idCounts,
  Ledger,
  ledgerProblems,
  logsBody,
  memorySample,
  pool,
  postLogs,
  sleep,
  startLoadService,
  type LoadService,
  type Outcome,
} from '../support/load.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const TABLE = 'flood.otel.flood_logs';

let svc: LoadService | undefined;
const agents: http.Agent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.destroy();
  await svc?.stop();
  svc = undefined;
});

function keepAlive(maxSockets: number): http.Agent {
  const a = new http.Agent({ keepAlive: true, maxSockets });
  agents.push(a);
  return a;
}

/** Everything but 200 and a well-formed 429 is a failure, listed (deduplicated) for diagnosis. */
function badAnswers(outcomes: Outcome[]): string[] {
  const bad = new Set<string>();
  for (const o of outcomes) {
    if (o.kind === 'error') bad.add(`socket error ${o.code}: ${o.message}`);
    else if (o.status === 429) {
      if (!/^\d+$/.test(o.retryAfter ?? '') || Number(o.retryAfter) < 1) bad.add(`429 with Retry-After ${String(o.retryAfter)}`);
    } else if (o.status !== 200) bad.add(`${o.status}: ${o.body.slice(0, 200)}`);
  }
  return [...bad].slice(0, 10);
}

describe('flood against a 64 KiB staging budget', () => {
  it('answers 200 or 429 while staging is full, then takes rows again once it drains', { timeout: 60_000 }, async () => {
    // A flush interval far past the test: only the flushes the test asks for make room.
    svc = await startLoadService({ maxStagingBytes: String(64 * KiB), flushIntervalMs: '3600000' });
    const dir = await svc.createLogsTable(TABLE);
    const ledger = new Ledger();
    const outcomes: Outcome[] = [];
    const agent = keepAlive(64);
    const send = async (ids: string[]) => {
      const o = await postLogs(svc!.url, TABLE, logsBody(ids, 300), { agent, timeoutMs: 20_000 });
      ledger.record(ids, o);
      outcomes.push(o);
    };

    // Phase 1: nothing drains, so once the budget is spent every further request is refused.
    await pool(400, 64, (i) => send(Array.from({ length: 5 }, (_, k) => `a${i}-${k}`)));
    const ackedWhileFull = ledger.count(200);
    expect(badAnswers(outcomes), ledger.summary()).toEqual([]);
    expect(ackedWhileFull).toBeGreaterThan(0);
    expect(ledger.count(429)).toBeGreaterThan(300);
    expect(svc.service.pipeline.budget.usedBytes).toBeLessThanOrEqual(64 * KiB);
    // Larger than any request of the flood, so no slack the flood left can fit it.
    await send(Array.from({ length: 10 }, (_, k) => `lone-${k}`));
    expect(outcomes.at(-1)).toMatchObject({ kind: 'answer', status: 429 });

    // Phase 2: a flood from another thread while commits run often, as with a short flush interval.
    let flooding = true;
    let flushes = 0;
    const flusher = (async () => {
      while (flooding) {
        await svc!.service.pipeline.flushAll();
        flushes += 1;
        await sleep(25);
      }
    })();
    const results = await floodInChild({
      url: svc.url,
      table: TABLE,
      ms: 3000,
      lanes: 64,
      records: 5,
      largeRecords: 5,
      padBytes: 300,
      label: 'b',
      pauseAfter429Ms: 10,
    });
    flooding = false;
    await flusher;
    for (const r of results) {
      ledger.record(r.ids, r.outcome);
      outcomes.push(r.outcome);
    }
    expect(badAnswers(outcomes), ledger.summary()).toEqual([]);
    // Each commit frees room for about fifteen of these requests.
    expect(ledger.count(200), `${flushes} flushes; ${ledger.summary()}`).toBeGreaterThan(ackedWhileFull + 15);

    expect(await svc.stop({ keep: true })).toBe(true);
    expect(ledgerProblems(ledger, await idCounts(dir)), ledger.summary()).toEqual([]);
  });

  it('keeps memory bounded and answers only 200 or 429 under a long flood with frequent flushes', { timeout: 60_000 }, async () => {
    svc = await startLoadService({ maxStagingBytes: String(64 * KiB), flushIntervalMs: '20' });
    const dir = await svc.createLogsTable(TABLE);
    const ledger = new Ledger();
    // Lanes that retry a 429 after only 10 ms: far more eager than any exporter honouring Retry-After.
    const plan = { url: svc.url, table: TABLE, records: 8, largeRecords: 40, padBytes: 1500, pauseAfter429Ms: 10 };
    // Warm up (DuckDB, the Parquet writer, sockets) so the baseline is not the cold process.
    for (const r of await floodInChild({ ...plan, ms: 500, lanes: 8, label: 'w' })) ledger.record(r.ids, r.outcome);
    await svc.service.pipeline.flushAll();
    const before = memorySample();

    const started = Date.now();
    const results = await floodInChild({ ...plan, ms: 6000, lanes: 64, label: 'm' });
    const elapsed = Date.now() - started;
    await svc.service.pipeline.flushAll();
    const after = memorySample();

    const warmAcked = ledger.count(200);
    const outcomes = results.map((r) => r.outcome);
    for (const r of results) ledger.record(r.ids, r.outcome);
    const sentBytes = results.reduce((n, r) => n + r.bytes, 0);
    const heapGrowth = after.heapUsed - before.heapUsed;
    const rssGrowth = after.rss - before.rss;
    const detail = `${results.length} requests, ~${(sentBytes / MiB).toFixed(1)} MiB in ${elapsed} ms; heap ${(heapGrowth / MiB).toFixed(1)} MiB, rss ${(rssGrowth / MiB).toFixed(1)} MiB; ${ledger.summary()}`;
    expect(badAnswers(outcomes), detail).toEqual([]);
    // Intake goes on under the flood; how much depends on the CPU the commits get, so the bar is low.
    expect(ledger.count(200) - warmAcked, detail).toBeGreaterThan(4);
    expect(ledger.count(429), detail).toBeGreaterThan(0);
    // Far more than the budget went through; what stays behind must not scale with it.
    expect(sentBytes, detail).toBeGreaterThan(12 * MiB);
    expect(heapGrowth, detail).toBeLessThan(16 * MiB);
    expect(rssGrowth, detail).toBeLessThan(128 * MiB);

    expect(await svc.stop({ keep: true })).toBe(true);
    expect(ledgerProblems(ledger, await idCounts(dir)), ledger.summary()).toEqual([]);
  });
});

describe('flood against a small in-flight budget', () => {
  it('answers 200 or 429 to many large concurrent bodies, plain and gzip', { timeout: 60_000 }, async () => {
    svc = await startLoadService({ maxInflightBytes: String(256 * KiB), flushIntervalMs: '50' });
    const dir = await svc.createLogsTable(TABLE);
    const ledger = new Ledger();
    const outcomes: Outcome[] = [];
    const agent = keepAlive(48);
    await pool(240, 48, async (i) => {
      // ~100 KiB per body: three at once already fill the budget.
      const ids = Array.from({ length: 50 }, (_, k) => `g${i}-${k}`);
      const plain = logsBody(ids, 2000);
      const gzip = i % 3 === 0;
      // A request with no answer within seconds is a hang: it is reported, not waited out.
      const o = await postLogs(svc!.url, TABLE, gzip ? gzipSync(plain) : plain, {
        agent,
        timeoutMs: 5_000,
        headers: gzip ? { 'content-encoding': 'gzip' } : {},
      });
      ledger.record(ids, o);
      outcomes.push(o);
    });
    expect(badAnswers(outcomes), ledger.summary()).toEqual([]);
    expect(ledger.count(200)).toBeGreaterThan(0);
    expect(ledger.count(429)).toBeGreaterThan(0);

    expect(await svc.stop({ keep: true })).toBe(true);
    expect(ledgerProblems(ledger, await idCounts(dir)), ledger.summary()).toEqual([]);
  });

  it('keeps a keep-alive connection usable after refusing a body part-way through', { timeout: 60_000 }, async () => {
    svc = await startLoadService({ maxInflightBytes: String(256 * KiB), flushIntervalMs: '50' });
    const dir = await svc.createLogsTable(TABLE);
    const ledger = new Ledger();
    // A slow sender holds most of the budget: 200 KiB of its body arrive, the rest waits.
    const holdIds = Array.from({ length: 110 }, (_, k) => `hold-${k}`);
    const holdBody = logsBody(holdIds, 2000);
    const holding = postLogs(svc.url, TABLE, holdBody, { splitAt: 200 * KiB, gapMs: 3000, timeoutMs: 30_000 });
    await sleep(300);

    // On one reused connection: a ~200 KiB body refused at its first chunk, then a small request.
    const agent = keepAlive(1);
    const steps: string[] = [];
    const show = (o: Outcome) => (o.kind === 'answer' ? String(o.status) : o.code);
    for (let round = 0; round < 5; round++) {
      const bigIds = Array.from({ length: 95 }, (_, k) => `r${round}-big-${k}`);
      const big = await postLogs(svc.url, TABLE, logsBody(bigIds, 2000), { agent, timeoutMs: 2000 });
      ledger.record(bigIds, big);
      const smallIds = [`r${round}-small`];
      const small = await postLogs(svc.url, TABLE, logsBody(smallIds), { agent, timeoutMs: 2000 });
      ledger.record(smallIds, small);
      steps.push(`${show(big)}+${show(small)}`);
    }
    const held = await holding;
    ledger.record(holdIds, held);
    // Every request is answered (the large ones 429 while the budget is held); none is left hanging.
    expect(steps.every((s) => /^(200|429)\+(200|429)$/.test(s)), steps.join(' ')).toBe(true);
    expect(steps[0], 'the first large body was refused while the budget was held').toMatch(/^429\+/);
    expect(held).toMatchObject({ kind: 'answer', status: 200 });

    const t = Date.now();
    expect(await svc.stop({ keep: true })).toBe(true);
    // A connection stuck on a request the server never reads holds stop() until its deadline.
    expect(Date.now() - t, 'stop() waited for a stuck connection').toBeLessThan(5000);
    expect(ledgerProblems(ledger, await idCounts(dir)), ledger.summary()).toEqual([]);
  });
});

// Two server processes committing to one Delta table at once, one of them killed and restarted: acknowledged records land exactly once.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDeltaTable } from '../support/delta-check.ts';
import {
  copyWithoutLogTemps,
  createLogsTable,
  healthz,
  killAll,
  Ledger,
  logTempFiles,
  prng,
  runClients,
  sleep,
  stagingLeftovers,
  startServer,
  tail,
  verifyRows,
  waitExit,
  waitReady,
  type Server,
} from './harness.ts';

// CRASH_SEED replays a failing run's client side and timings.
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
const TABLE = 'durable.race.otel_logs';
const CLIENTS = 12;

let workDir: string | undefined;
let passed = false;

afterAll(async () => {
  killAll();
  if (workDir && passed) await rm(workDir, { recursive: true, force: true });
});

const appIdOf = (staging: string) => `otlp2delta-${readFileSync(path.join(staging, 'writer-id'), 'utf8').trim()}`;

describe('durability: two writers on one table', () => {
  it('keeps every acknowledged record exactly once while two servers race and one is killed', async () => {
    const rnd = prng(SEED);
    workDir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-race-'));
    const warehouse = path.join(workDir, 'warehouse');
    const stagings = [path.join(workDir, 'staging-a'), path.join(workDir, 'staging-b')] as const;
    const dir = await createLogsTable(warehouse, TABLE);
    const ledger = new Ledger();
    const flushMs = [rnd.between(20, 50), rnd.between(20, 50)];
    const events: string[] = [];
    const context = (...servers: Server[]) =>
      `seed ${SEED} (CRASH_SEED=${SEED} to replay), work dir ${workDir}, flush ${flushMs.join('/')} ms\n` +
      `${events.join('\n')}\n${servers.map((s) => tail(s)).join('\n')}`;
    const start = (i: 0 | 1, label: string) => startServer({ label, warehouse, staging: stagings[i], flushMs: flushMs[i]! });

    const servers: Server[] = [start(0, 'A'), start(1, 'B')];
    const urls: (string | undefined)[] = await Promise.all(servers.map((s) => waitReady(s)));
    expect(urls.every(Boolean), context(...servers)).toBe(true);

    // A second process on A's staging folder must refuse to start, and leave A's lock alone.
    const intruder = startServer({ label: 'intruder', warehouse, staging: stagings[0], flushMs: 50 });
    const intruderExit = await waitExit(intruder);
    expect(intruderExit.code, context(intruder)).not.toBe(0);
    expect(intruderExit.signal, context(intruder)).toBeNull();
    expect(intruder.log.join('\n')).toMatch(/staging folder .* is in use/);
    expect((JSON.parse(readFileSync(path.join(stagings[0], 'LOCK'), 'utf8')) as { pid: number }).pid).toBe(servers[0]!.child.pid);
    expect(await healthz(urls[0]!)).toBe('200');

    let stop = false;
    const clients = runClients({
      clients: CLIENTS,
      label: 'w',
      seed: rnd.int(2 ** 31),
      table: TABLE,
      ledger,
      // Any server that is up; while A is down everything goes to B.
      pickUrl: (r) => urls[r.int(2)] ?? urls.find(Boolean),
      stop: () => stop,
      maxRequestsPerClient: 3000,
      deadline: Date.now() + 60_000,
    });

    await sleep(rnd.between(800, 1500));
    urls[0] = undefined;
    servers[0]!.child.kill('SIGKILL');
    const killed = await waitExit(servers[0]!);
    events.push(`A killed after ${ledger.ackedRecords} acked records: ${JSON.stringify(killed)}`);
    expect(killed.signal).toBe('SIGKILL');
    await sleep(rnd.between(0, 300));

    // A comes back on its own staging folder and recovers while B keeps committing.
    servers[0] = start(0, 'A2');
    urls[0] = await waitReady(servers[0]);
    expect(urls[0], context(servers[0])).toBeDefined();
    events.push(`A restarted at ${ledger.ackedRecords} acked records`);
    await sleep(rnd.between(1000, 1800));
    stop = true;
    await clients;
    events.push(`clients stopped at ${ledger.ackedRecords} acked records; outcomes ${JSON.stringify(Object.fromEntries(ledger.outcomes))}`);

    for (const u of urls) expect(await healthz(u!)).toBe('200');
    for (const s of servers) s.child.kill('SIGTERM');
    const exits = await Promise.all(servers.map((s) => waitExit(s)));
    expect(exits, context(...servers)).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    for (const st of stagings) expect(stagingLeftovers(st), context(...servers)).toEqual([]);

    // Contiguous versions, valid files and stats: the independent reader checks all of it.
    // Temp files a killed commit left are asserted on last, so everything else is still checked when they are there.
    const logTemps = logTempFiles(dir);
    const checked = logTemps.length === 0 ? dir : await copyWithoutLogTemps(dir, path.join(workDir, 'table-copy'));
    const check = await checkDeltaTable(checked, 'logs').catch((e: Error) => {
      throw new Error(`${e.message}\n${context(...servers)}`);
    });
    const { problems } = verifyRows(check.rows, ledger);
    expect(problems.slice(0, 40), `${problems.length} row problem(s)\n${context(...servers)}`).toEqual([]);

    const apps = stagings.map(appIdOf);
    for (const app of apps) expect(check.txns.has(app), `txns ${JSON.stringify([...check.txns.keys()])}`).toBe(true);
    // Which writer made each commit, in version order: both must have committed, interleaved.
    const writerOf = check.commits.map((c) => {
      const txn = c.actions.find((a) => 'txn' in a)?.txn as { appId?: string } | undefined;
      return txn?.appId;
    });
    const perWriter = apps.map((app) => writerOf.filter((w) => w === app).length);
    let switches = 0;
    const seq = writerOf.filter((w) => w !== undefined);
    for (let i = 1; i < seq.length; i++) if (seq[i] !== seq[i - 1]) switches += 1;
    expect(perWriter.every((n) => n > 0), `commits per writer ${perWriter.join('/')}`).toBe(true);
    expect(switches, `writer changes between consecutive commits\n${context()}`).toBeGreaterThanOrEqual(4);
    expect(ledger.ackedRecords).toBeGreaterThan(500);

    console.info(
      `two writers: seed ${SEED}; ${ledger.acked.size} requests / ${ledger.ackedRecords} records acknowledged, all present once; ` +
        `table v${check.version}, commits per writer ${perWriter.join('/')}, ${switches} writer changes, ${check.orphans.length} orphan files\n` +
        events.join('\n'),
    );
    expect(logTemps, `temp files left in _delta_log; the strict reader rejects the table while they are there\n${context(...servers)}`).toEqual([]);
    passed = true;
  }, 120_000);
});

// Optimize (manual loop, and serve --auto-optimize) while the real service ingests: nothing lost, nothing duplicated.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startService } from '../../src/cli/service.ts';
import { resolveServeConfig } from '../../src/config/serve-config.ts';
import { openDuckDb } from '../../src/duckdb/db.ts';
import { startAutoOptimize } from '../../src/ingest/auto-optimize.ts';
import { optimizeTable, type OptimizeResult } from '../../src/maintenance/optimize.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { Ledger, logsBody, postLogs } from '../support/load-client.ts';
import { startTestService } from '../support/service.ts';
import { duckdbCount, idsOf } from './helpers.ts';

const TABLE = 'c.s.busy_logs';

/** Sends batches of fresh ids from `clients` concurrent clients until `enough()` (checked after `minMs`); returns the ledger. */
async function ingest(url: string, clients: number, minMs: number, enough: () => boolean): Promise<Ledger> {
  const ledger = new Ledger();
  const started = Date.now();
  let next = 0;
  // A hard cap keeps a stuck optimizer from hanging the test; the assertions then say what went wrong.
  const more = () => Date.now() - started < 20_000 && (Date.now() - started < minMs || !enough());
  const lane = async () => {
    while (more()) {
      const i = next++;
      const ids = Array.from({ length: 4 }, (_, k) => `r${i}-${k}`);
      ledger.record(ids, await postLogs(url, TABLE, logsBody(ids)));
      await sleep(5);
    }
  };
  await Promise.all(Array.from({ length: clients }, lane));
  return ledger;
}

function expectExactlyOnce(rows: Array<Record<string, unknown>>, ledger: Ledger): void {
  const ids = idsOf(rows);
  expect(ledger.unknown.size + ledger.refused.size).toBe(0);
  expect(ids.length).toBe(ledger.acked.size);
  expect(new Set(ids)).toEqual(ledger.acked);
}

describe('optimize while ingestion runs', () => {
  it('loses and duplicates nothing, and appends never conflict with it', async () => {
    const svc = await startTestService({ flushIntervalMs: 30 });
    const db = await openDuckDb({ threads: 1 });
    try {
      const dir = await svc.createTable(TABLE, 'logs');
      let done = false;
      const runs: OptimizeResult[] = [];
      const optimizer = (async () => {
        while (!done) {
          runs.push(await optimizeTable(dir, { db, targetBytes: 256 * 1024 }));
          await sleep(20);
        }
      })();
      // However loaded the machine, ingestion keeps going until several compactions have landed in between.
      const ledger = await ingest(svc.url, 3, 1500, () => runs.filter((r) => r.groups > 0).length >= 3);
      done = true;
      await optimizer;
      await svc.service.pipeline.flushTable(parseTableName(TABLE));
      const committed = runs.filter((r) => r.groups > 0);
      expect(committed.length).toBeGreaterThan(2);
      expect(runs.reduce((n, r) => n + r.conflicts, 0)).toBe(0);

      const check = await checkDeltaTable(dir, 'logs');
      expectExactlyOnce(check.rows, ledger);
      expect(await duckdbCount(db, dir)).toBe(ledger.acked.size);
      expect(check.files.length).toBeLessThan(check.version / 2);
    } finally {
      db.close();
      await svc.stop();
    }
  });

  it('serve --auto-optimize compacts in the background and stops cleanly', async () => {
    const svc = await startTestService({ flushIntervalMs: 30 });
    const db = await openDuckDb({ threads: 1 });
    const logs: string[] = [];
    try {
      const dir = await svc.createTable(TABLE, 'logs');
      const auto = startAutoOptimize({
        db,
        tables: () => svc.service.pipeline.registry.openTables(),
        log: (l) => logs.push(l),
        intervalMs: 100,
        minSmallFiles: 5,
        targetBytes: 256 * 1024,
      });
      const ledger = await ingest(svc.url, 2, 1500, () => true);
      await svc.service.pipeline.flushTable(parseTableName(TABLE));
      // The first call may join a round the timer started before the last files landed; the second is a fresh one.
      await auto.runOnce();
      await auto.runOnce();
      await auto.stop();
      expect(logs.join('\n')).toMatch(/auto-optimize c\.s\.busy_logs: \d+ files -> \d+/);
      const check = await checkDeltaTable(dir, 'logs');
      expectExactlyOnce(check.rows, ledger);
      expect(check.commits.some((c) => c.actions.some((a) => (a.commitInfo as { operation?: string } | undefined)?.operation === 'OPTIMIZE'))).toBe(true);
    } finally {
      db.close();
      await svc.stop();
    }
  });

  it('is switched on by serve --auto-optimize, and a service with it starts and stops cleanly', async () => {
    expect(resolveServeConfig({}, {}).autoOptimize).toBe(false);
    const warehouse = await mkdtemp(path.join(os.tmpdir(), 'auto-optimize-'));
    try {
      const config = resolveServeConfig({ host: '127.0.0.1', port: '0', warehouse, autoOptimize: true }, {});
      expect(config.autoOptimize).toBe(true);
      const service = await startService(config, () => undefined);
      expect(await service.stop()).toBe(true);
    } finally {
      await rm(warehouse, { recursive: true, force: true });
    }
  });
});

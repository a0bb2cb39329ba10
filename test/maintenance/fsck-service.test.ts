// A data file the real ingest pipeline committed is deleted: the running server's SQL endpoint names it and the fix, ingestion goes on, and after repair the endpoint answers again.
import { existsSync, promises as fsp } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestVersion, loadSnapshot } from '../../src/delta/snapshot.ts';
import { dataFilePath, numRecordsOf } from '../../src/delta/table.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { repairTable } from '../../src/maintenance/repair.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { startTestService, type TestService } from '../support/service.ts';

const TABLE = 'main.fsck.app_otel_logs';
let svc: TestService;
let db: Db;
beforeAll(async () => {
  svc = await startTestService({ flushIntervalMs: 50 });
  db = await openDuckDb({ threads: 1 });
});
afterAll(async () => {
  db.close();
  await svc.stop();
});

function logsBody(ids: string[]): string {
  const logRecords = ids.map((id, i) => ({
    timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)),
    severityNumber: 9,
    body: { stringValue: `record ${id}` },
    attributes: [{ key: 'id', value: { stringValue: id } }],
  }));
  return JSON.stringify({ resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: 't' }, logRecords }] }] });
}

async function send(ids: string[]): Promise<void> {
  const res = await fetch(`${svc.url}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': TABLE },
    body: logsBody(ids),
  });
  expect(res.status).toBe(200);
}

/** Waits until the table holds a commit after `version`. */
async function committedAfter(dir: string, version: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const v = (await latestVersion(dir)) ?? 0;
    if (v > version) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no commit after version ${version} within 5 s`);
}

async function statement(sql: string): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${svc.url}/api/2.0/sql/statements`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ statement: sql }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('a deleted data file under a running server', () => {
  it('is named by the statements endpoint, does not stop ingestion, and is gone after repair', async () => {
    const dir = await svc.createTable(TABLE, 'logs');
    await send(['a1', 'a2']);
    let v = await committedAfter(dir, 0);
    await send(['b1', 'b2', 'b3']);
    v = await committedAfter(dir, v);
    const snap = await loadSnapshot(dir);
    const lost = [...snap!.files.values()].find((a) => numRecordsOf(a) === 2n)!;
    await fsp.rm(dataFilePath(dir, lost.path));

    const failed = await statement(`SELECT count(*) FROM ${TABLE}`);
    expect(failed.status).toBe(400);
    expect(failed.json.message).toContain(`table ${TABLE} references data file ${lost.path}, which is missing from ${await fsp.realpath(dir)} (2 rows); run \`otlp2delta repair ${TABLE}`);

    await send(['c1']);
    v = await committedAfter(dir, v);

    const res = await repairTable(dir, { db });
    expect(res).toMatchObject({ committed: true, version: v + 1, rowsRemoved: 2, removed: [{ path: lost.path, reason: 'missing' }] });
    expect(existsSync(dataFilePath(dir, lost.path))).toBe(false);
    const ok = await statement(`SELECT count(*) AS n FROM ${TABLE}`);
    expect(ok.status).toBe(200);
    expect(ok.json.result.data_array).toEqual([['4']]);
    expect((await checkDeltaTable(dir, 'logs')).rows).toHaveLength(4);
  });
});

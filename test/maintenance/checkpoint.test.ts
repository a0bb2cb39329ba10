// Checkpoints: written by the ingest path at the interval, equal to the JSON log when read back by hyparquet, and what snapshots load from.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointActions } from '../../src/delta/checkpoint-write.ts';
import { lastCheckpointChecksum, readLastCheckpoint } from '../../src/delta/last-checkpoint.ts';
import { latestVersion, loadSnapshot } from '../../src/delta/snapshot.ts';
import { tryCommit } from '../../src/delta/commit.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { checkpointNow, maybeCheckpoint } from '../../src/maintenance/checkpoints.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { createDeltaTable } from '../../src/delta/table.ts';
import { checkDeltaTable, readDeltaLog } from '../support/delta-check.ts';
import { canonicalChecksum, readCheckpointActions } from '../support/delta-checkpoint.ts';
import { replayLog } from '../support/delta-snapshot.ts';
import { logsBody, postLogs } from '../support/load-client.ts';
import { startTestService } from '../support/service.ts';
import { appendRows, createTable, logRow, tempDir, type TestTable } from './helpers.ts';

let db: Db;
let root: string;
beforeAll(async () => {
  db = await openDuckDb({ threads: 1 });
  root = await tempDir('maint-checkpoint-');
});
afterAll(async () => {
  db.close();
  await fsp.rm(root, { recursive: true, force: true });
});

const logFile = (dir: string, name: string) => path.join(dir, '_delta_log', name);
const cpName = (v: number) => `${String(v).padStart(20, '0')}.checkpoint.parquet`;
const jsonName = (v: number) => `${String(v).padStart(20, '0')}.json`;

async function tableWith(name: string, commits: number): Promise<TestTable> {
  const t = await createTable(path.join(root, name), 'logs');
  for (let i = 1; i <= commits; i++) await appendRows(db, t, [logRow(`${name}-${i}`, i)], i);
  return t;
}

describe('checkpoints written after ingest commits', () => {
  it('appear every delta.checkpointInterval commits and read back (hyparquet) equal to the JSON log', async () => {
    const svc = await startTestService({ flushIntervalMs: 3_600_000 });
    try {
      const name = 'c.s.cp_logs';
      const dir = svc.tableDir(name);
      const schema = schemaFor('logs');
      await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties, 'delta.checkpointInterval': '3' } });
      for (let i = 0; i < 7; i++) {
        const res = await postLogs(svc.url, name, logsBody([`id-${i}`, `id-${i}b`]));
        expect(res.kind === 'answer' && res.status).toBe(200);
        await svc.service.pipeline.flushTable(parseTableName(name));
      }
      const names = await fsp.readdir(path.join(dir, '_delta_log'));
      expect(names.filter((n) => n.endsWith('.checkpoint.parquet')).sort()).toEqual([cpName(3), cpName(6)]);
      expect(await readLastCheckpoint(dir)).toMatchObject({ version: 6, numOfAddFiles: 6, size: 1 + 1 + 1 + 6 });

      // The checker starts from the checkpoint and compares every checkpoint with the JSON replay.
      const check = await checkDeltaTable(dir, 'logs');
      expect(check.version).toBe(7);
      expect(check.rows).toHaveLength(14);

      // And explicitly: the checkpoint's rows against a replay of commits 0..6.
      const problems: string[] = [];
      const cp = await readCheckpointActions(dir, 6, problems);
      const log = readDeltaLog(dir);
      const json = replayLog({ ...log, commits: log.commits.filter((c) => c.version <= 6) }, 'logs', problems);
      expect(problems).toEqual([]);
      const adds = (cp?.actions ?? []).flatMap((a) => ('add' in a ? [a.add as Record<string, unknown>] : []));
      expect(adds.map((a) => [a.path, a.size, a.stats]).sort()).toEqual([...json.files.values()].map((f) => [f.path, f.add.size, f.add.stats]).sort());
      const txns = (cp?.actions ?? []).flatMap((a) => ('txn' in a ? [a.txn as Record<string, unknown>] : []));
      expect(new Map(txns.map((t) => [t.appId, t.version]))).toEqual(json.txns);
      expect(cp?.actions.find((a) => 'protocol' in a)).toEqual({ protocol: json.protocol });
      expect((cp?.actions.find((a) => 'metaData' in a) as { metaData: unknown }).metaData).toEqual(json.metaData);
    } finally {
      await svc.stop();
    }
  });
});

describe('snapshots from checkpoints', () => {
  it('load from the checkpoint once the commits behind it are gone, with or without a Db', async () => {
    const t = await tableWith('behind', 5);
    await checkpointNow(db, t.dir);
    await appendRows(db, t, [logRow('after-1', 10)], 6);
    await tryCommit(t.dir, 7, [{ remove: { path: [...(await loadSnapshot(t.dir))!.files.keys()][0] as string, dataChange: true, deletionTimestamp: Date.now() } }]);
    const full = await loadSnapshot(t.dir);
    for (let v = 0; v < 5; v++) await fsp.rm(logFile(t.dir, jsonName(v)));
    expect(await loadSnapshot(t.dir, { db })).toEqual(full);
    expect(await loadSnapshot(t.dir)).toEqual(full);
    expect(full?.tombstones.size).toBe(1);
    await expect(loadSnapshot(t.dir, { version: 3 })).rejects.toThrow(/starts at version 5/);
    const check = await checkDeltaTable(t.dir, 'logs');
    expect(check.rows).toHaveLength(5);
  });

  it('loads the state as of an older version', async () => {
    const t = await tableWith('asof', 4);
    await checkpointNow(db, t.dir, 2);
    expect((await loadSnapshot(t.dir, { db, version: 2 }))?.files.size).toBe(2);
    expect((await loadSnapshot(t.dir, { db, version: 3 }))?.files.size).toBe(3);
    expect((await loadSnapshot(t.dir, { db, version: 1 }))?.files.size).toBe(1);
  });

  it('ignore a corrupt or mismatched _last_checkpoint and list the log instead', async () => {
    const t = await tableWith('hint', 3);
    await checkpointNow(db, t.dir);
    const expected = await loadSnapshot(t.dir);
    const hint = logFile(t.dir, '_last_checkpoint');
    const good = JSON.parse(await fsp.readFile(hint, 'utf8')) as Record<string, unknown>;
    expect(good.checksum).toBe(canonicalChecksum(good));
    await fsp.writeFile(hint, '{"version":3,"size":');
    expect(await readLastCheckpoint(t.dir)).toBeUndefined();
    expect(await loadSnapshot(t.dir, { db })).toEqual(expected);
    await expect(checkDeltaTable(t.dir, 'logs')).rejects.toThrow(/_last_checkpoint: not valid JSON/);
    await fsp.writeFile(hint, JSON.stringify({ ...good, version: 2 }));
    expect(await readLastCheckpoint(t.dir)).toBeUndefined();
    await fsp.rm(hint);
    expect(await loadSnapshot(t.dir, { db })).toEqual(expected);
  });

  it('start from the hint without listing the log, and still see commits and checkpoints made after it', async () => {
    const t = await tableWith('stale', 3);
    await checkpointNow(db, t.dir, 1);
    const hint = await fsp.readFile(logFile(t.dir, '_last_checkpoint'), 'utf8');
    await checkpointNow(db, t.dir, 3);
    await appendRows(db, t, [logRow('stale-4', 4)], 4);
    // A writer that lost a race may leave the hint at an older checkpoint.
    await fsp.writeFile(logFile(t.dir, '_last_checkpoint'), hint);
    const expected = await loadSnapshot(t.dir, { db });
    expect(expected?.version).toBe(4);
    expect(expected?.files.size).toBe(4);
    expect(await latestVersion(t.dir)).toBe(4);
    expect((await loadSnapshot(t.dir, { db, version: 2 }))?.files.size).toBe(2);
    // The hint's own commit gone: the listing takes over.
    await fsp.rm(logFile(t.dir, jsonName(0)));
    await fsp.rm(logFile(t.dir, jsonName(1)));
    expect(await loadSnapshot(t.dir, { db })).toEqual(expected);
    expect(await latestVersion(t.dir)).toBe(4);
  });

  it('fall back to an older checkpoint, then to the JSON log, when the newest is unreadable', async () => {
    const t = await tableWith('corrupt', 4);
    await checkpointNow(db, t.dir, 2);
    await checkpointNow(db, t.dir, 4);
    const expected = await loadSnapshot(t.dir);
    await fsp.writeFile(logFile(t.dir, cpName(4)), 'PAR1 not really');
    expect(await loadSnapshot(t.dir, { db })).toEqual(expected);
    await fsp.writeFile(logFile(t.dir, cpName(2)), '');
    expect(await loadSnapshot(t.dir, { db })).toEqual(expected);
  });

  it('keep live tombstones and drop expired ones', async () => {
    const t = await tableWith('tomb', 2);
    const [a, b] = [...(await loadSnapshot(t.dir))!.files.keys()] as [string, string];
    const now = Date.now();
    await tryCommit(t.dir, 3, [
      { remove: { path: a, dataChange: true, deletionTimestamp: now - 8 * 86_400_000 } },
      { remove: { path: b, dataChange: true, deletionTimestamp: now - 86_400_000 } },
    ]);
    const snap = (await loadSnapshot(t.dir))!;
    const removes = checkpointActions(snap, now).flatMap((x) => ('remove' in x ? [x.remove.path] : []));
    expect(removes).toEqual([b]);
  });

  it('are only written at multiples of the interval', async () => {
    const t = await tableWith('interval', 2);
    const log: string[] = [];
    expect(await maybeCheckpoint(db, t.dir, 1, (l) => log.push(l))).toBe(false);
    expect(await maybeCheckpoint(db, t.dir, 100, (l) => log.push(l))).toBe(false);
    expect(log[0]).toMatch(/checkpoint of .* at version 100 failed/);
    expect(await fsp.readdir(path.join(t.dir, '_delta_log'))).not.toContain(cpName(1));
  });
});

describe('the _last_checkpoint checksum', () => {
  it("matches the protocol's worked example in both implementations", () => {
    const doc = { k0: "'v 0'", checksum: 'adsaskfljadfkjadfkj', k1: { k2: 2, k3: ['v3', [1, 2], { k4: 'v4', k5: ['v5', 'v6', 'v7'] }] } };
    expect(lastCheckpointChecksum(doc)).toBe('6a92d155a59bf2eecbd4b4ec7fd1f875');
    expect(canonicalChecksum(doc)).toBe('6a92d155a59bf2eecbd4b4ec7fd1f875');
  });
});

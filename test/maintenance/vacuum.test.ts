// VACUUM deletes exactly the unreferenced files older than the retention, never a referenced one, and expires log entries only behind a checkpoint.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../src/delta/snapshot.ts';
import { dataFilePath } from '../../src/delta/table.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { checkpointNow } from '../../src/maintenance/checkpoints.ts';
import { optimizeTable } from '../../src/maintenance/optimize.ts';
import { vacuumTable } from '../../src/maintenance/vacuum.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { age, appendRows, createTable, duckdbCount, logRow, tempDir, type TestTable } from './helpers.ts';

let db: Db;
let root: string;
beforeAll(async () => {
  db = await openDuckDb({ threads: 1 });
  root = await tempDir('maint-vacuum-');
});
afterAll(async () => {
  db.close();
  await fsp.rm(root, { recursive: true, force: true });
});

const DAY_H = 24;

async function logsTable(name: string, files: number): Promise<TestTable> {
  const t = await createTable(path.join(root, name), 'logs');
  for (let i = 1; i <= files; i++) await appendRows(db, t, [logRow(`${name}-${i}`, i), logRow(`${name}-${i}b`, i)], i);
  return t;
}

async function put(dir: string, rel: string, hoursAgo: number): Promise<string> {
  const file = path.join(dir, ...rel.split('/'));
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, 'orphan');
  await age(file, hoursAgo);
  return file;
}

describe('vacuumTable', () => {
  it('deletes exactly the unreferenced files older than the retention', async () => {
    const t = await logsTable('exact', 4);
    const inputs = [...(await loadSnapshot(t.dir))!.files.keys()].map((p) => dataFilePath(t.dir, p));
    await optimizeTable(t.dir, { db, targetBytes: 1 << 20 });
    const active = [...(await loadSnapshot(t.dir))!.files.keys()].map((p) => dataFilePath(t.dir, p));
    // Ages that would make every file a candidate if age were all that counted.
    for (const f of [...inputs, ...active]) await age(f, 30 * DAY_H);
    await put(t.dir, 'part-orphan-old.parquet', 8 * DAY_H);
    await put(t.dir, 'sub/part-orphan-sub.parquet', 8 * DAY_H);
    const young = await put(t.dir, 'part-orphan-young.parquet', 0.5);
    const hidden = [await put(t.dir, '.hidden.parquet', 30 * DAY_H), await put(t.dir, '_hidden/part.parquet', 30 * DAY_H)];
    const oldTemp = await put(t.dir, '_delta_log/.00000000000000000099.json.1.0-0.tmp', 8 * DAY_H);
    const newTemp = await put(t.dir, '_delta_log/.00000000000000000098.json.1.0-0.tmp', 0);

    const dry = await vacuumTable(t.dir, { db, dryRun: true });
    expect(dry.files).toEqual(['part-orphan-old.parquet', 'sub/part-orphan-sub.parquet']);
    expect(dry.logFiles).toEqual([path.basename(oldTemp)]);
    expect(existsSync(path.join(t.dir, 'part-orphan-old.parquet')) && existsSync(oldTemp)).toBe(true);

    const res = await vacuumTable(t.dir, { db });
    expect(res.files).toEqual(dry.files);
    expect(res.bytes).toBe(2 * 'orphan'.length);
    for (const f of [...inputs, ...active, young, ...hidden, newTemp]) expect(existsSync(f), f).toBe(true);
    expect(existsSync(path.join(t.dir, 'part-orphan-old.parquet')) || existsSync(oldTemp)).toBe(false);
    await fsp.rm(newTemp);
    await fsp.rm(path.join(t.dir, '_hidden'), { recursive: true });
    await fsp.rm(hidden[0] as string);

    // A week later the compacted-away inputs' tombstones have expired: now they go too, the active file never.
    const later = await vacuumTable(t.dir, { db, now: Date.now() + 8 * DAY_H * 3_600_000 });
    expect(later.files.sort()).toEqual(inputs.map((f) => path.basename(f)).sort());
    for (const f of [...active, young]) expect(existsSync(f)).toBe(true);
    await fsp.rm(young);
    const check = await checkDeltaTable(t.dir, 'logs');
    expect(check.orphans).toEqual([]);
    expect(check.rows).toHaveLength(8);
    expect(await duckdbCount(db, t.dir)).toBe(8);
  });

  it('refuses a retention below the table’s without force, and below one hour at all', async () => {
    const t = await logsTable('rules', 1);
    await expect(vacuumTable(t.dir, { db, retentionMs: DAY_H * 3_600_000 })).rejects.toThrow(/below the table's 168 hours.*--force/);
    await expect(vacuumTable(t.dir, { db, retentionMs: DAY_H * 3_600_000, force: true })).resolves.toMatchObject({ files: [] });
    await expect(vacuumTable(t.dir, { db, retentionMs: 1_800_000, force: true })).rejects.toThrow(/at least 1 hour/);
  });
});

describe('log cleanup', () => {
  it('expires log entries only behind a checkpoint older than the log retention', async () => {
    const t = await logsTable('logs', 5);
    const logDir = path.join(t.dir, '_delta_log');
    const ageAll = async () => {
      for (const n of await fsp.readdir(logDir)) await age(path.join(logDir, n), 40 * DAY_H);
    };
    await ageAll();
    expect((await vacuumTable(t.dir, { db })).logFiles).toEqual([]);

    await checkpointNow(db, t.dir, 3);
    await checkpointNow(db, t.dir, 5);
    // Both checkpoints are fresh, so nothing is old enough to stand behind yet.
    expect((await vacuumTable(t.dir, { db })).logFiles).toEqual([]);
    await age(path.join(logDir, '00000000000000000003.checkpoint.parquet'), 40 * DAY_H);

    const res = await vacuumTable(t.dir, { db });
    expect(res.logFiles).toEqual(['00000000000000000000.json', '00000000000000000001.json', '00000000000000000002.json']);
    expect((await fsp.readdir(logDir)).sort()).toEqual([
      '00000000000000000003.checkpoint.parquet',
      '00000000000000000003.json',
      '00000000000000000004.json',
      '00000000000000000005.checkpoint.parquet',
      '00000000000000000005.json',
      '_last_checkpoint',
    ]);
    expect((await loadSnapshot(t.dir, { db }))?.files.size).toBe(5);
    expect((await checkDeltaTable(t.dir, 'logs')).rows).toHaveLength(10);
  });
});

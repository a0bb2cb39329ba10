// Compaction: time-ordered rewrites that lose and duplicate nothing, the conflict rule, and the planner.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitRewrite } from '../../src/delta/rewrite.ts';
import { latestVersion, loadSnapshot } from '../../src/delta/snapshot.ts';
import { makeAdd } from '../../src/delta/table.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { tableHistory } from '../../src/maintenance/describe.ts';
import { optimizeTable } from '../../src/maintenance/optimize.ts';
import { planCompaction } from '../../src/maintenance/plan.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { appendRows, createTable, duckdbCount, idsOf, logRow, metricRow, tempDir, type TestTable } from './helpers.ts';

let db: Db;
let root: string;
beforeAll(async () => {
  db = await openDuckDb({ threads: 2 });
  root = await tempDir('maint-optimize-');
});
afterAll(async () => {
  db.close();
  await fsp.rm(root, { recursive: true, force: true });
});

const KiB = 1024;

/** `files` commits of three log rows each; later commits hold earlier times, so file order is not time order. */
async function logsTable(name: string, files: number): Promise<TestTable> {
  const t = await createTable(path.join(root, name), 'logs');
  for (let i = 0; i < files; i++) {
    const base = (files - i) * 100;
    await appendRows(db, t, [logRow(`${name}-${i}-a`, base + 7), logRow(`${name}-${i}-b`, base), logRow(`${name}-${i}-c`, base + 3)], i + 1);
  }
  return t;
}

const times = (rows: Array<Record<string, unknown>>, pick: (r: Record<string, unknown>) => unknown) => rows.map((r) => pick(r) as bigint);
const ascending = (xs: bigint[]) => xs.every((x, i) => i === 0 || (xs[i - 1] as bigint) <= x);

describe('optimizeTable', () => {
  it('rewrites small files into one time-ordered file and keeps every row once', async () => {
    const t = await logsTable('basic', 6);
    const before = await checkDeltaTable(t.dir, 'logs');
    const res = await optimizeTable(t.dir, { db, targetBytes: 1024 * KiB });
    expect(res).toMatchObject({ version: 7, groups: 1, filesRemoved: 6, filesAdded: 1, rows: 18, conflicts: 0 });
    const after = await checkDeltaTable(t.dir, 'logs');
    expect(after.files).toHaveLength(1);
    expect(after.files[0]?.dataChange).toBe(false);
    expect(idsOf(after.rows).sort()).toEqual(idsOf(before.rows).sort());
    expect(ascending(times(after.rows, (r) => r.time_unix_nano))).toBe(true);
    expect(after.txns).toEqual(before.txns);
    expect(after.orphans).toHaveLength(6);
    expect(await duckdbCount(db, t.dir)).toBe(18);
    const [latest] = await tableHistory(t.dir, { limit: 1 });
    expect(latest).toMatchObject({ operation: 'OPTIMIZE', filesRemoved: 6, filesAdded: 1, rowsAdded: 0, readVersion: 6 });
    // Nothing left to do: one file is not a group.
    expect((await optimizeTable(t.dir, { db, targetBytes: 1024 * KiB })).groups).toBe(0);
  });

  it('orders metric rows by the time of whichever point struct they fill', async () => {
    const t = await createTable(path.join(root, 'metrics'), 'metrics');
    await appendRows(db, t, [metricRow('g3', 30, 'gauge'), metricRow('s1', 10, 'sum')], 1);
    await appendRows(db, t, [metricRow('s4', 40, 'sum'), metricRow('g2', 20, 'gauge')], 2);
    await optimizeTable(t.dir, { db, targetBytes: 1024 * KiB });
    const check = await checkDeltaTable(t.dir, 'metrics');
    expect(check.files).toHaveLength(1);
    expect(idsOf(check.rows)).toEqual(['s1', 'g2', 'g3', 's4']);
  });

  it('packs runs of about the target size and leaves big files alone', async () => {
    const t = await logsTable('packing', 6);
    const sizes = [...(await loadSnapshot(t.dir))!.files.values()].map((a) => a.size);
    const target = Math.max(...sizes) * 2 + 1;
    const res = await optimizeTable(t.dir, { db, targetBytes: target });
    expect(res.groups).toBe(3);
    const check = await checkDeltaTable(t.dir, 'logs');
    expect(check.files).toHaveLength(3);
    // Each output covers its own stretch of time.
    const bound = (f: (typeof check.files)[number], which: 'minValues' | 'maxValues') => (f.stats[which] as Record<string, bigint>).time_unix_nano as bigint;
    const ranges = check.files.map((f) => ({ min: bound(f, 'minValues'), max: bound(f, 'maxValues') })).sort((a, b) => (a.min < b.min ? -1 : 1));
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.min > ranges[i - 1]!.max).toBe(true);
  });

  it('runs two at once on one table without removing anything twice', async () => {
    const t = await logsTable('twice', 8);
    const ids = idsOf((await checkDeltaTable(t.dir, 'logs')).rows).sort();
    const [a, b] = await Promise.all([optimizeTable(t.dir, { db, targetBytes: 1024 * KiB }), optimizeTable(t.dir, { db, targetBytes: 1024 * KiB })]);
    expect(a.groups + b.groups).toBeGreaterThanOrEqual(1);
    const check = await checkDeltaTable(t.dir, 'logs');
    expect(idsOf(check.rows).sort()).toEqual(ids);
    expect(await duckdbCount(db, t.dir)).toBe(ids.length);
  });
});

describe('commitRewrite', () => {
  it('stops, writing nothing, when a concurrent commit removed one of its inputs; appends do not conflict', async () => {
    const t = await logsTable('conflict', 4);
    const stale = (await loadSnapshot(t.dir))!;
    const inputs = [...stale.files.values()].slice(0, 2);
    const fake = makeAdd('part-fake.parquet', 1, '{"numRecords":6}', Date.now());

    // An append after the read does not conflict: the rewrite lands after it.
    await appendRows(db, t, [logRow('late', 1)], 99);
    const ok = await commitRewrite(t.dir, { readVersion: stale.version, inputs: [inputs[0]!], outputs: [fake] });
    expect(ok).toEqual({ committed: true, version: 6 });

    const again = await commitRewrite(t.dir, { readVersion: stale.version, inputs, outputs: [fake] });
    expect(again).toMatchObject({ committed: false, conflictVersion: 6 });
    expect(again.committed === false && again.reason).toMatch(/removed input/);
    expect(await latestVersion(t.dir)).toBe(6);
  });
});

describe('planCompaction', () => {
  it('orders by the minimum time in the stats and skips files at or over the target', () => {
    const add = (name: string, size: number, t: number) =>
      makeAdd(name, size, JSON.stringify({ numRecords: 1, minValues: { time_unix_nano: t } }), 0);
    const files = [add('c', 10, 30), add('a', 10, 10), add('big', 100, 5), add('b', 10, 20), add('d', 10, 40), add('e', 10, 50)];
    const plan = planCompaction(files, 'logs', { targetBytes: 25 });
    expect(plan.map((g) => g.inputs.map((f) => f.path))).toEqual([['a', 'b'], ['c', 'd']]);
    expect(planCompaction(files, 'logs', { targetBytes: 25, maxInputBytes: 1 }).map((g) => g.bytes)).toEqual([20]);
    expect(planCompaction(files, 'logs', { targetBytes: 1000, minFilesPerGroup: 7 })).toEqual([]);
  });
});

// A data file deleted or truncated behind the table's back: the check finds it, queries, describe and optimize name it and the fix, and repair removes it in a valid FSCK commit.
import { execFile } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDetail } from '../../src/cli/describe.ts';
import type { AddAction } from '../../src/delta/actions.ts';
import { commitFileName, logDir } from '../../src/delta/commit.ts';
import { latestVersion, loadSnapshot } from '../../src/delta/snapshot.ts';
import { dataFilePath, numRecordsOf } from '../../src/delta/table.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { describeTable, tableHistory } from '../../src/maintenance/describe.ts';
import { checkTableFiles } from '../../src/maintenance/fsck.ts';
import { optimizeTable } from '../../src/maintenance/optimize.ts';
import { repairTable } from '../../src/maintenance/repair.ts';
import { vacuumTable } from '../../src/maintenance/vacuum.ts';
import { QueryEngine, QueryError } from '../../src/query/engine.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { appendRows, createTable, logRow, tempDir, type TestTable } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const MiB = 1024 * 1024;

let db: Db;
let root: string;
let engine: QueryEngine;
beforeAll(async () => {
  db = await openDuckDb({ threads: 1 });
  root = await fsp.realpath(await tempDir('maint-fsck-'));
  engine = await QueryEngine.open({ warehouse: root, threads: 1 });
});
afterAll(async () => {
  engine.close();
  db.close();
  await fsp.rm(root, { recursive: true, force: true });
});

/** c.s.<name> with files of 1, 2 and 3 rows. */
async function table(name: string): Promise<TestTable> {
  const t = await createTable(path.join(root, 'c', 's', name), 'logs');
  for (let i = 1; i <= 3; i++) await appendRows(db, t, Array.from({ length: i }, (_, k) => logRow(`${name}-${i}-${k}`, i * 10 + k)), i);
  return t;
}

/** Active adds sorted by path: the order the query engine lists them to DuckDB. */
async function adds(dir: string) {
  const snap = await loadSnapshot(dir);
  return [...snap!.files.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['bin/otlp2delta', ...args], { cwd: ROOT, env: { ...process.env, OTLP2DELTA_WAREHOUSE: '/nonexistent-default' } });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

async function queryError(sql: string): Promise<QueryError> {
  const e = await engine.execute(sql).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(QueryError);
  return e as QueryError;
}

const count = async (name: string) => Number((await engine.execute(`SELECT count(*) FROM c.s.${name}`)).rows[0]?.[0]);

describe('a healthy table', () => {
  it('checks healthy everywhere and repair has nothing to do', async () => {
    const t = await table('ok');
    expect(await checkTableFiles(t.dir, (await loadSnapshot(t.dir))!)).toEqual({ version: 3, filesChecked: 3, healthy: true, missing: [], sizeMismatch: [] });
    const d = await describeTable(t.dir, { db });
    expect(formatDetail(d)).toMatch(/^health\s+healthy \(3 files checked\)$/m);
    const res = await repairTable(t.dir, { db });
    expect(res).toMatchObject({ committed: false, version: 3, removed: [], kept: [] });
    expect(await latestVersion(t.dir)).toBe(3);
    expect(await count('ok')).toBe(6);
  });
});

describe('a deleted data file', () => {
  it('is found, named with the fix, refused by optimize, and removed by repair', async () => {
    const t = await table('gone');
    // The first listed file fails while the view is created (DuckDB reads its schema then).
    const [lost] = (await adds(t.dir)) as [AddAction];
    await fsp.rm(dataFilePath(t.dir, lost.path));
    const lostRows = Number(numRecordsOf(lost));

    const check = await checkTableFiles(t.dir, (await loadSnapshot(t.dir))!);
    expect(check.healthy).toBe(false);
    expect(check.sizeMismatch).toEqual([]);
    expect(check.missing).toEqual([
      { path: lost.path, file: dataFilePath(t.dir, lost.path), recordedSize: lost.size, actualSize: undefined, numRecords: lostRows },
    ]);

    const fix = `run \`otlp2delta repair c.s.gone --warehouse ${root} --dry-run\` to see, then \`otlp2delta repair c.s.gone --warehouse ${root}\` to remove it from the table`;
    const named = `table c.s.gone references data file ${lost.path}, which is missing from ${t.dir} (${lostRows} rows); ${fix}`;
    expect((await queryError('SELECT count(*) FROM c.s.gone')).message).toBe(named);
    expect((await queryError('SELECT body FROM c.s.gone ORDER BY time_unix_nano')).message).toBe(named);
    expect((await queryError('SELECT count(*) FROM c.s.agent_events')).message).toContain(named);

    const d = await describeTable(t.dir, { db });
    expect(d.health).toMatchObject({ healthy: false, missing: [{ path: lost.path }] });
    const text = formatDetail(d);
    expect(text).toMatch(/^health\s+1 missing file \(3 files checked\)$/m);
    expect(text).toContain(`missing: ${lost.path}`);

    const filesBefore = (await fsp.readdir(t.dir)).sort();
    await expect(optimizeTable(t.dir, { db, targetBytes: MiB, minFilesPerGroup: 2 })).rejects.toThrow(`cannot optimize: ${named}`);
    expect(await latestVersion(t.dir)).toBe(3);
    expect((await fsp.readdir(t.dir)).sort()).toEqual(filesBefore);

    // Neither vacuum nor history reads data files, so neither trips over the gap.
    await expect(vacuumTable(t.dir, { dryRun: true })).resolves.toMatchObject({ version: 3, files: [] });
    expect((await tableHistory(t.dir)).map((h) => h.version)).toEqual([3, 2, 1, 0]);

    const sql = await cli('sql', 'SELECT count(*) FROM c.s.gone', '--warehouse', root);
    expect(sql).toMatchObject({ code: 1, stderr: `otlp2delta sql: ${named}\n` });

    const dry = await cli('repair', 'c.s.gone', '--dry-run', '--warehouse', root);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      `would remove ${lost.path} (missing): ${lostRows} rows\n` +
        `dry run: would remove 1 file(s) holding ${lostRows} rows from table c.s.gone at version 3; nothing was changed\n`,
    );
    expect(await latestVersion(t.dir)).toBe(3);

    const done = await cli('repair', 'c.s.gone', '--warehouse', root);
    expect(done).toMatchObject({ code: 0, stdout: `removed ${lost.path} (missing): ${lostRows} rows\nremoved 1 file(s) holding ${lostRows} rows from table c.s.gone in version 4 (FSCK)\n` });
    const commit = (await fsp.readFile(path.join(logDir(t.dir), commitFileName(4)), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    expect(commit).toHaveLength(2);
    expect(commit[0]!.commitInfo).toMatchObject({ operation: 'FSCK', readVersion: 3, operationMetrics: { numRemovedFiles: '1', numAddedFiles: '0' } });
    expect(commit[1]!.remove).toEqual({
      path: lost.path,
      dataChange: true,
      deletionTimestamp: expect.any(Number),
      extendedFileMetadata: true,
      partitionValues: {},
      size: lost.size,
    });

    const checked = await checkDeltaTable(t.dir, 'logs');
    expect(checked.version).toBe(4);
    expect(checked.rows).toHaveLength(6 - lostRows);
    expect(await count('gone')).toBe(6 - lostRows);
    expect((await describeTable(t.dir, { db })).health).toMatchObject({ healthy: true, filesChecked: 2 });
    await expect(optimizeTable(t.dir, { db, targetBytes: MiB, minFilesPerGroup: 2 })).resolves.toMatchObject({ groups: 1, rows: 6 - lostRows });
  });
});

describe('a deleted data file that is not the first listed', () => {
  it('fails only when the query reads it, and is named all the same', async () => {
    const t = await table('late');
    const last = (await adds(t.dir)).at(-1) as AddAction;
    await fsp.rm(dataFilePath(t.dir, last.path));
    const message = (await queryError('SELECT count(*) FROM c.s.late')).message;
    expect(message.startsWith(`table c.s.late references data file ${last.path}, which is missing from ${t.dir} (${numRecordsOf(last)} rows); run `)).toBe(true);
  });
});

describe('a data file of the wrong size', () => {
  it('is reported as damaged and removed only with includeDamaged', async () => {
    const t = await table('cut');
    const [victim] = await adds(t.dir);
    await fsp.truncate(dataFilePath(t.dir, victim!.path), 100);
    const rows = Number(numRecordsOf(victim!));

    const message = (await queryError('SELECT count(*) FROM c.s.cut')).message;
    expect(message).toBe(
      `table c.s.cut references data file ${victim!.path}, which is damaged (100 bytes on disk, ${victim!.size} in the log, ${rows} rows); ` +
        `run \`otlp2delta repair c.s.cut --warehouse ${root} --dry-run\` to see, then \`otlp2delta repair c.s.cut --warehouse ${root} --include-damaged\` to remove it from the table`,
    );
    expect(formatDetail(await describeTable(t.dir, { db }))).toMatch(/^health\s+1 size mismatch \(3 files checked\)$/m);

    const kept = await repairTable(t.dir, { db });
    expect(kept).toMatchObject({ committed: false, removed: [], kept: [{ path: victim!.path, actualSize: 100 }] });
    expect(await latestVersion(t.dir)).toBe(3);

    const removed = await repairTable(t.dir, { db, includeDamaged: true });
    expect(removed).toMatchObject({ committed: true, version: 4, rowsRemoved: rows, removed: [{ path: victim!.path, reason: 'size_mismatch' }], kept: [] });
    // The damaged file stays on disk for vacuum, as any removed file does.
    expect(existsSync(dataFilePath(t.dir, victim!.path))).toBe(true);
    const checked = await checkDeltaTable(t.dir, 'logs');
    expect(checked.rows).toHaveLength(6 - rows);
    expect(checked.orphans).toEqual([victim!.path]);
    expect(await count('cut')).toBe(6 - rows);
  });
});

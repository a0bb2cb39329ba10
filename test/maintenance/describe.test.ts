// describe and history report the right numbers, as functions and through the real command line (with optimize and vacuum).
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../src/delta/snapshot.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { formatDetail } from '../../src/cli/describe.ts';
import { formatHistory } from '../../src/cli/history.ts';
import { checkpointNow } from '../../src/maintenance/checkpoints.ts';
import { describeTable, tableHistory } from '../../src/maintenance/describe.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { appendRows, createTable, logRow, tempDir, type TestTable } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

let db: Db;
let root: string;
beforeAll(async () => {
  db = await openDuckDb({ threads: 1 });
  root = await tempDir('maint-describe-');
});
afterAll(async () => {
  db.close();
  await fsp.rm(root, { recursive: true, force: true });
});

async function table(name: string): Promise<TestTable> {
  const t = await createTable(path.join(root, name), 'logs', { 'delta.checkpointInterval': '50' });
  for (let i = 1; i <= 3; i++) await appendRows(db, t, Array.from({ length: i }, (_, k) => logRow(`${name}-${i}-${k}`, i * 10 + k)), i);
  return t;
}

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['bin/otlp2delta', ...args], { cwd: ROOT, env: { ...process.env, OTLP2DELTA_WAREHOUSE: root } });
}

describe('describeTable and tableHistory', () => {
  it('count versions, files, rows and bytes from the log', async () => {
    const t = await table('numbers');
    await checkpointNow(db, t.dir);
    const files = [...(await loadSnapshot(t.dir))!.files.values()];
    const d = await describeTable(t.dir, { db });
    expect(d).toMatchObject({
      kind: 'logs',
      version: 3,
      numFiles: 3,
      numRows: 6,
      sizeInBytes: files.reduce((n, a) => n + a.size, 0),
      smallFiles: 3,
      tombstones: 0,
      checkpointInterval: 50,
      lastCheckpoint: { version: 3, numOfAddFiles: 3 },
      oldestCommit: 0,
      properties: { 'otel.schemaVersion': 'v1', 'delta.checkpointInterval': '50' },
    });
    expect(formatDetail(d)).toMatch(/^version\s+3$/m);
    const h = await tableHistory(t.dir, { limit: 2 });
    expect(h.map((e) => [e.version, e.operation, e.rowsAdded, e.filesAdded, e.filesRemoved])).toEqual([
      [3, 'WRITE', 3, 1, 0],
      [2, 'WRITE', 2, 1, 0],
    ]);
    expect((await tableHistory(t.dir)).at(-1)).toMatchObject({ version: 0, operation: 'CREATE TABLE', rowsAdded: 0 });
    expect(formatHistory(h).split('\n')[0]).toMatch(/^version\s+timestamp\s+operation\s+rows added\s+files added\s+files removed\s+bytes added$/);
  });
});

describe('the maintenance commands', () => {
  it('optimize, vacuum --dry-run, describe --json and history run end to end', async () => {
    const t = await createTable(path.join(root, 'cat', 'sch', 'tbl'), 'logs');
    for (let i = 1; i <= 3; i++) await appendRows(db, t, [logRow(`cli-${i}`, i)], i);

    const opt = await cli('optimize', 'cat.sch.tbl', '--target-file-mb', '1');
    expect(opt.stdout).toMatch(/compacted 3 files .* into 1 .*, 3 rows, up to version 4/);
    // The rest only read the table, so they may run side by side.
    const [vac, desc, hist, refused] = await Promise.all([
      cli('vacuum', t.dir, '--dry-run'),
      cli('describe', 'cat.sch.tbl', '--json'),
      cli('history', 'cat.sch.tbl'),
      cli('vacuum', 'cat.sch.tbl', '--retain-hours', '2').catch((e: { code: number; stderr: string }) => e),
    ]);
    expect(vac.stdout).toMatch(/dry run: would delete 0 data files/);
    expect(JSON.parse(desc.stdout)).toMatchObject({ version: 4, numFiles: 1, numRows: 3, tombstones: 3 });
    const lines = hist.stdout.split('\n');
    expect(lines[1]).toMatch(/^\s*4\s+\S+Z\s+OPTIMIZE\s+0\s+1\s+3\s/);
    expect(lines[2]).toMatch(/^\s*3\s+\S+Z\s+WRITE\s+1\s+1\s+0\s/);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/--force/) });
    expect((await checkDeltaTable(t.dir, 'logs')).rows).toHaveLength(3);
  });
});

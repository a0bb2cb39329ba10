import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFiles, createDeltaTable, makeAdd, newDataFileName } from '../../src/delta/table.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { writeParquet } from '../../src/parquet/write.ts';
import { rowsToNdjson } from '../../src/tables/ndjson.ts';
import type { Row } from '../../src/tables/row.ts';
import { schemaFor, type TableKind } from '../../src/tables/schema.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { logRows, metricRows } from '../parquet/fixtures.ts';

let db: Db;
let root: string;
beforeAll(async () => {
  db = await openDuckDb({ threads: 2 });
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'delta-write-path-'));
});
afterAll(async () => {
  db.close();
  await fsp.rm(root, { recursive: true, force: true });
});

async function appendBatch(table: string, kind: TableKind, rows: Row[], readVersion: number, batch: number): Promise<number> {
  const staged = path.join(root, `${kind}-${batch}.ndjson`);
  await fsp.writeFile(staged, rowsToNdjson(rows));
  const name = newDataFileName();
  const written = await writeParquet(db, schemaFor(kind), staged, path.join(table, name));
  const add = makeAdd(name, written.size, written.stats, Date.now());
  const res = await appendFiles(table, { adds: [add], readVersion, txn: { appId: `lane/${kind}`, version: batch } });
  return res.version;
}

describe.each([
  ['metrics', metricRows],
  ['logs', logRows],
] as const)('a %s table written batch by batch', (kind, makeRows) => {
  it('passes the independent Delta checker with exact rows, stats and txns', async () => {
    const table = path.join(root, kind);
    const schema = schemaFor(kind);
    await createDeltaTable(table, { schema, properties: { ...schema.tableProperties } });
    const rows = makeRows();
    const first = await appendBatch(table, kind, rows.slice(0, 2), 0, 1);
    expect(first).toBe(1);
    expect(await appendBatch(table, kind, rows.slice(2), first, 2)).toBe(2);
    const check = await checkDeltaTable(table, kind);
    expect(check.version).toBe(2);
    expect(check.files).toHaveLength(2);
    expect(check.orphans).toEqual([]);
    expect(check.txns.get(`lane/${kind}`)).toBe(2);
    expect(check.rows).toEqual(rows);
  });
});

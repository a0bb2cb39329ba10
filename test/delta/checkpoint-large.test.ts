// A checkpoint larger than one DuckDB chunk (2048 rows) reads back whole and in order, chunk by chunk.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../../src/delta/actions.ts';
import { readCheckpoint } from '../../src/delta/checkpoint-read.ts';
import { writeCheckpoint } from '../../src/delta/checkpoint-write.ts';
import { tryCommit } from '../../src/delta/commit.ts';
import { loadSnapshot } from '../../src/delta/snapshot.ts';
import { createDeltaTable, makeAdd } from '../../src/delta/table.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { schemaFor } from '../../src/tables/schema.ts';

const FILES = 5000;

let db: Db;
let dir: string;
beforeAll(async () => {
  db = await openDuckDb({ threads: 1 });
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'checkpoint-large-'));
});
afterAll(async () => {
  db.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('checkpoint of many files', () => {
  it('reads back every add, remove and txn, in the order written', async () => {
    const schema = schemaFor('logs');
    await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties } });
    const now = Date.now();
    const actions: Action[] = [{ txn: { appId: 'writer', version: 9007199254740993n, lastUpdated: now } }];
    for (let i = 0; i < FILES; i++) {
      const stats = JSON.stringify({ numRecords: i, minValues: { body: `b${i}` }, maxValues: { body: `b${i}` }, nullCount: { body: 0 } });
      actions.push({ add: makeAdd(`part-${String(i).padStart(5, '0')}.parquet`, 1000 + i, stats, now + i) });
    }
    await tryCommit(dir, 1, actions);
    await tryCommit(dir, 2, [{ remove: { path: 'part-00007.parquet', dataChange: true, deletionTimestamp: now } }]);
    const snap = (await loadSnapshot(dir, { db }))!;
    await writeCheckpoint(db, dir, snap, now);

    const read = await readCheckpoint(db, dir, 2);
    expect(read.rows).toBe(2 + 1 + (FILES - 1) + 1);
    expect([...read.files.keys()]).toEqual([...snap.files.keys()]);
    expect([...read.files.values()]).toEqual([...snap.files.values()]);
    expect([...read.tombstones.keys()]).toEqual(['part-00007.parquet']);
    expect(read.txns.get('writer')).toBe(9007199254740993n);
    expect(read.metaData.schemaString).toBe(snap.metaData.schemaString);
  });
});

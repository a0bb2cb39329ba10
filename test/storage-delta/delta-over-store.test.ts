// The Delta writer and reader over an object store with the faults remote
// stores show: answers lost after a write landed, throttling, listings cut
// short, and a writer racing for the same version. The table copied down
// passes the independent reader.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../../src/delta/checkpoint-write.ts';
import { readLastCheckpoint } from '../../src/delta/last-checkpoint.ts';
import { listLog, loadSnapshot, readCommit } from '../../src/delta/snapshot.ts';
import { appendFiles, createDeltaTable, makeAdd, newDataFileName } from '../../src/delta/table.ts';
import { openDuckDb } from '../../src/duckdb/db.ts';
import { registerStore, unregisterStore } from '../../src/storage/location.ts';
import { MemoryStore } from '../../src/storage/memory.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { readDeltaLog } from '../support/delta-check.ts';

const BASE = 'mem://lake';
const TABLE = `${BASE}/wh/main/s/otel_logs`;
let store: MemoryStore;
let work: string;

beforeEach(async () => {
  store = new MemoryStore('lake');
  registerStore(BASE, store);
  work = await mkdtemp(path.join(os.tmpdir(), 'o2d-store-delta-'));
  const schema = schemaFor('logs');
  await createDeltaTable(TABLE, { schema, properties: { ...schema.tableProperties } });
});

afterAll(async () => {
  unregisterStore(BASE);
  await rm(work, { recursive: true, force: true });
});

const add = (rows: number) => makeAdd(newDataFileName(), 100, JSON.stringify({ numRecords: rows }), Date.now());
const txnCount = async (appId: string, version: number): Promise<number> => {
  const { commits } = await listLog(TABLE);
  let n = 0;
  for (const v of commits) for (const a of await readCommit(TABLE, v)) if (typeof a.txn === 'object' && a.txn !== null && !Array.isArray(a.txn) && a.txn.appId === appId && Number(a.txn.version) === version) n += 1;
  return n;
};

/** The table's log and files as a local folder, for the independent reader. */
async function copyDown(dest: string): Promise<string> {
  for (const key of store.keys()) {
    if (!key.startsWith('wh/main/s/otel_logs/')) continue;
    const file = path.join(dest, ...key.slice('wh/main/s/otel_logs/'.length).split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, (await store.get(key)) as Uint8Array);
  }
  return dest;
}

describe('Delta commits over an object store', () => {
  it('appends with a txn, and a second writer taking the version makes the first move on', async () => {
    const first = await appendFiles(TABLE, { adds: [add(3)], txn: { appId: 'w1', version: 1 }, readVersion: 0 });
    expect(first).toEqual({ version: 1, skipped: false });
    // w2 still believes version 0 is the newest: its claim of 1 loses and it commits 2.
    const second = await appendFiles(TABLE, { adds: [add(2)], txn: { appId: 'w2', version: 1 }, readVersion: 0 });
    expect(second).toEqual({ version: 2, skipped: false });
    // w1 retrying its batch finds its txn and writes nothing.
    expect(await appendFiles(TABLE, { adds: [add(3)], txn: { appId: 'w1', version: 1 }, readVersion: 0 })).toEqual({ version: 1, skipped: true });
    expect((await loadSnapshot(TABLE))?.version).toBe(2);
  });

  it('settles a commit whose answer was lost after it landed as ours, without a second commit', async () => {
    store.faults.lostAnswers = 1;
    const res = await appendFiles(TABLE, { adds: [add(5)], txn: { appId: 'w1', version: 7 }, readVersion: 0 });
    expect(res).toEqual({ version: 1, skipped: false });
    expect(await txnCount('w1', 7)).toBe(1);
    expect((await listLog(TABLE)).commits).toEqual([0, 1]);
  });

  it('creates a table whose answer was lost exactly once', async () => {
    store.faults.lostAnswers = 1;
    const schema = schemaFor('logs');
    await createDeltaTable(`${BASE}/wh/main/s/other_logs`, { schema, properties: { ...schema.tableProperties } });
    expect(store.keys().filter((k) => k.startsWith('wh/main/s/other_logs/_delta_log/'))).toEqual(['wh/main/s/other_logs/_delta_log/00000000000000000000.json']);
  });

  it('waits out a busy store and commits once', async () => {
    store.faults.busyCalls = 3;
    expect(await appendFiles(TABLE, { adds: [add(1)], txn: { appId: 'w1', version: 1 }, readVersion: 0 })).toEqual({ version: 1, skipped: false });
    expect(await txnCount('w1', 1)).toBe(1);
  });

  it('sees every commit when a listing stops short', async () => {
    for (let i = 1; i <= 6; i++) await appendFiles(TABLE, { adds: [add(1)], txn: { appId: 'w1', version: i }, readVersion: i - 1 });
    store.faults.truncatedLists = 2;
    expect((await listLog(TABLE)).commits).toEqual([0, 1, 2, 3, 4, 5, 6]);
    store.faults.truncatedLists = 2;
    expect((await loadSnapshot(TABLE))?.version).toBe(6);
  });

  it('writes and reads a checkpoint and its hint through the store, and the independent reader accepts the table', async () => {
    const db = await openDuckDb();
    try {
      for (let i = 1; i <= 3; i++) await appendFiles(TABLE, { adds: [add(i)], txn: { appId: 'w1', version: i }, readVersion: i - 1 });
      const snap = await loadSnapshot(TABLE, { db });
      const info = await writeCheckpoint(db, TABLE, snap!);
      expect(info.version).toBe(3);
      expect(await readLastCheckpoint(TABLE)).toMatchObject({ version: 3, numOfAddFiles: 3 });
      await appendFiles(TABLE, { adds: [add(9)], txn: { appId: 'w1', version: 4 }, readVersion: 3 });
      const again = await loadSnapshot(TABLE, { db });
      expect(again?.version).toBe(4);
      expect(again?.files.size).toBe(4);
      const log = readDeltaLog(await copyDown(path.join(work, 'copy')));
      expect(log.commits.map((c) => c.version)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      db.close();
    }
  });
});

// Self-test of the checker's checkpoint and rewrite rules: each kind of bad checkpoint or rewrite commit is named.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../../src/delta/checkpoint-write.ts';
import { tryCommit } from '../../src/delta/commit.ts';
import { loadSnapshot } from '../../src/delta/snapshot.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { appendRows, createTable, logRow, tempDir, type TestTable } from '../maintenance/helpers.ts';

let db: Db;
let root: string;
beforeAll(async () => {
  db = await openDuckDb({ threads: 1 });
  root = await tempDir('check-cp-');
});
afterAll(async () => {
  db.close();
  await fsp.rm(root, { recursive: true, force: true });
});

async function table(name: string): Promise<TestTable> {
  const t = await createTable(path.join(root, name), 'logs');
  for (let i = 1; i <= 3; i++) await appendRows(db, t, [logRow(`${name}${i}`, i), logRow(`${name}${i}b`, i)], i);
  return t;
}

describe('checkDeltaTable on checkpoints and rewrites', () => {
  it('passes a table with a good checkpoint', async () => {
    const t = await table('good');
    await writeCheckpoint(db, t.dir, (await loadSnapshot(t.dir))!);
    expect((await checkDeltaTable(t.dir, 'logs')).files).toHaveLength(3);
  });

  it('names a checkpoint that differs from the JSON log', async () => {
    const t = await table('differs');
    const snap = (await loadSnapshot(t.dir))!;
    const [first] = snap.files.keys();
    snap.files.delete(first as string);
    snap.txns.set('test-lane', 99);
    await writeCheckpoint(db, t.dir, snap);
    await expect(checkDeltaTable(t.dir, 'logs')).rejects.toThrow(/checkpoint v3 vs the JSON log: txns\.test-lane: 99[\s\S]*active paths/);
  });

  it('names a _last_checkpoint whose counts do not match its checkpoint', async () => {
    const t = await table('counts');
    await writeCheckpoint(db, t.dir, (await loadSnapshot(t.dir))!);
    const hint = path.join(t.dir, '_delta_log', '_last_checkpoint');
    const doc = JSON.parse(await fsp.readFile(hint, 'utf8')) as Record<string, unknown>;
    await fsp.writeFile(hint, JSON.stringify({ ...doc, size: 99 }));
    await expect(checkDeltaTable(t.dir, 'logs')).rejects.toThrow(/checksum .* does not match[\s\S]*size 99 but the checkpoint holds 6 actions/);
  });

  it('names a remove of a file that is no longer active, and a rewrite that changes the row count', async () => {
    const t = await table('double');
    const [a, b] = [...(await loadSnapshot(t.dir))!.files.values()];
    const remove = (p: string) => ({ remove: { path: p, dataChange: false, deletionTimestamp: Date.now() } });
    await tryCommit(t.dir, 4, [remove(a!.path)]);
    await tryCommit(t.dir, 5, [remove(a!.path)]);
    await tryCommit(t.dir, 6, [remove(b!.path), { add: { ...a!, dataChange: false, stats: a!.stats!.replace('"numRecords":2', '"numRecords":1') } }]);
    await expect(checkDeltaTable(t.dir, 'logs')).rejects.toThrow(
      /v4: dataChange=false rewrite removes 2 rows but adds 0[\s\S]*v5: remove of '.*', which is not an active file[\s\S]*v6: dataChange=false rewrite removes 2 rows but adds 1/,
    );
  });

  it('names a log that starts after version 0 without a checkpoint', async () => {
    const t = await table('nocp');
    await fsp.rm(path.join(t.dir, '_delta_log', '00000000000000000000.json'));
    await expect(checkDeltaTable(t.dir, 'logs')).rejects.toThrow(/starts at version 1 with no checkpoint/);
  });
});

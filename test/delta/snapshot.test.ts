import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitFileName, tryCommit } from '../../src/delta/commit.ts';
import { latestVersion, loadSnapshot, refreshSnapshot } from '../../src/delta/snapshot.ts';
import { appendFiles, createDeltaTable, makeAdd } from '../../src/delta/table.ts';
import { schemaFor } from '../../src/tables/schema.ts';

let table: string;
beforeEach(async () => {
  table = await fsp.mkdtemp(path.join(os.tmpdir(), 'delta-snap-'));
});
afterEach(async () => {
  await fsp.rm(table, { recursive: true, force: true });
});

const create = () => createDeltaTable(table, { schema: schemaFor('logs'), properties: { 'otel.schemaVersion': 'v1' } });
const addOf = (name: string, size = 10) => makeAdd(name, size, '{"numRecords":1}', 1);

describe('loadSnapshot', () => {
  it('is null for a directory without a log', async () => {
    expect(await loadSnapshot(table)).toBeNull();
    expect(await latestVersion(table)).toBeNull();
    expect(await loadSnapshot(path.join(table, 'missing'))).toBeNull();
  });

  it('replays adds, removes, txns and the latest metaData', async () => {
    await create();
    await appendFiles(table, { adds: [addOf('a.parquet'), addOf('b.parquet')], readVersion: 0, txn: { appId: 'x', version: 1 } });
    await tryCommit(table, 2, [
      { remove: { path: 'a.parquet', dataChange: true, deletionTimestamp: 5 } },
      { add: addOf('b.parquet', 99) },
      { txn: { appId: 'x', version: 18_446_744_073_709_551_615n } },
      { txn: { appId: 'y', version: 0 } },
    ]);
    // Unknown actions and blank lines are skipped, as the protocol asks of readers.
    await fsp.appendFile(path.join(table, '_delta_log', commitFileName(2)), '\n{"domainMetadata":{"domain":"d"}}\n');
    const snap = await loadSnapshot(table);
    expect(snap?.version).toBe(2);
    expect([...(snap?.files.keys() ?? [])]).toEqual(['b.parquet']);
    expect(snap?.files.get('b.parquet')?.size).toBe(99);
    expect(snap?.txns).toEqual(new Map<string, bigint | number>([['x', 18_446_744_073_709_551_615n], ['y', 0]]));
    expect(snap?.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(snap?.metaData.configuration).toEqual({ 'otel.schemaVersion': 'v1' });
    expect(await latestVersion(table)).toBe(2);
  });

  it('throws on a gap in the versions', async () => {
    await create();
    await tryCommit(table, 1, [{ add: addOf('a.parquet') }]);
    await tryCommit(table, 3, [{ add: addOf('c.parquet') }]);
    await expect(loadSnapshot(table)).rejects.toThrow(/not contiguous: version 2 is missing/);
  });

  it('throws when the log does not start at version 0', async () => {
    await fsp.mkdir(path.join(table, '_delta_log'));
    await tryCommit(table, 1, [{ add: addOf('a.parquet') }]);
    await expect(loadSnapshot(table)).rejects.toThrow(/starts at version 1/);
  });

  it('ignores temporary and unrelated files in _delta_log', async () => {
    await create();
    const log = path.join(table, '_delta_log');
    await fsp.writeFile(path.join(log, `.${commitFileName(1)}.abc.tmp`), 'partial');
    await fsp.writeFile(path.join(log, '00000000000000000000.crc'), '{}');
    expect((await loadSnapshot(table))?.version).toBe(0);
  });
});

describe('refreshSnapshot', () => {
  it('applies only newer commits and leaves the old snapshot untouched', async () => {
    await create();
    await appendFiles(table, { adds: [addOf('a.parquet')], readVersion: 0 });
    const old = await loadSnapshot(table);
    if (!old) throw new Error('no snapshot');
    expect(await refreshSnapshot(old, table)).toBe(old);
    await appendFiles(table, { adds: [addOf('b.parquet')], readVersion: 1, txn: { appId: 'x', version: 3 } });
    await tryCommit(table, 3, [{ remove: { path: 'a.parquet', dataChange: true } }]);
    const fresh = await refreshSnapshot(old, table);
    expect(fresh.version).toBe(3);
    expect([...fresh.files.keys()]).toEqual(['b.parquet']);
    expect(fresh.txns.get('x')).toBe(3);
    expect(old.version).toBe(1);
    expect([...old.files.keys()]).toEqual(['a.parquet']);
    expect(fresh).toEqual(await loadSnapshot(table));
  });
});

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AddAction } from '../../src/delta/actions.ts';
import { commitFileName, tryCommit } from '../../src/delta/commit.ts';
import { parseJson } from '../../src/delta/json.ts';
import { loadSnapshot } from '../../src/delta/snapshot.ts';
import { appendFiles, createDeltaTable, makeAdd, newDataFileName } from '../../src/delta/table.ts';
import { deltaSchemaString, schemaFor } from '../../src/tables/schema.ts';

let root: string;
let table: string;
beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'delta-table-'));
  table = path.join(root, 'main', 'otel', 'metrics');
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const schema = schemaFor('metrics');
const create = () => createDeltaTable(table, { schema, properties: { 'otel.schemaVersion': 'v1' }, name: 'metrics' });

async function logLines(version: number): Promise<Record<string, Record<string, unknown>>[]> {
  const text = await fsp.readFile(path.join(table, '_delta_log', commitFileName(version)), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((l) => parseJson(l) as Record<string, Record<string, unknown>>);
}

const logEntries = async () => (await fsp.readdir(path.join(table, '_delta_log'))).sort();
const stats = (n: number) => `{"numRecords":${n},"minValues":{},"maxValues":{},"nullCount":{}}`;
const add = (n: number): AddAction => makeAdd(newDataFileName(), 100 + n, stats(n), 1_700_000_000_000);

describe('createDeltaTable', () => {
  it('writes protocol, metaData and commitInfo as version 0', async () => {
    await create();
    const lines = await logLines(0);
    expect(lines.map((l) => Object.keys(l))).toEqual([['commitInfo'], ['protocol'], ['metaData']]);
    const [info, protocol, meta] = lines;
    expect(info?.commitInfo).toMatchObject({ operation: 'CREATE TABLE', engineInfo: 'otlp2delta/0.1.0' });
    expect(typeof info?.commitInfo?.timestamp).toBe('number');
    expect(protocol?.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(meta?.metaData).toMatchObject({
      name: 'metrics',
      format: { provider: 'parquet', options: {} },
      schemaString: deltaSchemaString(schema.columns),
      partitionColumns: [],
      configuration: { 'otel.schemaVersion': 'v1' },
    });
    expect(meta?.metaData?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await logEntries()).toEqual(['00000000000000000000.json']);
  });

  it('refuses to create a table twice', async () => {
    await create();
    await expect(create()).rejects.toThrow(/already exists/);
    expect(await logEntries()).toEqual(['00000000000000000000.json']);
  });
});

describe('appendFiles', () => {
  it('commits commitInfo, txn and adds after readVersion', async () => {
    await create();
    const adds = [add(3), add(4)];
    const res = await appendFiles(table, { adds, readVersion: 0, txn: { appId: 'lane-1', version: 9_007_199_254_740_993n } });
    expect(res).toEqual({ version: 1, skipped: false });
    const lines = await logLines(1);
    expect(lines.map((l) => Object.keys(l)[0])).toEqual(['commitInfo', 'txn', 'add', 'add']);
    expect(lines[0]?.commitInfo).toMatchObject({
      operation: 'WRITE',
      operationParameters: { mode: 'Append' },
      isBlindAppend: true,
      readVersion: 0,
      operationMetrics: { numFiles: '2', numOutputRows: '7', numOutputBytes: '207' },
    });
    expect(lines[1]?.txn).toMatchObject({ appId: 'lane-1', version: 9_007_199_254_740_993n });
    expect(lines[2]?.add).toEqual({ ...adds[0] });
    expect(adds[0]?.path).toMatch(/^part-00000-[0-9a-f-]{36}-c000\.zstd\.parquet$/);
    expect(adds[0]).toMatchObject({ partitionValues: {}, dataChange: true, size: 103 });
  });

  it('percent-encodes each path segment', () => {
    expect(makeAdd('dir a/b%c#.parquet', 1, undefined, 0).path).toBe('dir%20a/b%25c%23.parquet');
  });

  it('lands two writers racing from the same readVersion at distinct versions', async () => {
    await create();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => appendFiles(table, { adds: [add(i)], readVersion: 0 })),
    );
    expect(results.map((r) => r.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const snap = await loadSnapshot(table);
    expect(snap?.version).toBe(6);
    expect(snap?.files.size).toBe(6);
  });

  it('skips a batch whose txn a winning commit already carries', async () => {
    await create();
    const txn = { appId: 'lane-1', version: 5 };
    const first = await appendFiles(table, { adds: [add(1)], readVersion: 0, txn });
    // A second writer that still believes the table is at version 0 retries the same batch.
    const again = await appendFiles(table, { adds: [add(1)], readVersion: 0, txn });
    expect(first).toEqual({ version: 1, skipped: false });
    expect(again).toEqual({ version: 1, skipped: true });
    expect((await loadSnapshot(table))?.version).toBe(1);
    // A newer batch of the same lane is not mistaken for a duplicate.
    expect(await appendFiles(table, { adds: [add(2)], readVersion: 0, txn: { ...txn, version: 6 } })).toEqual({ version: 2, skipped: false });
  });

  it('fails instead of retrying over a metadata change', async () => {
    await create();
    const meta = (await logLines(0))[2] as never;
    expect(await tryCommit(table, 1, [meta])).toBe(true);
    await expect(appendFiles(table, { adds: [add(1)], readVersion: 0 })).rejects.toThrow(/protocol or metadata/);
  });

  it('refuses to append after a version that does not exist', async () => {
    await create();
    await expect(appendFiles(table, { adds: [add(1)], readVersion: 3 })).rejects.toThrow(/no version 3/);
  });

  it('gives up after maxAttempts lost races', async () => {
    await create();
    for (let v = 1; v <= 3; v++) expect(await tryCommit(table, v, [{ add: add(v) }])).toBe(true);
    const never = appendFiles(table, { adds: [add(9)], readVersion: 0, maxAttempts: 1 });
    await expect(never).rejects.toThrow(/after 1 lost commit races/);
  });
});

describe('tryCommit', () => {
  it('never replaces a commit and leaves no temporary files behind', async () => {
    await create();
    const before = await fsp.readFile(path.join(table, '_delta_log', commitFileName(0)), 'utf8');
    expect(await tryCommit(table, 0, [{ add: add(1) }])).toBe(false);
    expect(await fsp.readFile(path.join(table, '_delta_log', commitFileName(0)), 'utf8')).toBe(before);
    expect(await tryCommit(table, 1, [{ add: add(1) }])).toBe(true);
    expect(await logEntries()).toEqual(['00000000000000000000.json', '00000000000000000001.json']);
  });

  it('rejects actions with more than one key', async () => {
    await create();
    const bad = { add: add(1), remove: { path: 'x', dataChange: true } } as never;
    await expect(tryCommit(table, 1, [bad])).rejects.toThrow(/exactly one key/);
    expect(await logEntries()).toEqual(['00000000000000000000.json']);
  });
});

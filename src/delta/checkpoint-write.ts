// Writes a classic single-file Parquet checkpoint of one snapshot through
// DuckDB, atomically, then points `_last_checkpoint` at it.
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withConnection, type Db } from '../duckdb/db.ts';
import { sqlString } from '../duckdb/sql.ts';
import { duckdbType } from '../tables/schema.ts';
import type { Action, RemoveAction } from './actions.ts';
import { CHECKPOINT_COLUMNS, checkpointFileName } from './checkpoint-schema.ts';
import { logDir } from './commit.ts';
import { uploadLogFile } from './log-files.ts';
import { isRemoteLocation } from '../storage/location.ts';
import { fsyncFile } from './fsync.ts';
import { stringifyJson, type JsonValue } from './json.ts';
import { writeLastCheckpoint, type LastCheckpoint } from './last-checkpoint.ts';
import { deletedFileRetentionMs } from './properties.ts';
import type { Snapshot } from './snapshot.ts';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
// Lines per write call: bounds the memory of the text for tables with many files,
// and the time each batch of JSON encoding holds the event loop (about 5 ms
// for 500 adds with stats; a server acknowledges requests in between).
const LINES_PER_WRITE = 500;

/** Tombstones still inside the table's retention window; expired ones leave the log here. */
export function liveTombstones(snapshot: Snapshot, now: number): RemoveAction[] {
  const cutoff = now - deletedFileRetentionMs(snapshot.metaData);
  return [...snapshot.tombstones.values()].filter((r) => (r.deletionTimestamp ?? 0) > cutoff);
}

/** The checkpoint's rows in writing order: protocol, metaData, txns, adds, tombstones. */
export function checkpointActions(snapshot: Snapshot, now: number): Action[] {
  const actions: Action[] = [{ protocol: snapshot.protocol }, { metaData: snapshot.metaData }];
  for (const [appId, version] of snapshot.txns) {
    // The checkpoint column is an int64; a wider value cannot be stored faithfully.
    if (BigInt(version) > INT64_MAX || BigInt(version) < INT64_MIN) {
      throw new Error(`txn '${appId}' version ${version} does not fit the checkpoint's long column`);
    }
    actions.push({ txn: { appId, version } });
  }
  for (const add of snapshot.files.values()) actions.push({ add });
  for (const remove of liveTombstones(snapshot, now)) actions.push({ remove });
  return actions;
}

async function writeNdjson(file: string, actions: Action[]): Promise<void> {
  const fh = await fsp.open(file, 'wx');
  try {
    for (let i = 0; i < actions.length; i += LINES_PER_WRITE) {
      const lines = actions.slice(i, i + LINES_PER_WRITE).map((a) => stringifyJson(a as unknown as JsonValue));
      await fh.write(`${lines.join('\n')}\n`);
    }
  } finally {
    await fh.close();
  }
}

function readSql(ndjson: string): string {
  const columns = CHECKPOINT_COLUMNS.map((c) => `${sqlString(c.name)}: ${sqlString(duckdbType(c.type))}`).join(', ');
  // Lines are bounded by the schemaString and stats text; 64 MiB leaves ample room.
  return `read_ndjson(${sqlString(ndjson)}, columns = {${columns}}, format = 'newline_delimited', maximum_object_size = 67108864)`;
}

/** Writes `rows` as Parquet to `out` and checks that every row arrived. */
async function copyToParquet(db: Db, ndjson: string, out: string, rows: number): Promise<void> {
  await withConnection(db, async (conn) => {
    // Snappy: the codec every Delta reader's checkpoint path has supported longest.
    await conn.run(`COPY (SELECT * FROM ${readSql(ndjson)}) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION snappy)`);
    const [row] = await conn.rows(`SELECT count(*) FROM read_parquet(${sqlString(out)})`);
    if (Number(row?.[0]) !== rows) throw new Error(`checkpoint holds ${String(row?.[0])} rows, expected ${rows}`);
  });
}

/**
 * Writes the checkpoint of `snapshot` (which must be the state at its version)
 * and updates `_last_checkpoint`. The Parquet file appears under its final
 * name only once complete; two writers racing on one version write the same
 * content, so whichever rename lands last is as good as the other.
 */
export async function writeCheckpoint(db: Db, tableDir: string, snapshot: Snapshot, now = Date.now()): Promise<LastCheckpoint> {
  const actions = checkpointActions(snapshot, now);
  const name = checkpointFileName(snapshot.version);
  const tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'otlp2delta-checkpoint-'));
  // Written whole beside the log first (a local table renames it in; a store gets an upload).
  const local = isRemoteLocation(tableDir) ? path.join(tmpDir, name) : path.join(logDir(tableDir), `.${name}.${randomUUID()}.tmp`);
  let sizeInBytes: number;
  try {
    const ndjson = path.join(tmpDir, 'actions.ndjson');
    await writeNdjson(ndjson, actions);
    await copyToParquet(db, ndjson, local, actions.length);
    await fsyncFile(local);
    sizeInBytes = (await fsp.stat(local)).size;
    await uploadLogFile(tableDir, name, local);
  } finally {
    await fsp.rm(local, { force: true });
    await fsp.rm(tmpDir, { recursive: true, force: true });
  }
  const info: LastCheckpoint = { version: snapshot.version, size: actions.length, sizeInBytes, numOfAddFiles: snapshot.files.size };
  await writeLastCheckpoint(tableDir, info);
  return info;
}

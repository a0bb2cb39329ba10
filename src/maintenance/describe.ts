// What `describe` and `history` report about a table, computed from its log:
// the snapshot's detail (like DESCRIBE DETAIL) with a check of its data files,
// and recent commits (like DESCRIBE HISTORY).
import type { AddAction } from '../delta/actions.ts';
import type { JsonObject, JsonValue } from '../delta/json.ts';
import { commitFileName } from '../delta/commit.ts';
import { logFileInfo } from '../delta/log-files.ts';
import { resolvedLocation } from './fsck.ts';
import { readLastCheckpoint, type LastCheckpoint } from '../delta/last-checkpoint.ts';
import { checkpointIntervalOf } from '../delta/properties.ts';
import { listLog, loadSnapshot, readCommit } from '../delta/snapshot.ts';
import { numRecordsOf } from '../delta/table.ts';
import type { Db } from '../duckdb/db.ts';
import { kindOfSchemaString } from '../ingest/registry.ts';
import { DEFAULT_CHECKPOINT_INTERVAL } from './checkpoints.ts';
import { checkTableFiles, type TableCheck } from './fsck.ts';
import { DEFAULT_TARGET_FILE_BYTES } from './optimize.ts';
import { smallFiles } from './plan.ts';

export type TableDetail = {
  location: string;
  id: string;
  name: string | undefined;
  kind: string | undefined;
  version: number;
  createdTime: number | undefined;
  /** Time of the newest commit (its commitInfo, else the file's). */
  lastModified: number | undefined;
  numFiles: number;
  sizeInBytes: number;
  numRows: number;
  /** Active files below the default compaction target. */
  smallFiles: number;
  tombstones: number;
  partitionColumns: string[];
  properties: Record<string, string>;
  minReaderVersion: number;
  minWriterVersion: number;
  checkpointInterval: number;
  lastCheckpoint: LastCheckpoint | undefined;
  /** The oldest JSON commit still in the log (older ones expired behind a checkpoint). */
  oldestCommit: number;
  /** Whether every active file is on disk with the size the log recorded. */
  health: TableCheck;
};

const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

async function commitTime(tableDir: string, version: number): Promise<number | undefined> {
  const info = (await readCommit(tableDir, version)).find((a) => isObject(a.commitInfo))?.commitInfo as JsonObject | undefined;
  if (typeof info?.timestamp === 'number') return info.timestamp;
  const st = await logFileInfo(tableDir, commitFileName(version)).catch(() => undefined);
  return st ? Math.round(st.lastModified) : undefined;
}

export async function describeTable(tableDir: string, opts: { db?: Db } = {}): Promise<TableDetail> {
  const snap = await loadSnapshot(tableDir, opts.db ? { db: opts.db } : {});
  if (!snap) throw new Error(`no Delta table at ${tableDir}`);
  const files = [...snap.files.values()];
  const { commits } = await listLog(tableDir);
  return {
    location: resolvedLocation(tableDir),
    id: snap.metaData.id,
    name: snap.metaData.name,
    kind: kindOfSchemaString(snap.metaData.schemaString),
    version: snap.version,
    createdTime: snap.metaData.createdTime,
    lastModified: await commitTime(tableDir, snap.version),
    numFiles: files.length,
    sizeInBytes: files.reduce((n, a) => n + a.size, 0),
    numRows: Number(files.reduce((n, a) => n + numRecordsOf(a), 0n)),
    smallFiles: smallFiles(files, DEFAULT_TARGET_FILE_BYTES).length,
    tombstones: snap.tombstones.size,
    partitionColumns: snap.metaData.partitionColumns,
    properties: { ...snap.metaData.configuration },
    minReaderVersion: snap.protocol.minReaderVersion,
    minWriterVersion: snap.protocol.minWriterVersion,
    checkpointInterval: checkpointIntervalOf(snap.metaData, DEFAULT_CHECKPOINT_INTERVAL),
    lastCheckpoint: await readLastCheckpoint(tableDir),
    oldestCommit: commits[0] ?? snap.version,
    health: await checkTableFiles(tableDir, snap),
  };
}

export type HistoryEntry = {
  version: number;
  timestamp: number | undefined;
  operation: string | undefined;
  operationParameters: JsonObject | undefined;
  readVersion: number | undefined;
  engineInfo: string | undefined;
  /** Rows of files added as new data (dataChange=true). */
  rowsAdded: number;
  filesAdded: number;
  filesRemoved: number;
  bytesAdded: number;
  bytesRemoved: number;
};

function summarize(version: number, actions: JsonObject[], fileTime: number | undefined): HistoryEntry {
  const info = actions.find((a) => isObject(a.commitInfo))?.commitInfo as JsonObject | undefined;
  const entry: HistoryEntry = {
    version,
    timestamp: typeof info?.timestamp === 'number' ? info.timestamp : fileTime,
    operation: typeof info?.operation === 'string' ? info.operation : undefined,
    operationParameters: isObject(info?.operationParameters) ? info.operationParameters : undefined,
    readVersion: typeof info?.readVersion === 'number' ? info.readVersion : undefined,
    engineInfo: typeof info?.engineInfo === 'string' ? info.engineInfo : undefined,
    rowsAdded: 0,
    filesAdded: 0,
    filesRemoved: 0,
    bytesAdded: 0,
    bytesRemoved: 0,
  };
  for (const a of actions) {
    if (isObject(a.add)) {
      const size = typeof a.add.size === 'number' ? a.add.size : 0;
      entry.filesAdded += 1;
      entry.bytesAdded += size;
      if (a.add.dataChange !== false && typeof a.add.stats === 'string') {
        entry.rowsAdded += Number(numRecordsOf(a.add as unknown as AddAction));
      }
    } else if (isObject(a.remove)) {
      entry.filesRemoved += 1;
      entry.bytesRemoved += typeof a.remove.size === 'number' ? a.remove.size : 0;
    }
  }
  return entry;
}

/** The newest `limit` commits still in the log (all when limit is 0), newest first. */
export async function tableHistory(tableDir: string, opts: { limit?: number } = {}): Promise<HistoryEntry[]> {
  const { commits } = await listLog(tableDir);
  if (commits.length === 0) throw new Error(`no Delta table at ${tableDir}`);
  const limit = opts.limit ?? 0;
  const chosen = (limit > 0 ? commits.slice(-limit) : commits).reverse();
  const entries: HistoryEntry[] = [];
  for (const v of chosen) {
    const st = await logFileInfo(tableDir, commitFileName(v)).catch(() => undefined);
    entries.push(summarize(v, await readCommit(tableDir, v), st ? Math.round(st.lastModified) : undefined));
  }
  return entries;
}

// Creating Delta tables and appending data files to them: the commit contents
// (commitInfo, protocol, metaData, add, txn) and the optimistic retry loop.
import { randomUUID } from 'node:crypto';
import { readFileSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deltaSchemaString, type TableSchema } from '../tables/schema.ts';
import type { Action, AddAction, CommitInfoAction, ProtocolAction } from './actions.ts';
import { commitFileName, logDir, tryCommit } from './commit.ts';
import { logFileExists } from './log-files.ts';
import { isRemoteLocation, joinLocation } from '../storage/location.ts';
import { parseJson } from './json.ts';
import { latestVersion, readCommit } from './snapshot.ts';

/** Plain tables need nothing beyond reader 1 / writer 2, which every Delta reader accepts. */
export const PROTOCOL: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 2 };
const DEFAULT_MAX_ATTEMPTS = 20;

let engineInfoText: string | undefined;
/** `otlp2delta/<version>`, the commitInfo.engineInfo of every commit we write. */
export function engineInfo(): string {
  if (engineInfoText === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    engineInfoText = `otlp2delta/${pkg.version ?? 'unknown'}`;
  }
  return engineInfoText;
}

/** A fresh, never reused data file name in Spark's style, for the table root. */
export function newDataFileName(): string {
  return `part-00000-${randomUUID()}-c000.zstd.parquet`;
}

/** An add for a file at `relativePath` (slash-separated, not yet encoded). */
export function makeAdd(relativePath: string, size: number, stats: string | undefined, modificationTime: number): AddAction {
  const encoded = relativePath.split('/').map(encodeURIComponent).join('/');
  const add: AddAction = { path: encoded, partitionValues: {}, size, modificationTime, dataChange: true };
  if (stats !== undefined) add.stats = stats;
  return add;
}

/** Where the file an add.path names lives: a path on disk, or a location in the table's store. */
export function dataFilePath(tableDir: string, addPath: string): string {
  const parts = addPath.split('/').map(decodeURIComponent);
  return isRemoteLocation(tableDir) ? joinLocation(tableDir, ...parts) : path.join(tableDir, ...parts);
}

/** Throws unless this writer honours every rule the table's protocol imposes. */
export function assertWritable(protocol: ProtocolAction): void {
  if (protocol.minWriterVersion > PROTOCOL.minWriterVersion) {
    throw new Error(
      `table needs Delta writer version ${protocol.minWriterVersion}; this service writes version ${PROTOCOL.minWriterVersion} tables only`,
    );
  }
}

export type CreateTableOptions = { schema: TableSchema; properties: Record<string, string>; name?: string };

/** Writes version 0 of a new table; throws if the table already exists. */
export async function createDeltaTable(tableDir: string, opts: CreateTableOptions): Promise<void> {
  for (const [key, value] of Object.entries(opts.properties)) {
    if (typeof value !== 'string') throw new Error(`table property '${key}' must be a string`);
  }
  const now = Date.now();
  const commitInfo: CommitInfoAction = {
    timestamp: now,
    operation: 'CREATE TABLE',
    operationParameters: { isManaged: 'false', partitionBy: '[]', properties: JSON.stringify(opts.properties) },
    isolationLevel: 'Serializable',
    isBlindAppend: true,
    operationMetrics: {},
    engineInfo: engineInfo(),
    txnId: randomUUID(),
  };
  const actions: Action[] = [
    { commitInfo },
    { protocol: { ...PROTOCOL } },
    {
      metaData: {
        id: randomUUID(),
        ...(opts.name === undefined ? {} : { name: opts.name }),
        format: { provider: 'parquet', options: {} },
        schemaString: deltaSchemaString(opts.schema.columns),
        partitionColumns: [],
        configuration: { ...opts.properties },
        createdTime: now,
      },
    },
  ];
  if (!isRemoteLocation(tableDir)) await fsp.mkdir(logDir(tableDir), { recursive: true });
  if (!(await tryCommit(tableDir, 0, actions))) {
    throw new Error(`Delta table at ${tableDir} already exists`);
  }
}

export type AppendOptions = {
  adds: AddAction[];
  /** Marks the batch for exactly-once: appId's version is at least this afterwards. */
  txn?: { appId: string; version: bigint | number };
  /** The version the caller's view of the table is at; the commit goes after it. */
  readVersion: number;
  maxAttempts?: number;
  operation?: string;
};

export type AppendResult = {
  /** The version holding the batch: ours, or the winner's that already had it. */
  version: number;
  /** True when another commit already carried this txn, so nothing was written. */
  skipped: boolean;
};

/** The file's row count from its stats; 0 when it has none. */
export function numRecordsOf(add: AddAction): bigint {
  if (add.stats === undefined) return 0n;
  const stats = parseJson(add.stats);
  const n = typeof stats === 'object' && stats !== null && !Array.isArray(stats) ? stats.numRecords : undefined;
  return typeof n === 'number' || typeof n === 'bigint' ? BigInt(n) : 0n;
}

function appendActions(opts: AppendOptions, readVersion: number): Action[] {
  const now = Date.now();
  const rows = opts.adds.reduce((sum, a) => sum + numRecordsOf(a), 0n);
  const bytes = opts.adds.reduce((sum, a) => sum + a.size, 0);
  // Spark writes operation metrics as strings; history readers expect map<string,string>.
  const commitInfo: CommitInfoAction = {
    timestamp: now,
    operation: opts.operation ?? 'WRITE',
    operationParameters: { mode: 'Append', partitionBy: '[]' },
    readVersion,
    isolationLevel: 'Serializable',
    isBlindAppend: true,
    operationMetrics: { numFiles: String(opts.adds.length), numOutputRows: String(rows), numOutputBytes: String(bytes) },
    engineInfo: engineInfo(),
    txnId: randomUUID(),
  };
  const actions: Action[] = [{ commitInfo }];
  if (opts.txn) actions.push({ txn: { appId: opts.txn.appId, version: opts.txn.version, lastUpdated: now } });
  for (const add of opts.adds) actions.push({ add });
  return actions;
}

/**
 * Looks at the commits that beat us to `from..to`. Returns the version that
 * already holds our txn, if one does; throws when the table changed in a way a
 * blind append must not paper over.
 */
async function checkWinners(tableDir: string, from: number, to: number, txn: AppendOptions['txn']): Promise<number | undefined> {
  for (let v = from; v <= to; v++) {
    for (const action of await readCommit(tableDir, v)) {
      if ('protocol' in action || 'metaData' in action) {
        throw new Error(`Delta table at ${tableDir} changed its protocol or metadata in version ${v}; reload the table before appending`);
      }
      const won = action.txn;
      if (!txn || typeof won !== 'object' || won === null || Array.isArray(won) || won.appId !== txn.appId) continue;
      const wonVersion = won.version;
      if ((typeof wonVersion === 'number' || typeof wonVersion === 'bigint') && BigInt(wonVersion) >= BigInt(txn.version)) return v;
    }
  }
  return undefined;
}

function checkAppendOptions(opts: AppendOptions): void {
  if (!Number.isSafeInteger(opts.readVersion) || opts.readVersion < 0) {
    throw new Error(`readVersion must be a committed version, got ${opts.readVersion}`);
  }
  const v = opts.txn?.version;
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new Error(`txn version must be an integer, got ${v}`);
}

// Committing after a version that does not exist would leave a gap no reader accepts.
async function assertCommitted(tableDir: string, version: number): Promise<void> {
  if (!(await logFileExists(tableDir, commitFileName(version)))) {
    throw new Error(`Delta table at ${tableDir} has no version ${version} to append after`);
  }
}

/**
 * Commits `adds` (and `txn`) after `readVersion`. A lost race is retried at
 * the next free version unless the winners changed protocol or metadata
 * (error) or already committed our txn (skipped). The caller checks its own
 * snapshot's txn before writing files; this only closes the race window.
 */
export async function appendFiles(tableDir: string, opts: AppendOptions): Promise<AppendResult> {
  checkAppendOptions(opts);
  await assertCommitted(tableDir, opts.readVersion);
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  let version = opts.readVersion + 1;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (await tryCommit(tableDir, version, appendActions(opts, version - 1))) return { version, skipped: false };
    const latest = (await latestVersion(tableDir)) ?? version;
    const holder = await checkWinners(tableDir, version, latest, opts.txn);
    if (holder !== undefined) return { version: holder, skipped: true };
    version = latest + 1;
    // Jitter keeps writers that collided from colliding again in lock step.
    if (attempt < maxAttempts) await sleep(Math.random() * Math.min(50, 2 ** attempt));
  }
  throw new Error(`gave up appending to Delta table at ${tableDir} after ${maxAttempts} lost commit races`);
}

// Compaction (`optimize`): rewrites runs of small files into one time-ordered
// file each and commits the swap with dataChange=false, safely alongside
// ingestion: appends never conflict with it, and a run whose inputs another
// commit removed is dropped and re-planned.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publishDataFile, removeDataFile } from '../delta/data-files.ts';
import { isRemoteLocation } from '../storage/location.ts';
import { cachedLocalPath } from '../storage/read-cache.ts';
import type { AddAction } from '../delta/actions.ts';
import { fsyncDir, fsyncFile } from '../delta/fsync.ts';
import { commitRewrite } from '../delta/rewrite.ts';
import { loadSnapshot, type Snapshot } from '../delta/snapshot.ts';
import { assertWritable, dataFilePath, makeAdd, newDataFileName, numRecordsOf } from '../delta/table.ts';
import { withConnection, type Db } from '../duckdb/db.ts';
import { sqlString } from '../duckdb/sql.ts';
import { kindOfSchemaString } from '../ingest/registry.ts';
import { statsQuery } from '../parquet/stats.ts';
import { duckdbType, quoteIdent, schemaFor, type TableKind, type TableSchema } from '../tables/schema.ts';
import { maybeCheckpoint } from './checkpoints.ts';
import { assertFilesIntact } from './fsck.ts';
import { planCompaction, type CompactionGroup } from './plan.ts';
import { timeOrderSql } from './time-order.ts';

const MiB = 1024 * 1024;
/** Output size to aim for: large enough that a year of telemetry is a few thousand files, small enough to rewrite in seconds. */
export const DEFAULT_TARGET_FILE_BYTES = 128 * MiB;
const DEFAULT_MAX_REPLANS = 3;

export type OptimizeOptions = {
  db: Db;
  targetBytes?: number;
  minFilesPerGroup?: number;
  /** Input bytes one run may rewrite at most. */
  maxInputBytes?: number;
  /** Fresh plans after a conflict before the run gives up. */
  maxReplans?: number;
  /** Polled between groups; true ends the run after the group in hand. */
  shouldStop?: () => boolean;
  log?: (line: string) => void;
};

export type OptimizeResult = {
  /** The newest version this run committed, if any. */
  version: number | undefined;
  groups: number;
  filesRemoved: number;
  filesAdded: number;
  bytesRemoved: number;
  bytesAdded: number;
  rows: number;
  conflicts: number;
  /** Set when the run ended before its plan was done. */
  stopped?: string;
};

type Table = { dir: string; kind: TableKind; schema: TableSchema; snapshot: Snapshot };

/** Rewrites one group's rows, time-ordered, into a new file of the table and returns its add. */
async function rewriteGroup(db: Db, t: Table, group: CompactionGroup): Promise<AddAction> {
  const name = newDataFileName();
  const remote = isRemoteLocation(t.dir);
  // A table on an object store is compacted from local copies into a local file, then uploaded.
  const workDir = remote ? await fsp.mkdtemp(path.join(os.tmpdir(), 'otlp2delta-optimize-')) : t.dir;
  const out = path.join(workDir, name);
  const inputs = await Promise.all(group.inputs.map(async (a) => (remote ? cachedLocalPath(dataFilePath(t.dir, a.path)) : Promise.resolve(dataFilePath(t.dir, a.path)))));
  const list = `[${inputs.map(sqlString).join(', ')}]`;
  const columns = t.schema.columns.map((c) => `CAST(${quoteIdent(c.name)} AS ${duckdbType(c.type)}) AS ${quoteIdent(c.name)}`);
  const query = statsQuery(t.schema, `read_parquet(${sqlString(out)})`);
  try {
    const measured = await withConnection(db, async (conn) => {
      const [counted] = await conn.rows(`SELECT count(*) FROM read_parquet(${list})`);
      await conn.run(
        `COPY (SELECT ${columns.join(', ')} FROM read_parquet(${list}) ORDER BY ${timeOrderSql(t.kind)} NULLS FIRST) ` +
          `TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      const [row] = await conn.rows(query.sql);
      if (!row) throw new Error('stats query returned no row');
      const built = query.build(row);
      // The rewrite must hold exactly the rows it replaces, no more and no fewer.
      if (built.numRecords !== BigInt(counted?.[0] as bigint)) {
        throw new Error(`compacted file holds ${built.numRecords} rows but its inputs hold ${String(counted?.[0])}`);
      }
      return built;
    });
    await fsyncFile(out);
    await fsyncDir(workDir);
    const { size } = await fsp.stat(out);
    await publishDataFile(t.dir, name, out);
    return makeAdd(name, size, measured.stats, Date.now());
  } catch (e) {
    await fsp.rm(out, { force: true });
    throw e;
  } finally {
    if (remote) await fsp.rm(workDir, { recursive: true, force: true });
  }
}

async function openTable(db: Db, dir: string): Promise<Table> {
  const snapshot = await loadSnapshot(dir, { db });
  if (!snapshot) throw new Error(`no Delta table at ${dir}`);
  assertWritable(snapshot.protocol);
  const kind = kindOfSchemaString(snapshot.metaData.schemaString);
  if (!kind) throw new Error(`table at ${dir} is not an otel metrics, logs or spans table`);
  // Compaction would fail on the first unreadable input, or carry a damaged one's rows forward.
  await assertFilesIntact(dir, snapshot, 'optimize');
  return { dir, kind, schema: schemaFor(kind), snapshot };
}

type GroupOutcome = 'committed' | 'conflict';

async function runGroup(opts: OptimizeOptions, t: Table, group: CompactionGroup, result: OptimizeResult): Promise<GroupOutcome> {
  const output = await rewriteGroup(opts.db, t, group);
  const res = await commitRewrite(t.dir, {
    readVersion: t.snapshot.version,
    inputs: group.inputs,
    outputs: [output],
    operation: 'OPTIMIZE',
    operationParameters: { predicate: '[]', zOrderBy: '[]', targetFileBytes: String(opts.targetBytes ?? DEFAULT_TARGET_FILE_BYTES) },
  });
  if (!res.committed) {
    // Never committed, so nobody can reference it.
    await removeDataFile(t.dir, decodeURIComponent(output.path));
    opts.log?.(`optimize of ${t.dir}: ${res.reason}; re-planning`);
    result.conflicts += 1;
    return 'conflict';
  }
  result.version = res.version;
  result.groups += 1;
  result.filesRemoved += group.inputs.length;
  result.filesAdded += 1;
  result.bytesRemoved += group.bytes;
  result.bytesAdded += output.size;
  result.rows += Number(numRecordsOf(output));
  await maybeCheckpoint(opts.db, t.dir, res.version, opts.log ?? (() => undefined));
  return 'committed';
}

/**
 * Compacts the table at `dir`: plans from the current snapshot, rewrites and
 * commits group by group. A conflict re-plans from a fresh snapshot up to
 * maxReplans times, then stops cleanly with nothing half-done.
 */
export async function optimizeTable(dir: string, opts: OptimizeOptions): Promise<OptimizeResult> {
  const result: OptimizeResult = { version: undefined, groups: 0, filesRemoved: 0, filesAdded: 0, bytesRemoved: 0, bytesAdded: 0, rows: 0, conflicts: 0 };
  const targetBytes = opts.targetBytes ?? DEFAULT_TARGET_FILE_BYTES;
  const maxReplans = opts.maxReplans ?? DEFAULT_MAX_REPLANS;
  for (let round = 0; ; round++) {
    const t = await openTable(opts.db, dir);
    const budget = (opts.maxInputBytes ?? Number.POSITIVE_INFINITY) - result.bytesRemoved;
    const plan: { minFilesPerGroup?: number } = opts.minFilesPerGroup === undefined ? {} : { minFilesPerGroup: opts.minFilesPerGroup };
    const groups = budget > 0 ? planCompaction(t.snapshot.files.values(), t.kind, { targetBytes, maxInputBytes: budget, ...plan }) : [];
    let conflicted = false;
    for (const group of groups) {
      if (opts.shouldStop?.()) {
        result.stopped = 'asked to stop';
        return result;
      }
      if ((await runGroup(opts, t, group, result)) === 'conflict') {
        conflicted = true;
        break;
      }
    }
    if (!conflicted) return result;
    if (round >= maxReplans) {
      result.stopped = `stopped after ${round + 1} conflicts with concurrent commits`;
      return result;
    }
  }
}

// What the three columnar writers share: filled columns into a temp table
// chunk by chunk, the scopes' shared values into another, each column's
// Delta statistics, and making the finished file durable.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DuckDBDataChunk } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { fsyncDir, fsyncFile } from '../delta/fsync.ts';
import { withConnection, type Connection, type Db } from '../duckdb/db.ts';
import { sqlString } from '../duckdb/sql.ts';
import type { RunDuckDb } from './fillers.ts';
import { offerColumns, type SourceColumn } from './source.ts';
import { Int32Column, Int64Column, StringColumn } from './columns.ts';
import { DoubleColumn, writeAny, type AnyColumn } from './nested.ts';
import { scopeValues } from './scope-stats.ts';
import type { ScopeEntry } from './scopes.ts';
import type { LeafStats } from './stats.ts';
import { CHUNK_ROWS } from './vectors.ts';

/** Appends rows 0..rows of `cols` to the temp table, one column buffer per table column in order. */
export async function appendColumns(conn: Connection, table: string, cols: readonly AnyColumn[], rows: number): Promise<void> {
  const appender = await conn.appender(table, 'main', 'temp');
  try {
    const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    const chunk = DuckDBDataChunk.create(types);
    for (let from = 0; from < rows; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows - from);
      duckdb.data_chunk_reset(chunk.chunk);
      for (let i = 0; i < cols.length; i++) writeAny(duckdb.data_chunk_get_vector(chunk.chunk, i), cols[i] as AnyColumn, from, n);
      duckdb.data_chunk_set_size(chunk.chunk, n);
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** Appends each scope as (index, resource, resource URL, scope, scope URL): few rows, so value by value. */
export async function appendScopes(conn: Connection, table: string, scopes: readonly ScopeEntry[]): Promise<void> {
  const appender = await conn.appender(table, 'main', 'temp');
  try {
    const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    for (let from = 0; from < scopes.length; from += CHUNK_ROWS) {
      const part = scopes.slice(from, from + CHUNK_ROWS);
      const chunk = DuckDBDataChunk.create(types, part.length);
      chunk.setRows(part.map((s, i) => [from + i, ...scopeValues(s)]));
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** A column's null count and bounds; maps and lists are never NULL here (an empty list is empty). */
export function leafOf(col: AnyColumn): LeafStats {
  if (col instanceof StringColumn) return { nulls: col.nulls, min: col.min, max: col.max };
  if (col instanceof Int64Column || col instanceof Int32Column) return { nulls: 0, min: col.min, max: col.max };
  if (col instanceof DoubleColumn) return { nulls: col.nulls, min: col.min, max: col.max, nonFinite: col.nonFinite };
  return { nulls: 0 };
}

/**
 * Runs `write`, which leaves a Parquet file at `outPath`, then fsyncs it and
 * its directory and returns its size; on any failure the file is removed.
 */
export async function durableFile(outPath: string, write: () => Promise<void>): Promise<number> {
  try {
    await write();
    await fsyncFile(outPath);
    await fsyncDir(path.dirname(outPath));
    return (await fsp.stat(outPath)).size;
  } catch (e) {
    await fsp.rm(outPath, { force: true });
    throw e;
  }
}

export type ScopedRows = {
  /** The rows' own columns, first of them scope_ix (the scope each row belongs to). */
  columns: readonly SourceColumn[];
  rows: number;
  scopes: readonly ScopeEntry[];
  /** The temp table the scopes' shared values go into, and its columns after ix as SQL. */
  scopesTable: string;
  scopesDdl: string;
  /** The file's select list over r (the rows) and s (their scope). */
  select: string;
};

/**
 * Writes rows joined to their scopes' shared values to `outPath` as zstd
 * Parquet, made durable; its size. The scopes are the join's build side and
 * the rows stream through it in the order they were filled.
 */
export function writeScopedRows(db: Db, x: ScopedRows, outPath: string, runDuckDb: RunDuckDb = (job) => job()): Promise<number> {
  return durableFile(outPath, () =>
    runDuckDb(() =>
      withConnection(db, async (conn) => {
        await conn.run(`CREATE TEMP TABLE ${x.scopesTable} (ix INTEGER, ${x.scopesDdl})`);
        await appendScopes(conn, x.scopesTable, x.scopes);
        const rows = await offerColumns(db, conn, x.columns, x.rows);
        try {
          await conn.run(
            `COPY (SELECT ${x.select} FROM ${rows.sql} r JOIN ${x.scopesTable} s ON r.scope_ix = s.ix) ` +
              `TO ${sqlString(outPath)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`,
          );
        } finally {
          rows.release();
        }
      }),
    ),
  );
}

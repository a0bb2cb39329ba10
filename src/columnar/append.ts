// What the three columnar writers share: filled columns into a temp table
// chunk by chunk, the scopes' shared values into another, each column's
// Delta statistics, and making the finished file durable.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DuckDBDataChunk } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { fsyncDir, fsyncFile } from '../delta/fsync.ts';
import type { Connection } from '../duckdb/db.ts';
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

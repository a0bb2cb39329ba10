// Filled log columns to one zstd Parquet data file: the rows go to DuckDB
// chunk by chunk through an appender, the shared resource and scope values
// once per scope into a second table, and DuckDB joins them while it writes
// the file with the layout's types. The stats come from the filler, so the
// file is not read back.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DuckDBDataChunk, INTEGER } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { fsyncDir, fsyncFile } from '../delta/fsync.ts';
import { withConnection, type Connection, type Db } from '../duckdb/db.ts';
import { sqlString } from '../duckdb/sql.ts';
import type { WrittenFile } from '../parquet/write.ts';
import { duckdbType, quoteIdent, schemaFor, type TableSchema } from '../tables/schema.ts';
import { Int32Column, Int64Column, MapColumn, StringColumn } from './columns.ts';
import type { LogColumns } from './logs-fill.ts';
import { scopeLeaf, scopeValues } from './scope-stats.ts';
import { statsFromLeaves, type LeafStats } from './stats.ts';
import { CHUNK_ROWS, writeInt32, writeInt64, writeMap, writeStrings } from './vectors.ts';

type Column = StringColumn | Int64Column | Int32Column | MapColumn;

/** The columns every row of a scope shares, joined in from the scopes table. */
const SHARED = ['resource', 'resource_schema_url', 'instrumentation_scope'];

let tableNo = 0;

function rowColumns(schema: TableSchema, urlColumn: string) {
  return schema.columns.filter((c) => !SHARED.includes(c.name) && c.name !== urlColumn);
}

function columnOf(c: LogColumns, name: string): Column {
  const col = (c as unknown as Record<string, Column>)[name];
  if (col === undefined) throw new Error(`no column buffer for ${name}`);
  return col;
}

function writeColumn(vec: duckdb.Vector, col: Column, from: number, n: number): void {
  if (col instanceof StringColumn) writeStrings(vec, col, from, n);
  else if (col instanceof Int64Column) writeInt64(vec, col, from, n);
  else if (col instanceof Int32Column) writeInt32(vec, col, from, n);
  else writeMap(vec, col, from, n);
}

function leafStats(col: Column): LeafStats {
  if (col instanceof MapColumn) return { nulls: 0 };
  if (col instanceof StringColumn) return { nulls: col.nulls, min: col.min, max: col.max };
  return { nulls: 0, min: col.min, max: col.max };
}

async function appendRows(conn: Connection, table: string, c: LogColumns, names: string[]): Promise<void> {
  const appender = await conn.appender(table, 'main', 'temp');
  try {
    const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    const chunk = DuckDBDataChunk.create(types);
    const cols: Column[] = [c.scopeIx, ...names.map((n) => columnOf(c, n))];
    for (let from = 0; from < c.rows; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, c.rows - from);
      duckdb.data_chunk_reset(chunk.chunk);
      for (let i = 0; i < cols.length; i++) writeColumn(duckdb.data_chunk_get_vector(chunk.chunk, i), cols[i] as Column, from, n);
      duckdb.data_chunk_set_size(chunk.chunk, n);
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

async function appendScopes(conn: Connection, table: string, c: LogColumns): Promise<void> {
  const appender = await conn.appender(table, 'main', 'temp');
  try {
    const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    for (let from = 0; from < c.scopes.length; from += CHUNK_ROWS) {
      const part = c.scopes.slice(from, from + CHUNK_ROWS);
      const chunk = DuckDBDataChunk.create(types, part.length);
      chunk.setRows(part.map((s, i) => [from + i, ...scopeValues(s)]));
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/**
 * Writes the rows of `c` to `outPath` as the logs layout's Parquet; the file
 * is fsync'd but not yet part of the table. Stats are computed from `c`.
 */
export async function writeLogColumns(
  db: Db,
  c: LogColumns,
  outPath: string,
  runDuckDb: <T>(job: () => Promise<T>) => Promise<T> = (job) => job(),
): Promise<WrittenFile> {
  const schema = schemaFor('logs');
  const urlColumn = 'log_schema_url';
  const own = rowColumns(schema, urlColumn);
  const n = tableNo++;
  const rowsTable = `log_rows_${n}`;
  const scopesTable = `log_scopes_${n}`;
  const typed = (cols: typeof own) => cols.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`).join(', ');
  const shared = schema.columns.filter((f) => !own.includes(f));
  const select = schema.columns.map((f) => `${own.includes(f) ? 'r' : 's'}.${quoteIdent(f.name)}`).join(', ');
  try {
    await runDuckDb(() =>
      withConnection(db, async (conn) => {
        await conn.run(`CREATE TEMP TABLE ${rowsTable} (scope_ix ${INTEGER.toString()}, ${typed(own)})`);
        await conn.run(`CREATE TEMP TABLE ${scopesTable} (ix INTEGER, ${typed(shared)})`);
        await appendRows(conn, rowsTable, c, own.map((f) => f.name));
        await appendScopes(conn, scopesTable, c);
        // rowid keeps the rows in the order they were filled, which the join alone would not.
        await conn.run(
          `COPY (SELECT ${select} FROM ${rowsTable} r JOIN ${scopesTable} s ON r.scope_ix = s.ix ORDER BY r.rowid) ` +
            `TO ${sqlString(outPath)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`,
        );
      }),
    );
    await fsyncFile(outPath);
    await fsyncDir(path.dirname(outPath));
    const { size } = await fsp.stat(outPath);
    const stats = statsFromLeaves(schema, c.rows, (p) => scopeLeaf(c.scopes, p, urlColumn) ?? leafStats(columnOf(c, p[0] as string)));
    return { size, numRecords: c.rows, stats };
  } catch (e) {
    await fsp.rm(outPath, { force: true });
    throw e;
  }
}

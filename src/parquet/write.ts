// Turns one staged NDJSON batch into one zstd Parquet data file through DuckDB,
// and measures what the Delta add action needs: exact size, rows and stats.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fsyncDir, fsyncFile } from '../delta/fsync.ts';
import { withConnection, type Db } from '../duckdb/db.ts';
import { sqlString } from '../duckdb/sql.ts';
import { duckdbType, type TableSchema } from '../tables/schema.ts';
import { statsQuery } from './stats.ts';

/**
 * Upper bound on one NDJSON line. A row may hold up to ~20 MiB of text, and
 * JSON escaping can grow that several times (\u00XX is 6 bytes for 1).
 */
export const NDJSON_LINE_BYTES_MAX = 256 * 1024 * 1024;
/** Floor of the per-file bound below, so tiny files do not get tiny buffers. */
const NDJSON_LINE_BYTES_MIN = 1024 * 1024;

/**
 * The line bound to give DuckDB for one file, from its size or its longest
 * line when known. DuckDB allocates read buffers of twice this size up front
 * (under a memory limit a fixed 256 MiB bound fails every load), so a tight
 * bound keeps each flush's memory small.
 */
export function lineBytesBound(bytes: number): number {
  return Math.min(NDJSON_LINE_BYTES_MAX, Math.max(NDJSON_LINE_BYTES_MIN, bytes + 1));
}

export type WrittenFile = { size: number; numRecords: number; stats: string };

/** DuckDB's file readers expand glob characters, so a path holding them could read other files. */
function noGlob(file: string, what: string): void {
  if (/[*?[\]{}]/.test(file)) throw new Error(`${what} path must not contain glob characters: ${file}`);
}

/** The read_ndjson call that types every column as the schema says, in schema order. */
export function readNdjsonSql(schema: TableSchema, ndjsonPath: string, lineBytesMax = NDJSON_LINE_BYTES_MAX): string {
  noGlob(ndjsonPath, 'NDJSON');
  const columns = schema.columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckdbType(c.type))}`).join(', ');
  return (
    `read_ndjson(${sqlString(ndjsonPath)}, columns = {${columns}}, format = 'newline_delimited', ` +
    `maximum_object_size = ${lineBytesMax})`
  );
}

/**
 * Writes the rows of `ndjsonPath` to `outPath` as Parquet with the schema's
 * column types. The file is fsync'd but not yet part of the table: it only
 * becomes visible once a Delta commit adds it.
 */
export async function writeParquet(
  db: Db,
  schema: TableSchema,
  ndjsonPath: string,
  outPath: string,
  lineBytesMax?: number,
  /** Runs the DuckDB part; the fsyncs after it need no DuckDB and stay outside. */
  runDuckDb: <T>(job: () => Promise<T>) => Promise<T> = (job) => job(),
): Promise<WrittenFile> {
  // read_parquet expands glob characters too.
  noGlob(outPath, 'Parquet');
  // The stats come from the written file rather than from a table loaded
  // first: streaming NDJSON straight into COPY keeps DuckDB's memory to a row
  // group, and reading the columnar file back costs less than materialising.
  const query = statsQuery(schema, `read_parquet(${sqlString(outPath)})`);
  try {
    const { size: ndjsonBytes } = await fsp.stat(ndjsonPath);
    const source = readNdjsonSql(schema, ndjsonPath, lineBytesBound(Math.min(ndjsonBytes, lineBytesMax ?? ndjsonBytes)));
    const measured = await runDuckDb(() =>
      withConnection(db, async (conn) => {
        // zstd level 1: a quarter less CPU than DuckDB's default level 3 for
        // about the same size on these rows; optimize rewrites at the default.
        await conn.run(`COPY (SELECT * FROM ${source}) TO ${sqlString(outPath)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`);
        const [row] = await conn.rows(query.sql);
        if (!row) throw new Error('stats query returned no row');
        return query.build(row);
      }),
    );
    await fsyncFile(outPath);
    await fsyncDir(path.dirname(outPath));
    const { size } = await fsp.stat(outPath);
    return { size, numRecords: Number(measured.numRecords), stats: measured.stats };
  } catch (e) {
    // No commit will name a half-written file, so it would only be clutter.
    await fsp.rm(outPath, { force: true });
    throw e;
  }
}

// Filled log columns to one zstd Parquet data file: the rows go to DuckDB
// chunk by chunk through an appender, the shared resource and scope values
// once per scope into a second table, and DuckDB joins them while it writes
// the file with the layout's types. The stats come from the filler, so the
// file is not read back.
import { INTEGER } from '@duckdb/node-api';
import { withConnection, type Db } from '../duckdb/db.ts';
import { appendColumns, appendScopes, durableFile, leafOf } from './append.ts';
import { sqlString } from '../duckdb/sql.ts';
import type { WrittenFile } from '../parquet/write.ts';
import { duckdbType, quoteIdent, schemaFor, type TableSchema } from '../tables/schema.ts';
import { Int32Column, Int64Column, MapColumn, StringColumn } from './columns.ts';
import type { LogColumns } from './logs-fill.ts';
import { scopeLeaf } from './scope-stats.ts';
import { statsFromLeaves } from './stats.ts';

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
  const size = await durableFile(outPath, () =>
    runDuckDb(() =>
      withConnection(db, async (conn) => {
        await conn.run(`CREATE TEMP TABLE ${rowsTable} (scope_ix ${INTEGER.toString()}, ${typed(own)})`);
        await conn.run(`CREATE TEMP TABLE ${scopesTable} (ix INTEGER, ${typed(shared)})`);
        await appendColumns(conn, rowsTable, [c.scopeIx, ...own.map((f) => columnOf(c, f.name))], c.rows);
        await appendScopes(conn, scopesTable, c.scopes);
        // rowid keeps the rows in the order they were filled, which the join alone would not.
        await conn.run(
          `COPY (SELECT ${select} FROM ${rowsTable} r JOIN ${scopesTable} s ON r.scope_ix = s.ix ORDER BY r.rowid) ` +
            `TO ${sqlString(outPath)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`,
        );
      }),
    ),
  );
  const stats = statsFromLeaves(schema, c.rows, (p) => scopeLeaf(c.scopes, p, urlColumn) ?? leafOf(columnOf(c, p[0] as string)));
  return { size, numRecords: c.rows, stats };
}

// Filled log columns to one zstd Parquet data file: the rows stream to DuckDB
// chunk by chunk through a table function (source.ts), the shared resource and
// scope values go once per scope into a temp table, and DuckDB joins them
// while it writes the file with the layout's types. The stats come from the
// filler, so the file is not read back.
import { INTEGER } from '@duckdb/node-api';
import type { Db } from '../duckdb/db.ts';
import { leafOf, writeScopedRows } from './append.ts';
import type { SourceColumn } from './source.ts';
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
  const scopesTable = `log_scopes_${n}`;
  const typed = (cols: typeof own) => cols.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`).join(', ');
  const shared = schema.columns.filter((f) => !own.includes(f));
  const select = schema.columns.map((f) => `${own.includes(f) ? 'r' : 's'}.${quoteIdent(f.name)}`).join(', ');
  const rowSource: SourceColumn[] = [
    { name: 'scope_ix', type: INTEGER.toString(), col: c.scopeIx },
    ...own.map((f) => ({ name: f.name, type: duckdbType(f.type), col: columnOf(c, f.name) })),
  ];
  const size = await writeScopedRows(db, { columns: rowSource, rows: c.rows, scopes: c.scopes, scopesTable, scopesDdl: typed(shared), select }, outPath, runDuckDb);
  const stats = statsFromLeaves(schema, c.rows, (p) => scopeLeaf(c.scopes, p, urlColumn) ?? leafOf(columnOf(c, p[0] as string)));
  return { size, numRecords: c.rows, stats };
}

// Filled span columns to one zstd Parquet data file: the rows go to DuckDB
// chunk by chunk through an appender (events and links as LIST(STRUCT)
// vectors), the shared resource and scope values once per scope into a second
// table, and DuckDB joins them while it writes the file with the layout's
// types. The stats come from the filler, so the file is not read back.
import { withConnection, type Db } from '../duckdb/db.ts';
import { appendColumns, appendScopes, durableFile, leafOf } from './append.ts';
import { sqlString } from '../duckdb/sql.ts';
import type { WrittenFile } from '../parquet/write.ts';
import { duckdbType, quoteIdent, schemaFor, type Field } from '../tables/schema.ts';
import { type AnyColumn } from './nested.ts';
import { scopeLeaf } from './scope-stats.ts';
import type { SpanColumns } from './spans-fill.ts';
import { statsFromLeaves } from './stats.ts';

const URL_COLUMN = 'span_schema_url';
/** The columns every row of a scope shares, joined in from the scopes table. */
const SHARED = ['resource', 'resource_schema_url', 'instrumentation_scope', URL_COLUMN];

let tableNo = 0;

function columnOf(c: SpanColumns, name: string): AnyColumn {
  const col = (c as unknown as Record<string, AnyColumn>)[name];
  if (col === undefined) throw new Error(`no column buffer for ${name}`);
  return col;
}

/**
 * The status column: built by DuckDB from its two flat fields, NULL where no
 * status was sent. Building it in SQL makes the NULL struct's fields NULL as
 * well, which COPY needs of a struct vector.
 */
function statusExpr(f: Field): string {
  const type = duckdbType(f.type);
  return `CAST(CASE WHEN r.status_code IS NULL THEN NULL ELSE {'message': r.status_message, 'code': r.status_code} END AS ${type}) AS ${quoteIdent(f.name)}`;
}

function statsOf(c: SpanColumns): string {
  return statsFromLeaves(schemaFor('spans'), c.rows, (p) => {
    const shared = scopeLeaf(c.scopes, p, URL_COLUMN);
    if (shared !== undefined) return shared;
    const [top, child] = p as [string, string | undefined];
    return leafOf(columnOf(c, top === 'status' ? `status_${child as string}` : top));
  });
}

/**
 * Writes the rows of `c` to `outPath` as the spans layout's Parquet; the file
 * is fsync'd but not yet part of the table. Stats are computed from `c`.
 */
export async function writeSpanColumns(
  db: Db,
  c: SpanColumns,
  outPath: string,
  runDuckDb: <T>(job: () => Promise<T>) => Promise<T> = (job) => job(),
): Promise<WrittenFile> {
  const schema = schemaFor('spans');
  const own = schema.columns.filter((f) => !SHARED.includes(f.name) && f.name !== 'status');
  const shared = schema.columns.filter((f) => SHARED.includes(f.name));
  const n = tableNo++;
  const rowsTable = `span_rows_${n}`;
  const scopesTable = `span_scopes_${n}`;
  const typed = (cols: Field[]) => cols.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`).join(', ');
  const cols = [c.scopeIx, ...own.map((f) => columnOf(c, f.name)), c.status_message, c.status_code];
  const select = schema.columns
    .map((f) => (f.name === 'status' ? statusExpr(f) : `${SHARED.includes(f.name) ? 's' : 'r'}.${quoteIdent(f.name)}`))
    .join(', ');
  const size = await durableFile(outPath, () =>
    runDuckDb(() =>
      withConnection(db, async (conn) => {
        await conn.run(`CREATE TEMP TABLE ${rowsTable} (scope_ix INTEGER, ${typed(own)}, status_message VARCHAR, status_code VARCHAR)`);
        await conn.run(`CREATE TEMP TABLE ${scopesTable} (ix INTEGER, ${typed(shared)})`);
        await appendColumns(conn, rowsTable, cols, c.rows);
        await appendScopes(conn, scopesTable, c.scopes);
        // rowid keeps the rows in the order they were filled, which the join alone would not.
        await conn.run(
          `COPY (SELECT ${select} FROM ${rowsTable} r JOIN ${scopesTable} s ON r.scope_ix = s.ix ORDER BY r.rowid) ` +
            `TO ${sqlString(outPath)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`,
        );
      }),
    ),
  );
  return { size, numRecords: c.rows, stats: statsOf(c) };
}

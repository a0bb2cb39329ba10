// Filled span columns to one zstd Parquet data file: the rows stream to DuckDB
// chunk by chunk through a table function (source.ts; events and links as
// LIST(STRUCT) vectors), the shared resource and scope values go once per
// scope into a temp table, and DuckDB joins them while it writes the file with
// the layout's types. The stats come from the filler, so the file is not read back.
import type { Db } from '../duckdb/db.ts';
import { leafOf, writeScopedRows } from './append.ts';
import type { SourceColumn } from './source.ts';
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
  const scopesTable = `span_scopes_${n}`;
  const typed = (cols: Field[]) => cols.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`).join(', ');
  const rowSource: SourceColumn[] = [
    { name: 'scope_ix', type: 'INTEGER', col: c.scopeIx },
    ...own.map((f) => ({ name: f.name, type: duckdbType(f.type), col: columnOf(c, f.name) })),
    { name: 'status_message', type: 'VARCHAR', col: c.status_message },
    { name: 'status_code', type: 'VARCHAR', col: c.status_code },
  ];
  const select = schema.columns
    .map((f) => (f.name === 'status' ? statusExpr(f) : `${SHARED.includes(f.name) ? 's' : 'r'}.${quoteIdent(f.name)}`))
    .join(', ');
  const size = await writeScopedRows(db, { columns: rowSource, rows: c.rows, scopes: c.scopes, scopesTable, scopesDdl: typed(shared), select }, outPath, runDuckDb);
  return { size, numRecords: c.rows, stats: statsOf(c) };
}

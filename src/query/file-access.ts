// Grants guard tables, but DuckDB can also read files by itself: table
// functions (read_parquet, read_text, glob, query, ...) and file names used
// as tables ("FROM 'x.parquet'"). Either would let a caller read any table's
// files, or the control folder, past its grants. So for every caller other
// than the warehouse's owner, the statement DuckDB parsed (after the engine
// rewrote its three-part names into temporary views) may name only those
// views, plain names (common table expressions), and table functions that
// compute values rather than read anything; never the engine's kept views.
import type { Connection } from '../duckdb/db.ts';
import { sqlString } from '../duckdb/sql.ts';
import { explainedStatement, QueryError } from './read-only.ts';
import { VIEW_CACHE_SCHEMA_PREFIX } from './view-cache.ts';

/** Table functions that only compute rows from their arguments. */
const VALUE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest', 'json_each', 'json_tree']);
/** A relation name DuckDB would read as a file (a path, an extension, a URL). */
const FILE_LIKE = /[./\\:]/;

const refuse = (what: string): QueryError =>
  new QueryError(`PERMISSION_DENIED: ${what}; read the warehouse through its tables and views, named catalog.schema.table`, 'forbidden');

function walk(node: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
  } else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    visit(o);
    for (const v of Object.values(o)) walk(v, visit);
  }
}

/** Throws unless the (rewritten) statement reads nothing but the engine's views. */
export async function assertNoFileAccess(conn: Connection, sql: string): Promise<void> {
  const inner = explainedStatement(sql);
  if (inner !== undefined) return assertNoFileAccess(conn, inner);
  const rows = await conn.rows(`SELECT json_serialize_sql(${sqlString(sql)})`);
  const tree = JSON.parse(String(rows[0]?.[0])) as { error?: boolean; error_message?: string; statements?: unknown };
  if (tree.error) throw refuse(`this statement form is only open to the warehouse's owner (${tree.error_message ?? 'not a query'})`);
  walk(tree.statements, (o) => {
    if (o.type === 'TABLE_FUNCTION') {
      const fn = o.function as { function_name?: unknown } | undefined;
      const name = String(fn?.function_name ?? '').toLowerCase();
      if (!VALUE_FUNCTIONS.has(name)) throw refuse(`the table function ${name} is only open to the warehouse's owner`);
    } else if (o.type === 'BASE_TABLE' || o.type === 'SHOW_REF') {
      const name = String(o.table_name ?? '');
      if (o.catalog_name !== 'temp' && FILE_LIKE.test(name)) throw refuse(`reading ${JSON.stringify(name)} as a file is only open to the warehouse's owner`);
      // Views kept for one caller's grants must not be read by another.
      const qualifiers = [o.catalog_name, o.schema_name].map((q) => String(q ?? '').toLowerCase());
      if (qualifiers.some((q) => q.startsWith(VIEW_CACHE_SCHEMA_PREFIX))) throw refuse(`${JSON.stringify(qualifiers.filter(Boolean).join('.'))} is the engine's own`);
    }
  });
}

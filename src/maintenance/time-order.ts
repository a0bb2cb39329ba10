// The event time of each table kind: the SQL that orders rows by it, and the
// smallest time a data file holds according to its stats.
import type { AddAction } from '../delta/actions.ts';
import { parseJson, type JsonValue } from '../delta/json.ts';
import { sqlString } from '../duckdb/sql.ts';
import { quoteIdent, type TableKind } from '../tables/schema.ts';

// A metric row fills exactly one of these structs; its time is that struct's time.
const METRIC_TYPES = ['gauge', 'sum', 'histogram', 'exponential_histogram', 'summary'];

/** Paths (column, then struct field) of the time leaves, in precedence order. */
function timeLeaves(kind: TableKind): string[][] {
  if (kind === 'logs') return [['time_unix_nano']];
  if (kind === 'spans') return [['start_time_unix_nano']];
  return METRIC_TYPES.map((t) => [t, 'time_unix_nano']);
}

/** A SQL expression for a row's event time (NULL when it has none). */
export function timeOrderSql(kind: TableKind): string {
  const exprs = timeLeaves(kind).map(([col, field]) =>
    field === undefined ? quoteIdent(col as string) : `struct_extract(${quoteIdent(col as string)}, ${sqlString(field)})`,
  );
  return exprs.length === 1 ? (exprs[0] as string) : `coalesce(${exprs.join(', ')})`;
}

function member(v: JsonValue | undefined, key: string): JsonValue | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v[key] : undefined;
}

/** The smallest event time in the file per its stats; undefined when the stats do not say. */
export function minTimeOf(kind: TableKind, add: AddAction): bigint | undefined {
  if (add.stats === undefined) return undefined;
  let stats: JsonValue;
  try {
    stats = parseJson(add.stats);
  } catch {
    return undefined;
  }
  let min: bigint | undefined;
  for (const leaf of timeLeaves(kind)) {
    let v = member(stats, 'minValues');
    for (const key of leaf) v = member(v, key);
    if (typeof v !== 'number' && typeof v !== 'bigint') continue;
    const b = BigInt(v);
    if (min === undefined || b < min) min = b;
  }
  return min;
}

// The add.stats of a data file: one aggregate query over the rows the file
// holds, and its result shaped into Delta's numRecords/minValues/maxValues/
// nullCount JSON, nested like the schema.
import { stringifyJson, type JsonObject, type JsonValue } from '../delta/json.ts';
import { sqlString } from '../duckdb/sql.ts';
import { quoteIdent, type ColumnType, type Field, type PrimitiveType, type TableSchema } from '../tables/schema.ts';

/** Delta readers compare strings on this many leading code points. */
export const STRING_PREFIX_CODE_POINTS = 32;
// Appended to a truncated maximum so it still sorts after every value it stands for.
const MAX_CODE_POINT = '\u{10FFFF}';

type Entry =
  | { path: string[]; kind: 'leaf'; type: PrimitiveType; first: number }
  /** Arrays and maps: only whether the whole value is null is counted. */
  | { path: string[]; kind: 'container'; first: number };

export type StatsQuery = {
  sql: string;
  /** Turns the query's single result row (select-list order) into the stats JSON text. */
  build(row: readonly unknown[]): { numRecords: bigint; stats: string };
};

function aggregatesFor(expr: string, type: PrimitiveType | 'container'): string[] {
  const nulls = `count(*) - count(${expr})`;
  // Time bounds are left out: Delta wants them as ISO text, and no query here skips files by them yet.
  if (type === 'container' || !HAS_BOUNDS.has(type)) return [nulls];
  const minMax = [nulls, `min(${expr})`, `max(${expr})`];
  // A bound is only usable when every value is ordered; NaN and infinities void it.
  if (type === 'double') minMax.push(`count(*) FILTER (WHERE NOT isfinite(${expr}))`);
  return minMax;
}

const HAS_BOUNDS: ReadonlySet<PrimitiveType> = new Set(['string', 'long', 'integer', 'double']);

function collect(fields: Field[], parentPath: string[], parentExpr: string | undefined, out: { entries: Entry[]; selects: string[] }): void {
  for (const f of fields) {
    const path = [...parentPath, f.name];
    // struct_extract cannot be mistaken for a table-qualified column reference.
    const expr = parentExpr === undefined ? quoteIdent(f.name) : `struct_extract(${parentExpr}, ${sqlString(f.name)})`;
    const t: ColumnType = f.type;
    if (typeof t === 'string') {
      out.entries.push({ path, kind: 'leaf', type: t, first: out.selects.length });
      out.selects.push(...aggregatesFor(expr, t));
    } else if ('struct' in t) {
      collect(t.struct, path, expr, out);
    } else {
      out.entries.push({ path, kind: 'container', first: out.selects.length });
      out.selects.push(...aggregatesFor(expr, 'container'));
    }
  }
}

function setPath(root: JsonObject, path: string[], value: JsonValue): void {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    let child = node[key];
    if (typeof child !== 'object' || child === null || Array.isArray(child)) {
      child = {};
      node[key] = child;
    }
    node = child;
  }
  node[path[path.length - 1] as string] = value;
}

/** The first 32 code points; a prefix never sorts after the string it came from. */
export function truncateMin(s: string): string {
  let out = '';
  let n = 0;
  for (const cp of s) {
    if (n++ === STRING_PREFIX_CODE_POINTS) return out;
    out += cp;
  }
  return s;
}

/**
 * A short string that sorts at or after `s`: the 32-code-point prefix plus
 * U+10FFFF. Code points equal to U+10FFFF right after the prefix are kept, or
 * the bound would sort before `s`; undefined when that would grow unreasonably.
 */
export function truncateMax(s: string): string | undefined {
  let out = '';
  let n = 0;
  for (const cp of s) {
    if (n >= STRING_PREFIX_CODE_POINTS && cp !== MAX_CODE_POINT) return out + MAX_CODE_POINT;
    if (n >= 2 * STRING_PREFIX_CODE_POINTS) return undefined;
    out += cp;
    n++;
  }
  return s;
}

type Bound = JsonValue | undefined;

function bounds(type: PrimitiveType, min: unknown, max: unknown, nonFinite: unknown): [Bound, Bound] {
  if (min === null || max === null) return [undefined, undefined];
  if (type === 'string') return [truncateMin(min as string), truncateMax(max as string)];
  if (type === 'double') {
    if (nonFinite !== 0n) return [undefined, undefined];
    // -0.0 and 0.0 compare equal, so either may come back; widen to cover both.
    const lo = min === 0 ? -0 : (min as number);
    const hi = max === 0 ? 0 : (max as number);
    return [lo, hi];
  }
  return [min as number | bigint, max as number | bigint];
}

function buildStats(entries: Entry[], row: readonly unknown[]): { numRecords: bigint; stats: string } {
  const numRecords = row[0] as bigint;
  const minValues: JsonObject = {};
  const maxValues: JsonObject = {};
  const nullCount: JsonObject = {};
  for (const e of entries) {
    setPath(nullCount, e.path, row[e.first] as bigint);
    if (e.kind !== 'leaf' || !HAS_BOUNDS.has(e.type)) continue;
    const [lo, hi] = bounds(e.type, row[e.first + 1], row[e.first + 2], row[e.first + 3]);
    if (lo !== undefined) setPath(minValues, e.path, lo);
    if (hi !== undefined) setPath(maxValues, e.path, hi);
  }
  return { numRecords, stats: stringifyJson({ numRecords, minValues, maxValues, nullCount }) };
}

/** The aggregate over `fromSql` (a quoted table name or subquery) that yields the stats. */
export function statsQuery(schema: TableSchema, fromSql: string): StatsQuery {
  const out = { entries: [] as Entry[], selects: ['count(*)'] };
  collect(schema.columns, [], undefined, out);
  const sql = `SELECT ${out.selects.join(', ')} FROM ${fromSql}`;
  return { sql, build: (row) => buildStats(out.entries, row) };
}

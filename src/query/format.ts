// Renders query results for people and programs: an aligned table, CSV, a
// JSON array of objects or one JSON object per line.
import type { Json, QueryResult } from '../duckdb/db.ts';

export const OUTPUT_FORMATS = ['table', 'csv', 'json', 'ndjson'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

/** DuckDB hands a MAP over as [{key, value}]; shown as an object it reads like the attributes it holds. */
function plainValue(value: Json, type: string): Json {
  if (type.startsWith('MAP(') && Array.isArray(value)) {
    const out: Record<string, Json> = {};
    for (const e of value) if (e && typeof e === 'object' && !Array.isArray(e)) out[String(e.key)] = e.value ?? null;
    return out;
  }
  return value;
}

/** One value as text: strings as they are, nested values as JSON, NULL as `nullText`. */
export function cellText(value: Json, type: string, nullText = 'NULL'): string {
  if (value === null) return nullText;
  const v = plainValue(value, type);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function table(result: QueryResult): string {
  const { columns, rows } = result;
  // Control characters would break the alignment; show them escaped.
  const clean = (s: string) => s.replace(/[\n\r\t]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
  const cells = rows.map((r) => columns.map((c, i) => clean(cellText(r[i] ?? null, c.type))));
  const widths = columns.map((c, i) => Math.max(c.name.length, ...cells.map((r) => (r[i] as string).length)));
  const right = columns.map((c) => NUMERIC.test(c.type));
  const line = (r: string[]) =>
    r.map((s, i) => (right[i] ? s.padStart(widths[i] as number) : s.padEnd(widths[i] as number))).join(' | ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  const count = `(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`;
  return [line(columns.map((c) => c.name)), rule, ...cells.map(line), count].join('\n');
}

/** One CSV field (RFC 4180): quoted when it holds a quote, comma or line break. */
export function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function csv(result: QueryResult): string {
  const head = result.columns.map((c) => csvField(c.name)).join(',');
  const body = result.rows.map((r) => result.columns.map((c, i) => csvField(cellText(r[i] ?? null, c.type, ''))).join(','));
  return [head, ...body].join('\n');
}

/** Rows as objects keyed by column name; BIGINT and DECIMAL stay strings so no digit is lost. */
export function rowObjects(result: QueryResult): Record<string, Json>[] {
  return result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c.name, plainValue(r[i] ?? null, c.type)])));
}

export function formatResult(result: QueryResult, format: OutputFormat): string {
  switch (format) {
    case 'table':
      return table(result);
    case 'csv':
      return csv(result);
    case 'json':
      return JSON.stringify(rowObjects(result), null, 2);
    case 'ndjson':
      return rowObjects(result)
        .map((o) => JSON.stringify(o))
        .join('\n');
  }
}

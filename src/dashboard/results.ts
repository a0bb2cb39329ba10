// DuckDB results as the JSON the pages read: rows as objects, numbers as
// numbers (BIGINT and DECIMAL arrive as strings), everything else as sent.
import type { QueryResult } from '../duckdb/db.ts';
import type { Row, Table } from './panel.ts';
import { csvField } from '../query/format.ts';

const NUMERIC = /^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|DOUBLE|FLOAT|DECIMAL.*)$/;

export function toTable(r: QueryResult): Table {
  const numeric = r.columns.map((c) => NUMERIC.test(c.type));
  const rows = r.rows.map((row) => {
    const o: Row = {};
    r.columns.forEach((c, i) => {
      const v = row[i] ?? null;
      o[c.name] = v !== null && numeric[i] ? Number(v) : (v as Row[string]);
    });
    return o;
  });
  return { columns: r.columns.map((c) => c.name), rows };
}

/** The table as CSV (RFC 4180), for the download links. */
export function tableCsv(t: Table): string {
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    return csvField(typeof v === 'object' ? JSON.stringify(v) : String(v));
  };
  return [t.columns.map(cell).join(','), ...t.rows.map((r) => t.columns.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}

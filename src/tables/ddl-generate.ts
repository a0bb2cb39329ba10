// Renders a layout as Databricks and DuckDB CREATE TABLE statements; the
// Databricks form follows the spec files so the two can be read side by side.
import { ddlType, duckdbType, quoteIdent, type ColumnType, type TableSchema } from './schema.ts';

const PLAIN_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function ident(name: string): string {
  return PLAIN_IDENT.test(name) ? name : `\`${name.replaceAll('`', '``')}\``;
}

// Spark string literals escape with backslashes, not by doubling quotes.
function sqlString(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

// Structs open a block with one field per line; the closing '>' lines up with
// the line that opened it, so ARRAY<STRUCT<...>> ends in '>>' as in the spec.
function renderType(t: ColumnType, indent: string): string {
  if (typeof t === 'string') return ddlType(t);
  if ('struct' in t) {
    if (t.struct.length === 0) return 'STRUCT<>';
    const inner = `${indent}  `;
    const fields = t.struct.map((f) => `${inner}${ident(f.name)}: ${renderType(f.type, inner)}`);
    return `STRUCT<\n${fields.join(',\n')}\n${indent}>`;
  }
  if ('array' in t) return `ARRAY<${renderType(t.array, indent)}>`;
  return `MAP<${renderType(t.map[0], indent)}, ${renderType(t.map[1], indent)}>`;
}

/**
 * Databricks DDL for a layout. `name` is inserted as given, so it may be a
 * placeholder such as <catalog>.<schema>.<table_prefix>_otel_logs or an
 * already quoted three-part name.
 */
export function createTableDdl(schema: TableSchema, name: string): string {
  const columns = schema.columns.map((c) => `  ${ident(c.name)} ${renderType(c.type, '  ')}`);
  const props = Object.entries(schema.tableProperties).map(([k, v]) => `  ${sqlString(k)} = ${sqlString(v)}`);
  const tail = props.length > 0 ? `\nTBLPROPERTIES (\n${props.join(',\n')}\n)` : '';
  return `CREATE TABLE ${name} (\n${columns.join(',\n')}\n) USING DELTA${tail};\n`;
}

/** The same layout as a DuckDB table; `name` is inserted as given. */
export function duckdbCreateTableDdl(schema: TableSchema, name: string): string {
  const columns = schema.columns.map((c) => `  ${quoteIdent(c.name)} ${duckdbType(c.type)}`);
  return `CREATE TABLE ${name} (\n${columns.join(',\n')}\n);\n`;
}

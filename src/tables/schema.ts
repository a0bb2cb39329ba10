// Table layouts as data: loads schemas/*.json and renders one resolved layout
// as a DuckDB type, a Delta schemaString or Databricks DDL types, so the three
// can never drift apart.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Signal } from '../otlp/types.ts';

export type TableKind = 'metrics' | 'logs' | 'spans';
export const TABLE_KINDS: readonly TableKind[] = ['metrics', 'logs', 'spans'];
/** Every layout the warehouse knows: the otel ones exports write, and the system ones the server writes itself. */
export type LayoutKind = TableKind | 'audit' | 'prices' | 'directory' | 'budgets';
export const LAYOUT_KINDS: readonly LayoutKind[] = [...TABLE_KINDS, 'audit', 'prices', 'directory', 'budgets'];

/** `timestamp` is an instant (Delta timestamp, UTC microseconds); `date` a calendar day. */
export type PrimitiveType = 'string' | 'long' | 'integer' | 'double' | 'boolean' | 'timestamp' | 'date';
export type ColumnType =
  | PrimitiveType
  | { struct: Field[] }
  | { array: ColumnType }
  | { map: [ColumnType, ColumnType] };

/** Every field is nullable, like Spark DDL without NOT NULL. */
export type Field = { name: string; type: ColumnType };

export type TableSchema = {
  kind: LayoutKind;
  /** The OTLP signal the table takes; system tables take none. */
  signal?: Signal;
  tableProperties: Record<string, string>;
  columns: Field[];
};

type RawType = PrimitiveType | { ref: string } | { struct: RawField[] } | { array: RawType } | { map: [RawType, RawType] };
type RawField = { name: string; type: RawType };
type RawSchema = {
  kind: LayoutKind;
  signal?: Signal;
  tableProperties: Record<string, string>;
  types?: Record<string, RawType>;
  columns: RawField[];
};

const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

function resolveType(t: RawType, types: Record<string, RawType>, depth = 0): ColumnType {
  if (depth > 32) throw new Error('schema type references nest too deep');
  if (typeof t === 'string') return t;
  if ('ref' in t) {
    const target = types[t.ref];
    if (!target) throw new Error(`schema refers to unknown type '${t.ref}'`);
    return resolveType(target, types, depth + 1);
  }
  if ('struct' in t) return { struct: t.struct.map((f) => ({ name: f.name, type: resolveType(f.type, types, depth + 1) })) };
  if ('array' in t) return { array: resolveType(t.array, types, depth + 1) };
  return { map: [resolveType(t.map[0], types, depth + 1), resolveType(t.map[1], types, depth + 1)] };
}

export function parseSchema(raw: RawSchema): TableSchema {
  const types = raw.types ?? {};
  return {
    kind: raw.kind,
    ...(raw.signal !== undefined ? { signal: raw.signal } : {}),
    tableProperties: { ...raw.tableProperties },
    columns: raw.columns.map((c) => ({ name: c.name, type: resolveType(c.type, types) })),
  };
}

const cache = new Map<LayoutKind, TableSchema>();

/** The layout of one table kind, read once from schemas/<kind>.json. */
export function schemaFor(kind: LayoutKind): TableSchema {
  let s = cache.get(kind);
  if (!s) {
    const raw = JSON.parse(readFileSync(`${SCHEMA_DIR}${kind}.json`, 'utf8')) as RawSchema;
    if (raw.kind !== kind) throw new Error(`schemas/${kind}.json declares kind '${raw.kind}'`);
    s = parseSchema(raw);
    cache.set(kind, s);
  }
  return s;
}

// ---- DuckDB ----------------------------------------------------------------

const DUCKDB_PRIMITIVE: Record<PrimitiveType, string> = {
  string: 'VARCHAR',
  long: 'BIGINT',
  integer: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  // With time zone: Parquet then marks the instant as UTC, which is what Delta's timestamp means.
  timestamp: 'TIMESTAMPTZ',
  date: 'DATE',
};

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function duckdbType(t: ColumnType): string {
  if (typeof t === 'string') return DUCKDB_PRIMITIVE[t];
  if ('struct' in t) return `STRUCT(${t.struct.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`).join(', ')})`;
  if ('array' in t) return `${duckdbType(t.array)}[]`;
  return `MAP(${duckdbType(t.map[0])}, ${duckdbType(t.map[1])})`;
}

// ---- Delta (Spark JSON schema) -------------------------------------------

const DELTA_PRIMITIVE: Record<PrimitiveType, string> = {
  string: 'string',
  long: 'long',
  integer: 'integer',
  double: 'double',
  boolean: 'boolean',
  timestamp: 'timestamp',
  date: 'date',
};

type DeltaType =
  | string
  | { type: 'struct'; fields: DeltaField[] }
  | { type: 'array'; elementType: DeltaType; containsNull: boolean }
  | { type: 'map'; keyType: DeltaType; valueType: DeltaType; valueContainsNull: boolean };
type DeltaField = { name: string; type: DeltaType; nullable: boolean; metadata: Record<string, never> };

function deltaType(t: ColumnType): DeltaType {
  if (typeof t === 'string') return DELTA_PRIMITIVE[t];
  if ('struct' in t) return { type: 'struct', fields: t.struct.map(deltaField) };
  if ('array' in t) return { type: 'array', elementType: deltaType(t.array), containsNull: true };
  return { type: 'map', keyType: deltaType(t.map[0]), valueType: deltaType(t.map[1]), valueContainsNull: true };
}

function deltaField(f: Field): DeltaField {
  return { name: f.name, type: deltaType(f.type), nullable: true, metadata: {} };
}

/** The metaData.schemaString of a table with these columns. */
export function deltaSchemaString(columns: Field[]): string {
  return JSON.stringify({ type: 'struct', fields: columns.map(deltaField) });
}

// ---- Databricks DDL types ---------------------------------------------------

const DDL_PRIMITIVE: Record<PrimitiveType, string> = {
  string: 'STRING',
  long: 'LONG',
  integer: 'INT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
};

export function ddlType(t: ColumnType): string {
  if (typeof t === 'string') return DDL_PRIMITIVE[t];
  if ('struct' in t) return `STRUCT<${t.struct.map((f) => `${f.name}: ${ddlType(f.type)}`).join(', ')}>`;
  if ('array' in t) return `ARRAY<${ddlType(t.array)}>`;
  return `MAP<${ddlType(t.map[0])}, ${ddlType(t.map[1])}>`;
}

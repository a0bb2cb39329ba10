// Three-part table names (catalog.schema.table) and where such a table lives
// in the warehouse. Names are validated before any path is built, so no header
// value can reach outside the warehouse.
import { OtlpError } from '../errors.ts';

export type TableName = { catalog: string; schema: string; table: string };

const IDENT = /^[A-Za-z0-9_]+$/;
const IDENT_LENGTH_MAX = 255;

/**
 * Parses `catalog.schema.table`. Unity Catalog treats identifiers
 * case-insensitively and stores them in lower case; so do we, which also keeps
 * `Main.X.T` and `main.x.t` from becoming two directories.
 */
export function parseTableName(raw: string | undefined | null, what = 'X-Databricks-UC-Table-Name header'): TableName {
  if (raw === undefined || raw === null || raw.trim() === '') {
    throw new OtlpError('invalid', `missing ${what}: set it to the target table as catalog.schema.table`);
  }
  const parts = raw.trim().split('.');
  if (parts.length !== 3) {
    throw new OtlpError('invalid', `${what} must be three dot-separated names (catalog.schema.table), got ${JSON.stringify(raw)}`);
  }
  for (const p of parts) {
    if (!IDENT.test(p) || p.length > IDENT_LENGTH_MAX) {
      throw new OtlpError(
        'invalid',
        `${what}: ${JSON.stringify(p)} is not a valid name; use 1-${IDENT_LENGTH_MAX} letters, digits or underscores`,
      );
    }
  }
  const [catalog, schema, table] = parts.map((p) => p.toLowerCase()) as [string, string, string];
  return { catalog, schema, table };
}

export const formatTableName = (n: TableName): string => `${n.catalog}.${n.schema}.${n.table}`;

/** Path segments of the table below the warehouse root. */
export const tablePathSegments = (n: TableName): [string, string, string] => [n.catalog, n.schema, n.table];

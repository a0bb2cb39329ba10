// Statistics of the resource and scope columns, from the once-per-scope
// values weighted by the rows each scope wrote, and the values themselves as
// DuckDB struct values for the small table the rows are joined with.
import { mapValue, structValue, type DuckDBValue } from '@duckdb/node-api';
import { compareCodePoints } from './columns.ts';
import type { MapEntries, ScopeEntry } from './scopes.ts';
import type { LeafStats } from './stats.ts';

function stringStats(values: Iterable<string>): LeafStats {
  let min: string | null = null;
  let max: string | null = null;
  for (const s of values) {
    if (min === null || compareCodePoints(s, min) < 0) min = s;
    if (max === null || compareCodePoints(s, max) > 0) max = s;
  }
  return { nulls: 0, min, max };
}

function* present<T>(scopes: readonly ScopeEntry[], pick: (s: ScopeEntry) => T): Generator<T> {
  for (const s of scopes) if (s.rows > 0) yield pick(s);
}

/** A struct leaf's figures: NULL for every row whose struct is NULL. */
function structLeaf<P>(scopes: readonly ScopeEntry[], part: (s: ScopeEntry) => P | null, value: (p: P) => string | number | undefined): LeafStats {
  let nulls = 0;
  let min: string | number | null = null;
  let max: string | number | null = null;
  for (const s of scopes) {
    if (s.rows === 0) continue;
    const p = part(s);
    if (p === null) {
      nulls += s.rows;
      continue;
    }
    const v = value(p);
    if (v === undefined) continue;
    const lt = typeof v === 'string' ? (a: string | number, b: string | number) => compareCodePoints(a as string, b as string) < 0 : (a: string | number, b: string | number) => a < b;
    if (min === null || lt(v, min)) min = v;
    if (max === null || lt(max, v)) max = v;
  }
  return { nulls, min, max };
}

/** Figures of the shared columns; undefined for a path that is not one of them. */
export function scopeLeaf(scopes: readonly ScopeEntry[], path: string[], scopeUrlColumn: string): LeafStats | undefined {
  const [top, child] = path;
  if (top === 'resource_schema_url') return stringStats(present(scopes, (s) => s.resourceSchemaUrl));
  if (top === scopeUrlColumn) return stringStats(present(scopes, (s) => s.scopeSchemaUrl));
  if (top === 'resource') {
    return structLeaf(
      scopes,
      (s) => s.resource,
      (p) => (child === 'dropped_attributes_count' ? p.droppedAttributesCount : undefined),
    );
  }
  if (top === 'instrumentation_scope') {
    return structLeaf(
      scopes,
      (s) => s.scope,
      (p) => (child === 'name' ? p.name : child === 'version' ? p.version : child === 'dropped_attributes_count' ? p.droppedAttributesCount : undefined),
    );
  }
  return undefined;
}

const mapOf = (entries: MapEntries) => mapValue(entries.map(([key, value]) => ({ key, value })));

/** One scope's shared values, in the order of the scopes table's columns after its index. */
export function scopeValues(s: ScopeEntry): DuckDBValue[] {
  return [
    s.resource === null ? null : structValue({ attributes: mapOf(s.resource.attributes), dropped_attributes_count: s.resource.droppedAttributesCount }),
    s.resourceSchemaUrl,
    s.scope === null
      ? null
      : structValue({
          name: s.scope.name,
          version: s.scope.version,
          attributes: mapOf(s.scope.attributes),
          dropped_attributes_count: s.scope.droppedAttributesCount,
        }),
    s.scopeSchemaUrl,
  ];
}

// Delta add.stats from statistics kept while columns were filled: the same
// result row the aggregate query of src/parquet/stats.ts returns, handed to
// that query's own builder, so the JSON is shaped and truncated the same way.
import { statsQuery } from '../parquet/stats.ts';
import type { ColumnType, Field, PrimitiveType, TableSchema } from '../tables/schema.ts';

/** One column's (or struct leaf's) figures; min/max null when no value is non-null. */
export type LeafStats = { nulls: number; min?: unknown; max?: unknown; nonFinite?: number };

const HAS_BOUNDS: ReadonlySet<PrimitiveType> = new Set(['string', 'long', 'integer', 'double']);

/** The query's select list, in its order: count(*), then per leaf nulls[, min, max[, non-finite]]. */
function collectRow(fields: Field[], parent: string[], leaf: (path: string[]) => LeafStats, out: unknown[]): void {
  for (const f of fields) {
    const path = [...parent, f.name];
    const t: ColumnType = f.type;
    if (typeof t === 'string') {
      const s = leaf(path);
      out.push(BigInt(s.nulls));
      if (!HAS_BOUNDS.has(t)) continue;
      out.push(s.min ?? null, s.max ?? null);
      if (t === 'double') out.push(BigInt(s.nonFinite ?? 0));
    } else if ('struct' in t) {
      collectRow(t.struct, path, leaf, out);
    } else {
      out.push(BigInt(leaf(path).nulls));
    }
  }
}

/** The stats JSON of a file of `rows` rows whose leaves `leaf` describes (by path, e.g. ['resource', 'attributes']). */
export function statsFromLeaves(schema: TableSchema, rows: number, leaf: (path: string[]) => LeafStats): string {
  const row: unknown[] = [BigInt(rows)];
  collectRow(schema.columns, [], leaf, row);
  return statsQuery(schema, 'unused').build(row).stats;
}

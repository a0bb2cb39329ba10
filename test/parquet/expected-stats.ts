// An independent, row-by-row computation of what add.stats must say, used to
// check the SQL aggregate: strings compare by UTF-8 bytes, doubles only count
// when every value is finite, and a leaf under a null struct counts as null.
import type { Row, Value } from '../../src/tables/row.ts';
import type { Field } from '../../src/tables/schema.ts';

type Obj = Record<string, unknown>;

const utf8Compare = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function compare(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') return utf8Compare(a, b);
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  return (a as number) - (b as number);
}

function expectedBounds(type: string, values: Value[]): [unknown, unknown] | undefined {
  const present = values.filter((v) => v !== null);
  if (present.length === 0 || type === 'boolean') return undefined;
  if (type === 'double' && present.some((v) => !Number.isFinite(v as number))) return undefined;
  const sorted = [...present].sort(compare);
  let lo: unknown = sorted[0];
  let hi: unknown = sorted[sorted.length - 1];
  if (type === 'double') {
    if (lo === 0) lo = -0;
    if (hi === 0) hi = 0;
  }
  if (type === 'string') {
    const loCps = Array.from(lo as string);
    const hiCps = Array.from(hi as string);
    lo = loCps.slice(0, 32).join('');
    hi = hiCps.length > 32 ? `${hiCps.slice(0, 32).join('')}\u{10FFFF}` : hi;
  }
  return [lo, hi];
}

function walk(fields: Field[], rows: (Row | null)[], min: Obj, max: Obj, nulls: Obj): void {
  for (const f of fields) {
    const values = rows.map((r) => (r === null ? null : (r[f.name] ?? null)));
    const t = f.type;
    if (typeof t === 'object' && 'struct' in t) {
      const mi: Obj = {};
      const ma: Obj = {};
      const nu: Obj = {};
      walk(t.struct, values as (Row | null)[], mi, ma, nu);
      if (Object.keys(mi).length > 0) min[f.name] = mi;
      if (Object.keys(ma).length > 0) max[f.name] = ma;
      nulls[f.name] = nu;
      continue;
    }
    nulls[f.name] = BigInt(values.filter((v) => v === null).length);
    if (typeof t !== 'string') continue;
    const b = expectedBounds(t, values);
    if (b) [min[f.name], max[f.name]] = b;
  }
}

/** What parseJson(stats) must equal for these rows. Counts are bigints to match. */
export function expectedStats(columns: Field[], rows: Row[]): Obj {
  const minValues: Obj = {};
  const maxValues: Obj = {};
  const nullCount: Obj = {};
  walk(columns, rows, minValues, maxValues, nullCount);
  return { numRecords: BigInt(rows.length), minValues, maxValues, nullCount };
}

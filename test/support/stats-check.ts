// Recomputes an add action's per-file statistics from the file's rows and reports every misleading stat.
import type { ColumnType, Field } from '../../src/tables/schema.ts';
import { isPlainObject } from './delta-log.ts';
import { parseJsonExact, renderValue } from './json-exact.ts';
import type { Row } from './parquet-read.ts';

const STRING_PREFIX = 32;
const STATS_KEYS = new Set(['numRecords', 'minValues', 'maxValues', 'nullCount', 'tightBounds']);

/** Orders strings by Unicode code point, i.e. by their UTF-8 bytes, which is
 * how Parquet and Spark order them; JS `<` compares UTF-16 units instead. */
export function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Parses `add.stats` and compares it with the rows; returns numRecords when readable. */
export function checkStats(statsText: string, columns: Field[], rows: Row[] | undefined, numRows: number, label: string, problems: string[]): number | undefined {
  const bad = (why: string) => problems.push(`${label}: stats ${why}`);
  let stats: unknown;
  try {
    stats = parseJsonExact(statsText);
  } catch (e) {
    bad(`do not parse: ${(e as Error).message}`);
    return undefined;
  }
  if (!isPlainObject(stats)) {
    bad('are not a JSON object');
    return undefined;
  }
  for (const k of Object.keys(stats)) if (!STATS_KEYS.has(k)) bad(`have unexpected key '${k}'`);
  if (stats.tightBounds !== undefined && typeof stats.tightBounds !== 'boolean') bad('tightBounds is not a boolean');
  const numRecords = stats.numRecords;
  if (typeof numRecords !== 'number' || !Number.isSafeInteger(numRecords)) bad(`numRecords ${renderValue(numRecords)} is not an integer`);
  else if (numRecords !== numRows) bad(`numRecords ${numRecords} but the file has ${numRows} rows`);
  if (rows) {
    const root: Column = { type: { struct: columns }, values: rows };
    for (const key of ['minValues', 'maxValues', 'nullCount'] as const) {
      const section = stats[key];
      if (section === undefined) continue;
      if (!isPlainObject(section)) bad(`${key} is not an object`);
      else walk(section, root, key, key, (why) => bad(why));
    }
  }
  return typeof numRecords === 'number' ? numRecords : undefined;
}

/** A column of the file: its type and one value per row (null when it or an enclosing struct is null). */
type Column = { type: ColumnType; values: unknown[] };
type Section = 'minValues' | 'maxValues' | 'nullCount';

function walk(stats: Record<string, unknown>, parent: Column, section: Section, where: string, bad: (why: string) => void): void {
  const fields = (parent.type as { struct: Field[] }).struct;
  for (const [name, stat] of Object.entries(stats)) {
    const at = `${where}.${name}`;
    const field = fields.find((f) => f.name === name);
    if (!field) {
      bad(`${at}: no such column in the schema`);
      continue;
    }
    const col: Column = { type: field.type, values: parent.values.map((v) => (v === null ? null : (v as Row)[name])) };
    if (typeof field.type === 'object' && 'struct' in field.type) {
      if (!isPlainObject(stat)) bad(`${at}: struct column needs a nested object, got ${renderValue(stat)}`);
      else walk(stat, col, section, at, bad);
    } else if (section === 'nullCount') {
      const nulls = col.values.filter((v) => v === null).length;
      if (stat !== nulls) bad(`${at}: nullCount ${renderValue(stat)} but the file has ${nulls} null(s)`);
    } else if (typeof field.type === 'object') {
      bad(`${at}: min/max given for an ${'array' in field.type ? 'array' : 'map'} column`);
    } else if (field.type === 'timestamp' || field.type === 'date') {
      bad(`${at}: min/max given for a ${field.type} column, which the writer leaves without bounds`);
    } else {
      const why = checkBound(field.type, col.values, stat, section === 'minValues' ? 'min' : 'max');
      if (why) bad(`${at}: ${why}`);
    }
  }
}

type Primitive = 'string' | 'long' | 'integer' | 'double' | 'boolean';

function checkBound(type: Primitive, values: unknown[], stat: unknown, side: 'min' | 'max'): string | undefined {
  // NaN has no JSON form and no place in an ordering, so bounds cover the rest.
  const present = values.filter((v) => v !== null && !(typeof v === 'number' && Number.isNaN(v)));
  if (present.length === 0) return stat === null ? undefined : `${side} ${renderValue(stat)} but the column has no non-null values`;
  if (type === 'string') return checkStringBound(present as string[], stat, side);
  const norm = normalise(type, stat);
  if (norm === undefined) return `${side} ${renderValue(stat)} is not a valid ${type}`;
  const sorted = [...present].sort((a, b) => (a === b ? 0 : (a as number | bigint) < (b as number | bigint) ? -1 : 1));
  const truth = (side === 'min' ? sorted[0] : sorted.at(-1)) as number | bigint | boolean;
  return norm === truth ? undefined : `${side} ${renderValue(stat)} but the data's ${side} is ${renderValue(truth)}`;
}

/** The stat as the column's JS representation, or undefined when it cannot be one. */
function normalise(type: Primitive, stat: unknown): number | bigint | boolean | undefined {
  switch (type) {
    case 'long':
      return typeof stat === 'bigint' || Number.isSafeInteger(stat) ? BigInt(stat as number | bigint) : undefined;
    case 'integer':
      return Number.isSafeInteger(stat) && (stat as number) >= -(2 ** 31) && (stat as number) < 2 ** 31 ? (stat as number) : undefined;
    case 'double':
      // A large integral double is printed without exponent and so parses as bigint.
      return typeof stat === 'bigint' ? Number(stat) : typeof stat === 'number' ? stat : undefined;
    case 'boolean':
      return typeof stat === 'boolean' ? stat : undefined;
  }
  return undefined;
}

function checkStringBound(values: string[], stat: unknown, side: 'min' | 'max'): string | undefined {
  if (typeof stat !== 'string') return `${side} ${renderValue(stat)} is not a string`;
  const sorted = [...values].sort(compareCodePoints);
  const truth = (side === 'min' ? sorted[0] : sorted.at(-1)) as string;
  const show = `${side} ${renderValue(stat)} vs the data's ${side} ${renderValue(truth)}`;
  const truthLen = Array.from(truth).length;
  if (stat === truth) return undefined;
  if (truthLen <= STRING_PREFIX) return `${show}: must be exact for strings up to ${STRING_PREFIX} code points`;
  if (side === 'min') {
    const cps = Array.from(stat);
    const isPrefix = cps.length <= STRING_PREFIX && Array.from(truth).slice(0, cps.length).join('') === stat;
    return isPrefix ? undefined : `${show}: must be the data's min or a prefix of it of at most ${STRING_PREFIX} code points`;
  }
  return compareCodePoints(stat, truth) >= 0 ? undefined : `${show}: below the data's max`;
}

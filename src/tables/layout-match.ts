// Decides which of our layouts a parsed CREATE TABLE describes and, when none
// fits, names the first place the closest one differs so the table can be fixed.
import type { ParsedField } from './ddl-parse.ts';
import { ddlType, schemaFor, TABLE_KINDS, type ColumnType, type Field, type TableKind } from './schema.ts';

export type LayoutMatch = { kind: TableKind } | { error: string };

// One step from a column into its nested type.
type Step = { field: string } | 'element' | 'key' | 'value';

type Where = {
  /** e.g. 'the metrics layout' */
  layout: string;
  /** The top-level column the comparison is inside, absent while comparing columns themselves. */
  column?: { index: number; name: string };
  /** Steps from that column to the struct or type being compared. */
  steps: Step[];
};

const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

// Paths are relative to the column named in the message, except that one
// starting inside an array or map keeps the column name: "events[].name".
function renderPath(steps: Step[], column: string): string {
  let out = steps.length > 0 && typeof steps[0] !== 'object' ? column : '';
  for (const s of steps) {
    if (s === 'element') out += '[]';
    else if (s === 'key') out += '{key}';
    else if (s === 'value') out += '{value}';
    else out += out === '' ? s.field : `.${s.field}`;
  }
  return out;
}

function prefix(where: Where): string {
  return where.column ? `column ${where.column.index} "${where.column.name}": ` : '';
}

// What a nested position is called, with the verb that agrees with it.
function subject(where: Where): [string, 'is' | 'are'] {
  const { column, steps } = where;
  if (!column) throw new Error('subject() needs a column');
  const last = steps[steps.length - 1];
  if (last === undefined) return [`column ${column.index} "${column.name}"`, 'is'];
  const head = prefix(where);
  if (typeof last === 'object') return [`${head}field "${renderPath(steps, column.name)}"`, 'is'];
  const noun = last === 'element' ? 'elements' : last === 'key' ? 'keys' : 'values';
  const parent = renderPath(steps.slice(0, -1), column.name);
  const container = last === 'element' ? 'array' : 'map';
  return [parent === '' ? `${head}the ${container} ${noun}` : `${head}${noun} of "${parent}"`, 'are'];
}

function showType(t: ColumnType): string {
  const s = ddlType(t);
  return s.length <= 80 ? s : `${s.slice(0, 77)}...`;
}

function shapeOf(t: ColumnType): string {
  if (typeof t === 'string') return t;
  return 'struct' in t ? 'struct' : 'array' in t ? 'array' : 'map';
}

function typeDifference(actual: ColumnType, expected: ColumnType, where: Where): string | undefined {
  if (typeof actual === 'object' && typeof expected === 'object' && shapeOf(actual) === shapeOf(expected)) {
    const into = (step: Step): Where => ({ ...where, steps: [...where.steps, step] });
    if ('struct' in actual && 'struct' in expected) return listDifference(actual.struct, expected.struct, where);
    if ('array' in actual && 'array' in expected) return typeDifference(actual.array, expected.array, into('element'));
    if ('map' in actual && 'map' in expected) {
      return (
        typeDifference(actual.map[0], expected.map[0], into('key')) ??
        typeDifference(actual.map[1], expected.map[1], into('value'))
      );
    }
  }
  if (actual === expected) return undefined;
  const [who, verb] = subject(where);
  return `${who} ${verb} ${showType(actual)}, ${where.layout} has ${showType(expected)}`;
}

/** Compares columns (no where.column) or the fields of one struct, in order. */
function listDifference(actual: Field[], expected: Field[], where: Where): string | undefined {
  const nested = where.column !== undefined;
  const noun = nested ? 'field' : 'column';
  const head = prefix(where);
  const container = renderPath(where.steps, where.column?.name ?? '');
  const path = (name: string): string => (container === '' ? name : `${container}.${name}`);
  // Nested positions name the struct they count within; columns count within the table.
  const within = where.column ? ` of "${container || where.column.name}"` : '';
  const scope = where.column ? `${within} in ${where.layout}` : ` of ${where.layout}`;

  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    const a = actual[i] as ParsedField | undefined;
    const e = expected[i];
    const n = i + 1;
    const missing = (f: Field): string => `${head}missing ${noun} "${path(f.name)}" (${noun} ${n}${scope})`;
    const extra = (f: Field): string =>
      `${head}extra ${noun} "${path(f.name)}" (${noun} ${n}${within}; ${where.layout} has ${expected.length} ${noun}s${where.column ? ' there' : ''})`;
    if (!a) return e && missing(e);
    if (!e) return extra(a);
    if (!sameName(a.name, e.name)) {
      const aElsewhere = expected.some((f) => sameName(f.name, a.name));
      const eElsewhere = actual.some((f) => sameName(f.name, e.name));
      if (aElsewhere && !eElsewhere) return missing(e);
      if (!aElsewhere && eElsewhere) return extra(a);
      const base = `${head}${noun} ${n}${within} is "${a.name}", ${where.layout} has "${e.name}"`;
      return aElsewhere ? `${base} there (the ${noun}s are in a different order)` : base;
    }
    const inner: Where = nested
      ? { ...where, steps: [...where.steps, { field: e.name }] }
      : { layout: where.layout, column: { index: n, name: a.name }, steps: [] };
    const diff = typeDifference(a.type, e.type, inner);
    if (diff !== undefined) return diff;
    if (a.notNull) return `${subject(inner)[0]} is NOT NULL, ${where.layout} has it nullable`;
  }
  return undefined;
}

/**
 * The first difference between columns and the layout of `kind`, or undefined
 * when they are the same: names compared case-insensitively, order and types exactly.
 */
export function layoutDifference(columns: Field[], kind: TableKind): string | undefined {
  return listDifference(columns, schemaFor(kind).columns, { layout: `the ${kind} layout`, steps: [] });
}

// Shared names first, so a table with two columns swapped still compares with
// its own layout; the common leading run breaks ties.
function closeness(columns: Field[], layout: Field[]): [number, number] {
  const shared = columns.filter((c) => layout.some((l) => sameName(l.name, c.name))).length;
  let run = 0;
  while (run < columns.length && run < layout.length && sameName(columns[run]!.name, layout[run]!.name)) run++;
  return [shared, run];
}

export function matchLayout(columns: Field[]): LayoutMatch {
  let best: { kind: TableKind; score: [number, number] } | undefined;
  for (const kind of TABLE_KINDS) {
    if (layoutDifference(columns, kind) === undefined) return { kind };
    const score = closeness(columns, schemaFor(kind).columns);
    if (!best || score[0] > best.score[0] || (score[0] === best.score[0] && score[1] > best.score[1])) {
      best = { kind, score };
    }
  }
  // TABLE_KINDS is never empty, so best is set.
  const kind = best!.kind;
  return { error: layoutDifference(columns, kind)! };
}

/**
 * Checks a table's properties against those our layouts declare (today only
 * 'otel.schemaVersion' = 'v1'). Absent ones are added to the returned copy;
 * a different value, or the key spelled in another case, is an error.
 */
export function validateTableProperties(
  props: Record<string, string>,
  kind?: TableKind,
): { properties: Record<string, string> } | { error: string } {
  const required: Record<string, string> = {};
  for (const k of kind ? [kind] : TABLE_KINDS) Object.assign(required, schemaFor(k).tableProperties);
  const out = { ...props };
  for (const [key, want] of Object.entries(required)) {
    const misspelt = Object.keys(props).find((k) => k !== key && sameName(k, key));
    if (misspelt !== undefined) {
      return { error: `table property '${misspelt}' must be spelled '${key}' (property keys are case-sensitive)` };
    }
    const have = Object.hasOwn(props, key) ? props[key] : undefined;
    if (have === undefined) out[key] = want;
    else if (have !== want) return { error: `table property '${key}' is '${have}'; this service writes '${want}' tables` };
  }
  return { properties: out };
}

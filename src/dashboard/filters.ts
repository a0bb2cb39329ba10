// The dashboard's filters (time range, agent, user, team, model), read from
// the query string and turned into SQL conditions on a usage view. Values are
// quoted as SQL strings, never spliced in as they are.
import { sqlString } from '../duckdb/sql.ts';

export type Filters = { from?: string; to?: string; agent?: string; user?: string; team?: string; model?: string };

export const FILTER_KEYS = ['from', 'to', 'agent', 'user', 'team', 'model'] as const;

/** A filter value longer than this is refused: no agent, user, team or model name is. */
const VALUE_CHARS_MAX = 512;

export class FilterError extends Error {}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseFilters(query: (key: string) => string | undefined): Filters {
  const f: Filters = {};
  for (const key of FILTER_KEYS) {
    const v = query(key);
    if (v === undefined || v === '') continue;
    if (v.length > VALUE_CHARS_MAX) throw new FilterError(`${key} is longer than ${VALUE_CHARS_MAX} characters`);
    if ((key === 'from' || key === 'to') && (!DATE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))) {
      throw new FilterError(`${key} must be a date YYYY-MM-DD, got ${JSON.stringify(v)}`);
    }
    f[key] = v;
  }
  if (f.from !== undefined && f.to !== undefined && f.from > f.to) throw new FilterError(`from (${f.from}) is after to (${f.to})`);
  return f;
}

/**
 * How a view can be filtered: its day column (none: the time range does not
 * apply), whether it has a model column or a list of models, and a table alias.
 */
export type FilterShape = { day?: string | false; model?: 'column' | 'list' | false; alias?: string; range?: boolean };

/** `WHERE ...` (or `WHERE true`) for the filters that apply to a view of this shape. */
export function whereSql(f: Filters, shape: FilterShape = {}): string {
  const a = shape.alias ? `${shape.alias}.` : '';
  const day = shape.day === false ? undefined : `${a}${shape.day ?? 'day'}`;
  const parts: string[] = [];
  if (day !== undefined && shape.range !== false) {
    if (f.from !== undefined) parts.push(`${day} >= DATE ${sqlString(f.from)}`);
    if (f.to !== undefined) parts.push(`${day} <= DATE ${sqlString(f.to)}`);
  }
  if (f.agent !== undefined) parts.push(`${a}agent = ${sqlString(f.agent)}`);
  if (f.user !== undefined) parts.push(`${a}"user" = ${sqlString(f.user)}`);
  if (f.team !== undefined) parts.push(`${a}team = ${sqlString(f.team)}`);
  const model = shape.model ?? 'column';
  if (f.model !== undefined && model === 'column') parts.push(`${a}model = ${sqlString(f.model)}`);
  if (f.model !== undefined && model === 'list') parts.push(`list_contains(${a}models, ${sqlString(f.model)})`);
  return `WHERE ${parts.length === 0 ? 'true' : parts.join(' AND ')}`;
}

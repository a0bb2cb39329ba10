// What the views' {{prices}}, {{directory}} and {{budgets}} placeholders read,
// and the directory columns every usage view gains. These tables live in the
// system catalog, not in the schema the views are computed for, and stand in
// for themselves when a warehouse has none: the shipped prices, an empty
// directory (everyone shows as not in it), no budgets.
import { OWNER, type Caller } from '../access/types.ts';
import type { GrantStore } from '../access/grant-store.ts';
import { quoteIdent } from '../tables/schema.ts';
import { activeFilePaths, relationSql, type Warehouse } from '../query/warehouse.ts';
import { NOT_IN_DIRECTORY } from './directory.ts';
import { defaultPrices, pricesValuesSql } from './prices.ts';
import { BUDGETS_TABLE, DIRECTORY_TABLE, PRICES_TABLE, type CostTable } from './system-table.ts';

export const COST_SOURCES = ['prices', 'directory', 'budgets'] as const;
export type CostSource = (typeof COST_SOURCES)[number];
const TABLES: Record<CostSource, CostTable> = { prices: PRICES_TABLE, directory: DIRECTORY_TABLE, budgets: BUDGETS_TABLE };

export const isCostSource = (s: string): s is CostSource => (COST_SOURCES as readonly string[]).includes(s);

/**
 * The relation a cost placeholder reads. Directory and budgets are read only
 * for a caller that may read them; prices are public list prices and read for
 * anyone, so everyone's estimates agree.
 */
export async function costSourceSql(src: CostSource, warehouse: Warehouse, caller: Caller, grants: GrantStore): Promise<string> {
  const t = TABLES[src];
  const found = await warehouse.table(t.name.catalog, t.name.schema, t.name.table).catch(() => undefined);
  const readable = caller === OWNER || src === 'prices' || grants.decide(caller, 'SELECT', t.name) === 'allowed';
  if (found && found.kind === t.kind && readable) return relationSql(t.kind, activeFilePaths(found));
  return src === 'prices' ? pricesValuesSql(defaultPrices()) : relationSql(t.kind, []);
}

/** Views that are reference lists themselves, not usage by a user, and get no directory columns. */
const REFERENCE_VIEWS = new Set(['prices', 'user_directory', 'budgets']);
export const joinsDirectory = (view: string): boolean => !REFERENCE_VIEWS.has(view);

export const DIRECTORY_COLUMNS = ['display_name', 'team', 'department', 'cost_center', 'location', 'in_directory'] as const;

/**
 * The view's rows with the directory's columns of their user. The user is
 * looked up by email first, then by the row's user (an email, the exporting
 * token's principal, or the agent's user id), then by the agent's user id;
 * the first that the directory lists gives every column, so one person's
 * columns never mix two entries. Keys are compared lower-cased.
 */
export function withDirectory(body: string, directory: string): string {
  const pick = (c: string) => `CASE WHEN de."user" IS NOT NULL THEN de.${c} WHEN du."user" IS NOT NULL THEN du.${c} ELSE di.${c} END AS ${c}`;
  const cols = ['display_name', 'department', 'cost_center', 'location'].map(pick);
  return `SELECT v.*, ${cols[0]}, coalesce(de.team, du.team, di.team, ${`'${NOT_IN_DIRECTORY}'`}) AS team, ${cols.slice(1).join(', ')},
  coalesce(de."user", du."user", di."user") IS NOT NULL AS in_directory
FROM (${body}) v
LEFT JOIN ${directory} de ON de."user" = lower(v.user_email)
LEFT JOIN ${directory} du ON du."user" = lower(v."user")
LEFT JOIN ${directory} di ON di."user" = lower(v.user_id)`;
}

export const quotedTemp = (name: string): string => `temp.main.${quoteIdent(name)}`;

// The normalised views of sql/views/: one SELECT per file, read at run time,
// whose {{placeholders}} name the schema's raw tables ({{metrics}}, {{logs}})
// or other views ({{usage_facts}}), and the order to create a view's closure in.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VIEWS_DIR = fileURLToPath(new URL('../../sql/views/', import.meta.url));

/**
 * Placeholders that stand for tables, not views: the union of a schema's
 * tables of one layout (metrics, logs), or a system table the cost views read.
 */
export const SOURCE_PLACEHOLDERS = ['metrics', 'logs', 'prices', 'directory', 'budgets'] as const;
export type SourcePlaceholder = (typeof SOURCE_PLACEHOLDERS)[number];

export type ViewDef = { name: string; sql: string; deps: string[]; sources: SourcePlaceholder[] };

const PLACEHOLDER = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g;
const isSource = (s: string): s is SourcePlaceholder => (SOURCE_PLACEHOLDERS as readonly string[]).includes(s);

/** Reads every view file of `dir`; a placeholder naming no view or source is an error. */
export function loadViews(dir: string = VIEWS_DIR): Map<string, ViewDef> {
  const defs = new Map<string, ViewDef>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    const name = file.slice(0, -'.sql'.length);
    const sql = readFileSync(path.join(dir, file), 'utf8');
    const names = [...new Set([...sql.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
    defs.set(name, { name, sql, deps: names.filter((n) => !isSource(n)), sources: names.filter(isSource) });
  }
  for (const def of defs.values()) {
    for (const dep of def.deps) if (!defs.has(dep)) throw new Error(`view ${def.name} refers to {{${dep}}}, which is neither a view nor ${SOURCE_PLACEHOLDERS.join(' nor ')}`);
  }
  return defs;
}

/** The views `names` need, dependencies first, each once; a cycle is an error. */
export function creationOrder(names: Iterable<string>, defs: Map<string, ViewDef>): ViewDef[] {
  const order: ViewDef[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]) => {
    const seen = state.get(name);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new Error(`views refer to each other in a cycle: ${[...chain, name].join(' -> ')}`);
    const def = defs.get(name);
    if (!def) throw new Error(`no view named ${name}`);
    state.set(name, 'visiting');
    for (const dep of def.deps) visit(dep, [...chain, name]);
    state.set(name, 'done');
    order.push(def);
  };
  for (const n of names) visit(n, []);
  return order;
}

/** The view's SQL with each placeholder replaced by the relation `resolve` names. */
export function renderView(def: ViewDef, resolve: (placeholder: string) => string): string {
  return def.sql.replace(PLACEHOLDER, (_, name: string) => resolve(name));
}

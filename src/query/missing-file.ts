// Turns a DuckDB failure caused by a table's missing or damaged data file into
// an error that names the file and the repair command. DuckDB names the path
// it could not read; the tables under those paths are then checked file by
// file, so the message rests on what is on disk, not on DuckDB's wording.
import path from 'node:path';
import { checkTableFiles, problemMessage } from '../maintenance/fsck.ts';
import { QueryError } from './read-only.ts';
import type { Warehouse } from './warehouse.ts';

function messages(e: unknown): string[] {
  const out: string[] = [];
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) out.push(cur.message);
  return out;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** catalog.schema.table of every warehouse path the text names (DuckDB may cut a path short; the first three parts suffice). */
function tablesNamed(text: string, root: string): Array<[string, string, string]> {
  const prefix = new RegExp(`${escapeRegExp(root + path.sep)}([^"'\\s\\],)]+)`, 'g');
  const found = new Map<string, [string, string, string]>();
  for (const m of text.matchAll(prefix)) {
    const parts = (m[1] as string).split(path.sep);
    if (parts.length < 4) continue;
    const key = parts.slice(0, 3) as [string, string, string];
    found.set(key.join('.'), key);
  }
  return [...found.values()];
}

/**
 * The error to throw for `e`: a QueryError naming each missing or damaged
 * data file of the tables whose files the failure mentions, or `e` itself
 * when those tables are intact (or none is mentioned).
 */
export async function explainMissingFile(e: unknown, warehouse: Warehouse): Promise<unknown> {
  const text = messages(e).join('\n');
  const problems: string[] = [];
  for (const [catalog, schema, name] of tablesNamed(text, warehouse.root)) {
    try {
      const table = await warehouse.table(catalog, schema, name);
      if (!table) continue;
      const message = problemMessage(table.dir, await checkTableFiles(table.dir, table.snapshot));
      if (message !== undefined) problems.push(message);
    } catch {
      // The original error says more than a failed look at the table would.
    }
  }
  return problems.length === 0 ? e : new QueryError(problems.join('\n'), 'failed', { cause: e });
}

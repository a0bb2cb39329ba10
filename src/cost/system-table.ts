// The warehouse tables the cost commands own (prices, directory, budgets):
// where they live, and replacing a table's whole content in one Delta commit.
// A replace removes every active file and adds one new file, so readers see
// the old or the new list, never a mix, and older lists stay in the history.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSnapshot } from '../delta/snapshot.ts';
import { createDeltaTable, appendFiles, makeAdd, newDataFileName } from '../delta/table.ts';
import { commitRewrite } from '../delta/rewrite.ts';
import { openDuckDb } from '../duckdb/db.ts';
import { tableDir } from '../ingest/registry.ts';
import { writeParquet } from '../parquet/write.ts';
import type { TableName } from '../tables/names.ts';
import { schemaFor, type LayoutKind } from '../tables/schema.ts';
import { activeFilePaths, relationSql } from '../query/warehouse.ts';

export type CostTable = { name: TableName; kind: Extract<LayoutKind, 'prices' | 'directory' | 'budgets'> };

export const PRICES_TABLE: CostTable = { name: { catalog: 'system', schema: 'billing', table: 'prices' }, kind: 'prices' };
export const BUDGETS_TABLE: CostTable = { name: { catalog: 'system', schema: 'billing', table: 'budgets' }, kind: 'budgets' };
export const DIRECTORY_TABLE: CostTable = { name: { catalog: 'system', schema: 'directory', table: 'users' }, kind: 'directory' };

export type Row = Record<string, string | number | null>;

const REPLACE_APP_ID = 'otlp2delta-replace';

async function ensureTable(warehouse: string, t: CostTable): Promise<string> {
  const dir = tableDir(warehouse, t.name);
  if (await loadSnapshot(dir)) return dir;
  const schema = schemaFor(t.kind);
  try {
    await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties }, name: t.name.table });
  } catch (e) {
    if (!/already exists/.test((e as Error).message)) throw e;
  }
  return dir;
}

// Dates and timestamps come back as Date; the tables' NDJSON wants ISO text.
const cell = (v: unknown): string | number | null =>
  v === null || v === undefined ? null : typeof v === 'number' ? v : v instanceof Date ? v.toISOString() : String(v);

/** The table's current rows, or undefined when the warehouse has no such table. */
export async function readRows(warehouse: string, t: CostTable): Promise<Row[] | undefined> {
  const dir = tableDir(warehouse, t.name);
  const snapshot = await loadSnapshot(dir);
  if (!snapshot) return undefined;
  const db = await openDuckDb({ threads: 1 });
  try {
    const rows = await db.all(relationSql(t.kind, activeFilePaths({ dir, snapshot })));
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, cell(v)])));
  } finally {
    db.close();
  }
}

/** Makes `rows` the table's whole content (creating the table when needed); returns the committed version. */
export async function replaceRows(warehouse: string, t: CostTable, rows: Row[], operation: string): Promise<number> {
  const dir = await ensureTable(warehouse, t);
  const schema = schemaFor(t.kind);
  const snapshot = await loadSnapshot(dir);
  if (!snapshot) throw new Error(`${dir} has no Delta log after creating it`);
  const name = newDataFileName();
  const out = path.join(dir, name);
  // Staged outside the table, so a crash leaves nothing in it but, at worst, a data file no commit names.
  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'otlp2delta-replace-'));
  const ndjson = path.join(scratch, 'rows.ndjson');
  await fsp.writeFile(ndjson, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : ''));
  const db = await openDuckDb({ threads: 1 });
  try {
    const adds = [];
    if (rows.length > 0) {
      const written = await writeParquet(db, schema, ndjson, out);
      adds.push(makeAdd(name, written.size, written.stats, Date.now()));
    }
    const inputs = [...snapshot.files.values()];
    if (inputs.length === 0) {
      if (adds.length === 0) return snapshot.version;
      // An append conflicts with nothing; the txn makes a second replace that
      // read the same empty version lose instead of adding its rows as well.
      const appended = await appendFiles(dir, { adds, readVersion: snapshot.version, operation, txn: { appId: REPLACE_APP_ID, version: snapshot.version + 1 } });
      if (appended.skipped) {
        await fsp.rm(out, { force: true });
        throw new Error(`another writer changed ${dir} at the same time; run the command again`);
      }
      return appended.version;
    }
    const result = await commitRewrite(dir, { readVersion: snapshot.version, inputs, outputs: adds, operation, operationParameters: { mode: 'Overwrite' }, dataChange: true });
    if (!result.committed) {
      await fsp.rm(out, { force: true });
      throw new Error(`another writer changed ${dir} at the same time (${result.reason}); run the command again`);
    }
    return result.version;
  } finally {
    db.close();
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}

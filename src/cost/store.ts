// Importing and reading the cost tables: the price list, the directory and
// the budgets, each replaced whole by one commit.
import { readFile } from 'node:fs/promises';
import { budgetFromRow, mergeBudgets, type Budget } from './budgets.ts';
import { parseDirectory } from './directory.ts';
import { defaultPrices, parsePrices, priceRow, type Price } from './prices.ts';
import { BUDGETS_TABLE, DIRECTORY_TABLE, PRICES_TABLE, readRows, replaceRows, type Row } from './system-table.ts';

/** Replaces system.billing.prices with the file's rows; the earlier list stays in the table's history. */
export async function importPrices(warehouse: string, file: string): Promise<{ rows: number; version: number }> {
  const prices = parsePrices(await readFile(file, 'utf8'));
  const version = await replaceRows(warehouse, PRICES_TABLE, prices.map(priceRow), 'PRICES IMPORT');
  return { rows: prices.length, version };
}

/** The price list in force: the warehouse's own, else the shipped one. */
export async function currentPrices(warehouse: string): Promise<{ from: 'warehouse' | 'defaults'; prices: Price[] }> {
  const rows = await readRows(warehouse, PRICES_TABLE);
  if (rows === undefined) return { from: 'defaults', prices: defaultPrices() };
  const prices = rows.map(
    (r: Row): Price => ({
      model_pattern: String(r.model_pattern),
      token_type: String(r.token_type),
      usd_per_million_tokens: Number(r.usd_per_million_tokens),
      valid_from: String(r.valid_from).slice(0, 10),
      source: r.source === null ? null : String(r.source),
      retrieved: r.retrieved === null ? null : String(r.retrieved).slice(0, 10),
    }),
  );
  prices.sort((a, b) => a.model_pattern.localeCompare(b.model_pattern) || a.token_type.localeCompare(b.token_type) || a.valid_from.localeCompare(b.valid_from));
  return { from: 'warehouse', prices };
}

/** Replaces system.directory.users with the file's users. */
export async function importDirectory(warehouse: string, file: string): Promise<{ rows: number; version: number }> {
  const rows = parseDirectory(await readFile(file, 'utf8'));
  return { rows: rows.length, version: await replaceRows(warehouse, DIRECTORY_TABLE, rows, 'DIRECTORY IMPORT') };
}

export async function directoryRows(warehouse: string): Promise<Row[]> {
  return ((await readRows(warehouse, DIRECTORY_TABLE)) ?? []).sort((a, b) => String(a.user).localeCompare(String(b.user)));
}

export async function listBudgets(warehouse: string): Promise<Budget[]> {
  return mergeBudgets(((await readRows(warehouse, BUDGETS_TABLE)) ?? []).map(budgetFromRow), []);
}

/** Sets (or with `remove`, drops) budgets, keeping every other one. */
export async function changeBudgets(warehouse: string, changes: Budget[], remove = false): Promise<Budget[]> {
  const next = mergeBudgets(await listBudgets(warehouse), changes, remove);
  await replaceRows(warehouse, BUDGETS_TABLE, next.map((b) => ({ ...b })), remove ? 'BUDGET REMOVE' : 'BUDGET SET');
  return next;
}

// Model prices: the CSV shape (prices/default-prices.csv and imports), its
// checks, and the shipped defaults as a relation for warehouses that have no
// system.billing.prices table of their own.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sqlString } from '../duckdb/sql.ts';
import { CsvError, csvObjects } from './csv.ts';
import type { Row } from './system-table.ts';

export const DEFAULT_PRICES_FILE = fileURLToPath(new URL('../../prices/default-prices.csv', import.meta.url));
export const TOKEN_TYPES = ['input', 'cache_read', 'cache_write', 'output', 'reasoning', 'tool'] as const;
const COLUMNS = ['model_pattern', 'token_type', 'usd_per_million_tokens', 'valid_from'];
const OPTIONAL = ['source', 'retrieved'];

export type Price = {
  model_pattern: string;
  token_type: string;
  usd_per_million_tokens: number;
  valid_from: string;
  source: string | null;
  retrieved: string | null;
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isDate = (s: string) => DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
// Glob characters * and ? only: a model name's own brackets ([1m]) are cut before matching.
const PATTERN = /^[a-z0-9*?][a-z0-9._:\-/*?@]*$/;

/** The price rows of a CSV text; any bad record refuses the whole file, naming it. */
export function parsePrices(text: string): Price[] {
  const out: Price[] = [];
  const seen = new Set<string>();
  for (const { line, values: v } of csvObjects(text, COLUMNS, OPTIONAL)) {
    const at = `record ${line}`;
    const pattern = (v.model_pattern ?? '').toLowerCase();
    if (!PATTERN.test(pattern)) throw new CsvError(`${at}: model_pattern ${JSON.stringify(v.model_pattern)} must be a model name, with * and ? as wildcards`);
    const type = v.token_type ?? '';
    if (!(TOKEN_TYPES as readonly string[]).includes(type)) throw new CsvError(`${at}: token_type must be one of ${TOKEN_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
    const usd = Number(v.usd_per_million_tokens);
    if ((v.usd_per_million_tokens ?? '') === '' || !Number.isFinite(usd) || usd < 0) throw new CsvError(`${at}: usd_per_million_tokens must be a number of 0 or more, got ${JSON.stringify(v.usd_per_million_tokens)}`);
    const from = v.valid_from ?? '';
    if (!isDate(from)) throw new CsvError(`${at}: valid_from must be a date YYYY-MM-DD, got ${JSON.stringify(from)}`);
    const retrieved = v.retrieved ? v.retrieved : null;
    if (retrieved !== null && !isDate(retrieved)) throw new CsvError(`${at}: retrieved must be a date YYYY-MM-DD or empty, got ${JSON.stringify(retrieved)}`);
    const key = `${pattern}\u0000${type}\u0000${from}`;
    if (seen.has(key)) throw new CsvError(`${at}: ${pattern} ${type} from ${from} is priced twice`);
    seen.add(key);
    out.push({ model_pattern: pattern, token_type: type, usd_per_million_tokens: usd, valid_from: from, source: v.source ? v.source : null, retrieved });
  }
  return out;
}

let defaults: Price[] | undefined;
/** The shipped price list, read once. */
export function defaultPrices(): Price[] {
  defaults ??= parsePrices(readFileSync(DEFAULT_PRICES_FILE, 'utf8'));
  return defaults;
}

export const priceRow = (p: Price): Row => ({ ...p });

/** The price list as a typed relation in the prices layout's column order. */
export function pricesValuesSql(prices: Price[]): string {
  if (prices.length === 0) {
    return `SELECT CAST(NULL AS VARCHAR) AS model_pattern, CAST(NULL AS VARCHAR) AS token_type, CAST(NULL AS DOUBLE) AS usd_per_million_tokens, CAST(NULL AS DATE) AS valid_from, CAST(NULL AS VARCHAR) AS source, CAST(NULL AS DATE) AS retrieved WHERE false`;
  }
  const lit = (s: string | null) => (s === null ? 'NULL' : sqlString(s));
  const rows = prices.map((p) => `(${lit(p.model_pattern)}, ${lit(p.token_type)}, ${p.usd_per_million_tokens}, DATE ${lit(p.valid_from)}, ${lit(p.source)}, ${p.retrieved === null ? 'NULL' : `DATE ${lit(p.retrieved)}`})`);
  return `SELECT model_pattern, token_type, CAST(usd AS DOUBLE) AS usd_per_million_tokens, valid_from, source, retrieved FROM (VALUES ${rows.join(', ')}) AS p(model_pattern, token_type, usd, valid_from, source, retrieved)`;
}

// The golden-file form of table rows: plain JSON lines, one per row, normalised and sorted so files diff cleanly.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = fileURLToPath(new URL('./', import.meta.url));
export const UPDATE_COMMAND = 'npx tsx test/golden/update.ts';

/** test/golden/<client>__<run>.jsonl */
export const goldenPath = (client: string, run: string): string => path.join(GOLDEN_DIR, `${client}__${run}.jsonl`);

export function listGoldenFiles(): string[] {
  return readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.jsonl')).sort();
}

/**
 * A checker value as plain JSON: bigint as a decimal string, Map as an object
 * with sorted keys, doubles JSON cannot spell (NaN, ±Infinity, -0) as strings.
 * Struct keys keep the column order of the layout, which reads best, unless
 * `sortKeys` asks for every object's keys sorted (for order-free comparison).
 */
export function normalise(v: unknown, sortKeys = false): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : Object.is(v, -0) ? '-0' : String(v);
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const k of [...v.keys()].map(String).sort()) out[k] = normalise(v.get(k), sortKeys);
    return out;
  }
  if (Array.isArray(v)) return v.map((x) => normalise(x, sortKeys));
  const entries = Object.entries(v);
  if (sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries) out[k] = normalise(x, sortKeys);
  return out;
}

/** A stable text key for a row (independent of map and struct key order), to compare rows as multisets. */
export const rowKey = (row: unknown): string => JSON.stringify(normalise(row, true));

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The golden text for the rows one run landed, table by table. */
export function goldenText(rowsByTable: Map<string, unknown[]>): string {
  const lines: string[] = [];
  for (const [table, rows] of rowsByTable) {
    for (const row of rows) lines.push(JSON.stringify({ table, row: normalise(row) }));
  }
  lines.sort(byCodePoint);
  return lines.map((l) => `${l}\n`).join('');
}

export function readGolden(client: string, run: string): string | undefined {
  const file = goldenPath(client, run);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** A short account of how two golden texts differ, for a failure message. */
export function describeGoldenDiff(actual: string, golden: string): string {
  const a = actual.split('\n').filter(Boolean);
  const g = new Set(golden.split('\n').filter(Boolean));
  const aSet = new Set(a);
  const extra = a.filter((l) => !g.has(l));
  const missing = [...g].filter((l) => !aSet.has(l));
  const clip = (s: string | undefined) => (s === undefined ? '' : s.length > 400 ? `${s.slice(0, 400)}…` : s);
  return (
    `${extra.length} row(s) landed that the golden lacks, ${missing.length} golden row(s) did not land` +
    (extra.length ? `\n  first new:     ${clip(extra[0])}` : '') +
    (missing.length ? `\n  first missing: ${clip(missing[0])}` : '') +
    (extra.length === 0 && missing.length === 0 ? ' (row counts or order differ)' : '')
  );
}

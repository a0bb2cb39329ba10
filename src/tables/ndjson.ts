// Renders rows as the NDJSON text DuckDB's read_ndjson loads into typed columns;
// the encodings here are the ones that keep int64 and IEEE doubles exact.
import { jsonDouble, jsonString } from './json-text.ts';
import type { MapValue, Row, Value } from './row.ts';

// Pieces are pushed to an array and joined: building the text by `+=` leaves
// a rope of thousands of small string nodes per batch alive until the end,
// and the garbage collector then spends more time than the encoder.

// Struct keys repeat on every row, so their quoted form is worth remembering.
// Map keys (attribute names) are unbounded and are quoted each time instead.
const keyCache = new Map<string, string>();
const KEY_CACHE_MAX = 4096;
// Pieces are joined a few thousand at a time. A join per row copies every line
// twice (into the row, then the batch); a single join per batch keeps every
// piece of a Collector-size batch alive, past the young generation, until the end.
const PARTS_PER_JOIN = 2048;

function quoteKey(key: string): string {
  let quoted = keyCache.get(key);
  if (quoted === undefined) {
    quoted = `${jsonString(key)}:`;
    if (keyCache.size < KEY_CACHE_MAX) keyCache.set(key, quoted);
  }
  return quoted;
}

function pushString(out: string[], s: string): void {
  out.push(jsonString(s));
}

function pushDouble(out: string[], x: number): void {
  out.push(jsonDouble(x));
}

function pushMap(out: string[], m: MapValue): void {
  let sep = '{';
  for (const [k, v] of m) {
    out.push(sep);
    sep = ',';
    pushString(out, k);
    out.push(':');
    if (v === null) out.push('null');
    else pushString(out, v);
  }
  out.push(sep === '{' ? '{}' : '}');
}

function pushArray(out: string[], a: Value[]): void {
  out.push('[');
  for (let i = 0; i < a.length; i++) {
    if (i > 0) out.push(',');
    pushValue(out, a[i] as Value);
  }
  out.push(']');
}

function pushValue(out: string[], v: Value): void {
  switch (typeof v) {
    case 'string':
      return pushString(out, v);
    case 'number':
      return pushDouble(out, v);
    case 'bigint':
      out.push(v.toString());
      return;
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    default:
      if (v === null) out.push('null');
      else if (Array.isArray(v)) pushArray(out, v);
      else if (v instanceof Map) pushMap(out, v);
      else pushRow(out, v);
  }
}

function pushRow(out: string[], row: Row): void {
  let sep = '{';
  for (const key in row) {
    const v = row[key];
    if (v === undefined) continue;
    out.push(sep, quoteKey(key));
    sep = ',';
    pushValue(out, v);
  }
  out.push(sep === '{' ? '{}' : '}');
}

/** Any value as the JSON text it takes inside a row. */
export function valueToJson(v: Value): string {
  const parts: string[] = [];
  pushValue(parts, v);
  return parts.join('');
}

/** One row as a single-line JSON object (no trailing newline). */
export function rowToJson(row: Row): string {
  const parts: string[] = [];
  pushRow(parts, row);
  return parts.join('');
}

/**
 * The JSON of each object-valued column of the previous row, by column
 * position. Rows of one scope share their resource, scope (and, for metrics,
 * metadata) objects, and rows are never changed once built, so a column that
 * holds the very same object as the row before renders to the same text: it
 * is rendered once per batch instead of once per row.
 */
type ColumnMemo = { objects: unknown[]; json: (string | undefined)[] };

function pushTopRow(out: string[], row: Row, memo: ColumnMemo): void {
  let sep = '{';
  let i = 0;
  for (const key in row) {
    const v = row[key];
    if (v === undefined) continue;
    out.push(sep, quoteKey(key));
    sep = ',';
    if (typeof v === 'object' && v !== null) {
      if (memo.objects[i] === v) {
        // Seen in the row before: render it on its own once, then reuse the text.
        let json = memo.json[i];
        if (json === undefined) {
          const parts: string[] = [];
          pushValue(parts, v);
          json = parts.join('');
          memo.json[i] = json;
        }
        out.push(json);
      } else {
        memo.objects[i] = v;
        memo.json[i] = undefined;
        pushValue(out, v);
      }
    } else {
      pushValue(out, v);
    }
    i++;
  }
  out.push(sep === '{' ? '{}\n' : '}\n');
}

/** Rows as NDJSON: one object per line, newline-terminated. */
export function rowsToNdjson(rows: Row[]): string {
  const chunks: string[] = [];
  const out: string[] = [];
  const memo: ColumnMemo = { objects: [], json: [] };
  for (const row of rows) {
    pushTopRow(out, row, memo);
    if (out.length >= PARTS_PER_JOIN) {
      chunks.push(out.join(''));
      out.length = 0;
    }
  }
  if (chunks.length === 0) return out.join('');
  chunks.push(out.join(''));
  return chunks.join('');
}

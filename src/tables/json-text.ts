// The JSON text of single values in the NDJSON that DuckDB's read_ndjson
// loads: the spellings here are the ones that keep int64 and IEEE doubles
// exact. Rows (ndjson.ts) and the direct renderers (render/) share them, so
// both produce the same bytes.
import type { Int64 } from '../otlp/types.ts';
import { int64Exact, longFitsDouble, toInt64 } from '../otlp/int64.ts';

// Above this length a native scan beats the JS loop below.
const SHORT_STRING_MAX = 256;

// Node 20 ships these ES2024 string methods; the compiler's lib stops at ES2023.
type WellFormedApi = string & { isWellFormed(): boolean; toWellFormed(): string };

// DuckDB rejects a whole file when one string holds a lone UTF-16 surrogate
// (JSON.parse of OTLP/JSON can produce them); U+FFFD is what any UTF-8
// encoder would have written instead.
function escapedString(s: string): string {
  const w = s as WellFormedApi;
  return JSON.stringify(w.isWellFormed() ? s : w.toWellFormed());
}

/** A string as a JSON string literal. */
export function jsonString(s: string): string {
  const n = s.length;
  if (n < SHORT_STRING_MAX) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) break;
    }
    if (i === n) return `"${s}"`;
  }
  return escapedString(s);
}

/** A DOUBLE: shortest round-trip text, -0 as -0.0, NaN and ±Infinity as the strings DuckDB casts. */
export function jsonDouble(x: number): string {
  if (Number.isFinite(x)) {
    // A bare "-0" is read as the integer 0 and loses its sign.
    return x === 0 && 1 / x < 0 ? '-0.0' : String(x);
  }
  if (Number.isNaN(x)) return '"NaN"';
  return x > 0 ? '"Infinity"' : '"-Infinity"';
}

/** A nullable DOUBLE. */
export function jsonDoubleOrNull(x: number | null | undefined): string {
  return x == null ? 'null' : jsonDouble(x);
}

// Points of one export usually share their timestamps, so the last two
// wide values (start and end time) are remembered with their text.
let lastLow0 = 0;
let lastHigh0 = 0;
let lastText0 = '0';
let lastLow1 = 0;
let lastHigh1 = 0;
let lastText1 = '0';

/**
 * A LONG from the wire as JSON text: the signed 64-bit value, the same as
 * toInt64(v).toString(), without bigint work for the common cases.
 */
export function jsonInt64(v: Int64 | null | undefined): string {
  if (typeof v === 'object' && v !== null && !longFitsDouble(v)) {
    const high = v.high | 0;
    const low = v.low | 0;
    if (low === lastLow0 && high === lastHigh0) return lastText0;
    if (low === lastLow1 && high === lastHigh1) return lastText1;
    const text = toInt64(v).toString();
    lastLow1 = lastLow0;
    lastHigh1 = lastHigh0;
    lastText1 = lastText0;
    lastLow0 = low;
    lastHigh0 = high;
    lastText0 = text;
    return text;
  }
  return String(int64Exact(v));
}

// Exact 64-bit integers: every int64/fixed64 from the wire becomes a signed
// 64-bit bigint here, the type LONG columns hold, without passing a double.
import type { Int64 } from './types.ts';

const TWO_32 = 4294967296n;
const TWO_32_DOUBLE = 4294967296;
/** A high word in [-2^21, 2^21) keeps high * 2^32 + low within ±2^53, where doubles are exact. */
const EXACT_HIGH = 0x200000;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Signed 64-bit value of an OTLP integer. Unsigned fixed64 values above
 * 2^63-1 (never produced by real clocks or counters) keep their bit pattern,
 * as LONG columns are signed: the same reinterpretation Spark and protobuf-java do.
 */
export function toInt64(v: Int64 | null | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'bigint') return BigInt.asIntN(64, v);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new RangeError(`not an integer: ${v}`);
    return BigInt.asIntN(64, BigInt(v));
  }
  return BigInt.asIntN(64, BigInt(v.high >>> 0) * TWO_32 + BigInt(v.low >>> 0));
}

/** A 64-bit integer as a double, for DOUBLE columns (rule: as_int lands in value DOUBLE). */
export function int64ToDouble(v: Int64 | null | undefined): number {
  return Number(toInt64(v));
}

/** True when a Long-shaped value's high word keeps it within ±2^53, so a double holds it exactly. */
export function longFitsDouble(v: { high: number }): boolean {
  const high = v.high | 0;
  return high >= -EXACT_HIGH && high < EXACT_HIGH;
}

/**
 * The signed 64-bit value as a number when that is exact (the common case,
 * with no bigint work), else as a bigint; the same value toInt64 gives.
 */
export function int64Exact(v: Int64 | null | undefined): number | bigint {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
  } else if (typeof v === 'object' && v !== null && longFitsDouble(v)) {
    const n = (v.high | 0) * TWO_32_DOUBLE + (v.low >>> 0);
    if (Number.isSafeInteger(n)) return n;
  }
  const b = toInt64(v);
  return b >= -MAX_SAFE && b <= MAX_SAFE ? Number(b) : b;
}

// Exact 64-bit integers: every int64/fixed64 from the wire becomes a signed
// 64-bit bigint here, the type LONG columns hold, without passing a double.
import type { Int64 } from './types.ts';

const TWO_32 = 4294967296n;

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

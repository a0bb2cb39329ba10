// OTLP/JSON scalar values checked and brought into the form fromObject reads exactly.
//
// fromObject coerces whatever it is given: `>>> 0` on a uint32 (2^40 becomes 0),
// Long.fromValue on a fixed64 (1e30 becomes 2^64-1), the enum default for a
// name it does not know. A value that would be stored as anything other than
// what was sent is refused here instead, with the field and the value named:
// - integers: a JSON number or a string holding one, with or without fraction
//   or exponent, that is an exact integer in the field's range (uint64
//   0..2^64-1, int64 -2^63..2^63-1, uint32 0..2^32-1, int32 -2^31..2^31-1);
// - enums: a member's name, or an int32 (a number without a name is kept);
// - ids: hex of exactly the id's length, or empty.
import type protobuf from 'protobufjs';
import { exactInteger } from './exact-integer.ts';

export type FieldKind = 'message' | 'hexId' | 'int64' | 'uint64' | 'int32' | 'uint32' | 'enum' | 'bool' | 'double' | 'plain';

/** Kinds whose JSON number values must be exact integers. */
export const INTEGER_KINDS: ReadonlySet<FieldKind> = new Set(['int64', 'uint64', 'int32', 'uint32', 'enum']);

export type FieldPlan = {
  /** protobufjs' (camelCase) field name, the key fromObject reads. */
  name: string;
  kind: FieldKind;
  repeated: boolean;
  /** Only for kind 'message'. */
  type: protobuf.Type | null;
  /** Only for kind 'enum'. */
  enumType: protobuf.Enum | null;
  /** Only for kind 'hexId': the id's length in bytes. */
  idBytes: number;
};

/** A shape problem at a known place in the document; turned into OtlpError by the caller. */
export class ShapeError extends Error {}

type IntegerKind = 'int64' | 'uint64' | 'int32' | 'uint32';

const RANGES: Record<IntegerKind, readonly [bigint, bigint]> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
};

const NUMBER_RANGES: Record<IntegerKind, readonly [number, number]> = {
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
};

const SHORT_DECIMAL = /^-?\d{1,15}$/;
const HEX = /^[0-9a-fA-F]*$/;
const LOW_32 = 0xffffffffn;
const SHOWN_CHARS_MAX = 40;

/** A value for an error message: strings quoted and cut short, so a message stays small. */
export function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > SHOWN_CHARS_MAX ? `${v.slice(0, SHOWN_CHARS_MAX)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `an ${typeof v}`;
}

function numberIn(kind: IntegerKind, n: number, v: unknown): number {
  const [min, max] = NUMBER_RANGES[kind];
  if (n < min || n > max) throw new ShapeError(`out of range for ${kind}: ${shown(v)}`);
  return n;
}

function integerOf(kind: IntegerKind, v: unknown): number | bigint {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new ShapeError(`expected an integer, got ${v}`);
    // Numbers of 10^15 or more reach this walk as their literal text
    // (json-int.ts), so an unsafe number here is one a double already rounded.
    if (!Number.isSafeInteger(v)) throw new ShapeError(`beyond 2^53, not exact as a JSON number: ${v}`);
    return numberIn(kind, v, v);
  }
  if (typeof v !== 'string') throw new ShapeError(`expected an integer, got ${shown(v)}`);
  // Up to 15 digits a double holds the value exactly: the common case stays cheap.
  if (SHORT_DECIMAL.test(v)) return numberIn(kind, Number(v), v);
  const n = exactInteger(v);
  if ('error' in n) {
    if (n.error === 'too large') throw new ShapeError(`out of range for ${kind}: ${shown(v)}`);
    throw new ShapeError(`expected an integer, got ${shown(v)}`);
  }
  const [min, max] = RANGES[kind];
  if (n.value < min || n.value > max) throw new ShapeError(`out of range for ${kind}: ${shown(v)}`);
  return n.value;
}

/** A 64-bit integer as fromObject takes it: a number when exact, else its 64 bits ({low, high}). */
function longValue(v: number | bigint): unknown {
  if (typeof v === 'number') return v;
  if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  // An unsigned value above 2^63-1 keeps its bit pattern in the signed LONG column.
  const bits = BigInt.asUintN(64, v);
  return { low: Number(bits & LOW_32) | 0, high: Number(bits >> 32n) | 0 };
}

function enumValue(fp: FieldPlan, v: unknown): number {
  const type = fp.enumType as protobuf.Enum;
  if (typeof v === 'string' && Object.hasOwn(type.values, v)) return type.values[v] as number;
  if (typeof v === 'number' || (typeof v === 'string' && /^-?\d/.test(v))) return Number(integerOf('int32', v));
  throw new ShapeError(`not a ${type.name} name: ${shown(v)}`);
}

function hexIdValue(fp: FieldPlan, v: unknown): Uint8Array {
  if (typeof v !== 'string') throw new ShapeError(`expected a hex string, got ${shown(v)}`);
  if (v.length !== 0 && v.length !== fp.idBytes * 2) {
    throw new ShapeError(`must be ${fp.idBytes} bytes (${fp.idBytes * 2} hex digits) or empty, got ${v.length} characters: ${shown(v)}`);
  }
  if (!HEX.test(v)) throw new ShapeError(`not a hex id: ${shown(v)}`);
  return Buffer.from(v, 'hex');
}

// The proto3 JSON mapping spells the non-finite doubles as these strings, and allows a number as text.
const DOUBLE_TEXT = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function doubleValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (Object.hasOwn(NON_FINITE, v)) return NON_FINITE[v] as number;
    // fromObject would store Number(v), NaN for any text that is not a number.
    if (DOUBLE_TEXT.test(v)) return Number(v);
  }
  throw new ShapeError(`expected a number, got ${shown(v)}`);
}

export function scalarValue(fp: FieldPlan, v: unknown): unknown {
  switch (fp.kind) {
    case 'hexId':
      return hexIdValue(fp, v);
    case 'int64':
    case 'uint64':
      return longValue(integerOf(fp.kind, v));
    case 'int32':
    case 'uint32':
      return Number(integerOf(fp.kind, v));
    case 'enum':
      return enumValue(fp, v);
    case 'bool':
      if (v === 'true') return true;
      if (v === 'false') return false;
      // fromObject would store Boolean(v): 0 or "x" would become a value nobody sent.
      if (typeof v !== 'boolean') throw new ShapeError(`expected a boolean, got ${shown(v)}`);
      return v;
    case 'double':
      return doubleValue(v);
    default:
      return v;
  }
}

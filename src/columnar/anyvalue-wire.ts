// AnyValue and KeyValue read straight from protobuf wire bytes into the text
// a MAP<STRING,STRING> entry or a log body holds: the same text renderAnyValue
// gives for the decoded message (src/tables/anyvalue.ts), without building it.
import protobuf from 'protobufjs';
import { readString } from './wire-string.ts';
import { int64Exact } from '../otlp/int64.ts';
import type { KeyValue } from '../otlp/types.ts';
import { checkKeys } from '../tables/reject.ts';

type Reader = protobuf.Reader;

// Field numbers 1..7 of AnyValue's oneof, in the order the reference probes a
// decoded message's members: when a sender sets several, the first set one
// in this order wins there, and within one member the last occurrence.
const STRING = 1;
const BOOL = 2;
const INT = 3;
const DOUBLE = 4;
const ARRAY = 5;
const KVLIST = 6;
const BYTES = 7;

const WIRE_LEN = 2;

/** Where each member's last occurrence starts, reused: AnyValues nest, so one per depth. */
const memberPos: Int32Array[] = [];

function positions(depth: number): Int32Array {
  let p = memberPos[depth];
  if (p === undefined) {
    p = new Int32Array(8);
    memberPos[depth] = p;
  }
  return p.fill(-1);
}

/** Shortest round-trip text; -0 keeps its sign (as the reference's doubleText). */
function doubleText(x: number): string {
  return x === 0 && 1 / x < 0 ? '-0' : String(x);
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/**
 * Scans an AnyValue whose bytes run from r.pos to `end`, leaving r.pos at
 * `end`; returns the field number of the member that counts (0 for none) with
 * r.pos set to its value, the caller restoring r.pos = end after reading it.
 */
function chooseMember(r: Reader, end: number, depth: number): number {
  const pos = positions(depth);
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field >= STRING && field <= BYTES) pos[field] = r.pos;
    r.skipType(tag & 7);
  }
  for (let f = STRING; f <= BYTES; f++) {
    const at = pos[f] as number;
    if (at >= 0) {
      r.pos = at;
      return f;
    }
  }
  return 0;
}

/** The text of an AnyValue (bytes r.pos..end) for a map entry or log body; null for an empty value. */
export function anyValueText(r: Reader, end: number, depth = 0): string | null {
  const member = chooseMember(r, end, depth);
  let text: string | null = null;
  switch (member) {
    case STRING:
      text = readString(r);
      break;
    case BOOL:
      text = r.bool() ? 'true' : 'false';
      break;
    case INT:
      text = String(int64Exact(r.int64() as unknown as protobuf.Long));
      break;
    case DOUBLE:
      text = doubleText(r.double());
      break;
    case BYTES:
      text = base64(r.bytes());
      break;
    case ARRAY:
      text = arrayJson(r, depth);
      break;
    case KVLIST:
      text = kvlistJson(r, depth);
      break;
  }
  r.pos = end;
  return text;
}

/** An AnyValue as one JSON element, as the reference's jsonOf spells it. */
function anyValueJson(r: Reader, end: number, depth: number): string {
  const member = chooseMember(r, end, depth);
  let json = 'null';
  switch (member) {
    case STRING:
      json = JSON.stringify(readString(r));
      break;
    case BOOL:
      json = r.bool() ? 'true' : 'false';
      break;
    case INT: {
      const n = int64Exact(r.int64() as unknown as protobuf.Long);
      json = typeof n === 'number' ? String(n) : `"${n}"`;
      break;
    }
    case DOUBLE: {
      const x = r.double();
      json = Number.isFinite(x) ? doubleText(x) : `"${x}"`;
      break;
    }
    case BYTES:
      json = `"${base64(r.bytes())}"`;
      break;
    case ARRAY:
      json = arrayJson(r, depth);
      break;
    case KVLIST:
      json = kvlistJson(r, depth);
      break;
  }
  r.pos = end;
  return json;
}

/** ArrayValue at r.pos (length-prefixed) as a JSON array. */
function arrayJson(r: Reader, depth: number): string {
  const end = r.uint32() + r.pos;
  let out = '';
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
      const vEnd = r.uint32() + r.pos;
      out += (out === '' ? '[' : ',') + anyValueJson(r, vEnd, depth + 1);
    } else {
      r.skipType(tag & 7);
    }
  }
  return out === '' ? '[]' : out + ']';
}

/** KeyValueList at r.pos (length-prefixed) as a JSON object; a repeated key rejects the record. */
function kvlistJson(r: Reader, depth: number): string {
  const end = r.uint32() + r.pos;
  const keys: { key: string }[] = [];
  const parts: string[] = [];
  // The reference checks this list's keys before rendering any value in it,
  // so a value's own rejection counts only after that check.
  let pending: unknown = undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
      const kvEnd = r.uint32() + r.pos;
      let key = '';
      let value = 'null';
      while (r.pos < kvEnd) {
        const t = r.uint32();
        const f = t >>> 3;
        if (f === 1 && (t & 7) === WIRE_LEN) key = readString(r);
        else if (f === 2 && (t & 7) === WIRE_LEN) {
          const vEnd = r.uint32() + r.pos;
          try {
            value = anyValueJson(r, vEnd, depth + 1);
          } catch (e) {
            pending ??= e;
            r.pos = vEnd;
          }
        } else r.skipType(t & 7);
      }
      keys.push({ key });
      parts.push(JSON.stringify(key) + ':' + value);
    } else {
      r.skipType(tag & 7);
    }
  }
  if (keys.length === 0) return '{}';
  // JSON text keeps two different lone surrogates apart, so compare keys as sent.
  checkKeys(keys as KeyValue[], 'a key-value list value', false);
  if (pending !== undefined) throw pending;
  return '{' + parts.join(',') + '}';
}

/**
 * One KeyValue (bytes r.pos..end) into `keys`/`values` at index `i`; the value
 * text is null when the value is absent or empty. The key is stored before
 * the value is read, so it is known even when the value rejects the record.
 */
export function readKeyValue(r: Reader, end: number, keys: string[], values: (string | null)[], i: number): void {
  let key = '';
  let valueAt = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    if (f === 1 && (tag & 7) === WIRE_LEN) key = readString(r);
    else {
      if (f === 2 && (tag & 7) === WIRE_LEN) valueAt = r.pos;
      r.skipType(tag & 7);
    }
  }
  keys[i] = key;
  values[i] = null;
  if (valueAt < 0) return;
  r.pos = valueAt;
  const vEnd = r.uint32() + r.pos;
  values[i] = anyValueText(r, vEnd);
  r.pos = end;
}

// AnyValue and KeyValue read straight from protobuf wire bytes into the text
// a MAP<STRING,STRING> entry or a log body holds: the same text renderAnyValue
// gives for the decoded message (src/tables/anyvalue.ts), without building it.
import protobuf from 'protobufjs';
import { Occurrences } from './occurrences.ts';
import { readString } from './wire-string.ts';
import { int64Exact } from '../otlp/int64.ts';
import type { KeyValue } from '../otlp/types.ts';
import { checkKeys } from '../tables/reject.ts';

type Reader = protobuf.Reader;

// Field numbers 1..7 of AnyValue's oneof. Which member counts depends on
// where the body came from (see `origin`).
const STRING = 1;
const BOOL = 2;
const INT = 3;
const DOUBLE = 4;
const ARRAY = 5;
const KVLIST = 6;
const BYTES = 7;

const WIRE_LEN = 2;
/** The wire type decoding accepts for each member; another one makes it an unknown field. */
const MEMBER_WIRE = [-1, WIRE_LEN, 0, 0, 1, WIRE_LEN, WIRE_LEN, WIRE_LEN];

/**
 * Where the body being read came from. Decoding protobuf keeps the oneof
 * member that comes last (setting one clears the others), merging a message
 * member's consecutive occurrences. A JSON request is rendered from the
 * decoded object, whose members the reference probes in field-number order,
 * the first set one winning; staging writes each set member once, in that
 * order, so there the first member on the wire wins.
 */
export const origin = { json: false };

const memberOcc = new Occurrences();
const kvValueOcc = new Occurrences();
const valueOcc = new Occurrences();
/** The reader and end of the message member chooseMember picked, taken by its caller before reading on. */
let memberReader: Reader;
let memberEnd = 0;

/** Shortest round-trip text; -0 keeps its sign (as the reference's doubleText). */
function doubleText(x: number): string {
  return x === 0 && 1 / x < 0 ? '-0' : String(x);
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/**
 * Scans an AnyValue whose bytes run from r.pos to `end`; returns the field
 * number of the member that counts (0 for none) with r.pos set to a scalar's
 * value, or memberReader/memberEnd to an array's or key-value list's merged
 * bytes. The caller restores r.pos = end after reading it.
 */
function chooseMember(r: Reader, end: number): number {
  const firstWins = origin.json;
  let member = 0;
  let at = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field >= STRING && field <= BYTES && wt === MEMBER_WIRE[field] && !(firstWins && member !== 0)) {
      if (field === ARRAY || field === KVLIST) {
        // Another member in between cleared this one: only the run since counts.
        if (field !== member) memberOcc.clear();
        member = field;
        memberOcc.add(r);
        continue;
      }
      member = field;
      at = r.pos;
    }
    r.skipType(wt);
  }
  if (member === ARRAY || member === KVLIST) {
    memberReader = memberOcc.open(r);
    memberEnd = memberOcc.end;
  } else if (member !== 0) r.pos = at;
  return member;
}

/** The text of an AnyValue (bytes r.pos..end) for a map entry or log body; null for an empty value. */
export function anyValueText(r: Reader, end: number): string | null {
  const member = chooseMember(r, end);
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
      text = arrayJson(memberReader, memberEnd);
      break;
    case KVLIST:
      text = kvlistJson(memberReader, memberEnd);
      break;
  }
  r.pos = end;
  return text;
}

/** An AnyValue as one JSON element, as the reference's jsonOf spells it. */
function anyValueJson(r: Reader, end: number): string {
  const member = chooseMember(r, end);
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
      json = arrayJson(memberReader, memberEnd);
      break;
    case KVLIST:
      json = kvlistJson(memberReader, memberEnd);
      break;
  }
  r.pos = end;
  return json;
}

/** ArrayValue bytes r.pos..end as a JSON array. */
function arrayJson(r: Reader, end: number): string {
  let out = '';
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
      const vEnd = r.uint32() + r.pos;
      out += (out === '' ? '[' : ',') + anyValueJson(r, vEnd);
    } else {
      r.skipType(tag & 7);
    }
  }
  return out === '' ? '[]' : out + ']';
}

/** KeyValueList bytes r.pos..end as a JSON object; a repeated key rejects the record. */
function kvlistJson(r: Reader, end: number): string {
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
      kvValueOcc.clear();
      while (r.pos < kvEnd) {
        const t = r.uint32();
        const f = t >>> 3;
        if (f === 1 && (t & 7) === WIRE_LEN) key = readString(r);
        else if (f === 2 && (t & 7) === WIRE_LEN) kvValueOcc.add(r);
        else r.skipType(t & 7);
      }
      if (kvValueOcc.n > 0) {
        const vr = kvValueOcc.open(r);
        try {
          value = anyValueJson(vr, kvValueOcc.end);
        } catch (e) {
          pending ??= e;
        }
        r.pos = kvEnd;
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
  valueOcc.clear();
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    if (f === 1 && (tag & 7) === WIRE_LEN) key = readString(r);
    else if (f === 2 && (tag & 7) === WIRE_LEN) valueOcc.add(r);
    else r.skipType(tag & 7);
  }
  keys[i] = key;
  values[i] = null;
  if (valueOcc.n === 0) return;
  const vr = valueOcc.open(r);
  values[i] = anyValueText(vr, valueOcc.end);
  r.pos = end;
}

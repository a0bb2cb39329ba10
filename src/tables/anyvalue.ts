// AnyValue rendering: the strings attribute maps and log bodies hold for every OTLP value kind.
import { int64Exact } from '../otlp/int64.ts';
import type { AnyValue, Bytes, KeyValue } from '../otlp/types.ts';
import { oneofMember } from './oneof.ts';
import { checkKeys } from './reject.ts';
import type { MapValue } from './row.ts';

type Member = NonNullable<AnyValue['value']>;

/** Probe order for objects without a discriminator; strings, by far the most common, first. */
const MEMBERS: readonly Member[] = [
  'stringValue',
  'boolValue',
  'intValue',
  'doubleValue',
  'arrayValue',
  'kvlistValue',
  'bytesValue',
];

function memberOf(v: AnyValue): Member | undefined {
  return oneofMember(v, 'value', MEMBERS);
}

/** Shortest round-trip text; -0 keeps its sign so that it round-trips too. */
function doubleText(x: number): string {
  return x === 0 && 1 / x < 0 ? '-0' : String(x);
}

function base64(b: Bytes): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/**
 * A value as one JSON element. Numbers stay JSON numbers only while a JSON
 * reader gets them back exactly; wider ints and NaN/±Infinity (which JSON
 * cannot spell as numbers) become strings.
 */
function jsonOf(v: AnyValue | null | undefined): string {
  if (v == null) return 'null';
  switch (memberOf(v)) {
    case 'stringValue':
      return v.stringValue == null ? 'null' : JSON.stringify(v.stringValue);
    case 'boolValue':
      return v.boolValue == null ? 'null' : v.boolValue ? 'true' : 'false';
    case 'intValue': {
      if (v.intValue == null) return 'null';
      const n = int64Exact(v.intValue);
      return typeof n === 'number' ? String(n) : `"${n}"`;
    }
    case 'doubleValue': {
      const x = v.doubleValue;
      if (x == null) return 'null';
      return Number.isFinite(x) ? doubleText(x) : `"${x}"`;
    }
    case 'bytesValue':
      return v.bytesValue == null ? 'null' : `"${base64(v.bytesValue)}"`;
    case 'arrayValue':
      return v.arrayValue == null ? 'null' : arrayJson(v.arrayValue.values);
    case 'kvlistValue':
      return v.kvlistValue == null ? 'null' : kvlistJson(v.kvlistValue.values);
    default:
      return 'null';
  }
}

function arrayJson(values: readonly AnyValue[] | null | undefined): string {
  if (!values || values.length === 0) return '[]';
  let out = '[' + jsonOf(values[0]);
  for (let i = 1; i < values.length; i++) out += ',' + jsonOf(values[i]);
  return out + ']';
}

/** Keys are unique (checkKeys), so each entry is written as it comes. */
function kvlistJson(kvs: readonly KeyValue[] | null | undefined): string {
  if (!kvs || kvs.length === 0) return '{}';
  checkKeys(kvs, 'a key-value list value', false);
  let out = '{' + JSON.stringify((kvs[0] as KeyValue).key ?? '') + ':' + jsonOf((kvs[0] as KeyValue).value);
  for (let i = 1; i < kvs.length; i++) out += ',' + JSON.stringify((kvs[i] as KeyValue).key ?? '') + ':' + jsonOf((kvs[i] as KeyValue).value);
  return out + '}';
}

/**
 * The text of a value for a MAP<STRING,STRING> entry or a log body: scalars
 * as plain text, arrays and key-value lists as compact JSON. An empty or
 * missing value is NULL. A key-value list that repeats a key or holds too
 * many throws RecordRejected.
 */
export function renderAnyValue(v: AnyValue | null | undefined): string | null {
  if (v == null) return null;
  switch (memberOf(v)) {
    case 'stringValue':
      return v.stringValue ?? null;
    case 'boolValue':
      return v.boolValue == null ? null : v.boolValue ? 'true' : 'false';
    case 'intValue':
      return v.intValue == null ? null : String(int64Exact(v.intValue));
    case 'doubleValue':
      return v.doubleValue == null ? null : doubleText(v.doubleValue);
    case 'bytesValue':
      return v.bytesValue == null ? null : base64(v.bytesValue);
    case 'arrayValue':
      return v.arrayValue == null ? null : arrayJson(v.arrayValue.values);
    case 'kvlistValue':
      return v.kvlistValue == null ? null : kvlistJson(v.kvlistValue.values);
    default:
      return null;
  }
}

/**
 * An attribute list as a map. Never NULL: an empty list is an empty map. A
 * list that repeats a key or holds too many rejects its record (see
 * checkKeys); `what` names the list in that reason.
 */
export function attributesMap(kvs: readonly KeyValue[] | null | undefined, what = 'attributes'): MapValue {
  const map: MapValue = new Map();
  if (!kvs) return map;
  checkKeys(kvs, what);
  for (const kv of kvs) map.set(kv.key ?? '', renderAnyValue(kv.value));
  return map;
}

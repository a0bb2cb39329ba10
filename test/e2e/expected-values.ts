// Reads OTLP values out of decoded.json (either convention) and renders AnyValues per docs/docs/mapping.md rules 7 and 8.
// Written from the spec, not from the service code, so the rows it implies are an independent statement.
export type Obj = Record<string, unknown>;

// Enum names by number, written out from the OTLP .proto files.
export const SEVERITY = ['SEVERITY_NUMBER_UNSPECIFIED'];
for (const level of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']) {
  for (let step = 1; step <= 4; step++) SEVERITY.push(`SEVERITY_NUMBER_${level}${step === 1 ? '' : step}`);
}
export const TEMPORALITY = ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 'AGGREGATION_TEMPORALITY_DELTA', 'AGGREGATION_TEMPORALITY_CUMULATIVE'];
export const SPAN_KIND = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
export const STATUS_CODE = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

const ANY_MEMBERS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'];

const snake = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A field by its camelCase name, or by the proto (snake_case) name JSON senders may use. */
export function get(o: unknown, name: string): unknown {
  if (o === null || typeof o !== 'object') return undefined;
  const r = o as Obj;
  if (r[name] !== undefined) return r[name];
  return r[snake(name)];
}

export const has = (o: unknown, name: string): boolean => get(o, name) !== undefined && get(o, name) !== null;

export function list(o: unknown, name: string): unknown[] {
  const v = get(o, name);
  return Array.isArray(v) ? v : [];
}

export function str(o: unknown, name: string): string {
  const v = get(o, name);
  return typeof v === 'string' ? v : '';
}

export function int64(v: unknown): bigint {
  if (v === undefined || v === null || v === '') return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string') return BigInt(v);
  throw new Error(`not an int64: ${String(v)}`);
}

export function int32(v: unknown): number {
  if (v === undefined || v === null) return 0;
  return Number(v);
}

export function double(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || typeof v === 'string') return Number(v);
  throw new Error(`not a double: ${String(v)}`);
}

/** proto3 `optional` double: absent is NULL. */
export const optionalDouble = (v: unknown): number | null => (v === undefined || v === null ? null : double(v));

/** Protobuf captures name enums, JSON ones number them (names are tolerated too). */
export function enumName(v: unknown, names: string[]): string {
  if (v === undefined || v === null) return names[0]!;
  if (typeof v === 'string' && !/^-?\d+$/.test(v)) return v;
  const n = Number(v);
  return names[n] ?? String(n);
}

export function hexId(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v.toLowerCase() : null;
}

export const boolOf = (v: unknown): boolean => v === true || v === 'true';

/** Which AnyValue member is set: the discriminator when present, else the first key sent. */
function anyMember(v: Obj): string | undefined {
  const named = v.value;
  if (typeof named === 'string' && ANY_MEMBERS.includes(named)) return named;
  return ANY_MEMBERS.find((m) => has(v, m));
}

/** Shortest round-trip text of a double; -0 keeps its sign so it round-trips. */
const doubleText = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));

const canonicalBase64 = (b64: string): string => Buffer.from(b64, 'base64').toString('base64');

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** One AnyValue as a JSON element inside an array or key-value list. */
function jsonElement(v: unknown): string {
  if (v === null || typeof v !== 'object') return 'null';
  const o = v as Obj;
  const member = anyMember(o);
  const x = member === undefined ? undefined : get(o, member);
  switch (member) {
    case 'stringValue':
      return JSON.stringify(x);
    case 'boolValue':
      return boolOf(x) ? 'true' : 'false';
    case 'intValue': {
      const n = int64(x);
      return n >= -SAFE && n <= SAFE ? n.toString() : JSON.stringify(n.toString());
    }
    case 'doubleValue': {
      const d = double(x);
      return Number.isFinite(d) ? doubleText(d) : JSON.stringify(String(d));
    }
    case 'bytesValue':
      return JSON.stringify(canonicalBase64(String(x)));
    case 'arrayValue':
      return `[${list(x, 'values').map(jsonElement).join(',')}]`;
    case 'kvlistValue': {
      const fields = new Map<string, string>();
      for (const kv of list(x, 'values')) fields.set(str(kv, 'key'), jsonElement(get(kv, 'value')));
      return `{${[...fields].map(([k, j]) => `${JSON.stringify(k)}:${j}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** docs/mapping.md rule 7: the text a MAP<STRING,STRING> value (or a log body) holds. */
export function renderAny(v: unknown): string | null {
  if (v === null || typeof v !== 'object') return null;
  const o = v as Obj;
  const member = anyMember(o);
  if (member === undefined) return null;
  const x = get(o, member);
  switch (member) {
    case 'stringValue':
      return String(x);
    case 'boolValue':
      return boolOf(x) ? 'true' : 'false';
    case 'intValue':
      return int64(x).toString();
    case 'doubleValue':
      return doubleText(double(x));
    case 'bytesValue':
      return canonicalBase64(String(x));
    default:
      return jsonElement(o);
  }
}

/** An attribute list as a map: last value of a repeated key wins; empty list gives an empty map. */
export function attributes(kvs: unknown[]): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const kv of kvs) m.set(str(kv, 'key'), renderAny(get(kv, 'value')));
  return m;
}

// Test helpers for flattening: decoded-shape value builders, a row-vs-schema
// shape check, and protobuf decoding of the captured client requests.
import { REAL_CLIENTS_DIR } from '../support/paths.ts';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { expect } from 'vitest';
import type { AnyValue, Int64, KeyValue } from '../../src/otlp/types.ts';
import type { Row, Value } from '../../src/tables/row.ts';
import { schemaFor, type ColumnType, type TableKind } from '../../src/tables/schema.ts';

export const FIXTURES = REAL_CLIENTS_DIR;
const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

export const MAX_I64 = 2n ** 63n - 1n;
export const MIN_I64 = -(2n ** 63n);

/** A Long-shaped int64, as protobufjs decodes one. */
export function long(v: bigint, unsigned = false): Int64 {
  const bits = BigInt.asUintN(64, v);
  return { low: Number(BigInt.asIntN(32, bits)), high: Number(BigInt.asIntN(32, bits >> 32n)), unsigned };
}

export function bytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export const str = (s: string): AnyValue => ({ stringValue: s, value: 'stringValue' });
export const bool = (b: boolean): AnyValue => ({ boolValue: b, value: 'boolValue' });
export const int = (i: Int64): AnyValue => ({ intValue: i, value: 'intValue' });
export const dbl = (d: number): AnyValue => ({ doubleValue: d, value: 'doubleValue' });
export const raw = (b: Uint8Array): AnyValue => ({ bytesValue: b, value: 'bytesValue' });
export const arr = (...values: AnyValue[]): AnyValue => ({ arrayValue: { values }, value: 'arrayValue' });
export const kvl = (...values: KeyValue[]): AnyValue => ({ kvlistValue: { values }, value: 'kvlistValue' });
export const kv = (key: string, value?: AnyValue | null): KeyValue => ({ key, value });

export const res = (...attributes: KeyValue[]) => ({ attributes, droppedAttributesCount: 0 });
export const scope = (name: string, version = '', ...attributes: KeyValue[]) => ({
  name,
  version,
  attributes,
  droppedAttributesCount: 0,
});

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function checkValue(v: Value, t: ColumnType, path: string): void {
  if (v === null) return;
  if (t === 'string') return void expect(typeof v, path).toBe('string');
  if (t === 'boolean') return void expect(typeof v, path).toBe('boolean');
  if (t === 'double') return void expect(typeof v, path).toBe('number');
  if (t === 'timestamp' || t === 'date') return void expect(v, path).toBeInstanceOf(Date);
  if (t === 'long') {
    expect(typeof v, path).toBe('bigint');
    return void expect(BigInt.asIntN(64, v as bigint), path).toBe(v);
  }
  if (t === 'integer') {
    expect(Number.isInteger(v), path).toBe(true);
    return void expect((v as number) >= INT32_MIN && (v as number) <= INT32_MAX, path).toBe(true);
  }
  if ('map' in t) {
    expect(v, path).toBeInstanceOf(Map);
    for (const [k, x] of v as Map<unknown, unknown>) {
      expect(typeof k, path).toBe('string');
      expect(x === null || typeof x === 'string', `${path}[${String(k)}]`).toBe(true);
    }
    return;
  }
  if ('array' in t) {
    expect(Array.isArray(v), path).toBe(true);
    (v as Value[]).forEach((x, i) => checkValue(x, t.array, `${path}[${i}]`));
    return;
  }
  expect(typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map), path).toBe(true);
  const row = v as Row;
  expect(Object.keys(row), path).toEqual(t.struct.map((f) => f.name));
  for (const f of t.struct) checkValue(row[f.name] as Value, f.type, `${path}.${f.name}`);
}

/** Every column present, in schema order, at every nesting level, with the JS type its column type needs. */
export function expectRowsMatchSchema(rows: readonly Row[], kind: TableKind): void {
  const columns = schemaFor(kind).columns;
  for (const row of rows) checkValue(row, { struct: columns }, kind);
}

let root: protobuf.Root | undefined;

function otlpRoot(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => PROTO_DIR + target;
    root.loadSync([
      'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
      'opentelemetry/proto/collector/logs/v1/logs_service.proto',
      'opentelemetry/proto/collector/trace/v1/trace_service.proto',
    ]);
  }
  return root;
}

const REQUEST_TYPE = {
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
} as const;

export type Capture = { signal: keyof typeof REQUEST_TYPE; wireFormat: string; request: unknown };

/** The capture's human-readable decoding (int64 as strings, ids as hex), as an independent reference. */
export function readDecoded(file: string): Capture {
  return JSON.parse(readFileSync(`${FIXTURES}/${file}.decoded.json`, 'utf8')) as Capture;
}

/** A captured protobuf body decoded with protobufjs, the way the service decodes it. */
export function decodeCapture<T>(file: string): T {
  const { signal } = readDecoded(file);
  const meta = JSON.parse(readFileSync(`${FIXTURES}/${file}.meta.json`, 'utf8')) as { headers: Record<string, string> };
  let body = readFileSync(`${FIXTURES}/${file}.body.bin`);
  if (meta.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
  return otlpRoot().lookupType(REQUEST_TYPE[signal]).decode(body) as unknown as T;
}

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** OTLP/JSON ids are hex; protobufjs' fromObject reads bytes as base64. */
function hexIdsToBase64(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(hexIdsToBase64);
  if (x === null || typeof x !== 'object') return x;
  return Object.fromEntries(
    Object.entries(x).map(([k, v]) => [
      k,
      ID_FIELDS.has(k) && typeof v === 'string' ? Buffer.from(v, 'hex').toString('base64') : hexIdsToBase64(v),
    ]),
  );
}

/** An OTLP/JSON-shaped request (hex ids) as the protobufjs messages a decoder hands over, via a protobuf round trip. */
export function toMessages<T>(signal: Capture['signal'], request: object): T {
  const type = otlpRoot().lookupType(REQUEST_TYPE[signal]);
  return type.decode(type.encode(type.fromObject(hexIdsToBase64(request) as object)).finish()) as unknown as T;
}

/** A captured OTLP/JSON request turned into protobufjs messages. */
export function fromJsonCapture<T>(file: string): T {
  const { signal, request } = readDecoded(file);
  return toMessages<T>(signal, request as object);
}

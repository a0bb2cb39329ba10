// Pieces every direct renderer shares: attribute maps, the resource and scope
// structs, and the result shape. The direct renderers write the same bytes as
// flattening to rows and rendering those (ndjson.ts), which stays the
// reference the tests compare them with; they only skip building the
// intermediate objects and strings, which was most of what ingestion spent
// per record.
import type { AnyValue, InstrumentationScope, KeyValue, Resource } from '../../otlp/types.ts';
import { attributesMap, renderAnyValue } from '../anyvalue.ts';
import { jsonString } from '../json-text.ts';
import { valueToJson } from '../ndjson.ts';
import { listOf, resourceStruct, scopeStruct } from '../walk.ts';
import type { ByteSink } from './sink.ts';

/** What rendering one export request produced. */
export type RenderResult = {
  /** The rows as NDJSON, newline-terminated; undefined when there are none. */
  ndjson: Buffer | undefined;
  rows: number;
  /** Bytes of the longest line. */
  lineBytesMax: number;
  /** Records (data points, log records, spans) that could not be stored. */
  rejected: number;
  rejectReasons: string[];
};

/** The sink's lines as a result. */
export function sinkResult(out: ByteSink, rejected = 0, rejectReasons: string[] = []): RenderResult {
  return { ndjson: out.lines > 0 ? out.take() : undefined, rows: out.lines, lineBytesMax: out.lineBytesMax, rejected, rejectReasons };
}

/** A map entry's value: the common string attribute without the general AnyValue dispatch. */
function entryValue(out: ByteSink, v: AnyValue | null | undefined): void {
  // A protobufjs message keeps a set member as an own property; a plain
  // object naming its member in `value` goes the general way.
  if (v != null && typeof v.stringValue === 'string' && Object.hasOwn(v, 'stringValue') && !Object.hasOwn(v, 'value')) {
    out.string(v.stringValue);
    return;
  }
  const text = renderAnyValue(v);
  if (text === null) out.ascii('null');
  else out.string(text);
}

/** True when two entries share a key; lists are short, so pairwise beats building a set. */
function hasRepeatedKey(kvs: readonly KeyValue[]): boolean {
  for (let i = 1; i < kvs.length; i++) {
    const key = (kvs[i] as KeyValue).key ?? '';
    for (let j = 0; j < i; j++) if (((kvs[j] as KeyValue).key ?? '') === key) return true;
  }
  return false;
}

/** An attribute list as the JSON of its MAP<STRING,STRING> (see attributesMap). */
export function attributes(out: ByteSink, kvs: readonly KeyValue[] | null | undefined): void {
  if (!kvs || kvs.length === 0) {
    out.ascii('{}');
    return;
  }
  // A repeated key keeps its first position and last value; the map does that.
  if (hasRepeatedKey(kvs)) {
    out.text(valueToJson(attributesMap(kvs)));
    return;
  }
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i] as KeyValue;
    out.ascii(i === 0 ? '{' : ',');
    out.string(kv.key ?? '');
    out.ascii(':');
    entryValue(out, kv.value);
  }
  out.ascii('}');
}

/**
 * The columns every row of one scope ends with (resource, scope and their
 * schema URLs), closing the row's JSON object, as bytes to copy per row.
 */
function scopeTail(
  resource: Resource | null | undefined,
  resourceSchemaUrl: string | null | undefined,
  scope: InstrumentationScope | null | undefined,
  scopeSchemaUrl: string | null | undefined,
  scopeUrlColumn: string,
): Buffer {
  return Buffer.from(
    `,"resource":${valueToJson(resourceStruct(resource))},"resource_schema_url":${jsonString(resourceSchemaUrl ?? '')}` +
      `,"instrumentation_scope":${valueToJson(scopeStruct(scope))}` +
      `,"${scopeUrlColumn}":${jsonString(scopeSchemaUrl ?? '')}}`,
  );
}

type ResourceLevel = { resource?: Resource | null; schemaUrl?: string | null };
type ScopeLevel = { scope?: InstrumentationScope | null; schemaUrl?: string | null };

/** Visits every scope of a request with the row tail its records share (see scopeTail). */
export function eachScope<R extends ResourceLevel, S extends ScopeLevel>(
  resources: readonly R[] | null | undefined,
  scopesOf: (r: R) => readonly S[] | null | undefined,
  scopeUrlColumn: string,
  visit: (scope: S, scopeEnd: Buffer) => void,
): void {
  for (const r of listOf(resources)) {
    for (const s of listOf(scopesOf(r))) visit(s, scopeTail(r.resource, r.schemaUrl, s.scope, s.schemaUrl, scopeUrlColumn));
  }
}

/** A JSON array of numbers, each already spelled by `text`. */
export function numberList<T>(out: ByteSink, xs: readonly T[] | null | undefined, text: (x: T) => string): void {
  if (!xs || xs.length === 0) {
    out.ascii('[]');
    return;
  }
  for (let i = 0; i < xs.length; i++) {
    out.ascii(i === 0 ? '[' : ',');
    out.ascii(text(xs[i] as T));
  }
  out.ascii(']');
}

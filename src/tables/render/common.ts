// Pieces every direct renderer shares: attribute maps, the resource and scope
// structs, and the result shape. The direct renderers write the same bytes as
// flattening to rows and rendering those (ndjson.ts), which stays the
// reference the tests compare them with; they only skip building the
// intermediate objects and strings, which was most of what ingestion spent
// per record.
import type { AnyValue, InstrumentationScope, KeyValue, Resource } from '../../otlp/types.ts';
import { renderAnyValue } from '../anyvalue.ts';
import { jsonString } from '../json-text.ts';
import { valueToJson } from '../ndjson.ts';
import { checkKeys, rejectionReason } from '../reject.ts';
import { listOf, resourceStruct, scopeStruct } from '../walk.ts';
import type { RenderJob, RenderSteps } from './job.ts';
import type { ByteSink } from './sink.ts';

export type { RenderResult } from './job.ts';

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

/**
 * An attribute list as the JSON of its MAP<STRING,STRING> (see attributesMap):
 * a list that repeats a key or holds too many throws RecordRejected before
 * anything is written.
 */
export function attributes(out: ByteSink, kvs: readonly KeyValue[] | null | undefined, what = 'attributes'): void {
  if (!kvs || kvs.length === 0) {
    out.ascii('{}');
    return;
  }
  checkKeys(kvs, what);
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
 * The columns every row of one scope ends with, closing the row's JSON
 * object, as bytes to copy per row: the resource's part is built once per
 * resource and the scope's once per scope, so neither costs more than its own
 * size however many scopes or records follow.
 */
export type RowEnd = { resource: Buffer; scope: Buffer };

export function writeRowEnd(out: ByteSink, end: RowEnd): void {
  out.bytes(end.resource);
  out.bytes(end.scope);
}

function resourceEnd(resource: Resource | null | undefined, schemaUrl: string | null | undefined): Buffer {
  return Buffer.from(`,"resource":${valueToJson(resourceStruct(resource))},"resource_schema_url":${jsonString(schemaUrl ?? '')}`);
}

function scopeEnd(scope: InstrumentationScope | null | undefined, schemaUrl: string | null | undefined, urlColumn: string): Buffer {
  return Buffer.from(`,"instrumentation_scope":${valueToJson(scopeStruct(scope))},"${urlColumn}":${jsonString(schemaUrl ?? '')}}`);
}

type ResourceLevel = { resource?: Resource | null; schemaUrl?: string | null };
type ScopeLevel = { scope?: InstrumentationScope | null; schemaUrl?: string | null };

export type ScopeWalk<R, S> = {
  scopesOf: (r: R) => readonly S[] | null | undefined;
  scopeUrlColumn: string;
  /** Records a scope stands for (see walkRecords), rejected together when its resource or scope cannot be stored. */
  recordCount: (s: S) => number;
  /** Rows the scope yields if none is rejected, when not one a record (metrics without data yield none). */
  rowCount?: (s: S) => number;
  /** Writes the scope's rows, yielding when job.due(). */
  visit: (job: RenderJob, s: S, end: RowEnd) => RenderSteps;
};

/** Renders every scope of a request, as walkRecords visits them, rejecting the same records for the same reasons. */
export function* eachScope<R extends ResourceLevel, S extends ScopeLevel>(
  job: RenderJob,
  resources: readonly R[] | null | undefined,
  walk: ScopeWalk<R, S>,
): RenderSteps {
  for (const r of listOf(resources)) {
    let resource: Buffer | undefined;
    let resourceReason = '';
    try {
      resource = resourceEnd(r.resource, r.schemaUrl);
    } catch (e) {
      resourceReason = rejectionReason(e);
    }
    for (const s of listOf(walk.scopesOf(r))) {
      if (resource === undefined) {
        job.reject(resourceReason, walk.recordCount(s));
      } else {
        let scope: Buffer | undefined;
        try {
          scope = scopeEnd(s.scope, s.schemaUrl, walk.scopeUrlColumn);
        } catch (e) {
          job.reject(rejectionReason(e), walk.recordCount(s));
        }
        const records = walk.recordCount(s);
        if (scope !== undefined && records > 0) {
          job.expect((walk.rowCount ?? walk.recordCount)(s) * (resource.length + scope.length));
          yield* walk.visit(job, s, { resource, scope });
        }
      }
      if (job.due()) yield;
    }
  }
}

/**
 * One line per record of a scope, written by `write`; a record whose line
 * cannot be stored (its maps) is dropped and counted as rejected, and the
 * scope goes on with the next.
 */
export function* eachRecord<T>(job: RenderJob, records: readonly T[] | null | undefined, end: RowEnd, write: (out: ByteSink, r: T, end: RowEnd) => void): RenderSteps {
  const out = job.out;
  for (const r of listOf(records)) {
    try {
      write(out, r, end);
    } catch (e) {
      out.dropLine();
      job.reject(rejectionReason(e));
    }
    if (job.due()) yield;
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

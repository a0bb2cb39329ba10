// The single resource → scope → record traversal every signal shares, and the
// resource and instrumentation_scope structs each of its rows carries.
import type { InstrumentationScope, Resource } from '../otlp/types.ts';
import { attributesMap } from './anyvalue.ts';
import { reject, rejectionReason, type Rejections } from './reject.ts';
import type { Row } from './row.ts';

/**
 * Columns every row of one scope shares. Built once per scope and referenced
 * by each of its rows: rows are serialised, never mutated, so sharing is safe
 * and saves rebuilding the same attribute maps per record.
 */
export type ScopeContext = {
  resource: Row | null;
  resourceSchemaUrl: string;
  scope: Row | null;
  scopeSchemaUrl: string;
};

type ResourceLevel = { resource?: Resource | null; schemaUrl?: string | null };
type ScopeLevel = { scope?: InstrumentationScope | null; schemaUrl?: string | null };

const NOTHING: readonly never[] = [];

/** A repeated field as a list; hand-built or partial inputs may leave it out. */
export function listOf<T>(xs: readonly T[] | null | undefined): readonly T[] {
  return xs ?? NOTHING;
}

/** NULL when the resource message is absent, so "no resource" and "empty resource" stay distinct. */
export function resourceStruct(res: Resource | null | undefined): Row | null {
  if (res == null) return null;
  return {
    attributes: attributesMap(res.attributes, 'resource attributes'),
    dropped_attributes_count: res.droppedAttributesCount | 0,
  };
}

/** NULL when the scope message is absent, as for the resource. */
export function scopeStruct(scope: InstrumentationScope | null | undefined): Row | null {
  if (scope == null) return null;
  return {
    name: scope.name ?? '',
    version: scope.version ?? '',
    attributes: attributesMap(scope.attributes, 'scope attributes'),
    dropped_attributes_count: scope.droppedAttributesCount | 0,
  };
}

/**
 * Visits every record of a request with the shared columns of its resource
 * and scope. A record whose row cannot be built (visit throws
 * RecordRejected) is rejected alone; a resource or scope that cannot be
 * stored rejects every record it holds (`recordCount` says how many), and
 * the rest of the request is still stored.
 */
export function walkRecords<R extends ResourceLevel, S extends ScopeLevel, T>(
  resources: readonly R[] | null | undefined,
  scopesOf: (r: R) => readonly S[] | null | undefined,
  recordsOf: (s: S) => readonly T[] | null | undefined,
  visit: (record: T, ctx: ScopeContext) => void,
  result: Rejections,
  recordCount: (s: S) => number = (s) => listOf(recordsOf(s)).length,
): void {
  for (const rl of listOf(resources)) {
    let resource: Row | null;
    try {
      resource = resourceStruct(rl.resource);
    } catch (e) {
      const reason = rejectionReason(e);
      for (const sl of listOf(scopesOf(rl))) reject(result, reason, recordCount(sl));
      continue;
    }
    const resourceSchemaUrl = rl.schemaUrl ?? '';
    for (const sl of listOf(scopesOf(rl))) {
      let scope: Row | null;
      try {
        scope = scopeStruct(sl.scope);
      } catch (e) {
        reject(result, rejectionReason(e), recordCount(sl));
        continue;
      }
      const ctx: ScopeContext = { resource, resourceSchemaUrl, scope, scopeSchemaUrl: sl.schemaUrl ?? '' };
      for (const record of listOf(recordsOf(sl))) {
        try {
          visit(record, ctx);
        } catch (e) {
          reject(result, rejectionReason(e));
        }
      }
    }
  }
}

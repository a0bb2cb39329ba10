// The walk every columnar filler shares (fillScopes), and for logs and spans
// the rest of it: one row per record of field 2 of each scope
// message (ScopeLogs.log_records, ScopeSpans.spans), under its resource and
// scope, a record that cannot be stored counted as rejected and left out.
import { rejectionReason, reject, type Rejections } from '../tables/reject.ts';
import { countField, eachResourceScope, scopeHeader, type PrincipalStamp, type ScopeEntry } from './scopes.ts';
import { lenEnd, readerOf, readingBody, WIRE_LEN, type Reader } from './wire.ts';

/** The parts of a filler's columns the walk touches. */
export type RecordColumns = { scopes: ScopeEntry[]; rejections: Rejections };

export type RecordKind<C> = {
  /** Reads one record (bytes r.pos..end) aside, throwing RecordRejected when it cannot be stored. */
  read(r: Reader, end: number): void;
  /** Appends the record just read as a row of scope `ix`. */
  push(c: C, ix: number): void;
};

const RECORDS_FIELD = 2;

function scopeRecords<C extends RecordColumns>(c: C, kind: RecordKind<C>, r: Reader, end: number, resource: ScopeEntry['resource'], resourceSchemaUrl: string): void {
  const start = r.pos;
  const { scope, reason, url, records } = scopeHeader(r, end);
  if (reason !== undefined) {
    reject(c.rejections, reason, records);
    return;
  }
  if (records === 0) return;
  const entry: ScopeEntry = { resource, resourceSchemaUrl, scope, scopeSchemaUrl: url, rows: 0 };
  const ix = c.scopes.length;
  c.scopes.push(entry);
  r.pos = start;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === RECORDS_FIELD && (tag & 7) === WIRE_LEN) {
      const e = lenEnd(r);
      try {
        kind.read(r, e);
        kind.push(c, ix);
        entry.rows++;
      } catch (err) {
        reject(c.rejections, rejectionReason(err));
      }
      r.pos = e;
    } else r.skipType(tag & 7);
  }
}

type ScopeVisit = (r: Reader, end: number, resource: ScopeEntry['resource'], resourceSchemaUrl: string) => void;

/**
 * Walks one export request body (validated protobuf, or a JSON request
 * encoded as protobuf: `fromJson`) scope by scope, with `rejections` (the
 * batch's, or a request's own) as `c`'s while it runs: `recordsIn` counts what
 * a scope stands for when its resource rejects it, `visit` fills its rows.
 */
export function fillScopes(
  c: { rejections: Rejections },
  body: Uint8Array,
  rejections: Rejections,
  fromJson: boolean,
  recordsIn: (r: Reader, end: number) => number,
  visit: ScopeVisit,
  stamp?: PrincipalStamp,
): void {
  const saved = c.rejections;
  c.rejections = rejections;
  try {
    readingBody(fromJson, () => {
      const r = readerOf(body);
      while (r.pos < r.len) {
        const tag = r.uint32();
        if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
          const end = lenEnd(r);
          eachResourceScope(r, end, c.rejections, recordsIn, visit, stamp);
          r.pos = end;
        } else r.skipType(tag & 7);
      }
    });
  } finally {
    c.rejections = saved;
  }
}

/** Appends the rows of one logs or traces export body to `c` (see fillScopes). */
export function fillRecords<C extends RecordColumns>(c: C, kind: RecordKind<C>, body: Uint8Array, rejections: Rejections, fromJson: boolean, stamp?: PrincipalStamp): void {
  fillScopes(
    c,
    body,
    rejections,
    fromJson,
    (r, e) => countField(r, e, RECORDS_FIELD),
    (r, e, resource, url) => scopeRecords(c, kind, r, e, resource, url),
    stamp,
  );
}

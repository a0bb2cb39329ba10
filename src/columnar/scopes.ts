// The resource and scope every row of one scope shares, read once per scope
// from the wire. Rows refer to their scope by index, and DuckDB joins the
// values in, so their strings are written to DuckDB once per scope, not per row.
import { rejectionReason, type Rejections, reject } from '../tables/reject.ts';
import { PRINCIPAL_ATTRIBUTE } from '../access/identity.ts';
import { Attributes, lenEnd, Occurrences, storedString, WIRE_LEN, type Reader } from './wire.ts';

export type MapEntries = [string, string | null][];
export type ResourcePart = { attributes: MapEntries; droppedAttributesCount: number };
export type ScopePart = { name: string; version: string; attributes: MapEntries; droppedAttributesCount: number };

/**
 * The principal to stamp on every resource, as the service does to each
 * accepted request (access/identity.ts): a sent principal attribute is
 * dropped, and the token's principal, if any, added. Without a stamp the
 * resource is kept as sent, as the renderer alone keeps it.
 */
export type PrincipalStamp = { principal: string | undefined };

export type ScopeEntry = {
  /** NULL when the message is absent, as the reference's resourceStruct. */
  resource: ResourcePart | null;
  resourceSchemaUrl: string;
  scope: ScopePart | null;
  scopeSchemaUrl: string;
  /** Rows written for this scope. */
  rows: number;
};

const scratch = new Attributes();
const resourceOcc = new Occurrences();
const scopeOcc = new Occurrences();

/** A message of the occurrences in `occ` (of a field of the message `r` reads), read by `read`; why it rejects otherwise. */
function readMerged<T>(r: Reader, occ: Occurrences, read: (m: Reader, end: number) => T): { part: T | null; reason: string | undefined } {
  if (occ.n === 0) return { part: null, reason: undefined };
  const saved = r.pos;
  try {
    const m = occ.open(r);
    return { part: read(m, occ.end), reason: undefined };
  } catch (err) {
    return { part: null, reason: rejectionReason(err) };
  } finally {
    r.pos = saved;
  }
}

export type ScopeHeader = { scope: ScopePart | null; reason: string | undefined; url: string; records: number };

/**
 * What a Scope<Signal> message (bytes r.pos..end; fields: 1 scope, 2 records,
 * 3 schema_url) says besides its records: its scope, merged from every
 * occurrence as decoding merges them, or why it rejects them all; its URL;
 * how many record fields it holds. Leaves r.pos at end.
 */
export function scopeHeader(r: Reader, end: number): ScopeHeader {
  scopeOcc.clear();
  let url = '';
  let records = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    if (f === 1 && (tag & 7) === WIRE_LEN) scopeOcc.add(r);
    else if (f === 3 && (tag & 7) === WIRE_LEN) url = storedString(r);
    else {
      if (f === 2) records++;
      r.skipType(tag & 7);
    }
  }
  const { part, reason } = readMerged(r, scopeOcc, readScope);
  return { scope: part, reason, url, records };
}

/** Resource message bytes r.pos..end, stamped when `stamp` is given; throws RecordRejected when its attributes cannot be stored. */
export function readResource(r: Reader, end: number, stamp?: PrincipalStamp): ResourcePart {
  scratch.clear();
  let dropped = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    if (f === 1 && (tag & 7) === WIRE_LEN) scratch.read(r);
    else if (f === 2 && (tag & 7) === 0) dropped = r.uint32() | 0;
    else r.skipType(tag & 7);
  }
  if (stamp) scratch.stamp(PRINCIPAL_ATTRIBUTE, stamp.principal);
  scratch.check('resource attributes');
  return { attributes: scratch.entries(), droppedAttributesCount: dropped };
}

/** InstrumentationScope message bytes r.pos..end. */
export function readScope(r: Reader, end: number): ScopePart {
  scratch.clear();
  let name = '';
  let version = '';
  let dropped = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 1 && wt === WIRE_LEN) name = storedString(r);
    else if (f === 2 && wt === WIRE_LEN) version = storedString(r);
    else if (f === 3 && wt === WIRE_LEN) scratch.read(r);
    else if (f === 4 && wt === 0) dropped = r.uint32() | 0;
    else r.skipType(wt);
  }
  scratch.check('scope attributes');
  return { name, version, attributes: scratch.entries(), droppedAttributesCount: dropped };
}

/** Counts occurrences of length-delimited `field` in bytes r.pos..end, leaving r.pos at end. */
export function countField(r: Reader, end: number, field: number): number {
  let n = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === field) n++;
    r.skipType(tag & 7);
  }
  return n;
}

/**
 * Visits a Resource<Signal> message (bytes r.pos..end, fields: 1 resource,
 * 2 scopes, 3 schema_url): the resource (merged from every occurrence) and
 * URL are read first wherever they sit, then each scope message is handed to
 * `scopeVisit` with its resource. A resource that cannot be stored rejects
 * every record of every scope, as the reference does.
 */
export function eachResourceScope(
  r: Reader,
  end: number,
  rejections: Rejections,
  recordsIn: (r: Reader, scopeEnd: number) => number,
  scopeVisit: (r: Reader, scopeEnd: number, resource: ResourcePart | null, resourceSchemaUrl: string) => void,
  stamp?: PrincipalStamp,
): void {
  const start = r.pos;
  let url = '';
  resourceOcc.clear();
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    if (f === 1 && (tag & 7) === WIRE_LEN) resourceOcc.add(r);
    else if (f === 3 && (tag & 7) === WIRE_LEN) url = storedString(r);
    else r.skipType(tag & 7);
  }
  const merged = readMerged(r, resourceOcc, (m, e) => readResource(m, e, stamp));
  const { reason } = merged;
  let resource = merged.part;
  // A resource that was not sent is created to hold the principal, as stampPrincipal does.
  if (resourceOcc.n === 0 && stamp?.principal !== undefined) resource = { attributes: [[PRINCIPAL_ATTRIBUTE, stamp.principal]], droppedAttributesCount: 0 };
  r.pos = start;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === WIRE_LEN) {
      const e = lenEnd(r);
      if (reason !== undefined) {
        reject(rejections, reason, recordsIn(r, e));
      } else {
        scopeVisit(r, e, resource, url);
      }
      r.pos = e;
    } else r.skipType(tag & 7);
  }
}

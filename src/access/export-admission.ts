// Who may send an export where: the checks every transport (OTLP/HTTP,
// OTLP/gRPC) runs before reading the body, in the same order and with the same
// answers. Transports supply the request's metadata and a place to leave
// notes for the operator; what the client is told stays free of what it may
// not learn (a hidden table is answered as a missing one).
import { OtlpError } from '../errors.ts';
import { tableMissing } from '../ingest/registry.ts';
import { SIGNALS } from '../ingest/signals.ts';
import type { ServiceMetrics } from '../observe/metrics.ts';
import type { RequestNote } from '../observe/outcome.ts';
import type { Signal } from '../otlp/types.ts';
import { formatTableName, parseTableName, type TableName } from '../tables/names.ts';
import { ALLOW_ALL, checkCredential, permissionDenied, type EdgeAuth, type EdgeOutcome, type PlainTokenWarnings } from '../http/auth.ts';
import type { Authorizer, Principal } from './types.ts';

export type AdmissionDeps = {
  auth?: EdgeAuth | undefined;
  authorizer?: Authorizer | undefined;
  metrics?: ServiceMetrics | undefined;
  /** The table for a request that names none, if one is configured. */
  defaultTable?: ((signal: Signal) => TableName | undefined) | undefined;
  /** False once the server is stopping. */
  accepting: () => boolean;
  warnings: PlainTokenWarnings;
};

export type ExportCall = {
  signal: Signal;
  /** The table as the request named it (header or metadata), if it did. */
  tableName: string | undefined;
  /** How the refusal of a malformed table name names where it came from; the HTTP header by default. */
  tableNameSource?: string;
  authorization: string | undefined;
  /** The connection is encrypted (TLS). */
  encrypted: boolean;
  remote: string | undefined;
  /** Takes what is learnt along the way, for the request's log line, metrics and audit. */
  note: (fields: RequestNote) => void;
};

export type Admitted = { table: TableName; principal: Principal | undefined };

/** What the operator should read about a refusal beyond the client's answer. */
const operatorNotes = new WeakMap<object, RequestNote>();

/**
 * Refusals of the credential itself (missing, unknown, expired, revoked), as
 * opposed to a grant the caller lacks: HTTP answers an unusable token 403 as
 * Databricks does, while gRPC has a code of its own for it (UNAUTHENTICATED).
 */
const credentialRefusals = new WeakSet<object>();

/** Whether `e` refused the request's credential rather than a privilege. */
export const isCredentialRefusal = (e: unknown): boolean => typeof e === 'object' && e !== null && credentialRefusals.has(e);

/** The operator's note of a refusal thrown by admitExport, if it has one. */
export const operatorNoteOf = (e: unknown): RequestNote | undefined => (typeof e === 'object' && e !== null ? operatorNotes.get(e) : undefined);

/** Attaches the operator's note to a refusal (the policy's rate limits leave the limit's identifier). */
export function withNote(e: OtlpError, note: RequestNote): OtlpError {
  operatorNotes.set(e, note);
  return e;
}

/** The note a credential refusal leaves for the log line: the problem, which the answer does not tell. */
export const refusalNote = (out: Extract<EdgeOutcome, { ok: false }>): RequestNote => ({
  reason: out.status === 401 ? 'unauthenticated' : 'forbidden',
  message: `${out.message} (${out.problem} credential)`,
  ...(out.tokenId !== undefined ? { tokenId: out.tokenId } : {}),
  ...(out.principal !== undefined ? { principal: out.principal } : {}),
});

/** Checks the credential, counting and noting a refusal; each route answers it in its own shape. */
export function authenticateCall(deps: AdmissionDeps, call: Omit<ExportCall, 'signal' | 'tableName'>): EdgeOutcome {
  deps.warnings.check(call.authorization, call.encrypted, call.remote);
  const out = checkCredential(deps.auth, call.authorization);
  if (out.ok) {
    if (out.principal) call.note({ tokenId: out.principal.tokenId, principal: out.principal.name });
  } else {
    deps.metrics?.authRefusals.inc({ reason: out.problem });
  }
  return out;
}

/**
 * Server state, table name, credential and MODIFY grant, in that order.
 * Throws the OtlpError to answer; operatorNoteOf(error) tells the operator more.
 */
export function admitExport(deps: AdmissionDeps, call: ExportCall): Admitted {
  if (!deps.accepting()) {
    throw new OtlpError('unavailable', 'the server is shutting down; retry against another instance or later', { retryAfterSeconds: 1 });
  }
  const fallback = call.tableName === undefined ? deps.defaultTable?.(call.signal) : undefined;
  call.note({ table: fallback ? formatTableName(fallback) : call.tableName });
  const who = authenticateCall(deps, call);
  if (!who.ok) {
    const refusal = withNote(new OtlpError(who.status === 401 ? 'unauthenticated' : 'forbidden', who.message), refusalNote(who));
    credentialRefusals.add(refusal);
    throw refusal;
  }
  const table = fallback ?? parseTableName(call.tableName, call.tableNameSource);
  const principal = who.principal;
  if (principal) {
    const decision = (deps.authorizer ?? ALLOW_ALL).decide(principal, 'MODIFY', table);
    if (decision !== 'allowed') {
      deps.metrics?.authRefusals.inc({ reason: 'forbidden' });
      const full = formatTableName(table);
      const note = { reason: 'forbidden', message: `${principal.name} lacks MODIFY on ${full}${decision === 'hidden' ? ' and may not see it (answered as not found)' : ''}` };
      throw withNote(decision === 'hidden' ? tableMissing(full, SIGNALS[call.signal].tableKind) : new OtlpError('forbidden', permissionDenied('MODIFY', full)), note);
    }
  }
  return { table, principal };
}

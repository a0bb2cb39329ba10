// The one place where outcomes become gRPC statuses. The code comes from the
// error's kind (errors.ts pairs it with the HTTP status); a retryable refusal
// that says when to retry carries google.rpc.RetryInfo in
// grpc-status-details-bin, which is what tells an OTLP/gRPC client that
// RESOURCE_EXHAUSTED is worth retrying. A too-large body carries none, so it
// is not resent.
import { Metadata, type StatusObject } from '@grpc/grpc-js';
import { ERROR_KINDS, isOtlpError, OtlpError } from '../errors.ts';
import { encodeStatusWithRetry } from './retry-info.ts';
import { isCredentialRefusal } from '../access/export-admission.ts';

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

export type GrpcRefusal = { error: OtlpError; status: Partial<StatusObject> & { code: number; details: string; metadata: Metadata } };

/** The status to answer for `err`; anything that is not an OtlpError is an internal error. */
export function grpcStatusOf(err: unknown): GrpcRefusal {
  const error = isOtlpError(err) ? err : new OtlpError('internal', 'internal error while handling the request');
  const info = ERROR_KINDS[error.kind];
  const metadata = new Metadata();
  if (info.retryable && error.retryAfterSeconds !== undefined) {
    metadata.set(STATUS_DETAILS_KEY, encodeStatusWithRetry(info.grpc, error.message, Math.max(1, error.retryAfterSeconds)));
  }
  // An unusable token is UNAUTHENTICATED in gRPC's terms, whatever HTTP status Databricks gives it.
  const code = isCredentialRefusal(err) ? ERROR_KINDS.unauthenticated.grpc : info.grpc;
  return { error, status: { code, details: error.message, metadata } };
}

/** The HTTP status a gRPC outcome is reported under (metrics, access log, audit). */
export const httpStatusOf = (error: OtlpError | undefined): number => (error ? ERROR_KINDS[error.kind].http : 200);

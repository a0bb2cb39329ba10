// The closed set of failures a request can meet. Each kind fixes the HTTP
// status, the google.rpc.Status code and whether a client should retry; the
// mapping to a response lives in http/respond.ts and nowhere else.

export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'too_large'
  | 'unsupported_media'
  | 'method_not_allowed'
  | 'timeout'
  | 'overloaded'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

type KindInfo = { http: number; grpc: number; retryable: boolean };

// gRPC codes from google.rpc.Code, as the OTLP spec pairs them with HTTP.
export const ERROR_KINDS: Record<ErrorKind, KindInfo> = {
  invalid: { http: 400, grpc: 3, retryable: false }, // INVALID_ARGUMENT
  unauthenticated: { http: 401, grpc: 16, retryable: false }, // UNAUTHENTICATED
  forbidden: { http: 403, grpc: 7, retryable: false }, // PERMISSION_DENIED
  not_found: { http: 404, grpc: 5, retryable: false }, // NOT_FOUND
  too_large: { http: 413, grpc: 8, retryable: false }, // RESOURCE_EXHAUSTED
  unsupported_media: { http: 415, grpc: 3, retryable: false }, // INVALID_ARGUMENT
  method_not_allowed: { http: 405, grpc: 3, retryable: false }, // INVALID_ARGUMENT
  // OTLP/HTTP retries only 429, 502, 503 and 504; a body that stopped arriving is not resent.
  timeout: { http: 408, grpc: 4, retryable: false }, // DEADLINE_EXCEEDED
  overloaded: { http: 429, grpc: 8, retryable: true }, // RESOURCE_EXHAUSTED
  // A policy's rate limit, not the server's backlog: the same answer, counted and audited apart.
  rate_limited: { http: 429, grpc: 8, retryable: true }, // RESOURCE_EXHAUSTED
  unavailable: { http: 503, grpc: 14, retryable: true }, // UNAVAILABLE
  internal: { http: 500, grpc: 13, retryable: true }, // INTERNAL
};

export class OtlpError extends Error {
  readonly kind: ErrorKind;
  /** Seconds a client should wait before retrying (429/503 only); a gRPC answer carries it as RetryInfo. */
  readonly retryAfterSeconds: number | undefined;

  constructor(kind: ErrorKind, message: string, options?: { retryAfterSeconds?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OtlpError';
    this.kind = kind;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export const isOtlpError = (e: unknown): e is OtlpError => e instanceof OtlpError;

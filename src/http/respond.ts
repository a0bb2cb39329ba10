// The one place where outcomes become HTTP responses: errors map to a status
// code plus a google.rpc.Status body, successes to an Export…ServiceResponse,
// both in the request's own encoding.
import { ERROR_KINDS, isOtlpError, OtlpError } from '../errors.ts';
import { encodeExportResponse, encodeStatus } from '../otlp/codec.ts';
import type { Signal, WireEncoding } from '../otlp/types.ts';
import { CONTENT_TYPE } from './content-type.ts';

export type Logger = (line: string) => void;

export function errorResponse(err: unknown, encoding: WireEncoding, log?: Logger): Response {
  const e = isOtlpError(err) ? err : new OtlpError('internal', 'internal error while handling the request');
  if (!isOtlpError(err) && log) log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
  const info = ERROR_KINDS[e.kind];
  const headers: Record<string, string> = { 'content-type': CONTENT_TYPE[encoding] };
  if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfterSeconds)));
  return new Response(encodeStatus(encoding, info.grpc, e.message), { status: info.http, headers });
}

export function exportResponse(
  signal: Signal,
  encoding: WireEncoding,
  rejected: number,
  message: string,
): Response {
  const partial = rejected > 0 || message !== '' ? { rejected: BigInt(rejected), message } : undefined;
  return new Response(encodeExportResponse(signal, encoding, partial), {
    status: 200,
    headers: { 'content-type': CONTENT_TYPE[encoding] },
  });
}

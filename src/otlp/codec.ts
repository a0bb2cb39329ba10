// OTLP wire codec: export requests in, export responses and google.rpc.Status out, in either encoding.
import { OtlpError } from '../errors.ts';
import { decodeJsonRequest } from './json.ts';
import { idLengthError } from './proto-check.ts';
import { SIGNAL_TYPES, STATUS_TYPE } from './schema.ts';
import type { ExportRequest, Signal, WireEncoding } from './types.ts';

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Decodes an export request body. Both encodings yield protobufjs message
 * instances, so oneof discriminators (`value`, `data`) are getters on the
 * prototype and work the same either way. Throws OtlpError('invalid').
 */
export function decodeRequest<S extends Signal>(signal: S, body: Uint8Array, encoding: WireEncoding): ExportRequest[S] {
  const types = SIGNAL_TYPES[signal];
  if (encoding === 'json') return decodeJsonRequest(types, body) as ExportRequest[S];
  let decoded: unknown;
  try {
    decoded = types.request.decode(body);
  } catch (e) {
    throw new OtlpError('invalid', `could not decode ${types.requestName} as protobuf: ${describe(e)}`, { cause: e });
  }
  // The decoded instances already have the shape types.ts describes; only the
  // id lengths need a look, and that walk skips attributes and bodies.
  const idProblem = idLengthError(types.request, decoded);
  if (idProblem !== null) throw new OtlpError('invalid', `could not decode ${types.requestName} as protobuf: ${idProblem}`);
  return decoded as ExportRequest[S];
}

const utf8 = new TextEncoder();

/**
 * An Export<Signal>ServiceResponse. Without `partial` the response is empty
 * (full success); with it, partial_success carries both fields, even a zero
 * count, so a JSON reader always sees them.
 */
export function encodeExportResponse(
  signal: Signal,
  encoding: WireEncoding,
  partial?: { rejected: bigint; message: string },
): Uint8Array {
  if (!partial) {
    // Nearly every answer is this one; it is the same bytes each time.
    const key = `${signal}/${encoding}`;
    let bytes = fullSuccess.get(key);
    if (bytes === undefined) {
      bytes = encodeExportResponseNow(signal, encoding);
      fullSuccess.set(key, bytes);
    }
    // A copy, so no caller can change what the next request gets.
    return bytes.slice();
  }
  return encodeExportResponseNow(signal, encoding, partial);
}

const fullSuccess = new Map<string, Uint8Array>();

function encodeExportResponseNow(
  signal: Signal,
  encoding: WireEncoding,
  partial?: { rejected: bigint; message: string },
): Uint8Array {
  const types = SIGNAL_TYPES[signal];
  // int64 on the wire: clamp the bigint to 64 bits before it becomes a decimal string.
  const partialSuccess = partial && {
    [types.rejectedField]: BigInt.asIntN(64, partial.rejected).toString(),
    errorMessage: partial.message,
  };
  if (encoding === 'json') {
    // OTLP/JSON writes int64 as a decimal string, which the string above already is.
    return utf8.encode(JSON.stringify(partialSuccess ? { partialSuccess } : {}));
  }
  const message = types.response.fromObject(partialSuccess ? { partialSuccess } : {});
  return types.response.encode(message).finish();
}

/** A google.rpc.Status body for a failed request. */
export function encodeStatus(encoding: WireEncoding, grpcCode: number, message: string): Uint8Array {
  if (encoding === 'json') return utf8.encode(JSON.stringify({ code: grpcCode, message }));
  return STATUS_TYPE.encode(STATUS_TYPE.fromObject({ code: grpcCode, message })).finish();
}

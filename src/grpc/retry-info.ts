// google.rpc.RetryInfo in the grpc-status-details-bin trailer: how an OTLP/gRPC
// client learns how long to wait before retrying a throttled export (the OTLP
// spec's equivalent of Retry-After).
import protobuf from 'protobufjs';
import { STATUS_TYPE } from '../otlp/schema.ts';

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

const root = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: { nested: { Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } } } },
        rpc: { nested: { RetryInfo: { fields: { retryDelay: { type: 'google.protobuf.Duration', id: 1 } } } } },
      },
    },
  },
});

export const RETRY_INFO_TYPE = root.lookupType('google.rpc.RetryInfo');

/** A google.rpc.Status carrying the code, message and a RetryInfo of `seconds`. */
export function encodeStatusWithRetry(code: number, message: string, seconds: number): Buffer {
  const whole = Math.max(0, Math.floor(seconds));
  const nanos = Math.round((seconds - whole) * 1e9);
  const retry = RETRY_INFO_TYPE.encode(RETRY_INFO_TYPE.fromObject({ retryDelay: { seconds: whole, nanos } })).finish();
  const status = STATUS_TYPE.fromObject({ code, message, details: [{ type_url: RETRY_INFO_TYPE_URL, value: retry }] });
  return Buffer.from(STATUS_TYPE.encode(status).finish());
}

/** The retry delay in seconds that a status-details trailer carries, if any (clients and tests). */
export function decodeRetryDelay(details: Uint8Array): number | undefined {
  const status = STATUS_TYPE.toObject(STATUS_TYPE.decode(details), { longs: Number }) as { details?: { type_url?: string; typeUrl?: string; value: Uint8Array }[] };
  for (const any of status.details ?? []) {
    if ((any.type_url ?? any.typeUrl) !== RETRY_INFO_TYPE_URL) continue;
    const info = RETRY_INFO_TYPE.toObject(RETRY_INFO_TYPE.decode(any.value), { longs: Number }) as { retryDelay?: { seconds?: number; nanos?: number } };
    return (info.retryDelay?.seconds ?? 0) + (info.retryDelay?.nanos ?? 0) / 1e9;
  }
  return undefined;
}

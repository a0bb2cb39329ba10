// A raw OTLP/gRPC client on @grpc/grpc-js: sends bytes as they are (no
// protobuf library in between), so tests control exactly what the server
// receives, compression included, and read the status, trailers and answer.
import { credentials, Client, Metadata, type ServiceError, status as Status, type ChannelCredentials } from '@grpc/grpc-js';
import { EXPORT_METHODS } from '../../src/grpc/service-definition.ts';
import { decodeRetryDelay, RETRY_INFO_TYPE_URL } from '../../src/grpc/retry-info.ts';
import { STATUS_DETAILS_KEY } from '../../src/grpc/status.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { Signal } from '../../src/otlp/types.ts';

export { Status, RETRY_INFO_TYPE_URL };

export type GrpcAnswer = {
  code: number;
  details: string;
  /** The decoded Export…ServiceResponse on success. */
  response?: Record<string, unknown>;
  /** RetryInfo's delay in seconds, when the status carried one. */
  retryDelay?: number;
  trailers?: Metadata;
};

const passThrough = (b: Buffer): Buffer => b;

export function pathOf(signal: Signal): string {
  return EXPORT_METHODS.find((m) => m.signal === signal)!.path;
}

export type RawClient = {
  send(signal: Signal, body: Uint8Array, metadata?: Record<string, string>, opts?: { deadlineMs?: number; path?: string }): Promise<GrpcAnswer>;
  close(): void;
};

/** target is host:port; `gzip` compresses every message the client sends. */
export function rawClient(target: string, opts: { gzip?: boolean; creds?: ChannelCredentials; maxSend?: number } = {}): RawClient {
  const client = new Client(target, opts.creds ?? credentials.createInsecure(), {
    ...(opts.gzip ? { 'grpc.default_compression_algorithm': 2 } : {}),
    'grpc.max_send_message_length': opts.maxSend ?? -1,
  });
  return {
    send: (signal, body, metadata = {}, o = {}) =>
      new Promise((resolve) => {
        const md = new Metadata();
        for (const [k, v] of Object.entries(metadata)) md.set(k, v);
        let trailers: Metadata | undefined;
        const call = client.makeUnaryRequest(
          o.path ?? pathOf(signal),
          passThrough,
          passThrough,
          Buffer.from(body),
          md,
          { deadline: Date.now() + (o.deadlineMs ?? 20_000) },
          (err: ServiceError | null, value?: Buffer) => {
            if (err) {
              const bin = err.metadata?.get(STATUS_DETAILS_KEY)[0];
              const retryDelay = Buffer.isBuffer(bin) ? decodeRetryDelay(bin) : undefined;
              resolve({ code: err.code, details: err.details, ...(retryDelay !== undefined ? { retryDelay } : {}), trailers: err.metadata });
              return;
            }
            const t = SIGNAL_TYPES[signal].response;
            const response = t.toObject(t.decode(value!), { longs: String }) as Record<string, unknown>;
            resolve({ code: Status.OK, details: '', response, ...(trailers ? { trailers } : {}) });
          },
        );
        call.on('status', (s) => {
          trailers = s.metadata;
        });
      }),
    close: () => client.close(),
  };
}

/** host:port of a service's gRPC listener. */
export function grpcTarget(svc: { service: { grpc?: { host: string; port: number } } }): string {
  const g = svc.service.grpc;
  if (!g) throw new Error('the service has no gRPC listener');
  return `${g.host}:${g.port}`;
}

// The OTLP/gRPC listener: grpc-js with the three Export services, bounded by
// named limits, and a stop that lets calls in flight finish first.
import { Server, ServerCredentials, type ChannelOptions } from '@grpc/grpc-js';
import {
  GRPC_CONNECTION_IDLE_MS,
  GRPC_MAX_CONCURRENT_STREAMS,
  GRPC_SESSION_MEMORY_MIB,
} from '../config/limits.ts';
import type { TlsMaterial } from '../http/tls.ts';
import { exportHandler, type ExportCallDeps } from './export-call.ts';
import { EXPORT_METHODS, exportServiceDefinition } from './service-definition.ts';
import { ReloadableIdentity, tlsCredentials } from './tls-credentials.ts';
import { reportUnansweredCalls } from './unanswered-calls.ts';

export type GrpcListener = {
  host: string;
  port: number;
  secure: boolean;
  /** Puts a reloaded certificate in service for new connections. */
  useCertificate(m: TlsMaterial): void;
  /** Waits for calls in flight up to deadlineMs, then cuts the rest off. */
  stop(deadlineMs: number): Promise<void>;
};

/** grpc-js channel options from our limits; each is a named limit in config/limits.ts. */
export function serverOptions(bodyBytesMax: number): ChannelOptions {
  return {
    // grpc-js applies this to the framed message and again, while inflating, to the decompressed
    // one (it stops a gzip bomb at the limit): the same rule as the HTTP body limit.
    'grpc.max_receive_message_length': bodyBytesMax,
    'grpc.max_concurrent_streams': GRPC_MAX_CONCURRENT_STREAMS,
    'grpc-node.max_session_memory': GRPC_SESSION_MEMORY_MIB,
    'grpc.max_connection_idle_ms': GRPC_CONNECTION_IDLE_MS,
  };
}

const bindAsync = (server: Server, address: string, creds: ServerCredentials): Promise<number> =>
  new Promise((resolve, reject) => server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))));

export async function startGrpcServer(opts: { host: string; port: number; tls?: TlsMaterial | undefined; deps: ExportCallDeps }): Promise<GrpcListener> {
  const { deps } = opts;
  const server = new Server({ ...serverOptions(deps.bodyBytesMax), interceptors: [reportUnansweredCalls(deps.sinks, deps.bodyBytesMax)] });
  for (const m of EXPORT_METHODS) server.addService(exportServiceDefinition(m.path), { Export: exportHandler(deps, m.signal, m.path) });
  const identity = opts.tls ? new ReloadableIdentity(opts.tls) : undefined;
  const creds = identity ? tlsCredentials(identity) : ServerCredentials.createInsecure();
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let port: number;
  try {
    port = await bindAsync(server, `${host}:${opts.port}`, creds);
  } catch (e) {
    server.forceShutdown();
    // grpc-js words a taken port as "No address added": say what to do instead.
    throw new Error(`cannot listen for OTLP/gRPC on ${host}:${opts.port} (${(e as Error).message}); is another server using the port? --grpc-port picks another, --no-grpc turns gRPC off`, { cause: e });
  }
  let stopping: Promise<void> | undefined;
  return {
    host: opts.host,
    port,
    secure: identity !== undefined,
    useCertificate: (m) => identity?.update(m),
    stop: (deadlineMs) =>
      (stopping ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          deps.log(`OTLP/gRPC calls still open after ${deadlineMs} ms are cut off`);
          server.forceShutdown();
          resolve();
        }, deadlineMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      })),
  };
}

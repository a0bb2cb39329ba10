// Builds the gRPC listener from the parts the service already has (pipeline,
// in-flight budget, tokens, grants, outcome sinks), so gRPC and HTTP share one
// admission and one set of budgets.
import { PlainTokenWarnings, type EdgeAuth } from '../http/auth.ts';
import type { Ingestor } from '../http/app.ts';
import type { TlsMaterial } from '../http/tls.ts';
import type { CaptureSink } from '../capture/sink.ts';
import type { Authorizer } from '../access/types.ts';
import type { InflightBudget } from '../ingest/budget.ts';
import type { OutcomeSinks } from '../observe/outcome.ts';
import type { Signal } from '../otlp/types.ts';
import type { TableName } from '../tables/names.ts';
import { startGrpcServer, type GrpcListener } from './server.ts';

export type GrpcListenerOptions = {
  listen: { host: string; port: number };
  bodyBytesMax: number;
  tls: TlsMaterial | undefined;
  ingestor: Ingestor;
  inflight: InflightBudget;
  log: (line: string) => void;
  auth: EdgeAuth;
  authorizer: Authorizer;
  defaultTable: ((signal: Signal) => TableName | undefined) | undefined;
  accepting: () => boolean;
  sinks: OutcomeSinks;
  capture: CaptureSink | undefined;
};

export async function startGrpcListener(o: GrpcListenerOptions): Promise<GrpcListener & { address: { host: string; port: number; url: string } }> {
  const listener = await startGrpcServer({
    host: o.listen.host,
    port: o.listen.port,
    tls: o.tls,
    deps: {
      ingestor: o.ingestor,
      bodyBytesMax: o.bodyBytesMax,
      inflight: o.inflight,
      admission: { auth: o.auth, authorizer: o.authorizer, metrics: o.sinks.metrics, defaultTable: o.defaultTable, accepting: o.accepting, warnings: new PlainTokenWarnings(o.log) },
      sinks: o.sinks,
      log: o.log,
      secure: o.tls !== undefined,
      capture: o.capture,
    },
  });
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  // The scheme an OTLP exporter's endpoint setting takes for this listener.
  const url = `${listener.secure ? 'https' : 'http'}://${host}:${listener.port}`;
  return Object.assign(listener, { address: { host: listener.host, port: listener.port, url } });
}

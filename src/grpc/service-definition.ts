// The three OTLP Export methods as a grpc-js service definition written by
// hand. Messages pass through as Buffers: bodies are decoded by the same
// protobufjs decoders as OTLP/HTTP (in the ingest pipeline), and responses
// are encoded by our codec, so both transports see identical bytes.
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { Signal } from '../otlp/types.ts';

/** Signal, fully qualified service name and gRPC method path of each export. */
export const EXPORT_METHODS: { signal: Signal; service: string; path: string }[] = [
  { signal: 'metrics', service: 'opentelemetry.proto.collector.metrics.v1.MetricsService', path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export' },
  { signal: 'logs', service: 'opentelemetry.proto.collector.logs.v1.LogsService', path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export' },
  { signal: 'traces', service: 'opentelemetry.proto.collector.trace.v1.TraceService', path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export' },
];

const passThrough = (b: Buffer): Buffer => b;

/** One service definition with its single unary Export method. */
export function exportServiceDefinition(path: string): ServiceDefinition {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: passThrough,
      requestDeserialize: passThrough,
      responseSerialize: passThrough,
      responseDeserialize: passThrough,
    },
  };
}

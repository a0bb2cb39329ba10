// The OTLP message types, loaded once from the .proto files in proto/ at module load.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Signal } from './types.ts';

const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

const FILES = [
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'google/rpc/status.proto',
];

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports are written relative to proto/ (as protoc's -I would take them),
  // so every relative name resolves there, whichever file imports it.
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
  root.loadSync(FILES, { keepCase: false });
  root.resolveAll();
  forEachType(root, nullOneofDefaults);
  return root;
}

function forEachType(ns: protobuf.NamespaceBase, fn: (type: protobuf.Type) => void): void {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) fn(nested);
    if (nested instanceof protobuf.Namespace) forEachType(nested, fn);
  }
}

/**
 * protobufjs puts the type default ("" / 0 / false / Long 0) on the prototype
 * for oneof members, so `anyValue.stringValue` would read "" on a value that
 * holds an int. Null there makes an unset member read as null, as types.ts
 * promises, once per type at load instead of per decoded message.
 */
function nullOneofDefaults(type: protobuf.Type): void {
  const proto = type.ctor.prototype as Record<string, unknown>;
  for (const oneof of type.oneofsArray) {
    for (const name of oneof.oneof) proto[name] = null;
  }
}

/**
 * Decoding a oneof member calls this setter, which by default deletes every
 * other member of the oneof whether or not it is there: on AnyValue that is
 * six deletes per attribute value, a measurable share of decode time. Deleting
 * only members actually present keeps the same outcome (the last member read
 * wins) at a fraction of the cost. It must be in place before the types are built.
 */
protobuf.util.oneOfSetter = function oneOfSetter(fieldNames: string[]) {
  return function (this: Record<string, unknown>, name: string | undefined): void {
    for (const field of fieldNames) if (field !== name && Object.hasOwn(this, field)) delete this[field];
  };
};

const root = loadRoot();

if (!protobuf.util.Long) {
  // Without the long package 64-bit fields would decode to doubles and lose precision.
  throw new Error('protobufjs did not find the long package; 64-bit OTLP fields would lose precision');
}

export type SignalTypes = {
  request: protobuf.Type;
  response: protobuf.Type;
  partialSuccess: protobuf.Type;
  /** Name of the count field in the partial-success message. */
  rejectedField: string;
  requestName: string;
};

function signalTypes(pkg: string, noun: string, rejectedField: string): SignalTypes {
  const base = `opentelemetry.proto.collector.${pkg}.v1.Export${noun}`;
  return {
    request: root.lookupType(`${base}ServiceRequest`),
    response: root.lookupType(`${base}ServiceResponse`),
    partialSuccess: root.lookupType(`${base}PartialSuccess`),
    rejectedField,
    requestName: `Export${noun}ServiceRequest`,
  };
}

export const SIGNAL_TYPES: Readonly<Record<Signal, SignalTypes>> = {
  metrics: signalTypes('metrics', 'Metrics', 'rejectedDataPoints'),
  logs: signalTypes('logs', 'Logs', 'rejectedLogRecords'),
  traces: signalTypes('trace', 'Trace', 'rejectedSpans'),
};

export const STATUS_TYPE: protobuf.Type = root.lookupType('google.rpc.Status');

// The one small export per signal that configure sends to prove the path
// works: a record marked as a check (resource attribute otlp2delta.check), so
// doctor does not count it as the agent sending.
import { decodeRequest } from '../otlp/codec.ts';
import { SIGNAL_TYPES } from '../otlp/schema.ts';
import type { Signal } from '../otlp/types.ts';

export const CHECK_ATTRIBUTE = 'otlp2delta.check';

function jsonRequest(signal: Signal, serviceName: string, now: bigint): unknown {
  const resource = {
    attributes: [
      { key: 'service.name', value: { stringValue: serviceName } },
      { key: CHECK_ATTRIBUTE, value: { stringValue: 'configure' } },
    ],
  };
  const scope = { name: 'otlp2delta.configure' };
  const t = now.toString();
  if (signal === 'metrics') {
    return { resourceMetrics: [{ resource, scopeMetrics: [{ scope, metrics: [{ name: 'otlp2delta.configure.check', unit: '1', gauge: { dataPoints: [{ timeUnixNano: t, asInt: '1' }] } }] }] }] };
  }
  if (signal === 'logs') {
    return { resourceLogs: [{ resource, scopeLogs: [{ scope, logRecords: [{ timeUnixNano: t, observedTimeUnixNano: t, severityNumber: 9, severityText: 'INFO', eventName: 'otlp2delta.configure.check', body: { stringValue: 'otlp2delta configure check' } }] }] }] };
  }
  const id = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return { resourceSpans: [{ resource, scopeSpans: [{ scope, spans: [{ traceId: id(32), spanId: id(16), name: 'otlp2delta.configure.check', kind: 1, startTimeUnixNano: t, endTimeUnixNano: t }] }] }] };
}

/** The check export of one signal, in the encoding the agent will use. */
export function checkBody(signal: Signal, serviceName: string, encoding: 'json' | 'protobuf', now = BigInt(Date.now()) * 1_000_000n): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(jsonRequest(signal, serviceName, now)));
  if (encoding === 'json') return json;
  const msg = decodeRequest(signal, json, 'json');
  return SIGNAL_TYPES[signal].request.encode(msg as never).finish();
}

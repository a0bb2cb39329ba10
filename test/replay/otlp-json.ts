// Small OTLP JSON export requests, one line each, as the Collector file exporter writes them; every record carries a unique `uid` attribute.

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const RESOURCE = { attributes: [str('service.name', 'replay-test'), str('host.name', 'ci-1')] };
const T0 = 1795235805706000000n;

export const uidOf = (request: number, record: number): string => `r${request}-${record}`;

export function logsLine(request: number, records: number): string {
  const logRecords = Array.from({ length: records }, (_, j) => ({
    timeUnixNano: String(T0 + BigInt(request * 1000 + j)),
    observedTimeUnixNano: String(T0 + BigInt(request * 1000 + j) + 5n),
    severityNumber: 9,
    severityText: 'INFO',
    body: { stringValue: `event ${request}.${j}` },
    attributes: [str('uid', uidOf(request, j)), { key: 'n', value: { intValue: String(request * 1000 + j) } }],
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
  }));
  return JSON.stringify({ resourceLogs: [{ resource: RESOURCE, scopeLogs: [{ scope: { name: 'agent.events', version: '1.0.0' }, logRecords }] }] });
}

export function metricsLine(request: number, points: number): string {
  const dataPoints = Array.from({ length: points }, (_, j) => ({
    attributes: [str('uid', uidOf(request, j))],
    startTimeUnixNano: String(T0),
    timeUnixNano: String(T0 + BigInt(request) * 1_000_000_000n),
    asInt: String(request * 10 + j),
  }));
  const metric = { name: 'agent.token.usage', unit: 'tokens', sum: { dataPoints, aggregationTemporality: 2, isMonotonic: true } };
  return JSON.stringify({ resourceMetrics: [{ resource: RESOURCE, scopeMetrics: [{ scope: { name: 'agent.metrics' }, metrics: [metric] }] }] });
}

export function spansLine(request: number, spans: number): string {
  const list = Array.from({ length: spans }, (_, j) => ({
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: (BigInt(request * 1000 + j) + 0x1000000000000000n).toString(16),
    name: `turn ${request}.${j}`,
    kind: 1,
    startTimeUnixNano: String(T0 + BigInt(request)),
    endTimeUnixNano: String(T0 + BigInt(request) + 1000n),
    attributes: [str('uid', uidOf(request, j))],
    status: { code: 1 },
  }));
  return JSON.stringify({ resourceSpans: [{ resource: RESOURCE, scopeSpans: [{ scope: { name: 'agent.tracer' }, spans: list }] }] });
}

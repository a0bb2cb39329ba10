// Collector-sized (~1 MB) OTLP metrics and logs exports of agent data, and marked one-row probe requests.
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { BenchRequest } from './captures.ts';
import { expectedRows } from './captures.ts';

export const COLLECTOR_METRICS_TABLE = 'main.bench.collector_otel_metrics';
export const COLLECTOR_LOGS_TABLE = 'main.bench.collector_otel_logs';
const TABLE_HEADER = 'x-databricks-uc-table-name';

/** Small deterministic generator: the same bodies on every run keep runs comparable. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const hex = (r: Rand, n: number): string => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
const uuid = (r: Rand): string => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
export const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
export const int = (key: string, v: number) => ({ key, value: { intValue: v } });

const MODELS = ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5', 'gpt-5-codex', 'gemini-2.5-pro'];
const TOOLS = ['Read', 'Edit', 'Bash', 'Grep', 'Write', 'WebFetch', 'Glob', 'TodoWrite'];
const TERMINALS = ['vscode', 'iTerm.app', 'tmux', 'cursor', 'ghostty'];
const SERVICES = ['claude-code', 'codex_cli_rs', 'gemini-cli'];

/** One developer's agent: the resource a Collector batch groups points under. */
function resource(r: Rand, i: number) {
  const service = SERVICES[i % SERVICES.length]!;
  return {
    attributes: [
      str('service.name', service),
      str('service.version', `1.${Math.floor(r() * 20)}.${Math.floor(r() * 40)}`),
      str('host.arch', pick(r, ['arm64', 'amd64'])),
      str('os.type', pick(r, ['darwin', 'linux', 'windows'])),
      str('os.version', `${20 + Math.floor(r() * 5)}.${Math.floor(r() * 6)}.0`),
    ],
  };
}

/** 5-8 attributes per point, as the agents attach to every measurement. */
function pointAttributes(r: Rand, user: string, session: string, extra: { key: string; value: object }[]) {
  return [str('user.id', user), str('session.id', session), str('organization.id', 'a1b2c3d4-org'), str('terminal.type', pick(r, TERMINALS)), ...extra];
}

const HIST_BOUNDS = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

/** `resources` agents x 10 metrics; points per metric chosen so the total is exactly `points`. */
export function metricsRequestObject(seed: number, points: number, resources = 50): object {
  const r = rng(seed);
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const perResource = Math.floor(points / resources);
  const resourceMetrics = Array.from({ length: resources }, (_, ri) => {
    const user = hex(r, 64);
    const session = uuid(r);
    const t = (nowNs - BigInt(Math.floor(r() * 60_000)) * 1_000_000n).toString();
    const start = (nowNs - 3_600_000_000_000n).toString();
    // Ten instruments per agent; the remainder of the split goes to the first ones.
    const n = perResource + (ri < points - perResource * resources ? 1 : 0);
    const counts = Array.from({ length: 10 }, (_, k) => Math.floor(n / 10) + (k < n % 10 ? 1 : 0));
    const sumPts = (c: number, extra: (k: number) => { key: string; value: object }[], value: () => number) =>
      Array.from({ length: c }, (_, k) => ({ attributes: pointAttributes(r, user, session, extra(k)), startTimeUnixNano: start, timeUnixNano: t, asDouble: value() }));
    const sum = (name: string, unit: string, c: number, extra: (k: number) => { key: string; value: object }[], value: () => number) => ({
      name,
      description: `${name} measured by the agent`,
      unit,
      sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: sumPts(c, extra, value) },
    });
    const metrics = [
      sum('claude_code.token.usage', 'tokens', counts[0]!, (k) => [str('model', pick(r, MODELS)), str('type', ['input', 'output', 'cacheRead', 'cacheCreation'][k % 4]!)], () => Math.floor(r() * 40_000)),
      sum('claude_code.cost.usage', 'USD', counts[1]!, () => [str('model', pick(r, MODELS))], () => r() * 2),
      sum('claude_code.lines_of_code.count', 'count', counts[2]!, (k) => [str('type', k % 2 ? 'added' : 'removed')], () => Math.floor(r() * 300)),
      sum('claude_code.code_edit_tool.decision', 'count', counts[3]!, () => [str('tool', pick(r, TOOLS)), str('decision', pick(r, ['accept', 'reject'])), str('language', pick(r, ['TypeScript', 'Python', 'Go', 'Rust']))], () => 1),
      sum('codex.turn.count', 'count', counts[4]!, () => [str('model', pick(r, MODELS))], () => Math.floor(r() * 30)),
      sum('gemini_cli.tool.call.count', 'count', counts[5]!, () => [str('function_name', pick(r, TOOLS)), str('success', pick(r, ['true', 'false']))], () => Math.floor(r() * 12)),
      {
        name: 'claude_code.session.active',
        unit: 'sessions',
        gauge: { dataPoints: Array.from({ length: counts[6]! }, () => ({ attributes: pointAttributes(r, user, session, [str('model', pick(r, MODELS))]), timeUnixNano: t, asInt: Math.floor(r() * 4) })) },
      },
      {
        name: 'gemini_cli.memory.usage',
        unit: 'By',
        gauge: { dataPoints: Array.from({ length: counts[7]! }, () => ({ attributes: pointAttributes(r, user, session, [str('memory_type', pick(r, ['heap_used', 'rss', 'external']))]), timeUnixNano: t, asInt: Math.floor(r() * 4e8) })) },
      },
      ...['codex.api_request.duration', 'gemini_cli.tool.call.latency'].map((name, h) => ({
        name,
        unit: 'ms',
        histogram: {
          aggregationTemporality: 1,
          dataPoints: Array.from({ length: counts[8 + h]! }, () => {
            const buckets = HIST_BOUNDS.map(() => Math.floor(r() * 20));
            buckets.push(Math.floor(r() * 3));
            const count = buckets.reduce((a, b) => a + b, 0);
            return {
              attributes: pointAttributes(r, user, session, [str('model', pick(r, MODELS)), int('status_code', pick(r, [200, 200, 200, 429, 500]))]),
              startTimeUnixNano: start,
              timeUnixNano: t,
              count,
              sum: count * r() * 900,
              min: r() * 5,
              max: 5000 + r() * 5000,
              bucketCounts: buckets,
              explicitBounds: HIST_BOUNDS,
            };
          }),
        },
      })),
    ];
    return { resource: resource(r, ri), scopeMetrics: [{ scope: { name: 'com.anthropic.claude_code', version: '1.0.0' }, metrics }] };
  });
  return { resourceMetrics };
}

const EVENTS = ['claude_code.api_request', 'claude_code.tool_result', 'claude_code.user_prompt', 'codex.sse_event', 'gemini_cli.tool_call'];

/** `resources` agents, `records` log records in all, each with a body and 8-10 attributes. */
export function logsRequestObject(seed: number, records: number, resources = 30): object {
  const r = rng(seed);
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const per = Math.floor(records / resources);
  const resourceLogs = Array.from({ length: resources }, (_, ri) => {
    const user = hex(r, 64);
    const session = uuid(r);
    const n = per + (ri < records - per * resources ? 1 : 0);
    const logRecords = Array.from({ length: n }, (_, k) => {
      const event = pick(r, EVENTS);
      const t = (nowNs - BigInt(Math.floor(r() * 60_000)) * 1_000_000n).toString();
      const attrs = [
        str('event.name', event.split('.').pop()!),
        str('event.timestamp', new Date(Number(BigInt(t) / 1_000_000n)).toISOString()),
        str('session.id', session),
        str('user.id', user),
        str('organization.id', 'a1b2c3d4-org'),
        str('model', pick(r, MODELS)),
        str('prompt.id', uuid(r)),
        int('duration_ms', Math.floor(r() * 20_000)),
      ];
      if (k % 2 === 0) attrs.push(int('input_tokens', Math.floor(r() * 50_000)), int('output_tokens', Math.floor(r() * 4_000)));
      return {
        timeUnixNano: t,
        observedTimeUnixNano: t,
        severityNumber: 9,
        severityText: 'INFO',
        eventName: event,
        body: { stringValue: `${event}: ${pick(r, TOOLS)} finished in ${Math.floor(r() * 9000)} ms for ${pick(r, ['src/app.ts', 'README.md', 'lib/util.py', 'cmd/main.go'])} (${hex(r, 40)})` },
        attributes: attrs,
      };
    });
    return { resource: resource(r, ri), scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events', version: '1.0.0' }, logRecords }] };
  });
  return { resourceLogs };
}

function encode(signal: 'metrics' | 'logs', obj: object): Buffer {
  const type = SIGNAL_TYPES[signal].request;
  // fromObject (not verify) because 64-bit times are given as decimal strings, as OTLP/JSON has them.
  return Buffer.from(type.encode(type.fromObject(obj)).finish());
}

function benchRequest(id: string, signal: 'metrics' | 'logs', table: string, body: Buffer, rows: number): BenchRequest {
  const headers = { 'content-type': 'application/x-protobuf', 'content-length': String(body.length), [TABLE_HEADER]: table };
  return { id, signal, path: `/v1/${signal}`, table, headers, body, rows };
}

/** `distinct` different ~1 MB bodies of one signal, rotated by the load generator. */
export function collectorRequests(signal: 'metrics' | 'logs', distinct: number, perBody: number): BenchRequest[] {
  return Array.from({ length: distinct }, (_, i) => {
    const obj = signal === 'metrics' ? metricsRequestObject(1000 + i, perBody) : logsRequestObject(2000 + i, perBody);
    const rows = expectedRows(signal, obj);
    if (rows !== perBody) throw new Error(`generated ${signal} body ${i} holds ${rows} rows, wanted ${perBody}`);
    const table = signal === 'metrics' ? COLLECTOR_METRICS_TABLE : COLLECTOR_LOGS_TABLE;
    return benchRequest(`collector-${signal}-${i}`, signal, table, encode(signal, obj), rows);
  });
}

/** Sorts after every name the agents and the generator use (all start with a letter). */
export const PROBE_PREFIX = '~probe-';
export const probeMarker = (i: number): string => `${PROBE_PREFIX}${String(i).padStart(6, '0')}`;

/**
 * A one-row request whose metric name (metrics) or event_name (logs) is the
 * marker, so a commit's maxValues for that column reveals it without reading data.
 */
export function probeRequest(signal: 'metrics' | 'logs', table: string, i: number): BenchRequest {
  const marker = probeMarker(i);
  const t = (BigInt(Date.now()) * 1_000_000n).toString();
  const obj =
    signal === 'metrics'
      ? { resourceMetrics: [{ resource: { attributes: [str('service.name', 'bench-probe')] }, scopeMetrics: [{ metrics: [{ name: marker, gauge: { dataPoints: [{ timeUnixNano: t, asInt: i }] } }] }] }] }
      : { resourceLogs: [{ resource: { attributes: [str('service.name', 'bench-probe')] }, scopeLogs: [{ logRecords: [{ timeUnixNano: t, eventName: marker, body: { stringValue: marker } }] }] }] };
  return benchRequest(`probe-${i}`, signal, table, encode(signal, obj), 1);
}

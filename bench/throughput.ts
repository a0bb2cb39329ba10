// Throughput benchmark: the real server under agent-like and Collector-like load, then the in-process limits.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { agentRequests, captureTables, type BenchRequest } from './lib/captures.ts';
import { COLLECTOR_LOGS_TABLE, COLLECTOR_METRICS_TABLE, collectorRequests } from './lib/collector-batches.ts';
import { cpuCeiling, decodeRates, parquetRates, type DecodeRates, type ParquetRates } from './lib/limits.ts';
import { runScenario, type ScenarioResult } from './lib/scenario.ts';
import { round } from './lib/stats.ts';
import { systemCpu, systemDelta } from './lib/system.ts';
import { throughputMarkdown, writeThroughput } from './lib/throughput-report.ts';
import { runIfScript } from './lib/script.ts';

export const SCENARIOS = ['agent', 'agent-paced', 'collector-metrics', 'collector-logs'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Agent exports small enough to stand for everyday traffic (Claude Code's 1-5 KB, Codex's 6 KB). */
const AGENT_SMALL_BYTES_MAX = 8 * 1024;
/** Rows per Collector batch: with agent-like attributes this is about 1 MB of protobuf. */
export const COLLECTOR_POINTS = 3_200;
export const COLLECTOR_RECORDS = 2_000;
// Enough distinct bodies that a flush interval's Parquet file rarely holds the same row twice,
// which would compress far better than real traffic does.
const COLLECTOR_DISTINCT_BODIES = 24;
/** The performance targets, used to size the Parquet test to one flush interval at that rate. */
export const TARGET_ROWS_PER_SECOND = { 'collector-metrics': 150_000, 'collector-logs': 100_000 } as const;
const AGENT_PROBE_TABLE = 'main.agent_telemetry.claude_otel_logs';

export type ThroughputOptions = {
  scenarios: ScenarioName[];
  warmupMs: number;
  durationMs: number;
  /** Collector scenarios flush every ~2-3 s under load: a longer window sees enough commits to time them. */
  collectorDurationMs: number;
  agentClients: number;
  /** Offered requests/s of the paced agent scenario: the rate whose p99 the target is about. */
  agentRate: number;
  collectorClients: number;
  /** Length of each in-process decode loop. */
  limitMs: number;
  probeIntervalMs: number;
  flushIntervalMs?: number;
  cpuProfDir?: string;
  keepWarehouse: boolean;
};

export const DEFAULTS: ThroughputOptions = {
  scenarios: [...SCENARIOS],
  warmupMs: 2_000,
  durationMs: 8_000,
  collectorDurationMs: 14_000,
  agentClients: 200,
  agentRate: 3_000,
  collectorClients: 8,
  limitMs: 2_000,
  probeIntervalMs: 200,
  keepWarehouse: false,
};

function requestsFor(name: ScenarioName): BenchRequest[] {
  if (name === 'agent' || name === 'agent-paced') return agentRequests().filter((r) => r.body.length <= AGENT_SMALL_BYTES_MAX);
  if (name === 'collector-metrics') return collectorRequests('metrics', COLLECTOR_DISTINCT_BODIES, COLLECTOR_POINTS);
  return collectorRequests('logs', COLLECTOR_DISTINCT_BODIES, COLLECTOR_RECORDS);
}

function tablesFor(requests: BenchRequest[], probeTable: string): Map<string, 'metrics' | 'logs'> {
  const kinds = captureTables();
  kinds.set(COLLECTOR_METRICS_TABLE, 'metrics');
  kinds.set(COLLECTOR_LOGS_TABLE, 'logs');
  const out = new Map<string, 'metrics' | 'logs'>();
  for (const t of [...requests.map((r) => r.table), probeTable]) out.set(t, kinds.get(t)!);
  return out;
}

export type Limits = { decode: DecodeRates; parquet?: ParquetRates; cpuCeilingRowsPerSecond?: number };

export async function runThroughput(opts: ThroughputOptions) {
  const scenarios: Partial<Record<ScenarioName, ScenarioResult>> = {};
  const requestsBy = new Map<ScenarioName, BenchRequest[]>();
  for (const name of opts.scenarios) {
    const requests = requestsFor(name);
    requestsBy.set(name, requests);
    const agentLike = name === 'agent' || name === 'agent-paced';
    const probe = agentLike
        ? { signal: 'logs' as const, table: AGENT_PROBE_TABLE }
        : { signal: requests[0]!.signal, table: requests[0]!.table };
    const clients = agentLike ? opts.agentClients : opts.collectorClients;
    const ratePerSecond = name === 'agent-paced' ? opts.agentRate : 0;
    process.stderr.write(`throughput: ${name} (${requests.length} bodies, ${clients} clients, ${ratePerSecond || 'back to back'})\n`);
    const spec = {
      name,
      requests,
      tables: tablesFor(requests, probe.table),
      probe: { ...probe, intervalMs: opts.probeIntervalMs },
      clients,
      ratePerSecond,
      warmupMs: opts.warmupMs,
      durationMs: agentLike ? opts.durationMs : opts.collectorDurationMs,
      keepWarehouse: opts.keepWarehouse,
      ...(opts.flushIntervalMs === undefined ? {} : { flushIntervalMs: opts.flushIntervalMs }),
      ...(opts.cpuProfDir === undefined ? {} : { cpuProfDir: opts.cpuProfDir }),
    };
    scenarios[name] = await runScenario(spec);
  }

  // In-process limits after the servers are gone, so nothing else of ours runs meanwhile.
  const limits: Partial<Record<ScenarioName, Limits>> = {};
  const sysBefore = systemCpu();
  const cpuBefore = process.cpuUsage();
  for (const [name, requests] of requestsBy) {
    // Both agent scenarios send the same bodies: measure their limits once.
    const twin = name === 'agent-paced' ? limits['agent'] : name === 'agent' ? limits['agent-paced'] : undefined;
    if (twin) {
      limits[name] = twin;
      continue;
    }
    process.stderr.write(`throughput: limits for ${name}\n`);
    const decode = decodeRates(requests, opts.limitMs);
    if (name === 'agent' || name === 'agent-paced') {
      limits[name] = { decode };
      continue;
    }
    const parquet = await parquetRates(requests, TARGET_ROWS_PER_SECOND[name]);
    limits[name] = { decode, parquet, cpuCeilingRowsPerSecond: cpuCeiling(decode, parquet, os.cpus().length) };
  }

  // The limits run in this process alone: whatever else kept the cores busy meanwhile lowered them.
  const sysAfter = systemCpu();
  const own = process.cpuUsage(cpuBefore);
  const limitsSpan = systemDelta(sysBefore, sysAfter);
  const otherCoresDuringLimits = round(Math.max(0, limitsSpan.busyCores - (own.user + own.system) / 1e6 / limitsSpan.wallSeconds));

  const ratios: Partial<Record<ScenarioName, Record<string, number>>> = {};
  // A paced scenario's rate is what was offered, not what the server could do.
  for (const name of opts.scenarios.filter((x) => x !== 'agent-paced')) {
    const s = scenarios[name]!;
    const l = limits[name]!;
    // Acknowledged rows beyond what the commits keep up with only fill staging, so the sustained rate counts.
    const e2e = s.throughput.sustainedRowsPerSecond;
    ratios[name] = {
      endToEndOverDecodeOnly: round(e2e / l.decode.decodeOnly.rowsPerSecond, 3),
      endToEndOverFullRequestPath: round(e2e / l.decode.decodeRender.rowsPerSecond, 3),
      ...(l.parquet ? { endToEndOverWriteParquet: round(e2e / l.parquet.writeParquet.rowsPerSecond, 3) } : {}),
      ...(l.cpuCeilingRowsPerSecond ? { endToEndOverCpuCeiling: round(e2e / l.cpuCeilingRowsPerSecond, 3) } : {}),
    };
  }

  return {
    benchmark: 'throughput',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}` },
    config: {
      ...opts,
      agentBodyBytesMax: AGENT_SMALL_BYTES_MAX,
      collectorPointsPerBatch: COLLECTOR_POINTS,
      collectorRecordsPerBatch: COLLECTOR_RECORDS,
      collectorDistinctBodies: COLLECTOR_DISTINCT_BODIES,
    },
    scenarios,
    limits,
    otherCoresDuringLimits,
    ratios,
    ok: opts.scenarios.every((n) => scenarios[n]!.verification.ok),
  };
}

export type ThroughputResult = Awaited<ReturnType<typeof runThroughput>>;

/** Takes the options it knows; the ack-latency ones that `npm run bench` passes to every benchmark are ignored. */
export function parseOptions(argv: string[]): ThroughputOptions {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      scenarios: { type: 'string' },
      'warmup-s': { type: 'string' },
      'duration-s': { type: 'string' },
      'collector-duration-s': { type: 'string' },
      'agent-clients': { type: 'string' },
      'agent-rate': { type: 'string' },
      'collector-clients': { type: 'string' },
      'limit-s': { type: 'string' },
      'probe-interval-ms': { type: 'string' },
      'flush-interval-ms': { type: 'string' },
      'cpu-prof-dir': { type: 'string' },
      keep: { type: 'boolean' },
    },
  });
  const num = (raw: unknown, fallback: number, name: string): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (typeof raw !== 'string' || !Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${String(raw)}`);
    return n;
  };
  const scenarios = typeof values.scenarios === 'string' ? values.scenarios.split(',').map((s) => s.trim()) : [...SCENARIOS];
  for (const s of scenarios) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--scenarios: unknown scenario ${s} (known: ${SCENARIOS.join(', ')})`);
  const opts: ThroughputOptions = {
    scenarios: scenarios as ScenarioName[],
    warmupMs: num(values['warmup-s'], DEFAULTS.warmupMs / 1000, 'warmup-s') * 1000,
    durationMs: num(values['duration-s'], DEFAULTS.durationMs / 1000, 'duration-s') * 1000,
    // --duration-s sets every window unless the Collector ones are given on their own.
    collectorDurationMs:
      num(values['collector-duration-s'], values['duration-s'] === undefined ? DEFAULTS.collectorDurationMs / 1000 : Number(values['duration-s']), 'collector-duration-s') * 1000,
    agentClients: Math.round(num(values['agent-clients'], DEFAULTS.agentClients, 'agent-clients')),
    agentRate: num(values['agent-rate'], DEFAULTS.agentRate, 'agent-rate'),
    collectorClients: Math.round(num(values['collector-clients'], DEFAULTS.collectorClients, 'collector-clients')),
    limitMs: num(values['limit-s'], DEFAULTS.limitMs / 1000, 'limit-s') * 1000,
    probeIntervalMs: num(values['probe-interval-ms'], DEFAULTS.probeIntervalMs, 'probe-interval-ms'),
    keepWarehouse: values.keep === true,
  };
  if (values['flush-interval-ms'] !== undefined) opts.flushIntervalMs = num(values['flush-interval-ms'], 0, 'flush-interval-ms');
  if (typeof values['cpu-prof-dir'] === 'string') opts.cpuProfDir = path.resolve(values['cpu-prof-dir']);
  return opts;
}

/** Runs, writes bench/results/throughput.{json,md}, prints the tables; 1 if a row check failed. */
export async function main(argv: string[]): Promise<number> {
  const result = await runThroughput(parseOptions(argv));
  const files = writeThroughput(result);
  process.stdout.write(`${throughputMarkdown(result)}\nwrote ${path.relative(process.cwd(), files.json)} and ${path.relative(process.cwd(), files.md)}\n`);
  if (!result.ok) {
    for (const s of Object.values(result.scenarios)) {
      if (!s.verification.ok) process.stderr.write(`${s.scenario}: row check failed: ${JSON.stringify(s.verification, null, 2)}\n${s.serverLogTail ?? ''}\n`);
    }
    return 1;
  }
  return 0;
}

runIfScript(import.meta.url, 'throughput', main);

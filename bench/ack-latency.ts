// Acknowledgement latency benchmark: many concurrent agents sending small real
// exports to a server in its own process, timed from send to full response,
// then a check that every acknowledged row is in the Delta tables.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDeltaTable } from '../src/delta/table.ts';
import { tableDir } from '../src/ingest/registry.ts';
import { parseTableName } from '../src/tables/names.ts';
import { schemaFor } from '../src/tables/schema.ts';
import { agentRequests, captureTables, type BenchRequest } from './lib/captures.ts';
import { countRows } from './lib/delta-rows.ts';
import { runLoad } from './lib/load.ts';
import { probeLaunch, summarizeLoop } from './lib/loop-report.ts';
import { startServer } from './lib/server-child.ts';
import { idleCheck, procStats, systemCpu, systemDelta, threadCpu, threadCpuDelta, type ProcStats, type SystemCpu } from './lib/system.ts';
import { writeResults, toMarkdown } from './lib/ack-report.ts';
import { mib, round, summarize, type Summary } from './lib/stats.ts';
import { runIfScript } from './lib/script.ts';

export const TARGET_P99_MS = 50;

export type AckLatencyOptions = {
  clients: number;
  warmupMs: number;
  durationMs: number;
  maxRequests: number;
  /** Total requests/s spread over the clients; 0 sends back to back (saturation). */
  ratePerSecond: number;
  /** Passed to `serve --flush-interval-ms` when set; the server default otherwise. */
  flushIntervalMs?: number;
  /** Directory for a V8 CPU profile of the server (node --cpu-prof), if wanted. */
  cpuProfDir?: string;
  /** Preload a probe into the server that records its event-loop utilisation and delay. */
  loopProbe: boolean;
  keepWarehouse: boolean;
};

export const DEFAULTS: AckLatencyOptions = {
  clients: 200,
  warmupMs: 2_000,
  durationMs: 10_000,
  // Far above what 10 s can reach here; only stops a runaway loop.
  maxRequests: 2_000_000,
  ratePerSecond: 0,
  loopProbe: false,
  keepWarehouse: false,
};

async function createTables(warehouse: string): Promise<Map<string, string>> {
  const dirs = new Map<string, string>();
  for (const [name, kind] of captureTables()) {
    const schema = schemaFor(kind);
    const dir = tableDir(warehouse, parseTableName(name));
    await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties }, name: parseTableName(name).table });
    dirs.set(name, dir);
  }
  return dirs;
}

/** Segment files still staged after the stop: a clean drain leaves none. */
function leftoverSegments(warehouse: string): number {
  const root = path.join(warehouse, '.otlp2delta', 'staging', 'tables');
  if (!existsSync(root)) return 0;
  let n = 0;
  for (const t of readdirSync(root)) n += readdirSync(path.join(root, t)).filter((f) => f.endsWith('.ndjson')).length;
  return n;
}

function perTableExpectation(requests: BenchRequest[], counts: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of requests) out.set(r.table, (out.get(r.table) ?? 0) + (counts.get(r.id) ?? 0) * r.rows);
  return out;
}

const rounded = (s: Summary) => ({
  count: s.count,
  p50: round(s.p50),
  p90: round(s.p90),
  p99: round(s.p99),
  p999: round(s.p999),
  max: round(s.max),
  mean: round(s.mean),
});

export async function runAckLatency(opts: AckLatencyOptions) {
  const requests = agentRequests();
  // Other work on the machine skews latency: measure it before and during the run.
  const before = await idleCheck();
  const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-bench-'));
  try {
    const dirs = await createTables(warehouse);
    const serveArgs = opts.flushIntervalMs === undefined ? [] : ['--flush-interval-ms', String(opts.flushIntervalMs)];
    const nodeArgs = opts.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir];
    // The probe's file lives outside the warehouse's tables so it never looks like table data.
    const loopFile = path.join(warehouse, 'event-loop.ndjson');
    const probe = opts.loopProbe ? probeLaunch(loopFile) : { nodeArgs: [], env: {} };
    const server = await startServer({ warehouse, serveArgs, nodeArgs: [...nodeArgs, ...probe.nodeArgs], env: probe.env });
    let atWindow: ProcStats | undefined;
    let sysAtWindow: SystemCpu | undefined;
    let atEnd: ProcStats;
    let sysAtEnd: SystemCpu;
    let threadsAtWindow: Record<string, number> = {};
    let threadsAtEnd: Record<string, number> = {};
    let windowFrom = 0;
    let load;
    try {
      load = await runLoad({
        url: server.url,
        requests,
        clients: opts.clients,
        warmupMs: opts.warmupMs,
        durationMs: opts.durationMs,
        maxRequests: opts.maxRequests,
        requestTimeoutMs: 30_000,
        ratePerSecond: opts.ratePerSecond,
        onMeasureStart: () => {
          atWindow = procStats(server.pid);
          sysAtWindow = systemCpu();
          threadsAtWindow = threadCpu(server.pid);
          windowFrom = Date.now();
        },
      });
      // Read before the stop: the drain's own work is not acknowledgement cost.
      atEnd = procStats(server.pid);
      sysAtEnd = systemCpu();
      threadsAtEnd = threadCpu(server.pid);
    } catch (e) {
      await server.stop();
      throw e;
    }
    const exit = await server.stop();
    const loop = opts.loopProbe ? summarizeLoop(loopFile, windowFrom, sysAtEnd.at) : undefined;

    const landed = await countRows([...dirs.values()]);
    const expected = perTableExpectation(requests, load.acknowledged);
    const maybe = perTableExpectation(requests, load.unanswered);
    const tables = [...dirs].map(([table, dir]) => {
      const got = landed.get(dir)!;
      const want = expected.get(table) ?? 0;
      const extra = maybe.get(table) ?? 0;
      // A request that got no answer may still have been staged: allow its rows, never fewer.
      return { table, acknowledgedRows: want, unansweredRows: extra, landedRows: got.rows, files: got.files, ok: got.rows >= want && got.rows <= want + extra };
    });
    const leftover = leftoverSegments(warehouse);
    const verified = exit === 0 && leftover === 0 && tables.every((t) => t.ok);

    const lat = summarize(load.latenciesMs);
    const windowCpu = atEnd.cpuSeconds - (atWindow?.cpuSeconds ?? 0);
    const sys = systemDelta(sysAtWindow ?? sysAtEnd, sysAtEnd);
    // What neither the server nor this process used: other work sharing the cores.
    const otherCores = sys.busyCores - windowCpu / sys.wallSeconds - load.clientCpuSeconds / sys.wallSeconds;
    const bytesPerCycle = requests.reduce((n, r) => n + r.body.length, 0);
    const rowsPerCycle = requests.reduce((n, r) => n + r.rows, 0);
    const rps = load.measured.sent / load.windowSeconds;
    return {
      benchmark: 'ack-latency',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}` },
      config: {
        clients: opts.clients,
        warmupSeconds: opts.warmupMs / 1000,
        durationSeconds: opts.durationMs / 1000,
        ratePerSecond: opts.ratePerSecond === 0 ? 'back to back' : opts.ratePerSecond,
        flushIntervalMs: opts.flushIntervalMs ?? 'server default',
        requestMix: requests.map((r) => ({
          id: r.id,
          signal: r.signal,
          contentType: r.headers['content-type'] ?? '',
          contentEncoding: r.headers['content-encoding'] ?? 'identity',
          bytes: r.body.length,
          rows: r.rows,
        })),
      },
      target: { p99Ms: TARGET_P99_MS, met: lat.p99 < TARGET_P99_MS },
      latencyMs: rounded(lat),
      latencyByRequestMs: requests.map((r, i) => ({ id: r.id, bytes: r.body.length, ...rounded(summarize(load.latenciesMs.filter((_, j) => load.requestIndex[j] === i))) })),
      throughput: {
        requestsPerSecond: round(rps, 1),
        // The mix is sent round-robin, so per-request averages carry over.
        rowsPerSecond: round((rps * rowsPerCycle) / requests.length, 0),
        bodyMiBPerSecond: round((rps * bytesPerCycle) / requests.length / (1024 * 1024), 2),
      },
      requests: { measured: load.measured.sent, measuredNon200: load.measured.errors, statuses: load.statuses },
      server: {
        cpuSecondsWindow: round(windowCpu),
        // Over the window plus the last answers' drain, the span the CPU readings cover.
        coresBusyWindow: round(windowCpu / sys.wallSeconds),
        cpuMsPerRequest: round((1000 * windowCpu) / Math.max(1, load.measured.sent), 3),
        cpuSecondsByThreadWindow: threadCpuDelta(threadsAtWindow, threadsAtEnd),
        eventLoop: loop,
        cpuSecondsTotal: round(atEnd.cpuSeconds),
        peakRssMiB: mib(atEnd.peakRssBytes),
        rssAtEndMiB: mib(atEnd.rssBytes),
        threads: atEnd.threads,
      },
      client: {
        cpuSecondsWindow: round(load.clientCpuSeconds),
        coresBusyWindow: round(load.clientCpuSeconds / sys.wallSeconds),
        eventLoopDelayMs: { p50: round(load.clientLoopDelayMs.p50), p99: round(load.clientLoopDelayMs.p99), max: round(load.clientLoopDelayMs.max) },
      },
      machineLoad: {
        otherCoresBefore: round(before.busyCores),
        busyCoresWindow: round(sys.busyCores),
        otherCoresWindow: round(Math.max(0, otherCores)),
        stealCoresWindow: round(sys.stealCores),
        iowaitCoresWindow: round(sys.iowaitCores),
      },
      verification: { ok: verified, serverExit: exit, leftoverSegments: leftover, tables },
      warehouse: opts.keepWarehouse ? warehouse : undefined,
      serverLogTail: verified ? undefined : server.log().slice(-4000),
    };
  } finally {
    if (!opts.keepWarehouse) await rm(warehouse, { recursive: true, force: true });
  }
}

export type AckLatencyResult = Awaited<ReturnType<typeof runAckLatency>>;

export function parseOptions(argv: string[]): AckLatencyOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string' },
      'warmup-s': { type: 'string' },
      'duration-s': { type: 'string' },
      'max-requests': { type: 'string' },
      rate: { type: 'string' },
      'loop-probe': { type: 'boolean' },
      'flush-interval-ms': { type: 'string' },
      'cpu-prof-dir': { type: 'string' },
      keep: { type: 'boolean' },
    },
  });
  const num = (raw: string | undefined, fallback: number, name: string): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return n;
  };
  const opts: AckLatencyOptions = {
    clients: Math.round(num(values.clients, DEFAULTS.clients, 'clients')),
    warmupMs: num(values['warmup-s'], DEFAULTS.warmupMs / 1000, 'warmup-s') * 1000,
    durationMs: num(values['duration-s'], DEFAULTS.durationMs / 1000, 'duration-s') * 1000,
    maxRequests: Math.round(num(values['max-requests'], DEFAULTS.maxRequests, 'max-requests')),
    ratePerSecond: values.rate === undefined ? 0 : num(values.rate, 0, 'rate'),
    loopProbe: values['loop-probe'] ?? false,
    keepWarehouse: values.keep ?? false,
  };
  if (values['flush-interval-ms'] !== undefined) opts.flushIntervalMs = num(values['flush-interval-ms'], 0, 'flush-interval-ms');
  if (values['cpu-prof-dir'] !== undefined) opts.cpuProfDir = path.resolve(values['cpu-prof-dir']);
  return opts;
}

/** Runs, writes bench/results/ack-latency.{json,md}, prints the table; 1 if the row check failed. */
export async function main(argv: string[]): Promise<number> {
  const result = await runAckLatency(parseOptions(argv));
  const files = writeResults(result);
  process.stdout.write(`${toMarkdown(result)}\nwrote ${path.relative(process.cwd(), files.json)} and ${path.relative(process.cwd(), files.md)}\n`);
  if (!result.verification.ok) {
    process.stderr.write(`row check failed: ${JSON.stringify(result.verification, null, 2)}\n${result.serverLogTail ?? ''}\n`);
    return 1;
  }
  return 0;
}

runIfScript(import.meta.url, 'ack-latency', main);

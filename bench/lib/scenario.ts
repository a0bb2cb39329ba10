// One end-to-end throughput scenario against a fresh server process, measured from outside and checked row for row.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import type { BenchRequest } from './captures.ts';
import { countRows } from './delta-rows.ts';
import { runLoad } from './load.ts';
import { summarizeLoop } from './loop-report.ts';
import { profileSummary } from './profile-run.ts';
import { serverProbes, summarizeMemory } from './server-probes.ts';
import { startServer } from './server-child.ts';
import { mib, round, summarize } from './stats.ts';
import { idleCheck, procStats, systemCpu, systemDelta, threadCpu, threadCpuDelta, type ProcStats, type SystemCpu } from './system.ts';
import { DeltaLogWatcher, runProbes } from './visibility.ts';

export type ScenarioSpec = {
  name: string;
  requests: BenchRequest[];
  /** Every table the requests (and the probe) write, with its kind. */
  tables: Map<string, 'metrics' | 'logs'>;
  probe: { signal: 'metrics' | 'logs'; table: string; intervalMs: number };
  clients: number;
  /** Total requests/s over all clients; 0 = each client re-sends as soon as it is answered. */
  ratePerSecond: number;
  warmupMs: number;
  durationMs: number;
  flushIntervalMs?: number;
  /** A V8 CPU profile of the server's main thread goes here when set. */
  cpuProfDir?: string;
  keepWarehouse: boolean;
};

const RSS_SAMPLE_MS = 250;

async function createTables(warehouse: string, tables: Map<string, 'metrics' | 'logs'>) {
  const out: { name: string; dir: string }[] = [];
  for (const [name, kind] of tables) {
    const schema = schemaFor(kind);
    const dir = tableDir(warehouse, parseTableName(name));
    await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties }, name: parseTableName(name).table });
    out.push({ name, dir });
  }
  return out;
}

const q = (xs: number[]) => {
  const s = summarize(Float64Array.from(xs));
  return { count: s.count, p50: round(s.p50), p95: round(percentileOf(xs, 95)), p99: round(s.p99), max: round(s.max) };
};

function percentileOf(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export async function runScenario(spec: ScenarioSpec) {
  const before = await idleCheck(500);
  const warehouse = await mkdtemp(path.join(os.tmpdir(), `otlp2delta-${spec.name}-`));
  try {
    const tables = await createTables(warehouse, spec.tables);
    const serveArgs = spec.flushIntervalMs === undefined ? [] : ['--flush-interval-ms', String(spec.flushIntervalMs)];
    const profDir = spec.cpuProfDir && path.join(spec.cpuProfDir, spec.name);
    if (profDir) mkdirSync(profDir, { recursive: true });
    const probes = serverProbes(warehouse);
    const nodeArgs = [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), ...probes.nodeArgs];
    const spawnedAt = performance.now();
    const server = await startServer({ warehouse, serveArgs, nodeArgs, env: probes.env });
    const watcher = new DeltaLogWatcher(tables);
    watcher.start();

    // RSS every 250 ms from start to exit: the window's samples give the steady
    // level, VmHWM (read until the process is gone) the peak.
    const rssWindow: number[] = [];
    let peakRss = 0;
    let inWindow = false;
    const sample = () => {
      try {
        const s = procStats(server.pid);
        // An exiting process may no longer list its memory: skip such readings.
        if (Number.isFinite(s.peakRssBytes)) peakRss = Math.max(peakRss, s.peakRssBytes);
        if (inWindow && Number.isFinite(s.rssBytes)) rssWindow.push(s.rssBytes);
      } catch {
        // The process has exited.
      }
    };
    const sampler = setInterval(sample, RSS_SAMPLE_MS);

    let atWindow: ProcStats | undefined;
    let sysAtWindow: SystemCpu | undefined;
    let threadsAtWindow: Record<string, number> = {};
    const windowFrom = performance.now() + spec.warmupMs;
    const windowTo = windowFrom + spec.durationMs;
    let windowFromMs = 0;
    let loadEnd = 0;
    let load;
    let visibility;
    let atEnd: ProcStats;
    let sysAtEnd: SystemCpu;
    let threadsAtEnd: Record<string, number>;
    try {
      const probing = runProbes({ url: server.url, ...spec.probe, watcher, windowFrom, until: windowTo, maxWaitMs: 15_000 });
      load = await runLoad({
        url: server.url,
        requests: spec.requests,
        clients: spec.clients,
        warmupMs: spec.warmupMs,
        durationMs: spec.durationMs,
        maxRequests: 2_000_000,
        requestTimeoutMs: 60_000,
        ratePerSecond: spec.ratePerSecond,
        onMeasureStart: () => {
          inWindow = true;
          windowFromMs = Date.now();
          atWindow = procStats(server.pid);
          sysAtWindow = systemCpu();
          threadsAtWindow = threadCpu(server.pid);
        },
      });
      inWindow = false;
      loadEnd = performance.now();
      // Read before the stop, so the drain's work is not charged to the window.
      atEnd = procStats(server.pid);
      sysAtEnd = systemCpu();
      threadsAtEnd = threadCpu(server.pid);
      visibility = await probing;
    } catch (e) {
      clearInterval(sampler);
      watcher.stop();
      await server.stop();
      throw e;
    }
    const stopAt = performance.now();
    const exit = await server.stop();
    const drainSeconds = (performance.now() - stopAt) / 1000;
    clearInterval(sampler);
    watcher.stop();

    // What landed against what was acknowledged (load and probes).
    const landed = await countRows(tables.map((t) => t.dir));
    const expect = new Map<string, { want: number; maybe: number }>(tables.map((t) => [t.name, { want: 0, maybe: 0 }]));
    for (const r of spec.requests) {
      expect.get(r.table)!.want += (load.acknowledged.get(r.id) ?? 0) * r.rows;
      expect.get(r.table)!.maybe += (load.unanswered.get(r.id) ?? 0) * r.rows;
    }
    expect.get(spec.probe.table)!.want += visibility.acknowledged;
    const verification = tables.map((t) => {
      const got = landed.get(t.dir)!.rows;
      const e = expect.get(t.name)!;
      return { table: t.name, acknowledgedRows: e.want, landedRows: got, ok: got >= e.want && got <= e.want + e.maybe };
    });
    // A clean drain leaves no staged segment behind.
    const stagingDir = path.join(warehouse, '.otlp2delta', 'staging', 'tables');
    const leftover = existsSync(stagingDir) ? readdirSync(stagingDir, { recursive: true }).filter((f) => String(f).endsWith('.ndjson')).length : 0;

    // Rows and bytes acknowledged in the window: the mix is sent round-robin,
    // so each recorded sample's request tells its rows; non-200s scale it down.
    const okShare = load.measured.sent === 0 ? 0 : load.measured.ok / load.measured.sent;
    let rowsSent = 0;
    let bytesSent = 0;
    for (const i of load.requestIndex) {
      rowsSent += spec.requests[i]!.rows;
      bytesSent += spec.requests[i]!.body.length;
    }
    const windowRows = rowsSent * okShare;
    const windowBytes = bytesSent * okShare;
    const secs = load.windowSeconds;
    const windowCpu = atEnd.cpuSeconds - (atWindow?.cpuSeconds ?? 0);
    const sys = systemDelta(sysAtWindow ?? sysAtEnd, sysAtEnd);
    const committedRate = watcher.committedRate(windowFrom, loadEnd);
    const parquetBytes = watcher.commits.reduce((n, c) => n + c.bytes, 0);
    const parquetRows = watcher.commits.reduce((n, c) => n + c.rows, 0);
    const otlpBytesPerRow = spec.requests.reduce((n, r) => n + r.body.length, 0) / spec.requests.reduce((n, r) => n + r.rows, 0);
    const rssSorted = [...rssWindow].sort((a, b) => a - b);
    // Rows acknowledged (load and probes) but not yet committed when the load stopped: the backlog the window built.
    const ackedRows = [...expect.values()].reduce((n, e) => n + e.want, 0);
    const committedByEnd = watcher.commits.filter((c) => c.seenAt <= loadEnd).reduce((n, c) => n + c.rows, 0);
    const loop = summarizeLoop(probes.loopFile, windowFromMs, sysAtEnd.at);
    const memory = summarizeMemory(probes.memFile, windowFromMs, sysAtEnd.at);
    const profile = profDir ? profileSummary(profDir, (windowFrom - spawnedAt) / 1000, (windowTo - spawnedAt) / 1000) : undefined;

    return {
      scenario: spec.name,
      config: {
        clients: spec.clients,
        warmupSeconds: spec.warmupMs / 1000,
        durationSeconds: spec.durationMs / 1000,
        flushIntervalMs: spec.flushIntervalMs ?? 'server default',
        requests: spec.requests.length,
        bodyBytes: { min: Math.min(...spec.requests.map((r) => r.body.length)), max: Math.max(...spec.requests.map((r) => r.body.length)) },
        rowsPerRequest: round(spec.requests.reduce((n, r) => n + r.rows, 0) / spec.requests.length, 1),
        ratePerSecond: spec.ratePerSecond === 0 ? 'back to back' : spec.ratePerSecond,
        probeIntervalMs: spec.probe.intervalMs,
      },
      throughput: {
        requestsPerSecond: round(load.measured.ok / secs, 1),
        rowsPerSecond: Math.round(windowRows / secs),
        otlpMiBPerSecond: round(windowBytes / secs / 1048576, 2),
        // NaN (null in JSON) when the window saw too few commits to time them.
        committedRowsPerSecond: committedRate === undefined ? NaN : Math.round(committedRate),
        // What the tables gain for as long as it lasts: acknowledged rows beyond the commit rate pile up in staging.
        sustainedRowsPerSecond: committedRate === undefined ? NaN : Math.round(Math.min(windowRows / secs, committedRate)),
        uncommittedRowsAtLoadEnd: Math.max(0, ackedRows - committedByEnd),
      },
      ackLatencyMs: (() => {
        const s = summarize(load.latenciesMs);
        return { count: s.count, p50: round(s.p50), p90: round(s.p90), p99: round(s.p99), max: round(s.max) };
      })(),
      visibleMs: { ...q(visibility.visibleMs), notVisibleWithin15s: visibility.notVisible, probeAckMs: q(visibility.ackMs) },
      requests: { measured: load.measured.sent, measuredNon200: load.measured.errors, statuses: load.statuses },
      server: {
        cpuSecondsWindow: round(windowCpu),
        coresBusyWindow: round(windowCpu / sys.wallSeconds),
        cpuSecondsPerMillionRows: round((windowCpu / Math.max(1, windowRows)) * 1e6, 1),
        cpuSecondsByThreadWindow: threadCpuDelta(threadsAtWindow, threadsAtEnd),
        rssWindowMiB: { p50: mib(rssSorted[Math.floor(rssSorted.length / 2)] ?? NaN), max: mib(rssSorted[rssSorted.length - 1] ?? NaN), samples: rssSorted.length },
        peakRssMiB: mib(peakRss),
        memoryWindow: memory,
        eventLoop: loop,
        drainSeconds: round(drainSeconds),
        exit,
      },
      bytes: {
        otlpBytesPerRow: round(otlpBytesPerRow, 1),
        parquetBytesPerRow: round(parquetBytes / Math.max(1, parquetRows), 1),
        parquetFiles: watcher.commits.length,
        parquetRowsPerFile: Math.round(parquetRows / Math.max(1, watcher.commits.length)),
      },
      client: { cpuSecondsWindow: round(load.clientCpuSeconds), eventLoopDelayP99Ms: round(load.clientLoopDelayMs.p99) },
      machineLoad: {
        otherCoresBefore: round(before.busyCores),
        otherCoresWindow: round(Math.max(0, sys.busyCores - windowCpu / sys.wallSeconds - load.clientCpuSeconds / sys.wallSeconds)),
        stealCoresWindow: round(sys.stealCores),
      },
      verification: { ok: exit === 0 && leftover === 0 && verification.every((v) => v.ok), leftoverSegments: leftover, tables: verification },
      profile,
      warehouse: spec.keepWarehouse ? warehouse : undefined,
      serverLogTail: exit === 0 ? undefined : server.log().slice(-3000),
    };
  } finally {
    if (!spec.keepWarehouse) await rm(warehouse, { recursive: true, force: true });
  }
}

export type ScenarioResult = Awaited<ReturnType<typeof runScenario>>;

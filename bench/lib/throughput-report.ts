// Throughput results as markdown and JSON under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ScenarioName, ThroughputResult } from '../throughput.ts';
import { RESULTS_DIR } from './ack-report.ts';

export const LABEL: Record<ScenarioName, string> = {
  agent: 'agent-like',
  'agent-paced': 'agent-like, paced',
  'collector-metrics': 'collector metrics',
  'collector-logs': 'collector logs',
};

const n = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : Math.round(v).toLocaleString('en-US'));
const pct = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : `${Math.round(v * 100)}%`);

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export function throughputMarkdown(r: ThroughputResult): string {
  const names = r.config.scenarios;
  const col = (f: (name: ScenarioName) => string): string[] => names.map(f);
  const s = (name: ScenarioName) => r.scenarios[name]!;
  const rowNoun = (name: ScenarioName) => (name === 'collector-metrics' ? 'metric points/s' : name === 'collector-logs' ? 'log records/s' : 'rows/s');
  type Mem = NonNullable<ReturnType<typeof s>['server']['memoryWindow']>;
  const mem = (x: ScenarioName, f: (m: Mem) => string) => {
    const m = s(x).server.memoryWindow;
    return m ? f(m) : '-';
  };
  const scenarioRows: [string, ...string[]][] = [
    ['load', ...col((x) => `${s(x).config.clients} clients, ${s(x).config.ratePerSecond === 'back to back' ? 'back to back' : `${n(Number(s(x).config.ratePerSecond))} req/s offered`}, ${s(x).config.requests} bodies of ${n(s(x).config.bodyBytes.min)}-${n(s(x).config.bodyBytes.max)} B, ${s(x).config.rowsPerRequest} rows each`)],
    ['requests/s', ...col((x) => n(s(x).throughput.requestsPerSecond))],
    ['rows/s acknowledged', ...col((x) => `${n(s(x).throughput.rowsPerSecond)} ${rowNoun(x)}`)],
    ['rows/s committed (between commits in the window)', ...col((x) => n(s(x).throughput.committedRowsPerSecond))],
    ['rows/s sustained (the lower of the two)', ...col((x) => n(s(x).throughput.sustainedRowsPerSecond))],
    ['rows acknowledged, not yet committed at load end', ...col((x) => n(s(x).throughput.uncommittedRowsAtLoadEnd))],
    ['OTLP MiB/s', ...col((x) => String(s(x).throughput.otlpMiBPerSecond))],
    ['ack latency p50 / p99 / max', ...col((x) => `${s(x).ackLatencyMs.p50} / ${s(x).ackLatencyMs.p99} / ${s(x).ackLatencyMs.max} ms`)],
    ['ack to visible p50 / p95 / max', ...col((x) => `${n(s(x).visibleMs.p50)} / ${n(s(x).visibleMs.p95)} / ${n(s(x).visibleMs.max)} ms (${s(x).visibleMs.count} probes${s(x).visibleMs.notVisibleWithin15s ? `, ${s(x).visibleMs.notVisibleWithin15s} not within 15 s` : ''})`)],
    ['server CPU', ...col((x) => `${s(x).server.coresBusyWindow} cores, ${s(x).server.cpuSecondsPerMillionRows} s per million rows`)],
    ['  main thread / all threads', ...col((x) => `${s(x).server.cpuSecondsByThreadWindow['main thread'] ?? 0} / ${s(x).server.cpuSecondsWindow} s`)],
    ['server event loop busy, delay max', ...col((x) => (s(x).server.eventLoop ? `${Math.round(s(x).server.eventLoop!.meanUtilization * 100)}%, ${s(x).server.eventLoop!.maxDelayMs} ms` : '-'))],
    ['RSS in window p50 / max', ...col((x) => `${s(x).server.rssWindowMiB.p50} / ${s(x).server.rssWindowMiB.max} MiB`)],
    ['peak RSS (VmHWM)', ...col((x) => `${s(x).server.peakRssMiB} MiB`)],
    ['  V8 heap used / reserved, max', ...col((x) => mem(x, (m) => `${m.heapUsedMiB.max} / ${m.heapTotalMiB.max} MiB`))],
    ['  Buffers (external), max', ...col((x) => mem(x, (m) => `${m.externalMiB.max} MiB`))],
    ['  native rest (DuckDB, code, stacks), p50 / max', ...col((x) => mem(x, (m) => `${m.nativeOtherMiB.p50} / ${m.nativeOtherMiB.max} MiB`))],
    ['OTLP bytes per row', ...col((x) => String(s(x).bytes.otlpBytesPerRow))],
    // The agent mix repeats a few captures, so its files hold the same rows many times over.
    ['Parquet bytes per row on disk', ...col((x) => `${s(x).bytes.parquetBytesPerRow}${x.startsWith('agent') ? ' (repeated captures)' : ''} (${s(x).bytes.parquetFiles} files, ${n(s(x).bytes.parquetRowsPerFile)} rows each)`)],
    ['drain at stop', ...col((x) => `${s(x).server.drainSeconds} s`)],
    ['non-200 answers in window', ...col((x) => `${s(x).requests.measuredNon200} of ${n(s(x).requests.measured)}`)],
    ['load generator CPU, loop delay p99', ...col((x) => `${s(x).client.cpuSecondsWindow} s, ${s(x).client.eventLoopDelayP99Ms} ms`)],
    ['other processes (cores)', ...col((x) => `${s(x).machineLoad.otherCoresWindow} (before: ${s(x).machineLoad.otherCoresBefore})`)],
    ['rows acknowledged = rows landed', ...col((x) => (s(x).verification.ok ? 'yes' : 'NO'))],
  ];
  const l = (name: ScenarioName) => r.limits[name]!;
  const rate = (v: { rowsPerSecond: number; otlpMiBPerSecond?: number } | undefined) =>
    v === undefined ? '-' : `${n(v.rowsPerSecond)}${v.otlpMiBPerSecond === undefined ? '' : ` (${v.otlpMiBPerSecond} MiB/s)`}`;
  const pq = (x: ScenarioName) => l(x).parquet;
  const limitRows: [string, ...string[]][] = [
    ['protobufjs decode only, rows/s (1 thread)', ...col((x) => rate(l(x).decode.decodeOnly))],
    ['decode + render NDJSON, rows/s (1 thread)', ...col((x) => rate(l(x).decode.decodeRender))],
    ['NDJSON bytes per row (staged)', ...col((x) => String(l(x).decode.ndjsonBytesPerRow))],
    ['DuckDB: load NDJSON into memory, rows/s', ...col((x) => rate(pq(x)?.loadNdjson))],
    ['DuckDB: COPY from memory to zstd Parquet, rows/s', ...col((x) => rate(pq(x)?.copyToParquet))],
    ['writeParquet (COPY streamed from NDJSON + stats read back + fsync), rows/s', ...col((x) => (pq(x) ? `${n(pq(x)!.writeParquet.rowsPerSecond)} (${pq(x)!.writeParquet.cpuSecondsPerMillionRows} CPU s per million rows)` : '-'))],
    ['  test size', ...col((x) => (pq(x) ? `${n(pq(x)!.rows)} rows, ${pq(x)!.ndjsonMiB} MiB NDJSON` : '-'))],
    ['CPU-only ceiling on all cores, rows/s', ...col((x) => n(l(x).cpuCeilingRowsPerSecond))],
    ['other processes meanwhile (cores, all limits)', ...col(() => String(r.otherCoresDuringLimits))],
    ['end-to-end (sustained) / decode only', ...col((x) => pct(r.ratios[x]?.['endToEndOverDecodeOnly']))],
    ['end-to-end (sustained) / decode + render NDJSON', ...col((x) => pct(r.ratios[x]?.['endToEndOverFullRequestPath']))],
    ['end-to-end (sustained) / writeParquet', ...col((x) => pct(r.ratios[x]?.['endToEndOverWriteParquet']))],
    ['end-to-end (sustained) / CPU-only ceiling', ...col((x) => pct(r.ratios[x]?.['endToEndOverCpuCeiling']))],
  ];
  const header = ['measure', ...col((x) => LABEL[x])];
  const out = [
    `## Throughput (${r.date.slice(0, 19)}Z, ${r.machine.cpus} cpus, ${r.machine.cpuModel}, node ${r.machine.node})`,
    '',
    `Each scenario: a fresh server process, ${r.config.warmupMs / 1000} s warm-up, ${r.config.durationMs / 1000} s measured (Collector scenarios ${r.config.collectorDurationMs / 1000} s); clients re-send as soon as answered, except in the paced scenario (${n(r.config.agentRate)} req/s offered in total). ` +
      `A marked probe request every ${r.config.probeIntervalMs} ms (each after the previous one's 200) times ack to visible: the first Delta commit whose stats reach its marker.`,
    '',
    ...table(header, scenarioRows),
    '',
    '### Limits measured in the same run (in process, same bodies)',
    '',
    ...table(header, limitRows),
    '',
  ];
  for (const name of names) {
    const p = s(name).profile;
    if (!p) continue;
    out.push(`### Server main-thread profile, ${LABEL[name]} (measured window)`, '', '```', p.text.trim().split('\n').slice(0, 34).join('\n'), '```', '');
  }
  return out.join('\n');
}

export function writeThroughput(r: ThroughputResult): { json: string; md: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = path.join(RESULTS_DIR, 'throughput.json');
  const md = path.join(RESULTS_DIR, 'throughput.md');
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(md, throughputMarkdown(r));
  return { json, md };
}

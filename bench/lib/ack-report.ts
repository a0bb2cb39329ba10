// Renders ack-latency results as a markdown table and writes them, with the
// full JSON, under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AckLatencyResult } from '../ack-latency.ts';
import { REPO_ROOT } from './server-child.ts';

export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

export function toMarkdown(r: AckLatencyResult): string {
  const l = r.latencyMs;
  const rows: [string, string][] = [
    ['clients (keep-alive)', String(r.config.clients)],
    ['window', `${r.config.durationSeconds} s after ${r.config.warmupSeconds} s warm-up`],
    ['offered load', r.config.ratePerSecond === 'back to back' ? 'back to back (each client re-sends on its answer)' : `${r.config.ratePerSecond} requests/s in total`],
    ['request mix', `${r.config.requestMix.length} agent captures, ${Math.min(...r.config.requestMix.map((m) => m.bytes))}-${Math.max(...r.config.requestMix.map((m) => m.bytes))} bytes`],
    ['ack latency p50', `${l.p50} ms`],
    ['ack latency p90', `${l.p90} ms`],
    ['ack latency p99', `${l.p99} ms (target < ${r.target.p99Ms} ms: ${r.target.met ? 'met' : 'NOT met'})`],
    ['ack latency max', `${l.max} ms`],
    ['requests/s', String(r.throughput.requestsPerSecond)],
    ['rows/s', String(r.throughput.rowsPerSecond)],
    ['errors (non-200)', `${r.requests.measuredNon200} of ${r.requests.measured}`],
    ['server CPU in window', `${r.server.cpuSecondsWindow} s (${r.server.coresBusyWindow} cores, ${r.server.cpuMsPerRequest} ms per request)`],
    ['  of which main thread', `${r.server.cpuSecondsByThreadWindow['main thread'] ?? 0} s`],
    ...(r.server.eventLoop
      ? ([
          [
            '  server event loop',
            `busy ${Math.round(r.server.eventLoop.meanUtilization * 100)}%, delay max ${r.server.eventLoop.maxDelayMs} ms, ${r.server.eventLoop.intervalsWithDelayOver50Ms} of ${r.server.eventLoop.intervals} 250 ms intervals held up >= 50 ms`,
          ],
        ] as [string, string][])
      : []),
    ['server peak RSS', `${r.server.peakRssMiB} MiB`],
    ['load generator CPU', `${r.client.cpuSecondsWindow} s (${r.client.coresBusyWindow} cores), loop delay p99 ${r.client.eventLoopDelayMs.p99} ms`],
    ['other processes in window', `${r.machineLoad.otherCoresWindow} cores (before start: ${r.machineLoad.otherCoresBefore})`],
    ['rows acknowledged = rows landed', r.verification.ok ? 'yes' : 'NO'],
  ];
  const machine = `${r.machine.cpus} cpus, ${r.machine.cpuModel}, node ${r.machine.node}`;
  return [
    `## Acknowledgement latency (${r.date.slice(0, 19)}Z, ${machine})`,
    '',
    '| measure | value |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '| request | bytes | p50 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...r.latencyByRequestMs.map((q) => `| ${q.id} | ${q.bytes} | ${q.p50} | ${q.p99} | ${q.max} |`),
    '',
    '| table | rows acknowledged | rows landed | files |',
    '| --- | ---: | ---: | ---: |',
    ...r.verification.tables.map((t) => `| ${t.table} | ${t.acknowledgedRows} | ${t.landedRows} | ${t.files} |`),
    '',
  ].join('\n');
}

export function writeResults(r: AckLatencyResult): { json: string; md: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = path.join(RESULTS_DIR, 'ack-latency.json');
  const md = path.join(RESULTS_DIR, 'ack-latency.md');
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(md, toMarkdown(r));
  return { json, md };
}

// The performance targets against one `npm run bench`'s results, written as bench/results/summary.{json,md}.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AckLatencyResult } from '../ack-latency.ts';
import type { ScenarioName, ThroughputResult } from '../throughput.ts';
import { RESULTS_DIR } from './ack-report.ts';
import { LABEL } from './throughput-report.ts';

export type Check = { scenario: string; measure: string; target: string; measured: string; met?: boolean };

/** The performance targets. "400 MB" is taken as 400 * 10^6 bytes, the stricter reading. */
export const TARGETS = {
  metricPointsPerSecond: 150_000,
  logRecordsPerSecond: 100_000,
  endToEndOverDecodeOnly: 0.5,
  agentRequestsPerSecond: 3_000,
  ackP99Ms: 50,
  visibleP95Ms: 2_000,
  steadyRssBytes: 400e6,
} as const;

const n = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');
const MIB = 1024 * 1024;

export function buildSummary(ack: AckLatencyResult | undefined, tp: ThroughputResult | undefined) {
  const checks: Check[] = [];
  const info: Check[] = [];
  const add = (list: Check[], scenario: string, measure: string, target: string, measured: string, met?: boolean) =>
    list.push({ scenario, measure, target, measured, ...(met === undefined ? {} : { met }) });
  const sc = (name: ScenarioName) => tp?.scenarios[name];

  const collector: [ScenarioName, string, number][] = [
    ['collector-metrics', 'metric points/s end to end', TARGETS.metricPointsPerSecond],
    ['collector-logs', 'log records/s end to end', TARGETS.logRecordsPerSecond],
  ];
  for (const [name, measure, target] of collector) {
    const s = sc(name);
    if (!s) continue;
    const t = s.throughput;
    add(checks, LABEL[name], measure, `>= ${n(target)}`, `${n(t.sustainedRowsPerSecond)} (acknowledged ${n(t.rowsPerSecond)}, committed ${n(t.committedRowsPerSecond)})`, t.sustainedRowsPerSecond >= target);
    const ratio = tp!.ratios[name]?.['endToEndOverDecodeOnly'] ?? NaN;
    const decodeOnly = tp!.limits[name]!.decode.decodeOnly.rowsPerSecond;
    add(checks, LABEL[name], 'end to end / protobufjs decode only', `>= ${TARGETS.endToEndOverDecodeOnly * 100}%`, `${Number.isFinite(ratio) ? `${Math.round(ratio * 100)}%` : '-'} (decode only: ${n(decodeOnly)} rows/s)`, ratio >= TARGETS.endToEndOverDecodeOnly);
  }
  const agent = sc('agent');
  if (agent) {
    add(checks, LABEL.agent, 'requests/s, clients back to back', `>= ${n(TARGETS.agentRequestsPerSecond)}`, n(agent.throughput.requestsPerSecond), agent.throughput.requestsPerSecond >= TARGETS.agentRequestsPerSecond);
  }
  // p99 at the target rate: paced, because 200 clients back to back queue by construction
  // (Little's law: mean latency = clients / throughput, 67 ms at 3,000 req/s).
  const paced = sc('agent-paced');
  if (paced) {
    const offered = Number(paced.config.ratePerSecond);
    const held = paced.throughput.requestsPerSecond >= 0.97 * offered;
    add(
      checks,
      LABEL['agent-paced'],
      `ack latency p99 at ${n(offered)} req/s offered`,
      `< ${TARGETS.ackP99Ms} ms`,
      `${paced.ackLatencyMs.p99} ms (p50 ${paced.ackLatencyMs.p50} ms) at ${n(paced.throughput.requestsPerSecond)} req/s${held ? '' : ', rate not held'}`,
      held && paced.ackLatencyMs.p99 < TARGETS.ackP99Ms,
    );
  }
  if (ack) {
    const cfg = `${ack.config.clients} clients, ${ack.config.ratePerSecond === 'back to back' ? 'back to back' : `${ack.config.ratePerSecond} req/s`}`;
    add(checks, `ack-latency benchmark (${cfg})`, 'ack latency p99', `< ${TARGETS.ackP99Ms} ms`, `${ack.latencyMs.p99} ms at ${n(ack.throughput.requestsPerSecond)} req/s (p50 ${ack.latencyMs.p50} ms)`, ack.latencyMs.p99 < TARGETS.ackP99Ms);
  }
  for (const name of tp?.config.scenarios ?? []) {
    const s = sc(name)!;
    const p95 = s.visibleMs.p95;
    const allSeen = s.visibleMs.notVisibleWithin15s === 0 && s.visibleMs.count > 0;
    add(checks, LABEL[name], 'ack to visible in the table p95', `< ${TARGETS.visibleP95Ms / 1000} s`, `${n(p95)} ms (p50 ${n(s.visibleMs.p50)} ms)`, allSeen && p95 < TARGETS.visibleP95Ms);
  }
  for (const name of tp?.config.scenarios ?? []) {
    const s = sc(name)!;
    const max = s.server.rssWindowMiB.max;
    add(checks, LABEL[name], 'steady RSS (largest sample in the window)', '< 400 MB', `${Math.round((max * MIB) / 1e6)} MB (p50 ${Math.round((s.server.rssWindowMiB.p50 * MIB) / 1e6)} MB)`, max * MIB < TARGETS.steadyRssBytes);
  }
  for (const name of tp?.config.scenarios ?? []) {
    const s = sc(name)!;
    const l = tp!.limits[name]!;
    add(info, LABEL[name], 'requests/s, rows/s, OTLP MiB/s', '', `${n(s.throughput.requestsPerSecond)}, ${n(s.throughput.rowsPerSecond)}, ${s.throughput.otlpMiBPerSecond}`);
    add(info, LABEL[name], 'ack latency p50 / p99', '', `${s.ackLatencyMs.p50} / ${s.ackLatencyMs.p99} ms`);
    add(info, LABEL[name], 'peak RSS (VmHWM)', '', `${Math.round((s.server.peakRssMiB * MIB) / 1e6)} MB`);
    add(info, LABEL[name], 'server CPU seconds per million rows', '', `${s.server.cpuSecondsPerMillionRows} (${s.server.coresBusyWindow} cores busy)`);
    // Agent files repeat a handful of captures, so only the Collector batches give a fair Parquet size.
    if (!name.startsWith('agent')) add(info, LABEL[name], 'Parquet bytes per row on disk vs OTLP bytes per row', '', `${s.bytes.parquetBytesPerRow} vs ${s.bytes.otlpBytesPerRow}`);
    add(info, LABEL[name], 'other processes on the machine meanwhile', '', `${s.machineLoad.otherCoresWindow} cores`);
    if (name === 'agent-paced') continue; // same bodies and limits as the back-to-back run
    add(info, LABEL[name], 'in process: decode only / decode+render NDJSON, rows/s', '', `${n(l.decode.decodeOnly.rowsPerSecond)} / ${n(l.decode.decodeRender.rowsPerSecond)}`);
    if (l.parquet) add(info, LABEL[name], 'DuckDB from memory: COPY to zstd Parquet / whole writeParquet, rows/s', '', `${n(l.parquet.copyToParquet.rowsPerSecond)} / ${n(l.parquet.writeParquet.rowsPerSecond)}`);
  }
  if (ack) add(info, 'ack-latency benchmark', 'other processes on the machine meanwhile', '', `${ack.machineLoad.otherCoresWindow} cores`);

  // The machine may be shared: name the parts of the run other processes took cores from.
  const busy: string[] = [];
  const SHARED_CORES = 0.25;
  if (ack && ack.machineLoad.otherCoresWindow > SHARED_CORES) busy.push(`ack-latency ${ack.machineLoad.otherCoresWindow}`);
  for (const name of tp?.config.scenarios ?? []) {
    const other = sc(name)!.machineLoad.otherCoresWindow;
    if (other > SHARED_CORES) busy.push(`${LABEL[name]} ${other}`);
  }
  if (tp && tp.otherCoresDuringLimits > SHARED_CORES) busy.push(`in-process limits ${tp.otherCoresDuringLimits}`);

  const rowsOk = (tp?.ok ?? true) && (ack?.verification.ok ?? true);
  const machine = tp?.machine ?? ack?.machine;
  return { date: new Date().toISOString(), machine, targetsMet: checks.filter((c) => c.met).length, targets: checks.length, rowsAcknowledgedEqualLanded: rowsOk, otherProcessCores: busy, checks, info };
}

export type Summary = ReturnType<typeof buildSummary>;

export function summaryMarkdown(s: Summary): string {
  const m = s.machine;
  const row = (c: Check) => `| ${c.scenario} | ${c.measure} | ${c.target || '-'} | ${c.measured} | ${c.met === undefined ? '' : c.met ? 'met' : '**not met**'} |`;
  return [
    `## Benchmark summary (${s.date.slice(0, 19)}Z${m ? `, ${m.cpus} cpus, ${m.cpuModel}, node ${m.node}` : ''})`,
    '',
    `${s.targetsMet} of ${s.targets} targets met; every acknowledged row landed exactly: ${s.rowsAcknowledgedEqualLanded ? 'yes' : 'NO'}.`,
    '',
    ...(s.otherProcessCores.length > 0 ? [`Other processes took cores during part of the run (${s.otherProcessCores.join(', ')} cores), so those figures are lower than on a quiet machine.`, ''] : []),
    '| scenario | measure | target | measured | met |',
    '| --- | --- | --- | --- | --- |',
    ...s.checks.map(row),
    ...s.info.map(row),
    '',
  ].join('\n');
}

export function writeSummary(s: Summary): { json: string; md: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = path.join(RESULTS_DIR, 'summary.json');
  const md = path.join(RESULTS_DIR, 'summary.md');
  writeFileSync(json, `${JSON.stringify(s, null, 2)}\n`);
  writeFileSync(md, summaryMarkdown(s));
  return { json, md };
}

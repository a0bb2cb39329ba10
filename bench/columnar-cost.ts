// CPU per row from Collector-size protobuf bodies to one zstd Parquet file,
// three ways, in one process: protobufjs decode only; the reference path
// (decode, render NDJSON, DuckDB read_ndjson COPY, stats query read back);
// and the columnar path (wire decode into column buffers, hand-off through a table function,
// COPY, stats from the filler). CPU is the process's, all threads (DuckDB's
// included), so it is what a flush takes from the machine.
// Usage: npx tsx bench/columnar-cost.ts [logs|metrics|spans] [--bodies N] [--rounds N] (every kind by default)
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { columnarWriterFor } from '../src/columnar/fillers.ts';
import { openDuckDb } from '../src/duckdb/db.ts';
import { SIGNAL_TYPES } from '../src/otlp/schema.ts';
import type { ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest } from '../src/otlp/types.ts';
import { writeParquet } from '../src/parquet/write.ts';
import { renderLogs } from '../src/tables/render/logs.ts';
import { renderMetrics } from '../src/tables/render/metrics.ts';
import { renderSpans } from '../src/tables/render/spans.ts';
import { schemaFor } from '../src/tables/schema.ts';
import { collectorRequests } from './lib/collector-batches.ts';
import { collectorSpanBodies } from './lib/collector-spans.ts';
import { round } from './lib/stats.ts';

type Measured = { cpuUs: number; wallMs: number };

async function measure(rows: number, fn: () => Promise<void> | void): Promise<Measured> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / rows, wallMs: performance.now() - t };
}

type Kind = 'logs' | 'metrics' | 'spans';
const KINDS: readonly Kind[] = ['logs', 'metrics', 'spans'];
const SIGNAL = { logs: 'logs', metrics: 'metrics', spans: 'traces' } as const;

const RENDER = {
  logs: (b: Uint8Array) => renderLogs(SIGNAL_TYPES.logs.request.decode(b) as unknown as ExportLogsServiceRequest).ndjson as Buffer,
  metrics: (b: Uint8Array) => renderMetrics(SIGNAL_TYPES.metrics.request.decode(b) as unknown as ExportMetricsServiceRequest).ndjson as Buffer,
  spans: (b: Uint8Array) => renderSpans(SIGNAL_TYPES.traces.request.decode(b) as unknown as ExportTraceServiceRequest).ndjson as Buffer,
};

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { bodies: { type: 'string' }, rounds: { type: 'string' } } });
  const kinds = (positionals.length > 0 ? positionals : KINDS) as Kind[];
  for (const kind of kinds) {
    if (!KINDS.includes(kind)) throw new Error(`unknown kind ${kind}: ${KINDS.join(', ')}`);
    await measureKind(kind, Number(values.bodies ?? 20), Number(values.rounds ?? 5));
  }
  return 0;
}

async function measureKind(kind: Kind, bodiesPerFile: number, rounds: number): Promise<void> {
  // A flush's worth, as the service writes files of 30-45k rows.
  const bodies = kind === 'spans' ? collectorSpanBodies(bodiesPerFile, 2000) : collectorRequests(kind, bodiesPerFile, 2000).map((r) => r.body);
  const rows = bodiesPerFile * 2000;
  const writer = columnarWriterFor(kind);
  // One DuckDB thread, as the ingest instance has on two cores.
  const db = await openDuckDb({ threads: 1 });
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'columnar-cost-'));
  const type = SIGNAL_TYPES[SIGNAL[kind]].request;
  const results: Record<string, Measured[]> = { decode: [], reference: [], columnar: [] };
  try {
    for (let i = 0; i < rounds + 1; i++) {
      const decode = await measure(rows, () => {
        for (const b of bodies) type.decode(b);
      });
      const reference = await measure(rows, async () => {
        const parts: Buffer[] = [];
        for (const b of bodies) parts.push(RENDER[kind](b));
        const file = path.join(dir, `${i}.ndjson`);
        await fsp.writeFile(file, Buffer.concat(parts));
        await writeParquet(db, schemaFor(kind), file, path.join(dir, `${i}.ref.parquet`));
      });
      const columnar = await measure(rows, async () => {
        const c = writer.newColumns();
        for (const b of bodies) writer.fill(c, b);
        await writer.write(db, c, path.join(dir, `${i}.col.parquet`));
      });
      // The first round warms the JIT and DuckDB up.
      if (i === 0) continue;
      results.decode!.push(decode);
      results.reference!.push(reference);
      results.columnar!.push(columnar);
    }
  } finally {
    db.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  process.stdout.write(`## Columnar write path, collector ${kind} (${rows.toLocaleString('en-US')} rows per file, median of ${rounds}, node ${process.execArgv.join(' ') || '(no flags)'})\n\n`);
  process.stdout.write('| path | CPU µs per row (all threads) | wall ms per file |\n| --- | ---: | ---: |\n');
  for (const [name, ms] of Object.entries(results)) {
    process.stdout.write(`| ${name} | ${round(median(ms.map((m) => m.cpuUs)))} | ${round(median(ms.map((m) => m.wallMs)))} |\n`);
  }
  process.stdout.write('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));

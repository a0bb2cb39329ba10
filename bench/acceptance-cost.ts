// What a Collector-size batch costs from accepted request to Parquet file, in
// process, three ways: today's (decode and render each request to NDJSON,
// write it as staging would, copy it out as the commit does, DuckDB
// read_ndjson COPY); filling the columnar buffers as each request arrives and
// staging the body as sent, then the columnar writer; and the same with each
// body decoded by protobufjs first, as the answer's validation would need
// (the filler reads some bodies that decoding refuses). CPU per row over all
// threads and event-loop time per row, median of 7 rounds after one warm-up.
// No fsync and no HTTP: only the parts that differ.
// Usage: node --max-semi-space-size=32 --import tsx bench/acceptance-cost.ts [logs|metrics|spans]
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { columnarWriterFor } from '../src/columnar/fillers.ts';
import { openDuckDb, type Db } from '../src/duckdb/db.ts';
import { encodeRequest } from '../src/ingest/encode.ts';
import { decodeRequest } from '../src/otlp/codec.ts';
import { writeParquet } from '../src/parquet/write.ts';
import { DEFAULT_CAPS } from '../src/tables/render/job.ts';
import { schemaFor } from '../src/tables/schema.ts';
import { collectorRequests } from './lib/collector-batches.ts';
import { collectorSpanBodies } from './lib/collector-spans.ts';
import { round } from './lib/stats.ts';

type Kind = 'logs' | 'metrics' | 'spans';
const KINDS: readonly Kind[] = ['logs', 'metrics', 'spans'];
const SIGNAL = { logs: 'logs', metrics: 'metrics', spans: 'traces' } as const;
const ROUNDS = 7;
type Measured = { cpuUs: number; loopUs: number };

async function measure(rows: number, fn: () => Promise<void>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const loop = performance.eventLoopUtilization();
  await fn();
  const used = process.cpuUsage(cpu);
  const busy = performance.eventLoopUtilization(loop);
  return { cpuUs: (used.user + used.system) / rows, loopUs: (busy.active * 1000) / rows };
}

async function measureKind(kind: Kind): Promise<void> {
  const signal = SIGNAL[kind];
  const bodies = kind === 'spans' ? collectorSpanBodies(20, 2000) : collectorRequests(kind, 20, 2000).map((r) => r.body);
  const rows = bodies.length * 2000;
  const writer = columnarWriterFor(kind);
  // One DuckDB thread, as the ingest instance has on two cores.
  const db: Db = await openDuckDb({ threads: 1 });
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'acceptance-cost-'));
  const file = (i: number, what: string) => path.join(dir, `${i}.${what}`);
  const ways: Record<string, (i: number) => Promise<void>> = {
    today: async (i) => {
      const staged = await fsp.open(file(i, 'wal'), 'w');
      for (const body of bodies) {
        const r = await encodeRequest({ signal, encoding: 'protobuf', body }, DEFAULT_CAPS);
        if (r.ndjson) await staged.write(r.ndjson);
      }
      await staged.close();
      await fsp.writeFile(file(i, 'load.ndjson'), await fsp.readFile(file(i, 'wal')));
      await writeParquet(db, schemaFor(kind), file(i, 'load.ndjson'), file(i, 'today.parquet'));
    },
    'filled on arrival': async (i) => {
      const staged = await fsp.open(file(i, 'pb.wal'), 'w');
      const c = writer.newColumns();
      for (const body of bodies) {
        writer.fill(c, body, undefined, false, { principal: undefined });
        await staged.write(body);
      }
      await staged.close();
      await writer.write(db, c, file(i, 'filled.parquet'));
    },
    'decoded, then filled on arrival': async (i) => {
      const staged = await fsp.open(file(i, 'pb2.wal'), 'w');
      const c = writer.newColumns();
      for (const body of bodies) {
        decodeRequest(signal, body, 'protobuf');
        writer.fill(c, body, undefined, false, { principal: undefined });
        await staged.write(body);
      }
      await staged.close();
      await writer.write(db, c, file(i, 'checked.parquet'));
    },
  };
  const results: Record<string, Measured[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  try {
    for (let i = 0; i <= ROUNDS; i++) {
      for (const [name, way] of Object.entries(ways)) {
        const m = await measure(rows, () => way(i));
        // The first round warms the JIT and DuckDB up.
        if (i > 0) results[name]!.push(m);
      }
    }
  } finally {
    db.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const spread = (xs: number[]) => `${round(Math.min(...xs))}-${round(Math.max(...xs))}`;
  process.stdout.write(`## Accepted request to Parquet, collector ${kind} (${rows.toLocaleString('en-US')} rows, median of ${ROUNDS})\n\n`);
  process.stdout.write('| way | CPU µs per row (all threads) | range | event-loop µs per row |\n| --- | ---: | ---: | ---: |\n');
  for (const [name, ms] of Object.entries(results)) {
    const cpu = ms.map((m) => m.cpuUs);
    process.stdout.write(`| ${name} | ${round(median(cpu))} | ${spread(cpu)} | ${round(median(ms.map((m) => m.loopUs)))} |\n`);
  }
  process.stdout.write('\n');
}

export async function main(argv: string[]): Promise<number> {
  const kinds = (argv.length > 0 ? argv : KINDS) as Kind[];
  for (const kind of kinds) {
    if (!KINDS.includes(kind)) throw new Error(`unknown kind ${kind}: ${KINDS.join(', ')}`);
    await measureKind(kind);
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));

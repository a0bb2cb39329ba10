// Times the background flush the server runs every interval: one second's worth
// of staged agent rows per table turned into a Parquet file by DuckDB. Reports
// wall time and the CPU it takes from the cores the event loop also needs.
// It then stages (write + fdatasync) while every table flushes, all at once and
// one at a time as the server does, to show how long an acknowledgement waits.
// Usage: npx tsx bench/flush-cost.ts [--rate REQUESTS_PER_S] [--repeat N]
import { open, writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { coresBesideEventLoop } from '../src/cli/service.ts';
import { openDuckDb, type Db } from '../src/duckdb/db.ts';
import { Lane } from '../src/ingest/lane.ts';
import { SIGNALS } from '../src/ingest/signals.ts';
import { parseContentType } from '../src/http/content-type.ts';
import { decodeRequest } from '../src/otlp/codec.ts';
import { writeParquet } from '../src/parquet/write.ts';
import { rowsToNdjson } from '../src/tables/ndjson.ts';
import type { FlattenResult } from '../src/tables/row.ts';
import { schemaFor } from '../src/tables/schema.ts';
import { agentRequests, type BenchRequest } from './lib/captures.ts';
import { round, summarize } from './lib/stats.ts';

type Flatten = (req: unknown) => FlattenResult;

function ndjsonOf(r: BenchRequest): string {
  const decoded = decodeRequest(r.signal, r.body, parseContentType(r.headers['content-type']));
  return rowsToNdjson((SIGNALS[r.signal].flatten as unknown as Flatten)(decoded).rows);
}

/** Sequential 10 KB write + fdatasync (a group commit's worth) until `until` settles, or `count` times. */
async function stageLoop(file: string, until: Promise<unknown> | undefined, count: number): Promise<Float64Array> {
  const fh = await open(file, 'w');
  const buf = Buffer.alloc(10 * 1024, 0x61);
  const times: number[] = [];
  let done = until === undefined;
  void until?.finally(() => (done = true));
  try {
    // Bounded either way: by the flush finishing or by the count.
    for (let i = 0; i < 100_000 && (until ? !done : i < count); i++) {
      const a = performance.now();
      await fh.write(buf, 0, buf.length, i * buf.length);
      await fh.datasync();
      times.push(performance.now() - a);
    }
  } finally {
    await fh.close();
  }
  return Float64Array.from(times);
}

const fmt = (label: string, t: Float64Array): string => {
  const s = summarize(t);
  return `| ${label} | ${s.count} | ${round(s.p50)} | ${round(s.p99)} | ${round(s.max)} |`;
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rate: { type: 'string' }, repeat: { type: 'string' } } });
  const rate = Math.max(1, Math.min(100_000, Number(values.rate ?? 1000)));
  const repeat = Math.max(1, Math.min(20, Number(values.repeat ?? 3)));
  const requests = agentRequests();
  // Round-robin over the mix: each request is sent rate / mix-size times a second.
  const copies = Math.max(1, Math.round(rate / requests.length));
  const byTable = new Map<string, { signal: 'metrics' | 'logs'; parts: string[]; rows: number }>();
  for (const r of requests) {
    const t = byTable.get(r.table) ?? { signal: r.signal, parts: [], rows: 0 };
    t.parts.push(ndjsonOf(r).repeat(copies));
    t.rows += r.rows * copies;
    byTable.set(r.table, t);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-flush-'));
  const db = await openDuckDb();
  const lines = [
    `one flush interval (1 s) of staged rows at ${rate} requests/s of the agent mix, best of ${repeat}`,
    '',
    '| table | rows | NDJSON MiB | wall ms | process CPU ms |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  let wallSum = 0;
  let cpuSum = 0;
  try {
    for (const [table, t] of byTable) {
      const ndjson = path.join(dir, `${table}.ndjson`);
      const text = t.parts.join('');
      await writeFile(ndjson, text);
      let best = { wall: Infinity, cpu: Infinity };
      for (let i = 0; i < repeat; i++) {
        const out = path.join(dir, `${table}-${i}.parquet`);
        const cpu0 = process.cpuUsage();
        const w0 = performance.now();
        await writeParquet(db, schemaFor(t.signal), ndjson, out);
        const wall = performance.now() - w0;
        const c = process.cpuUsage(cpu0);
        const cpu = (c.user + c.system) / 1000;
        if (wall < best.wall) best = { wall, cpu };
        await rm(out, { force: true });
      }
      wallSum += best.wall;
      cpuSum += best.cpu;
      lines.push(`| ${table} | ${t.rows} | ${round(Buffer.byteLength(text) / 1048576, 2)} | ${round(best.wall, 1)} | ${round(best.cpu, 1)} |`);
    }
    const stageFile = path.join(dir, 'stage.ndjson');
    const quiet = await stageLoop(stageFile, undefined, 200);
    // Every table's flush of one interval, on `on`, through `lane` if given (as the server does) or all at once.
    const flushAll = (on: Db, tag: string, lane?: Lane) =>
      Promise.all(
        [...byTable].map(([table, t]) => {
          const job = () => writeParquet(on, schemaFor(t.signal), path.join(dir, `${table}.ndjson`), path.join(dir, `${table}-${tag}.parquet`));
          return lane ? lane.run(job) : job();
        }),
      );
    const timed = async (flushing: Promise<unknown>) => {
      const f0 = performance.now();
      const during = await stageLoop(stageFile, flushing, 0);
      await flushing;
      return { during, ms: performance.now() - f0 };
    };
    const together = await timed(flushAll(db, 'all'));
    const threads = coresBesideEventLoop();
    const serverDb = await openDuckDb({ threads });
    let inTurn;
    try {
      inTurn = await timed(flushAll(serverDb, 'lane', new Lane()));
    } finally {
      serverDb.close();
    }
    lines.push(
      '',
      `staging while the ${byTable.size} tables flush: all together with DuckDB's default threads (${round(together.ms, 0)} ms), ` +
        `or one at a time with ${threads} DuckDB thread(s), as the server does (${round(inTurn.ms, 0)} ms); ` +
        `libuv pool size ${process.env['UV_THREADPOOL_SIZE'] ?? '4 (default)'}`,
      '',
      '| 10 KB write + fdatasync | count | p50 ms | p99 ms | max ms |',
      '| --- | ---: | ---: | ---: | ---: |',
      fmt('no flush running', quiet),
      fmt('during the flush, all tables together', together.during),
      fmt('during the flush, one table at a time', inTurn.during),
    );
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
  lines.push(
    '',
    `per second of traffic: ${round(wallSum, 0)} ms wall, ${round(cpuSum, 0)} ms CPU (all threads) = ${round(cpuSum / rate, 3)} ms CPU per request`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`flush-cost: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});

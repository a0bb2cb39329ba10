// In-process limits for the same bodies: protobufjs decode, decode + NDJSON rendering, DuckDB Parquet write.
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDuckDb } from '../../src/duckdb/db.ts';
import { parseContentType } from '../../src/http/content-type.ts';
import { SIGNALS } from '../../src/ingest/signals.ts';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { lineBytesBound, readNdjsonSql, writeParquet } from '../../src/parquet/write.ts';
import type { RenderResult } from '../../src/tables/render/common.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import type { BenchRequest } from './captures.ts';
import { round } from './stats.ts';

type Render = (req: unknown) => RenderResult;
const renderOf = (r: BenchRequest) => SIGNALS[r.signal].render as unknown as Render;
const decode = (r: BenchRequest) => decodeRequest(r.signal, r.body, parseContentType(r.headers['content-type']));

export type Rate = { requestsPerSecond: number; rowsPerSecond: number; otlpMiBPerSecond: number; iterations: number };

/** Round-robin over the bodies for `ms` after a short warm-up; bounded in count too. */
function timeLoop(requests: BenchRequest[], ms: number, step: (r: BenchRequest) => void): Rate {
  const warmUntil = performance.now() + Math.min(500, ms / 4);
  for (let i = 0; i < 100_000 && performance.now() < warmUntil; i++) step(requests[i % requests.length]!);
  let rows = 0;
  let bytes = 0;
  let n = 0;
  const t0 = performance.now();
  const until = t0 + ms;
  for (; n < 5_000_000 && performance.now() < until; n++) {
    const r = requests[n % requests.length]!;
    step(r);
    rows += r.rows;
    bytes += r.body.length;
  }
  const s = (performance.now() - t0) / 1000;
  return { requestsPerSecond: round(n / s, 1), rowsPerSecond: Math.round(rows / s), otlpMiBPerSecond: round(bytes / s / 1048576, 2), iterations: n };
}

/** Decode-only and full request-path rates, one thread (the server's event loop does this work). */
export function decodeRates(requests: BenchRequest[], ms: number) {
  // Calls this large are never optimised away, so results need no sink.
  const decodeOnly = timeLoop(requests, ms, (r) => void decode(r));
  const fullPath = timeLoop(requests, ms, (r) => void renderOf(r)(decode(r)));
  const ndjsonBytes = requests.reduce((n, r) => n + (renderOf(r)(decode(r)).ndjson?.length ?? 0), 0);
  const rows = requests.reduce((n, r) => n + r.rows, 0);
  return { decodeOnly, decodeRender: fullPath, ndjsonBytesPerRow: round(ndjsonBytes / rows, 1) };
}

type Timed = { wallSeconds: number; cpuSeconds: number };

async function timed(fn: () => Promise<unknown>): Promise<Timed> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(cpu0);
  return { wallSeconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
}

const best = (xs: Timed[]): Timed => xs.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));

/**
 * DuckDB's side for about `targetRows` rows of these bodies (one flush
 * interval's worth at the target rate): loading the staged NDJSON into a temp
 * table and COPY of that in-memory table to zstd Parquet (the two halves of
 * the work, measured apart), and the server's whole writeParquet (COPY
 * streamed from the NDJSON, stats read back from the file, fsync). Best of `repeat`.
 */
export async function parquetRates(requests: BenchRequest[], targetRows: number, repeat = 2) {
  const signal = requests[0]!.signal;
  const schema = schemaFor(SIGNALS[signal].tableKind);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-parquet-rate-'));
  const db = await openDuckDb();
  try {
    const ndjsonPath = path.join(dir, 'segment.ndjson');
    const parts = requests.map((r) => renderOf(r)(decode(r)).ndjson ?? Buffer.alloc(0));
    let rows = 0;
    const fd = openSync(ndjsonPath, 'w');
    try {
      for (let i = 0; rows < targetRows && i < 100_000; i++) {
        writeSync(fd, parts[i % parts.length]!);
        rows += requests[i % requests.length]!.rows;
      }
    } finally {
      closeSync(fd);
    }
    const ndjsonBytes = (await stat(ndjsonPath)).size;
    const loads: Timed[] = [];
    const copies: Timed[] = [];
    const whole: Timed[] = [];
    let parquetBytes = 0;
    for (let i = 0; i < repeat; i++) {
      const conn = await db.connect();
      try {
        loads.push(await timed(() => conn.run(`CREATE TEMP TABLE staged AS SELECT * FROM ${readNdjsonSql(schema, ndjsonPath, lineBytesBound(ndjsonBytes))}`)));
        const out = path.join(dir, `copy-${i}.parquet`);
        copies.push(await timed(() => conn.run(`COPY staged TO '${out}' (FORMAT parquet, COMPRESSION zstd)`)));
        parquetBytes = (await stat(out)).size;
        await rm(out);
      } finally {
        conn.close();
      }
      const out = path.join(dir, `write-${i}.parquet`);
      whole.push(await timed(() => writeParquet(db, schema, ndjsonPath, out)));
      await rm(out);
    }
    const rate = (t: Timed) => ({ rowsPerSecond: Math.round(rows / t.wallSeconds), wallMs: Math.round(t.wallSeconds * 1000), cpuSecondsPerMillionRows: round((t.cpuSeconds / rows) * 1e6, 1) });
    const [l, c, w] = [best(loads), best(copies), best(whole)];
    return {
      rows,
      ndjsonMiB: round(ndjsonBytes / 1048576, 1),
      loadNdjson: rate(l),
      copyToParquet: rate(c),
      loadPlusCopy: rate({ wallSeconds: l.wallSeconds + c.wallSeconds, cpuSeconds: l.cpuSeconds + c.cpuSeconds }),
      writeParquet: rate(w),
      parquetBytesPerRow: round(parquetBytes / rows, 1),
    };
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export type ParquetRates = Awaited<ReturnType<typeof parquetRates>>;
export type DecodeRates = ReturnType<typeof decodeRates>;

/**
 * Rows/s the cores could carry if nothing but this CPU work ran: event-loop
 * work per row (one thread) plus DuckDB's flush work per row, shared over `cores`.
 * It leaves out HTTP, fsync and GC, so the real ceiling is lower.
 */
export function cpuCeiling(d: DecodeRates, p: ParquetRates, cores: number): number {
  const perRow = 1 / d.decodeRender.rowsPerSecond + p.writeParquet.cpuSecondsPerMillionRows / 1e6;
  return Math.round(cores / perRow);
}

// The harness the columnar differential tests share: one set of bodies
// through the reference (protobufjs decode, NDJSON render, DuckDB
// read_ndjson COPY, stats read back) and through a columnar filler and
// writer, with everything a reader or the Delta log sees compared.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, beforeAll, expect } from 'vitest';
import { fillLogs, LogColumns } from '../../src/columnar/logs-fill.ts';
import { writeLogColumns } from '../../src/columnar/logs-write.ts';
import { fillMetrics, MetricColumns } from '../../src/columnar/metrics-fill.ts';
import { writeMetricColumns } from '../../src/columnar/metrics-write.ts';
import { fillSpans, SpanColumns } from '../../src/columnar/spans-fill.ts';
import { writeSpanColumns } from '../../src/columnar/spans-write.ts';
import type { PrincipalStamp } from '../../src/columnar/scopes.ts';
import { stampPrincipal } from '../../src/access/identity.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { Signal } from '../../src/otlp/types.ts';
import type { WrittenFile } from '../../src/parquet/write.ts';
import { writeParquet } from '../../src/parquet/write.ts';
import type { Rejections } from '../../src/tables/reject.ts';
import type { RenderResult } from '../../src/tables/render/job.ts';
import { renderLogs } from '../../src/tables/render/logs.ts';
import { renderMetrics } from '../../src/tables/render/metrics.ts';
import { renderSpans } from '../../src/tables/render/spans.ts';
import { schemaFor, type TableKind } from '../../src/tables/schema.ts';
import { normalise, readGolden } from '../golden/golden.ts';
import { readParquetFile } from '../support/parquet-read.ts';

export type Input = Uint8Array | { json: Uint8Array };
type Landed = { rows: unknown[]; stats: string; rejected: number; reasons: string[]; layout?: unknown };

export type Path<C> = {
  kind: TableKind;
  /** The OTLP signal whose requests the table takes. */
  signal: Signal;
  render: (req: never) => RenderResult;
  newColumns: () => C;
  fill: (c: C, body: Uint8Array, rejections?: Rejections, fromJson?: boolean, stamp?: PrincipalStamp) => void;
  write: (db: Db, c: C, outPath: string) => Promise<WrittenFile>;
  rows: (c: C) => number;
};

export const readRows = async (file: string) =>
  (await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors })).map((r) => normalise(r));

/** The file's Parquet schema and each column chunk's codec: what a reader sees besides the values. */
async function layoutOf(file: string): Promise<unknown> {
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(file));
  return {
    schema: meta.schema.map((e) => ({ ...e, field_id: undefined })),
    codecs: [...new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)))],
  };
}

export function harness<C>(p: Path<C>, db: () => Db, dir: () => string) {
  let n = 0;
  /** A JSON request as it would be staged: decoded once, encoded as protobuf. */
  const stagedForm = (json: Uint8Array): Uint8Array =>
    SIGNAL_TYPES[p.signal].request.encode(decodeRequest(p.signal, json, 'json') as never).finish();
  const protoOf = (obj: object): Uint8Array => {
    const t = SIGNAL_TYPES[p.signal].request;
    return t.encode(t.fromObject(obj)).finish();
  };

  async function reference(bodies: Input[], stamp?: PrincipalStamp): Promise<Landed> {
    const parts: Buffer[] = [];
    let rejected = 0;
    const reasons: string[] = [];
    for (const b of bodies) {
      const decoded = b instanceof Uint8Array ? decodeRequest(p.signal, b, 'protobuf') : decodeRequest(p.signal, b.json, 'json');
      const res = p.render((stamp ? stampPrincipal(p.signal, decoded, stamp.principal) : decoded) as never);
      if (res.ndjson) parts.push(res.ndjson);
      rejected += res.rejected;
      reasons.push(...res.rejectReasons);
    }
    if (parts.length === 0) return { rows: [], stats: '', rejected, reasons };
    const ndjson = path.join(dir(), `${n}.ndjson`);
    const out = path.join(dir(), `${n++}.ref.parquet`);
    await fsp.writeFile(ndjson, Buffer.concat(parts));
    const w = await writeParquet(db(), schemaFor(p.kind), ndjson, out);
    return { rows: await readRows(out), stats: w.stats, rejected, reasons, layout: await layoutOf(out) };
  }

  async function columnar(bodies: Input[], stamp?: PrincipalStamp): Promise<Landed> {
    const c = p.newColumns();
    let rejected = 0;
    const reasons: string[] = [];
    for (const b of bodies) {
      const own = { rejected: 0, rejectReasons: [] as string[] };
      if (b instanceof Uint8Array) p.fill(c, b, own, false, stamp);
      else p.fill(c, stagedForm(b.json), own, true, stamp);
      rejected += own.rejected;
      reasons.push(...own.rejectReasons);
    }
    if (p.rows(c) === 0) return { rows: [], stats: '', rejected, reasons };
    const out = path.join(dir(), `${n++}.col.parquet`);
    const w = await p.write(db(), c, out);
    expect(w.numRecords).toBe(p.rows(c));
    return { rows: await readRows(out), stats: w.stats, rejected, reasons, layout: await layoutOf(out) };
  }

  /**
   * Both paths over `bodies` as one file; the rows compared, their count
   * returned. With `stamp`, both stamp the principal as the service does.
   */
  async function expectSame(bodies: Input[], stamp?: PrincipalStamp): Promise<number> {
    const [ref, col] = [await reference(bodies, stamp), await columnar(bodies, stamp)];
    expect(col.rows.length).toBe(ref.rows.length);
    for (let i = 0; i < ref.rows.length; i++) expect(col.rows[i], `row ${i}`).toEqual(ref.rows[i]);
    expect(col.stats).toBe(ref.stats);
    expect(col.rejected).toBe(ref.rejected);
    expect(col.reasons).toEqual(ref.reasons);
    expect(col.layout).toEqual(ref.layout);
    if (ref.layout !== undefined) expect((ref.layout as { codecs: string[] }).codecs).toEqual(['ZSTD']);
    return ref.rows.length;
  }

  /**
   * Each recorded run's exports of one table through the columnar path, read
   * back with the golden corpus's own Parquet reader: every row must be one
   * of the run's golden rows. Returns the rows checked and the golden rows of
   * this kind, which the caller holds equal.
   */
  async function goldenRows(runs: Map<string, { table: string; input: Input }[]>): Promise<{ checked: number; golden: number }> {
    let checked = 0;
    let golden = 0;
    for (const [run, inputs] of runs) {
      const [client, name] = run.split('/') as [string, string];
      const lines = (readGolden(client, name) ?? '').split('\n').filter(Boolean);
      golden += lines.filter((l) => (JSON.parse(l) as { table: string }).table.endsWith(`_otel_${p.kind}`)).length;
      const known = new Set(lines);
      for (const table of new Set(inputs.map((x) => x.table))) {
        const c = p.newColumns();
        for (const x of inputs.filter((y) => y.table === table)) {
          if (x.input instanceof Uint8Array) p.fill(c, x.input);
          else p.fill(c, stagedForm(x.input.json), undefined, true);
        }
        if (p.rows(c) === 0) continue;
        const out = path.join(dir(), `${n++}.golden.parquet`);
        await p.write(db(), c, out);
        const problems: string[] = [];
        const contents = await readParquetFile(await fsp.readFile(out), schemaFor(p.kind).columns, out, problems);
        expect(problems).toEqual([]);
        for (const row of contents!.rows!) {
          const line = JSON.stringify({ table, row: normalise(row) });
          expect(known.has(line), `${run} ${table}: ${line.slice(0, 300)}`).toBe(true);
          checked++;
        }
      }
    }
    return { checked, golden };
  }

  return { expectSame, stagedForm, protoOf, goldenRows, nextName: () => path.join(dir(), `${n++}.case.parquet`) };
}

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

/**
 * The harness of each signal, over one DuckDB (one thread, as the ingest
 * instance has on two cores) and one folder, opened before and closed after
 * the calling file's tests.
 */
export function harnesses(prefix: string) {
  let db: Db;
  let dir: string;
  beforeAll(async () => {
    db = await openDuckDb({ threads: 1 });
    dir = await tempDir(prefix);
  });
  afterAll(async () => {
    db.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });
  const dbOf = () => db;
  const dirOf = () => dir;
  return {
    db: dbOf,
    logs: harness({ kind: 'logs', signal: 'logs', render: renderLogs as never, newColumns: () => new LogColumns(), fill: fillLogs, write: writeLogColumns, rows: (c) => c.rows }, dbOf, dirOf),
    metrics: harness(
      { kind: 'metrics', signal: 'metrics', render: renderMetrics as never, newColumns: () => new MetricColumns(), fill: fillMetrics, write: writeMetricColumns, rows: (c) => c.rows },
      dbOf,
      dirOf,
    ),
    traces: harness({ kind: 'spans', signal: 'traces', render: renderSpans as never, newColumns: () => new SpanColumns(), fill: fillSpans, write: writeSpanColumns, rows: (c) => c.rows }, dbOf, dirOf),
  };
}

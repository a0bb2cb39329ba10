// The columnar logs path against the reference (decode with protobufjs,
// render NDJSON, DuckDB read_ndjson COPY, stats read back from the file):
// the same rows value for value, the same stats JSON, the same rejections.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorRequests } from '../../bench/lib/collector-batches.ts';
import { LogColumns, fillLogs } from '../../src/columnar/logs-fill.ts';
import { writeLogColumns } from '../../src/columnar/logs-write.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { ExportLogsServiceRequest } from '../../src/otlp/types.ts';
import { writeParquet } from '../../src/parquet/write.ts';
import { renderLogs } from '../../src/tables/render/logs.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { normalise, readGolden } from '../golden/golden.ts';
import { readParquetFile } from '../support/parquet-read.ts';
import { loadCaptures } from '../support/fixtures.ts';
import { randomLogsRequest, rng } from './random-logs.ts';

let db: Db;
let dir: string;
let n = 0;
beforeAll(async () => {
  db = await openDuckDb({ threads: 1 });
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'columnar-logs-'));
});
afterAll(async () => {
  db.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

const readRows = async (file: string) => (await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors })).map((r) => normalise(r));

type Landed = { rows: unknown[]; stats: string; rejected: number; reasons: string[]; layout?: unknown };

/** The file's Parquet schema and each column chunk's codec: what a reader sees besides the values. */
async function layoutOf(file: string): Promise<unknown> {
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(file));
  return {
    schema: meta.schema.map((e) => ({ ...e, field_id: undefined })),
    codecs: [...new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)))],
  };
}

type Input = Uint8Array | { json: Uint8Array };

/** The reference: each body decoded and rendered as the service does at acceptance, all lines into one file. */
async function reference(bodies: Input[]): Promise<Landed> {
  const parts: Buffer[] = [];
  let rejected = 0;
  const reasons: string[] = [];
  for (const b of bodies) {
    const decoded = b instanceof Uint8Array ? decodeRequest('logs', b, 'protobuf') : decodeRequest('logs', b.json, 'json');
    const res = renderLogs(decoded as ExportLogsServiceRequest);
    if (res.ndjson) parts.push(res.ndjson);
    rejected += res.rejected;
    reasons.push(...res.rejectReasons);
  }
  if (parts.length === 0) return { rows: [], stats: '', rejected, reasons };
  const ndjson = path.join(dir, `${n}.ndjson`);
  const out = path.join(dir, `${n++}.ref.parquet`);
  await fsp.writeFile(ndjson, Buffer.concat(parts));
  const w = await writeParquet(db, schemaFor('logs'), ndjson, out);
  return { rows: await readRows(out), stats: w.stats, rejected, reasons, layout: await layoutOf(out) };
}

/** A JSON request as it would be staged: decoded once, encoded as protobuf. */
const stagedForm = (json: Uint8Array): Uint8Array => SIGNAL_TYPES.logs.request.encode(decodeRequest('logs', json, 'json') as never).finish();

async function columnar(bodies: Input[]): Promise<Landed> {
  const c = new LogColumns();
  let rejected = 0;
  const reasons: string[] = [];
  for (const b of bodies) {
    const own = { rejected: 0, rejectReasons: [] as string[] };
    if (b instanceof Uint8Array) fillLogs(c, b, own);
    else fillLogs(c, stagedForm(b.json), own, true);
    rejected += own.rejected;
    reasons.push(...own.rejectReasons);
  }
  if (c.rows === 0) return { rows: [], stats: '', rejected, reasons };
  const out = path.join(dir, `${n++}.col.parquet`);
  const w = await writeLogColumns(db, c, out);
  expect(w.numRecords).toBe(c.rows);
  return { rows: await readRows(out), stats: w.stats, rejected, reasons, layout: await layoutOf(out) };
}

async function expectSame(bodies: Input[]): Promise<number> {
  const [ref, col] = [await reference(bodies), await columnar(bodies)];
  expect(col.rows.length).toBe(ref.rows.length);
  for (let i = 0; i < ref.rows.length; i++) expect(col.rows[i], `row ${i}`).toEqual(ref.rows[i]);
  expect(col.stats).toBe(ref.stats);
  expect(col.rejected).toBe(ref.rejected);
  expect(col.reasons).toEqual(ref.reasons);
  expect(col.layout).toEqual(ref.layout);
  if (ref.layout !== undefined) expect((ref.layout as { codecs: string[] }).codecs).toEqual(['ZSTD']);
  return ref.rows.length;
}

const protoOf = (obj: object): Uint8Array => {
  const t = SIGNAL_TYPES.logs.request;
  return t.encode(t.fromObject(obj)).finish();
};

describe('columnar logs path equals the reference', () => {
  it('on every recorded client logs export (JSON ones as the protobuf they become)', async () => {
    const captures = loadCaptures().filter((c) => c.signal === 'logs');
    expect(captures.length).toBeGreaterThan(0);
    let rows = 0;
    for (const c of captures) {
      const json = (c.headers['content-type'] ?? '').includes('json');
      rows += await expectSame([json ? { json: c.body } : c.body]);
    }
    expect(rows).toBeGreaterThan(0);
  });

  it("reproduces the golden corpus's log rows, run by run, with the corpus's own Parquet reader", async () => {
    const runs = new Map<string, { table: string; input: Input }[]>();
    for (const c of loadCaptures().filter((x) => x.signal === 'logs')) {
      const table = c.headers['x-databricks-uc-table-name'];
      if (table === undefined) continue;
      const json = (c.headers['content-type'] ?? '').includes('json');
      const key = `${c.client}/${c.run}`;
      runs.set(key, [...(runs.get(key) ?? []), { table, input: json ? { json: c.body } : c.body }]);
    }
    expect(runs.size).toBeGreaterThan(3);
    let checked = 0;
    let goldenLogRows = 0;
    for (const [run, captures] of runs) {
      const [client, name] = run.split('/') as [string, string];
      const lines = (readGolden(client, name) ?? '').split('\n').filter(Boolean);
      goldenLogRows += lines.filter((l) => (JSON.parse(l) as { table: string }).table.endsWith('_otel_logs')).length;
      const golden = new Set(lines);
      for (const table of new Set(captures.map((x) => x.table))) {
        const c = new LogColumns();
        for (const x of captures.filter((y) => y.table === table)) {
          if (x.input instanceof Uint8Array) fillLogs(c, x.input);
          else fillLogs(c, stagedForm(x.input.json), undefined, true);
        }
        if (c.rows === 0) continue;
        const out = path.join(dir, `${n++}.golden.parquet`);
        await writeLogColumns(db, c, out);
        const problems: string[] = [];
        const contents = await readParquetFile(await fsp.readFile(out), schemaFor('logs').columns, out, problems);
        expect(problems).toEqual([]);
        for (const row of contents!.rows!) {
          expect(golden.has(JSON.stringify({ table, row: normalise(row) })), `${run} ${table}: ${JSON.stringify(normalise(row)).slice(0, 300)}`).toBe(true);
          checked++;
        }
      }
    }
    // Every golden log row, no more and no fewer.
    expect(checked).toBe(goldenLogRows);
    expect(checked).toBeGreaterThan(40);
  });

  it('on all recorded exports of one run written as one file', async () => {
    const bodies = loadCaptures()
      .filter((c) => c.signal === 'logs' && !(c.headers['content-type'] ?? '').includes('json'))
      .map((c) => c.body);
    expect(await expectSame(bodies)).toBeGreaterThan(0);
  });

  it('on Collector-size batches spanning several data chunks', async () => {
    const bodies = collectorRequests('logs', 2, 2000).map((r) => r.body);
    expect(await expectSame(bodies)).toBe(4000);
  });

  it('on 300 seeded random requests, 30 per file', async () => {
    const r = rng(20261202);
    let rows = 0;
    for (let f = 0; f < 10; f++) {
      const bodies = Array.from({ length: 30 }, () => protoOf(randomLogsRequest(r)));
      rows += await expectSame(bodies);
    }
    expect(rows).toBeGreaterThan(1000);
  });

  it('on JSON requests holding lone surrogates anywhere a string goes, staged as protobuf', async () => {
    // Strings protobufjs' writer encodes itself, code unit by code unit (see the next test for longer ones).
    const lone = ['\ud800', 'x\udbffy', '\udc00'.repeat(20), `${'a'.repeat(30)}\ud800`, '\ud800\udbff'];
    const bodies = lone.map((s, i) => {
      const str = { stringValue: s };
      const kv = (key: string) => ({ key, value: str });
      const request = {
        resourceLogs: [
          {
            resource: { attributes: [kv(s), kv(`r${i}`)] },
            schemaUrl: s,
            scopeLogs: [
              {
                scope: { name: s, version: s, attributes: [kv(s)] },
                schemaUrl: s,
                logRecords: [
                  {
                    eventName: s,
                    severityText: s,
                    body: { kvlistValue: { values: [kv(s), { key: 'list', value: { arrayValue: { values: [str, { kvlistValue: { values: [kv(s)] } }] } } }] } },
                    attributes: [kv(s), kv('plain')],
                  },
                  { body: str, attributes: [kv('k')] },
                ],
              },
            ],
          },
        ],
      };
      return { json: Buffer.from(JSON.stringify(request)) };
    });
    expect(await expectSame(bodies)).toBeGreaterThan(0);
  });

  it('cannot stage a long string with a lone surrogate through protobufjs: its writer replaces it', () => {
    // Long strings go through Buffer's UTF-8 encoder, which writes U+FFFD: the
    // reference would keep the escape in JSON text, so staging JSON requests
    // as protobuf needs an encoder that keeps such code units.
    const t = SIGNAL_TYPES.logs.request;
    const s = '\udc00'.repeat(40);
    const body = t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: s }] }] }] })).finish();
    expect(Buffer.from(body).includes(Buffer.from('\ufffd'))).toBe(true);
    const short = t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: '\udc00' }] }] }] })).finish();
    expect(Buffer.from(short).includes(Buffer.from([0xed, 0xb0, 0x80]))).toBe(true);
  });

  it('rejects a record with a repeated attribute key and keeps its neighbours', async () => {
    const body = protoOf({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                { eventName: 'kept-1' },
                { eventName: 'dropped', attributes: [{ key: 'a', value: { stringValue: '1' } }, { key: 'a', value: { stringValue: '2' } }] },
                { eventName: 'kept-2' },
              ],
            },
          ],
        },
      ],
    });
    const c = new LogColumns();
    fillLogs(c, body);
    expect(c.event_name.values).toEqual(['kept-1', 'kept-2']);
    expect(c.rejections.rejected).toBe(1);
    await expectSame([body]);
  });
});

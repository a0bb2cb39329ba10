// Builds small real tables for the maintenance tests (DuckDB-written files, one commit per batch) and reads them back by id.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSnapshot } from '../../src/delta/snapshot.ts';
import { appendFiles, createDeltaTable, dataFilePath, makeAdd, newDataFileName } from '../../src/delta/table.ts';
import type { Db } from '../../src/duckdb/db.ts';
import { sqlString } from '../../src/duckdb/sql.ts';
import { writeParquet } from '../../src/parquet/write.ts';
import { rowsToNdjson } from '../../src/tables/ndjson.ts';
import type { Row } from '../../src/tables/row.ts';
import { schemaFor, type TableKind } from '../../src/tables/schema.ts';

const T0 = 1_700_000_000_000_000_000n;

/** A log record carrying `id` in its attributes, at T0 + `t` ns. */
export function logRow(id: string, t: number): Row {
  return {
    event_name: 'e',
    time_unix_nano: T0 + BigInt(t),
    observed_time_unix_nano: T0,
    severity_number: 'SEVERITY_NUMBER_INFO',
    body: `record ${id}`,
    attributes: new Map([['id', id]]),
    dropped_attributes_count: 0,
    resource: { attributes: new Map([['service.name', 'svc']]), dropped_attributes_count: 0 },
  };
}

/** A gauge or sum point carrying `id`, at T0 + `t` ns: the time sits in a different struct per type. */
export function metricRow(id: string, t: number, type: 'gauge' | 'sum'): Row {
  const point: Row = { time_unix_nano: T0 + BigInt(t), value: 1, attributes: new Map([['id', id]]), exemplars: [], flags: 0 };
  if (type === 'sum') Object.assign(point, { aggregation_temporality: 'AGGREGATION_TEMPORALITY_DELTA', is_monotonic: true });
  return { name: `m.${type}`, metric_type: type, gauge: null, sum: null, [type]: point, metadata: new Map() };
}

export type TestTable = { dir: string; kind: TableKind; version: number };

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function createTable(dir: string, kind: TableKind, properties: Record<string, string> = {}): Promise<TestTable> {
  const schema = schemaFor(kind);
  await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties, ...properties } });
  return { dir, kind, version: 0 };
}

/** Writes `rows` as one Parquet file and commits it (with a txn for `batch`), like one ingest flush. */
export async function appendRows(db: Db, t: TestTable, rows: Row[], batch: number): Promise<number> {
  const staged = path.join(os.tmpdir(), `maint-${process.pid}-${newDataFileName()}.ndjson`);
  await fsp.writeFile(staged, rowsToNdjson(rows));
  try {
    const name = newDataFileName();
    const written = await writeParquet(db, schemaFor(t.kind), staged, path.join(t.dir, name));
    const res = await appendFiles(t.dir, {
      adds: [makeAdd(name, written.size, written.stats, Date.now())],
      readVersion: t.version,
      txn: { appId: 'test-lane', version: batch },
    });
    t.version = res.version;
    return res.version;
  } finally {
    await fsp.rm(staged, { force: true });
  }
}

/** The `id` attribute of each row (logs: attributes; metrics: the filled point's attributes). */
export function idsOf(rows: Row[] | Array<Record<string, unknown>>): string[] {
  return rows.map((r) => {
    const holder = (r.attributes ?? (r.gauge as Row | null)?.attributes ?? (r.sum as Row | null)?.attributes) as Map<string, string> | undefined;
    return holder?.get('id') ?? '?';
  });
}

/** Rows DuckDB reads from the snapshot's active files, in file order: the table as a SQL reader sees it. */
export async function duckdbCount(db: Db, dir: string): Promise<number> {
  const snap = await loadSnapshot(dir, { db });
  const files = [...(snap?.files.keys() ?? [])].map((p) => sqlString(dataFilePath(dir, p)));
  if (files.length === 0) return 0;
  const [row] = await db.all(`SELECT count(*) AS n FROM read_parquet([${files.join(', ')}])`);
  return Number(row?.n);
}

/** Sets a file's access and modification times `hoursAgo` hours into the past. */
export async function age(file: string, hoursAgo: number): Promise<void> {
  const t = new Date(Date.now() - hoursAgo * 3_600_000);
  await fsp.utimes(file, t, t);
}

// Self-test of the Delta checker on nested layouts, cross-checking row assembly against hyparquet's reader.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableKind } from '../../src/tables/schema.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { selectSql, writeHandTable, writeParquet } from './hand-table.ts';

const MAX = 9223372036854775807n;
const BIG_DOUBLE = 1152921504606846976n; // 2^60: printed without exponent, parsed back as bigint

const METRIC_ROWS: Array<Record<string, string>> = [
  {
    name: `'m1'`, metric_type: `'histogram'`,
    histogram: `{'start_time_unix_nano': 1, 'time_unix_nano': ${MAX}, 'count': 3, 'sum': 4.5, 'bucket_counts': [1, NULL, 4611686018427387904],
      'explicit_bounds': [0.5], 'exemplars': [{'time_unix_nano': 7, 'value': 1.25, 'span_id': 's', 'trace_id': NULL, 'filtered_attributes': MAP {'k': 'v'}}, NULL],
      'attributes': MAP {}, 'flags': 0, 'min': 0.5, 'max': NULL, 'aggregation_temporality': 'AGGREGATION_TEMPORALITY_DELTA'}`,
  },
  {
    name: `'m2'`, metric_type: `'gauge'`,
    gauge: `{'start_time_unix_nano': NULL, 'time_unix_nano': 2, 'value': ${BIG_DOUBLE}.0, 'exemplars': [], 'attributes': MAP {'a': 'b'}, 'flags': 1}`,
    exponential_histogram: `{'positive_bucket': {'offset': -1, 'bucket_counts': []}, 'scale': 3}`,
  },
];
const METRIC_STATS = {
  numRecords: 2,
  minValues: { name: 'm1', gauge: { value: BIG_DOUBLE }, histogram: { sum: 4.5, time_unix_nano: MAX } },
  maxValues: { name: 'm2', gauge: { value: BIG_DOUBLE }, histogram: { time_unix_nano: MAX }, exponential_histogram: { scale: 3 } },
  nullCount: {
    metadata: 2, gauge: { exemplars: 1, value: 1 }, histogram: { bucket_counts: 1, exemplars: 1, max: 2 },
    exponential_histogram: { positive_bucket: { offset: 1, bucket_counts: 1 }, negative_bucket: { bucket_counts: 2 } },
  },
};

const SPAN_ROWS: Array<Record<string, string>> = [
  {
    trace_id: `'t0'`, span_id: `'s0'`, flags: '1', name: `'op'`, kind: `'SPAN_KIND_SERVER'`, start_time_unix_nano: '1', end_time_unix_nano: `${MAX}`,
    attributes: `MAP {'__proto__': 'x'}`, dropped_attributes_count: '0',
    events: `[{'time_unix_nano': 5, 'name': 'e1', 'attributes': MAP {'k': 'v'}, 'dropped_attributes_count': 0}, NULL,
      {'time_unix_nano': NULL, 'name': NULL, 'attributes': NULL, 'dropped_attributes_count': NULL}]`,
    dropped_events_count: '0', links: '[]', dropped_links_count: '0', status: `{'message': '', 'code': 'STATUS_CODE_OK'}`,
    resource: `{'attributes': MAP {'service.name': 'svc'}, 'dropped_attributes_count': 0}`,
  },
  {
    trace_id: `'t1'`, name: `'op2'`,
    links: `[{'trace_id': 't', 'span_id': 's', 'trace_state': NULL, 'attributes': MAP {'a': NULL}, 'dropped_attributes_count': 1, 'flags': 2}]`,
  },
];
const SPAN_STATS = {
  numRecords: 2,
  minValues: { name: 'op', end_time_unix_nano: MAX, status: { code: 'STATUS_CODE_OK' } },
  maxValues: { name: 'op2', end_time_unix_nano: MAX, status: { message: '' } },
  nullCount: { kind: 1, events: 1, links: 0, status: { code: 1, message: 1 }, resource: { attributes: 1 } },
};

let root: string;
let instance: DuckDBInstance;
let conn: DuckDBConnection;
const files: Partial<Record<TableKind, string>> = {};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'delta-check-nested-'));
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  files.metrics = await writeParquet(conn, join(root, 'metrics.parquet'), selectSql('metrics', METRIC_ROWS));
  files.spans = await writeParquet(conn, join(root, 'spans.parquet'), selectSql('spans', SPAN_ROWS));
});

afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Maps as plain objects and missing values as null, the shape both readers can agree on. */
function comparable(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, comparable(x)]));
  if (Array.isArray(v)) return v.map(comparable);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, comparable(x)]));
  return v;
}

async function hyparquetRows(file: string): Promise<unknown[]> {
  const buf = readFileSync(file);
  const rows = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer, compressors });
  return rows.map(comparable);
}

describe('checkDeltaTable on nested layouts', () => {
  it('reads a metrics table: lists of longs, lists of structs, large doubles in stats', async () => {
    const { dir } = writeHandTable(join(root, 'metrics'), { kind: 'metrics', parquet: files.metrics!, stats: METRIC_STATS });
    const t = await checkDeltaTable(dir, 'metrics');
    const [h, g] = t.rows.map((r) => r) as [Record<string, any>, Record<string, any>];
    expect(h.histogram.bucket_counts).toEqual([1n, null, 4611686018427387904n]);
    expect(h.histogram.exemplars).toEqual([
      { time_unix_nano: 7n, value: 1.25, span_id: 's', trace_id: null, filtered_attributes: new Map([['k', 'v']]) },
      null,
    ]);
    expect(h.gauge).toBeNull();
    expect(g.gauge).toEqual({ start_time_unix_nano: null, time_unix_nano: 2n, value: 2 ** 60, exemplars: [], attributes: new Map([['a', 'b']]), flags: 1 });
    expect(g.exponential_histogram.positive_bucket).toEqual({ offset: -1, bucket_counts: [] });
    expect(g.exponential_histogram.negative_bucket).toBeNull();
    expect(t.rows.map(comparable)).toEqual(await hyparquetRows(files.metrics!));
  });

  it('reads a spans table: maps inside list elements, null and all-null elements', async () => {
    const { dir } = writeHandTable(join(root, 'spans'), { kind: 'spans', parquet: files.spans!, stats: SPAN_STATS });
    const t = await checkDeltaTable(dir, 'spans');
    const [a, b] = t.rows as [Record<string, any>, Record<string, any>];
    expect(a.attributes).toEqual(new Map([['__proto__', 'x']]));
    expect(a.events).toEqual([
      { time_unix_nano: 5n, name: 'e1', attributes: new Map([['k', 'v']]), dropped_attributes_count: 0 },
      null,
      { time_unix_nano: null, name: null, attributes: null, dropped_attributes_count: null },
    ]);
    expect(a.links).toEqual([]);
    expect(b.events).toBeNull();
    expect(b.links).toEqual([{ trace_id: 't', span_id: 's', trace_state: null, attributes: new Map([['a', null]]), dropped_attributes_count: 1, flags: 2 }]);
    expect(b.status).toBeNull();
    // hyparquet's objects cannot hold a "__proto__" key, so compare without that column.
    const drop = (rows: unknown[]) => rows.map((r) => ({ ...(r as object), attributes: 'skipped' }));
    expect(drop(t.rows.map(comparable))).toEqual(drop(await hyparquetRows(files.spans!)));
  });

  const bad: Array<[string, TableKind, (s: any) => void, RegExp]> = [
    ['a nullCount for an array', 'spans', (s) => (s.nullCount.events = 0), /nullCount\.events: nullCount 0 but the file has 1 null/],
    ['min/max for an array', 'spans', (s) => (s.minValues.links = []), /minValues\.links: min\/max given for an array column/],
    ['a number for a struct', 'spans', (s) => (s.nullCount.status = 1), /nullCount\.status: struct column needs a nested object/],
    ['a min on an all-null column', 'metrics', (s) => (s.minValues.description = 'x'), /minValues\.description: min "x" but the column has no non-null values/],
    ['a wrong double', 'metrics', (s) => (s.maxValues.histogram.sum = 4.4), /maxValues\.histogram\.sum: max 4\.4 but the data's max is 4\.5/],
    ['a nullCount below a null struct', 'metrics', (s) => (s.nullCount.exponential_histogram.negative_bucket.bucket_counts = 1), /negative_bucket\.bucket_counts: nullCount 1 but the file has 2/],
  ];
  it.each(bad)('flags %s', async (name, kind, edit, message) => {
    const stats = structuredClone(kind === 'spans' ? SPAN_STATS : METRIC_STATS);
    edit(stats);
    const { dir } = writeHandTable(join(root, `bad-${name.replaceAll(' ', '-')}`), { kind, parquet: files[kind]!, stats });
    await expect(checkDeltaTable(dir, kind)).rejects.toThrow(message);
  });

  it('rejects a table checked against the wrong layout', async () => {
    const { dir } = writeHandTable(join(root, 'wrong-kind'), { kind: 'spans', parquet: files.spans!, stats: SPAN_STATS });
    await expect(checkDeltaTable(dir, 'logs')).rejects.toThrow(/schemaString differs from the logs layout[\s\S]*Parquet columns are \[trace_id/);
  });
});

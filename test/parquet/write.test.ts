import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, stringifyJson, type JsonValue } from '../../src/delta/json.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { lineBytesBound, NDJSON_LINE_BYTES_MAX, writeParquet } from '../../src/parquet/write.ts';
import { rowsToNdjson } from '../../src/tables/ndjson.ts';
import type { Row, Value } from '../../src/tables/row.ts';
import { schemaFor, type Field, type TableSchema } from '../../src/tables/schema.ts';
import { expectedStats } from './expected-stats.ts';
import { logRows, metricRows } from './fixtures.ts';

let db: Db;
let dir: string;
beforeAll(async () => {
  db = await openDuckDb({ threads: 2 });
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'parquet-write-'));
});
afterAll(async () => {
  db.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

let fileNo = 0;
async function write(schema: TableSchema, rows: Row[]) {
  const n = fileNo++;
  const ndjson = path.join(dir, `${n}.ndjson`);
  const out = path.join(dir, `${n}.parquet`);
  await fsp.writeFile(ndjson, rowsToNdjson(rows));
  const written = await writeParquet(db, schema, ndjson, out);
  return { out, written };
}

async function readBack(file: string): Promise<Record<string, unknown>[]> {
  return parquetReadObjects({ file: await asyncBufferFromFile(file), compressors });
}

// hyparquet gives maps as plain objects and a null group as undefined.
function asRead(v: Value | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Map) return Object.fromEntries(v);
  if (Array.isArray(v)) return v.map(asRead);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asRead(x)]));
  return v;
}
const nullsNotUndefined = (v: unknown): unknown =>
  v === undefined || v === null
    ? null
    : Array.isArray(v)
      ? v.map(nullsNotUndefined)
      : typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, nullsNotUndefined(x)]))
        : v;

const canonical = (v: unknown): JsonValue => parseJson(stringifyJson(v as JsonValue));

describe.each([
  ['metrics', metricRows],
  ['logs', logRows],
] as const)('writeParquet with %s rows', (kind, makeRows) => {
  it('round-trips every value exactly and reports exact size, count and stats', async () => {
    const schema = schemaFor(kind);
    const rows = makeRows();
    const { out, written } = await write(schema, rows);
    expect(written.size).toBe((await fsp.stat(out)).size);
    expect(written.numRecords).toBe(rows.length);
    const got = (await readBack(out)).map(nullsNotUndefined);
    expect(got).toEqual(rows.map((r) => asRead(r)));
    expect(parseJson(written.stats)).toEqual(canonical(expectedStats(schema.columns, rows)));
  });
});

describe('stats edge cases', () => {
  const schema: TableSchema = {
    kind: 'logs',
    signal: 'logs',
    tableProperties: {},
    columns: [
      { name: 's', type: 'string' },
      { name: 'd', type: 'double' },
      { name: 'b', type: 'boolean' },
      { name: 'i', type: 'integer' },
      { name: 'st', type: { struct: [{ name: 'l', type: 'long' }, { name: 'a', type: { array: 'double' } }] } },
      { name: 'm', type: { map: ['string', 'string'] } },
    ] satisfies Field[],
  };
  const row = (s: string | null, d: number | null, extra: Partial<Row> = {}): Row => ({
    s,
    d,
    b: true,
    i: null,
    st: { l: 1n, a: [Number.NaN] },
    m: null,
    ...extra,
  });
  const statsOf = async (rows: Row[]) => parseJson((await write(schema, rows)).written.stats) as Record<string, Record<string, unknown>>;

  it('truncates a 40-character string to 32 and marks the maximum as an upper bound', async () => {
    const stats = await statsOf([row('x'.repeat(40), 1)]);
    expect(stats.minValues?.s).toBe('x'.repeat(32));
    expect(stats.maxValues?.s).toBe(`${'x'.repeat(32)}\u{10FFFF}`);
  });

  it('truncates by code points, not UTF-16 units, for 4-byte UTF-8 characters', async () => {
    const s = '😀'.repeat(40);
    const stats = await statsOf([row(s, 1)]);
    expect(stats.minValues?.s).toBe('😀'.repeat(32));
    expect(stats.maxValues?.s).toBe(`${'😀'.repeat(32)}\u{10FFFF}`);
  });

  it('orders strings by UTF-8 bytes (U+FFFD sorts before U+1F600)', async () => {
    const stats = await statsOf([row('\ufffd', 1), row('😀', 2), row('z', 3)]);
    expect(stats.minValues?.s).toBe('z');
    expect(stats.maxValues?.s).toBe('😀');
  });

  it('leaves out double bounds when a value is NaN or infinite, and widens zero', async () => {
    expect(Object.hasOwn((await statsOf([row('a', 1), row('b', Number.NaN)])).minValues ?? {}, 'd')).toBe(false);
    expect(Object.hasOwn((await statsOf([row('a', Number.POSITIVE_INFINITY)])).maxValues ?? {}, 'd')).toBe(false);
    const zero = await statsOf([row('a', 0), row('b', 0)]);
    expect(Object.is(zero.minValues?.d, -0)).toBe(true);
    expect(Object.is(zero.maxValues?.d, 0)).toBe(true);
  });

  it('gives booleans, all-null columns, arrays and maps a null count only', async () => {
    const stats = await statsOf([row(null, null), row(null, null, { st: null, m: new Map() })]);
    expect(stats).toEqual({
      numRecords: 2,
      minValues: { st: { l: 1 } },
      maxValues: { st: { l: 1 } },
      nullCount: { s: 2, d: 2, b: 0, i: 2, st: { l: 1, a: 1 }, m: 1 },
    });
  });

  it('removes the output and rejects when the NDJSON does not fit the schema', async () => {
    const ndjson = path.join(dir, 'bad.ndjson');
    const out = path.join(dir, 'bad.parquet');
    await fsp.writeFile(ndjson, '{"s": "a", "i": 99999999999}\n');
    await expect(writeParquet(db, schema, ndjson, out)).rejects.toThrow();
    await expect(fsp.stat(out)).rejects.toThrow();
  });
});

describe('under a DuckDB memory limit', () => {
  it('writes a batch: the line bound follows the file, not the 256 MiB maximum', async () => {
    const limited = await openDuckDb({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(dir, 'spill') });
    try {
      const schema = schemaFor('logs');
      const rows = logRows();
      const ndjson = path.join(dir, 'limited.ndjson');
      const out = path.join(dir, 'limited.parquet');
      await fsp.writeFile(ndjson, rowsToNdjson(rows));
      const written = await writeParquet(limited, schema, ndjson, out);
      expect(written.numRecords).toBe(rows.length);
      expect(await readBack(out)).toHaveLength(rows.length);
    } finally {
      limited.close();
    }
  });

  it('keeps the staged order on one thread with insertion order not preserved, as the ingest instance runs', async () => {
    const single = await openDuckDb({ threads: 1, preserveInsertionOrder: false });
    try {
      expect(await single.all("SELECT current_setting('preserve_insertion_order') AS v")).toEqual([{ v: false }]);
      const template = logRows()[1] as Row;
      // Several DuckDB chunks and JSON reader buffers' worth, each row numbered.
      const rows = Array.from({ length: 30_000 }, (_, i) => ({ ...template, event_name: `e${i}`, body: 'x'.repeat(i % 97) }));
      const ndjson = path.join(dir, 'ordered.ndjson');
      const out = path.join(dir, 'ordered.parquet');
      await fsp.writeFile(ndjson, rowsToNdjson(rows));
      await writeParquet(single, schemaFor('logs'), ndjson, out, 4096);
      expect((await readBack(out)).map((r) => r.event_name)).toEqual(rows.map((r) => r.event_name));
    } finally {
      single.close();
    }
  });

  it('bounds a line by its file, within 1 MiB and 256 MiB', () => {
    expect(lineBytesBound(10)).toBe(1024 * 1024);
    expect(lineBytesBound(32 * 1024 * 1024)).toBe(32 * 1024 * 1024 + 1);
    expect(lineBytesBound(2 ** 40)).toBe(NDJSON_LINE_BYTES_MAX);
  });
});

// Strings reach DuckDB's vectors three ways (inline bytes, assigned once,
// copied from an earlier row of the same chunk); whatever the mix, DuckDB must
// hold exactly the strings given, compare and group them as equal text, and
// keep NULLs NULL, across chunk boundaries.
import { DuckDBDataChunk } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MapColumn, StringColumn } from '../../src/columnar/columns.ts';
import { CHUNK_ROWS, writeMap, writeStrings } from '../../src/columnar/vectors.ts';
import { openDuckDb, withConnection, type Connection, type Db } from '../../src/duckdb/db.ts';

let db: Db;
beforeAll(async () => {
  db = await openDuckDb({ threads: 1 });
});
afterAll(() => db.close());

// Lengths around the 12-byte inline limit, in ASCII and not, repeated and unique.
const POOL = [
  '',
  'a',
  'exactly12byt',
  'thirteen-byte',
  'é',
  'ééééééé',
  'éééééé',
  '😀',
  'x\u0000y',
  'service.name',
  'a longer value that repeats across rows',
  'claude-sonnet-4-5-20250929',
  '\uFFFF',
  '\uD800lone',
];

function values(rows: number, seed: number): (string | null)[] {
  const out: (string | null)[] = [];
  let x = seed;
  for (let i = 0; i < rows; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const pick = x % (POOL.length + 3);
    out.push(pick === POOL.length ? null : pick > POOL.length ? `unique-${i}-${x}` : (POOL[pick] as string));
  }
  return out;
}

/** What DuckDB stores for a JS string: lone surrogates become U+FFFD, as the binding converts them. */
const stored = (s: string | null) => (s === null ? null : Buffer.from(s).toString());

async function load(conn: Connection, type: string, rows: number, write: (vec: duckdb.Vector, from: number, n: number) => void): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE t (v ${type})`);
  const appender = await conn.appender('t', 'main', 'temp');
  const chunk = DuckDBDataChunk.create([appender.columnType(0)]);
  for (let from = 0; from < rows; from += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, rows - from);
    duckdb.data_chunk_reset(chunk.chunk);
    write(duckdb.data_chunk_get_vector(chunk.chunk, 0), from, n);
    duckdb.data_chunk_set_size(chunk.chunk, n);
    appender.appendDataChunk(chunk);
  }
  appender.flushSync();
  appender.closeSync();
}

describe('string hand-off to DuckDB vectors', () => {
  it('stores every string of a VARCHAR column exactly, NULLs included', async () => {
    const rows = 2 * CHUNK_ROWS + 77;
    const vs = values(rows, 7);
    const col = new StringColumn();
    for (const v of vs) col.push(v);
    await withConnection(db, async (conn) => {
      await load(conn, 'VARCHAR', rows, (vec, from, n) => writeStrings(vec, col, from, n));
      const got = await conn.all('SELECT v, strlen(v) AS len FROM t ORDER BY rowid');
      expect(got.map((r) => r.v)).toEqual(vs.map(stored));
      expect(got.map((r) => r.len)).toEqual(vs.map((v) => (v === null ? null : BigInt(Buffer.byteLength(stored(v) as string)))));
      // Equal text must be equal to DuckDB whichever way it arrived (inline bytes, assigned, copied).
      const groups = await conn.all('SELECT count(DISTINCT v) AS n FROM t');
      expect(groups[0]?.n).toBe(BigInt(new Set(vs.filter((v) => v !== null).map(stored)).size));
      const eq = await conn.all(`SELECT count(*) AS n FROM t WHERE v = 'exactly12byt' OR v = 'a longer value that repeats across rows'`);
      expect(eq[0]?.n).toBe(BigInt(vs.filter((v) => v === 'exactly12byt' || v === 'a longer value that repeats across rows').length));
    });
  });

  it('stores map keys and values exactly, with repeated keys and NULL values', async () => {
    const rows = CHUNK_ROWS + 300;
    const col = new MapColumn();
    const expected: { key: string; value: string | null }[][] = [];
    const keys = values(rows * 4, 3).map((k, i) => `${k ?? 'null'}#${i % 4}`);
    const vals = values(rows * 4, 11);
    for (let r = 0; r < rows; r++) {
      const n = r % 5;
      const ks = keys.slice(4 * r, 4 * r + n);
      const vs = vals.slice(4 * r, 4 * r + n);
      col.pushRow(ks, vs, n);
      expected.push(ks.map((k, i) => ({ key: stored(k) as string, value: stored(vs[i] as string | null) })));
    }
    await withConnection(db, async (conn) => {
      await load(conn, 'MAP(VARCHAR, VARCHAR)', rows, (vec, from, n) => writeMap(vec, col, from, n));
      const got = await conn.all('SELECT v FROM t ORDER BY rowid');
      expect(got.map((r) => r.v)).toEqual(expected);
    });
  });
});

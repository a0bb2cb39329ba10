// Column buffers streamed to DuckDB through the table function: rows keep the
// order they were filled in whatever DuckDB's thread count, a fault while a
// chunk is filled fails the statement (not the process), and no source
// outlives its query.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorRequests } from '../../bench/lib/collector-batches.ts';
import { collectorSpanBodies } from '../../bench/lib/collector-spans.ts';
import { columnarWriterFor } from '../../src/columnar/fillers.ts';
import { StringColumn } from '../../src/columnar/columns.ts';
import type { AnyColumn } from '../../src/columnar/nested.ts';
import { offerColumns, offeredSources } from '../../src/columnar/source.ts';
import { openDuckDb, withConnection, type Db } from '../../src/duckdb/db.ts';
import { tempDir } from './differential.ts';

let dir: string;
let one: Db;
let four: Db;
beforeAll(async () => {
  dir = await tempDir('column-source-');
  one = await openDuckDb({ threads: 1 });
  four = await openDuckDb({ threads: 4 });
});
afterAll(async () => {
  one.close();
  four.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

let n = 0;
async function written(db: Db, kind: 'logs' | 'metrics' | 'spans', bodies: Uint8Array[]): Promise<unknown[][]> {
  const w = columnarWriterFor(kind);
  const c = w.newColumns();
  for (const b of bodies) w.fill(c, b);
  const out = path.join(dir, `${n++}.parquet`);
  await w.write(db, c, out);
  return one.all(`SELECT * FROM read_parquet('${out}')`).then((rows) => rows.map((r) => Object.values(r)));
}

describe('column sources', () => {
  it.each([
    ['logs', () => collectorRequests('logs', 3, 2000).map((r) => r.body)],
    ['metrics', () => collectorRequests('metrics', 3, 2000).map((r) => r.body)],
    ['spans', () => collectorSpanBodies(3, 2000)],
  ] as const)('keep the fill order of %s rows on four DuckDB threads as on one', async (kind, bodies) => {
    const b = bodies();
    const [a, z] = [await written(one, kind, b), await written(four, kind, b)];
    expect(a.length).toBe(6000);
    // Same rows in the same places; a reordering join or scan would fail here.
    for (let i = 0; i < a.length; i += 97) expect(z[i], `row ${i}`).toEqual(a[i]);
    expect(z).toEqual(a);
    expect(offeredSources()).toBe(0);
  });

  it('fail the statement, not the process, when a chunk cannot be filled, and are released', async () => {
    const good = new StringColumn();
    for (let i = 0; i < 3000; i++) good.push(`v${i}`);
    const broken = {} as AnyColumn;
    await expect(
      withConnection(one, async (conn) => {
        const src = await offerColumns(one, conn, [{ name: 'a', type: 'VARCHAR', col: good }, { name: 'b', type: 'VARCHAR[]', col: broken }], 3000);
        try {
          await conn.run(`CREATE TEMP TABLE t AS SELECT * FROM ${src.sql}`);
        } finally {
          src.release();
        }
      }),
    ).rejects.toThrow(/filling a chunk of column buffers failed/);
    expect(offeredSources()).toBe(0);
    // The instance goes on serving sources.
    const rows = await withConnection(one, async (conn) => {
      const src = await offerColumns(one, conn, [{ name: 'a', type: 'VARCHAR', col: good }], 3000);
      try {
        return await conn.all(`SELECT count(*) AS n, min(a) AS lo, max(a) AS hi FROM ${src.sql}`);
      } finally {
        src.release();
      }
    });
    expect(rows).toEqual([{ n: 3000n, lo: 'v0', hi: 'v999' }]);
  });

  it('refuse an id that names no offered source', async () => {
    await withConnection(one, async (conn) => {
      const src = await offerColumns(one, conn, [{ name: 'a', type: 'VARCHAR', col: new StringColumn() }], 0);
      src.release();
      await expect(conn.run(`SELECT * FROM ${src.sql}`)).rejects.toThrow(/no column source/);
    });
  });
});

// Materialised views kept between batches: a second batch over the same
// table versions reuses them, a commit or another caller's grants never
// read a kept set that is not theirs, and callers cannot name the kept sets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/access/types.ts';
import { QueryEngine, QueryError } from '../../src/query/engine.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { claudeTokenUsage, sendMetricsJson } from './support.ts';

const A = 'main.team_a.claude_otel_metrics';
const SECRET = 'main.team_a.secret_otel_metrics';
const TOTAL = `SELECT coalesce(sum(tokens), 0)::BIGINT FROM main.team_a.usage_facts`;
const BY_USER = `SELECT "user", sum(tokens)::BIGINT FROM main.team_a.usage_facts GROUP BY 1 ORDER BY 1`;
const analyst: Principal = { tokenId: 'tok_ann', name: 'ann@example.com', groups: ['analysts'] };

let svc: TestService;
let engine: QueryEngine;

const keptSets = async (): Promise<number> => Number((await engine.execute(`SELECT count(DISTINCT schema_name) FROM duckdb_tables() WHERE schema_name LIKE 'o2d_view_cache_%'`)).rows[0]?.[0]);
const total = async (caller?: Principal): Promise<number> => Number((await engine.executeBatch([TOTAL], { materialize: true, ...(caller ? { caller } : {}) }))[0]?.rows[0]?.[0]);

beforeAll(async () => {
  svc = await startTestService({ flushIntervalMs: 60_000 });
  for (const t of [A, SECRET]) await svc.createTable(t, 'metrics');
  await sendMetricsJson(svc, A, claudeTokenUsage('ann@example.com', 10, 0));
  await sendMetricsJson(svc, SECRET, claudeTokenUsage('boss@example.com', 1000, 0));
  engine = await QueryEngine.open({ warehouse: svc.warehouse });
  for (const g of ['GRANT USE CATALOG ON CATALOG main TO analysts', 'GRANT USE SCHEMA ON SCHEMA main.team_a TO analysts', `GRANT SELECT ON TABLE ${A} TO analysts`]) await engine.execute(g);
});

afterAll(async () => {
  engine?.close();
  await svc?.stop();
});

describe('kept materialised views', () => {
  it('computes a set once per table versions and caller, and reuses it for other queries', async () => {
    expect(await keptSets()).toBe(0);
    expect(await total()).toBe(1010);
    expect(await keptSets()).toBe(1);
    const [byUser] = await engine.executeBatch([BY_USER], { materialize: true });
    expect(byUser?.rows).toEqual([
      ['ann@example.com', '10'],
      ['boss@example.com', '1000'],
    ]);
    expect(await keptSets()).toBe(1);
  });

  it("keeps a caller's set apart: the analyst never sees the table it may not read, the owner still does", async () => {
    expect(await total(analyst)).toBe(10);
    expect(await keptSets()).toBe(2);
    expect(await total()).toBe(1010);
    expect(await total(analyst)).toBe(10);
    expect(await keptSets()).toBe(2);
  });

  it('answers from the new version after a commit', async () => {
    await sendMetricsJson(svc, A, claudeTokenUsage('ann@example.com', 5, 1));
    expect(await total()).toBe(1015);
    expect(await total(analyst)).toBe(15);
  });

  it('keeps a bounded number of sets', async () => {
    for (let i = 0; i < 6; i++) {
      await sendMetricsJson(svc, A, claudeTokenUsage('ann@example.com', 1, 2 + i));
      await total();
    }
    expect(await keptSets()).toBeLessThanOrEqual(4);
    expect(await total()).toBe(1021);
  });

  it('refuses a caller that names a kept set directly', async () => {
    await total(analyst);
    const schema = String((await engine.execute(`SELECT min(schema_name) FROM duckdb_tables() WHERE schema_name LIKE 'o2d_view_cache_%'`)).rows[0]?.[0]);
    for (const sql of [`SELECT * FROM ${schema}.usage_facts`, `SELECT * FROM memory.${schema}.usage_facts`, `SELECT * FROM "${schema.toUpperCase()}".usage_facts`]) {
      const e = await engine.execute(sql, {}, analyst).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e, sql).toBeInstanceOf(QueryError);
      expect((e as QueryError).code, sql).toBe('forbidden');
    }
  });
});

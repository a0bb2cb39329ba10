// The query engine over real Delta tables: three-part names (the catalog
// `main` included), the layout's types on an empty table, only live files
// after removes and a checkpoint, name clashes, and read-only enforcement.
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tryCommit, logDir, commitFileName } from '../../src/delta/commit.ts';
import { loadSnapshot } from '../../src/delta/snapshot.ts';
import { dataFilePath } from '../../src/delta/table.ts';
import { openDuckDb } from '../../src/duckdb/db.ts';
import { checkpointNow } from '../../src/maintenance/checkpoints.ts';
import { QueryEngine, QueryError, type QueryResult } from '../../src/query/engine.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { claudeTokenUsage, sendMetricsJson } from './support.ts';

const METRICS = 'main.agent_telemetry.claude_otel_metrics';
const CHURN = 'main.agent_telemetry.churn_otel_metrics';
const OTHER = 'other.agent_telemetry.claude_otel_metrics';
const EMPTY = 'main.agent_telemetry.empty_otel_logs';

let svc: TestService;
let engine: QueryEngine;

const tokenPoint = claudeTokenUsage;

const send = (table: string, body: unknown): Promise<void> => sendMetricsJson(svc, table, body);

const rows = (r: QueryResult) => r.rows;

beforeAll(async () => {
  svc = await startTestService({ flushIntervalMs: 60_000 });
  for (const t of [METRICS, CHURN, OTHER]) await svc.createTable(t, 'metrics');
  await svc.createTable(EMPTY, 'logs');
  await send(METRICS, tokenPoint('alice@example.com', 12, 1));
  await send(METRICS, tokenPoint('alice@example.com', 30, 2));
  await send(METRICS, tokenPoint('bob@example.com', 5, 3));
  await send(OTHER, tokenPoint('carol@example.com', 7, 1));
  engine = await QueryEngine.open({ warehouse: svc.warehouse });
});

afterAll(async () => {
  engine?.close();
  await svc?.stop();
});

describe('three-part names', () => {
  it('runs the Databricks example query unchanged, catalog `main` included', async () => {
    const r = await engine.execute(
      `SELECT attributes['user.email'], sum(sum.value) FROM ${METRICS} WHERE name = 'claude_code.token.usage' GROUP BY 1 ORDER BY 1`,
    );
    expect(rows(r)).toEqual([
      ['alice@example.com', 42],
      ['bob@example.com', 5],
    ]);
  });

  it('keeps the table name as the binding name and accepts backquotes and any case', async () => {
    const r = await engine.execute(`SELECT claude_otel_metrics.sum.value AS v FROM \`Main\`.\`agent_telemetry\`.CLAUDE_OTEL_METRICS ORDER BY v`);
    expect(rows(r)).toEqual([[5], [12], [30]]);
  });

  it('tells apart two tables of the same name in different catalogs', async () => {
    const r = await engine.execute(`SELECT (SELECT count(*) FROM ${METRICS}) AS a, (SELECT count(*) FROM ${OTHER}) AS b`);
    expect(rows(r)).toEqual([['3', '1']]);
  });

  it('reports a missing table of a known catalog and leaves other dotted paths to DuckDB', async () => {
    await expect(engine.execute('SELECT * FROM main.agent_telemetry.nope')).rejects.toThrow(/no table or view main\.agent_telemetry\.nope/);
    const r = await engine.execute(`SELECT s.a.b FROM (SELECT {'a': {'b': 7}} AS s)`);
    expect(rows(r)).toEqual([[7]]);
  });

  it('gives an empty table the layout types', async () => {
    const r = await engine.execute(`DESCRIBE ${EMPTY}`);
    const types = Object.fromEntries(r.rows.map((row) => [row[0], row[1]]));
    expect(types.time_unix_nano).toBe('BIGINT');
    expect(types.attributes).toBe('MAP(VARCHAR, VARCHAR)');
    expect(String(types.resource)).toMatch(/^STRUCT\(attributes MAP\(VARCHAR, VARCHAR\), dropped_attributes_count INTEGER\)$/);
    expect(rows(await engine.execute(`SELECT count(*) FROM ${EMPTY}`))).toEqual([['0']]);
    expect(rows(await engine.execute(`SELECT count(*) FROM main.agent_telemetry.usage_facts WHERE agent = 'codex'`))).toEqual([['0']]);
  });
});

describe('snapshots', () => {
  it('reads only live files: a removed file is skipped, from a checkpoint whose older commits are gone', async () => {
    const dir = svc.tableDir(CHURN);
    await send(CHURN, tokenPoint('a@example.com', 1, 1));
    const first = await loadSnapshot(dir);
    const removedPath = [...(first?.files.keys() ?? [])][0] as string;
    await send(CHURN, tokenPoint('a@example.com', 10, 2));
    await send(CHURN, tokenPoint('a@example.com', 100, 3));
    const before = await loadSnapshot(dir);
    const version = (before?.version ?? 0) + 1;
    // A DELETE as another engine would commit it: the file stays on disk.
    const removed = await tryCommit(dir, version, [
      { commitInfo: { timestamp: Date.now(), operation: 'DELETE' } },
      { remove: { path: removedPath, dataChange: true, deletionTimestamp: Date.now() } },
    ]);
    expect(removed).toBe(true);
    const db = await openDuckDb();
    try {
      await checkpointNow(db, dir, version);
    } finally {
      db.close();
    }
    // Without commit 0 (protocol, schema) the table can only be read through the
    // checkpoint; the newest older commit stays, as the running writer reads it.
    for (let v = 0; v < version - 1; v++) unlinkSync(path.join(logDir(dir), commitFileName(v)));
    expect(existsSync(dataFilePath(dir, removedPath))).toBe(true);
    expect(readdirSync(logDir(dir)).some((f) => f.includes('.checkpoint.'))).toBe(true);

    expect(rows(await engine.execute(`SELECT sum(sum.value) FROM ${CHURN}`))).toEqual([[110]]);
    await send(CHURN, tokenPoint('a@example.com', 1000, 4));
    expect(rows(await engine.execute(`SELECT sum(sum.value), count(*) FROM ${CHURN}`))).toEqual([[1110, '3']]);
  });
});

describe('read-only', () => {
  const refused = async (sql: string) => {
    const e = await engine.execute(sql).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e, sql).toBeInstanceOf(QueryError);
    return e as QueryError;
  };

  it('refuses writes, DDL and settings, and EXPLAIN ANALYZE of them', async () => {
    const target = path.join(svc.warehouse, 'leak.csv');
    for (const sql of [
      `INSERT INTO ${METRICS} SELECT * FROM ${METRICS}`,
      `COPY (SELECT 1) TO '${target}'`,
      `EXPLAIN ANALYZE COPY (SELECT 1) TO '${target}'`,
      'CREATE TABLE x AS SELECT 1',
      `ATTACH '${path.join(svc.warehouse, 'x.db')}' AS x`,
      'SET threads = 1',
      'PRAGMA version',
      'CALL pragma_version()',
    ]) {
      expect((await refused(sql)).code, sql).toBe('read_only');
    }
    expect(existsSync(target)).toBe(false);
  });

  it('refuses more than one statement and reading files outside the warehouse', async () => {
    expect((await refused(`SELECT 1; DROP TABLE x`)).code).toBe('invalid');
    expect((await refused(`SELECT * FROM read_csv('/etc/passwd')`)).message).toMatch(/disabled by configuration|Permission/);
  });

  it('explains a query', async () => {
    const r = await engine.execute(`EXPLAIN SELECT count(*) FROM ${METRICS}`);
    expect(r.rows.length).toBeGreaterThan(0);
  });
});

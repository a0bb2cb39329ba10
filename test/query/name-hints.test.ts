// What `sql` says about names it cannot find and about errors in rewritten
// statements: three-part names suggested, never the generated SQL unless asked.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { QueryEngine } from '../../src/query/engine.ts';
import { nearestNames } from '../../src/query/name-hints.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor, type TableKind } from '../../src/tables/schema.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TABLES: [string, TableKind][] = [
  ['main.agent_telemetry.claude_otel_logs', 'logs'],
  ['main.agent_telemetry.claude_otel_metrics', 'metrics'],
  ['team.tel.gemini_otel_logs', 'logs'],
];
let warehouse: string;
let engine: QueryEngine;
let verbose: QueryEngine;

beforeAll(async () => {
  warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-names-'));
  for (const [name, kind] of TABLES) {
    const schema = schemaFor(kind);
    await createDeltaTable(tableDir(warehouse, parseTableName(name)), { schema, properties: { ...schema.tableProperties } });
  }
  engine = await QueryEngine.open({ warehouse });
  verbose = await QueryEngine.open({ warehouse, showGeneratedSql: true });
});

afterAll(async () => {
  engine?.close();
  verbose?.close();
  await rm(warehouse, { recursive: true, force: true });
});

const failure = async (e: QueryEngine, sql: string): Promise<string> => {
  try {
    await e.execute(sql);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`no error for ${sql}`);
};

describe('names sql cannot find', () => {
  it('a one-part name: says tables are catalog.schema.table and names the nearest', async () => {
    const m = await failure(engine, 'SELECT * FROM claude_otel_logs');
    expect(m).toMatch(/^claude_otel_logs is not a table here: tables and views are named catalog\.schema\.table/);
    expect(m).toMatch(/did you mean main\.agent_telemetry\.claude_otel_logs\b/);
    expect(m).not.toMatch(/duckdb_logs|sqlite_master|Catalog Error/);
  });

  it('a two-part name gets the same, matched on its last two parts', async () => {
    const m = await failure(engine, 'SELECT count(*) FROM tel.gemini_otel_logs');
    expect(m).toMatch(/^tel\.gemini_otel_logs is not a table here: .*did you mean team\.tel\.gemini_otel_logs\?$/);
  });

  it('a misspelt table or view: the nearest existing names', async () => {
    expect(await failure(engine, 'SELECT * FROM main.agent_telemetry.claude_otel_log')).toBe(
      'there is no table or view main.agent_telemetry.claude_otel_log in the warehouse; did you mean main.agent_telemetry.claude_otel_logs, main.agent_telemetry.claude_otel_metrics?',
    );
    expect(await failure(engine, 'SELECT * FROM main.agent_telemetry.sesions')).toMatch(/did you mean main\.agent_telemetry\.sessions[,?]/);
  });

  it('nothing near: the tables that exist', async () => {
    expect(await failure(engine, 'SELECT * FROM zzzz')).toBe(
      'zzzz is not a table here: tables and views are named catalog.schema.table (e.g. main.agent_telemetry.claude_otel_logs); the warehouse holds main.agent_telemetry.claude_otel_logs, main.agent_telemetry.claude_otel_metrics, team.tel.gemini_otel_logs',
    );
  });

  it('ranks by closeness and leaves far names out', () => {
    const known = ['a.b.sessionx', 'a.b.sessions', 'a.b.usage_facts'];
    expect(nearestNames('a.b.sesions', known)).toEqual(['a.b.sessions', 'a.b.sessionx']);
    expect(nearestNames('nothing_alike_at_all', known)).toEqual([]);
  });
});

describe('errors in a rewritten statement', () => {
  const BAD_COLUMN = 'SELECT nope FROM main.agent_telemetry.claude_otel_logs';

  it('do not quote the generated SQL', async () => {
    const m = await failure(engine, BAD_COLUMN);
    expect(m).toMatch(/^Binder Error: Referenced column "nope" not found/);
    expect(m).not.toMatch(/LINE \d|temp\.main|__o2d|read_parquet/);
  });

  it('end with it when asked (sql --show-generated-sql)', async () => {
    const m = await failure(verbose, BAD_COLUMN);
    expect(m).toMatch(/^Binder Error: Referenced column "nope" not found[\s\S]*\n\ngenerated SQL:\nSELECT nope FROM temp\.main\."claude_otel_logs"$/);
  });

  it('keep DuckDB excerpts when the statement ran as written', async () => {
    expect(await failure(engine, 'SELECT nope FROM range(3)')).toMatch(/LINE 1: SELECT nope FROM range\(3\)/);
  });
});

describe('otlp2delta sql', () => {
  it('prints the message and exits 1', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/otlp2delta'), 'sql', 'SELECT * FROM claude_otel_logs', '--warehouse', warehouse], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^otlp2delta sql: claude_otel_logs is not a table here: .*did you mean main\.agent_telemetry\.claude_otel_logs\?\n$/);
  }, 30_000);
});

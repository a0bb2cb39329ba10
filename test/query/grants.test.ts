// SELECT enforcement in the query engine for a caller with a token: direct
// reads, reads through the usage views, tables hidden from the caller
// answering exactly as missing ones (suggestions included), files read past
// the tables refused; and the statements endpoint running grant statements
// for admins only.
import { readdirSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMINS_GROUP, type Principal } from '../../src/access/types.ts';
import { handleStatement } from '../../src/http/statements.ts';
import { QueryEngine, QueryError } from '../../src/query/engine.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { claudeTokenUsage, sendMetricsJson } from './support.ts';

const A = 'main.team_a.claude_otel_metrics';
const SECRET = 'main.team_a.secret_otel_metrics';
const B = 'main.team_b.claude_otel_metrics';

const analyst: Principal = { tokenId: 'tok_ann', name: 'ann@example.com', groups: ['analysts'] };
const admin: Principal = { tokenId: 'tok_root', name: 'root@example.com', groups: [ADMINS_GROUP] };

let svc: TestService;
let engine: QueryEngine;

const tokens = (email: string, value: number) => claudeTokenUsage(email, value, 0);

const send = (table: string, body: unknown): Promise<void> => sendMetricsJson(svc, table, body);

const message = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(QueryError);
    return (e as Error).message;
  }
  throw new Error('the statement ran');
};

beforeAll(async () => {
  svc = await startTestService({ flushIntervalMs: 60_000 });
  for (const t of [A, SECRET, B]) await svc.createTable(t, 'metrics');
  await send(A, tokens('ann@example.com', 10));
  await send(SECRET, tokens('boss@example.com', 1000));
  await send(B, tokens('bea@example.com', 7));
  engine = await QueryEngine.open({ warehouse: svc.warehouse });
  for (const g of ['GRANT USE CATALOG ON CATALOG main TO analysts', 'GRANT USE SCHEMA ON SCHEMA main.team_a TO analysts', `GRANT SELECT ON TABLE ${A} TO analysts`, `GRANT MODIFY ON TABLE ${B} TO analysts`]) {
    await engine.execute(g);
  }
});

afterAll(async () => {
  engine?.close();
  await svc?.stop();
});

describe('SELECT on direct reads', () => {
  it('reads a table granted through a group', async () => {
    const r = await engine.execute(`SELECT sum(sum.value) FROM ${A}`, {}, analyst);
    expect(r.rows).toEqual([[10]]);
  });

  it('refuses a visible table without SELECT, naming the privilege', async () => {
    // MODIFY on team_b's table makes it visible; USE SCHEMA on team_b is what is missing first.
    expect(await message(engine.execute(`SELECT * FROM ${B}`, {}, analyst))).toBe("PERMISSION_DENIED: User does not have USE SCHEMA on Schema 'main.team_b'.");
    await engine.execute('GRANT USE SCHEMA ON SCHEMA main.team_b TO analysts');
    expect(await message(engine.execute(`SELECT * FROM ${B}`, {}, analyst))).toBe(`PERMISSION_DENIED: User does not have SELECT on Table '${B}'.`);
    await engine.execute('REVOKE USE SCHEMA ON SCHEMA main.team_b FROM analysts');
  });

  it('answers a hidden table exactly as a missing one, and never suggests it', async () => {
    const hidden = await message(engine.execute(`SELECT * FROM ${SECRET}`, {}, analyst));
    // What the engine says of a name that is not there, with the names this caller may see.
    expect(hidden).toBe(`there is no table or view ${SECRET} in the warehouse; did you mean ${A}, ${B}?`);
    const missing = await message(engine.execute('SELECT * FROM main.team_a.nothing_here', {}, analyst));
    expect(missing).toBe(`there is no table or view main.team_a.nothing_here in the warehouse; the warehouse holds ${A}, ${B}`);
    // A near miss of the hidden name suggests only what the caller may see.
    const near = await message(engine.execute('SELECT * FROM main.team_a.secret_otel_metric', {}, analyst));
    expect(near).not.toContain(SECRET);
    const owner = await message(engine.execute('SELECT * FROM main.team_a.secret_otel_metric'));
    expect(owner).toContain(`did you mean ${SECRET}`);
    // In a subquery or a join it is hidden the same way.
    expect(await message(engine.execute(`SELECT * FROM ${A} JOIN ${SECRET} USING (name)`, {}, analyst))).toMatch(/^there is no table or view main\.team_a\.secret_otel_metrics/);
  });

  it('answers the views of a schema the caller may not use as missing', async () => {
    expect(await message(engine.execute('SELECT * FROM main.team_b.usage_facts', {}, analyst))).toMatch(/^there is no table or view main\.team_b\.usage_facts/);
  });

  it('refuses reading table files directly, which would go past the grants', async () => {
    const dir = svc.tableDir(SECRET);
    expect(await message(engine.execute(`SELECT * FROM read_parquet('${dir}/*.parquet')`, {}, analyst))).toMatch(/^PERMISSION_DENIED: the table function read_parquet/);
    const file = readdirSync(dir).find((f) => f.endsWith('.parquet')) as string;
    expect(await message(engine.execute(`SELECT * FROM '${dir}/${file}'`, {}, analyst))).toMatch(/^PERMISSION_DENIED: reading ".*\.parquet" as a file/);
    expect(await message(engine.execute(`DESCRIBE '${dir}/${file}'`, {}, analyst))).toMatch(/^PERMISSION_DENIED: reading/);
    expect(await message(engine.execute(`SELECT * FROM read_text('${svc.warehouse}/.otlp2delta/control/grants.json')`, {}, analyst))).toMatch(/PERMISSION_DENIED/);
    expect(await message(engine.execute(`SELECT * FROM query('SELECT 1')`, {}, analyst))).toMatch(/table function query/);
    expect(await message(engine.execute(`EXPLAIN ANALYZE SELECT * FROM read_text('x')`, {}, analyst))).toMatch(/table function read_text/);
    // Computing rows is fine, and so are common table expressions.
    expect((await engine.execute('WITH x AS (SELECT * FROM range(3)) SELECT count(*) FROM x', {}, analyst)).rows).toEqual([['3']]);
    // The owner keeps the file functions.
    expect((await engine.execute(`SELECT count(*) FROM read_parquet('${dir}/*.parquet')`)).rows).toEqual([['1']]);
  });
});

describe('SELECT through the usage views', () => {
  it('builds the views over the tables the caller may read only', async () => {
    const q = 'SELECT user_email, sum(tokens)::INTEGER FROM main.team_a.usage_facts GROUP BY 1 ORDER BY 1';
    expect((await engine.execute(q)).rows).toEqual([
      ['ann@example.com', 10],
      ['boss@example.com', 1000],
    ]);
    expect((await engine.execute(q, {}, analyst)).rows).toEqual([['ann@example.com', 10]]);
    await engine.execute(`GRANT SELECT ON SCHEMA main.team_a TO \`ann@example.com\``);
    try {
      // A schema grant covers the table it could not read before.
      expect((await engine.execute(q, {}, analyst)).rows).toHaveLength(2);
    } finally {
      await engine.execute('REVOKE SELECT ON SCHEMA main.team_a FROM `ann@example.com`');
    }
  });
});

describe('grant statements', () => {
  it('are refused to a principal outside the admins group, and run for one inside it', async () => {
    expect(await message(engine.execute(`GRANT SELECT ON TABLE ${SECRET} TO analysts`, {}, analyst))).toMatch(/^PERMISSION_DENIED: only the warehouse's owner and members of the admins group/);
    const r = await engine.execute(`SHOW GRANTS ON TABLE ${A}`, {}, admin);
    expect(r.columns.map((c) => c.name)).toEqual(['principal', 'action_type', 'object_type', 'object_key']);
    expect(r.rows).toEqual([['analysts', 'SELECT', 'TABLE', A]]);
  });

  it('still leave every other non-read statement refused', async () => {
    for (const s of ['DROP TABLE x', 'GRANTS SELECT', 'CREATE TABLE t (a INT)', "COPY (SELECT 1) TO '/tmp/x'"]) {
      await expect(engine.execute(s, {}, admin), s).rejects.toThrow(/only read statements/);
    }
    await expect(engine.execute('GRANT SELECT ON TABLE a.b.c TO x; DROP TABLE y')).rejects.toThrow(/give one statement at a time/);
  });
});

describe('the statements endpoint', () => {
  let server: ServerType;
  let url: string;
  beforeAll(async () => {
    // The caller arrives from the authentication edge; here a header stands in for it.
    const callers: Record<string, Principal> = { ann: analyst, root: admin };
    const app = new Hono<{ Bindings: HttpBindings }>();
    app.post('/api/2.0/sql/statements', (c) => handleStatement(c, engine, undefined, callers[c.req.header('x-test-caller') ?? '']));
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
        url = `http://127.0.0.1:${info.port}/api/2.0/sql/statements`;
        resolve();
      });
    });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const post = (caller: string | undefined, statement: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(caller ? { 'x-test-caller': caller } : {}) }, body: JSON.stringify({ statement }) });

  it("answers a non-admin's GRANT with 403 PERMISSION_DENIED and changes nothing", async () => {
    const res = await post('ann', `GRANT SELECT ON TABLE ${SECRET} TO \`ann@example.com\``);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error_code: string; message: string };
    expect(body.error_code).toBe('PERMISSION_DENIED');
    expect(engine.grants.show({ type: 'TABLE', parts: SECRET.split('.') })).toEqual([]);
  });

  it("runs an admin's GRANT, and a missing SELECT answers 403", async () => {
    expect((await post('root', `GRANT SELECT ON TABLE ${SECRET} TO \`ann@example.com\``)).status).toBe(200);
    const shown = (await (await post('root', `SHOW GRANTS \`ann@example.com\` ON TABLE ${SECRET}`)).json()) as { result: { data_array: string[][] } };
    expect(shown.result.data_array).toEqual([['ann@example.com', 'SELECT', 'TABLE', SECRET]]);
    const read = await post('ann', `SELECT count(*) FROM ${SECRET}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { result: { data_array: string[][] } }).result.data_array).toEqual([['1']]);
    await post('root', `REVOKE SELECT ON TABLE ${SECRET} FROM \`ann@example.com\``);
    const denied = await post('ann', `SELECT * FROM ${B}`);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { message: string }).message).toMatch(/^PERMISSION_DENIED: User does not have USE SCHEMA/);
  });

  it('without a caller (auth off) runs as the owner', async () => {
    expect((await post(undefined, `SELECT count(*) FROM ${SECRET}`)).status).toBe(200);
  });
});

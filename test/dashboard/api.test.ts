// The dashboard's JSON and CSV endpoints over the recorded captures and the
// synthetic multi-agent sessions: numbers equal the views', filters change
// them, and with tokens on, grants decide what a caller sees.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createToken } from '../../src/access/token-store.ts';
import { OWNER } from '../../src/access/types.ts';
import { QueryEngine } from '../../src/query/engine.ts';
import { DashboardService } from '../../src/dashboard/service.ts';
import type { LoadedWarehouse } from '../query/support.ts';
import { claudeTokenUsage, rowObjects, sendMetricsJson } from '../query/support.ts';
import { spawn } from 'node:child_process';
import { parseTableName } from '../../src/tables/names.ts';
import path from 'node:path';
import { REPO } from '../support/cli.ts';
import { kpi, overview, startDashboardWarehouse } from './support.ts';

const SYNTH = 'synth.agent_telemetry';
let w: LoadedWarehouse;
let engine: QueryEngine;
let url: string;

beforeAll(async () => {
  w = await startDashboardWarehouse();
  url = w.svc.url;
  engine = await QueryEngine.open({ warehouse: w.svc.warehouse });
}, 60_000);

afterAll(async () => {
  engine?.close();
  await w?.svc.stop();
});

const one = async (sql: string) => (await rowObjects(engine, sql))[0] as Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

describe('numbers', () => {
  test('every panel is answered, and headline numbers equal the views', async () => {
    const { status, body } = await overview(url, { schema: SYNTH });
    expect(status).toBe(200);
    expect(body.panels.map((p) => p.id)).toEqual(['adoption', 'sessions', 'tokens', 'spend', 'outcomes', 'tools', 'errors', 'top_sessions', 'health']);
    const s = `${SYNTH}`;
    expect(kpi(body, 'tokens', 'tokens')).toBe(num((await one(`SELECT sum(tokens) AS t FROM ${s}.usage_facts`)).t));
    expect(kpi(body, 'sessions', 'sessions')).toBe(num((await one(`SELECT count(*) AS n FROM ${s}.sessions`)).n));
    expect(kpi(body, 'adoption', 'active_users')).toBe(num((await one(`SELECT count(DISTINCT "user") AS n FROM ${s}.daily_active_users`)).n));
    expect(kpi(body, 'spend', 'spend_usd')).toBeCloseTo(Number((await one(`SELECT sum(spend_usd) AS v FROM ${s}.spend`)).v), 12);
    expect(kpi(body, 'errors', 'api_errors')).toBe(num((await one(`SELECT count(*) AS n FROM ${s}.api_requests WHERE status = 'error'`)).n));
    expect(kpi(body, 'tools', 'decisions')).toBe(num((await one(`SELECT count(*) AS n FROM ${s}.tool_decisions`)).n));
    expect(kpi(body, 'outcomes', 'commits')).toBe(num((await one(`SELECT sum("count") AS n FROM ${s}.commits_and_prs WHERE kind = 'commit'`)).n));
    // The synthetic data holds errors, tool decisions, commits and a logs-only exporter, so none of these is a vacuous zero.
    expect(kpi(body, 'errors', 'api_errors')).toBeGreaterThan(0);
    expect(kpi(body, 'tools', 'decisions')).toBeGreaterThan(0);
    expect(kpi(body, 'outcomes', 'commits')).toBeGreaterThan(0);
    expect(kpi(body, 'health', 'silent_exporters')).toBeGreaterThan(0);
    expect(kpi(body, 'health', 'refused_exports')).toBe(0);
  });

  test('filters change the numbers, and equal the filtered views', async () => {
    const all = (await overview(url, { schema: SYNTH })).body;
    const claude = (await overview(url, { schema: SYNTH, agent: 'claude_code' })).body;
    const want = num((await one(`SELECT sum(tokens) AS t FROM ${SYNTH}.usage_facts WHERE agent = 'claude_code'`)).t);
    expect(kpi(claude, 'tokens', 'tokens')).toBe(want);
    expect(kpi(claude, 'tokens', 'tokens')).toBeLessThan(kpi(all, 'tokens', 'tokens') as number);
    const day = (await one(`SELECT min(day) AS d FROM ${SYNTH}.usage_facts`)).d as string;
    const first = (await overview(url, { schema: SYNTH, from: String(day), to: String(day) })).body;
    expect(kpi(first, 'tokens', 'tokens')).toBe(num((await one(`SELECT sum(tokens) AS t FROM ${SYNTH}.usage_facts WHERE day = DATE '${day}'`)).t));
  });

  test('each table downloads as CSV with the JSON answer\'s rows', async () => {
    const { body } = await overview(url, { schema: SYNTH });
    const rows = body.panels.find((p) => p.id === 'tokens')?.tables.by_agent?.rows ?? [];
    const res = await fetch(`${url}/dashboard/api/panels/tokens/by_agent.csv?schema=${SYNTH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('agent,tokens,cache_hit_rate');
    expect(lines.length - 1).toBe(rows.length);
    expect(lines[1]?.split(',')[1]).toBe(String(rows[0]?.tokens));
    expect((await fetch(`${url}/dashboard/api/panels/tokens/nope.csv?schema=${SYNTH}`)).status).toBe(404);
  });

  test('a top session opens with its timeline in time order', async () => {
    const { body } = await overview(url, { schema: SYNTH });
    const top = body.panels.find((p) => p.id === 'top_sessions')?.tables.sessions?.rows[0] as Record<string, string>;
    const res = await fetch(`${url}/dashboard/api/session?${new URLSearchParams({ schema: SYNTH, agent: top.agent as string, session: top.session_id as string })}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { timeline: { rows: { time: string; kind: string }[] }; summary: { rows: { tokens: number }[] } };
    expect(page.timeline.rows.length).toBeGreaterThan(0);
    const times = page.timeline.rows.map((r) => r.time);
    expect([...times].sort()).toEqual(times);
    expect(page.summary.rows[0]?.tokens).toBe(Number(top.tokens));
    const missing = await fetch(`${url}/dashboard/api/session?schema=${SYNTH}&agent=codex&session=no-such`);
    expect(missing.status).toBe(404);
  });

  test('pages and assets come from the server, / redirects, bad filters get a 400', async () => {
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/dashboard');
    const page = await fetch(`${url}/dashboard`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('/dashboard/static/overview.js');
    expect((await fetch(`${url}/dashboard/vendor/uPlot.esm.js`)).status).toBe(200);
    const bad = await overview(url, { from: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/from must be a date/);
    expect((await overview(url, { schema: 'nope.nope' })).status).toBe(404);
  });
});

describe('answers follow the data', () => {
  test('a commit to a table is seen at once: answers are cached per table version', async () => {
    const before = kpi((await overview(url, { schema: SYNTH })).body, 'tokens', 'tokens') as number;
    expect(kpi((await overview(url, { schema: SYNTH })).body, 'tokens', 'tokens')).toBe(before);
    await sendMetricsJson(w.svc, `${SYNTH}.claude_otel_metrics`, claudeTokenUsage('zoe@example.com', 1234, 5));
    expect(kpi((await overview(url, { schema: SYNTH })).body, 'tokens', 'tokens')).toBe(before + 1234);
  });

  test('an answer looked at is recomputed in the background after a commit, so the next look is cached and exact', async () => {
    const dash = new DashboardService(engine, () => undefined, { refreshMs: 100, precompute: false });
    try {
      const tokens = (o: Awaited<ReturnType<DashboardService['overview']>>) => o.panels.find((p) => p.id === 'tokens')?.kpis.tokens as number;
      const first = tokens(await dash.overview({ agent: 'claude_code' }, OWNER, SYNTH));
      expect(dash.stats.computed).toBe(1);
      await sendMetricsJson(w.svc, `${SYNTH}.claude_otel_metrics`, claudeTokenUsage('yann@example.com', 77, 7));
      for (let i = 0; i < 200 && dash.stats.refreshed === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(dash.stats.refreshed).toBe(1);
      const next = await dash.overview({ agent: 'claude_code' }, OWNER, SYNTH);
      expect(dash.stats.computed).toBe(2);
      expect(tokens(next)).toBe(first + 77);
    } finally {
      dash.close();
    }
  }, 30_000);

  test('the default view is computed at start and again after a commit, before anyone asks', async () => {
    const dash = new DashboardService(engine, () => undefined, { refreshMs: 100 });
    try {
      const tokens = (o: Awaited<ReturnType<DashboardService['overview']>>) => o.panels.find((p) => p.id === 'tokens')?.kpis.tokens as number;
      for (let i = 0; i < 200 && dash.stats.refreshed === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(dash.stats.refreshed).toBe(1);
      const first = await dash.overview({}, OWNER);
      expect(dash.stats.computed).toBe(1);
      await sendMetricsJson(w.svc, `${first.schema}.claude_otel_metrics`, claudeTokenUsage('wim@example.com', 31, 4));
      for (let i = 0; i < 200 && dash.stats.refreshed === 1; i++) await new Promise((r) => setTimeout(r, 50));
      expect(dash.stats.refreshed).toBe(2);
      const next = await dash.overview({}, OWNER);
      expect(dash.stats.computed).toBe(2);
      expect(next.stale).toBe(false);
      expect(tokens(next)).toBe(tokens(first) + 31);
    } finally {
      dash.close();
    }
  }, 30_000);

  test('cached=any answers at once with the last answer, marked stale, while the current one is computed', async () => {
    const before = (await overview(url, { schema: SYNTH, agent: 'gemini_cli' })).body;
    expect(before.stale).toBe(false);
    await sendMetricsJson(w.svc, `${SYNTH}.claude_otel_metrics`, claudeTokenUsage('xena@example.com', 5, 9));
    const quick = (await overview(url, { schema: SYNTH, agent: 'gemini_cli', cached: 'any' })).body;
    expect(quick.stale).toBe(true);
    expect(quick.panels).toEqual(before.panels);
    const exact = (await overview(url, { schema: SYNTH, agent: 'gemini_cli' })).body;
    expect(exact.stale).toBe(false);
    expect(exact.version).not.toBe(before.version);
  });

  test('a refused export shows in data health with its table and reason', async () => {
    const refusals = async () => {
      await w.svc.service.pipeline.flushTable(parseTableName('system.access.audit'));
      return (await overview(url, { schema: SYNTH })).body.panels.find((p) => p.id === 'health');
    };
    const before = Number((await refusals())?.kpis.refused_exports);
    const bad = await fetch(`${url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': 'not a table' }, body: '{}' });
    expect(bad.status).toBe(400);
    let health;
    for (let i = 0; i < 100; i++) {
      health = await refusals();
      if (Number(health?.kpis.refused_exports) > before) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(health?.kpis.refused_exports).toBe(before + 1);
    expect(health?.tables.refused_exports?.rows).toContainEqual(expect.objectContaining({ table: 'not a table', status_code: 400, refusals: 1 }));
  }, 30_000);

  test('otlp2delta dashboard serves the same answers read-only over the warehouse', async () => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin/otlp2delta'), 'dashboard', '--port', '0', '--warehouse', w.svc.warehouse], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('close', r));
    try {
      const deadline = Date.now() + 30_000;
      let cli: string | undefined;
      while (!(cli = /(http:\/\/\S+)\/dashboard/.exec(out)?.[1])) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`dashboard did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const served = await overview(url, { schema: SYNTH, agent: 'codex' });
      const offline = await overview(cli, { schema: SYNTH, agent: 'codex' });
      expect(offline.status).toBe(200);
      expect(offline.body.panels).toEqual(served.body.panels);
      expect((await fetch(`${cli}/`, { redirect: 'manual' })).headers.get('location')).toBe('/dashboard');
      expect((await fetch(`${cli}/dashboard`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 40_000);
});

describe('with tokens', () => {
  test('a token is needed, and SELECT grants decide what is shown', async () => {
    const admin = (await createToken(w.svc.warehouse, { principal: 'root', groups: ['admins'] })).secret;
    const alice = (await createToken(w.svc.warehouse, { principal: 'alice' })).secret;
    await w.svc.service.tokens.poll();
    expect((await overview(url, { schema: SYNTH })).status).toBe(401);
    expect(await (await fetch(`${url}/dashboard/api/auth`)).json()).toMatchObject({ required: true, signedIn: false });
    expect(await (await fetch(`${url}/dashboard/api/auth`, { headers: { authorization: `Bearer ${alice}` } })).json()).toEqual({ required: true, signedIn: true, principal: 'alice' });
    expect((await overview(url, { schema: SYNTH }, { authorization: 'Bearer dapi-wrong' })).status).toBe(403);
    const sql = (statement: string) => fetch(`${url}/api/2.0/sql/statements`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ statement }) });
    for (const g of ['GRANT USE CATALOG ON CATALOG synth TO alice', `GRANT USE SCHEMA ON SCHEMA ${SYNTH} TO alice`, `GRANT SELECT ON TABLE ${SYNTH}.claude_otel_metrics TO alice`]) expect((await sql(g)).status).toBe(200);
    const asAlice = await overview(url, {}, { authorization: `Bearer ${alice}` });
    expect(asAlice.status).toBe(200);
    expect(asAlice.body.schemas).toEqual([SYNTH]);
    const everything = num((await one(`SELECT sum(tokens) AS t FROM ${SYNTH}.usage_facts`)).t) as number;
    expect(kpi(asAlice.body, 'tokens', 'tokens')).toBeLessThan(everything);
    expect(kpi(asAlice.body, 'tokens', 'tokens')).toBe(num((await one(`SELECT sum(increment) AS t FROM ${SYNTH}.metric_increments WHERE metric = 'claude_code.token.usage'`)).t));
    // The audit table is not hers to read: the panel says so instead of counting zero.
    expect(kpi(asAlice.body, 'health', 'refused_exports')).toBeNull();
    expect((await overview(url, { schema: 'main.agent_telemetry' }, { authorization: `Bearer ${alice}` })).status).toBe(404);
  });
});

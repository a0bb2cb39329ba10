// One definition of a session: the sessions view, daily_active_users, the usage
// report's active agents and daily tables and every --by breakdown count the
// same sessions, over the recorded runs of Claude Code, Codex CLI and Gemini
// CLI and over the synthetic ones; a start-up without a model call is no
// session; Codex sessions carry the tokens its session-less metrics count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryEngine } from '../../src/query/engine.ts';
import { BREAKDOWNS, usageReport, type UsageReport } from '../../src/query/usage-report.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { loadWarehouse, rowObjects, type LoadedWarehouse } from './support.ts';
import { DAY, PARTIAL_SCHEMA, partialCoverageRequests } from './synthetic.ts';

let loaded: LoadedWarehouse;
let engine: QueryEngine;

beforeAll(async () => {
  loaded = await loadWarehouse();
  const { svc } = loaded;
  const requests = partialCoverageRequests();
  const tables = new Map(requests.map((r) => [r.table, r.signal]));
  for (const [name, kind] of tables) await svc.createTable(name, kind);
  for (const r of requests) {
    const res = await fetch(`${svc.url}/v1/${r.signal}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': r.table },
      body: JSON.stringify(r.body),
    });
    expect(res.status, await res.text()).toBe(200);
  }
  for (const name of tables.keys()) await svc.service.pipeline.flushTable(parseTableName(name));
  engine = await QueryEngine.open({ warehouse: svc.warehouse });
}, 120_000);

afterAll(async () => {
  engine?.close();
  await loaded?.svc.stop();
});

const objects = (sql: string): Promise<Record<string, unknown>[]> => rowObjects(engine, sql);

const perAgent = (rows: { agent: string; n: number }[]) => Object.fromEntries(rows.map((r) => [r.agent, r.n]));
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Session counts per agent from every place that shows one, for the report's window. */
async function everyCount(schema: string, asOf: string, days: number) {
  const window = `day BETWEEN DATE '${asOf}' - INTERVAL ${days - 1} DAY AND DATE '${asOf}'`;
  const view = perAgent((await objects(`SELECT agent, count(*)::INTEGER AS n FROM ${schema}.sessions WHERE ${window} GROUP BY 1`)) as never);
  const dau = perAgent((await objects(`SELECT agent, sum(sessions)::INTEGER AS n FROM ${schema}.daily_active_users WHERE ${window} GROUP BY 1`)) as never);
  const reports = new Map<string, UsageReport>();
  reports.set('none', await usageReport(engine, { schema, days, asOf }));
  for (const by of BREAKDOWNS) reports.set(by, await usageReport(engine, { schema, days, asOf, by }));
  const plain = reports.get('none') as UsageReport;
  const active = Object.fromEntries(plain.activeAgents.filter((a) => a.sessions > 0).map((a) => [a.agent, a.sessions]));
  const daily = Object.fromEntries(
    plain.daily.map((d) => [d.agent, d.days.reduce((n, x) => n + x.sessions, 0)] as const).filter(([, n]) => n > 0),
  );
  const rows = (by: string) => reports.get(by)?.breakdown?.rows ?? [];
  const byAgent = Object.fromEntries(rows('agent').filter((r) => r.sessions > 0).map((r) => [r.key, r.sessions]));
  for (const by of BREAKDOWNS) {
    // Every report holds the same active-agents table, whatever it breaks down by.
    expect(reports.get(by)?.activeAgents, by).toEqual(plain.activeAgents);
  }
  const sum = (by: string) => rows(by).reduce((n, r) => n + r.sessions, 0);
  const byModel = Object.fromEntries(rows('model').map((r) => [r.key ?? '(none)', r.sessions]));
  const modelsInView = Object.fromEntries(
    (await objects(`SELECT coalesce(m, '(none)') AS model, count(*)::INTEGER AS n FROM (SELECT unnest(if(len(models) = 0, [NULL], models)) AS m FROM ${schema}.sessions WHERE ${window}) GROUP BY 1`)).map(
      (r) => [r.model, r.n],
    ),
  );
  return { view, dau, active, daily, byAgent, byDay: sum('day'), byUser: sum('user'), byModel, modelsInView };
}

/** Every count of sessions per agent equals `expected`, and the totals and per-model counts agree with them. */
function expectAgreement(c: Awaited<ReturnType<typeof everyCount>>, expected: Record<string, number>): void {
    expect(c.view).toEqual(expected);
    expect(c.dau).toEqual(expected);
    expect(c.active).toEqual(expected);
    expect(c.daily).toEqual(expected);
    expect(c.byAgent).toEqual(expected);
    expect(c.byDay).toBe(total(expected));
    expect(c.byUser).toBe(total(expected));
    expect(c.byModel).toEqual(c.modelsInView);
}

describe('every session count reads one definition', () => {
  it('agrees everywhere on the recorded runs of all three agents', async () => {
    const c = await everyCount('main.agent_telemetry', '2026-11-21', 7);
    // Three Claude runs, one without session ids (OTEL_METRICS_INCLUDE_SESSION_ID=false); two Codex runs; one Gemini run.
    const expected = { claude_code: 2, codex: 2, gemini_cli: 1 };
    expectAgreement(c, expected);
    expect(c.byModel).toEqual({ 'claude-opus-4-8[1m]': 2, 'gpt-5.1-codex': 2, 'gemini-3.1-pro-preview': 1, 'gemini-3.5-flash-lite': 1 });
  });

  it('agrees everywhere on the synthetic sessions', async () => {
    const c = await everyCount('synth.agent_telemetry', DAY, 30);
    const expected = { claude_code: 3, codex: 2, gemini_cli: 1 };
    expectAgreement(c, expected);
  });

  it('does not count a Gemini start-up that exited before any model call', async () => {
    // The run's telemetry landed and is activity...
    const [landed] = await objects(`SELECT count(*)::INTEGER AS n FROM synth.agent_telemetry.agent_activity WHERE session_id = 'G2'`);
    expect(landed?.n).toBe(3);
    // ...but it is no session, and erin, who did nothing else, is no active user.
    expect(await objects(`SELECT session_id FROM synth.agent_telemetry.sessions WHERE session_id = 'G2'`)).toEqual([]);
    expect(await objects(`SELECT user FROM synth.agent_telemetry.daily_active_users WHERE user = 'erin@example.com'`)).toEqual([]);
    const r = await usageReport(engine, { schema: 'synth.agent_telemetry', days: 7, asOf: DAY });
    expect(r.activeAgents.find((a) => a.agent === 'gemini_cli')).toMatchObject({ sessions: 1, users: 1 });
  });
});

describe('Codex sessions carry the tokens of its session-less metrics', () => {
  it('gives each recorded Codex conversation its tokens and model, counted once', async () => {
    const sessions = await objects(`SELECT tokens::INTEGER AS tokens, models FROM main.agent_telemetry.sessions WHERE agent = 'codex' ORDER BY session_id`);
    expect(sessions).toEqual([
      { tokens: 15, models: ['gpt-5.1-codex'] },
      { tokens: 15, models: ['gpt-5.1-codex'] },
    ]);
    const [all] = await objects(`SELECT sum(tokens)::INTEGER AS n, (count(*) FILTER (WHERE session_id IS NULL))::INTEGER AS unattributed FROM main.agent_telemetry.usage_facts WHERE agent = 'codex'`);
    expect(all).toEqual({ n: 30, unattributed: 0 });
  });

  it('keeps what the events do not account for without a session', async () => {
    const rows = await objects(
      `SELECT coalesce(session_id, '-') AS s, token_type, sum(tokens)::INTEGER AS tokens FROM ${PARTIAL_SCHEMA}.usage_facts GROUP BY ALL HAVING sum(tokens) <> 0 ORDER BY ALL`,
    );
    expect(rows).toEqual([
      { s: '-', token_type: 'input', tokens: 200 },
      { s: '-', token_type: 'output', tokens: 30 },
      { s: 'P1', token_type: 'cache_read', tokens: 100 },
      { s: 'P1', token_type: 'input', tokens: 200 },
      { s: 'P1', token_type: 'output', tokens: 30 },
      { s: 'P1', token_type: 'reasoning', tokens: 20 },
    ]);
    const r = await usageReport(engine, { schema: PARTIAL_SCHEMA, days: 1, asOf: DAY, by: 'agent' });
    expect(r.breakdown?.rows).toEqual([{ key: 'codex', tokens: 580, costUsd: null, estimatedUsd: expect.any(Number), spendUsd: expect.any(Number), sessions: 1 }]);
  });
});

// The normalised views and the usage report against data with known totals:
// the recorded captures of Claude Code, Codex CLI and Gemini CLI, and the
// synthetic sessions (cumulative and delta, a reset, a repeated export, two
// processes in one session, Gemini's overlapping families, a logs-only day).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryEngine } from '../../src/query/engine.ts';
import { usageReport } from '../../src/query/usage-report.ts';
import { loadWarehouse, rowObjects, type LoadedWarehouse } from './support.ts';
import { DAY, EARLY_DAY, EXPECTED, LOGS_ONLY_DAY } from './synthetic.ts';

let loaded: LoadedWarehouse;
let engine: QueryEngine;

beforeAll(async () => {
  loaded = await loadWarehouse();
  engine = await QueryEngine.open({ warehouse: loaded.svc.warehouse });
});

afterAll(async () => {
  engine?.close();
  await loaded?.svc.stop();
});

const objects = (sql: string): Promise<Record<string, unknown>[]> => rowObjects(engine, sql);

describe('usage_facts over the recorded captures', () => {
  it('counts each agent once per token, from its own metrics, with disjoint token types', async () => {
    const rows = await objects(`
      SELECT agent, token_type, sum(tokens)::INTEGER AS tokens, round(sum(cost_usd), 8) AS cost, list(DISTINCT source_name) AS sources
      FROM main.agent_telemetry.usage_facts GROUP BY ALL ORDER BY agent, token_type NULLS FIRST`);
    expect(rows).toEqual([
      // Three runs of 12 input, 3 output, 7 cache read and 5 cache creation tokens (one run cumulative).
      { agent: 'claude_code', token_type: null, tokens: null, cost: 0.00050925, sources: ['claude_code.cost.usage'] },
      { agent: 'claude_code', token_type: 'cache_read', tokens: 21, cost: null, sources: ['claude_code.token.usage'] },
      { agent: 'claude_code', token_type: 'cache_write', tokens: 15, cost: null, sources: ['claude_code.token.usage'] },
      { agent: 'claude_code', token_type: 'input', tokens: 36, cost: null, sources: ['claude_code.token.usage'] },
      { agent: 'claude_code', token_type: 'output', tokens: 9, cost: null, sources: ['claude_code.token.usage'] },
      // Two runs of input 12 (4 cached), output 3 (1 reasoning), once: the session-less
      // codex.turn.token_usage metric holds the same tokens as the sse_event copies, which name the conversation.
      { agent: 'codex', token_type: 'cache_read', tokens: 8, cost: null, sources: ['codex.sse_event'] },
      { agent: 'codex', token_type: 'cache_write', tokens: 0, cost: null, sources: ['codex.sse_event'] },
      { agent: 'codex', token_type: 'input', tokens: 16, cost: null, sources: ['codex.sse_event'] },
      { agent: 'codex', token_type: 'output', tokens: 4, cost: null, sources: ['codex.sse_event'] },
      { agent: 'codex', token_type: 'reasoning', tokens: 2, cost: null, sources: ['codex.sse_event'] },
      // Two models of 12 input, 3 output, 2 thought: gen_ai.client.token.usage and api_response are not added.
      { agent: 'gemini_cli', token_type: 'cache_read', tokens: 0, cost: null, sources: ['gemini_cli.token.usage'] },
      { agent: 'gemini_cli', token_type: 'input', tokens: 24, cost: null, sources: ['gemini_cli.token.usage'] },
      { agent: 'gemini_cli', token_type: 'output', tokens: 6, cost: null, sources: ['gemini_cli.token.usage'] },
      { agent: 'gemini_cli', token_type: 'reasoning', tokens: 4, cost: null, sources: ['gemini_cli.token.usage'] },
      { agent: 'gemini_cli', token_type: 'tool', tokens: 0, cost: null, sources: ['gemini_cli.token.usage'] },
    ]);
  });

  it('finds the sessions, API requests and active time the captures hold', async () => {
    const sessions = await objects(
      `SELECT agent, count(*)::INTEGER AS n, sum(tokens)::INTEGER AS tokens, list_sort(list_distinct(flatten(list(models)))) AS models
       FROM main.agent_telemetry.sessions GROUP BY 1 ORDER BY 1`,
    );
    // The cumulative Claude run was made with OTEL_METRICS_INCLUDE_SESSION_ID=false: it has no session.
    expect(sessions).toEqual([
      { agent: 'claude_code', n: 2, tokens: 54, models: ['claude-opus-4-8[1m]'] },
      { agent: 'codex', n: 2, tokens: 30, models: ['gpt-5.1-codex'] },
      { agent: 'gemini_cli', n: 1, tokens: 34, models: ['gemini-3.1-pro-preview', 'gemini-3.5-flash-lite'] },
    ]);
    const api = await objects(`SELECT agent, status, count(*)::INTEGER AS n FROM main.agent_telemetry.api_requests GROUP BY ALL ORDER BY ALL`);
    expect(api).toEqual([
      { agent: 'claude_code', status: 'ok', n: 3 },
      { agent: 'codex', status: 'ok', n: 2 },
      { agent: 'gemini_cli', status: 'ok', n: 2 },
    ]);
    const [active] = await objects(`SELECT round(sum(seconds), 3) AS s FROM main.agent_telemetry.active_time`);
    expect(active?.s).toBe(0.171 + 0.175 + 2.834);
  });
});

describe('views over the synthetic sessions', () => {
  it('gives exact token and cost totals per agent and day', async () => {
    const rows = await objects(`
      SELECT agent, strftime(day, '%Y-%m-%d') AS day, sum(tokens)::INTEGER AS tokens, round(sum(cost_usd), 6) AS cost
      FROM synth.agent_telemetry.usage_facts GROUP BY ALL ORDER BY ALL`);
    expect(rows).toEqual(EXPECTED.byAgentDay.map((r) => ({ ...r, cost: r.cost === null ? null : Math.round(r.cost * 1e6) / 1e6 })));
    const types = await objects(`SELECT token_type, sum(tokens)::INTEGER AS tokens FROM synth.agent_telemetry.usage_facts WHERE token_type IS NOT NULL GROUP BY 1`);
    expect(Object.fromEntries(types.map((r) => [r.token_type, r.tokens]))).toEqual(EXPECTED.byTokenType);
  });

  it('keeps two processes of one session apart and starts a reset series from zero', async () => {
    const rows = await objects(`
      SELECT token_type, sum(tokens)::INTEGER AS tokens, round(sum(cost_usd), 6) AS cost
      FROM synth.agent_telemetry.usage_facts WHERE session_id = 'S1' GROUP BY 1 ORDER BY 1 NULLS FIRST`);
    expect(rows).toEqual([
      { token_type: null, tokens: null, cost: 2.15 },
      { token_type: 'input', tokens: 400 + 80 + 120, cost: null },
      { token_type: 'output', tokens: 70 + 9 + 15, cost: null },
    ]);
  });

  it('lists sessions, daily active users and the other facts', async () => {
    const sessions = await objects(`SELECT agent || '/' || session_id AS s FROM synth.agent_telemetry.sessions ORDER BY 1`);
    expect(sessions.map((r) => r.s)).toEqual(EXPECTED.sessions);
    const dau = await objects(`SELECT strftime(day, '%Y-%m-%d') AS day, count(*)::INTEGER AS users FROM synth.agent_telemetry.daily_active_users GROUP BY 1 ORDER BY 1`);
    expect(dau).toEqual([
      { day: EARLY_DAY, users: 1 },
      { day: LOGS_ONLY_DAY, users: 1 },
      { day: DAY, users: 4 },
    ]);
    const one = async (sql: string) => Object.fromEntries((await objects(sql)).map((r) => [r.k, r.v]));
    expect(await one(`SELECT type AS k, sum(seconds) AS v FROM synth.agent_telemetry.active_time GROUP BY 1`)).toEqual(EXPECTED.activeSeconds);
    expect(await one(`SELECT kind AS k, sum(lines) AS v FROM synth.agent_telemetry.lines_of_code GROUP BY 1`)).toEqual(EXPECTED.lines);
    expect(await one(`SELECT kind AS k, sum(count) AS v FROM synth.agent_telemetry.commits_and_prs GROUP BY 1`)).toEqual({
      commit: EXPECTED.commits,
      pull_request: EXPECTED.pullRequests,
    });
    expect(await one(`SELECT decision AS k, count(*)::INTEGER AS v FROM synth.agent_telemetry.tool_decisions GROUP BY 1`)).toEqual(EXPECTED.decisions);
    expect(await one(`SELECT status AS k, count(*)::INTEGER AS v FROM synth.agent_telemetry.api_requests GROUP BY 1`)).toEqual(EXPECTED.apiRequests);
  });
});

describe('usage report', () => {
  it('sums today, 7 and 30 days and builds the per-agent daily tables', async () => {
    const r = await usageReport(engine, { schema: 'synth.agent_telemetry', days: 7, asOf: DAY });
    expect(r.tokens).toEqual({ today: 754 + 1200 + 400, last7Days: 754 + 1200 + 400 + 140, last30Days: 3494 });
    expect(r.costUsd.last30Days).toBeCloseTo(2.21, 9);
    expect(r.activeAgents.map((a) => [a.agent, a.tokens, a.sessions])).toEqual([
      ['codex', 1340, 2],
      ['claude_code', 754, 2],
      ['gemini_cli', 400, 1],
    ]);
    expect(r.topModels.map((m) => [m.model, m.tokens])).toEqual([
      ['gpt-5.1-codex', 1340],
      ['claude-sonnet', 694],
      ['gemini-pro', 400],
      ['claude-opus', 60],
    ]);
    const claude = r.daily.find((d) => d.agent === 'claude_code')?.days;
    expect(claude).toEqual([{ date: DAY, tokens: 754, sessions: 2, activeSeconds: 6, models: ['claude-opus', 'claude-sonnet'] }]);
    expect(r.daily.find((d) => d.agent === 'codex')?.days.map((d) => [d.date, d.tokens, d.sessions, d.activeSeconds])).toEqual([
      [LOGS_ONLY_DAY, 140, 1, null],
      [DAY, 1200, 1, null],
    ]);
  });

  it('filters by user and breaks down by a dimension', async () => {
    const alice = await usageReport(engine, { schema: 'synth.agent_telemetry', days: 30, asOf: DAY, user: 'alice@example.com', by: 'day' });
    expect(alice.tokens.last30Days).toBe(1000 + 694);
    expect(alice.breakdown?.rows.map((b) => [b.key, b.tokens, b.sessions])).toEqual([
      [EARLY_DAY, 1000, 1],
      [DAY, 694, 1],
    ]);
    const main = await usageReport(engine, { schema: 'main.agent_telemetry', days: 7, asOf: '2026-11-21', by: 'agent' });
    expect(main.breakdown?.rows.map((b) => [b.key, b.tokens])).toEqual([
      ['claude_code', 81],
      ['gemini_cli', 34],
      ['codex', 30],
    ]);
  });
});

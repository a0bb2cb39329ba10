// Subagents where agents send them: Gemini CLI's agent.start events and
// Claude Code's Task/Agent tool results become subagent runs, counted in the
// sessions panel and shown on the session page; where nothing of the kind was
// sent the count is empty, not a measured zero.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { QueryEngine } from '../../src/query/engine.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { rowObjects } from '../query/support.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { kpi, overview } from './support.ts';

const SCHEMA = 'subs.agent_telemetry';
const T0 = BigInt(Date.parse('2026-11-20T10:00:00Z')) * 1_000_000n;

let svc: TestService;
let engine: QueryEngine;

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const record = (second: number, attrs: Record<string, string>) => ({
  timeUnixNano: String(T0 + BigInt(second) * 1_000_000_000n),
  attributes: Object.entries(attrs).map(([k, v]) => str(k, v)),
});
const logs = (service: string, records: ReturnType<typeof record>[]) => ({
  resourceLogs: [{ resource: { attributes: [str('service.name', service)] }, scopeLogs: [{ logRecords: records }] }],
});

async function post(table: string, body: unknown): Promise<void> {
  const res = await fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': table }, body: JSON.stringify(body) });
  expect(res.status, await res.text()).toBe(200);
  await svc.service.pipeline.flushTable(parseTableName(table));
}

beforeAll(async () => {
  svc = await startTestService({ flushIntervalMs: 60_000 });
  const gemini = `${SCHEMA}.gemini_otel_logs`;
  const claude = `${SCHEMA}.claude_otel_logs`;
  const codex = `${SCHEMA}.codex_otel_logs`;
  for (const t of [gemini, claude, codex]) await svc.createTable(t, 'logs');
  const g = { 'session.id': 'g1', 'user.email': 'gil@example.com' };
  await post(gemini, logs('gemini-cli', [
    record(1, { ...g, 'event.name': 'gemini_cli.api_response', model: 'gemini-2.5-pro', status_code: '200', input_token_count: '10' }),
    record(2, { ...g, 'event.name': 'gemini_cli.agent.start', agent_name: 'codebase_investigator', agent_id: 'a-1' }),
    record(3, { ...g, 'event.name': 'gemini_cli.agent.finish', agent_name: 'codebase_investigator', agent_id: 'a-1', duration_ms: '900' }),
    record(4, { ...g, 'event.name': 'gemini_cli.agent.start', agent_name: 'cli_help', agent_id: 'a-2' }),
  ]));
  const c = { 'session.id': 'c1', 'user.email': 'cat@example.com' };
  await post(claude, logs('claude-code', [
    record(1, { ...c, 'event.name': 'api_request', model: 'claude-sonnet-4-5', input_tokens: '5', output_tokens: '5', cost_usd: '0.01' }),
    record(2, { ...c, 'event.name': 'tool_result', tool_name: 'Task', success: 'true', tool_parameters: '{"subagent_type":"general-purpose"}' }),
    record(3, { ...c, 'event.name': 'tool_result', tool_name: 'Bash', success: 'true' }),
  ]));
  await post(codex, logs('codex_cli_rs', [record(1, { 'conversation.id': 'x1', 'user.email': 'cody@example.com', 'event.name': 'codex.api_request', model: 'gpt-5', 'http.response.status_code': '200' })]));
  engine = await QueryEngine.open({ warehouse: svc.warehouse });
}, 60_000);

afterAll(async () => {
  engine?.close();
  await svc?.stop();
});

test('subagent runs are counted per agent and subagent, equal to the view', async () => {
  const { status, body } = await overview(svc.url, { schema: SCHEMA });
  expect(status).toBe(200);
  const runs = await rowObjects(engine, `SELECT agent, subagent, count(*)::INTEGER AS runs FROM ${SCHEMA}.subagent_runs GROUP BY ALL ORDER BY ALL`);
  expect(runs).toEqual([
    { agent: 'claude_code', subagent: 'general-purpose', runs: 1 },
    { agent: 'gemini_cli', subagent: 'cli_help', runs: 1 },
    { agent: 'gemini_cli', subagent: 'codebase_investigator', runs: 1 },
  ]);
  expect(kpi(body, 'sessions', 'subagent_runs')).toBe(3);
  const table = body.panels.find((p) => p.id === 'sessions')?.tables.subagents?.rows ?? [];
  expect(table.map((r) => [r.agent, r.subagent, Number(r.runs), Number(r.sessions)]).sort()).toEqual([
    ['claude_code', 'general-purpose', 1, 1],
    ['gemini_cli', 'cli_help', 1, 1],
    ['gemini_cli', 'codebase_investigator', 1, 1],
  ]);
  expect(kpi((await overview(svc.url, { schema: SCHEMA, agent: 'gemini_cli' })).body, 'sessions', 'subagent_runs')).toBe(2);
});

test('an agent that sends no subagent events gets an empty count, not zero', async () => {
  const codex = (await overview(svc.url, { schema: SCHEMA, agent: 'codex' })).body;
  expect(kpi(codex, 'sessions', 'sessions')).toBe(1);
  expect(kpi(codex, 'sessions', 'subagent_runs')).toBeNull();
});

test("the session page shows each subagent run in the session's timeline", async () => {
  const res = await fetch(`${svc.url}/dashboard/api/session?${new URLSearchParams({ schema: SCHEMA, agent: 'gemini_cli', session: 'g1' })}`);
  expect(res.status).toBe(200);
  const page = (await res.json()) as { timeline: { rows: { kind: string; event: string }[] } };
  expect(page.timeline.rows.filter((r) => r.kind === 'subagent').map((r) => r.event)).toEqual(['gemini_cli.agent.start', 'gemini_cli.agent.start']);
});

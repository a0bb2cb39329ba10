// One warehouse for the query tests: the recorded captures of every client
// (main.agent_telemetry) and the synthetic sessions (synth.agent_telemetry),
// landed through the real server, which keeps running for the HTTP tests.
import type { QueryEngine } from '../../src/query/engine.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { loadCaptures, replayCapture, type Capture } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { syntheticRequests } from './synthetic.ts';

export type LoadedWarehouse = { svc: TestService; tables: string[] };

const TABLE_HEADER = 'x-databricks-uc-table-name';

/** The table a capture goes to; Gemini's trace export carries no table header, so one is added. */
function targetOf(c: Capture): { table: string; kind: 'metrics' | 'logs' | 'spans'; overrides: Record<string, string> } {
  const kind = c.signal === 'traces' ? 'spans' : c.signal;
  const sent = c.headers[TABLE_HEADER];
  if (sent !== undefined) return { table: sent, kind, overrides: {} };
  const table = 'main.agent_telemetry.gemini_otel_spans';
  return { table, kind, overrides: { [TABLE_HEADER]: table } };
}

async function post(url: string, table: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [TABLE_HEADER]: table }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200 || text.includes('rejected')) throw new Error(`${url} ${table}: ${res.status} ${text}`);
}

/** Starts a service, lands captures and synthetic sessions, and waits until every row is committed. */
export async function loadWarehouse(opts: { synthetic?: boolean; captures?: boolean } = {}): Promise<LoadedWarehouse> {
  const svc = await startTestService();
  const tables = new Map<string, 'metrics' | 'logs' | 'spans'>();
  const captures = opts.captures === false ? [] : loadCaptures();
  for (const c of captures) {
    const t = targetOf(c);
    tables.set(t.table, t.kind);
  }
  const synth = opts.synthetic === false ? [] : syntheticRequests();
  for (const r of synth) tables.set(r.table, r.signal);
  for (const [name, kind] of tables) await svc.createTable(name, kind);
  for (const c of captures) {
    const res = await replayCapture(svc.url, c, targetOf(c).overrides);
    if (res.status !== 200) throw new Error(`capture ${c.id}: ${res.status} ${await res.text()}`);
  }
  for (const r of synth) await post(`${svc.url}/v1/${r.signal}`, r.table, r.body);
  const pipeline = svc.service.pipeline;
  for (let round = 0; round === 0 || (await pipeline.pendingRows()) > 0; round++) {
    if (round === 50) throw new Error(`rows still staged after 50 flushes: ${svc.logs.join('; ')}`);
    for (const name of tables.keys()) await pipeline.flushTable(parseTableName(name));
  }
  return { svc, tables: [...tables.keys()] };
}

/** POSTs an OTLP/JSON metrics body to `table` and waits until its rows are committed. */
export async function sendMetricsJson(svc: TestService, table: string, body: unknown): Promise<void> {
  const res = await fetch(`${svc.url}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': table },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${table}: ${res.status} ${await res.text()}`);
  await svc.service.pipeline.flushTable(parseTableName(table));
}

/** One Claude Code delta token-usage point for `email`, `minute` minutes after a fixed start, as OTLP/JSON. */
export function claudeTokenUsage(email: string, value: number, minute: number) {
  const t = BigInt(Date.parse('2026-11-20T10:00:00Z') + minute * 60_000) * 1_000_000n;
  const point = {
    startTimeUnixNano: String(t - 1000n),
    timeUnixNano: String(t),
    asDouble: value,
    attributes: [
      { key: 'user.email', value: { stringValue: email } },
      { key: 'type', value: { stringValue: 'input' } },
    ],
  };
  const metric = { name: 'claude_code.token.usage', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [point] } };
  return { resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] }, scopeMetrics: [{ metrics: [metric] }] }] };
}

/** A statement's rows as objects keyed by column name. */
export async function rowObjects(engine: QueryEngine, sql: string): Promise<Record<string, unknown>[]> {
  const r = await engine.execute(sql);
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

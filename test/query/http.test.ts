// POST /api/2.0/sql/statements on the running server: rows and schema in the
// Databricks shape, exact totals from the views, and refusals as 400s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWarehouse, type LoadedWarehouse } from './support.ts';
import { EXPECTED } from './synthetic.ts';

let loaded: LoadedWarehouse;

beforeAll(async () => {
  loaded = await loadWarehouse();
});

afterAll(async () => {
  await loaded?.svc.stop();
});

async function statement(body: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${loaded.svc.url}/api/2.0/sql/statements`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('statement execution', () => {
  it('answers with the schema and the rows as strings', async () => {
    const { status, json } = await statement({
      statement: `SELECT agent, sum(tokens) AS tokens, round(sum(cost_usd), 6) AS cost, count(*) > 0 AS any
                  FROM synth.agent_telemetry.usage_facts GROUP BY agent ORDER BY agent`,
      warehouse_id: 'ignored',
    });
    expect(status).toBe(200);
    expect(json.status).toEqual({ state: 'SUCCEEDED' });
    expect(json.statement_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.manifest.schema.columns).toEqual([
      { name: 'agent', type_name: 'STRING', type_text: 'VARCHAR', position: 0 },
      { name: 'tokens', type_name: 'DECIMAL', type_text: 'HUGEINT', position: 1 },
      { name: 'cost', type_name: 'DOUBLE', type_text: 'DOUBLE', position: 2 },
      { name: 'any', type_name: 'BOOLEAN', type_text: 'BOOLEAN', position: 3 },
    ]);
    expect(json.manifest.total_row_count).toBe(3);
    const perAgent = (agent: string) => EXPECTED.byAgentDay.filter((r) => r.agent === agent).reduce((n, r) => n + r.tokens, 0);
    expect(json.result.data_array).toEqual([
      ['claude_code', String(perAgent('claude_code')), '2.21', 'true'],
      ['codex', String(perAgent('codex')), null, 'true'],
      ['gemini_cli', String(perAgent('gemini_cli')), null, 'true'],
    ]);
  });

  it('renders maps, lists and the Databricks example over the captures', async () => {
    const { status, json } = await statement({
      statement: `SELECT attributes['user.email'] AS email, sum(sum.value) AS tokens, any_value(resource.attributes) AS res
                  FROM main.agent_telemetry.claude_otel_metrics WHERE name = 'claude_code.token.usage' GROUP BY 1`,
    });
    expect(status).toBe(200);
    const [row] = json.result.data_array as string[][];
    expect(row?.[0]).toBeNull();
    expect(row?.[1]).toBe('81');
    expect(JSON.parse(row?.[2] ?? '{}')['service.name']).toBe('claude-code');
    expect(json.manifest.schema.columns[2].type_name).toBe('MAP');
  });

  it('limits rows on request', async () => {
    const { json } = await statement({ statement: 'SELECT * FROM range(10)', row_limit: 3 });
    expect(json.result.data_array).toEqual([['0'], ['1'], ['2']]);
    expect(json.manifest.truncated).toBe(true);
  });

  it('refuses writes, bad SQL and malformed requests with 400', async () => {
    const write = await statement({ statement: 'DELETE FROM main.agent_telemetry.claude_otel_metrics' });
    expect(write.status).toBe(400);
    expect(write.json.error_code).toBe('PERMISSION_DENIED');
    expect(write.json.message).toMatch(/only read statements/);
    const copy = await statement({ statement: "EXPLAIN ANALYZE COPY (SELECT 1) TO 'x.csv'" });
    expect(copy.status).toBe(400);
    const bad = await statement({ statement: 'SELECT nope FROM main.agent_telemetry.claude_otel_metrics' });
    expect(bad.status).toBe(400);
    expect(bad.json.error_code).toBe('BAD_REQUEST');
    for (const body of ['{', { statement: 42 }, { statement: 'SELECT 1', format: 'ARROW_STREAM' }, { statement: 'SELECT :x', parameters: [{ name: 'x', value: '1' }] }]) {
      const r = await statement(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
  });
});

// The audit table end to end: created at start, events recorded through the
// sink staged and committed like data, readable with the engine and with the
// independent reader; exports folded per token, table and minute; a flood
// bounded; the principal on exported rows and in the usage views' user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { AuditLog, DROPPED_ACTION, EXPORTS_ACTION, OVERLOADED_ACTION } from '../../src/access/audit-log.ts';
import { AUDIT_TABLE } from '../../src/access/audit-table.ts';
import { PRINCIPAL_ATTRIBUTE } from '../../src/access/identity.ts';
import type { AuditEvent, Principal } from '../../src/access/types.ts';
import { QueryEngine } from '../../src/query/engine.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { startTestService, type TestService } from '../support/service.ts';

let svc: TestService;
let engine: QueryEngine;
const auditDir = () => path.join(svc.warehouse, AUDIT_TABLE.catalog, AUDIT_TABLE.schema, AUDIT_TABLE.table);

beforeAll(async () => {
  svc = await startTestService({ flushIntervalMs: 100 });
  engine = await QueryEngine.open({ warehouse: svc.warehouse });
});
afterAll(async () => {
  engine?.close();
  await svc?.stop();
});

async function objects(sql: string): Promise<Record<string, unknown>[]> {
  const r = await engine.execute(sql);
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

const event = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  time: new Date('2026-12-02T10:15:30.250Z'),
  principal: 'alice@example.com',
  tokenId: 'tok_1',
  service: 'accessControl',
  action: 'grant',
  requestId: 'req-1',
  params: { statement: 'GRANT SELECT ON TABLE main.s.t TO `bob`' },
  status: 200,
  sourceIp: '10.0.0.7',
  userAgent: 'curl/8',
  ...over,
});

async function committed(): Promise<void> {
  await svc.service.audit.durable({ openMinutes: true });
  await svc.service.pipeline.flushTable(AUDIT_TABLE);
}

describe('system.access.audit', () => {
  it('is created at start with the documented columns and types', async () => {
    const r = await engine.execute('SELECT * FROM system.access.audit');
    expect(r.rows).toEqual([]);
    const byName = Object.fromEntries(r.columns.map((c) => [c.name, c.type]));
    expect(r.columns.map((c) => c.name)).toEqual([
      'account_id', 'workspace_id', 'version', 'event_time', 'event_date', 'source_ip_address', 'user_agent', 'session_id',
      'user_identity', 'service_name', 'action_name', 'request_id', 'request_params', 'response', 'audit_level', 'event_id',
    ]);
    expect(String(byName.event_time)).toMatch(/TIMESTAMP/);
    expect(String(byName.event_date)).toMatch(/DATE/);
  });

  it('holds a recorded event as a row after a flush, for the engine and the independent reader', async () => {
    svc.service.audit.record(event());
    await committed();
    const rows = await objects(
      `SELECT CAST(event_time AS VARCHAR) AS t, CAST(event_date AS VARCHAR) AS d, user_identity.email AS email, service_name, action_name,
              request_id, request_params['statement'] AS stmt, request_params['token_id'] AS token, response.status_code AS status,
              source_ip_address, user_agent
       FROM system.access.audit WHERE action_name = 'grant'`,
    );
    expect(rows).toEqual([
      {
        t: '2026-12-02 10:15:30.25+00',
        d: '2026-12-02',
        email: 'alice@example.com',
        service_name: 'accessControl',
        action_name: 'grant',
        request_id: 'req-1',
        stmt: 'GRANT SELECT ON TABLE main.s.t TO `bob`',
        token: 'tok_1',
        status: 200,
        source_ip_address: '10.0.0.7',
        user_agent: 'curl/8',
      },
    ]);
    const check = await checkDeltaTable(auditDir(), 'audit');
    const row = check.rows.find((r) => r.action_name === 'grant')!;
    expect(row.event_time).toEqual(new Date('2026-12-02T10:15:30.250Z'));
    expect(row.event_date).toEqual(new Date('2026-12-02T00:00:00.000Z'));
    expect(row.user_identity).toEqual({ email: 'alice@example.com', subject_name: null });
    expect(row.response).toEqual({ status_code: 200, error_message: null, result: null });
    expect((row.request_params as Map<string, string>).get('token_id')).toBe('tok_1');
  });

  it('folds accepted exports into one row per token, table and minute', async () => {
    const exp = (minute: string, tokenId: string, table: string, records: number) =>
      event({ service: 'otlp', action: 'export', tokenId, time: new Date(`2026-12-02T11:${minute}Z`), params: { table, signal: 'logs', records: String(records) } });
    const audit = svc.service.audit;
    audit.record(exp('00:01', 'tA', 'main.s.logs', 3));
    audit.record(exp('00:59', 'tA', 'main.s.logs', 4));
    audit.record(exp('00:30', 'tB', 'main.s.logs', 5));
    audit.record(exp('00:30', 'tA', 'main.s.other', 6));
    audit.record(exp('01:00', 'tA', 'main.s.logs', 7));
    await committed();
    const rows = await objects(
      `SELECT CAST(event_time AS VARCHAR) AS t, request_params['token_id'] AS token, request_params['table'] AS tbl,
              request_params['requests'] AS requests, request_params['records'] AS records, request_params['signal'] AS signal
       FROM system.access.audit WHERE action_name = '${EXPORTS_ACTION}' ORDER BY t, token, tbl`,
    );
    expect(rows).toEqual([
      { t: '2026-12-02 11:00:00+00', token: 'tA', tbl: 'main.s.logs', requests: '2', records: '7', signal: 'logs' },
      { t: '2026-12-02 11:00:00+00', token: 'tA', tbl: 'main.s.other', requests: '1', records: '6', signal: 'logs' },
      { t: '2026-12-02 11:00:00+00', token: 'tB', tbl: 'main.s.logs', requests: '1', records: '5', signal: 'logs' },
      { t: '2026-12-02 11:01:00+00', token: 'tA', tbl: 'main.s.logs', requests: '1', records: '7', signal: 'logs' },
    ]);
  });

  it('is not an export target', async () => {
    const body = new TextEncoder().encode('{"resourceLogs":[]}');
    await expect(svc.service.pipeline.ingest({ signal: 'logs', table: AUDIT_TABLE, encoding: 'json', body })).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('records refusals over HTTP as one row each', async () => {
    const res = await fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
    await committed();
    const rows = await objects(
      `SELECT action_name, response.status_code AS status, request_params['reason'] AS reason, response.error_message AS msg
       FROM system.access.audit WHERE action_name = 'refused'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action_name: 'refused', status: 400, reason: 'invalid' });
    expect(String(rows[0]!.msg)).toMatch(/table/i);
  });
});

describe('AuditLog under a flood', () => {
  it('keeps at most the queue bound while staging is stalled, counts the rest and writes the gap as one row', async () => {
    const staged: string[] = [];
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    const lines: string[] = [];
    const log = new AuditLog({
      queueEventsMax: 100,
      log: (l) => lines.push(l),
      stage: async (ndjson) => {
        await stalled;
        staged.push(...ndjson.toString().trimEnd().split('\n'));
      },
    });
    for (let i = 0; i < 50_000; i++) log.record(event({ action: 'refused', status: 403, requestId: `r${i}` }));
    // One batch went to the stalled stage at once or later; either way no more than the bound waits in memory.
    release();
    await log.durable();
    await log.close();
    const actions = staged.map((l) => (JSON.parse(l) as { action_name: string }).action_name);
    const kept = actions.filter((a) => a === 'refused').length;
    expect(kept).toBeLessThanOrEqual(100);
    expect(kept).toBeGreaterThan(0);
    expect(log.stats.droppedEvents).toBe(50_000 - kept);
    const gap = staged.map((l) => JSON.parse(l) as { action_name: string; request_params: Record<string, string> }).filter((r) => r.action_name === DROPPED_ACTION);
    expect(gap.reduce((n, r) => n + Number(r.request_params.count), 0)).toBe(50_000 - kept);
    expect(lines.filter((l) => l.includes('queue is full'))).toHaveLength(1);
  });

  it('folds refusals for load (429, 503) into one row per token, table, status and minute', async () => {
    const staged: string[] = [];
    const log = new AuditLog({ log: () => {}, stage: async (ndjson) => void staged.push(...ndjson.toString().trimEnd().split('\n')) });
    for (let i = 0; i < 1_000; i++) log.record(event({ action: 'refused', status: 429, requestId: `busy${i}`, params: { table: 'main.tel.a_otel_logs' } }));
    for (let i = 0; i < 3; i++) log.record(event({ action: 'refused', status: 503, requestId: `down${i}`, params: { table: 'main.tel.a_otel_logs' } }));
    log.record(event({ action: 'refused', status: 404, requestId: 'missing', params: { table: 'main.tel.nope' } }));
    await log.close();
    const rows = staged.map((l) => JSON.parse(l) as { action_name: string; request_params: Record<string, string>; response: { status_code: number } });
    const perMinute = rows.filter((r) => r.action_name === OVERLOADED_ACTION);
    expect(perMinute.map((r) => [r.response.status_code, r.request_params.requests]).sort()).toEqual([[429, '1000'], [503, '3']]);
    expect(rows.filter((r) => r.action_name === 'refused').map((r) => r.response.status_code)).toEqual([404]);
  });

  it('never throws into the caller, even when staging fails', async () => {
    const log = new AuditLog({ log: () => {}, stage: () => Promise.reject(new Error('disk full')) });
    expect(() => log.record(event())).not.toThrow();
    expect(() => log.record({ ...event(), time: new Date(Number.NaN) })).not.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    expect(log.stats.stageFailures).toBeGreaterThan(0);
    await log.close(100);
  });
});

describe('identity on exported rows', () => {
  const table = 'main.ident.claude_otel_logs';
  const logsBody = (resourceAttrs: Record<string, string>) =>
    new TextEncoder().encode(
      JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: Object.entries(resourceAttrs).map(([key, v]) => ({ key, value: { stringValue: v } })) },
            scopeLogs: [
              {
                scope: { name: 'com.anthropic.claude_code.events' },
                logRecords: [
                  {
                    timeUnixNano: '1764670000000000000',
                    body: { stringValue: 'claude_code.api_request' },
                    attributes: [
                      { key: 'event.name', value: { stringValue: 'api_request' } },
                      { key: 'model', value: { stringValue: 'claude-test' } },
                      { key: 'input_tokens', value: { stringValue: '10' } },
                      { key: 'cost_usd', value: { stringValue: '0.01' } },
                      { key: 'session.id', value: { stringValue: `s-${Object.keys(resourceAttrs).join('-')}` } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
  const principal: Principal = { tokenId: 'tok_ci', name: 'carol@example.com', groups: [] };

  it('stamps the principal, replaces a sent one, removes it without a token, and the views use it only without user.email', async () => {
    await svc.createTable(table, 'logs');
    const ingest = (attrs: Record<string, string>, p?: Principal) =>
      svc.service.pipeline.ingest({ signal: 'logs', table: parseTableName(table), encoding: 'json', body: logsBody(attrs), ...(p ? { principal: p } : {}) });
    await ingest({ 'service.name': 'claude-code' }, principal);
    await ingest({ 'service.name': 'claude-code', 'user.email': 'dave@example.com' }, principal);
    await ingest({ 'service.name': 'claude-code', [PRINCIPAL_ATTRIBUTE]: 'mallory' }, principal);
    await ingest({ 'service.name': 'claude-code', 'user.id': 'u-anon', [PRINCIPAL_ATTRIBUTE]: 'mallory' });
    await svc.service.pipeline.flushTable(parseTableName(table));
    const stamped = await objects(`SELECT resource.attributes['${PRINCIPAL_ATTRIBUTE}'] AS p, count(*)::INTEGER AS n FROM ${table} GROUP BY ALL ORDER BY p NULLS LAST`);
    expect(stamped).toEqual([
      { p: 'carol@example.com', n: 3 },
      { p: null, n: 1 },
    ]);
    const users = await objects(`SELECT user, user_email FROM main.ident.agent_events ORDER BY user`);
    expect(users).toEqual([
      { user: 'carol@example.com', user_email: null },
      { user: 'carol@example.com', user_email: null },
      { user: 'dave@example.com', user_email: 'dave@example.com' },
      { user: 'u-anon', user_email: null },
    ]);
    const sessions = await objects(`SELECT user, user_email FROM main.ident.sessions ORDER BY user`);
    expect(sessions).toEqual(users);
    const daily = await objects(`SELECT user, sessions::INTEGER AS sessions, tokens::INTEGER AS tokens FROM main.ident.daily_active_users ORDER BY user`);
    expect(daily).toEqual([
      { user: 'carol@example.com', sessions: 2, tokens: 20 },
      { user: 'dave@example.com', sessions: 1, tokens: 10 },
      { user: 'u-anon', sessions: 1, tokens: 10 },
    ]);
    const facts = await objects(`SELECT user, sum(tokens)::INTEGER AS tokens FROM main.ident.usage_facts WHERE tokens IS NOT NULL GROUP BY user ORDER BY user`);
    expect(facts).toEqual([
      { user: 'carol@example.com', tokens: 20 },
      { user: 'dave@example.com', tokens: 10 },
      { user: 'u-anon', tokens: 10 },
    ]);
  });
});

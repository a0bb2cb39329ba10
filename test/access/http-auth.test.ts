// The authentication edge over real HTTP with a real SDK exporter: the answers
// for every kind of missing or bad credential, the MODIFY decision of an
// injected authorizer, the SQL and /metrics routes, and what is counted and logged.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, revokeToken } from '../../src/access/token-store.ts';
import type { Authorizer, Caller, Decision } from '../../src/access/types.ts';
import { startService, type Service } from '../../src/cli/service.ts';
import { resolveServeConfig } from '../../src/config/serve-config.ts';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { request, rpcStatus } from '../e2e/http-support.ts';
import { formatTableName, parseTableName } from '../../src/tables/names.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { sdkSendLog } from './sdk-send.ts';

const TABLE = 'main.tel.a_otel_logs';
const HIDDEN = 'main.tel.hidden_otel_logs';
const DENIED = 'main.tel.denied_otel_logs';

let warehouse: string;
let service: Service;
let good: string;
let expiredToken: string;
let revokedToken: string;
let revokedId: string;
const logs: string[] = [];
const decisions: { caller: Caller; table: string }[] = [];

const authorizer: Authorizer = {
  decide(caller, privilege, table): Decision {
    decisions.push({ caller, table: formatTableName(table) });
    expect(privilege).toBe('MODIFY');
    const name = formatTableName(table);
    return name === HIDDEN ? 'hidden' : name === DENIED ? 'denied' : 'allowed';
  },
};

beforeAll(async () => {
  warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-auth-'));
  for (const t of [TABLE, HIDDEN, DENIED]) {
    const schema = schemaFor('logs');
    await createDeltaTable(tableDir(warehouse, parseTableName(t)), { schema, properties: { ...schema.tableProperties } });
  }
  good = (await createToken(warehouse, { principal: 'alice@example.com', groups: ['eng'] })).secret;
  expiredToken = (await createToken(warehouse, { principal: 'old', expiresDays: 1, now: new Date(Date.now() - 2 * 86_400_000) })).secret;
  const r = await createToken(warehouse, { principal: 'gone' });
  revokedToken = r.secret;
  revokedId = r.record.id;
  await revokeToken(warehouse, revokedId);
  const config = resolveServeConfig({ host: '127.0.0.1', port: '0', warehouse, flushIntervalMs: '100' }, {});
  config.rejectionLogBurst = 10_000;
  service = await startService(config, (l) => logs.push(l), undefined, { authorizer });
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await rm(warehouse, { recursive: true, force: true });
});

/** A one-character change that keeps the token's alphabet. */
const typo = (t: string) => t.slice(0, 10) + (t[10] === 'a' ? 'b' : 'a') + t.slice(11);

describe('export answers through the SDK exporter', () => {
  it('says auth is on at start', () => {
    expect(service.authNote).toBe('on (the warehouse has tokens)');
  });

  it('accepts the right token and hands its principal to the authorizer', async () => {
    const r = await sdkSendLog(service.url, TABLE, `Bearer ${good}`);
    expect(r).toMatchObject({ ok: true });
    const d = decisions.at(-1)!;
    expect(d.table).toBe(TABLE);
    expect(d.caller).toMatchObject({ name: 'alice@example.com', groups: ['eng'] });
  });

  it.each([
    ['no header', undefined, 401, 'Credential was not sent or was of an unsupported type for this API.'],
    ['wrong scheme', `Basic ${Buffer.from('u:p').toString('base64')}`, 401, 'Credential was not sent or was of an unsupported type for this API.'],
    ['unknown token', 'Bearer o2d_0000000000000000000000000000', 403, 'Invalid access token.'],
    ['not a token at all', 'Bearer tok', 403, 'Invalid access token.'],
  ])('%s: %i', async (_label, header, status, message) => {
    const r = await sdkSendLog(service.url, TABLE, header);
    expect(r.ok).toBe(false);
    expect(r.status).toBe(status);
    expect(r.message).toContain(message);
  });

  it('refuses expired, revoked and mistyped tokens with 403', async () => {
    for (const t of [expiredToken, revokedToken, typo(good)]) {
      const r = await sdkSendLog(service.url, TABLE, `Bearer ${t}`);
      expect(r).toMatchObject({ ok: false, status: 403 });
      expect(r.message).toContain('Invalid access token.');
    }
  });

  it('answers a hidden table exactly as a missing one, and a denied one with PERMISSION_DENIED', async () => {
    const hidden = await post('/api/2.0/otel/v1/logs', { authorization: `Bearer ${good}`, 'x-databricks-uc-table-name': HIDDEN });
    const missingName = 'main.tel.nothere_otel_logs';
    const missing = await post('/api/2.0/otel/v1/logs', { authorization: `Bearer ${good}`, 'x-databricks-uc-table-name': missingName });
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(hidden.message).toBe(missing.message.replace(missingName, HIDDEN).replace(missingName, HIDDEN));
    const denied = await sdkSendLog(service.url, DENIED, `Bearer ${good}`);
    expect(denied).toMatchObject({ ok: false, status: 403 });
    expect(denied.message).toContain(`PERMISSION_DENIED: User does not have MODIFY on Table '${DENIED}'.`);
  });
});

/** A raw protobuf export of an empty request; the answer's google.rpc.Status decoded. */
async function post(route: string, headers: Record<string, string>): Promise<{ status: number; message: string; code: number }> {
  const a = await request(service.url, route, { headers: { 'content-type': 'application/x-protobuf', ...headers }, body: new Uint8Array() });
  const s = rpcStatus(a);
  return { status: a.status, message: s.message, code: s.code };
}

describe('the other routes', () => {
  it('answers google.rpc.Status in JSON for a JSON request, and parses Bearer%20', async () => {
    const res = await fetch(`${service.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': TABLE }, body: '{}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 16, message: 'Credential was not sent or was of an unsupported type for this API.' });
    const ok = await fetch(`${service.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': TABLE, authorization: `Bearer%20${good}` }, body: '{}' });
    expect(ok.status).toBe(200);
    const p = await post('/v1/logs', { 'x-databricks-uc-table-name': TABLE, authorization: `Bearer ${revokedToken}` });
    expect(p).toMatchObject({ status: 403, code: 7, message: 'Invalid access token.' });
  });

  it('answers the SQL route in Databricks error JSON', async () => {
    const sql = (h: Record<string, string>) =>
      fetch(`${service.url}/api/2.0/sql/statements`, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: JSON.stringify({ statement: 'SELECT 1 AS x' }) });
    const none = await sql({});
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error_code: 'UNAUTHENTICATED', message: 'Credential was not sent or was of an unsupported type for this API.' });
    const bad = await sql({ authorization: `Bearer ${typo(good)}` });
    expect(bad.status).toBe(403);
    expect(await bad.json()).toEqual({ error_code: 'PERMISSION_DENIED', message: 'Invalid access token.' });
    const ok = await sql({ authorization: `Bearer ${good}` });
    expect(ok.status).toBe(200);
  });

  it('keeps /healthz open, guards /metrics, and counts refusals by reason', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const none = await fetch(`${service.url}/metrics`);
    expect(none.status).toBe(401);
    const m = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${good}` } });
    expect(m.status).toBe(200);
    const text = await m.text();
    const count = (reason: string) => Number(new RegExp(`otlp2delta_auth_refusals_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    expect(count('missing')).toBeGreaterThanOrEqual(3);
    expect(count('invalid')).toBeGreaterThanOrEqual(3);
    expect(count('expired')).toBeGreaterThanOrEqual(1);
    expect(count('revoked')).toBeGreaterThanOrEqual(2);
    expect(count('forbidden')).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain(good);
  });

  it('logs refusals with token id, principal and table, never the secret', () => {
    const all = logs.join('\n');
    expect(all).toMatch(new RegExp(`refused 403 .*Invalid access token\\. \\(revoked credential\\)`));
    expect(logs.some((l) => l.includes(revokedId) && l.includes('refused 403'))).toBe(true);
    expect(logs.some((l) => l.includes('alice@example.com') && l.includes(DENIED) && l.includes('lacks MODIFY'))).toBe(true);
    expect(logs.some((l) => l.includes('alice@example.com') && l.includes(HIDDEN) && l.includes('answered as not found'))).toBe(true);
    for (const secret of [good, expiredToken, revokedToken, typo(good)]) expect(all).not.toContain(secret);
  });
});

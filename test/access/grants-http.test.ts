// Grants end to end on a running server: tokens from the store, GRANT and
// REVOKE through the statements endpoint by an admin, exports and reads by
// principals that hold (through a group, inherited from a schema) or lack them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/access/token-store.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { sdkSendLog } from './sdk-send.ts';

const A = 'main.tel.a_otel_logs';
const B = 'main.tel.b_otel_logs';
let svc: TestService;
let admin: string;
let alice: string;
let bob: string;

async function sql(token: string, statement: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${svc.url}/api/2.0/sql/statements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ statement }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls until `check` holds, as a running server picks up grant changes within 10 s. */
async function within10s(check: () => Promise<boolean>): Promise<number> {
  const since = Date.now();
  while (!(await check())) {
    if (Date.now() - since > 10_000) throw new Error('not in effect within 10 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return Date.now() - since;
}

beforeAll(async () => {
  svc = await startTestService();
  await svc.createTable(A, 'logs');
  await svc.createTable(B, 'logs');
  admin = (await createToken(svc.warehouse, { principal: 'root', groups: ['admins'] })).secret;
  alice = (await createToken(svc.warehouse, { principal: 'alice@example.com', groups: ['eng'] })).secret;
  bob = (await createToken(svc.warehouse, { principal: 'bob' })).secret;
  // The first token turns auth on for the running loopback server.
  await within10s(async () => (await fetch(`${svc.url}/api/2.0/sql/statements`, { method: 'POST', body: '{"statement":"SELECT 1"}' })).status === 401);
}, 60_000);

afterAll(async () => {
  await svc?.stop();
});

describe('grants on a running server', () => {
  it('hides a table from a token without privileges: 404 as for a table that does not exist', async () => {
    const hidden = await sdkSendLog(svc.url, A, `Bearer ${alice}`);
    const missing = await sdkSendLog(svc.url, 'main.tel.nothing_otel_logs', `Bearer ${alice}`);
    expect(hidden).toMatchObject({ ok: false, status: 404 });
    // The same words as for a table that does not exist (the bodies are protobuf: compare the text).
    const said = (m: string, t: string) => m.slice(m.indexOf(`table ${t}`)).replaceAll(t, 'X');
    expect(said(hidden.message, A)).toMatch(/^table X does not exist; create it first/);
    expect(said(hidden.message, A)).toBe(said(missing.message, 'main.tel.nothing_otel_logs'));
    const read = await sql(alice, `SELECT count(*) FROM ${A}`);
    expect(read.status).toBe(400);
    expect(String(read.body.message)).toMatch(/^there is no table or view main\.tel\.a_otel_logs in the warehouse/);
    expect(String(read.body.message)).not.toContain('b_otel_logs');
  });

  it('lets a group write every table of a schema it was granted MODIFY on, and an admin only grant', async () => {
    expect((await sql(alice, 'GRANT MODIFY ON SCHEMA main.tel TO eng')).status).toBe(403);
    for (const g of ['GRANT USE CATALOG ON CATALOG main TO eng', 'GRANT USE SCHEMA, MODIFY ON SCHEMA main.tel TO eng']) {
      const r = await sql(admin, g);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    await within10s(async () => (await sdkSendLog(svc.url, A, `Bearer ${alice}`)).ok);
    expect((await sdkSendLog(svc.url, B, `Bearer ${alice}`)).ok).toBe(true);
    // Bob is in no group: still hidden.
    expect(await sdkSendLog(svc.url, A, `Bearer ${bob}`)).toMatchObject({ ok: false, status: 404 });
  });

  it('enforces SELECT on reads: denied while visible, allowed once granted', async () => {
    const denied = await sql(alice, `SELECT count(*) FROM ${A}`);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error_code: 'PERMISSION_DENIED', message: expect.stringMatching(/^PERMISSION_DENIED: User does not have SELECT on Table 'main\.tel\.a_otel_logs'\./) });
    expect((await sql(admin, `GRANT SELECT ON TABLE ${A} TO eng`)).status).toBe(200);
    await within10s(async () => (await sql(alice, `SELECT count(*) FROM ${A}`)).status === 200);
    const shown = await sql(admin, `SHOW GRANTS ON TABLE ${A}`);
    expect(JSON.stringify(shown.body)).toContain('SELECT');
  });

  it('a REVOKE takes effect within 10 s', async () => {
    expect((await sql(admin, 'REVOKE MODIFY ON SCHEMA main.tel FROM eng')).status).toBe(200);
    const ms = await within10s(async () => !(await sdkSendLog(svc.url, A, `Bearer ${alice}`)).ok);
    expect(ms).toBeLessThan(10_000);
    // Alice still reads A, so it stays visible to her: the refusal names the missing privilege.
    const refused = await sdkSendLog(svc.url, A, `Bearer ${alice}`);
    expect(refused.status).toBe(403);
    expect(refused.message).toContain("PERMISSION_DENIED: User does not have MODIFY on Table 'main.tel.a_otel_logs'.");
    // B she can no longer touch at all: hidden again.
    expect(await sdkSendLog(svc.url, B, `Bearer ${alice}`)).toMatchObject({ ok: false, status: 404 });
  });
});

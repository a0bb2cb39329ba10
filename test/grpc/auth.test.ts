// Tokens and grants over OTLP/gRPC: the authorization metadata is checked as
// the HTTP header is, before the message is decoded, with UNAUTHENTICATED,
// PERMISSION_DENIED and NOT_FOUND (a table the caller may not see) as answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/access/token-store.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { grpcTarget, rawClient, Status, type RawClient } from './grpc-client.ts';

const TABLE = 'main.tel.auth_otel_logs';
let svc: TestService;
let client: RawClient;
let admin: string;
let writer: string;
let reader: string;

const body = () => {
  const t = SIGNAL_TYPES.logs.request;
  return t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000001', body: { stringValue: 'x' } }] }] }] })).finish();
};
const send = (authorization: string | undefined, payload: Uint8Array = body()) =>
  client.send('logs', payload, { 'x-databricks-uc-table-name': TABLE, ...(authorization ? { authorization } : {}) });

async function sql(token: string, statement: string): Promise<number> {
  const res = await fetch(`${svc.url}/api/2.0/sql/statements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ statement }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  const since = Date.now();
  while (!(await check())) {
    if (Date.now() - since > 10_000) throw new Error('not in effect within 10 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  svc = await startTestService();
  await svc.createTable(TABLE, 'logs');
  client = rawClient(grpcTarget(svc));
  admin = (await createToken(svc.warehouse, { principal: 'root', groups: ['admins'] })).secret;
  writer = (await createToken(svc.warehouse, { principal: 'writer', groups: ['w'] })).secret;
  reader = (await createToken(svc.warehouse, { principal: 'reader', groups: ['r'] })).secret;
  await svc.service.tokens.poll();
  for (const s of [
    'GRANT USE CATALOG ON CATALOG main TO w', 'GRANT USE SCHEMA, MODIFY ON SCHEMA main.tel TO w',
    'GRANT USE CATALOG ON CATALOG main TO r', 'GRANT USE SCHEMA ON SCHEMA main.tel TO r', `GRANT SELECT ON TABLE ${TABLE} TO r`,
  ]) expect(await sql(admin, s), s).toBe(200);
  await until(async () => (await send(`Bearer ${writer}`)).code === Status.OK);
}, 60_000);

afterAll(async () => {
  client?.close();
  await svc?.stop();
});

describe('tokens over OTLP/gRPC', () => {
  it('answers a missing or unknown token UNAUTHENTICATED (HTTP answers the unknown one 403, as Databricks does)', async () => {
    expect((await send(undefined)).code).toBe(Status.UNAUTHENTICATED);
    const wrong = await send('Bearer not-a-token');
    expect(wrong.code).toBe(Status.UNAUTHENTICATED);
    expect(wrong.details).not.toContain('not-a-token');
    const http = await fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { authorization: 'Bearer not-a-token', 'x-databricks-uc-table-name': TABLE, 'content-type': 'application/x-protobuf' }, body: body() });
    expect(http.status).toBe(403);
  });

  it('checks the token before the message: garbage from a stranger is UNAUTHENTICATED, not INVALID_ARGUMENT', async () => {
    expect((await send(undefined, Buffer.from([0xff, 0xff, 0xff]))).code).toBe(Status.UNAUTHENTICATED);
  });

  it('answers a token that may read but not write PERMISSION_DENIED', async () => {
    const a = await send(`Bearer ${reader}`);
    expect(a.code).toBe(Status.PERMISSION_DENIED);
    expect(a.details).toMatch(/MODIFY/);
  });

  it('answers a table the caller may not see NOT_FOUND', async () => {
    const stranger = (await createToken(svc.warehouse, { principal: 'stranger' })).secret;
    await svc.service.tokens.poll();
    expect((await send(`Bearer ${stranger}`)).code).toBe(Status.NOT_FOUND);
  });

  it('never logs a secret', async () => {
    expect((await send(`Bearer ${writer}`)).code).toBe(Status.OK);
    expect((await send(`Bearer ${writer}x`)).code).toBe(Status.UNAUTHENTICATED);
    expect(svc.logs.join('\n')).not.toContain(writer);
  });
});

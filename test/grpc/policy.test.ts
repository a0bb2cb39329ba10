// The policy file over OTLP/gRPC: the same rate limits and privacy rules as
// over HTTP, since both transports meet them in the pipeline. A limit reached
// answers RESOURCE_EXHAUSTED with RetryInfo (retryable for OTLP clients), and
// the gRPC and HTTP requests of one principal draw from the same bucket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { QueryEngine } from '../../src/query/engine.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { grpcTarget, rawClient, Status, type RawClient } from './grpc-client.ts';

const TABLE = 'main.tel.pol_otel_logs';
const SECRET = 'the-secret-prompt-text';
const POLICY = `
[limits.global]
requests_per_minute = 1
requests_burst = 3

[[privacy.rules]]
drop = ["prompt"]
mask = ["github-token"]
`;

let svc: TestService;
let client: RawClient;

const body = (attrs: Record<string, string>) => {
  const t = SIGNAL_TYPES.logs.request;
  const attributes = Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } }));
  return t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000001', attributes, body: { stringValue: 'b' } }] }] }] })).finish();
};
const send = (attrs: Record<string, string>) => client.send('logs', body(attrs), { 'x-databricks-uc-table-name': TABLE });

beforeAll(async () => {
  const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-grpc-policy-'));
  const policy = path.join(warehouse, 'policy.toml');
  await writeFile(policy, POLICY);
  svc = await startTestService({ warehouse, policy, flushIntervalMs: 100 });
  await svc.createTable(TABLE, 'logs');
  client = rawClient(grpcTarget(svc));
}, 60_000);

afterAll(async () => {
  client?.close();
  await svc?.stop();
});

describe('the policy file over OTLP/gRPC', () => {
  it('applies privacy rules before staging and rate limits with RetryInfo, sharing the bucket with HTTP', async () => {
    const ok = await send({ prompt: SECRET, token: 'ghp_0123456789abcdefghijABCDEFGHIJ012345' });
    expect(ok.code).toBe(Status.OK);
    await svc.service.pipeline.flushTable(parseTableName(TABLE));
    const engine = await QueryEngine.open({ warehouse: svc.warehouse });
    try {
      const rows = (await engine.execute(`SELECT attributes FROM ${TABLE}`)).rows;
      const text = JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
      expect(text).not.toContain(SECRET);
      expect(text).toContain('[redacted:github-token]');
      expect(text).toContain('otlp2delta.redacted');
    } finally {
      engine.close();
    }
    // Three requests fit the burst: one gRPC above, one HTTP, one gRPC; the fourth is refused.
    const http = await fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'x-databricks-uc-table-name': TABLE }, body: body({}) });
    expect(http.status).toBe(200);
    expect((await send({})).code).toBe(Status.OK);
    const refused = await send({});
    expect(refused.code).toBe(Status.RESOURCE_EXHAUSTED);
    expect(refused.details).toContain('limits.global.requests_per_minute');
    expect(refused.retryDelay).toBeGreaterThanOrEqual(1);
    const over = await fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'x-databricks-uc-table-name': TABLE }, body: body({}) });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

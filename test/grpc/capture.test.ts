// serve --capture records accepted gRPC exports as the equivalent OTLP/HTTP
// request, which replays to the same rows; refused calls are not recorded.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { grpcTarget, rawClient, Status } from './grpc-client.ts';

const TABLE = 'main.tel.cap_otel_logs';
let svc: TestService;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-grpc-capture-'));
  svc = await startTestService({ capture: dir });
  await svc.createTable(TABLE, 'logs');
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('capture of gRPC exports', () => {
  it('records the accepted call with its decompressed body under the HTTP route, without the token', async () => {
    const t = SIGNAL_TYPES.logs.request;
    const body = Buffer.from(t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '5', body: { stringValue: 'captured' } }] }] }] })).finish());
    const client = rawClient(grpcTarget(svc), { gzip: true });
    try {
      expect((await client.send('logs', body, { 'x-databricks-uc-table-name': TABLE, authorization: 'Bearer secret-value' })).code).toBe(Status.OK);
      expect((await client.send('logs', body, { 'x-databricks-uc-table-name': 'main.tel.none_otel_logs' })).code).toBe(Status.NOT_FOUND);
    } finally {
      client.close();
    }
    await svc.stop({ keep: true });
    const metas = (await readdir(dir)).filter((f) => f.endsWith('.meta.json'));
    expect(metas).toHaveLength(1);
    const metaText = await readFile(path.join(dir, metas[0]!), 'utf8');
    expect(metaText).not.toContain('secret-value');
    const meta = JSON.parse(metaText) as Record<string, unknown>;
    expect(meta).toMatchObject({ path: '/v1/logs', signal: 'logs', table: TABLE, contentType: 'application/x-protobuf', contentEncoding: null, rows: 1 });
    expect(await readFile(path.join(dir, metas[0]!.replace('.meta.json', '.body.bin')))).toEqual(body);
  });
});

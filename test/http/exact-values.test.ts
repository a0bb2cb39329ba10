// Over real HTTP: a request holding a value that cannot be stored as sent gets 400 (google.rpc.Status naming the
// field, in the request's encoding), is logged, and stores nothing; exact wide values in the same shape are stored exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { expectError, request } from '../e2e/http-support.ts';

const LOGS = 'main.http.exact_logs';
const SPANS = 'main.http.exact_spans';
const LOG = 'resourceLogs[0].scopeLogs[0].logRecords[1]';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
  await svc.createTable(LOGS, 'logs');
  await svc.createTable(SPANS, 'spans');
});

afterAll(async () => {
  await svc?.stop();
});

const logsJson = (record: string) => `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"fine"}},${record}]}]}]}`;

const postJson = (body: string) =>
  request(svc.url, '/v1/logs', { headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': LOGS }, body });

describe('OTLP/JSON values that cannot be stored as sent', () => {
  it.each([
    ['timeUnixNano', '1e30', 'out of range for uint64: "1e30"'],
    ['timeUnixNano', '"1e30"', 'out of range for uint64: "1e30"'],
    ['timeUnixNano', '1.8446744073709552e19', 'out of range for uint64: "1.8446744073709552e19"'],
    ['flags', '1099511627776', 'out of range for uint32: 1099511627776'],
    ['droppedAttributesCount', '4294967296', 'out of range for uint32: 4294967296'],
    ['severityNumber', '"BOGUS"', 'not a SeverityNumber name: "BOGUS"'],
    ['traceId', `"${'ab'.repeat(50)}"`, 'must be 16 bytes (32 hex digits) or empty, got 100 characters'],
  ])('%s %s: 400 naming the field, and a log line', async (field, value, problem) => {
    const a = await postJson(logsJson(`{"${field}":${value}}`));
    const message = expectError(a, 400, 3, 'json', `${LOG}.${field}: ${problem}`);
    expect(svc.logs).toContainEqual(`refused 400 POST /v1/logs: ${message}`);
  });

  it('an exact wide integer is accepted', async () => {
    const a = await postJson(logsJson('{"timeUnixNano":1700000000123456789,"flags":4294967295}'));
    expect(a.status, a.body.toString('utf8')).toBe(200);
  });
});

describe('protobuf ids of the wrong length', () => {
  const t = SIGNAL_TYPES.traces.request;
  const body = (traceId: Buffer) =>
    t.encode(t.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'ok', traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2) }, { name: 'bad', traceId, spanId: Buffer.alloc(8, 3) }] }] }] })).finish();
  const post = (b: Uint8Array) =>
    request(svc.url, '/v1/traces', { headers: { 'content-type': 'application/x-protobuf', 'x-databricks-uc-table-name': SPANS }, body: b });

  it.each([3, 50, 100])('a %i-byte trace id: 400 in protobuf, naming the field', async (bytes) => {
    const a = await post(body(Buffer.alloc(bytes, 0xcd)));
    expectError(a, 400, 3, 'protobuf', `resourceSpans[0].scopeSpans[0].spans[1].traceId: must be 16 bytes or empty, got ${bytes} bytes`);
  });

  it('a 16-byte trace id is accepted', async () => {
    const a = await post(body(Buffer.alloc(16, 0xcd)));
    expect(a.status, a.body.toString('utf8')).toBe(200);
  });
});

describe('what was stored', () => {
  it('only the accepted requests, with their values exact', async () => {
    await svc.stop({ keep: true });
    const logs = (await checkDeltaTable(svc.tableDir(LOGS), 'logs')).rows;
    expect(logs).toHaveLength(2);
    expect(logs.map((r) => r.time_unix_nano).sort()).toEqual([0n, 1700000000123456789n]);
    expect((await checkDeltaTable(svc.tableDir(SPANS), 'spans')).rows).toHaveLength(2);
  });
});

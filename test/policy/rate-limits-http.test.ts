// Rate limits on a running server with real tokens: a group's members share
// one bucket, the default per user gives each principal its own, records are
// counted after rendering; the 429 in both encodings with Retry-After; the
// metric, the audit rows and the log line; a policy change without restart;
// and the real OTel exporter waiting out Retry-After so its data lands once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { RATE_LIMITED_ACTION } from '../../src/access/audit-log.ts';
import { AUDIT_TABLE } from '../../src/access/audit-table.ts';
import { GrantStore } from '../../src/access/grant-store.ts';
import { parseGrantStatement } from '../../src/access/grant-sql.ts';
import { createToken } from '../../src/access/token-store.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { QueryEngine } from '../../src/query/engine.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { UsageError } from '../../src/cli/usage.ts';
import { request, rpcStatus, type Answer } from '../e2e/http-support.ts';
import { driveSdk, recordExports } from '../e2e/sdk-support.ts';
import { startTestService, type TestService } from '../support/service.ts';

const T = 'main.tel.a_otel_logs';
const SDK_T = 'main.tel.sdk_otel_logs';
const REC_T = 'main.tel.rec_otel_logs';
// Per-minute rates of 1 refill a token a minute: nothing refills while a test runs.
const POLICY = `
[limits.default_user]
requests_per_minute = 1
requests_burst = 2
[limits.groups.eng]
requests_per_minute = 1
requests_burst = 3
[limits.principals.recorder]
requests_per_minute = 600
records_per_minute = 1
records_burst = 5
[limits.principals."sdk@example.com"]
requests_per_minute = 20
requests_burst = 1
`;

let svc: TestService;
let engine: QueryEngine;
let policyFile: string;
const token: Record<string, string> = {};

const logsJson = (n: number) =>
  JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: n }, (_, i) => ({ body: { stringValue: `r${i}` } })) }] }] });
const logsProto = (n: number) => {
  const t = SIGNAL_TYPES.logs.request;
  return t.encode(t.fromObject(JSON.parse(logsJson(n)) as Record<string, unknown>)).finish();
};

function send(who: string, opts: { records?: number; proto?: boolean; table?: string } = {}): Promise<Answer> {
  const n = opts.records ?? 1;
  return request(svc.url, '/v1/logs', {
    headers: {
      authorization: `Bearer ${token[who]}`,
      'x-databricks-uc-table-name': opts.table ?? T,
      'content-type': opts.proto ? 'application/x-protobuf' : 'application/json',
    },
    body: opts.proto ? logsProto(n) : logsJson(n),
  });
}

async function metric(line: string): Promise<number> {
  const res = await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${token.carol}` } });
  const text = await res.text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

/** Replaces the policy file as a config manager does: write aside, rename over. */
async function savePolicy(text: string): Promise<void> {
  await writeFile(`${policyFile}.tmp`, text);
  await rename(`${policyFile}.tmp`, policyFile);
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const since = Date.now();
  while (!(await check())) {
    if (Date.now() - since > 10_000) throw new Error(`not within 10 s: ${what}\n${svc.logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-limits-'));
  for (const [name, groups] of [['alice', ['eng']], ['bob', ['eng']], ['carol', []], ['dan', []], ['recorder', []], ['sdk@example.com', []]] as const) {
    token[name] = (await createToken(warehouse, { principal: name, groups: ['writers', ...groups] })).secret;
  }
  const grants = GrantStore.open(warehouse);
  for (const g of ['GRANT USE CATALOG ON CATALOG main TO writers', 'GRANT USE SCHEMA, MODIFY ON SCHEMA main.tel TO writers']) {
    grants.apply(parseGrantStatement(g) as Parameters<GrantStore['apply']>[0]);
  }
  grants.close();
  policyFile = path.join(warehouse, 'policy.toml');
  await writeFile(policyFile, POLICY);
  svc = await startTestService({ warehouse, policy: policyFile, policyPollMs: 50, flushIntervalMs: 100 });
  await svc.createTable(T, 'logs');
  await svc.createTable(SDK_T, 'logs');
  await svc.createTable(REC_T, 'logs');
  engine = await QueryEngine.open({ warehouse });
}, 60_000);

afterAll(async () => {
  engine?.close();
  await svc?.stop();
});

describe('rate limits over HTTP', () => {
  it('shares a group\'s bucket between its members and answers 429 with Retry-After in google.rpc.Status', async () => {
    expect((await send('alice')).status).toBe(200);
    expect((await send('alice')).status).toBe(200);
    expect((await send('bob', { proto: true })).status).toBe(200);
    const refused = await send('bob', { proto: true });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    // The bucket is empty and refills one token a minute (less what refilled while the three were sent).
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const status = rpcStatus(refused);
    expect(status.code).toBe(8);
    expect(status.message).toBe(
      `rate limit exceeded: principal bob is over limits.groups.eng.requests_per_minute = 1 (burst 3; group eng, one bucket shared by its members); retry after ${retryAfter} s or raise the limit in the policy file`,
    );
    const asJson = await send('alice');
    expect(asJson.status).toBe(429);
    expect(asJson.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(asJson.body.toString())).toMatchObject({ code: 8, message: expect.stringMatching(/^rate limit exceeded: principal alice is over limits\.groups\.eng\.requests_per_minute/) });
    expect(await metric('otlp2delta_rate_limited_total{limit="limits.groups.eng.requests_per_minute"}')).toBe(2);
    expect(svc.logs.some((l) => l.includes('429') && l.includes('limits.groups.eng.requests_per_minute') && l.includes('bob'))).toBe(true);
  });

  it('gives each principal without a group limit its own bucket under the default per user', async () => {
    expect((await send('carol')).status).toBe(200);
    expect((await send('carol')).status).toBe(200);
    expect(rpcStatus(await send('carol')).message).toMatch(/^rate limit exceeded: principal carol is over limits\.default_user\.requests_per_minute = 1 \(burst 2; the default per user/);
    expect((await send('dan')).status).toBe(200);
    expect((await send('dan')).status).toBe(200);
    expect((await send('dan')).status).toBe(429);
  });

  it('counts records after rendering, and refuses a request larger than the burst with 413', async () => {
    expect((await send('recorder', { records: 3, table: REC_T })).status).toBe(200);
    const over = await send('recorder', { records: 3, table: REC_T });
    expect(over.status).toBe(429);
    expect(rpcStatus(over).message).toMatch(/over limits\.principals\.recorder\.records_per_minute = 1 \(burst 5; its own limit, this request 3 records\)/);
    const huge = await send('recorder', { records: 6, table: REC_T });
    expect(huge.status).toBe(413);
    expect(huge.headers.get('retry-after')).toBeNull();
    expect(rpcStatus(huge).message).toMatch(/this request has 6 records, more than limits\.principals\.recorder\.records_burst = 5/);
    // Nothing of the refused requests was staged: 3 rows from recorder in all.
    await svc.service.pipeline.flushTable(parseTableName(REC_T));
    const r = await engine.execute(`SELECT count(*) FROM ${REC_T}`);
    expect(Number(r.rows[0]![0])).toBe(3);
  });

  it('writes rate-limited refusals to the audit table as their own per-minute rows, with the limit and principal', async () => {
    await svc.service.audit.durable({ openMinutes: true });
    await svc.service.pipeline.flushTable(AUDIT_TABLE);
    const r = await engine.execute(
      `SELECT user_identity.email AS who, request_params['limit'] AS lim, request_params['requests'] AS n, response.status_code AS status
       FROM system.access.audit WHERE action_name = '${RATE_LIMITED_ACTION}' ORDER BY who`,
    );
    const rows = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
    const eng = rows.filter((x) => x.lim === 'limits.groups.eng.requests_per_minute');
    expect(eng.map((x) => x.who).sort()).toEqual(['alice', 'bob']);
    expect(eng.every((x) => x.n === '1' && x.status === 429)).toBe(true);
    expect(rows.some((x) => x.who === 'carol' && x.lim === 'limits.default_user.requests_per_minute')).toBe(true);
    const overloaded = await engine.execute(`SELECT count(*) FROM system.access.audit WHERE action_name = 'overloadedPerMinute'`);
    expect(Number(overloaded.rows[0]![0])).toBe(0);
  });

  it('takes a changed policy into force without a restart, and keeps it when the file breaks', async () => {
    expect((await send('carol')).status).toBe(429);
    await savePolicy(`${POLICY}\n[limits.principals.carol]\nrequests_per_minute = 600\n`);
    await until(async () => (await send('carol')).status === 200, 'the raised limit applies');
    expect(svc.logs.some((l) => l.startsWith(`policy reloaded from ${policyFile} (changed; 6 rate limits, 0 privacy rules)`))).toBe(true);
    await savePolicy(`${POLICY}\n[limits.principals.carol]\nrequests_per_minute = "lots"\n`);
    await until(async () => svc.logs.some((l) => l.includes('refused: limits.principals.carol.requests_per_minute: must be a whole number, got "lots"')), 'the refusal is logged');
    expect((await send('carol')).status).toBe(200);
    expect(await metric('otlp2delta_policy_reloads_total{outcome="ok"}')).toBe(1);
    expect(await metric('otlp2delta_policy_reloads_total{outcome="failed"}')).toBe(1);
  });

  it('has the OTel exporter wait out Retry-After and resend, so its records land exactly once', async () => {
    const exporter = new OTLPLogExporter({
      url: `${svc.url}/api/2.0/otel/v1/logs`,
      headers: { Authorization: `Bearer ${token['sdk@example.com']}`, 'X-Databricks-UC-Table-Name': SDK_T },
    });
    const exports = recordExports(exporter);
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    const limit = 'otlp2delta_rate_limited_total{limit="limits.principals.\\"sdk@example.com\\".requests_per_minute"}';
    const started = Date.now();
    const run = await driveSdk(async () => {
      const logger = provider.getLogger('limits-test');
      logger.emit({ body: 'first' });
      await provider.forceFlush();
      // The burst of one is spent: this export is refused with Retry-After: 3 (20 a minute), then resent.
      // The exporter's own backoff would retry after about a second, and be refused again.
      logger.emit({ body: 'second' });
      await provider.forceFlush();
      await provider.shutdown();
    });
    expect(run.error).toBeUndefined();
    expect(exports.results.map((r) => r.code)).toEqual([0, 0]);
    expect(await metric(limit)).toBe(1);
    // One refusal only: the exporter waited the 3 s the server asked for, not its own shorter backoff.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    await svc.service.pipeline.flushTable(parseTableName(SDK_T));
    const r = await engine.execute(`SELECT body, count(*) AS n FROM ${SDK_T} GROUP BY body ORDER BY body`);
    expect(r.rows.map((row) => [String(row[0]), Number(row[1])])).toEqual([
      ['first', 1],
      ['second', 1],
    ]);
  });
});

describe('serve --policy at start', () => {
  it('refuses to start with a broken policy file, naming the file and the setting', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-limits-bad-'));
    const bad = path.join(dir, 'policy.toml');
    await writeFile(bad, '[limits.groups.eng]\nrecords_per_minut = 5\n');
    const e = await startTestService({ warehouse: dir, policy: bad }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(new RegExp(`^policy file ${bad.replaceAll('.', '\\.')}: limits\\.groups\\.eng\\.records_per_minut: unknown setting`));
  });
});

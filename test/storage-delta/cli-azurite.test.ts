// The commands over a warehouse on Azure Blob Storage (Azurite on loopback):
// create-table, serve taking exports, sql, describe, history, optimize and
// vacuum all work on az:// URLs, with the store checked at start.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { killAll, startServer, waitExit, waitReady } from '../durability/harness.ts';
import { startAzurite, type Azurite } from '../support/azurite.ts';
import { REPO, runCli } from '../support/cli.ts';

const TABLE = 'main.agent_telemetry.claude_otel_logs';
const WAREHOUSE = 'az://lakehouse/otel';
let azurite: Azurite;
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  azurite = await startAzurite();
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('lakehouse').create();
  work = await mkdtemp(path.join(os.tmpdir(), 'o2d-cli-az-'));
  env = { ...process.env, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, OTLP2DELTA_CONTROL_DIR: path.join(work, 'control'), OTLP2DELTA_QUERY_CACHE_DIR: path.join(work, 'cache') };
}, 30_000);

afterAll(async () => {
  killAll();
  await azurite?.stop();
  await rm(work, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli([...args, '--warehouse', WAREHOUSE], { env });
const record = (n: number) => ({
  timeUnixNano: String(1764000000000000000n + BigInt(n)),
  attributes: [
    { key: 'event.name', value: { stringValue: 'api_request' } },
    { key: 'session.id', value: { stringValue: 's1' } },
    { key: 'model', value: { stringValue: 'claude-sonnet-4-5' } },
  ],
});
const logs = (n: number) => ({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] }, scopeLogs: [{ logRecords: [record(n)] }] }] });

it('creates, fills, reads and maintains a table in the store', async () => {
  const created = await cli(['create-table', TABLE, '--kind', 'logs']);
  expect(created.code, created.stderr).toBe(0);

  const server = startServer({ label: 'az', warehouse: WAREHOUSE, staging: path.join(work, 'staging'), flushMs: 50, env: env as Record<string, string> });
  const url = await waitReady(server);
  expect(url, server.log.join('\n')).toBeDefined();
  for (const n of [1, 2]) {
    const res = await fetch(`${url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': TABLE }, body: JSON.stringify(logs(n)) });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
  }
  server.child.kill('SIGTERM');
  expect(await waitExit(server)).toEqual({ code: 0, signal: null });

  const sql = await cli(['sql', `SELECT count(*) AS n, any_value(attributes['model']) AS m FROM ${TABLE}`, '--format', 'csv']);
  expect(sql.code, sql.stderr).toBe(0);
  expect(sql.stdout.trim().split('\n')).toEqual(['n,m', '2,claude-sonnet-4-5']);

  const described = await cli(['describe', TABLE]);
  expect(described.stdout).toContain(`location        ${WAREHOUSE}/main/agent_telemetry/claude_otel_logs`);
  expect(described.stdout).toMatch(/health +healthy \(2 files checked\)/);

  const optimized = await cli(['optimize', TABLE]);
  expect(optimized.code, optimized.stderr).toBe(0);
  expect(optimized.stdout).toMatch(/compacted 2 files .* into 1/);
  const history = await cli(['history', TABLE]);
  expect(history.stdout).toMatch(/\n +3 +\S+ +OPTIMIZE/);
  const vacuum = await cli(['vacuum', TABLE, '--dry-run']);
  expect(vacuum.code, vacuum.stderr).toBe(0);
  const after = await cli(['sql', `SELECT count(*) FROM ${TABLE}`, '--format', 'csv']);
  expect(after.stdout.trim().split('\n')[1]).toBe('2');
}, 120_000);

it('replays recorded agent requests straight into the store', async () => {
  const fixtures = path.join(REPO, 'test', 'fixtures', 'real-clients', 'claude-code', 'proto-basic');
  const replayed = await cli(['replay', fixtures, '--create-tables', '--staging', path.join(work, 'replay-staging')]);
  expect(replayed.code, replayed.stderr).toBe(0);
  const tokens = await cli(['sql', 'SELECT sum(tokens) > 0 FROM main.agent_telemetry.usage_facts', '--format', 'csv']);
  expect(tokens.code, tokens.stderr).toBe(0);
  expect(tokens.stdout.trim().split('\n')[1]).toBe('true');
  const noStaging = await cli(['replay', fixtures, '--create-tables']);
  expect(noStaging.code).not.toBe(0);
  expect(noStaging.stderr).toMatch(/needs --staging DIR/);
}, 120_000);

it('names the variables to set when the store has no credentials, and needs --staging for serve', async () => {
  const bare = { ...process.env };
  delete bare.AZURE_STORAGE_CONNECTION_STRING;
  const noCreds = await runCli(['sql', 'SELECT 1', '--warehouse', 'az://lakehouse/otel'], { env: bare });
  expect(noCreds.code).toBe(2);
  expect(noCreds.stderr).toMatch(/AZURE_STORAGE_CONNECTION_STRING/);
  const noStaging = await runCli(['serve', '--port', '0', '--warehouse', WAREHOUSE], { env });
  expect(noStaging.code).toBe(2);
  expect(noStaging.stderr).toMatch(/needs --staging DIR/);
  expect(`${noCreds.stderr}${noStaging.stderr}`).not.toContain(azurite.connectionString.split('AccountKey=')[1]?.split(';')[0] ?? 'never');
});

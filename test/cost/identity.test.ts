// Whose usage it is: the exporting token's principal is a user the directory
// can name, and the directory's columns reach only callers that may read it.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/access/token-store.ts';
import type { Principal } from '../../src/access/types.ts';
import { importDirectory } from '../../src/cost/store.ts';
import { QueryEngine } from '../../src/query/engine.ts';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { rowObjects } from '../query/support.ts';
import { codexBody } from './sessions.ts';

const TABLE = 'main.team_a.codex_otel_metrics';
const analyst: Principal = { tokenId: 'tok_ann', name: 'ann@example.com', groups: ['analysts'] };
let svc: TestService;
let engine: QueryEngine;

beforeAll(async () => {
  const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-cost-identity-'));
  const { secret } = await createToken(warehouse, { principal: 'dave-bot', groups: ['bots'] });
  const schema = schemaFor('metrics');
  await createDeltaTable(tableDir(warehouse, parseTableName(TABLE)), { schema, properties: { ...schema.tableProperties } });
  // Granted before the server starts, so its grants are these from the first request on.
  engine = await QueryEngine.open({ warehouse });
  for (const g of ['GRANT USE CATALOG ON CATALOG main TO bots', 'GRANT USE SCHEMA ON SCHEMA main.team_a TO bots', `GRANT MODIFY ON TABLE ${TABLE} TO bots`]) await engine.execute(g);
  svc = await startTestService({ warehouse });
  const res = await fetch(`${svc.url}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': TABLE, authorization: `Bearer ${secret}` },
    body: JSON.stringify(codexBody(null)),
  });
  expect(res.status, await res.text()).toBe(200);
  await svc.service.pipeline.flushTable(parseTableName(TABLE));
  const csv = path.join(warehouse, 'directory.csv');
  await writeFile(csv, 'user,team,cost_center\nDave-Bot,automation,CC-900\n');
  await importDirectory(warehouse, csv);
}, 60_000);

afterAll(async () => {
  engine?.close();
  await svc?.stop();
});

describe('directory identity', () => {
  it("joins the directory on the exporting token's principal when the agent names no user", async () => {
    const rows = await rowObjects(engine, `SELECT DISTINCT "user", team, cost_center FROM ${TABLE.replace('codex_otel_metrics', 'usage_facts')}`);
    expect(rows).toEqual([{ user: 'dave-bot', team: 'automation', cost_center: 'CC-900' }]);
  });

  it('shows the directory only to callers that may read system.directory.users', async () => {
    for (const g of ['GRANT USE CATALOG ON CATALOG main TO analysts', 'GRANT USE SCHEMA ON SCHEMA main.team_a TO analysts', `GRANT SELECT ON TABLE ${TABLE} TO analysts`]) await engine.execute(g);
    const q = `SELECT DISTINCT team, in_directory FROM main.team_a.usage_facts`;
    const asAnalyst = async () => (await engine.execute(q, {}, analyst)).rows;
    expect(await asAnalyst()).toEqual([['(not in directory)', false]]);
    for (const g of ['GRANT USE CATALOG ON CATALOG system TO analysts', 'GRANT USE SCHEMA ON SCHEMA system.directory TO analysts', 'GRANT SELECT ON TABLE system.directory.users TO analysts']) {
      await engine.execute(g);
    }
    expect(await asAnalyst()).toEqual([['automation', true]]);
  });
});

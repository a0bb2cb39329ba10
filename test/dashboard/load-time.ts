// Measures how long the dashboard takes over 100,000 usage-fact rows: lands
// Claude Code token points for 200 users through a real server, then times
// the overview endpoint (uncached and cached) and a page load in Chromium.
// Run by hand: npx tsx test/dashboard/load-time.ts
import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseTableName } from '../../src/tables/names.ts';
import { startTestService } from '../support/service.ts';

const ROWS = 100_000;
const PER_REQUEST = 5_000;
const TABLE = 'main.agent_telemetry.claude_otel_metrics';
const TYPES = ['input', 'output', 'cacheRead', 'cacheCreation'];

const svc = await startTestService();
await svc.createTable(TABLE, 'metrics');
const start = Date.parse('2026-10-01T00:00:00Z');
for (let sent = 0; sent < ROWS; sent += PER_REQUEST) {
  const points = Array.from({ length: PER_REQUEST }, (_, j) => {
    const i = sent + j;
    const t = BigInt(start + i * 60_000) * 1_000_000n;
    const attr = (key: string, v: string) => ({ key, value: { stringValue: v } });
    return { startTimeUnixNano: String(t - 1000n), timeUnixNano: String(t), asDouble: 100 + (i % 900), attributes: [attr('user.email', `user${i % 200}@example.com`), attr('session.id', `s${Math.floor(i / 40)}`), attr('model', i % 3 ? 'claude-sonnet-4-5' : 'claude-opus-4-1'), attr('type', TYPES[i % 4] as string)] };
  });
  const body = { resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] }, scopeMetrics: [{ metrics: [{ name: 'claude_code.token.usage', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: points } }] }] }] };
  const res = await fetch(`${svc.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': TABLE }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(await res.text());
}
while ((await svc.service.pipeline.pendingRows()) > 0) await svc.service.pipeline.flushTable(parseTableName(TABLE));
const rows = await fetch(`${svc.url}/api/2.0/sql/statements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ statement: 'SELECT count(*) FROM main.agent_telemetry.usage_facts' }) }).then((r) => r.json() as Promise<{ result: { data_array: string[][] } }>);
const t0 = performance.now();
await fetch(`${svc.url}/dashboard/api/overview`).then((r) => r.json());
const cold = performance.now() - t0;
const t1 = performance.now();
await fetch(`${svc.url}/dashboard/api/overview`).then((r) => r.json());
const warm = performance.now() - t1;
// A filter combination nobody asked for yet: only the panel queries run over the kept views.
const tf = performance.now();
await fetch(`${svc.url}/dashboard/api/overview?user=user7%40example.com`).then((r) => r.json());
const newFilter = performance.now() - tf;
const profile = await mkdtemp(path.join(os.tmpdir(), 'o2d-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await ctx.newPage();
await page.setViewportSize({ width: 1400, height: 900 });
const t2 = performance.now();
await page.goto(`${svc.url}/dashboard?agent=claude_code`);
await page.waitForSelector('body[data-loaded="true"]');
const pageMs = performance.now() - t2;
const t3 = performance.now();
await page.reload();
await page.waitForSelector('body[data-loaded="true"]');
const pageWarm = performance.now() - t3;
// A filter changed in the open page to a combination nobody asked for yet.
const t5 = performance.now();
await page.selectOption('select[name="user"]', 'user9@example.com');
await page.waitForSelector('body[data-loaded="true"]');
const filterChange = performance.now() - t5;
// After a commit: the last answer is drawn at once, the current one replaces it when computed.
const extra = { resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] }, scopeMetrics: [{ metrics: [{ name: 'claude_code.token.usage', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ startTimeUnixNano: '1', timeUnixNano: String(BigInt(start) * 1_000_000n), asDouble: 1, attributes: [{ key: 'type', value: { stringValue: 'input' } }] }] } }] }] }] };
await fetch(`${svc.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': TABLE }, body: JSON.stringify(extra) });
await svc.service.pipeline.flushTable(parseTableName(TABLE));
const t4 = performance.now();
await page.reload();
await page.waitForSelector('[data-kpi="tokens"]');
const afterCommitFirstDraw = performance.now() - t4;
await page.waitForSelector('body[data-loaded="true"]');
const afterCommitCurrent = performance.now() - t4;
await ctx.close();
await rm(profile, { recursive: true, force: true });
console.log(JSON.stringify({ usageFactRows: rows.result.data_array[0]?.[0], overviewUncachedMs: Math.round(cold), overviewCachedMs: Math.round(warm), overviewNewFilterMs: Math.round(newFilter), pageLoadUncachedMs: Math.round(pageMs), pageLoadCachedMs: Math.round(pageWarm), filterChangeMs: Math.round(filterChange), afterCommitFirstDrawMs: Math.round(afterCommitFirstDraw), afterCommitCurrentMs: Math.round(afterCommitCurrent) }));
// KEEP=1 leaves the warehouse for a closer look (its folder is printed).
await svc.stop({ keep: process.env.KEEP === '1' });
if (process.env.KEEP === '1') console.log(svc.warehouse);

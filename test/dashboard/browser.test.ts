// The pages in real headless Chromium over the captures and the synthetic
// sessions: the numbers shown equal the views', filters change them and stay
// in the URL, a session page opens, nothing leaves the host and no console
// error appears. Screenshots of each page go to docs/.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { QueryEngine } from '../../src/query/engine.ts';
import { createToken } from '../../src/access/token-store.ts';
import { REPO } from '../support/cli.ts';
import { rowObjects, type LoadedWarehouse } from '../query/support.ts';
import { startDashboardWarehouse } from './support.ts';

const SYNTH = 'synth.agent_telemetry';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let w: LoadedWarehouse;
let engine: QueryEngine;
let browser: BrowserContext;
let profile: string;
const problems: string[] = [];

beforeAll(async () => {
  w = await startDashboardWarehouse();
  engine = await QueryEngine.open({ warehouse: w.svc.warehouse });
  profile = await mkdtemp(path.join(os.tmpdir(), 'o2d-chromium-'));
  // A fresh profile each run: nothing cached or stored from an earlier one.
  browser = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: ARGS, headless: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  engine?.close();
  await w?.svc.stop();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** Records requests that leave the host, console errors and page errors into `problems`. */
function collect(page: Page): void {
  const host = new URL(w.svc.url).host;
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.host !== host) problems.push(`request left the host: ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

async function open(url: string, opts: { width?: number; dark?: boolean } = {}): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewportSize({ width: opts.width ?? 1400, height: 900 });
  await page.emulateMedia({ colorScheme: opts.dark ? 'dark' : 'light' });
  collect(page);
  await page.goto(url);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 20_000 });
  return page;
}

const kpiValue = (page: Page, id: string) => page.getAttribute(`[data-kpi="${id}"]`, 'data-value');
const one = async (sql: string) => (await rowObjects(engine, sql))[0] as Record<string, unknown>;

test('the overview shows the views\' numbers, filters change them, a session opens', async () => {
  const page = await open(`${w.svc.url}/dashboard?schema=${SYNTH}`);
  for (const id of ['adoption', 'sessions', 'tokens', 'spend', 'outcomes', 'tools', 'errors', 'top_sessions', 'health']) expect(await page.locator(`[data-panel="${id}"]`).count()).toBe(1);
  expect(await kpiValue(page, 'tokens')).toBe(String((await one(`SELECT sum(tokens) AS t FROM ${SYNTH}.usage_facts`)).t));
  expect(await kpiValue(page, 'sessions')).toBe(String((await one(`SELECT count(*) AS n FROM ${SYNTH}.sessions`)).n));
  expect(Number(await kpiValue(page, 'acceptance_rate'))).toBeCloseTo(Number((await one(`SELECT count(*) FILTER (WHERE decision = 'accept') / count(*) AS r FROM ${SYNTH}.tool_decisions`)).r), 12);
  expect(await page.locator('[data-panel="tokens"] .uplot').count()).toBeGreaterThan(0);
  await page.screenshot({ path: path.join(REPO, 'docs/dashboard-overview.png'), fullPage: true });

  await page.selectOption('select[name="agent"]', 'codex');
  await page.waitForURL(/agent=codex/);
  await page.waitForSelector('body[data-loaded="true"]');
  expect(await kpiValue(page, 'tokens')).toBe(String((await one(`SELECT sum(tokens) AS t FROM ${SYNTH}.usage_facts WHERE agent = 'codex'`)).t));

  await page.click('[data-panel="top_sessions"] td[data-col="session_id"] a');
  await page.waitForURL(/\/dashboard\/session\?/);
  await page.waitForSelector('body[data-loaded="true"]');
  expect(await page.locator('[data-panel="session_timeline"] tbody tr').count()).toBeGreaterThan(0);
  const sessionId = new URL(page.url()).searchParams.get('session');
  expect(await kpiValue(page, 'session_tokens')).toBe(String((await one(`SELECT tokens FROM ${SYNTH}.sessions WHERE agent = 'codex' AND session_id = '${sessionId}'`)).tokens));
  await page.screenshot({ path: path.join(REPO, 'docs/dashboard-session.png'), fullPage: true });
  await page.close();
  expect(problems).toEqual([]);
}, 60_000);

test('usable at phone width in dark mode', async () => {
  const page = await open(`${w.svc.url}/dashboard?schema=${SYNTH}`, { width: 390, dark: true });
  const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
  expect(overflow).toBeLessThanOrEqual(1);
  const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
  expect(bg).not.toBe('rgb(248, 250, 252)');
  await page.screenshot({ path: path.join(REPO, 'docs/dashboard-phone-dark.png'), fullPage: false });
  await page.close();
  expect(problems).toEqual([]);
}, 60_000);

test('with tokens, the page asks for one, and shows what its grants allow', async () => {
  const admin = (await createToken(w.svc.warehouse, { principal: 'root', groups: ['admins'] })).secret;
  const ana = (await createToken(w.svc.warehouse, { principal: 'ana' })).secret;
  await w.svc.service.tokens.poll();
  const sql = (statement: string) => fetch(`${w.svc.url}/api/2.0/sql/statements`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ statement }) });
  for (const g of ['GRANT USE CATALOG ON CATALOG synth TO ana', `GRANT USE SCHEMA ON SCHEMA ${SYNTH} TO ana`, `GRANT SELECT ON TABLE ${SYNTH}.claude_otel_metrics TO ana`]) expect((await sql(g)).status).toBe(200);
  const page = await browser.newPage();
  collect(page);
  await page.goto(`${w.svc.url}/dashboard`);
  await page.waitForSelector('#signin:not([hidden])');
  await page.fill('#signin input[name="token"]', ana);
  await page.click('#signin button[type="submit"]');
  await page.waitForSelector('body[data-loaded="true"]');
  expect(await page.inputValue('select[name="schema"]')).toBe(SYNTH);
  const want = (await one(`SELECT sum(increment) AS t FROM ${SYNTH}.metric_increments WHERE metric = 'claude_code.token.usage'`)).t;
  expect(await kpiValue(page, 'tokens')).toBe(String(want));
  // Signing out forgets the token: the page asks for one again and shows no numbers.
  await page.click('#signout');
  await page.waitForSelector('#signin:not([hidden])');
  expect(await page.evaluate('sessionStorage.getItem("otlp2delta.token")')).toBeNull();
  expect(await page.locator('[data-kpi]').count()).toBe(0);
  expect(await page.isHidden('#signout')).toBe(true);
  await page.close();
  expect(problems).toEqual([]);
}, 60_000);

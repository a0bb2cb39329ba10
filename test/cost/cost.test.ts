// Estimated cost, the directory, budgets and outcomes over the recorded
// captures (main.agent_telemetry) and synthetic sessions of all three agents
// (cost.agents), landed through the real server; every expected figure is
// tokens times the test's own price list, worked out by hand.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPrices } from '../../src/cost/prices.ts';
import { missingPrices } from '../../src/cost/report.ts';
import { changeBudgets, currentPrices, directoryRows, importDirectory, importPrices } from '../../src/cost/store.ts';
import { QueryEngine } from '../../src/query/engine.ts';
import { usageReport, type UsageReport } from '../../src/query/usage-report.ts';
import { loadWarehouse, rowObjects, sendMetricsJson } from '../query/support.ts';
import type { TestService } from '../support/service.ts';
import { CLAUDE, costRequests, DAY, DIRECTORY_CSV, EARLY_DAY, PRICES_CSV, SCHEMA } from './sessions.ts';

let svc: TestService;
let scratch: string;
const M = 1e6;

// By hand from PRICES_CSV: tokens x USD per million.
const ALICE = (1000 * 5 + 2000 * 25 + 10000 * 0.5 + 500 * 6.25) / M; // opus-4-8 beats opus-4, [1m] cut
const BOB = (400 * 3 + 800 * 15) / M;
const CAROL = (2000 * 5 + 1000 * 25) / M;
const DAVE_DAY = (600 * 2 + 400 * 0.125 + 200 * 10 + 100 * 10) / M; // input at the 2026-11-01 price
const DAVE_EARLY = (100 * 1.25 + 10 * 10) / M; // input at the 2025-01-01 price
const ERIN = (400 * 2 + 100 * 0.2 + 50 * 12 + 20 * 12 + 10 * 2) / M; // mystery-model-9 unpriced

async function file(name: string, text: string): Promise<string> {
  const p = path.join(scratch, name);
  await writeFile(p, text);
  return p;
}

async function withEngine<T>(fn: (e: QueryEngine) => Promise<T>): Promise<T> {
  const engine = await QueryEngine.open({ warehouse: svc.warehouse });
  try {
    return await fn(engine);
  } finally {
    engine.close();
  }
}

const report = (opts: Partial<Parameters<typeof usageReport>[1]> = {}): Promise<UsageReport> =>
  withEngine((e) => usageReport(e, { schema: SCHEMA, days: 60, asOf: DAY, ...opts }));

const estimates = (sql: string) => withEngine((e) => rowObjects(e, sql));

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-cost-'));
  ({ svc } = await loadWarehouse({ synthetic: false }));
  for (const t of ['claude', 'codex', 'gemini']) await svc.createTable(`${SCHEMA}.${t}_otel_metrics`, 'metrics');
  for (const r of costRequests()) await sendMetricsJson(svc, r.table, r.body);
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('estimated cost', () => {
  it('uses the shipped prices while the warehouse has none, for the recorded clients too', async () => {
    expect((await currentPrices(svc.warehouse)).from).toBe('defaults');
    const rows = await estimates(`SELECT model, token_type, sum(tokens) AS tokens, sum(cost_estimated_usd) AS est FROM main.agent_telemetry.usage_facts
                                  WHERE token_type IS NOT NULL GROUP BY ALL ORDER BY ALL`);
    const byPattern = new Map(defaultPrices().map((p) => [`${p.model_pattern}|${p.token_type}`, p.usd_per_million_tokens]));
    const expectedPattern: Record<string, string> = { 'claude-opus-4-8[1m]': 'claude-opus-4-8*', 'gpt-5.1-codex': 'gpt-5.1-codex*', 'gemini-3.1-pro-preview': 'gemini-3.1-pro*', 'gemini-3.5-flash-lite': 'gemini-3.5-flash-lite*' };
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) {
      const price = byPattern.get(`${expectedPattern[String(r.model)]}|${String(r.token_type)}`);
      expect(price, `${String(r.model)} ${String(r.token_type)}`).toBeDefined();
      expect(Number(r.est)).toBeCloseTo((Number(r.tokens) * (price as number)) / M, 12);
    }
  });

  it('equals tokens times the imported prices, the most specific pattern and the price in force on the day', async () => {
    const r = await importPrices(svc.warehouse, await file('prices.csv', PRICES_CSV));
    expect(r.rows).toBe(18);
    const rows = await estimates(`SELECT coalesce(user_email, "user") AS who, day, sum(cost_estimated_usd) AS est, sum(cost_usd) AS reported
                                  FROM ${SCHEMA}.usage_facts WHERE model IS DISTINCT FROM 'mystery-model-9' GROUP BY ALL ORDER BY ALL`);
    const got = Object.fromEntries(rows.map((x) => [`${String(x.who)} ${String(x.day)}`, Number(x.est)]));
    expect(got[`alice@example.com ${DAY}`]).toBeCloseTo(ALICE, 12);
    expect(got[`bob@example.com ${DAY}`]).toBeCloseTo(BOB, 12);
    expect(got[`Carol@Example.com ${DAY}`]).toBeCloseTo(CAROL, 12);
    expect(got[`acct-dave ${DAY}`]).toBeCloseTo(DAVE_DAY, 12);
    expect(got[`acct-dave ${EARLY_DAY}`]).toBeCloseTo(DAVE_EARLY, 12);
    expect(got[`erin@example.com ${DAY}`]).toBeCloseTo(ERIN, 12);
    // The reported cost stays what Claude Code sent, beside the estimate.
    expect(Number(rows.find((x) => x.who === 'alice@example.com')?.reported)).toBeCloseTo(0.5, 12);
  });

  it('leaves an unknown model NULL and lists it as missing', async () => {
    const [unknown] = await estimates(`SELECT count(*) AS n, count(cost_estimated_usd) AS priced FROM ${SCHEMA}.usage_facts WHERE model = 'mystery-model-9'`);
    expect(Number(unknown?.n)).toBe(2);
    expect(Number(unknown?.priced)).toBe(0);
    const missing = await withEngine((e) => missingPrices(e, SCHEMA));
    expect(missing.map((m) => `${m.model} ${m.tokenType} ${m.tokens}`)).toEqual(['mystery-model-9 input 70', 'mystery-model-9 output 7']);
    expect((await report()).cost.unpriced).toEqual({ models: 1, tokens: 77 });
  });

  it('replaces the whole list on re-import', async () => {
    const codexOnly = PRICES_CSV.split('\n').filter((l, i) => i === 0 || l.startsWith('gpt-5.1-codex')).join('\n');
    await importPrices(svc.warehouse, await file('codex-only.csv', codexOnly));
    const { from, prices } = await currentPrices(svc.warehouse);
    expect(from).toBe('warehouse');
    expect(new Set(prices.map((p) => p.model_pattern))).toEqual(new Set(['gpt-5.1-codex*']));
    expect(prices.filter((p) => p.token_type === 'input').map((p) => `${p.valid_from} ${p.usd_per_million_tokens}`)).toEqual(['2025-01-01 1.25', '2026-11-01 2']);
    const missing = await withEngine((e) => missingPrices(e, SCHEMA));
    expect(missing.some((m) => m.model === 'claude-opus-4-8[1m]')).toBe(true);
    const [dave] = await estimates(`SELECT sum(cost_estimated_usd) AS est FROM ${SCHEMA}.usage_facts WHERE "user" = 'acct-dave'`);
    expect(Number(dave?.est)).toBeCloseTo(DAVE_DAY + DAVE_EARLY, 12);
    await importPrices(svc.warehouse, await file('prices.csv', PRICES_CSV));
  });

  it('refuses a price file with a bad record, naming it, and keeps the list', async () => {
    const bad = `${PRICES_CSV}gpt-9,output,cheap,2025-01-01,test,\n`;
    await expect(importPrices(svc.warehouse, await file('bad.csv', bad))).rejects.toThrow(/record 20: usd_per_million_tokens must be a number/);
    await expect(importPrices(svc.warehouse, await file('dup.csv', `${PRICES_CSV}gpt-5.1-codex*,input,3,2026-11-01,x,\n`))).rejects.toThrow(/priced twice/);
    expect((await currentPrices(svc.warehouse)).prices).toHaveLength(18);
  });
});

describe('directory and teams', () => {
  it('counts users the directory does not list, and shows them under their own team', async () => {
    const before = await report();
    expect(before.cost.directory).toMatchObject({ users: 5, notInDirectory: 5 });
    await importDirectory(svc.warehouse, await file('dir.csv', DIRECTORY_CSV));
    const r = await report({ by: 'team' });
    expect(r.cost.directory).toEqual({ users: 5, notInDirectory: 1, missing: ['erin@example.com'] });
    const teams = Object.fromEntries((r.breakdown?.rows ?? []).map((b) => [b.key, b]));
    expect(Object.keys(teams).sort()).toEqual(['(not in directory)', 'data', 'platform']);
    expect(teams.platform?.spendUsd).toBeCloseTo(0.5 + 0.1, 12);
    expect(teams.data?.spendUsd).toBeCloseTo(0.2 + DAVE_DAY + DAVE_EARLY, 12);
    expect(teams['(not in directory)']?.spendUsd).toBeCloseTo(ERIN, 12);
    expect(teams.data?.estimatedUsd).toBeCloseTo(CAROL + DAVE_DAY + DAVE_EARLY, 12);
    const [carol] = await estimates(`SELECT DISTINCT team, department, cost_center, display_name FROM ${SCHEMA}.sessions WHERE "user" = 'Carol@Example.com'`);
    expect(carol).toEqual({ team: 'data', department: 'analytics', cost_center: 'CC-200', display_name: 'Carol' });
  });

  it('gives team totals that equal the sum of their users, and filters by team', async () => {
    const [byTeam, byUser] = await Promise.all([report({ by: 'team' }), report({ by: 'user' })]);
    const dir = Object.fromEntries((await directoryRows(svc.warehouse)).map((d) => [String(d.user), String(d.team)]));
    const sums = new Map<string, { tokens: number; spend: number; sessions: number }>();
    for (const u of byUser.breakdown?.rows ?? []) {
      const team = dir[String(u.key).toLowerCase()] ?? '(not in directory)';
      const s = sums.get(team) ?? { tokens: 0, spend: 0, sessions: 0 };
      s.tokens += u.tokens;
      s.spend += u.spendUsd ?? 0;
      s.sessions += u.sessions;
      sums.set(team, s);
    }
    for (const t of byTeam.breakdown?.rows ?? []) {
      const s = sums.get(String(t.key));
      expect(t.tokens, String(t.key)).toBe(s?.tokens);
      expect(t.spendUsd).toBeCloseTo(s?.spend ?? NaN, 12);
      expect(t.sessions).toBe(s?.sessions);
    }
    const platform = await report({ team: 'platform', by: 'user' });
    expect((platform.breakdown?.rows ?? []).map((b) => b.key).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    expect(platform.spendUsd.last30Days).toBeCloseTo(0.6, 12);
  });

  it('replaces the directory on re-import', async () => {
    await importDirectory(svc.warehouse, await file('dir2.csv', 'user,team\nbob@example.com,data\n'));
    const r = await report({ by: 'team' });
    expect(r.cost.directory.notInDirectory).toBe(4);
    const teams = Object.fromEntries((r.breakdown?.rows ?? []).map((b) => [b.key, b.spendUsd]));
    expect(teams.data).toBeCloseTo(0.1, 12);
    expect(teams.platform).toBeUndefined();
    await importDirectory(svc.warehouse, await file('dir.csv', DIRECTORY_CSV));
  });
});

describe('budgets and outcomes', () => {
  it('shows spend against each budget for its day or month, with % used and the top five', async () => {
    const now = new Date().toISOString();
    await changeBudgets(svc.warehouse, [
      { scope: 'team', subject: 'platform', period: 'monthly', usd: 5, updated_at: now },
      { scope: 'team', subject: 'data', period: 'monthly', usd: 0.1, updated_at: now },
      { scope: 'user', subject: 'carol@example.com', period: 'daily', usd: 0.25, updated_at: now },
      { scope: 'all', subject: '*', period: 'monthly', usd: 2, updated_at: now },
      { scope: 'team', subject: 'nobody', period: 'daily', usd: 1, updated_at: now },
      { scope: 'team', subject: 'nobody', period: 'monthly', usd: 1, updated_at: now },
    ]);
    // Set again: replaces the earlier limit of the same scope and period.
    await changeBudgets(svc.warehouse, [{ scope: 'team', subject: 'platform', period: 'monthly', usd: 1, updated_at: now }]);
    const r = await report();
    const b = Object.fromEntries(r.cost.budgets.map((x) => [`${x.scope} ${x.subject} ${x.period}`, x]));
    expect(r.cost.budgets).toHaveLength(6);
    expect(b['team platform monthly']).toMatchObject({ budgetUsd: 1 });
    expect(b['team platform monthly']?.spentUsd).toBeCloseTo(0.6, 12);
    expect(b['team platform monthly']?.percentUsed).toBeCloseTo(60, 9);
    expect(b['team platform monthly']?.remainingUsd).toBeCloseTo(0.4, 12);
    // The month to date leaves out Codex's October day.
    expect(b['team data monthly']?.spentUsd).toBeCloseTo(0.2 + DAVE_DAY, 12);
    expect(b['user carol@example.com daily']?.percentUsed).toBeCloseTo(80, 9);
    expect(b['all * monthly']?.spentUsd).toBeCloseTo(0.5 + 0.1 + 0.2 + DAVE_DAY + ERIN, 12);
    expect(b['team nobody daily']?.spentUsd).toBe(0);
    expect(r.cost.topBudgets.map((x) => `${x.scope} ${x.subject} ${x.period}`)).toEqual([
      'team data monthly',
      'user carol@example.com daily',
      'team platform monthly',
      'all * monthly',
      'team nobody daily',
    ]);
  });

  it('divides spend by commits, pull requests and lines, and rates cache reads the same way for every agent', async () => {
    const r = await report();
    const o = Object.fromEntries(r.cost.outcomes.map((x) => [`${x.level} ${x.key}`, x]));
    const alice = CLAUDE[0];
    expect(o['user alice@example.com']).toMatchObject({ commits: 2, pullRequests: 1, linesChanged: (alice?.added ?? 0) + (alice?.removed ?? 0) });
    expect(o['user alice@example.com']?.costPerCommit).toBeCloseTo(0.25, 12);
    expect(o['user alice@example.com']?.costPerPullRequest).toBeCloseTo(0.5, 12);
    expect(o['user alice@example.com']?.costPerLine).toBeCloseTo(0.5 / 120, 12);
    expect(o['team platform']?.costPerCommit).toBeCloseTo(0.6 / 2, 12);
    expect(o['user acct-dave']?.costPerCommit).toBeNull();
    expect(o['user erin@example.com']?.costPerLine).toBeCloseTo(ERIN / 30, 12);
    const cache = Object.fromEntries(r.cost.cache.map((c) => [c.agent, c.cacheHitRate]));
    expect(cache.claude_code).toBeCloseTo(10000 / (3400 + 10000), 12);
    expect(cache.codex).toBeCloseTo(400 / (700 + 400), 12);
    expect(cache.gemini_cli).toBeCloseTo(100 / (470 + 100), 12);
    const basis = Object.fromEntries(r.cost.spendByAgent.map((a) => [a.agent, a.basis]));
    expect(basis).toEqual({ claude_code: 'reported', codex: 'estimated', gemini_cli: 'estimated' });
  });
});

describe('Codex token split', () => {
  it('prices the net types of one export, never a negative row', async () => {
    const rows = await estimates(`SELECT token_type, tokens FROM ${SCHEMA}.usage_facts WHERE agent = 'codex' AND day = DATE '${DAY}' ORDER BY token_type`);
    expect(rows.map((r) => `${String(r.token_type)} ${String(r.tokens)}`)).toEqual(['cache_read 400', 'input 600', 'output 200', 'reasoning 100']);
  });
});

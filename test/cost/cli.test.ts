// The prices, directory and budget commands and the usage report's spend
// sections, run as child processes over a warehouse landed by the real server.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendMetricsJson } from '../query/support.ts';
import { runCli, type CliRun } from '../support/cli.ts';
import { startTestService } from '../support/service.ts';
import { costRequests, DAY, DIRECTORY_CSV, PRICES_CSV, SCHEMA } from './sessions.ts';

let warehouse: string;
let scratch: string;

beforeAll(async () => {
  const svc = await startTestService();
  for (const t of ['claude', 'codex', 'gemini']) await svc.createTable(`${SCHEMA}.${t}_otel_metrics`, 'metrics');
  for (const r of costRequests()) await sendMetricsJson(svc, r.table, r.body);
  await svc.stop({ keep: true });
  warehouse = svc.warehouse;
  scratch = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-cost-cli-'));
}, 60_000);

afterAll(async () => {
  await rm(warehouse, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

const cli = (args: string[]): Promise<CliRun> => runCli([...args, '--warehouse', warehouse]);

async function file(name: string, text: string): Promise<string> {
  const p = path.join(scratch, name);
  await writeFile(p, text);
  return p;
}

describe('otlp2delta prices', () => {
  it('lists the shipped prices and the models no price matches until a list is imported', async () => {
    const list = await cli(['prices', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^Shipped default prices/);
    expect(list.stdout).toMatch(/gpt-5\.1-codex\*\s+input\s+1\.25\s+2025-01-01/);
    const missing = await cli(['prices', 'missing', '--schema', SCHEMA]);
    expect(missing.code, missing.stderr).toBe(0);
    expect(missing.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s{2,}/).slice(0, 4).join(' '))).toEqual(['gemini_cli mystery-model-9 input 70', 'gemini_cli mystery-model-9 output 7']);
  });

  it('imports a list, and refuses a bad one with the record and exit status 2', async () => {
    const ok = await cli(['prices', 'import', await file('p.csv', PRICES_CSV)]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^imported 18 prices into system\.billing\.prices \(version 1\)/);
    const bad = await cli(['prices', 'import', await file('bad.csv', 'model_pattern,token_type,usd_per_million_tokens,valid_from\ngpt-5,output,1,2025-13-01\n')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/record 2: valid_from must be a date YYYY-MM-DD, got "2025-13-01"/);
    const list = await cli(['prices', 'list', '--json']);
    expect((JSON.parse(list.stdout) as { from: string; prices: unknown[] }).prices).toHaveLength(18);
  });
});

describe('otlp2delta directory and budget', () => {
  it('imports the directory, sets budgets and shows spend against them in usage', async () => {
    const dir = await cli(['directory', 'import', await file('d.csv', DIRECTORY_CSV)]);
    expect(dir.code, dir.stderr).toBe(0);
    const listed = await cli(['directory', 'list', '--json']);
    expect((JSON.parse(listed.stdout) as { user: string }[]).map((u) => u.user)).toEqual(['acct-dave', 'alice@example.com', 'bob@example.com', 'carol@example.com']);
    const set = await cli(['budget', 'set', '--team', 'platform', '--monthly-usd', '1', '--daily-usd', '0.5']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^set monthly team platform \$1\.00, daily team platform \$0\.50; 2 budgets/);
    const noScope = await cli(['budget', 'set', '--monthly-usd', '1']);
    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toMatch(/exactly one of --user, --team and --all/);
    const usage = await cli(['usage', '--schema', SCHEMA, '--as-of', DAY, '--days', '60', '--by', 'team']);
    expect(usage.code, usage.stderr).toBe(0);
    expect(usage.stdout, usage.stdout).toMatch(/\nplatform\s+14,700\s+\$0\.60\s+\$0\.08\s+\$0\.60\s+2\n/);
    expect(usage.stdout).toMatch(/team platform\s+daily\s+\$0\.50\s+\$0\.60\s+120\.0%\s+\$-0\.10/);
    expect(usage.stdout).toMatch(/team platform\s+monthly\s+\$1\.00\s+\$0\.60\s+60\.0%\s+\$0\.40/);
    expect(usage.stdout).toMatch(/Directory: 1 of 5 users are not in the directory \(team '\(not in directory\)'\): erin@example\.com/);
    expect(usage.stdout).toMatch(/Estimates leave out 77 tokens of 1 model with no price/);
    expect(usage.stdout).toMatch(/Codex CLI\s+-\s+\$0\.0045\s+\$0\.0045\s+estimated/);
    const removed = await cli(['budget', 'remove', '--team', 'platform', '--daily']);
    expect(removed.code, removed.stderr).toBe(0);
    const budgets = JSON.parse((await cli(['budget', 'list', '--json'])).stdout) as { period: string }[];
    expect(budgets.map((b) => b.period)).toEqual(['monthly']);
  });
});

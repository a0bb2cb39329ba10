// `otlp2delta usage` finding its tables: the only catalog.schema holding agent
// tables without --schema, the choices when there are several, how to create
// tables when there are none, and what exists when --schema names nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTableName } from '../../src/tables/names.ts';
import { loadCaptures, replayCapture } from '../support/fixtures.ts';
import { startTestService } from '../support/service.ts';
import { runCli, type CliRun } from '../support/cli.ts';

const TABLE_HEADER = 'x-databricks-uc-table-name';
const HELP_LINE = /options:/;

let teamOnly: string;
let several: string;
let empty: string;

function usage(warehouse: string, args: string[] = []): Promise<CliRun> {
  return runCli(['usage', ...args, '--warehouse', warehouse]);
}

/** Every recorded capture, landed in team.telemetry instead of the main.agent_telemetry it was sent to. */
async function capturesOutsideMain(): Promise<string> {
  const svc = await startTestService();
  const captures = loadCaptures();
  const target = (c: (typeof captures)[number]) => {
    const sent = c.headers[TABLE_HEADER] ?? 'main.agent_telemetry.gemini_otel_spans';
    return `team.telemetry.${sent.split('.')[2] as string}`;
  };
  const tables = new Map(captures.map((c) => [target(c), c.signal === 'traces' ? ('spans' as const) : c.signal]));
  for (const [name, kind] of tables) await svc.createTable(name, kind);
  for (const c of captures) {
    const res = await replayCapture(svc.url, c, { [TABLE_HEADER]: target(c) });
    expect(res.status, c.id).toBe(200);
  }
  for (let round = 0; round === 0 || (await svc.service.pipeline.pendingRows()) > 0; round++) {
    if (round === 50) throw new Error('rows still staged after 50 flushes');
    for (const name of tables.keys()) await svc.service.pipeline.flushTable(parseTableName(name));
  }
  await svc.stop({ keep: true });
  return svc.warehouse;
}

beforeAll(async () => {
  teamOnly = await capturesOutsideMain();
  const svc = await startTestService();
  await svc.createTable('alpha.agents.claude_otel_metrics', 'metrics');
  await svc.createTable('alpha.agents.claude_otel_logs', 'logs');
  await svc.createTable('beta.codex.codex_otel_logs', 'logs');
  // Spans feed no usage view: a schema holding only spans is not a choice.
  await svc.createTable('gamma.traces.gemini_otel_spans', 'spans');
  await svc.stop({ keep: true });
  several = svc.warehouse;
  empty = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-empty-'));
}, 120_000);

afterAll(async () => {
  for (const dir of [teamOnly, several, empty]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('usage without --schema', () => {
  it('reports on the one catalog.schema that holds agent tables, wherever it is', async () => {
    const r = await usage(teamOnly, ['--as-of', '2026-11-21']);
    expect(r.stderr).not.toMatch(/Binder Error|Catalog "main"/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Coding-agent usage in team.telemetry, as of 2026-11-21');
    expect(r.stdout).toMatch(/Codex CLI\s+30\s+-\s+2\s/);
    expect(r.stdout).toMatch(/Gemini CLI\s+34\s+-\s+1\s/);
  });

  it('names the schemas and how to choose when several hold agent tables', async () => {
    const r = await usage(several);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('agent tables are in 2 schemas');
    expect(r.stderr).toContain('alpha.agents (claude_otel_logs, claude_otel_metrics)');
    expect(r.stderr).toContain('beta.codex (codex_otel_logs)');
    expect(r.stderr).not.toContain('gamma.traces');
    expect(r.stderr).toContain('--schema alpha.agents');
    expect(r.stderr).not.toMatch(HELP_LINE);
    const chosen = await usage(several, ['--schema', 'beta.codex']);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.stdout).toContain('Coding-agent usage in beta.codex');
    expect(chosen.stdout).toMatch(/Active agents \(last 7 days\)\n\(none\)/);
  });

  it('says how to create tables when there are none', async () => {
    const r = await usage(empty);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no agent tables (metrics or logs layout) in the warehouse');
    expect(r.stderr).toContain('otlp2delta create-table main.agent_telemetry.claude_otel_metrics --kind metrics');
    expect(r.stderr).not.toMatch(HELP_LINE);
  });
});

describe('usage with a --schema that holds no agent tables', () => {
  it('lists the schemas that do, without the option list', async () => {
    for (const schema of ['main.agent_telemetry', 'gamma.traces', 'Alpha.Nothing']) {
      const r = await usage(several, ['--schema', schema]);
      expect(r.code, schema).toBe(2);
      expect(r.stderr).toContain(`${schema.toLowerCase()} holds no agent tables`);
      expect(r.stderr).toMatch(/alpha\.agents \(.*\)\n\s+beta\.codex \(codex_otel_logs\)/);
      expect(r.stderr).toContain('choose one with --schema');
      expect(r.stderr).not.toMatch(/Binder Error|there is no table or view/);
      expect(r.stderr).not.toMatch(HELP_LINE);
    }
  });

  it('says how to create tables when no schema holds any', async () => {
    const r = await usage(empty, ['--schema', 'main.agent_telemetry']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('main.agent_telemetry holds no agent tables, and no schema of the warehouse');
    expect(r.stderr).toContain('create-table');
  });

  it('still explains a --schema that is not catalog.schema with the option list', async () => {
    const r = await usage(several, ['--schema', 'just_one']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--schema must be catalog.schema');
    expect(r.stderr).toMatch(HELP_LINE);
  });
});

// `otlp2delta sql` and `otlp2delta usage` as child processes over a landed
// warehouse, and the interactive prompt driven through streams.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRepl } from '../../src/cli/sql-repl.ts';
import { QueryEngine } from '../../src/query/engine.ts';
import { runCli, type CliRun } from '../support/cli.ts';
import { loadWarehouse } from './support.ts';
import { DAY } from './synthetic.ts';

let warehouse: string;
let scratch: string;

beforeAll(async () => {
  const { svc } = await loadWarehouse();
  await svc.stop({ keep: true });
  warehouse = svc.warehouse;
  scratch = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-sql-cli-'));
});

afterAll(async () => {
  await rm(warehouse, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

const cli = (args: string[], stdin = ''): Promise<CliRun> => runCli([...args, '--warehouse', warehouse], { stdin });

describe('otlp2delta sql', () => {
  it('prints an aligned table, csv, json and ndjson', async () => {
    const q = `SELECT agent, sum(tokens) AS tokens FROM synth.agent_telemetry.usage_facts GROUP BY 1 ORDER BY 1`;
    const table = await cli(['sql', q]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toBe(
      ['agent       | tokens', '------------+-------', 'claude_code |   1754', 'codex       |   1340', 'gemini_cli  |    400', '(3 rows)', ''].join('\n'),
    );
    const [csv, json, ndjson] = await Promise.all([cli(['sql', q, '--format', 'csv']), cli(['sql', q, '--format', 'json']), cli(['sql', q, '--format', 'ndjson'])]);
    expect(csv.stdout).toBe('agent,tokens\nclaude_code,1754\ncodex,1340\ngemini_cli,400\n');
    expect(JSON.parse(json.stdout)).toEqual([
      { agent: 'claude_code', tokens: '1754' },
      { agent: 'codex', tokens: '1340' },
      { agent: 'gemini_cli', tokens: '400' },
    ]);
    expect(ndjson.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(JSON.parse(json.stdout));
  });

  it('runs the statements of a file or of standard input in turn', async () => {
    const file = path.join(scratch, 'q.sql');
    await writeFile(file, "-- two statements\nSELECT 1 AS a;\nSELECT 'x;y' AS b;\n");
    const fromFile = await cli(['sql', '-f', file, '--format', 'csv']);
    expect(fromFile.stdout).toBe('a\n1\nb\nx;y\n');
    const fromStdin = await cli(['sql', '--format', 'csv'], 'SELECT count(*) AS n FROM main.agent_telemetry.claude_otel_logs;');
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(fromStdin.stdout).toBe('n\n9\n');
  });

  it('exits 1 with the reason for a refused or failing statement, 2 for bad options', async () => {
    const refused = await cli(['sql', 'DROP TABLE main.agent_telemetry.claude_otel_logs']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/only read statements/);
    const bad = await cli(['sql', 'SELECT 1', '--format', 'xml']);
    expect(bad.code).toBe(2);
  });
});

describe('otlp2delta usage', () => {
  it('prints the summary and the same report as JSON', async () => {
    const [text, json] = await Promise.all([
      cli(['usage', '--schema', 'synth.agent_telemetry', '--as-of', DAY]),
      cli(['usage', '--schema', 'synth.agent_telemetry', '--as-of', DAY, '--json', '--by', 'user', '--days', '30']),
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/tokens\s+2,354\s+2,494\s+3,494/);
    expect(text.stdout).toMatch(/Claude Code \(last 7 days\)\ndate\s+tokens\s+sessions\s+active time\s+models\n2026-11-20\s+754\s+2\s+6\.0 s\s+claude-opus, claude-sonnet/);
    const report = JSON.parse(json.stdout) as { tokens: { last30Days: number }; breakdown: { rows: { key: string | null; tokens: number }[] } };
    expect(report.tokens.last30Days).toBe(3494);
    expect(report.breakdown.rows.map((r) => [r.key, r.tokens])).toEqual([
      ['alice@example.com', 1694],
      // Codex metrics name no user; its events, which carry the same tokens, name carol.
      ['carol@example.com', 1340],
      ['dave@example.com', 400],
      ['bob@example.com', 60],
    ]);
  });

  it('checks its options', async () => {
    expect((await cli(['usage', '--by', 'team'])).code).toBe(2);
    expect((await cli(['usage', '--schema', 'just_one'])).code).toBe(2);
  });
});

describe('interactive prompt', () => {
  it('reads multi-line statements, runs dot commands and keeps history', async () => {
    const engine = await QueryEngine.open({ warehouse });
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d: Buffer) => (shown += d.toString()));
    const historyFile = path.join(scratch, 'history');
    try {
      const done = runRepl(engine, { input, output, format: 'table', historyFile });
      input.write('.format csv\n');
      input.write('SELECT 40 +\n');
      input.write('  2 AS answer;\n');
      input.write('SELECT nope;\n');
      input.write('.tables\n');
      input.end('.quit\n');
      expect(await done).toBe(0);
    } finally {
      engine.close();
    }
    expect(shown).toContain('answer\n42\n');
    expect(shown).toMatch(/Error: .*nope/);
    expect(shown).toContain('main.agent_telemetry.claude_otel_metrics');
    expect(await readFile(historyFile, 'utf8')).toContain('2 AS answer;');
  });
});

// Privacy rules in a real pipeline: the prompts of the recorded Gemini CLI and
// Claude Code requests reach neither the staging files nor the tables, on the
// event loop and through a render worker; the usage views still group by the
// pseudonymized user; and the changes are counted in the metrics.
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENDER_OFFLOAD_BYTES_MIN } from '../../src/config/limits.ts';
import { QueryEngine } from '../../src/query/engine.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { loadCaptures } from '../support/fixtures.ts';
import { claudeTokenUsage } from '../query/support.ts';
import { section, startPolicyPipeline, type PolicyPipeline } from './support.ts';

const KEY = 'pipeline-test-key-0123456789abcdef';
const dir = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-privacy-pipeline-'));
writeFileSync(path.join(dir, 'pseudonym.key'), KEY);
const pseudonym = (v: string) => `ps_${createHmac('sha256', KEY).update(v).digest('hex').slice(0, 32)}`;

const GEMINI_LOGS = 'main.agent_telemetry.gemini_otel_logs';
const CLAUDE_LOGS = 'main.agent_telemetry.claude_otel_logs';
const CLAUDE_METRICS = 'main.agent_telemetry.claude_otel_metrics';
const CLAUDE_PROMPT = 'rotate the payroll database password tonight';

const captures = loadCaptures();
const geminiLogs = captures.find((c) => c.id === 'gemini-cli/http-basic/0004')!;
// Claude Code sent "<REDACTED>" in the recording (prompts are off by default); this is the same request with prompt logging on.
const claudeLogs = Buffer.from(captures.find((c) => c.id === 'claude-code/json-basic/0003')!.body.toString().replace('<REDACTED>', CLAUDE_PROMPT));

/** The Gemini request with its records repeated past RENDER_OFFLOAD_BYTES_MIN, so it is rendered by a worker. */
function largeGemini(): Buffer {
  const req = JSON.parse(geminiLogs.body.toString()) as { resourceLogs: { scopeLogs: { logRecords: unknown[] }[] }[] };
  const sl = req.resourceLogs[0]!.scopeLogs[0]!;
  const records = sl.logRecords;
  while (JSON.stringify(req).length < RENDER_OFFLOAD_BYTES_MIN * 2) sl.logRecords = [...sl.logRecords, ...records];
  return Buffer.from(JSON.stringify(req));
}

let p: PolicyPipeline;
beforeAll(async () => {
  const privacy = section({ pseudonym_key_file: 'pseudonym.key', rules: [{ preset: 'gemini-cli' }, { preset: 'claude-code' }] }, dir);
  p = await startPolicyPipeline(privacy, { workers: 1 });
  await p.createTable(GEMINI_LOGS, 'logs');
  await p.createTable(CLAUDE_LOGS, 'logs');
  await p.createTable(CLAUDE_METRICS, 'metrics');
});
afterAll(async () => {
  await p?.stop();
});

describe('privacy rules before staging', () => {
  it('keeps the prompts out of the staging files and the tables, on the event loop and in a render worker', async () => {
    expect(geminiLogs.body.toString()).toContain('say hi');
    const big = largeGemini();
    await p.ingest('logs', GEMINI_LOGS, 'json', geminiLogs.body);
    expect(p.workerRenders()).toBe(0);
    const bigResult = await p.ingest('logs', GEMINI_LOGS, 'json', big);
    expect(p.workerRenders()).toBe(1);
    expect(bigResult.rows).toBeGreaterThan(14);
    await p.ingest('logs', CLAUDE_LOGS, 'json', claudeLogs);
    const staged = await p.stagedText();
    // The rows are there (the same records' other values), their prompts are not.
    expect(staged).toContain('gemini_cli.user_prompt');
    expect(staged).toContain('claude_code.user_prompt');
    for (const secret of ['say hi', CLAUDE_PROMPT, 'request_text', 'process.command_args']) expect(staged).not.toContain(secret);

    for (const t of [GEMINI_LOGS, CLAUDE_LOGS]) await p.pipeline.flushTable(parseTableName(t));
    expect(await p.pipeline.pendingRows()).toBe(0);
    const files = await p.tableFilesText();
    for (const secret of ['say hi', CLAUDE_PROMPT]) expect(files).not.toContain(secret);
    const engine = await QueryEngine.open({ warehouse: p.warehouse });
    try {
      for (const t of [GEMINI_LOGS, CLAUDE_LOGS]) {
        const r = await engine.execute(`SELECT to_json(x)::VARCHAR AS j FROM ${t} AS x`);
        const text = r.rows.map((row) => String(row[0])).join('\n');
        expect(r.rows.length).toBeGreaterThan(2);
        expect(text).toContain('otlp2delta.redacted');
        for (const secret of ['say hi', CLAUDE_PROMPT]) expect(text).not.toContain(secret);
      }
      const counted = await engine.execute(`SELECT attributes['otlp2delta.redacted'] FROM ${CLAUDE_LOGS} WHERE body = 'claude_code.user_prompt'`);
      expect(counted.rows).toEqual([['1']]);
    } finally {
      engine.close();
    }
  });

  it('the usage views group by the pseudonymized user', async () => {
    for (const [email, value, minute] of [['alice@example.com', 10, 0], ['alice@example.com', 5, 1], ['bob@example.com', 7, 2]] as const) {
      await p.ingest('metrics', CLAUDE_METRICS, 'json', Buffer.from(JSON.stringify(claudeTokenUsage(email, value, minute))));
    }
    await p.pipeline.flushTable(parseTableName(CLAUDE_METRICS));
    const engine = await QueryEngine.open({ warehouse: p.warehouse });
    try {
      const r = await engine.execute(`SELECT user, user_email, sum(tokens)::INTEGER FROM main.agent_telemetry.usage_facts WHERE token_type = 'input' AND user_email IS NOT NULL GROUP BY ALL ORDER BY 3`);
      expect(r.rows).toEqual([
        [pseudonym('bob@example.com'), pseudonym('bob@example.com'), 7],
        [pseudonym('alice@example.com'), pseudonym('alice@example.com'), 15],
      ]);
      const plain = await engine.execute(`SELECT count(*)::INTEGER FROM ${CLAUDE_METRICS} WHERE to_json(sum)::VARCHAR LIKE '%example.com%'`);
      expect(plain.rows).toEqual([[0]]);
    } finally {
      engine.close();
    }
  });

  it('counts the changes by action in otlp2delta_privacy_changes_total, worker renders included', async () => {
    const text = await p.metrics.registry.metrics();
    const value = (action: string) => Number(new RegExp(`^otlp2delta_privacy_changes_total\\{action="${action}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    // Gemini small request alone: 10 values dropped; the large one repeats its records.
    expect(value('dropped')).toBeGreaterThan(20);
    expect(value('pseudonymized')).toBe(3);
    expect(value('masked')).toBe(0);
  });
});

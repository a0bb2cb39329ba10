// `serve`'s own log, read from a server in its own process: JSON lines with
// --log-format json, every request with --access-log, refusals with their
// client details and rate-limited, and never a credential.
import { describe, expect, it } from 'vitest';
import { REJECTION_LOG_BURST } from '../../src/config/limits.ts';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { startChildService, type ChildService } from '../http/child-service.ts';
import { loadCaptures } from '../support/fixtures.ts';

const TABLE = 'main.tel.claude_otel_logs';
const MISSPELT = 'main.tel.claude_otel_logz';
const SECRET = 'tok-3f9c2e-never-logged';
const capture = loadCaptures().find((c) => c.client === 'claude-code' && c.signal === 'logs')!;

async function send(child: ChildService, table: string): Promise<number> {
  const res = await fetch(`${child.url}/api/2.0/otel/v1/logs`, {
    method: 'POST',
    headers: {
      'content-type': capture.headers['content-type'] ?? 'application/x-protobuf',
      authorization: `Bearer ${SECRET}`,
      'x-databricks-uc-table-name': table,
      'user-agent': 'claude-code/2.1.197 (test)',
    },
    body: capture.body,
  });
  await res.arrayBuffer();
  return res.status;
}

const parsed = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('serve --log-format json --access-log', () => {
  it('writes one JSON object a line: requests, refusals with client details, a summary of the rate-limited rest', async () => {
    const child = await startChildService(['--log-format', 'json', '--access-log']);
    let stopped = false;
    try {
      const schema = schemaFor('logs');
      await createDeltaTable(tableDir(child.warehouse, parseTableName(TABLE)), { schema, properties: { ...schema.tableProperties } });
      expect(await send(child, TABLE)).toBe(200);
      const misses = REJECTION_LOG_BURST + 20;
      for (let i = 0; i < misses; i++) expect(await send(child, MISSPELT)).toBe(404);
      await child.stop();
      stopped = true;
      const lines = parsed(child.stderr());
      for (const l of lines) {
        expect(l).toMatchObject({ level: expect.stringMatching(/^(info|warn|error)$/), time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), msg: expect.any(String) });
      }
      const access = lines.filter((l) => l.path === '/api/2.0/otel/v1/logs' && l.level === 'info');
      expect(access).toHaveLength(1 + misses);
      expect(access[0]).toMatchObject({ method: 'POST', status: 200, signal: 'logs', table: TABLE, remote: '127.0.0.1', userAgent: 'claude-code/2.1.197 (test)', rows: expect.any(Number) });
      const refusals = lines.filter((l) => l.level === 'warn' && String(l.msg).startsWith('refused '));
      expect(refusals).toHaveLength(REJECTION_LOG_BURST);
      expect(refusals[0]).toMatchObject({
        status: 404,
        reason: 'not_found',
        signal: 'logs',
        table: MISSPELT,
        remote: '127.0.0.1',
        userAgent: 'claude-code/2.1.197 (test)',
        msg: expect.stringContaining(`table ${MISSPELT} does not exist; create it first`),
      });
      const summary = lines.find((l) => l.suppressed !== undefined);
      expect(summary).toMatchObject({ level: 'warn', reason: 'not_found', table: MISSPELT, suppressed: misses - REJECTION_LOG_BURST });
      expect(child.stderr()).not.toContain(SECRET);
    } finally {
      if (!stopped) await child.stop();
    }
  }, 60_000);

  it('logs readable text lines by default, refusals as warnings, and no access lines', async () => {
    const child = await startChildService();
    try {
      expect(await send(child, MISSPELT)).toBe(404);
      const warn = async () => child.stderr().split('\n').find((l) => l.includes(' WARN: refused 404 '));
      for (let i = 0; i < 100 && !(await warn()); i++) await new Promise((r) => setTimeout(r, 50));
      expect(await warn()).toMatch(
        /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] WARN: refused 404 POST \/api\/2\.0\/otel\/v1\/logs: table main\.tel\.claude_otel_logz does not exist.*"remote":"127\.0\.0\.1","userAgent":"claude-code\/2\.1\.197 \(test\)"/,
      );
      expect(child.stderr()).not.toMatch(/POST \/api\/2\.0\/otel\/v1\/logs 404 [\d.]+ ms/);
      expect(child.stderr()).not.toContain(SECRET);
    } finally {
      await child.stop();
    }
  }, 60_000);

  it('refuses an unknown log format, naming the choices', async () => {
    await expect(startChildService(['--log-format', 'xml'])).rejects.toThrow(/--log-format must be text or json, got "xml"/);
  }, 30_000);
});

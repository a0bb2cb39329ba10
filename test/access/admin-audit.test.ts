// Admin actions and statements in system.access.audit: token create and
// revoke and GRANT at the command line, a statement and a refusal on the
// endpoint, each one row with the principal, and never a secret.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestService } from '../support/service.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const warehouse = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-admin-audit-'));
afterAll(() => rmSync(warehouse, { recursive: true, force: true }));

function cli(args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/otlp2delta'), ...args, '--warehouse', warehouse], { env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('admin actions in system.access.audit', () => {
  it('records token administration, grants and statements, one row each, without secrets', async () => {
    cli(['create-table', 'main.tel.a_otel_logs', '--kind', 'logs']);
    const secret = cli(['token', 'create', '--principal', 'root', '--group', 'admins']).trim();
    const other = cli(['token', 'create', '--principal', 'bob']).trim();
    const bobId = (JSON.parse(cli(['token', 'list', '--json']).trim().split('\n')[1]!) as { id: string }).id;
    cli(['sql', 'GRANT SELECT ON TABLE main.tel.a_otel_logs TO bob']);
    cli(['token', 'revoke', bobId]);

    // On the endpoint: an admin's statement, and a refused token.
    const svc = await startTestService({ warehouse });
    try {
      const post = (token: string, statement: string) =>
        fetch(`${svc.url}/api/2.0/sql/statements`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ statement }) });
      expect((await post(secret, 'SELECT 42')).status).toBe(200);
      expect((await post(other, 'SELECT 1')).status).toBe(403);
    } finally {
      await svc.stop({ keep: true });
    }

    const rows = cli(['sql', 'SELECT service_name, action_name, user_identity.email AS who, response.status_code AS status, request_params FROM system.access.audit ORDER BY event_time', '--format', 'json']);
    const got = JSON.parse(rows) as { service_name: string; action_name: string; who: string | null; status: number; request_params: unknown }[];
    const actions = got.map((r) => `${r.service_name}/${r.action_name}/${r.status}`);
    expect(actions).toEqual(expect.arrayContaining(['tokens/tokenCreate/200', 'accessControl/grant/200', 'tokens/tokenRevoke/200', 'sql/executeStatement/200']));
    expect(actions.filter((a) => a === 'tokens/tokenCreate/200')).toHaveLength(2);
    expect(got.some((r) => r.status === 403)).toBe(true);
    const statement = got.find((r) => r.action_name === 'executeStatement')!;
    expect(statement.who).toBe('root');
    expect(JSON.stringify(statement.request_params)).toContain('SELECT 42');
    const grant = got.find((r) => r.action_name === 'grant')!;
    expect(grant.who).toMatch(/@/);
    expect(rows).not.toContain(secret);
    expect(rows).not.toContain(other);
  }, 120_000);
});

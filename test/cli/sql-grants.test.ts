// `otlp2delta sql` running grant statements as the warehouse's owner, as a
// child process: GRANT, SHOW GRANTS, a syntax error, and a query engine that
// is already running (as a server's is) applying the grant within 10 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/access/types.ts';
import { QueryEngine } from '../../src/query/engine.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { runCli, type CliRun } from '../support/cli.ts';

const TABLE = 'main.team_a.claude_otel_logs';
const ann: Principal = { tokenId: 'tok_ann', name: 'ann@example.com', groups: ['analysts'] };

let svc: TestService;
let engine: QueryEngine;

function cli(args: string[]): Promise<CliRun> {
  return runCli(['sql', ...args, '--warehouse', svc.warehouse]);
}

beforeAll(async () => {
  svc = await startTestService();
  await svc.createTable(TABLE, 'logs');
  engine = await QueryEngine.open({ warehouse: svc.warehouse });
});

afterAll(async () => {
  engine?.close();
  await svc?.stop();
});

describe('otlp2delta sql with grant statements', () => {
  it('grants, shows the grants, and a running engine applies them within 10 s', async () => {
    const read = () => engine.execute(`SELECT count(*) FROM ${TABLE}`, {}, ann);
    await expect(read()).rejects.toThrow(/^there is no table or view main\.team_a\.claude_otel_logs/);
    const granted = await cli(['GRANT USE CATALOG, USE SCHEMA ON CATALOG main TO analysts; GRANT SELECT ON SCHEMA main.team_a TO `ann@example.com`']);
    expect(granted).toMatchObject({ code: 0, stderr: '' });
    expect(granted.stdout).toBe('OK\n\nOK\n');
    const shown = await cli(['SHOW GRANTS ON CATALOG main', '--format', 'csv']);
    expect(shown.code).toBe(0);
    expect(shown.stdout.trim().split('\n')).toEqual(['principal,action_type,object_type,object_key', 'analysts,USE CATALOG,CATALOG,main', 'analysts,USE SCHEMA,CATALOG,main']);
    const mine = await cli(['SHOW GRANTS `ann@example.com` ON SCHEMA main.team_a', '--format', 'json']);
    expect(JSON.parse(mine.stdout)).toEqual([{ principal: 'ann@example.com', action_type: 'SELECT', object_type: 'SCHEMA', object_key: 'main.team_a' }]);
    const started = Date.now();
    for (;;) {
      const r = await read().catch(() => undefined);
      if (r) {
        expect(r.rows).toEqual([['0']]);
        break;
      }
      expect(Date.now() - started).toBeLessThan(10_000);
      await new Promise((res) => setTimeout(res, 100));
    }
  });

  it('reports a malformed grant with what was expected, and exits 1', async () => {
    const r = await cli(['GRANT SELECT ON TABLE main.team_a TO x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('otlp2delta sql: a table is named in full here with 3 parts (e.g. main.agent_telemetry.claude_otel_logs), got main.team_a\n');
  });
});

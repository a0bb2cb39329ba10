// configure against a real server on loopback: tables are created in its
// warehouse, each check export is answered ok over each protocol, and the
// refusals a user meets (no token, no grant) come back with their fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/access/token-store.ts';
import { GrantStore } from '../../src/access/grant-store.ts';
import { parseGrantStatement } from '../../src/access/grant-sql.ts';
import { AGENTS, PROTOCOLS, type Agent, type OnboardOptions, type Protocol } from '../../src/onboard/options.ts';
import { runConfigure } from '../../src/onboard/run-configure.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { tempHome } from './support.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc.stop();
});

async function run(agents: Agent[], protocol: Protocol, extra: Partial<OnboardOptions> = {}, prefix = (a: Agent) => `main.onboard_${protocol.replace(/\W/g, '_')}.${a}`) {
  const home = await tempHome();
  const lines: string[] = [];
  const endpoint = protocol === 'grpc' ? svc.service.grpc!.url : svc.url;
  try {
    const code = await runConfigure(
      { agents, options: (a) => ({ endpoint, prefix: prefix(a), protocol, ...extra }), warehouse: svc.warehouse, dryRun: false, check: true },
      home.env,
      (l) => lines.push(l),
    );
    return { code, text: lines.join('\n') };
  } finally {
    await home.cleanup();
  }
}

describe.each(PROTOCOLS)('over %s', (protocol) => {
  it('creates the missing tables and every check is answered ok', async () => {
    const { code, text } = await run([...AGENTS], protocol);
    expect(text).toContain(`table main.onboard_${protocol.replace(/\W/g, '_')}.codex_otel_spans: created`);
    expect(text).not.toMatch(/check .*: (?!ok)/);
    expect(text.match(/: ok$/gm)).toHaveLength(2 + 3 + 3);
    expect(code).toBe(0);
  });
});

describe('with tokens', () => {
  it('names the grants the token lacks, and the refused check comes back with its fix', async () => {
    const { secret } = await createToken(svc.warehouse, { principal: 'alice@example.com' });
    const grants = GrantStore.open(svc.warehouse);
    grants.apply(parseGrantStatement('GRANT USE CATALOG ON CATALOG main TO `alice@example.com`') as never);
    grants.close();
    // The server turns auth on once it has seen the first token (it polls the file).
    const deadline = Date.now() + 15_000;
    while ((await fetch(`${svc.url}/metrics`)).status !== 401) {
      if (Date.now() > deadline) throw new Error('the server did not turn auth on');
      await new Promise((r) => setTimeout(r, 100));
    }
    const { code, text } = await run(['claude'], 'http/protobuf', { token: secret }, () => 'main.team_a.claude');
    expect(code).toBe(1);
    expect(text).toContain('grants: alice@example.com lacks USE SCHEMA on main.team_a, MODIFY on main.team_a.claude_otel_metrics, MODIFY on main.team_a.claude_otel_logs');
    expect(text).toContain('otlp2delta sql "GRANT USE SCHEMA ON SCHEMA main.team_a TO `alice@example.com`"');
    expect(text).toMatch(/check metrics -> main\.team_a\.claude_otel_metrics: 404 .*\n {4}fix: create the tables/);
    expect(text).not.toContain(secret);
    const none = await run(['codex'], 'http/json', {}, () => 'main.team_a.codex');
    expect(none.text).toMatch(/check logs -> main\.team_a\.codex_otel_logs: 401 .*\n {4}fix: the server needs a token/);
  });
});

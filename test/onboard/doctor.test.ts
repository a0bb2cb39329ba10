// doctor against a real server: the agents' recorded exports land and are
// reported per agent, user, host and signal; configure's own check exports
// are not counted as the agent sending; a logs-only agent and a refused
// export are named, the refusal with its fix.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENTS } from '../../src/onboard/options.ts';
import { localReport } from '../../src/onboard/doctor-local.ts';
import { renderLocal, renderWarehouse } from '../../src/onboard/doctor-render.ts';
import { warehouseReport } from '../../src/onboard/doctor-warehouse.ts';
import { runConfigure } from '../../src/onboard/run-configure.ts';
import { loadCaptures, replayCapture } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { tempHome, type Home } from './support.ts';

let svc: TestService;
let home: Home;
beforeAll(async () => {
  svc = await startTestService();
  home = await tempHome(undefined, { OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'X-Databricks-UC-Table-Name=x.y.z' });
  const code = await runConfigure(
    { agents: [...AGENTS], options: (a) => ({ endpoint: svc.url, prefix: `main.agent_telemetry.${a}`, protocol: 'http/protobuf', token: 'o2d_local' }), warehouse: svc.warehouse, dryRun: false, check: true },
    home.env,
    () => undefined,
  );
  expect(code).toBe(0);
});
afterAll(async () => {
  await home.cleanup();
  await svc.stop();
});

/** Waits until the server has committed what it acknowledged (it flushes every 200 ms here). */
async function committed(): Promise<void> {
  await svc.service.pipeline.flushAll();
}

describe('doctor', () => {
  it('reports only configure checks before the agents send, then each agent as sending', async () => {
    await committed();
    let w = await warehouseReport(svc.warehouse);
    expect(w.seen).toEqual([]);
    expect(renderWarehouse(w).join('\n')).toMatch(/claude-code: only configure's check exports/);

    const runs = ['claude-code/proto-basic', 'codex/proto-basic', 'gemini-cli/http-basic'];
    for (const c of loadCaptures().filter((x) => runs.includes(`${x.client}/${x.run}`))) {
      // The recorded Gemini traces went out without a table header; the one configure writes is added.
      const table: Record<string, string> = c.signal === 'traces' ? { 'x-databricks-uc-table-name': 'main.agent_telemetry.gemini_otel_spans' } : {};
      const res = await replayCapture(svc.url, c, { authorization: 'Bearer o2d_local', ...table });
      expect(res.status, c.id).toBe(200);
    }
    await committed();
    w = await warehouseReport(svc.warehouse);
    const agents = new Set(w.seen.map((s) => s.agent));
    expect([...agents].sort()).toEqual(['claude-code', 'codex_exec', 'gemini-cli']);
    const gem = w.seen.filter((s) => s.agent === 'gemini-cli');
    expect(gem.map((s) => s.signal).sort()).toEqual(['logs', 'metrics', 'traces']);
    expect(gem[0]!.host).toBe('vm');
    expect(w.seen.find((s) => s.agent === 'claude-code')!.user.startsWith('be8aea4ed76067c766b9fcc5245f4032')).toBe(true);
    for (const s of w.seen) expect(s.last).toMatch(/^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(renderWarehouse(w).join('\n')).not.toMatch(/only configure's check exports/);
    // Codex names its host on logs but not on metrics: it still counts as sending metrics.
    expect(w.seen.filter((s) => s.agent === 'codex_exec').map((s) => s.host).sort()).toEqual(['-', 'vm']);
    expect(w.silent).toEqual([]);
  });

  it('names an agent that sends logs but no metrics, and refused exports with their fix', async () => {
    const logs = loadCaptures().find((x) => x.client === 'codex' && x.run === 'json-basic' && x.signal === 'logs')!;
    await replayCapture(svc.url, logs, { 'x-databricks-uc-table-name': 'main.agent_telemetry.codex_logs_only_otel_logs' });
    await svc.createTable('main.agent_telemetry.lonely_otel_logs', 'logs');
    const body = JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'lonely-agent' } }, { key: 'host.name', value: { stringValue: 'box1' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), body: { stringValue: 'hi' } }] }] }] });
    const ok = await fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': 'main.agent_telemetry.lonely_otel_logs' }, body });
    expect(ok.status).toBe(200);
    await committed();
    // The audit rows are committed with the flush too.
    let w = await warehouseReport(svc.warehouse);
    for (let i = 0; i < 50 && w.refusals.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await committed();
      w = await warehouseReport(svc.warehouse);
    }
    expect(w.silent).toContainEqual(expect.objectContaining({ agent: 'lonely-agent', host: 'box1' }));
    const refusal = w.refusals.find((r) => r.table === 'main.agent_telemetry.codex_logs_only_otel_logs');
    expect(refusal).toMatchObject({ status: 404, signal: 'logs' });
    expect(refusal!.fix).toContain('otlp2delta create-table --prefix main.agent_telemetry.codex_logs_only --if-not-exists');
    const text = renderWarehouse(w).join('\n');
    expect(text).toContain('sends logs but no metrics:');
    expect(text).toMatch(/404 .* -> main\.agent_telemetry\.codex_logs_only_otel_logs/);
    const only = await warehouseReport(svc.warehouse, { schema: 'other.schema' });
    expect(only.seen).toEqual([]);
    expect(only.refusals).toEqual([]);
  });

  it('shows each local setting with its source, hides tokens, and marks what the environment overrides', async () => {
    const managed = path.join(home.env.systemRoot, 'etc', 'claude-code', 'managed-settings.json');
    await mkdir(path.dirname(managed), { recursive: true });
    await writeFile(managed, '{ "env": { "OTEL_LOGS_EXPORTER": "none" } }');
    const claude = await localReport('claude', home.env);
    const text = renderLocal(claude).join('\n');
    expect(text).not.toContain('o2d_local');
    expect(text).toContain('Authorization=Bearer <token>');
    expect(claude.verdict).toBe('exports metrics over OTLP');
    expect(claude.entries.find((e) => e.key === 'OTEL_LOGS_EXPORTER' && e.wins)!.source).toMatch(/^managed settings/);
    const gemini = await localReport('gemini', home.env);
    const headers = gemini.entries.filter((e) => e.key === 'OTEL_EXPORTER_OTLP_LOGS_HEADERS');
    expect(headers.find((e) => e.wins)!.source).toBe('environment of this shell');
    expect(headers.find((e) => !e.wins)!.source).toMatch(/^environment file/);
    const codex = await localReport('codex', home.env);
    expect(codex.verdict).toBe('exports logs, metrics, traces over OTLP');
  });
});

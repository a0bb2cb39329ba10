// The commands as a user runs them: registration, usage errors, and a
// configure --dry-run / configure / unconfigure round trip through the real
// binary with HOME pointing at a temporary folder.
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { GOLDEN, snapshot, tempHome, type Home } from './support.ts';

let home: Home | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

describe('otlp2delta configure, unconfigure, doctor', () => {
  it('are listed in the main help', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/configure +write a coding agent's telemetry settings/);
    expect(r.stdout).toMatch(/unconfigure +take away exactly what configure added/);
    expect(r.stdout).toMatch(/doctor +show which agents/);
  });

  it.each([
    [['configure'], /give the agent: claude, codex, gemini or all/],
    [['configure', 'cursor'], /give the agent/],
    [['configure', 'claude', '--protocol', 'grpc/json'], /--protocol must be one of/],
    [['configure', 'all', '--prefix', 'main.s.p'], /with all, --prefix is catalog.schema/],
    [['configure', 'codex', '--endpoint', 'ftp://x'], /--endpoint must be http/],
    [['doctor', '--schema', 'main'], /--schema is catalog.schema/],
  ])('%j is a usage error', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('dry-run, configure and unconfigure through the binary, the token never printed', async () => {
    home = await tempHome(path.join(GOLDEN, 'inputs', 'codex', 'existing'));
    const before = await snapshot(home.dir);
    const env = { HOME: home.dir, XDG_CONFIG_HOME: path.join(home.dir, '.config') };
    const token = 'o2d_printedNowhere123';
    const dry = await runCli(['configure', 'codex', '--token', token, '--dry-run', '--warehouse', path.join(home.dir, 'wh')], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would be updated');
    expect(dry.stdout).toContain('+exporter = { otlp-http');
    expect(await snapshot(home.dir)).toEqual(before);
    // Nothing listens on a port just freed: the checks fail, and say how to fix it.
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise((r) => free.close(r));
    const real = await runCli(['configure', 'codex', '--token', token, '--endpoint', `http://127.0.0.1:${port}`, '--warehouse', path.join(home.dir, 'wh')], { env });
    expect(real.code).toBe(1);
    expect(real.stdout).toMatch(/check logs -> main\.agent_telemetry\.codex_otel_logs: unreachable no answer from .*ECONNREFUSED.*\n {4}fix: start the server/);
    expect(real.stdout).toContain('otlp2delta create-table --prefix main.agent_telemetry.codex --if-not-exists');
    // No server has run on that warehouse: configure creates nothing there.
    expect(existsSync(path.join(home.dir, 'wh'))).toBe(false);
    expect(await readFile(path.join(home.dir, '.codex', 'config.toml'), 'utf8')).toContain(token);
    const doc = await runCli(['doctor', '--agent', 'codex', '--no-warehouse'], { env });
    expect(doc.stdout).toContain('codex: exports logs, metrics, traces over OTLP');
    const undo = await runCli(['unconfigure', 'codex'], { env });
    expect(undo.code).toBe(0);
    for (const out of [dry.stdout, dry.stderr, real.stdout, real.stderr, doc.stdout, undo.stdout]) expect(out).not.toContain(token);
    expect(await snapshot(home.dir)).toEqual(before);
  });
});

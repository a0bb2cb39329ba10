// The real `otlp2delta` command run as a child process: help, exit codes, create-table and serve with signals.
import { SPEC_DIR } from '../support/paths.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createDeltaTable } from '../../src/delta/table.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { loadCaptures, replayCapture } from '../support/fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SPEC = SPEC_DIR;
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-cli-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** The parent's environment minus our own settings, so a developer's shell cannot change the outcome. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));
  return { ...env, ...extra };
}

// Each child compiles the sources through tsx at start; more children than cores only makes every one slower.
const SLOTS = Math.max(2, os.availableParallelism());
let busy = 0;
const queue: (() => void)[] = [];
async function acquire(): Promise<() => void> {
  if (busy >= SLOTS) await new Promise<void>((r) => queue.push(r));
  busy += 1;
  return () => {
    busy -= 1;
    queue.shift()?.();
  };
}

function launch(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['bin/otlp2delta', ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

type Outcome = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

function outcome(child: ChildProcess, out: { stdout: string; stderr: string }): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, ...out }));
  });
}

function collect(child: ChildProcess): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out.stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out.stderr += s));
  return out;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const release = await acquire();
  const child = launch(args, env);
  return outcome(child, collect(child)).finally(release);
}

const show = (r: Outcome) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

// Generous per-test limits: on a loaded machine a child can take several seconds just to start.
describe.concurrent('otlp2delta help and usage errors', { timeout: 90_000 }, () => {
  it('prints usage for the main command and each command, exit 0; serve states its defaults', async () => {
    const [main, short, serve, create] = await Promise.all([cli(['--help']), cli(['-h']), cli(['serve', '--help']), cli(['create-table', '--help'])]);
    for (const r of [main, short]) {
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toMatch(/^usage: otlp2delta <command>/);
      expect(r.stdout).toContain('serve');
      expect(r.stdout).toContain('create-table');
    }
    expect(serve.code, show(serve)).toBe(0);
    expect(serve.stdout).toMatch(/^usage: otlp2delta serve/);
    // `npm start` is plain `serve`, so these defaults are what it listens on and writes to.
    expect(serve.stdout).toMatch(/--host[^\n]*default 127\.0\.0\.1/);
    expect(serve.stdout).toMatch(/--port[^\n]*default 4318/);
    expect(serve.stdout).toMatch(/--warehouse[^\n]*default \.\/warehouse/);
    expect(create.code, show(create)).toBe(0);
    expect(create.stdout).toMatch(/^usage: otlp2delta create-table/);
  });

  it('exits 2 for an unknown command, no command, unknown options and bad values', async () => {
    const [unknown, none, bogus, port, extra] = await Promise.all([
      cli(['frobnicate']),
      cli([]),
      cli(['serve', '--bogus']),
      cli(['serve', '--port', 'notanumber']),
      cli(['serve', 'extra']),
    ]);
    expect(unknown.code, show(unknown)).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(none.code, show(none)).toBe(2);
    expect(none.stdout + none.stderr).toContain('usage: otlp2delta');
    expect(bogus.code, show(bogus)).toBe(2);
    expect(bogus.stderr).toContain('--bogus');
    expect(port.code, show(port)).toBe(2);
    expect(port.stderr).toMatch(/\bport\b[^\n]*"notanumber"/);
    expect(extra.code, show(extra)).toBe(2);
  });

  it('exits 2 for a bad table name or kind, creating nothing', async () => {
    const wh = await tempDir();
    const runs = await Promise.all([
      cli(['create-table', 'main.s', '--kind', 'metrics', '--warehouse', wh]),
      cli(['create-table', 'main.s.t-x', '--kind', 'metrics', '--warehouse', wh]),
      cli(['create-table', '../up.s.t', '--kind', 'logs', '--warehouse', wh]),
      cli(['create-table', 'main.s.t', '--kind', 'events', '--warehouse', wh]),
      cli(['create-table', 'main.s.t', '--warehouse', wh]),
    ]);
    for (const r of runs) {
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toMatch(/^otlp2delta create-table: /);
    }
    expect(readdirSync(wh)).toEqual([]);
  });
});

describe.concurrent('otlp2delta create-table', { timeout: 90_000 }, () => {
  it('creates a table by kind; a second time exits 1 unless --if-not-exists', async () => {
    const wh = await tempDir();
    const args = ['create-table', 'main.s.t_otel_metrics', '--kind', 'metrics', '--warehouse', wh];
    const first = await cli(args);
    expect(first.code, show(first)).toBe(0);
    const dir = path.join(wh, 'main', 's', 't_otel_metrics');
    const log = path.join(dir, '_delta_log', '00000000000000000000.json');
    const actions = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(actions.find((a) => a.protocol)?.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(actions.find((a) => a.metaData)?.metaData.configuration).toMatchObject({ 'otel.schemaVersion': 'v1' });
    expect((await checkDeltaTable(dir, 'metrics')).rows).toEqual([]);

    const again = await cli(args);
    expect(again.code, show(again)).toBe(1);
    expect(again.stderr).toContain('already exists');
    const tolerant = await cli([...args, '--if-not-exists']);
    expect(tolerant.code, show(tolerant)).toBe(0);
    expect(readdirSync(path.join(dir, '_delta_log'))).toEqual(['00000000000000000000.json']);
  });

  it('creates the documented tables from otel-tables.sql and otel-spans.sql', async () => {
    const wh = await tempDir();
    const fill = (file: string) => {
      const out = path.join(wh, '..', `${path.basename(wh)}-${file}`);
      dirs.push(out);
      writeFileSync(out, readFileSync(path.join(SPEC, file), 'utf8').replaceAll('<catalog>.<schema>.<table_prefix>', 'main.tel.agent'));
      return out;
    };
    const tables = await cli(['create-table', '--ddl', fill('otel-tables.sql'), '--warehouse', wh]);
    expect(tables.code, show(tables)).toBe(0);
    const spans = await cli(['create-table', '--ddl', fill('otel-spans.sql'), '--warehouse', wh]);
    expect(spans.code, show(spans)).toBe(0);
    expect(readdirSync(path.join(wh, 'main', 'tel')).sort()).toEqual(['agent_otel_logs', 'agent_otel_metrics', 'agent_otel_spans']);
    // The independent reader checks each schema against its layout, so a wrong kind fails here.
    for (const kind of ['metrics', 'logs', 'spans'] as const) {
      await checkDeltaTable(path.join(wh, 'main', 'tel', `agent_otel_${kind}`), kind);
    }
  });

  it('refuses a DDL whose type differs from the layout, naming the difference and creating nothing', async () => {
    const wh = await tempDir();
    const text = readFileSync(path.join(SPEC, 'otel-tables.sql'), 'utf8').replaceAll('<catalog>.<schema>.<table_prefix>', 'main.tel.agent');
    // The first `flags: INT` is the gauge struct's; the top-level `flags INT` of logs is in the second statement.
    const variants = {
      gauge: text.replace('flags: INT', 'flags: LONG'),
      logs: text.replace(/^ {2}flags INT,$/m, '  flags LONG,'),
    };
    for (const [where, ddl] of Object.entries(variants)) {
      expect(ddl, where).not.toBe(text);
      const file = path.join(wh, '..', `${path.basename(wh)}-${where}.sql`);
      dirs.push(file);
      writeFileSync(file, ddl);
      const r = await cli(['create-table', '--ddl', file, '--warehouse', wh]);
      expect(r.code, show(r)).toBe(1);
      expect(r.stderr).toMatch(/flags/);
      expect(r.stderr).toMatch(/LONG/);
      if (where === 'gauge') expect(r.stderr).toContain('gauge');
      else expect(r.stderr).toContain('agent_otel_logs');
      // Even when only the second statement is wrong, the first table is not created.
      expect(existsSync(path.join(wh, 'main')), `${where}: ${show(r)}`).toBe(false);
    }
  });
});

type Served = { child: ChildProcess; url: string; startLine: string; out: { stdout: string; stderr: string }; done: Promise<Outcome> };

/** Starts `serve` and resolves once its start line names the address it listens on. */
async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const release = await acquire();
  const child = launch(['serve', ...args], env);
  const out = collect(child);
  const done = outcome(child, out).finally(release);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = /^.*listening on (http:\/\/\S+).*$/m.exec(out.stderr);
    if (m) return { child, url: m[1]!, startLine: m[0], out, done };
    const early = await Promise.race([done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (early) throw new Error(`serve exited before listening: ${show(early)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serve did not report listening within 20 s: ${out.stderr}`);
    }
  }
}

const logsCapture = loadCaptures().find((c) => c.id === 'claude-code/proto-basic/0003')!;
const capturedRecords = (logsCapture.decoded as any).request.resourceLogs.flatMap((rl: any) =>
  rl.scopeLogs.flatMap((sl: any) => sl.logRecords)).length as number;

// 127.0.0.2 is loopback on Linux only; elsewhere the default address still exercises the variable.
const ENV_HOST = os.platform() === 'linux' ? '127.0.0.2' : '127.0.0.1';

describe.concurrent('otlp2delta serve', { timeout: 90_000 }, () => {
  const variants = [
    { how: 'flags', signal: 'SIGTERM' as const, host: '127.0.0.1', viaEnv: false },
    { how: 'environment', signal: 'SIGINT' as const, host: ENV_HOST, viaEnv: true },
  ];
  it.each(variants)('configured by $how: one start line, accepts a capture, $signal drains and exits 0', async ({ signal, host, viaEnv }) => {
    const wh = await tempDir();
    const table = 'main.cli.serve_otel_logs';
    const tableDir = path.join(wh, 'main', 'cli', 'serve_otel_logs');
    const schema = schemaFor('logs');
    await createDeltaTable(tableDir, { schema, properties: { ...schema.tableProperties } });

    const s = viaEnv
      ? await serve([], { OTLP2DELTA_PORT: '0', OTLP2DELTA_WAREHOUSE: wh, OTLP2DELTA_HOST: host })
      : await serve(['--port', '0', '--warehouse', wh, '--host', host]);
    try {
      expect(new URL(s.url).hostname).toBe(host);
      expect(s.startLine).toContain(wh);
      const res = await replayCapture(s.url, logsCapture, { 'x-databricks-uc-table-name': table });
      expect(res.status, await res.text()).toBe(200);
    } finally {
      s.child.kill(signal);
    }
    const t0 = Date.now();
    const r = await s.done;
    expect(Date.now() - t0, show(r)).toBeLessThan(5_000);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr.match(/listening on/g), show(r)).toHaveLength(1);
    // Stopping must commit whatever is still staged, whether or not a flush came first.
    const check = await checkDeltaTable(tableDir, 'logs');
    expect(check.rows).toHaveLength(capturedRecords);
  });
});

// `otlp2delta create-table --prefix` and the warning for a name whose ending
// names another kind, through the real command.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readDeltaLog } from '../support/delta-log.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function cli(args: string[]) {
  const wh = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-ct-'));
  dirs.push(wh);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/otlp2delta'), 'create-table', ...args, '--warehouse', wh], { env, encoding: 'utf8' });
  return { ...r, wh };
}

/** The kind a table's schema says it is, read from its first commit. */
function kindOf(dir: string): string {
  const meta = readDeltaLog(dir).commits[0]?.actions.find((a) => 'metaData' in a)?.metaData as { schemaString: string };
  const fields = (JSON.parse(meta.schemaString) as { fields: { name: string }[] }).fields.map((f) => f.name);
  if (fields.includes('span_id') && fields.includes('parent_span_id')) return 'spans';
  if (fields.includes('severity_number')) return 'logs';
  return fields.includes('metric_type') ? 'metrics' : `unknown (${fields.join(',')})`;
}

describe('create-table --prefix', () => {
  it("creates each prefix's metrics, logs and spans tables", () => {
    const r = cli(['--prefix', 'main.agent_telemetry.claude,main.agent_telemetry.gemini']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    for (const agent of ['claude', 'gemini']) {
      for (const kind of ['metrics', 'logs', 'spans']) {
        const dir = path.join(r.wh, 'main', 'agent_telemetry', `${agent}_otel_${kind}`);
        expect(r.stdout).toContain(`created ${kind} table main.agent_telemetry.${agent}_otel_${kind} at ${dir}`);
        expect(kindOf(dir)).toBe(kind);
      }
    }
  });

  it('refuses a table name or --kind beside it, and an empty or malformed prefix', () => {
    expect(cli(['--prefix', 'main.a.b', '--kind', 'logs']).stderr).toMatch(/--prefix names the tables and their kinds; give no table name or --kind/);
    expect(cli(['--prefix', 'main.a.b,', '--if-not-exists']).stderr).toMatch(/--prefix takes catalog\.schema\.prefix names separated by commas/);
    const bad = cli(['--prefix', 'main.a']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^otlp2delta create-table: --prefix/);
  });

  it('with --if-not-exists leaves tables that exist as they are', () => {
    const wh = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-ct-'));
    dirs.push(wh);
    const run = (extra: string[]) =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin/otlp2delta'), 'create-table', '--prefix', 'c.s.p', '--warehouse', wh, ...extra], { encoding: 'utf8' });
    expect(run([]).status).toBe(0);
    expect(run([]).status).toBe(1);
    const again = run(['--if-not-exists']);
    expect(again.status).toBe(0);
    expect(again.stdout.trim().split('\n')).toEqual(['c.s.p_otel_metrics already exists', 'c.s.p_otel_logs already exists', 'c.s.p_otel_spans already exists']);
  });
});

describe('create-table with a name that reads as another kind', () => {
  it('warns, naming the kind the name suggests and the fix, and still creates the table', () => {
    const r = cli(['main.x.claude_otel_logs', '--kind', 'metrics']);
    expect(r.status).toBe(0);
    const dir = path.join(r.wh, 'main', 'x', 'claude_otel_logs');
    expect(r.stderr).toBe(
      `warning: main.x.claude_otel_logs is created as a metrics table, but its name reads as a logs table; exporters that send logs to it will be refused (400). Meant a logs table? Delete ${dir} and run otlp2delta create-table main.x.claude_otel_logs --kind logs\n`,
    );
    expect(kindOf(dir)).toBe('metrics');
  });

  it('says nothing when the ending agrees or names no kind', () => {
    expect(cli(['main.x.claude_otel_spans', '--kind', 'spans']).stderr).toBe('');
    expect(cli(['main.x.codex_traces', '--kind', 'spans']).stderr).toBe('');
    expect(cli(['main.x.everything', '--kind', 'logs']).stderr).toBe('');
  });
});
